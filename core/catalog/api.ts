import type { HubConfig } from '#core/manifest'
import { kindPlural } from '#core/registry'
import type { CatalogIndex, LeaderboardRow } from './catalog-index.ts'
import { sortLeaderboard } from './catalog-index.ts'
import type { CatalogDetail, CatalogEntry } from './types.ts'
import { fileUrl } from './urls.ts'

/** Version of the static JSON API's documents; bumped on breaking change. */
export const API_VERSION = 1

/**
 * Path of an item's API document.
 *
 * @example apiItemPath({ kind: 'dataset', ns: 'acme', name: 'tox21' }) // '/api/datasets/acme/tox21.json'
 */
export function apiItemPath(ref: CatalogEntry['ref']): string {
  return `/api/${kindPlural(ref.kind)}/${ref.ns}/${ref.name}.json`
}

/** What listings carry per item: enough for a card, with links to the rest. */
export interface ApiSummary {
  id: string
  kind: string
  title: string
  summary: string
  owners: string[]
  license: string
  domain: string | null
  tags: string[]
  pricing: string
  latest: string | null
  updated: string | null
  status: string
  trending: number
  /** Always null: the hub records no download counts. */
  downloads: null
  url: string
  api: string
}

/**
 * The listing form of an entry.
 *
 * @example apiSummary(entry, 'https://hub.example.org').api // 'https://hub.example.org/api/models/acme/x.json'
 */
export function apiSummary(entry: CatalogEntry, baseUrl: string): ApiSummary {
  return {
    id: entry.refText,
    kind: entry.ref.kind,
    title: entry.item.title,
    summary: entry.item.summary,
    owners: entry.item.owners,
    license: entry.item.license,
    domain: entry.item.domain ?? null,
    tags: entry.facets.tags,
    pricing: entry.item.pricing?.model ?? 'free',
    latest: entry.latest ?? null,
    updated: entry.updated ?? null,
    status: entry.item.status?.state ?? 'active',
    trending: entry.trending,
    downloads: null,
    url: `${baseUrl}${entry.path}`,
    api: `${baseUrl}${apiItemPath(entry.ref)}`,
  }
}

/**
 * An item's full API document: the manifest, every version with its files
 * (size, sha256, download URL where public), results, lineage, collections
 * and similar items.
 *
 * @example apiItem(entry, detail, index).versions[0].files[0].sha256
 */
export function apiItem(entry: CatalogEntry, detail: CatalogDetail, index: CatalogIndex) {
  const base = index.hub.base_url
  const ids = (keys: readonly string[]) => keys.map((k) => index.byKey.get(k)?.refText ?? k)
  return {
    api_version: API_VERSION,
    ...apiSummary(entry, base),
    item: entry.item,
    versions: detail.versions.map((v) => ({
      ...v,
      files: v.files.map((f) => ({ ...f, download_url: fileUrl(index.hub, f) ?? null })),
    })),
    results: entry.results,
    lineage: {
      parents: entry.parents.map((p) => ({
        id: p.text,
        relation: p.relation ?? null,
        in_hub: Boolean(p.key && index.byKey.has(p.key)),
      })),
      children: (index.children.get(entry.key) ?? []).map((c) => ({
        id: index.byKey.get(c.key)?.refText ?? c.key,
        relation: c.relation,
      })),
    },
    collections: ids(index.collections.get(entry.key) ?? []),
    similar: ids(index.similar.get(entry.key) ?? []),
  }
}

/**
 * A benchmark's leaderboard document: metric definitions and rows ordered by
 * the first metric, each row marked verified (written by QA) or community.
 *
 * @example apiLeaderboard(benchmarkEntry, index).rows[0].item // best item's id
 */
export function apiLeaderboard(entry: CatalogEntry, index: CatalogIndex) {
  const metrics = entry.item.kind === 'benchmark' ? entry.item.metrics : []
  const rows: LeaderboardRow[] = index.leaderboards.get(entry.key) ?? []
  const first = metrics[0]
  const ordered = first ? sortLeaderboard(rows, first) : rows
  return {
    api_version: API_VERSION,
    benchmark: entry.refText,
    metrics,
    rows: ordered.map((r, i) => ({
      rank: i + 1,
      item: index.byKey.get(r.key)?.refText ?? r.key,
      version: r.version,
      scores: r.scores,
      date: r.date,
      verified: r.verified,
      status: r.verified ? 'verified' : 'community',
      grade: r.grade ?? null,
      badges: r.badges,
      type: r.kind,
      history: r.history,
      source: r.source ?? null,
    })),
  }
}

/** The hub's base URL without a trailing slash, for absolute API links. */
export function baseUrlOf(hub: HubConfig): string {
  return hub.base_url.replace(/\/+$/, '')
}
