import semver from 'semver'
import type { Issue, Severity } from '#core/errors'
import { hintFor, type ManifestCode } from '#core/errors'
// The files, not #core/registry: its index reads the disk and Git, and these
// rules also run in the Contribute form's browser bundle.
import type { Kind } from '#core/names'
import { checkName, foldFilePath, isSafeFilePath, isWindowsReservedName } from '#core/names'
import { isSpdxId, REDISTRIBUTABLE_LICENSES, suggestSpdxId } from './license.ts'
import type { Located } from './load.ts'
import { parseManifestRef } from './refs.ts'
import { urlProblem } from './safe-url.ts'
import type { DocumentType } from './schema-issues.ts'
import { textProblem } from './text.ts'
import type {
  BenchmarkVersion,
  DatasetVersion,
  FileEntry,
  HubConfig,
  ItemManifest,
  LoraVersion,
  OwnerManifest,
  PipelineVersion,
  ResultManifest,
  VersionManifest,
} from './types.ts'
import { urlFieldProblem, urlValues } from './url-fields.ts'

type Path = readonly (string | number)[]

/** What a per-document rule sees: where the document came from and how to report. */
export interface RuleContext {
  file: string
  located: Pick<Located<unknown>, 'locate' | 'locateKey'>
  hub: HubConfig | undefined
  kind: Kind | undefined
  issues: Issue[]
}

/**
 * Pushes an issue positioned at a value path of the document.
 *
 * @example report(ctx, 'manifest/unknown-license', ['license'], 'license "MITT" is not an SPDX id')
 */
export function report(
  ctx: RuleContext,
  code: ManifestCode,
  path: Path,
  message: string,
  hint: string = hintFor(code),
  severity: Severity = 'error',
): void {
  const pos = ctx.located.locate(path)
  ctx.issues.push({ code, severity, message, hint, file: ctx.file, line: pos.line, col: pos.col })
}

/** A rule checks one concern of one document type and pushes issues. */
export type Rule<T> = (doc: T, ctx: RuleContext) => void

function checkRef(
  ctx: RuleContext,
  path: Path,
  text: string,
  defaultKind: Kind,
  options: { allowExternal?: boolean; allowVersion?: boolean } = {},
): void {
  if (parseManifestRef(text, defaultKind, options) === undefined) {
    const forms = options.allowExternal ? '[kind/]ns/name or hf:org/name' : '[kind/]ns/name'
    report(ctx, 'manifest/bad-ref', path, `reference "${text}" is not of the form ${forms}`)
  }
}

function checkSemver(ctx: RuleContext, path: Path, version: string, what: string): void {
  if (semver.valid(version) === null || semver.clean(version) !== version) {
    const coerced = semver.coerce(version)?.version
    report(
      ctx,
      'version/bad-semver',
      path,
      `${what} "${version}" is not a semantic version`,
      coerced ? `write it as "${coerced}"` : hintFor('version/bad-semver'),
    )
  }
}

/**
 * The license is an SPDX id allowed by the hub, or `other` with its name and link.
 *
 * @example ruleLicense(item, ctx) // manifest/unknown-license for license: MITT
 */
export const ruleLicense: Rule<ItemManifest> = (item, ctx) => {
  const license = item.license
  if (license === 'other') {
    if (!item.license_name || !item.license_link) {
      const missing = item.license_name ? 'license_link' : 'license_name'
      report(
        ctx,
        'manifest/license-other-incomplete',
        ['license'],
        `license: other needs ${missing}`,
      )
    } else if (ctx.hub && !ctx.hub.licenses.allow_other) {
      report(
        ctx,
        'manifest/license-other-incomplete',
        ['license'],
        'this hub does not accept license: other',
        `use one of: ${ctx.hub.licenses.allowed.join(', ')}`,
      )
    }
    return
  }
  if (!isSpdxId(license)) {
    const guess = suggestSpdxId(license)
    report(
      ctx,
      'manifest/unknown-license',
      ['license'],
      `license "${license}" is not an SPDX id`,
      guess
        ? `did you mean "${guess}"? Or set license: other with license_name and license_link`
        : hintFor('manifest/unknown-license'),
    )
    return
  }
  if (ctx.hub && !ctx.hub.licenses.allowed.includes(license)) {
    report(
      ctx,
      'manifest/license-not-allowed',
      ['license'],
      `license "${license}" is not allowed on this hub`,
      `use one of: ${ctx.hub.licenses.allowed.join(', ')}${ctx.hub.licenses.allow_other ? ', or other' : ''}`,
    )
  }
}

