import { getCollection } from 'astro:content'
import {
  type BuildInfo,
  type CatalogEntry,
  type CatalogIndex,
  type CatalogRecord,
  type CatalogStats,
  computeStats,
  indexCatalog,
} from '#core/catalog'
import type { OwnerManifest } from '#core/manifest'

export interface SiteCatalog extends CatalogIndex {
  build: BuildInfo
  stats: CatalogStats
}

let cached: Promise<SiteCatalog> | undefined

async function load(): Promise<SiteCatalog> {
  // The loader stores CatalogRecord objects; the collection has no schema
  // because the registry's own validators already checked every document.
  const records = (await getCollection('catalog')).map((e) => e.data as unknown as CatalogRecord)
  const hubRecord = records.find((r) => r.type === 'hub')
  if (!hubRecord || hubRecord.type !== 'hub')
    throw new Error('catalog: registry/agora.yaml did not load; run `agora validate`')
  const owners = new Map<string, OwnerManifest>()
  const entries: CatalogEntry[] = []
  for (const r of records) {
    if (r.type === 'owner') owners.set(r.ns, r.owner)
    else if (r.type === 'item') entries.push(r)
  }
  const index = indexCatalog(entries, hubRecord.hub, owners)
  return { ...index, build: hubRecord.build, stats: computeStats(index.entries) }
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
