import * as nodeFs from 'node:fs'
import { basename, join } from 'node:path'
import { AgoraError } from '#core/errors'
import { formatRef, type ItemRef, refKey } from '#core/names'
import { fingerprintPath } from './blob-check.ts'
import type { ClientFs } from './cache.ts'
import type { CachedBlob, CacheScan } from './cache-scan.ts'
import { assertInside } from './inside.ts'

/** Which snapshots to remove; the conditions that are given must all hold. */
export interface PruneSelector {
  /** Only this item (and with `version`, only that version of it). */
  item?: ItemRef | undefined
  version?: string | undefined
  /** Only versions not used for this many milliseconds before `now`. */
  olderThanMs?: number | undefined
  now?: number | undefined
}

export interface PrunePlan {
  snapshots: { item: string; version: string; dir: string }[]
  /** Blobs that no snapshot left behind points at. */
  blobs: (CachedBlob & { item: string })[]
  /** Item folders left with no snapshot, removed whole (index document, locks). */
  items: { item: string; dir: string }[]
  /** Bytes of blobs freed. */
  bytes: number
}

/**
 * Decides what `agora cache rm` removes, from a scan, without touching the
 * disk: the chosen snapshots, then every blob of the items concerned that
 * no remaining snapshot points at, and the items left empty.
 * Throws `client/not-cached` when an item or version asked for by name is
 * not in the cache.
 *
 * @example planPrune(await scanCache(cache), { olderThanMs: 30 * 86_400_000 })
 */
export function planPrune(scan: CacheScan, selector: PruneSelector): PrunePlan {
  const now = selector.now ?? Date.now()
  const plan: PrunePlan = { snapshots: [], blobs: [], items: [], bytes: 0 }
  const wantKey = selector.item ? refKey(selector.item) : undefined
  let matchedItem = false
  let matchedVersion = false
  for (const item of scan.items) {
    if (wantKey && refKey(item.ref) !== wantKey) continue
    matchedItem = true
    const gone = item.versions.filter((v) => {
      if (selector.version !== undefined && v.version !== selector.version) return false
      matchedVersion = true
      return selector.olderThanMs === undefined || now - v.lastUsed.getTime() > selector.olderThanMs
    })
    const kept = item.versions.filter((v) => !gone.includes(v))
    const emptied = kept.length === 0 && (gone.length > 0 || wantKey !== undefined)
    if (gone.length === 0 && !emptied) continue
    for (const v of gone) plan.snapshots.push({ item: item.id, version: v.version, dir: v.dir })
    const referenced = new Set(kept.flatMap((v) => v.blobs))
    for (const blob of item.blobs) {
      if (referenced.has(blob.sha256)) continue
      plan.blobs.push({ ...blob, item: item.id })
      plan.bytes += blob.size
    }
    if (emptied) plan.items.push({ item: item.id, dir: item.dir })
  }
  if (selector.item && !matchedItem) {
    throw new AgoraError('client/not-cached', `${formatRef(selector.item)} is not in the cache`, {
      hint: 'run "agora cache ls" to see what the cache holds',
    })
  }
  if (selector.item && selector.version !== undefined && !matchedVersion) {
    throw new AgoraError(
      'client/not-cached',
      `${formatRef(selector.item)}@${selector.version} is not in the cache`,
      { hint: 'run "agora cache ls" to see the cached versions' },
    )
  }
  return plan
}

/**
 * Carries out a plan: snapshots first, so no snapshot is ever left pointing
 * at a removed blob, then blobs, then empty items and their lock folders.
 * Every path is checked to stay inside the cache.
 *
 * @example await applyPrune(cache, planPrune(await scanCache(cache), { item: ref }))
 */
export async function applyPrune(
  cacheDir: string,
  plan: PrunePlan,
  fs: ClientFs = nodeFs,
): Promise<void> {
  for (const s of plan.snapshots) {
    await fs.promises.rm(assertInside(cacheDir, s.dir, 'a snapshot'), {
      recursive: true,
      force: true,
    })
  }
  for (const b of plan.blobs) {
    const path = assertInside(cacheDir, b.path, 'a blob')
    await fs.promises.rm(path, { force: true })
    await fs.promises.rm(fingerprintPath(path), { force: true })
  }
  for (const i of plan.items) {
    const dir = assertInside(cacheDir, i.dir, 'an item folder')
    await fs.promises.rm(dir, { recursive: true, force: true })
    await fs.promises.rm(assertInside(cacheDir, join('.locks', basename(dir)), 'a lock folder'), {
      recursive: true,
      force: true,
    })
  }
}
