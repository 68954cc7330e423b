import { randomBytes } from 'node:crypto'
import * as nodeFs from 'node:fs'
import { hostname } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { AgoraError } from '#core/errors'
import type { ItemRef } from '#core/names'
import { kindPlural } from '#core/names'

/** The parts of node:fs the client uses; tests inject failures through it. */
export type ClientFs = Pick<typeof nodeFs, 'promises' | 'createReadStream' | 'createWriteStream'>

/**
 * The cache folder of one item, named like the Hugging Face cache's
 * (`models--acme--tox-gnn`), so tools that know that layout feel at home.
 *
 * @example itemCacheDir('/home/me/.cache/agora', { kind: 'model', ns: 'acme', name: 'x' })
 * // '/home/me/.cache/agora/models--acme--x'
 */
export function itemCacheDir(cacheDir: string, ref: ItemRef): string {
  // Absolute, so a cache given relative to the current folder (`.agora/cache`)
  // is not taken a second time relative to itself by assertInside.
  return resolve(cacheDir, `${kindPlural(ref.kind)}--${ref.ns}--${ref.name}`)
}

/**
 * Where a verified blob lives: `<item>/blobs/<sha256>`.
 *
 * @example blobCachePath(cache, ref, 'ab12…') // '<cache>/models--acme--x/blobs/ab12…'
 */
export function blobCachePath(cacheDir: string, ref: ItemRef, sha256: string): string {
  return join(itemCacheDir(cacheDir, ref), 'blobs', sha256)
}

/**
 * A version's file tree: `<item>/snapshots/<version>/<path>`, links to blobs.
 *
 * @example snapshotDir(cache, ref, '1.0.0') // '<cache>/models--acme--x/snapshots/1.0.0'
 */
export function snapshotDir(cacheDir: string, ref: ItemRef, version: string): string {
  return join(itemCacheDir(cacheDir, ref), 'snapshots', version)
}

/**
 * Lock file of one blob download: `<cache>/.locks/<item>/<sha256>.lock`.
 *
 * @example blobLockPath(cache, ref, 'ab12…') // '<cache>/.locks/models--acme--x/ab12….lock'
 */
export function blobLockPath(cacheDir: string, ref: ItemRef, sha256: string): string {
  return resolve(
    cacheDir,
    '.locks',
    `${kindPlural(ref.kind)}--${ref.ns}--${ref.name}`,
    `${sha256}.lock`,
  )
}

export interface LockOptions {
  fs?: ClientFs
  /** A lock untouched for this long is taken to be left by a crashed process; default 60 s. */
  staleMs?: number
  /** How often a waiter looks again; default 50 ms. */
  pollMs?: number
  signal?: AbortSignal
}

/** A held lock: refreshed while held, so a long download never looks stale. */
export interface HeldLock {
  release(): Promise<void>
}

