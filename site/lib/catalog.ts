import { getCollection } from 'astro:content'
import { createHash } from 'node:crypto'
import { resolve } from 'node:path'
import { type LinkEntry, readLinksFile } from '#core/billing'
import {
  type BuildInfo,
  type CatalogDetail,
  type CatalogEntry,
  type CatalogIndex,
  type CatalogRecord,
  type CatalogStats,
  computeStats,
  DetailStore,
  EntryStore,
  indexCatalog,
} from '#core/catalog'
import type { OwnerManifest } from '#core/manifest'

export interface SiteCatalog extends CatalogIndex {
  build: BuildInfo
  stats: CatalogStats
  /** An item's versions with files and its rendered card, read from disk for its own pages. */
  detailOf(key: string): Promise<CatalogDetail>
  /**
   * A key that changes whenever anything an item's page or API file shows
   * changes: its own data, its owners, its similar items, lineage children,
   * collections and leaderboard, the hub and the trending reference date.
   * Incremental builds skip pages whose key is unchanged.
   */
  cacheKeyOf(key: string): string
  /** A key over several entries, for listing pages. */
  cacheKeyOfList(keys: readonly string[], extra?: unknown): string
  /** What payments/links.json (written by `agora stripe sync`) says of an item, by key. */
  sales: Map<string, LinkEntry>
  /** The links lead to the local fake checkout of `npm start`: pages say "test mode". */
  salesTestMode: boolean
}

let cached: Promise<SiteCatalog> | undefined

async function load(): Promise<SiteCatalog> {
  // The loader stores the hub and owners as CatalogRecord objects (no schema:
  // the registry's own validators already checked every document) and each
  // item's entry in the entries file.
  const raw: { id: string; digest?: string | number; data: unknown }[] =
    await getCollection('catalog')
  const digests = new Map(raw.map((e) => [e.id, String(e.digest ?? '')]))
  const records = raw.map((e) => e.data as unknown as CatalogRecord)
  const hubRecord = records.find((r) => r.type === 'hub')
  if (!hubRecord || hubRecord.type !== 'hub') {
    throw new Error('catalog: registry/agora.yaml did not load; run `agora validate`')
  }
  const owners = new Map<string, OwnerManifest>()
  for (const r of records) if (r.type === 'owner') owners.set(r.ns, r.owner)
  const entries: CatalogEntry[] = []
  for await (const { key, digest, entry } of new EntryStore(hubRecord.entriesFile).read()) {
    entries.push(entry)
    digests.set(`item:${key}`, digest)
  }
  const index = indexCatalog(entries, hubRecord.hub, owners)
  // The sync's output sits beside registry/ under the same root the loader reads.
  // `npm start` alone names another file: its test-mode links to the local fake checkout.
  const links = await readLinksFile(resolve(process.env.AGORA_ROOT ?? process.cwd()), {
    file: process.env.AGORA_PAYMENT_LINKS,
  })
  const sales = new Map(Object.entries(links.items))
  const base = `${digests.get('hub')}|${index.asOf}`
  const hash = (text: string): string => createHash('sha1').update(text).digest('base64url')
  const keys = new Map<string, string>()
  const cacheKeyOf = (key: string): string => {
    const hit = keys.get(key)
    if (hit) return hit
    const entry = index.byKey.get(key)
    const related = [
      ...(index.similar.get(key) ?? []),
      ...(index.children.get(key) ?? []).map((c) => c.key),
      ...(index.collections.get(key) ?? []),
      ...(index.leaderboards.get(key) ?? []).map((r) => r.key),
      ...(entry?.parents.map((p) => p.key ?? p.text) ?? []),
      ...(entry?.members.map((m) => m.key ?? m.text) ?? []),
    ]
    const parts = [
      base,
      digests.get(`item:${key}`),
      JSON.stringify(sales.get(key) ?? null),
      String(links.test_mode === true),
    ]
    for (const k of related) parts.push(k, digests.get(`item:${k}`))
    for (const ns of entry?.item.owners ?? []) parts.push(ns, digests.get(`owner:${ns}`))
    const value = hash(parts.join('|'))
    keys.set(key, value)
    return value
  }
  const cacheKeyOfList = (list: readonly string[], extra?: unknown): string =>
    hash(
      [
        base,
        JSON.stringify(extra ?? null),
        ...list.map((k) => `${k}:${digests.get(`item:${k}`)}`),
      ].join('|'),
    )
  const details = new DetailStore(hubRecord.detailsDir)
  const detailOf = (key: string): Promise<CatalogDetail> =>
    details.read(digests.get(`item:${key}`) ?? '')
  return {
    ...index,
    detailOf,
    build: hubRecord.build,
    stats: computeStats(index.entries),
    cacheKeyOf,
    cacheKeyOfList,
    sales,
    salesTestMode: links.test_mode === true,
  }
}

/**
 * The whole catalog, indexed once per build and shared by every page: pages
 * are rendered in one process, so the work of indexing 10k items happens once.
 *
 * @example const { entries, hub } = await getCatalog()
 */
export function getCatalog(): Promise<SiteCatalog> {
  cached ??= load()
  return cached
}
