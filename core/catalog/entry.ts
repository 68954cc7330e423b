import semver from 'semver'
import type { CollectionItem, ItemManifest, PipelineVersion, VersionManifest } from '#core/manifest'
import { formatRef, type ItemRef, type Kind, kindPlural, parseRef, refKey } from '#core/registry'
import { htmlText, renderReadme } from './render-readme.ts'
import { termFrequencies } from './text.ts'
import type {
  BuiltEntry,
  CatalogEntry,
  CatalogLink,
  CatalogResult,
  Facets,
  SourceItem,
} from './types.ts'

/** How many terms an entry keeps for similarity. */
export const ENTRY_TERMS = 40

/**
 * Site path of an item page: `/<kind>s/<ns>/<name>/`, models included.
 *
 * @example itemPath({ kind: 'model', ns: 'acme', name: 'tox-gnn' }) // '/models/acme/tox-gnn/'
 */
export function itemPath(ref: ItemRef): string {
  return `/${kindPlural(ref.kind)}/${ref.ns}/${ref.name}/`
}

/**
 * Resolves a reference as written in a manifest. `hf:` ids and text that does
 * not parse stay unresolved and are shown as written.
 *
 * @example resolveLink('datasets/acme/tox21', 'model', 'dataset').key // 'dataset/acme/tox21'
 */
