import { fileURLToPath } from 'node:url'
import type { Loader } from 'astro/loaders'
import { formatIssue, type Issue, plural } from '#core/errors'
import type { HubConfig, OwnerManifest } from '#core/manifest'
import { DetailStore } from './detail-store.ts'
import { buildEntry } from './entry.ts'
import { EntryStore } from './entry-store.ts'
import { itemSegmentIssues, segmentProblem } from './segments.ts'
import type { CatalogDetail, SourceItem, SourceRegistry } from './types.ts'

/** Build facts the pages show that are not in the registry. */
export interface BuildInfo {
  /** Commit of the registry being built, for raw URLs pinned to it. */
  commit?: string
}

/** The one collection's entries, told apart by `type`; items are in `entriesFile`. */
export type CatalogRecord =
  | { type: 'hub'; hub: HubConfig; build: BuildInfo; detailsDir: string; entriesFile: string }
  | { type: 'owner'; ns: string; owner: OwnerManifest }

export interface CatalogLoaderOptions {
  /** Reads the registry (the registry loader, bound to a root by the entry point). */
  load(): Promise<{ registry: SourceRegistry; issues: Issue[] }>
  build?: BuildInfo
  /** Folder of item details; default `agora-details/` in Astro's cache folder. */
  detailsDir?: string
  /** File of item entries; default `agora-entries.tsv` in Astro's cache folder. */
  entriesFile?: string
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
 * An Astro Content Layer object loader turning the registry into the
 * catalog: the hub and each owner as records of one collection, each item's
 * entry as a line of an `EntryStore` file and its detail (versions with
 * files, rendered card) as a `DetailStore` file named by the item's digest.
 * Astro's data store is bundled and loaded whole into every build, which
 * costs gigabytes at 100k items; the entries file is read once and details
 * one page at a time. Items whose manifests, versions, results and README are
 * unchanged keep their entry and detail (same digest), so a rebuild only
 * re-renders what changed; items gone from the registry are dropped.
 *
 * @example
 * // site/content.config.ts
 * defineCollection({ loader: catalogLoader({ load: () => loadRegistry(root) }) })
 */
export function catalogLoader(options: CatalogLoaderOptions): Loader {
  return {
    name: 'agora-catalog',
    async load({ store, generateDigest, logger, config }) {
      const cache = (name: string): string => fileURLToPath(new URL(name, config.cacheDir))
      const details = new DetailStore(options.detailsDir ?? cache('agora-details/'))
      const entries = new EntryStore(options.entriesFile ?? cache('agora-entries.tsv'))
      const [{ registry, issues }, stored, previous] = await Promise.all([
        options.load(),
        details.list(),
        entries.lines(),
      ])
      const errors = issues.filter((i) => i.severity === 'error')
      if (errors.length > 0) {
        logger.warn(
          `${plural(errors.length, 'registry error')}; items that failed to load are left out of the catalog`,
        )
        // Each with its file, so a refused file (a symlink, a broken manifest) is found at once.
        for (const issue of errors.slice(0, 50)) logger.warn(formatIssue(issue))
      }
      const keep = new Set<string>()
      const put = (id: string, data: CatalogRecord, digest: string): void => {
        keep.add(id)
        store.set({ id, data: data as unknown as Record<string, unknown>, digest })
      }
      // A domain whose id cannot be a URL gets no page (its items are skipped below).
      const domains = registry.hub.domains.filter((d) => {
        const problem = segmentProblem(d.id)
        if (problem)
          logger.warn(`registry/agora.yaml: domain ${JSON.stringify(d.id)} skipped: ${problem}`)
        return problem === undefined
      })
      const hubRecord: CatalogRecord = {
        type: 'hub',
        hub: { ...registry.hub, domains },
        build: options.build ?? {},
        detailsDir: details.dir,
        entriesFile: entries.file,
      }
      put('hub', hubRecord, generateDigest(JSON.stringify(hubRecord)))
      for (const [ns, owner] of registry.owners) {
        const problem = segmentProblem(ns)
        if (problem) {
          logger.warn(`registry/owners/${ns}.yaml: owner skipped: namespace "${ns}" ${problem}`)
          continue
        }
        const record: CatalogRecord = { type: 'owner', ns, owner }
        put(`owner:${ns}`, record, generateDigest(JSON.stringify(record)))
      }
      // Details are written in batches so a cold build never holds them all.
      let batch: { digest: string; detail: CatalogDetail }[] = []
      let built = 0
      let skipped = 0
      const keepDetails = new Set<string>()
      const out = await entries.create()
      try {
        for (const [key, source] of registry.items) {
          // A name the site cannot put in a URL, or an item buildEntry cannot
          // build, leaves that item out with a warning: a manifest that
          // validated must never fail the whole build (nor block other deploys).
          const unbuildable = itemSegmentIssues(source)
          if (unbuildable.length > 0) {
            skipped += 1
            for (const issue of unbuildable) {
              logger.warn(
                `${issue.file}: item ${key} skipped: ${issue.field} ${JSON.stringify(issue.value)} ${issue.problem}, so it cannot be a page's URL`,
              )
            }
            continue
          }
          const digest = generateDigest(digestSource(source))
          keepDetails.add(digest)
          const old = previous.get(key)
          if (old?.digest === digest && stored.has(digest)) {
            await out.add(key, digest, old)
            continue
          }
          let result: ReturnType<typeof buildEntry>
          try {
            result = buildEntry(source)
          } catch (error) {
            skipped += 1
            keepDetails.delete(digest)
            logger.warn(
              `${source.dir}/item.yaml: item ${key} skipped: its page cannot be built (${(error as Error).message})`,
            )
            continue
          }
          const { entry, detail } = result
          await out.add(key, digest, entry)
          batch.push({ digest, detail })
          built += 1
          if (batch.length === 512) {
            await details.write(batch)
            batch = []
          }
        }
        await details.write(batch)
        await out.commit()
      } catch (error) {
        await out.abort()
        throw error
      }
      const pruned = await details.prune(stored, keepDetails)
      const removed = [...previous.keys()].filter((key) => !registry.items.has(key)).length
      // Owners gone from the registry go, and records earlier versions stored.
      for (const id of store.keys()) if (!keep.has(id)) store.delete(id)
      logger.info(
        `${plural(registry.items.size, 'item')}: ${built} built, ${registry.items.size - built - skipped} unchanged, ${removed} removed; ${pruned} stale details deleted${skipped > 0 ? `; ${skipped} skipped (see the warnings)` : ''}`,
      )
    },
  }
}
