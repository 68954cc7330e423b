import * as nodeFs from 'node:fs'
import { writeFileAtomic } from '#core/blobs'
import { AgoraError } from '#core/errors'
import { formatRef, type ItemRef, parseRef, refKey } from '#core/names'
import type { ClientFs } from './cache.ts'

/** Format version of agora.lock. */
export const LOCKFILE_VERSION = 1

/** One locked file: enough to fetch and verify it again byte for byte. */
export interface LockedFile {
  path: string
  size: number
  sha256: string
}

/** One locked item. */
export interface LockedItem {
  version: string
  /** Registry commit the item was resolved at, when known. */
  commit?: string | undefined
  files: LockedFile[]
}

/** A member of a locked collection: the item's lock key and the version it resolved to. */
export interface LockedMember {
  /** `kind/ns/name`, also a key of `items`. */
  item: string
  version: string
}

/** One locked collection: its members as they resolved, each also locked in `items`. */
export interface LockedCollection {
  /** Registry commit the collection was resolved at, when known. */
  commit?: string | undefined
  members: LockedMember[]
}

/**
 * agora.lock: JSON with items keyed by `kind/ns/name` and files by path, both
 * sorted, so the file diffs cleanly and two pulls of the same thing write
 * the same bytes.
 */
export interface Lockfile {
  lockfile: number
  items: Record<string, LockedItem>
  /** Collections pulled, keyed by `collection/ns/name`; absent when none was. */
  collections?: Record<string, LockedCollection> | undefined
}

/**
 * Reads agora.lock; an absent file is an empty lock.
 *
 * @example const lock = await readLockfile('agora.lock')
 */
export async function readLockfile(path: string, fs: ClientFs = nodeFs): Promise<Lockfile> {
  let text: string
  try {
    text = await fs.promises.readFile(path, 'utf8')
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT')
      return { lockfile: LOCKFILE_VERSION, items: {} }
    throw new AgoraError('client/lockfile-unreadable', `cannot read ${path}`, {
      file: path,
      hint: 'check the file permissions',
      cause: error,
    })
  }
  let parsed: Lockfile
  try {
    parsed = JSON.parse(text) as Lockfile
  } catch (error) {
    throw new AgoraError('client/lockfile-invalid', `${path} is not valid JSON`, {
      file: path,
      hint: 'restore it from version control, or delete it and pull again to recreate it',
      cause: error,
    })
  }
  if (
    parsed?.lockfile !== LOCKFILE_VERSION ||
    typeof parsed.items !== 'object' ||
    parsed.items === null
  ) {
    throw new AgoraError(
      'client/lockfile-invalid',
      `${path} is not an agora.lock of format ${LOCKFILE_VERSION}`,
      {
        file: path,
        hint: 'upgrade agora, or delete the file and pull again to recreate it',
      },
    )
  }
  const collections = parsed.collections
  if (
    collections !== undefined &&
    (typeof collections !== 'object' || collections === null || Array.isArray(collections))
  ) {
    throw new AgoraError('client/lockfile-invalid', `${path}: collections is not an object`, {
      file: path,
      hint: 'restore it from version control, or delete it and pull again to recreate it',
    })
  }
  for (const key of [...Object.keys(parsed.items), ...Object.keys(collections ?? {})]) {
    if (key.split('/').length !== 3 || !parseRef(key)) {
      throw new AgoraError('client/lockfile-invalid', `${path}: "${key}" is not an item key`, {
        file: path,
        hint: 'keys are kind/namespace/name, e.g. model/acme/tox-gnn',
      })
    }
  }
  // Every entry has the shape a writer rewrites, so merging one item never
  // trips over another that was edited by hand; its values are checked when used.
  for (const [key, entry] of Object.entries(parsed.items)) {
    const files = (entry as { files?: unknown } | null)?.files
    if (
      typeof entry !== 'object' ||
      entry === null ||
      typeof entry.version !== 'string' ||
      !Array.isArray(files) ||
      !files.every((f) => typeof f === 'object' && f !== null)
    ) {
      throw new AgoraError('client/lockfile-invalid', `${path}: "${key}" is not a locked item`, {
        file: path,
        hint: 'each item needs version and files [{ path, size, sha256 }]; restore the file from version control, or remove that item and pull it again',
      })
    }
  }
  return parsed
}

/**
 * The text agora.lock holds for a lock: sorted, two-space JSON, newline-terminated.
 *
 * @example formatLockfile({ lockfile: 1, items: {} }) // '{\n  "items": {},\n  "lockfile": 1\n}\n'
 */
