import * as nodeFs from 'node:fs'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { formatRef, type ItemRef, parseKind } from '#core/names'
import { type ClientFs, itemCacheDir } from './cache.ts'
import { assertInside } from './inside.ts'

/** One version in the cache: a folder of links under `snapshots/`. */
export interface CachedVersion {
  version: string
  /** `<cache>/<item>/snapshots/<version>`. */
  dir: string
  files: number
  /** Bytes of the files the snapshot shows. */
  size: number
  /** The blobs its links point at. */
  blobs: string[]
  /** When a pull last used it (the snapshot folder's mtime, refreshed by every pull). */
  lastUsed: Date
}

/** One blob on disk. */
export interface CachedBlob {
  sha256: string
  path: string
  size: number
}

/** One item in the cache. */
export interface CachedItem {
  ref: ItemRef
  /** As a user types it: `acme/tox-gnn`, `datasets/acme/tox21`. */
  id: string
  dir: string
  versions: CachedVersion[]
  blobs: CachedBlob[]
  /** Bytes of its blobs on disk, each counted once. */
  size: number
  lastUsed: Date
}

export interface CacheScan {
  dir: string
  items: CachedItem[]
  /** Bytes of every blob. */
  size: number
}

const SHA256 = /^[0-9a-f]{64}$/

/**
 * Lists what the cache holds: items, their versions (snapshots), blobs,
 * sizes and when each version was last used. Folders that are not items
 * (`.locks`, `.index`, anything foreign) are skipped. Read-only.
 *
 * @example const { items, size } = await scanCache('/home/me/.cache/agora')
 */
export async function scanCache(cacheDir: string, fs: ClientFs = nodeFs): Promise<CacheScan> {
  const entries = await fs.promises.readdir(cacheDir, { withFileTypes: true }).catch(() => [])
  const items: CachedItem[] = []
  for (const entry of entries) {
    if (!entry.isDirectory()) continue
    const ref = parseItemDir(entry.name)
    if (!ref || itemCacheDir(cacheDir, ref) !== resolve(cacheDir, entry.name)) continue
    items.push(await scanItem(cacheDir, ref, fs))
  }
  items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  return { dir: cacheDir, items, size: items.reduce((n, i) => n + i.size, 0) }
}

/**
 * Records that a pull used a snapshot, for `agora cache ls` and
 * `agora cache rm --older-than`.
 *
 * @example await markSnapshotUsed(snapshotDir(cache, ref, '1.0.0'))
 */
export async function markSnapshotUsed(snapshot: string, fs: ClientFs = nodeFs): Promise<void> {
  const now = new Date()
  await fs.promises.utimes(snapshot, now, now).catch(() => undefined)
}

/**
 * The item a cache folder belongs to: `datasets--acme--tox21`.
 *
 * @example parseItemDir('models--acme--tox-gnn') // { kind: 'model', ns: 'acme', name: 'tox-gnn' }
 */
export function parseItemDir(name: string): ItemRef | undefined {
  const parts = name.split('--')
  if (parts.length !== 3) return undefined
  const [plural, ns, item] = parts as [string, string, string]
  const kind = parseKind(plural)
  if (!kind || !ns || !item || !plural.endsWith('s')) return undefined
  return { kind, ns, name: item }
}

async function scanItem(cacheDir: string, ref: ItemRef, fs: ClientFs): Promise<CachedItem> {
  const dir = itemCacheDir(cacheDir, ref)
  const blobs: CachedBlob[] = []
  const blobDir = join(dir, 'blobs')
  for (const name of await fs.promises.readdir(blobDir).catch(() => [] as string[])) {
    if (!SHA256.test(name)) continue
    const path = assertInside(blobDir, name, 'a cached blob')
    const info = await fs.promises.lstat(path).catch(() => undefined)
    if (info?.isFile()) blobs.push({ sha256: name, path, size: info.size })
  }
  const sizeOf = new Map(blobs.map((b) => [b.sha256, b.size]))
  const versions: CachedVersion[] = []
  const snapshots = join(dir, 'snapshots')
  const names = await fs.promises.readdir(snapshots, { withFileTypes: true }).catch(() => [])
  for (const entry of names) {
    if (!entry.isDirectory()) continue
    const versionDir = assertInside(snapshots, entry.name, 'a cached snapshot')
    const info = await fs.promises.stat(versionDir)
    const found = { files: 0, size: 0, blobs: new Set<string>() }
    await walkSnapshot(versionDir, blobDir, sizeOf, found, fs)
    versions.push({
      version: entry.name,
      dir: versionDir,
      files: found.files,
      size: found.size,
      blobs: [...found.blobs].sort(),
      lastUsed: info.mtime,
    })
  }
  versions.sort((a, b) => compareVersions(a.version, b.version))
  // An item looked up (`agora info`, a refused paid pull) but never pulled
  // holds only its index document: its fetch is the last use, not 1970.
  const lastUsed =
    versions.length > 0
      ? new Date(Math.max(...versions.map((v) => v.lastUsed.getTime())))
      : await lastTouched(dir, fs)
  return {
    ref,
    id: formatRef(ref),
    dir,
    versions,
    blobs,
    size: blobs.reduce((n, b) => n + b.size, 0),
    lastUsed,
  }
}

async function lastTouched(dir: string, fs: ClientFs): Promise<Date> {
  const index = await fs.promises.stat(join(dir, 'index.json')).catch(() => undefined)
  return (index ?? (await fs.promises.stat(dir))).mtime
}

async function walkSnapshot(
  dir: string,
  blobDir: string,
  sizeOf: ReadonlyMap<string, number>,
  found: { files: number; size: number; blobs: Set<string> },
  fs: ClientFs,
): Promise<void> {
  for (const entry of await fs.promises.readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      await walkSnapshot(path, blobDir, sizeOf, found, fs)
    } else if (entry.isSymbolicLink()) {
      const target = join(dirname(path), await fs.promises.readlink(path))
      const sha = basename(target)
      found.files++
      if (relative(blobDir, dirname(target)) === '' && sizeOf.has(sha)) {
        found.blobs.add(sha)
        found.size += sizeOf.get(sha) as number
      }
    } else if (entry.isFile()) {
      // A copy where symlinks were refused: its bytes are its own.
      found.files++
      found.size += (await fs.promises.stat(path)).size
    }
  }
}

/** Semver-ish order, numbers compared as numbers, so 1.10.0 follows 1.9.0. */
function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true })
}
