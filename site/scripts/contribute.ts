// Direct file imports, not #core/*: the area indexes pull in Node-only
// modules (fs, Git, S3) and the ajv compiler, which must not reach the
// browser bundle. contribution.ts and what it imports are browser-safe.
import { item as itemValidator } from 'virtual:agora-validators'
import { newFileUrl, type RepositoryRef } from '../../core/catalog/new-file-url.ts'
import { toYaml } from '../../core/catalog/to-yaml.ts'
import { formatLocation, type Issue } from '../../core/errors/issue.ts'
import type { Kind } from '../../core/names/kinds.ts'
import { type ContributionFacts, validateContribution } from '../../core/registry/contribution.ts'

/** The first line of every item.yaml the form writes; issues' line numbers count it. */
const YAML_HEADER = '# yaml-language-server: $schema=../../../../schemas/item.schema.json\n'

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
}

/**
 * The manifest the form describes, with only the fields that apply to the kind.
 *
 * @example buildManifest(form) // { kind: 'dataset', id: 'acme/new-set', title: 'New set', … }
 */
export function buildManifest(form: HTMLFormElement): Record<string, unknown> {
  const data = new FormData(form)
  const get = (name: string): string => String(data.get(name) ?? '').trim()
  const kind = get('kind') as Kind
  const applies = (name: string): boolean => {
    const kinds = form.querySelector<HTMLElement>(`[data-field="${name}"]`)?.dataset['kinds'] ?? ''
    return kinds === '' || kinds.split(' ').includes(kind)
  }
  const out: Record<string, unknown> = {
    kind,
    id: `${get('ns')}/${get('name')}`,
    title: get('title'),
    summary: get('summary'),
  }
  out['owners'] = list(get('owners'))
  out['license'] = get('license')
  if (get('license') === 'other') {
    if (get('license_name')) out['license_name'] = get('license_name')
    if (get('license_link')) out['license_link'] = get('license_link')
  }
  if (get('domain')) out['domain'] = get('domain')
  if (list(get('tags')).length) out['tags'] = list(get('tags'))
  const pricing = get('pricing')
  if (pricing && pricing !== 'free') {
    const p: Record<string, unknown> = { model: pricing }
    if (get('price') !== '') p['price'] = Number(get('price'))
    out['pricing'] = p
  }
  for (const name of [
    'pipeline_tag',
    'library_name',
    'architecture',
    'format',
    'adapter_type',
    'protocol_version',
    'base_model',
    'use_case',
    'task',
  ]) {
    if (applies(name) && get(name)) out[name] = get(name)
  }
  for (const name of ['task_categories', 'trigger_words']) {
    if (applies(name) && list(get(name)).length) out[name] = list(get(name))
  }
  if (kind === 'benchmark') {
    out['metrics'] = lines(get('metrics')).map((line) => {
      const [name = '', better = 'higher'] = line.split(',').map((s) => s.trim())
      return { name, higher_is_better: !/^lower$/i.test(better) }
    })
  }
  if (kind === 'collection') {
    out['items'] = lines(get('items')).map((line) => {
      const [ref = '', ...note] = line.split(' - ')
      return note.length ? { ref: ref.trim(), note: note.join(' - ').trim() } : { ref: ref.trim() }
    })
  }
  return out
}

/**
 * The form field an issue belongs to: README issues to the README, the
 * others by the top-level key of the item.yaml line they point at.
 */
function fieldFor(issue: Issue, yaml: string): string {
  if (issue.file?.endsWith('/README.md')) return 'readme'
  if (issue.code === 'naming/confusable') {
    return issue.message.startsWith('new namespace') ? 'ns' : 'name'
  }
  const missing = /missing required field "([^"]+)"$/.exec(issue.message)?.[1]
  if (missing !== undefined) return missing === 'id' ? 'name' : missing
  if (issue.line === undefined) return 'form'
  const all = yaml.split('\n')
  const own = all[issue.line - 1] ?? ''
  if (/^\s+price:/.test(own)) return 'price'
  for (let i = issue.line - 1; i >= 0; i--) {
    const key = /^([A-Za-z_-]+):/.exec(all[i] ?? '')?.[1]
    if (key === undefined) continue
    if (key === 'id') return /namespace/.test(issue.message) ? 'ns' : 'name'
    return key
  }
  return 'form'
}

/** One issue as the CLI prints it: location, code, message, then the hint. */
function issueItem(issue: Issue): HTMLLIElement {
  const li = document.createElement('li')
  li.dataset['code'] = issue.code
  li.dataset['severity'] = issue.severity
  if (issue.line !== undefined) li.dataset['line'] = String(issue.line)
  const where = formatLocation(issue)
  if (where) {
    const loc = document.createElement('code')
    loc.textContent = where
    li.append(loc, ' ')
  }
  const code = document.createElement('strong')
  code.textContent = issue.code
  const message = document.createElement('span')
  message.className = 'message'
  message.textContent = issue.message
  li.append(code, ' ', message)
  if (issue.hint) {
    const hint = document.createElement('span')
    hint.className = 'hint'
    hint.textContent = `hint: ${issue.hint}`
    li.append(hint)
  }
  return li
}

