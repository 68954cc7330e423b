import type { BenchmarkItem, HubConfig, MetricDefinition, OwnerManifest } from '#core/manifest'
import { type Badge, badgesOf, type Grade, gradeResult, topRated } from '#core/qa'
import { type Kind, parseRef, refKey } from '#core/registry'
import { activityDates, trendingScore } from './entry.ts'
import { findSimilar } from './similar.ts'
import type { CatalogEntry, CatalogLink } from './types.ts'

/** A child in the lineage graph: an item derived from another. */
export interface LineageChild {
  key: string
  relation: string
}

/** One row of a benchmark leaderboard. */
export interface LeaderboardRow {
  /** `refKey` of the evaluated item. */
  key: string
  version: string
  scores: Record<string, number>
  date: string
  verified: boolean
  source?: { name?: string; url?: string; user?: string }
  /** Kind of the evaluated item: what the leaderboard's type filter offers. */
  kind: Kind
  /** QA's grade for verified rows; for community rows, the grade the hub's rules give the typed scores. */
  grade?: Grade
  badges: Badge[]
  /** Earlier versions' scores, oldest first. */
  history: { version: string; scores: Record<string, number>; date: string }[]
}

/** Lookups over the whole catalog, computed once per build. */
export interface CatalogIndex {
  hub: HubConfig
  owners: Map<string, OwnerManifest>
  entries: CatalogEntry[]
  byKey: Map<string, CatalogEntry>
  /** Newest release or result date in the hub: "now" for trending, so builds are reproducible. */
  asOf: string
  children: Map<string, LineageChild[]>
  /** Collections each item is listed in. */
  collections: Map<string, string[]>
  leaderboards: Map<string, LeaderboardRow[]>
  byOwner: Map<string, CatalogEntry[]>
  byTag: Map<string, CatalogEntry[]>
  byDomain: Map<string, CatalogEntry[]>
  byKind: Map<Kind, CatalogEntry[]>
  similar: Map<string, string[]>
  staffPicks: CatalogEntry[]
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}

/** Orders entries by trending score, then newest, then key: the default listing order. */
export function byTrending(a: CatalogEntry, b: CatalogEntry): number {
  return (
    b.trending - a.trending ||
    (b.updated ?? '').localeCompare(a.updated ?? '') ||
    a.key.localeCompare(b.key)
  )
}

/**
 * Indexes catalog entries for the pages: trending scores as of the newest
 * date in the hub, lineage children, collection membership, leaderboards,
 * owners, tags, domains, kinds, similar items and staff picks. Linear in the
 * number of entries except similarity, which is bounded by champion lists.
 *
 * @example
 * const index = indexCatalog(entries, hub, owners)
 * index.children.get('model/acme/base') // [{ key: 'lora/acme/legal', relation: 'adapter' }]
 */
export function indexCatalog(
  entries: readonly CatalogEntry[],
  hub: HubConfig,
  owners: Map<string, OwnerManifest>,
): CatalogIndex {
  let asOf = '1970-01-01'
  for (const e of entries) for (const d of activityDates(e)) if (d > asOf) asOf = d
  const sorted = entries
    .map((e) => ({
      ...e,
      trending: trendingScore(
        e.releases,
        e.results.map((r) => r.date),
        asOf,
      ),
    }))
    .sort(byTrending)
  const byKey = new Map(sorted.map((e) => [e.key, e]))

  const children = new Map<string, LineageChild[]>()
  const collections = new Map<string, string[]>()
  const leaderboards = new Map<string, LeaderboardRow[]>()
  const byOwner = new Map<string, CatalogEntry[]>()
  const byTag = new Map<string, CatalogEntry[]>()
  const byDomain = new Map<string, CatalogEntry[]>()
  const byKind = new Map<Kind, CatalogEntry[]>()
  for (const e of sorted) {
    for (const p of e.parents) {
      if (p.key && p.relation !== 'dataset' && byKey.has(p.key))
        push(children, p.key, { key: e.key, relation: p.relation ?? 'base' })
    }
    if (e.ref.kind === 'collection')
      for (const m of e.members) if (m.key) push(collections, m.key, e.key)
    for (const r of e.results) {
      const row: LeaderboardRow = {
        key: e.key,
        version: r.version,
        scores: r.scores,
        date: r.date,
        verified: r.verified,
        kind: e.ref.kind,
        badges: [],
        history: (r.history ?? []).map((h) => ({
          version: h.version,
          scores: h.scores,
          date: h.date,
        })),
      }
      if (r.source) row.source = r.source
      if (r.verified && r.grade) row.grade = r.grade
      push(leaderboards, r.benchmark, row)
    }
    for (const ns of e.item.owners) push(byOwner, ns, e)
    for (const tag of e.facets.tags) push(byTag, tag, e)
    for (const d of e.facets.domain) push(byDomain, d, e)
    push(byKind, e.ref.kind, e)
  }

  for (const [key, rows] of leaderboards) gradeLeaderboard(rows, byKey.get(key), hub)

  const staffPicks: CatalogEntry[] = []
  for (const text of hub.staff_picks ?? []) {
    const spec = parseRef(text)
    const hit = spec && byKey.get(refKey(spec))
    if (hit) staffPicks.push(hit)
  }

  return {
    hub,
    owners,
    entries: sorted,
    byKey,
    asOf,
    children,
    collections,
    leaderboards,
    byOwner,
    byTag,
    byDomain,
    byKind,
    similar: findSimilar(sorted.map((e) => ({ id: e.key, terms: e.terms }))),
    staffPicks,
  }
}

/**
 * Fills in grades (QA's own for verified rows, the hub's rules for the rest)
 * and the Verified and Top Rated badges of one benchmark's rows.
 */
function gradeLeaderboard(
  rows: LeaderboardRow[],
  bench: CatalogEntry | undefined,
  hub: HubConfig,
): void {
  if (bench?.item.kind === 'benchmark') {
    const item = bench.item as BenchmarkItem
    const id = `${bench.ref.ns}/${bench.ref.name}`
    for (const row of rows) {
      if (row.grade) continue
      const grade = gradeResult(row.scores, item, id, hub.qa).grade
      if (grade) row.grade = grade
    }
  }
  const top = topRated(rows)
  for (const row of rows) row.badges = badgesOf(row, top)
}

/**
 * A benchmark's leaderboard ordered by one metric: best first by the metric's
 * direction, rows without the metric last, verified before community on ties.
 *
 * @example sortLeaderboard(rows, { name: 'auc', higher_is_better: true })[0].scores.auc // the highest AUC
 */
export function sortLeaderboard(
  rows: readonly LeaderboardRow[],
  metric: MetricDefinition,
): LeaderboardRow[] {
  const sign = metric.higher_is_better ? -1 : 1
  return [...rows].sort((a, b) => {
    const va = a.scores[metric.name]
    const vb = b.scores[metric.name]
    if (va === undefined || vb === undefined)
      return va === undefined ? (vb === undefined ? 0 : 1) : -1
    return sign * (va - vb) || Number(b.verified) - Number(a.verified) || a.key.localeCompare(b.key)
  })
}

/** The link's target entry when it is in the catalog. */
export function linkTarget(index: CatalogIndex, link: CatalogLink): CatalogEntry | undefined {
  return link.key ? index.byKey.get(link.key) : undefined
}