/**
 * Prices agree with the pricing model and the licence.
 *
 * @example rulePricing(item, ctx) // manifest/pricing-missing-interval for a subscription without interval
 */
export const rulePricing: Rule<ItemManifest> = (item, ctx) => {
  const p = item.pricing
  if (!p) return
  const paid = p.model === 'per-download' || p.model === 'per-query' || p.model === 'subscription'
  if ((p.model === 'free' || p.model === 'enterprise') && p.price !== undefined) {
    report(
      ctx,
      'manifest/pricing-unexpected-price',
      ['pricing', 'price'],
      `a ${p.model} item has a price`,
    )
  }
  if (
    (p.model === 'per-download' || p.model === 'subscription') &&
    (p.price === undefined || !p.currency)
  ) {
    const missing = p.price === undefined ? 'price' : 'currency'
    report(
      ctx,
      'manifest/pricing-missing-price',
      ['pricing'],
      `${p.model} pricing needs ${missing}`,
    )
  }
  if (p.model === 'per-query') {
    if (p.price === undefined && p.query_limit === undefined) {
      report(
        ctx,
        'manifest/pricing-missing-limit',
        ['pricing'],
        'per-query pricing needs query_limit or price',
      )
    } else if (p.price !== undefined && !p.currency) {
      report(ctx, 'manifest/pricing-missing-price', ['pricing'], 'per-query pricing needs currency')
    }
  }
  if (p.model === 'subscription' && !p.interval) {
    report(
      ctx,
      'manifest/pricing-missing-interval',
      ['pricing'],
      'subscription pricing needs interval',
    )
  }
  if (p.model === 'enterprise' && !p.contact) {
    report(ctx, 'manifest/pricing-missing-contact', ['pricing'], 'enterprise pricing needs contact')
  }
  if (item.kind === 'collection' && p.model !== 'free') {
    report(
      ctx,
      'manifest/pricing-not-sellable',
      ['pricing', 'model'],
      `a collection cannot be sold (${p.model})`,
    )
  }
  if (paid && REDISTRIBUTABLE_LICENSES.has(item.license)) {
    report(
      ctx,
      'manifest/paid-permissive-license',
      ['pricing', 'model'],
      `${p.model} pricing under ${item.license}, which lets any buyer redistribute the item for free`,
      hintFor('manifest/paid-permissive-license'),
      'warning',
    )
  }
}

function ruleStatusReason(
  status: { state: string; reason?: string } | undefined,
  ctx: RuleContext,
): void {
  if (status && status.state !== 'active' && !status.reason?.trim()) {
    report(
      ctx,
      'manifest/status-reason-required',
      ['status'],
      `status ${status.state} gives no reason`,
    )
  }
}

/**
 * Every reference an item makes parses (whether it resolves is a registry rule).
 *
 * @example ruleItemRefs(item, ctx) // manifest/bad-ref for datasets: ['datasets//x']
 */
export const ruleItemRefs: Rule<ItemManifest> = (item, ctx) => {
  const bases = item.base_model === undefined ? [] : [item.base_model].flat()
  for (const [i, b] of bases.entries()) {
    const path = Array.isArray(item.base_model) ? ['base_model', i] : ['base_model']
    checkRef(ctx, path, b, 'model', { allowExternal: true })
  }
  for (const [i, d] of (item.datasets ?? []).entries()) {
    checkRef(ctx, ['datasets', i], d, 'dataset', { allowExternal: true })
  }
  if (item.forked_from) checkRef(ctx, ['forked_from'], item.forked_from, item.kind)
  if (item.status?.replacement)
    checkRef(ctx, ['status', 'replacement'], item.status.replacement, item.kind)
  if (item.kind === 'collection') {
    for (const [i, e] of item.items.entries()) {
      checkRef(ctx, ['items', i, 'ref'], e.ref, 'model', { allowVersion: true })
    }
  }
}