/** Points a download link at fresh text, releasing the previous object URL. */
function offer(link: HTMLElement | null, text: string, type: string): void {
  if (!(link instanceof HTMLAnchorElement)) return
  if (link.href.startsWith('blob:')) URL.revokeObjectURL(link.href)
  link.href = URL.createObjectURL(new Blob([text], { type }))
}

/**
 * The Contribute form: shows the fields of the chosen kind, writes item.yaml
 * and checks it with validateContribution, the rules `agora validate` runs
 * (item schema compiled at build time, hub settings, owners and taken ids
 * from /contribute.json). Every issue is listed with its code, line and
 * hint and put next to its field; a clean item is offered as a GitHub
 * new-file link and downloads.
 *
 * @example initContribute()
 */
export function initContribute(): void {
  const form = document.getElementById('contribute')
  if (!(form instanceof HTMLFormElement)) return
  form.hidden = false
  const kindSelect = form.querySelector<HTMLSelectElement>('#f-kind')
  const repoText = form.dataset['repo']
  const repo = repoText ? (JSON.parse(repoText) as RepositoryRef) : undefined
  const facts: Promise<ContributionFacts> = fetch(form.dataset['facts'] ?? '/contribute.json').then(
    (response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      return response.json() as Promise<ContributionFacts>
    },
  )
  // Reported when a check needs the facts, not as an unhandled rejection now.
  facts.catch(() => undefined)
  const report = document.getElementById('contribute-report')
  const result = document.getElementById('contribute-result')
  const showKind = (): void => {
    const kind = kindSelect?.value ?? ''
    for (const el of form.querySelectorAll<HTMLElement>('[data-kinds]')) {
      const kinds = el.dataset['kinds'] ?? ''
      el.hidden = kinds !== '' && !kinds.split(' ').includes(kind)
    }
  }
  kindSelect?.addEventListener('change', showKind)
  showKind()

  const clearErrors = (): void => {
    for (const el of form.querySelectorAll<HTMLElement>('.error')) {
      el.hidden = true
      el.textContent = ''
    }
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid')
  }
  const addError = (field: string, message: string): void => {
    const input = form.querySelector<HTMLElement>(`#f-${CSS.escape(field)}`)
    const target =
      (input && !input.closest('[hidden]')
        ? form.querySelector<HTMLElement>(`#err-${CSS.escape(field)}`)
        : null) ?? form.querySelector<HTMLElement>('#err-form')
    if (!target) return
    target.hidden = false
    target.textContent = target.textContent ? `${target.textContent}; ${message}` : message
    input?.setAttribute('aria-invalid', 'true')
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    clearErrors()
    if (report) report.hidden = true
    if (result) result.hidden = true
    const manifest = buildManifest(form)
    const data = new FormData(form)
    const kind = manifest['kind'] as Kind
    const ns = String(data.get('ns') ?? '').trim()
    const name = String(data.get('name') ?? '').trim()
    const readme = String(data.get('readme') ?? '')
    const yaml = `${YAML_HEADER}${toYaml(manifest)}`
    let known: ContributionFacts
    try {
      known = await facts
    } catch (error) {
      addError(
        'form',
        `could not load the registry's owners and ids (${error instanceof Error ? error.message : String(error)}); reload the page to check again`,
      )
      return
    }
    const checked = validateContribution(
      { kind, ns, name, item: yaml, readme },
      known,
      itemValidator,
    )
    const errors = checked.issues.filter((i) => i.severity === 'error')
    const verdict = document.getElementById('contribute-verdict')
    if (verdict) {
      verdict.dataset['ok'] = String(checked.ok)
      const warnings = checked.issues.length - errors.length
      verdict.textContent = checked.ok
        ? warnings > 0
          ? `Valid, with ${warnings} warning${warnings === 1 ? '' : 's'}.`
          : 'Valid.'
        : `${errors.length} problem${errors.length === 1 ? '' : 's'} to fix before this item can be merged.`
    }
    document.getElementById('contribute-issues')?.replaceChildren(...checked.issues.map(issueItem))
    const pathEl = document.getElementById('contribute-path')
    const yamlEl = document.getElementById('contribute-yaml')
    if (pathEl) pathEl.textContent = checked.file
    if (yamlEl) {
      // One span per line, numbered by CSS, so the issues' line numbers can be read off.
      const flagged = new Set(errors.filter((i) => i.file === checked.file).map((i) => i.line))
      yamlEl.replaceChildren(
        ...yaml.split(/(?<=\n)/).map((text, i) => {
          const line = document.createElement('span')
          line.className = 'line'
          if (flagged.has(i + 1)) line.dataset['issue'] = 'true'
          line.textContent = text
          return line
        }),
      )
    }
    if (report) report.hidden = false
    for (const issue of errors) addError(fieldFor(issue, yaml), `${issue.code}: ${issue.message}`)
    if (!checked.ok) {
      form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus()
      return
    }
    const github = document.getElementById('contribute-github')
    if (github instanceof HTMLAnchorElement && repo) {
      github.href = newFileUrl(repo, checked.file, yaml)
    }
    offer(document.getElementById('contribute-download'), yaml, 'application/yaml')
    offer(document.getElementById('contribute-readme'), readme, 'text/markdown')
    if (result) {
      result.hidden = false
      result.scrollIntoView({ block: 'nearest' })
    }
  })
}
