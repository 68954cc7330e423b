import semver from 'semver'
import type { SearchEntry, SearchIndex } from '#core/index-format'
import { INDEX_FORMAT_VERSION } from '#core/index-format'
import { refKey } from '#core/names'
import { facetsOf, trendingScore } from './entry.ts'
import type { SourceItem, SourceRegistry } from './types.ts'

/** File extensions worth telling a user about; at most this many per item. */
const MAX_FORMATS = 8

/**
 * The search document of a registry: items sorted by kind and id, trending
 * scored as of the newest date in the hub (as the catalog does), so the
 * same registry always gives the same bytes.
 *
 * @example buildSearchIndex(registry, 'a1b2…', 1767225600).items[0].id // 'acme/tox-gnn'
 */
export function buildSearchIndex(
  registry: SourceRegistry,
  commit?: string,
  sequence?: number,
): SearchIndex {
  const items = [...registry.items.values()].sort((a, b) =>
    refKey(a.ref).localeCompare(refKey(b.ref)),
  )
  const dated = items.map((item) => ({ item, ...activity(item) }))
  let asOf = '1970-01-01'
  for (const { releases, results } of dated)
    for (const date of [...releases, ...results]) if (date > asOf) asOf = date
  return {
    v: INDEX_FORMAT_VERSION,
    hub: registry.hub.name,
    ...(commit === undefined ? {} : { commit }),
    ...(sequence === undefined ? {} : { sequence }),
    items: dated.map(({ item, releases, results }) =>
      searchEntry(item, releases, trendingScore(releases, results, asOf)),
    ),
  }
}

function activity(source: SourceItem): { releases: string[]; results: string[] } {
  const releases = [...source.versions.values()]
    .map((v) => (v.released === undefined ? '' : String(v.released)))
    .filter(Boolean)
    .sort()
  const results = source.results.map((r) => String(r.value.date ?? '')).filter(Boolean)
  return { releases, results }
}

function searchEntry(source: SourceItem, releases: string[], trending: number): SearchEntry {
  const { item, ref } = source
  const facets = facetsOf(item)
  const latest = latestVersion(source)
  const files = latest === undefined ? [] : (source.versions.get(latest)?.files ?? [])
  const extensions = files
    .map((f) => /\.([a-z0-9]{1,12})$/i.exec(f.path)?.[1]?.toLowerCase())
    .filter((e): e is string => e !== undefined)
  const formats = unique([...facets.framework, ...extensions]).slice(0, MAX_FORMATS)
  const released = latest === undefined ? undefined : source.versions.get(latest)?.released
  const updated = released === undefined ? releases.at(-1) : String(released)
  const entry: SearchEntry = {
    kind: ref.kind,
    id: `${ref.ns}/${ref.name}`,
    title: item.title,
    summary: item.summary,
    owners: [...item.owners],
    license: facets.license[0] ?? item.license,
  }
  const lists = {
    domains: unique(facets.domain),
    tags: unique(facets.tags),
    tasks: unique(facets.task),
    formats,
  }
  for (const [field, values] of Object.entries(lists))
    if (values.length > 0) entry[field as keyof typeof lists] = values
  if (latest !== undefined) entry.latest = latest
  if (releases[0] !== undefined) entry.created = releases[0]
  if (updated !== undefined) entry.updated = updated
  if (trending > 0) entry.trending = trending
  if (item.status && item.status.state !== 'active') entry.status = item.status.state
  return entry
}

/** `dist-tags.latest` when it names a version, else the highest stable version, else the highest. */
function latestVersion(source: SourceItem): string | undefined {
  const tagged = source.item['dist-tags']?.['latest']
  if (tagged !== undefined && source.versions.has(tagged)) return tagged
  const versions = [...source.versions.keys()].filter((v) => semver.valid(v)).sort(semver.rcompare)
  return versions.find((v) => !semver.prerelease(v)) ?? versions[0]
}

/** Strings only, each once, in their first order: a manifest may leave a facet undefined. */
function unique(values: readonly unknown[]): string[] {
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v !== ''))]
}
