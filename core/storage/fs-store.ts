import { randomBytes } from 'node:crypto'
import * as nodeFs from 'node:fs'
import { hostname } from 'node:os'
import { dirname, join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import {
  type BlobInfo,
  type BlobLocation,
  type BlobStore,
  blobKey,
  HashingStream,
  SHA256_PATTERN,
} from '#core/blobs'
import { AgoraError } from '#core/errors'

/** The parts of `node:fs` the fs store uses; tests inject failures through it. */
export type StoreFs = Pick<typeof nodeFs, 'createReadStream' | 'createWriteStream' | 'promises'>

export interface FsStoreOptions {
  /** Folder holding `blobs/sha256/…` (absolute, or relative to the process). */
  dir: string
  fs?: StoreFs
  /** URL the folder is served under, so clients can GET public blobs. */
  publicUrl?: string
  /** Sub-folder for private blobs; default `private/`. */
  privatePrefix?: string
  /** A temp file untouched this long is stale whoever owns it; default one hour. */
  staleTempMs?: number
}

/** This host as it appears in temp file names: letters, digits and hyphens. */
function tempHost(): string {
  return (
    hostname()
      .replace(/[^A-Za-z0-9-]/g, '-')
      .slice(0, 63) || 'host'
  )
}

/**
 * `<hash>.<host>.<pid>.<random>.tmp`: a temp file says who writes it, so a
 * later put can tell a dead writer's leftovers from a live upload.
 * (`<hash>.<random>.tmp` is the older form, cleaned by age only.)
 */
const TEMP_NAME = /^[0-9a-f]{64}\.(?:([A-Za-z0-9-]+)\.(\d+)\.)?[0-9a-f]+\.tmp$/

/** Whether a process id is running on this host (EPERM: it runs, as another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return isCode(error, 'EPERM')
  }
}

/**
 * Deletes the temp files of writers that are gone: older than `staleMs`
 * (any host), or written by a process of this host that no longer runs. A
 * publish killed mid-upload leaves its temp file; the next put cleans it.
 * Returns the files removed.
 *
 * @example await cleanStaleTemps('.agora/store') // ['blobs/sha256/ab/ab12….host.4242.9f3c.tmp']
 */
export async function cleanStaleTemps(
  dir: string,
  options: { fs?: StoreFs; staleMs?: number; now?: number } = {},
): Promise<string[]> {
  const fs = options.fs ?? nodeFs
  const staleMs = options.staleMs ?? 60 * 60 * 1000
  const now = options.now ?? Date.now()
  const host = tempHost()
  let entries: nodeFs.Dirent[]
  try {
    entries = await fs.promises.readdir(dir, { recursive: true, withFileTypes: true })
  } catch (error) {
    if (isCode(error, 'ENOENT')) return []
    throw error
  }
  const removed: string[] = []
  for (const entry of entries) {
    const match = TEMP_NAME.exec(entry.name)
    if (!match || !entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    const [, owner, pid] = match
    const info = await fs.promises.lstat(path).catch(() => undefined)
    if (!info) continue
    const old = now - info.mtimeMs > staleMs
    const dead =
      owner === host && pid !== undefined && Number(pid) !== process.pid && !isAlive(Number(pid))
    if (!old && !dead) continue
    await fs.promises.rm(path, { force: true }).catch(() => undefined)
    removed.push(path.slice(dir.length).replace(/^[\\/]+/, ''))
  }
  return removed
}

/**
 * The embedded blob store: a folder on disk laid out like the bucket
 * (`blobs/sha256/<aa>/<hash>`). A write goes to a temporary file in the
 * blob's own folder, is fsynced, checked against the expected hash and
 * size, and only then linked into place, so a reader never sees a partial
 * or wrong blob and an existing blob is never overwritten.
 *
 * @example
 * const store = createFsStore({ dir: '.agora/store' })
 * await store.put(() => createReadStream('weights.bin'), { sha256, size })
 */
export function createFsStore(options: FsStoreOptions): BlobStore {
  const fs = options.fs ?? nodeFs
  // The first put of each store (each publish) sweeps the leftovers of killed ones.
  let swept: Promise<unknown> | undefined
  const sweep = (): Promise<unknown> => {
    swept ??= cleanStaleTemps(options.dir, {
      fs,
      ...(options.staleTempMs !== undefined ? { staleMs: options.staleTempMs } : {}),
    }).catch(() => undefined)
    return swept
  }
  const privatePrefix = normalizePrefix(options.privatePrefix ?? 'private/')
  const pathOf = (sha256: string, location?: BlobLocation): string => {
    checkHash(sha256)
    return join(options.dir, `${location?.private ? privatePrefix : ''}${blobKey(sha256)}`)
  }

  const stat = async (sha256: string, location?: BlobLocation): Promise<BlobInfo | undefined> => {
    try {
      const info = await fs.promises.stat(pathOf(sha256, location))
      return info.isFile() ? { sha256, size: info.size } : undefined
    } catch (error) {
      if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return undefined
      throw fsError(error, pathOf(sha256, location), 'read')
    }
  }

  return {
    type: 'fs',
    stat,

    async put(open, expected, putOptions = {}) {
      await sweep()
      const existing = await stat(expected.sha256, putOptions)
      if (existing) {
        if (existing.size !== expected.size) {
          throw new AgoraError(
            'storage/size-conflict',
            `blob ${expected.sha256} exists with ${existing.size} bytes, expected ${expected.size}`,
            {
              file: pathOf(expected.sha256, putOptions),
              hint: 'the store holds a damaged blob: remove it and publish again',
            },
          )
        }
        return { uploaded: false, bytes: 0 }
      }
      const target = pathOf(expected.sha256, putOptions)
      const temp = `${target}.${tempHost()}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
      try {
        await fs.promises.mkdir(dirname(target), { recursive: true })
        const meter = new HashingStream(
          putOptions.onProgress ? { onData: putOptions.onProgress } : {},
        )
        const out = fs.createWriteStream(temp, { flags: 'wx' })
        await pipeline(open(), meter, out, putOptions.signal ? { signal: putOptions.signal } : {})
        // fsync before the link: after a crash the name must never point at unwritten data.
        const handle = await fs.promises.open(temp, 'r+')
        try {
          await handle.sync()
        } finally {
          await handle.close()
        }
        checkDigest(meter.digest(), expected, target)
        await linkIntoPlace(fs, temp, target)
        return { uploaded: true, bytes: expected.size }
      } catch (error) {
        throw fsError(error, target, 'write')
      } finally {
        await fs.promises.rm(temp, { force: true }).catch(() => undefined)
      }
    },

    async get(sha256, getOptions = {}) {
      const path = pathOf(sha256, getOptions)
      if (!(await stat(sha256, getOptions))) {
        throw new AgoraError('storage/blob-missing', `blob ${sha256} is not in the store`, {
          file: path,
          hint: 'publish the file again, or check storage.path in registry/agora.yaml',
        })
      }
      const range: { start?: number; end?: number } = {}
      if (getOptions.start !== undefined) range.start = getOptions.start
      if (getOptions.end !== undefined) range.end = getOptions.end
      return fs.createReadStream(path, { ...range, highWaterMark: 1 << 20 }) as Readable
    },

    async url(sha256, urlOptions = {}) {
      checkHash(sha256)
      // A folder cannot presign: private blobs are only handed out by the licence service.
      if (urlOptions.private || !options.publicUrl) return undefined
      return `${options.publicUrl.replace(/\/+$/, '')}/${blobKey(sha256)}`
    },
  }
}

/**
 * Moves the checked temp file to its final name without ever replacing an
 * existing blob: link() fails with EEXIST where rename() would overwrite.
 * A concurrent writer of the same hash wrote the same bytes, so EEXIST is a
 * success. File systems without hard links fall back to rename.
 */
async function linkIntoPlace(fs: StoreFs, temp: string, target: string): Promise<void> {
  try {
    await fs.promises.link(temp, target)
  } catch (error) {
    if (isCode(error, 'EEXIST')) return
    if (isCode(error, 'EPERM') || isCode(error, 'ENOTSUP') || isCode(error, 'EXDEV')) {
      await fs.promises.rename(temp, target)
      return
    }
    throw error
  }
}

/**
 * Throws the error every store raises when bytes differ from the manifest.
 *
 * @example checkDigest(meter.digest(), { sha256, size }, 'blobs/sha256/9f/9f86…')
 */
export function checkDigest(actual: BlobInfo, expected: BlobInfo, where: string): void {
  if (actual.size !== expected.size) {
    throw new AgoraError(
      'storage/size-mismatch',
      `${where}: expected ${expected.size} bytes, read ${actual.size}`,
      { hint: 'the file changed while it was being uploaded; run the command again' },
    )
  }
  if (actual.sha256 !== expected.sha256) {
    throw new AgoraError(
      'storage/hash-mismatch',
      `${where}: expected sha256 ${expected.sha256}, got ${actual.sha256}`,
      { hint: 'the file changed while it was being uploaded; run the command again' },
    )
  }
}

function checkHash(sha256: string): void {
  if (!SHA256_PATTERN.test(sha256)) {
    throw new AgoraError('storage/bad-hash', `"${sha256}" is not a lower-case hex SHA-256`, {
      hint: 'blob hashes are 64 characters of 0-9 and a-f',
    })
  }
}

function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, '')
  return trimmed === '' || trimmed.endsWith('/') ? trimmed : `${trimmed}/`
}

function isCode(error: unknown, code: string): boolean {
  return (error as { code?: unknown } | undefined)?.code === code
}

const FS_HINTS: Record<string, string> = {
  ENOSPC: 'the disk is full: free space or point storage.path at a larger disk',
  EDQUOT: 'the disk quota is exhausted: free space or raise the quota',
  EACCES: 'the store folder is not writable: fix its permissions or choose another storage.path',
  EPERM: 'the store folder is not writable: fix its permissions or choose another storage.path',
  EROFS: 'the store folder is on a read-only file system: choose another storage.path',
}

/** Turns an fs failure into an AgoraError naming the file and a fix. */
function fsError(error: unknown, file: string, action: 'read' | 'write'): unknown {
  if (error instanceof AgoraError) return error
  const code = (error as { code?: unknown } | undefined)?.code
  const hint = typeof code === 'string' ? FS_HINTS[code] : undefined
  const message = error instanceof Error ? error.message : String(error)
  return new AgoraError(`storage/${action}-failed`, `cannot ${action} blob: ${message}`, {
    file,
    hint: hint ?? 'check that the store folder exists and is writable',
    cause: error,
  })
}