/**
 * The id's parts follow the naming rules. Whether they match the folder is a registry rule.
 *
 * @example ruleIdNaming(item, ctx) // naming/reserved for id: acme/api
 */
export const ruleIdNaming: Rule<ItemManifest> = (item, ctx) => {
  const [ns, name, ...rest] = item.id.split('/')
  if (ns === undefined || name === undefined || rest.length > 0) return
  const reserved = ctx.hub?.reserved_names ?? []
  for (const issue of [
    ...checkName(ns, 'namespace', reserved),
    ...checkName(name, 'name', reserved),
  ]) {
    report(ctx, issue.code as ManifestCode, ['id'], issue.message, issue.hint)
  }
}

/**
 * The item's domain and kind are enabled by the hub.
 *
 * @example ruleHubScope(item, ctx) // manifest/unknown-domain for a domain agora.yaml lacks
 */
export const ruleHubScope: Rule<ItemManifest> = (item, ctx) => {
  if (!ctx.hub) return
  if (!ctx.hub.kinds.includes(item.kind)) {
    report(
      ctx,
      'registry/kind-disabled',
      ['kind'],
      `kind "${item.kind}" is not enabled on this hub`,
    )
  }
  if (item.domain !== undefined && !ctx.hub.domains.some((d) => d.id === item.domain)) {
    report(
      ctx,
      'manifest/unknown-domain',
      ['domain'],
      `domain "${item.domain}" is not one of this hub's domains`,
      `use one of: ${ctx.hub.domains.map((d) => d.id).join(', ') || '(none configured)'}`,
    )
  }
}

/**
 * dist-tags name semantic versions; whether those exist is a registry rule.
 *
 * @example ruleDistTagSyntax(item, ctx) // version/bad-semver for dist-tags: { latest: '1.0' }
 */
export const ruleDistTagSyntax: Rule<ItemManifest> = (item, ctx) => {
  for (const [tag, version] of Object.entries(item['dist-tags'] ?? {})) {
    checkSemver(ctx, ['dist-tags', tag], version, `dist-tag ${tag}`)
  }
}

/**
 * No key or string anywhere in a document hides bidi overrides, zero-width or
 * control characters: titles, summaries, names, descriptions and tags are
 * shown on the site and in terminals as they are written (`manifest/invalid-text`).
 *
 * @example ruleText({ title: 'evil\u202Egpj.exe' }, ctx) // manifest/invalid-text at title
 */
export const ruleText: Rule<unknown> = (doc, ctx) => {
  const visit = (value: unknown, path: (string | number)[]) => {
    if (typeof value === 'string') {
      const problem = textProblem(value)
      if (problem) report(ctx, 'manifest/invalid-text', path, `${fieldLabel(path)} ${problem}`)
    } else if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) visit(v, [...path, i])
    } else if (value !== null && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        const problem = textProblem(key)
        if (problem) {
          const pos = (ctx.located.locateKey ?? ctx.located.locate)([...path, key])
          ctx.issues.push({
            code: 'manifest/invalid-text',
            severity: 'error',
            message: `key ${JSON.stringify(key)} ${problem}`,
            hint: hintFor('manifest/invalid-text'),
            file: ctx.file,
            line: pos.line,
            col: pos.col,
          })
          continue
        }
        visit(v, [...path, key])
      }
    }
  }
  visit(doc, [])
}

function fieldLabel(path: Path): string {
  let out = ''
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg
  return out || 'the document'
}

/** The id alphabet, for names that become one segment of a site URL. */
const URL_SEGMENT = /^[a-z0-9](?:[a-z0-9]|[-_.](?=[a-z0-9])){0,63}$/

