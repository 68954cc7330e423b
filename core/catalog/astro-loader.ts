import type { Loader } from 'astro/loaders'
import type { Issue } from '#core/errors'
import type { HubConfig, OwnerManifest } from '#core/manifest'
import { buildEntry } from './entry.ts'
import type { CatalogEntry, SourceItem, SourceRegistry } from './types.ts'

/** Build facts the pages show that are not in the registry. */
export interface BuildInfo {
  /** Commit of the registry being built, for raw URLs pinned to it. */
  commit?: string
}

/** The one collection's entries, told apart by `type`. */
export type CatalogRecord =
  | { type: 'hub'; hub: HubConfig; build: BuildInfo }
  | { type: 'owner'; ns: string; owner: OwnerManifest }
  | ({ type: 'item' } & CatalogEntry)

export interface CatalogLoaderOptions {
  /** Reads the registry (the registry loader, bound to a root by the entry point). */
  load(): Promise<{ registry: SourceRegistry; issues: Issue[] }>
  build?: BuildInfo
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
 * Items whose manifests, versions, results and README are unchanged keep
 * their stored entry (same digest), so a rebuild only re-renders what
 * changed; items gone from the registry are removed from the store.
 *
 * @example
 * // site/content.config.ts
 * defineCollection({ loader: catalogLoader({ load: () => loadRegistry(root) }) })
 */
export function catalogLoader(options: CatalogLoaderOptions): Loader {
  return {
    name: 'agora-catalog',
    async load({ store, generateDigest, logger }) {
      const { registry, issues } = await options.load()
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
      }
      put('hub', hubRecord, generateDigest(JSON.stringify(hubRecord)))
      for (const [ns, owner] of registry.owners) {
        const record: CatalogRecord = { type: 'owner', ns, owner }
        put(`owner:${ns}`, record, generateDigest(JSON.stringify(record)))
      }
      let rebuilt = 0
      for (const [key, source] of registry.items) {
        const id = `item:${key}`
        const digest = generateDigest(digestSource(source))
        if (store.get(id)?.digest === digest) {
          keep.add(id)
          continue
        }
        put(id, { type: 'item', ...buildEntry(source, registry.hub) }, digest)
        rebuilt += 1
      }
      let removed = 0
      for (const id of store.keys()) {
        if (!keep.has(id)) {
          store.delete(id)
          removed += 1
        }
      }
      logger.info(
        `${registry.items.size} items: ${rebuilt} built, ${registry.items.size - rebuilt} unchanged, ${removed} removed`,
      )
    },
  }
}
