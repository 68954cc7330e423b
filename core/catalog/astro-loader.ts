import { fileURLToPath } from 'node:url'
import type { Loader } from 'astro/loaders'
import type { Issue } from '#core/errors'
import type { HubConfig, OwnerManifest } from '#core/manifest'
import { DetailStore } from './detail-store.ts'
import { buildEntry } from './entry.ts'
import type { CatalogDetail, CatalogEntry, SourceItem, SourceRegistry } from './types.ts'

/** Build facts the pages show that are not in the registry. */
export interface BuildInfo {
  /** Commit of the registry being built, for raw URLs pinned to it. */
  commit?: string
}

/** The one collection's entries, told apart by `type`. */
export type CatalogRecord =
  | { type: 'hub'; hub: HubConfig; build: BuildInfo; detailsDir: string }
  | { type: 'owner'; ns: string; owner: OwnerManifest }
  | ({ type: 'item' } & CatalogEntry)

export interface CatalogLoaderOptions {
  /** Reads the registry (the registry loader, bound to a root by the entry point). */
  load(): Promise<{ registry: SourceRegistry; issues: Issue[] }>
  build?: BuildInfo
  /** Folder of item details; default `agora-details/` in Astro's cache folder. */
  detailsDir?: string
}

/** What an item's digest covers: everything `buildEntry` reads. */
function digestSource(source: SourceItem): string {
  return JSON.stringify([
    source.dir,
    source.item,
    [...source.versions],
    source.results,
    source.readme ?? null,
  ])
}

/**
 * An Astro Content Layer object loader turning the registry into one
 * collection of catalog records: the hub, each owner, and each item's entry.
 * Each item's detail (versions with files, rendered card) goes to a
 * `DetailStore` file named by the item's digest instead: Astro's data store
 * is loaded whole into every build, details are read one page at a time.
 * Items whose manifests, versions, results and README are unchanged keep
 * their stored entry and detail (same digest), so a rebuild only re-renders
 * what changed; items gone from the registry are removed from both.
 *
 * @example
 * // site/content.config.ts
 * defineCollection({ loader: catalogLoader({ load: () => loadRegistry(root) }) })
 */
export function catalogLoader(options: CatalogLoaderOptions): Loader {
  return {
    name: 'agora-catalog',
    async load({ store, generateDigest, logger, config }) {
      const details = new DetailStore(
        options.detailsDir ?? fileURLToPath(new URL('agora-details/', config.cacheDir)),
      )
      const [{ registry, issues }, stored] = await Promise.all([options.load(), details.list()])
      const errors = issues.filter((i) => i.severity === 'error')
      if (errors.length > 0) {
        logger.warn(
          `${errors.length} registry error(s); items that failed to load are left out of the catalog`,
        )
      }
      const keep = new Set<string>()
      const put = (id: string, data: CatalogRecord, digest: string): void => {
        keep.add(id)
        store.set({ id, data: data as unknown as Record<string, unknown>, digest })
      }
      const hubRecord: CatalogRecord = {
        type: 'hub',
        hub: registry.hub,
        build: options.build ?? {},
        detailsDir: details.dir,
      }
      put('hub', hubRecord, generateDigest(JSON.stringify(hubRecord)))
      for (const [ns, owner] of registry.owners) {
        const record: CatalogRecord = { type: 'owner', ns, owner }
        put(`owner:${ns}`, record, generateDigest(JSON.stringify(record)))
      }
      // Details are written in batches so a cold build never holds them all.
      let batch: { digest: string; detail: CatalogDetail }[] = []
      let built = 0
      const keepDetails = new Set<string>()
      for (const [key, source] of registry.items) {
        const id = `item:${key}`
        const digest = generateDigest(digestSource(source))
        keepDetails.add(digest)
        if (store.get(id)?.digest === digest && stored.has(digest)) {
          keep.add(id)
          continue
        }
        const { entry, detail } = buildEntry(source)
        put(id, { type: 'item', ...entry }, digest)
        batch.push({ digest, detail })
        built += 1
        if (batch.length === 512) {
          await details.write(batch)
          batch = []
        }
      }
      await details.write(batch)
      const pruned = await details.prune(stored, keepDetails)
      let removed = 0
      for (const id of store.keys()) {
        if (!keep.has(id)) {
          store.delete(id)
          removed += 1
        }
      }
      logger.info(
        `${registry.items.size} items: ${built} built, ${registry.items.size - built} unchanged, ${removed} removed; ${pruned} stale details deleted`,
      )
    },
  }
}