/**
 * Tags become site URLs (`/tags/<tag>`), so after lower-casing they use the
 * id alphabet: a tag `..` or `a/b` would break the build or point elsewhere.
 * Metric, split, task and score names are held to it by the schemas.
 *
 * @example ruleUrlSegments({ …, tags: ['..'] }, ctx) // manifest/invalid-segment
 */
export const ruleUrlSegments: Rule<ItemManifest> = (item, ctx) => {
  for (const [i, tag] of (item.tags ?? []).entries()) {
    if (URL_SEGMENT.test(tag)) continue
    report(
      ctx,
      'manifest/invalid-segment',
      ['tags', i],
      `tag ${JSON.stringify(tag)} cannot be part of a URL`,
      `write tags with lower-case a-z and 0-9, with -, _ or . only between them, such as "${tag.replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'toxicology'}"`,
    )
  }
}

/**
 * Every URL field holds an https URL (mailto: for a contact, loopback http
 * for hub settings): the schema's pattern lets through what only a URL
 * parser sees, such as user names and passwords or a missing host
 * (`manifest/unsafe-url`; external file URLs are `files/insecure-url`, in ruleFiles).
 *
 * @example ruleUrls('item', item, ctx) // manifest/unsafe-url for links.homepage: https://user:pw@x.example
 */
export function ruleUrls(type: DocumentType, doc: unknown, ctx: RuleContext): void {
  for (const { path, value, field } of urlValues(type, doc)) {
    if (field.path === 'files[].url') continue
    const problem = urlFieldProblem(field, value)
    if (problem) {
      report(
        ctx,
        'manifest/unsafe-url',
        path,
        `${fieldLabel(path)} ${JSON.stringify(value)} ${problem}`,
      )
    }
  }
}

export const ITEM_RULES: readonly Rule<ItemManifest>[] = [
  ruleUrlSegments,
  ruleLicense,
  rulePricing,
  (item, ctx) => ruleStatusReason(item.status, ctx),
  ruleItemRefs,
  ruleIdNaming,
  ruleHubScope,
  ruleDistTagSyntax,
]

/**
 * Paths are safe and distinct, hashes and sizes well formed, external URLs https.
 *
 * @example ruleFiles(version, ctx) // files/unsafe-path for path: ../etc/passwd
 */
export const ruleFiles: Rule<{ files: FileEntry[] }> = (version, ctx) => {
  const seen = new Map<string, number>()
  version.files.forEach((f, i) => {
    if (!isSafeFilePath(f.path)) {
      const reserved = f.path.split('/').find(isWindowsReservedName)
      report(
        ctx,
        'files/unsafe-path',
        ['files', i, 'path'],
        reserved === undefined
          ? `file path ${JSON.stringify(f.path)} is not safe`
          : `file path ${JSON.stringify(f.path)} uses "${reserved}", a device name on Windows`,
        reserved === undefined
          ? hintFor('files/unsafe-path')
          : 'rename the file: CON, PRN, AUX, NUL, COM1-9 and LPT1-9 (with any extension, in any case) cannot be files on Windows',
      )
    }
    const folded = foldFilePath(f.path)
    const first = seen.get(folded)
    if (first !== undefined) {
      report(
        ctx,
        'files/duplicate-path',
        ['files', i, 'path'],
        `file path "${f.path}" repeats files[${first}] ("${version.files[first]?.path}")`,
      )
    } else {
      seen.set(folded, i)
    }
    if (f.url !== undefined) {
      const problem = urlProblem(f.url)
      if (problem) {
        report(ctx, 'files/insecure-url', ['files', i, 'url'], `file URL "${f.url}" ${problem}`)
      }
    }
  })
  // A path that is a file and also a folder of another cannot be written to disk.
  version.files.forEach((f, i) => {
    const parts = foldFilePath(f.path).split('/')
    for (let n = 1; n < parts.length; n++) {
      const file = seen.get(parts.slice(0, n).join('/'))
      if (file === undefined) continue
      report(
        ctx,
        'files/path-conflict',
        ['files', i, 'path'],
        `file path "${f.path}" puts a file under files[${file}] ("${version.files[file]?.path}"), which is a file itself`,
      )
      break
    }
  })
}

