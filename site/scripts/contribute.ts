// Direct file imports, not #core/*: the area indexes pull in Node-only
// modules (fs, S3) that must not reach the browser bundle.
import { item as validateItem } from 'virtual:agora-validators'
import { newFileUrl, type RepositoryRef } from '../../core/catalog/new-file-url.ts'
import { toYaml } from '../../core/catalog/to-yaml.ts'
import type { Kind } from '../../core/registry/kinds.ts'
import { itemDir } from '../../core/registry/paths.ts'

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/

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

/** Which form field an error at a JSON pointer (or a missing property) belongs to. */
function fieldFor(pointer: string, missing: unknown): string {
  const top = pointer.split('/')[1] ?? (typeof missing === 'string' ? missing : '')
  if (top === 'id') return 'name'
  if (top === 'pricing') return pointer.includes('/price') ? 'price' : 'pricing'
  return top || 'form'
}

/**
 * The Contribute form: shows the fields of the chosen kind, validates the
 * manifest with the registry's own JSON Schema (compiled at build time),
 * puts each error next to its field, and on success offers the YAML as a
 * GitHub new-file link and a download.
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
    const target =
      form.querySelector<HTMLElement>(`#err-${CSS.escape(field)}`) ??
      form.querySelector<HTMLElement>('#err-form')
    if (!target) return
    target.hidden = false
    target.textContent = target.textContent ? `${target.textContent}; ${message}` : message
    form.querySelector(`#f-${CSS.escape(field)}`)?.setAttribute('aria-invalid', 'true')
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault()
    clearErrors()
    if (result) result.hidden = true
    const manifest = buildManifest(form)
    const [ns = '', name = ''] = String(manifest['id']).split('/')
    let ok = true
    if (!NAME.test(ns)) {
      addError('ns', 'use lower-case letters, digits and hyphens (2–64 characters)')
      ok = false
    }
    if (!NAME.test(name)) {
      addError('name', 'use lower-case letters, digits and hyphens (2–64 characters)')
      ok = false
    }
    if (!validateItem(manifest)) {
      ok = false
      for (const error of validateItem.errors ?? []) {
        // if/then branches repeat their children's errors; the children say more.
        if (error.keyword === 'if') continue
        addError(
          fieldFor(error.instancePath, error.params['missingProperty']),
          error.message ?? error.keyword,
        )
      }
    }
    if (!ok) {
      form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus()
      return
    }
    const kind = manifest['kind'] as Kind
    const path = `registry/${itemDir({ kind, ns, name })}/item.yaml`
    const yaml = `# yaml-language-server: $schema=../../../../schemas/item.schema.json\n${toYaml(manifest)}`
    const pathEl = document.getElementById('contribute-path')
    const yamlEl = document.getElementById('contribute-yaml')
    if (pathEl) pathEl.textContent = path
    if (yamlEl) yamlEl.textContent = yaml
    const github = document.getElementById('contribute-github')
    if (github instanceof HTMLAnchorElement && repo) github.href = newFileUrl(repo, path, yaml)
    const download = document.getElementById('contribute-download')
    if (download instanceof HTMLAnchorElement) {
      if (download.href.startsWith('blob:')) URL.revokeObjectURL(download.href)
      download.href = URL.createObjectURL(new Blob([yaml], { type: 'application/yaml' }))
    }
    if (result) {
      result.hidden = false
      result.scrollIntoView({ block: 'nearest' })
    }
  })
}