export function formatLockfile(lock: Lockfile): string {
  const items: Record<string, LockedItem> = {}
  for (const key of Object.keys(lock.items).sort()) {
    const item = lock.items[key] as LockedItem
    items[key] = {
      ...(item.commit ? { commit: item.commit } : {}),
      files: [...item.files]
        .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
        .map((f) => ({ path: f.path, sha256: f.sha256, size: f.size })),
      version: item.version,
    }
  }
  const collections: Record<string, LockedCollection> = {}
  for (const key of Object.keys(lock.collections ?? {}).sort()) {
    const collection = lock.collections?.[key] as LockedCollection
    collections[key] = {
      ...(collection.commit ? { commit: collection.commit } : {}),
      members: [...collection.members]
        .sort((a, b) => (a.item < b.item ? -1 : a.item > b.item ? 1 : 0))
        .map((m) => ({ item: m.item, version: m.version })),
    }
  }
  return `${JSON.stringify(
    {
      ...(Object.keys(collections).length > 0 ? { collections } : {}),
      items,
      lockfile: LOCKFILE_VERSION,
    },
    null,
    2,
  )}\n`
}

/**
 * Writes agora.lock atomically, and only when its bytes change.
 *
 * @example await writeLockfile('agora.lock', lock)
 */
export async function writeLockfile(
  path: string,
  lock: Lockfile,
  fs: ClientFs = nodeFs,
): Promise<boolean> {
  const text = formatLockfile(lock)
  const current = await fs.promises.readFile(path, 'utf8').catch(() => undefined)
  if (current === text) return false
  try {
    await writeFileAtomic(path, text, fs)
    return true
  } catch (error) {
    throw new AgoraError('client/lockfile-write-failed', `cannot write ${path}`, {
      file: path,
      hint: 'check that the folder is writable',
      cause: error,
    })
  }
}

/**
 * The lock key of an item: `kind/ns/name`.
 *
 * @example lockKey({ kind: 'dataset', ns: 'acme', name: 'tox21' }) // 'dataset/acme/tox21'
 */
export function lockKey(ref: ItemRef): string {
  return refKey(ref)
}

/**
 * Compares what was resolved with what the lock holds; returns a sentence
 * per difference (empty when they agree).
 *
 * @example diffLocked(ref, locked, { version: '1.1.0', files }) // ['version 1.0.0 is locked, 1.1.0 resolved']
 */
export function diffLocked(
  ref: ItemRef,
  locked: LockedItem,
  resolved: { version: string; files: LockedFile[] },
): string[] {
  const out: string[] = []
  if (locked.version !== resolved.version)
    out.push(`version ${locked.version} is locked, ${resolved.version} resolved`)
  const want = new Map(locked.files.map((f) => [f.path, f]))
  const got = new Map(resolved.files.map((f) => [f.path, f]))
  for (const [path, f] of want) {
    const g = got.get(path)
    if (!g) out.push(`${path} is locked but no longer listed`)
    else if (g.sha256 !== f.sha256 || g.size !== f.size) {
      out.push(
        `${path}: locked sha256 ${f.sha256} (${f.size} bytes), index says ${g.sha256} (${g.size} bytes)`,
      )
    }
  }
  for (const path of got.keys()) if (!want.has(path)) out.push(`${path} is listed but not locked`)
  return out.map((line) => `${formatRef(ref)}: ${line}`)
}

/**
 * Records `entry` under `key` unless the lock already pins the same version
 * and files there: the commit an item was resolved at is a note, not a pin,
 * so re-pulling what is locked (after the hub's index moved to a new commit)
 * leaves agora.lock byte for byte as it was.
 *
 * @example pinItem(lock, 'model/acme/x', { version: '1.0.0', commit: 'abc…', files })
 */
export function pinItem(lock: Lockfile, key: string, entry: LockedItem): void {
  const current = lock.items[key]
  if (current && current.version === entry.version && sameFiles(current.files, entry.files)) return
  lock.items[key] = entry
}

/**
 * Records a collection's entry unless its members already resolve to the
 * same versions (the commit alone changing is no change), as {@link pinItem}.
 *
 * @example pinCollection(lock, 'collection/curators/kit', { commit, members })
 */
export function pinCollection(lock: Lockfile, key: string, entry: LockedCollection): void {
  const current = lock.collections?.[key]
  const members = (c: LockedCollection) => c.members.map((m) => `${m.item}@${m.version}`).join('\n')
  if (current && members(current) === members(entry)) return
  lock.collections = { ...lock.collections, [key]: entry }
}

function sameFiles(a: readonly LockedFile[], b: readonly LockedFile[]): boolean {
  const key = (f: LockedFile) => `${f.path}\0${f.size}\0${f.sha256}`
  const left = a.map(key).sort().join('\n')
  return left === b.map(key).sort().join('\n')
}