function checkListedFiles(
  ctx: RuleContext,
  files: FileEntry[],
  listed: string[] | undefined,
  path: Path,
): void {
  if (!listed) return
  const paths = new Set(files.map((f) => f.path))
  listed.forEach((p, i) => {
    if (!paths.has(p))
      report(ctx, 'files/unknown-file', [...path, i], `"${p}" is not one of the version's files`)
  })
}

/**
 * Kind-specific fields of a version that name files or other items.
 *
 * @example ruleVersionKindFields(version, { ...ctx, kind: 'benchmark' }) // files/unknown-file
 */
export const ruleVersionKindFields: Rule<VersionManifest> = (version, ctx) => {
  switch (ctx.kind) {
    case 'dataset':
      for (const [i, s] of ((version as DatasetVersion).splits ?? []).entries()) {
        checkListedFiles(ctx, version.files, s.files, ['splits', i, 'files'])
      }
      break
    case 'benchmark':
      checkListedFiles(ctx, version.files, (version as BenchmarkVersion).test_files, ['test_files'])
      break
    case 'pipeline':
      ;(version as PipelineVersion).steps.forEach((s, i) => {
        checkRef(ctx, ['steps', i, 'uses'], s.uses, 'model')
        if (s.version !== undefined && semver.validRange(s.version) === null) {
          report(
            ctx,
            'version/bad-semver',
            ['steps', i, 'version'],
            `step version "${s.version}" is not a semver range`,
          )
        }
      })
      break
    case 'lora': {
      const dataset = (version as LoraVersion).training?.dataset
      if (dataset)
        checkRef(ctx, ['training', 'dataset'], dataset, 'dataset', { allowExternal: true })
      break
    }
    default:
      break
  }
  version.metrics?.forEach((m, i) => {
    if (m.dataset)
      checkRef(ctx, ['metrics', i, 'dataset'], m.dataset, 'dataset', { allowExternal: true })
  })
}

export const VERSION_RULES: readonly Rule<VersionManifest>[] = [
  (v, ctx) => checkSemver(ctx, ['version'], v.version, 'version'),
  ruleFiles,
  ruleVersionKindFields,
  (v, ctx) => ruleStatusReason(v.status, ctx),
]

export const RESULT_RULES: readonly Rule<ResultManifest>[] = [
  (r, ctx) => checkRef(ctx, ['benchmark'], r.benchmark, 'benchmark'),
  (r, ctx) => checkSemver(ctx, ['version'], r.version, 'version'),
  (r, ctx) => {
    if (r.benchmark_version !== undefined)
      checkSemver(ctx, ['benchmark_version'], r.benchmark_version, 'benchmark_version')
  },
]

/**
 * A user names its GitHub login, an org its members: ownership checks need them.
 *
 * @example ruleOwnerIdentity(owner, ctx) // manifest/owner-incomplete for an org without members
 */
export const ruleOwnerIdentity: Rule<OwnerManifest> = (owner, ctx) => {
  if (owner.type === 'user' && !owner.github) {
    report(ctx, 'manifest/owner-incomplete', [], 'user owner has no github login')
  }
  if (owner.type === 'org' && !(owner.members && owner.members.length > 0)) {
    report(ctx, 'manifest/owner-incomplete', [], 'org owner lists no members')
  }
}

export const OWNER_RULES: readonly Rule<OwnerManifest>[] = [ruleOwnerIdentity]

export const HUB_RULES: readonly Rule<HubConfig>[] = [
  (hub, ctx) => {
    for (const [i, id] of hub.licenses.allowed.entries()) {
      if (isSpdxId(id)) continue
      const guess = suggestSpdxId(id)
      report(
        ctx,
        'manifest/unknown-license',
        ['licenses', 'allowed', i],
        `license "${id}" is not an SPDX id`,
        guess ? `did you mean "${guess}"?` : hintFor('manifest/unknown-license'),
      )
    }
  },
  (hub, ctx) => {
    for (const [i, r] of (hub.staff_picks ?? []).entries())
      checkRef(ctx, ['staff_picks', i], r, 'model')
  },
]