/**
 * Takes an exclusive lock by creating the file with O_EXCL. A waiter polls;
 * a lock whose owner died on this host, or whose file was not refreshed for
 * `staleMs`, is broken. The holder refreshes the file's mtime every
 * staleMs/4 so a slow download is never mistaken for a dead one.
 *
 * @example
 * const lock = await acquireLock(blobLockPath(cache, ref, sha))
 * try { await download() } finally { await lock.release() }
 */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<HeldLock> {
  const fs = options.fs ?? nodeFs
  const staleMs = options.staleMs ?? 60_000
  const pollMs = options.pollMs ?? 50
  const owner = `${hostname()} ${process.pid} ${randomBytes(4).toString('hex')}`
  await fs.promises.mkdir(dirname(path), { recursive: true })
  for (;;) {
    options.signal?.throwIfAborted()
    try {
      await fs.promises.writeFile(path, owner, { flag: 'wx' })
      break
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') {
        throw new AgoraError('client/lock-failed', `cannot create the lock ${path}`, {
          file: path,
          hint: 'check that the cache folder is writable (--cache or AGORA_CACHE)',
          cause: error,
        })
      }
    }
    if (await isStale(fs, path, staleMs)) {
      await breakStaleLock(fs, path, staleMs, owner)
      continue
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
  const refresh = setInterval(
    () => {
      const now = new Date()
      fs.promises.utimes(path, now, now).catch(() => undefined)
    },
    Math.max(10, Math.floor(staleMs / 4)),
  )
  refresh.unref()
  return {
    async release() {
      clearInterval(refresh)
      const current = await fs.promises.readFile(path, 'utf8').catch(() => undefined)
      if (current === owner) await fs.promises.rm(path, { force: true })
    },
  }
}

/**
 * Removes a stale lock under a second lock, `<lock>.break`, re-judging it
 * there: two waiters that both found it stale cannot both remove it (the
 * second would remove the first one's fresh lock and both would hold it).
 * A breaker left by a crash is itself removed once stale.
 */
async function breakStaleLock(
  fs: ClientFs,
  path: string,
  staleMs: number,
  owner: string,
): Promise<void> {
  const breaker = `${path}.break`
  try {
    await fs.promises.writeFile(breaker, owner, { flag: 'wx' })
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EEXIST') throw error
    if (await isStale(fs, breaker, staleMs)) await fs.promises.rm(breaker, { force: true })
    return
  }
  try {
    if (await isStale(fs, path, staleMs)) await fs.promises.rm(path, { force: true })
  } finally {
    await fs.promises.rm(breaker, { force: true })
  }
}

async function isStale(fs: ClientFs, path: string, staleMs: number): Promise<boolean> {
  try {
    const [info, text] = await Promise.all([
      fs.promises.stat(path),
      fs.promises.readFile(path, 'utf8'),
    ])
    const [host, pid] = text.split(' ')
    if (host === hostname() && pid && !isAlive(Number(pid))) return true
    return Date.now() - info.mtimeMs > staleMs
  } catch {
    // Gone between our create and our look: not stale, just try again.
    return false
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM'
  }
}

/**
 * How `--to` places a file: a copy (the default; a reflink where the file
 * system has them, so it costs no space), or, by choice, a hard link or a
 * symlink, which share the cache's read-only bytes.
 */
export type LinkMode = 'hardlink' | 'symlink' | 'copy'

/**
 * Puts a cached blob at `target` atomically (temp name, then rename),
 * replacing what was there. Falls back to a copy when links are impossible
 * (another file system, Windows without privileges).
 *
 * @example await placeFile(blob, 'out/model.safetensors', 'hardlink')
 */
export async function placeFile(
  blob: string,
  target: string,
  mode: LinkMode,
  fs: ClientFs = nodeFs,
): Promise<LinkMode> {
  await fs.promises.mkdir(dirname(target), { recursive: true })
  const temp = join(dirname(target), `.${randomBytes(6).toString('hex')}.agora-tmp`)
  let used: LinkMode = mode
  try {
    try {
      if (mode === 'hardlink') await fs.promises.link(blob, temp)
      else if (mode === 'symlink') await fs.promises.symlink(relative(dirname(target), blob), temp)
      else await copyWritable(fs, blob, temp)
    } catch (error) {
      if (mode === 'copy') throw error
      used = 'copy'
      await copyWritable(fs, blob, temp)
    }
    await fs.promises.rename(temp, target)
    return used
  } catch (error) {
    await fs.promises.rm(temp, { force: true }).catch(() => undefined)
    throw new AgoraError('client/place-failed', `cannot write ${target}`, {
      file: target,
      hint: 'check that the folder is writable and the disk has space',
      cause: error,
    })
  }
}

/** A copy is the user's own file: writable, though the read-only blob's mode came along. */
async function copyWritable(fs: ClientFs, blob: string, temp: string): Promise<void> {
  await fs.promises.copyFile(blob, temp, nodeFs.constants.COPYFILE_FICLONE)
  await fs.promises.chmod(temp, 0o644)
}