export function resolveLink(text: string, defaultKind: Kind, relation?: string): CatalogLink {
  const base: CatalogLink = relation === undefined ? { text } : { text, relation }
  if (text.startsWith('hf:')) return base
  const spec = parseRef(text, defaultKind)
  if (!spec) return base
  const ref: ItemRef = { kind: spec.kind, ns: spec.ns, name: spec.name }
  return { ...base, ref, key: refKey(ref) }
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

/** Newest first by semver; versions that do not parse go last, by name. */
function sortVersions(versions: Iterable<VersionManifest>): VersionManifest[] {
  return [...versions].sort((a, b) => {
    const va = semver.valid(a.version)
    const vb = semver.valid(b.version)
    if (va && vb) return semver.rcompare(va, vb)
    if (va) return -1
    if (vb) return 1
    return a.version < b.version ? -1 : 1
  })
}

function pickLatest(item: ItemManifest, versions: VersionManifest[]): string | undefined {
  const tagged = item['dist-tags']?.['latest']
  if (tagged && versions.some((v) => v.version === tagged)) return tagged
  const active = versions.find(
    (v) => (v.status?.state ?? 'active') === 'active' && !semver.prerelease(v.version),
  )
  return (active ?? versions[0])?.version
}

/**
 * The values an item is filtered by. `task` and `framework` read the field
 * each kind uses for them (pipeline_tag / task_categories / task / use_case,
 * library_name / format).
 *
 * @example facetsOf({ kind: 'model', library_name: 'pytorch', … }).framework // ['pytorch']
 */
export function facetsOf(item: ItemManifest): Facets {
  const task: string[] = []
  const framework: string[] = []
  switch (item.kind) {
    case 'model':
      if (item.pipeline_tag) task.push(item.pipeline_tag)
      if (item.library_name) framework.push(item.library_name)
      break
    case 'dataset':
      task.push(...(item.task_categories ?? []))
      framework.push(item.format)
      break
    case 'benchmark':
      task.push(item.task)
      break
    case 'pipeline':
      task.push(item.use_case)
      break
    case 'adapter':
      framework.push(`${item.adapter_type} adapter`)
      break
    case 'lora':
      framework.push('peft-lora')
      break
    case 'collection':
      break
  }
  return {
    kind: item.kind,
    domain: item.domain ? [item.domain] : [],
    task: [...new Set(task)],
    license: [item.license === 'other' && item.license_name ? item.license_name : item.license],
    baseModel: list(item.base_model).map((b) => (b.startsWith('hf:') ? b.slice(3) : b)),
    framework: [...new Set(framework)],
    price: [item.pricing?.model ?? 'free'],
    tags: [...new Set(item.tags ?? [])],
  }
}

function parentsOf(item: ItemManifest): CatalogLink[] {
  const relation = item.base_model_relation ?? (item.kind === 'lora' ? 'adapter' : 'base')
  const parents = list(item.base_model).map((b) => resolveLink(b, 'model', relation))
  if (item.forked_from) parents.push(resolveLink(item.forked_from, item.kind, 'fork'))
  for (const d of item.datasets ?? []) parents.push(resolveLink(d, 'dataset', 'dataset'))
  return parents
}

function membersOf(item: ItemManifest, latest: VersionManifest | undefined): CatalogLink[] {
  if (item.kind === 'collection') {
    return (item as CollectionItem).items.map((entry) => {
      const at = entry.ref.indexOf('@')
      const link = resolveLink(at === -1 ? entry.ref : entry.ref.slice(0, at), 'model', entry.note)
      return { ...link, text: entry.ref }
    })
  }
  if (item.kind === 'pipeline' && latest) {
    return ((latest as PipelineVersion).steps ?? []).map((step) =>
      resolveLink(step.uses, 'model', step.id),
    )
  }
  return []
}

/** Dates of releases and results: what the activity score is made of. */
export function activityDates(entry: Pick<CatalogEntry, 'releases' | 'results'>): string[] {
  return [...entry.releases, ...entry.results.map((r) => r.date)]
}

/**
 * Activity score as of a date: each release counts 1 and each evaluation
 * result 0.5, halved every 30 days of age. It ranks "trending" honestly from
 * what the registry records; the hub has no download counts.
 *
 * @example trendingScore(['2026-01-01'], [], '2026-01-31') // 0.5
 */
export function trendingScore(
  releases: readonly string[],
  results: readonly string[],
  asOf: string,
): number {
  const now = Date.parse(asOf)
  const decay = (date: string, weight: number): number => {
    const t = Date.parse(date)
    if (Number.isNaN(t) || Number.isNaN(now)) return 0
    const days = Math.max(0, (now - t) / 86_400_000)
    return weight * 0.5 ** (days / 30)
  }
  let score = 0
  for (const d of releases) score += decay(d, 1)
  for (const d of results) score += decay(d, 0.5)
  return Math.round(score * 1000) / 1000
}

/**
 * Builds the catalog entry and detail of one item: versions sorted, README
 * rendered and sanitised, facets, lineage and similarity terms. Pure: the
 * same item always gives the same result, which is what lets the content
 * loader skip unchanged items by digest. Scores that depend on the whole hub
 * (trending) are left at 0 and filled in by `indexCatalog`.
 *
 * @example buildEntry(registry.items.get('model/acme/tox-gnn')).entry.path // '/models/acme/tox-gnn/'
 */
export function buildEntry(source: SourceItem): BuiltEntry {
  const { item, ref } = source
  const versions = sortVersions(source.versions.values())
  const latest = pickLatest(item, versions)
  const latestVersion = versions.find((v) => v.version === latest)
  const dates = versions
    .map((v) => v.released)
    .filter((d): d is string => Boolean(d))
    .sort()
  const results: CatalogResult[] = source.results
    .map(({ value }) => {
      const link = resolveLink(value.benchmark, 'benchmark')
      const result: CatalogResult = {
        benchmark: link.key ?? value.benchmark,
        version: value.version,
        scores: value.scores,
        date: value.date,
        verified: value.verified === true,
      }
      if (link.ref) result.benchmarkRef = link.ref
      if (value.source) result.source = value.source
      if (value.grade) result.grade = value.grade
      if (value.history?.length) result.history = value.history
      return result
    })
    .sort((a, b) => (a.benchmark < b.benchmark ? -1 : a.benchmark > b.benchmark ? 1 : 0))
  const body = source.readme?.body ?? ''
  // One Markdown pass serves both the page and the similarity terms.
  const readmeHtml = body ? renderReadme(body) : ''
  const entry: CatalogEntry = {
    key: refKey(ref),
    ref: { kind: ref.kind, ns: ref.ns, name: ref.name },
    refText: formatRef(ref),
    path: itemPath(ref),
    dir: source.dir,
    item,
    releases: dates,
    counts: {
      versions: versions.length,
      files: versions.reduce((n, v) => n + v.files.length, 0),
      bytes: versions.reduce((n, v) => n + v.files.reduce((sum, f) => sum + f.size, 0), 0),
    },
    results,
    parents: parentsOf(item),
    members: membersOf(item, latestVersion),
    facets: facetsOf(item),
    terms: termFrequencies(
      [
        [`${ref.name.replace(/[-_]/g, ' ')} ${item.title}`, 4],
        [item.summary, 2],
        [(item.tags ?? []).join(' '), 3],
        [htmlText(readmeHtml).slice(0, 4000), 1],
      ],
      ENTRY_TERMS,
    ),
    size: (latestVersion?.files ?? []).reduce((sum, f) => sum + f.size, 0),
    trending: 0,
  }
  if (latest) entry.latest = latest
  const updated = latestVersion?.released ?? dates.at(-1)
  if (updated) entry.updated = updated
  if (dates[0]) entry.created = dates[0]
  const params = (latestVersion as { parameters?: number } | undefined)?.parameters
  if (typeof params === 'number') entry.parameters = params
  return { entry, detail: { versions, readmeHtml } }
}
