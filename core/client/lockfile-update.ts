import * as nodeFs from 'node:fs'
import { acquireLock, type ClientFs } from './cache.ts'
import { type Lockfile, readLockfile, writeLockfile } from './lockfile.ts'

export interface UpdateLockfileOptions {
  fs?: ClientFs
  /** A lock untouched this long is taken to be left by a crashed writer; default 60 s. */
  staleMs?: number | undefined
  signal?: AbortSignal | undefined
}

/**
 * The lock that serialises writers of one agora.lock: `<lock file>.lock`.
 *
 * @example lockfileLockPath('/p/agora.lock') // '/p/agora.lock.lock'
 */
export function lockfileLockPath(path: string): string {
  return `${path}.lock`
}

/**
 * Changes agora.lock safely when several pulls share it: takes
 * `agora.lock.lock` (O_EXCL, stale locks of dead processes broken, as for
 * blobs), reads the lock as it is now, lets `change` edit it, and writes it
 * back by atomic rename only when its bytes differ. Reading under the lock
 * is what keeps six pulls at once from each writing back their own stale
 * copy and losing the others' items.
 *
 * @example
 * await updateLockfile('agora.lock', (lock) => {
 *   lock.items['model/acme/x'] = { version: '1.0.0', files: [] }
 * })
 */
export async function updateLockfile(
  path: string,
  change: (lock: Lockfile) => void,
  options: UpdateLockfileOptions = {},
): Promise<boolean> {
  const fs = options.fs ?? nodeFs
  const held = await acquireLock(lockfileLockPath(path), {
    fs,
    ...(options.staleMs === undefined ? {} : { staleMs: options.staleMs }),
    ...(options.signal ? { signal: options.signal } : {}),
  })
  try {
    const lock = await readLockfile(path, fs)
    change(lock)
    return await writeLockfile(path, lock, fs)
  } finally {
    await held.release()
  }
}
