import { createHash, type Hash } from 'node:crypto'
import * as nodeFs from 'node:fs'
import { dirname } from 'node:path'
import type { Writable } from 'node:stream'
import type { BlobInfo } from '#core/blobs'
import { withRetry } from '#core/blobs'
import { AgoraError } from '#core/errors'
import { BadAnswerError, type BlobAnswer, type BlobGet, blobGetFor } from './blob-get.ts'
import type { ClientFs } from './cache.ts'
import { type BlobHasher, inlineHasher, workerHasher } from './hasher.ts'
import {
  type ClientRetryOptions,
  clientRetry,
  DEFAULT_STALL_TIMEOUT_MS,
  httpError,
  isTransient,
  stallGuard,
  statusError,
} from './http.ts'

export interface DownloadOptions {
  fetch: typeof globalThis.fetch
  url: string
  /** Final path of the verified blob; bytes collect in `<target>.partial` until then. */
  target: string
  expected: BlobInfo
  fs?: ClientFs
  retry?: ClientRetryOptions | undefined
  signal?: AbortSignal | undefined
  /** Give up (`client/stalled`) when no byte arrives for this long; default 30 s. */
  stallTimeoutMs?: number | undefined
  /** Told the size of every chunk written (and of a partial file being resumed). */
  onProgress?: ((bytes: number) => void) | undefined
}

export interface DownloadResult {
  /** Bytes that came over the network in this call. */
  transferred: number
  /** Bytes a `.partial` file already held when the call began. */
  resumedFrom: number
}

/** Opening `.partial` never follows a link planted at its name. */
const NO_FOLLOW = nodeFs.constants.O_NOFOLLOW ?? 0
const WRITE_NO_FOLLOW =
  nodeFs.constants.O_WRONLY | nodeFs.constants.O_CREAT | nodeFs.constants.O_TRUNC | NO_FOLLOW
const APPEND_NO_FOLLOW =
  nodeFs.constants.O_WRONLY | nodeFs.constants.O_CREAT | nodeFs.constants.O_APPEND | NO_FOLLOW

/** The server's bytes stopped before the expected size without an error; resume. */
class ShortBodyError extends Error {
  override name = 'ShortBodyError'
}

/** A partial file the server would not resume from (416, or a wrong Content-Range); start over. */
class RestartError extends Error {
  override name = 'RestartError'
}

/**
 * Downloads one blob to `target`: bytes are appended to `<target>.partial`,
 * a broken transfer resumes with an HTTP Range from where the partial file
 * ends, transient failures (reset, 429, 5xx) are retried with back-off, and
 * size and SHA-256 are always checked before an atomic rename gives the
 * blob its name. On a mismatch the partial file is removed, so nothing that
 * looks complete is left behind.
 *
 * @example
 * await downloadBlob({ fetch, url, target: blobCachePath(cache, ref, sha), expected: { sha256: sha, size } })
 */
export async function downloadBlob(options: DownloadOptions): Promise<DownloadResult> {
  const fs = options.fs ?? nodeFs
  const { expected, target, url } = options
  const partial = `${target}.partial`
  const result: DownloadResult = { transferred: 0, resumedFrom: 0 }
  const get = blobGetFor(options.fetch)
  await fs.promises.mkdir(dirname(target), { recursive: true })
  // A link planted at the .partial name would carry the bytes (or an append) elsewhere:
  // drop it, and never open the name through a link.
  const planted = await fs.promises.lstat(partial).catch(() => undefined)
  if (planted && !planted.isFile()) await fs.promises.rm(partial, { force: true })
  let first = true
  try {
    await withRetry(
      async () => {
        let offset = await sizeOf(fs, partial)
        if (offset > expected.size) {
          await fs.promises.rm(partial, { force: true })
          offset = 0
        }
        if (first) {
          result.resumedFrom = offset
          if (offset > 0) options.onProgress?.(offset)
          first = false
        }
        let hasher = offset > 0 ? inlineHasher(await hashOf(fs, partial)) : hasherFor(expected.size)
        try {
          if (offset < expected.size || (expected.size === 0 && offset === 0)) {
            const previous = hasher
            hasher = await fetchRest(options, { get, fs, partial, offset, hasher, result })
            if (hasher !== previous) previous.close()
          }
          await checkReceived(fs, partial, hasher, options)
        } finally {
          hasher.close()
        }
      },
      {
        ...clientRetry(options.retry, options.signal),
        isRetryable: (error) =>
          error instanceof ShortBodyError ||
          error instanceof RestartError ||
          isTransient(error) ||
          isTerminated(error),
      },
    )
    // Not fsynced: waiting for the disk would cost a sixth of a cold pull.
    // A crash can leave a renamed blob cut short (file systems grow the
    // size on disk only once the data is written), which its size and
    // fingerprint show: the next pull hashes it and fetches it again.
    await fs.promises.rename(partial, target)
    return result
  } catch (error) {
    if (error instanceof AgoraError) {
      // Wrong bytes are never kept for a later resume.
      if (error.code === 'client/size-mismatch' || error.code === 'client/hash-mismatch') {
        await fs.promises.rm(partial, { force: true }).catch(() => undefined)
      }
      throw error
    }
    if (isLocalFsError(error)) {
      await fs.promises.rm(partial, { force: true }).catch(() => undefined)
      throw new AgoraError(
        'client/write-failed',
        `cannot write ${partial}: ${(error as Error).message}`,
        {
          file: partial,
          hint:
            (error as { code?: unknown }).code === 'ENOSPC'
              ? 'the disk is full: free space or move the cache with --cache or AGORA_CACHE'
              : 'check that the cache folder is writable (--cache or AGORA_CACHE)',
          cause: error,
        },
      )
    }
    // Nor are bytes from an answer that broke HTTP's framing, or came through a refused redirect.
    if (error instanceof BadAnswerError)
      await fs.promises.rm(partial, { force: true }).catch(() => undefined)
    throw httpError(error, url, `blob ${expected.sha256}`)
  }
}

/**
 * Checks that `.partial` holds the index's size and SHA-256: short is
 * resumed, anything else wrong is removed.
 */
async function checkReceived(
  fs: ClientFs,
  partial: string,
  hasher: BlobHasher,
  options: DownloadOptions,
): Promise<void> {
  const { expected, url } = options
  const size = await sizeOf(fs, partial)
  if (size < expected.size)
    throw new ShortBodyError(`${url} ended after ${size} of ${expected.size} bytes`)
  if (size > expected.size) {
    await fs.promises.rm(partial, { force: true })
    throw new AgoraError(
      'client/size-mismatch',
      `${url}: expected ${expected.size} bytes, received ${size}`,
      {
        hint: 'the server holds a different file than the index says; report it to the hub',
      },
    )
  }
  const actual = await hasher.digest()
  if (actual !== expected.sha256) {
    await fs.promises.rm(partial, { force: true })
    throw new AgoraError(
      'client/hash-mismatch',
      `${url}: expected sha256 ${expected.sha256}, got ${actual}`,
      {
        hint: 'the download was corrupted or the file was altered; it was discarded. Pull again, and report it if it repeats',
      },
    )
  }
}

/**
 * One request for the bytes `.partial` lacks (all of them when the server
 * ignores the Range), received into it. Returns the hasher that holds the
 * file's bytes: a new one when the file started over.
 */
async function fetchRest(
  options: DownloadOptions,
  state: {
    get: BlobGet
    fs: ClientFs
    partial: string
    offset: number
    hasher: BlobHasher
    result: DownloadResult
  },
): Promise<BlobHasher> {
  const { get, fs, partial, result } = state
  const { expected, url } = options
  let { offset, hasher } = state
  const guard = stallGuard(options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS, url, options.signal)
  try {
    const answer = await get(url, {
      headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
      signal: guard.signal,
    })
    guard.touch()
    if (answer.status === 416 || (answer.status === 206 && !rangeStartsAt(answer, offset))) {
      await answer.cancel()
      await fs.promises.rm(partial, { force: true })
      throw new RestartError(`${url} would not resume at byte ${offset}`)
    }
    if (answer.status < 200 || answer.status > 299) throw await statusError(answer, url)
    if (offset > 0 && answer.status === 200) {
      // The server ignored the Range and sent everything: start the file over.
      offset = 0
      hasher = hasherFor(expected.size)
    }
    try {
      await receive(answer, {
        fs,
        hasher,
        path: partial,
        flags: offset > 0 ? APPEND_NO_FOLLOW : WRITE_NO_FOLLOW,
        limit: expected.size - offset,
        url,
        onData: (n) => {
          guard.touch()
          result.transferred += n
          options.onProgress?.(n)
        },
      })
    } catch (error) {
      if (hasher !== state.hasher) hasher.close()
      throw error
    }
    return hasher
  } catch (error) {
    throw guard.explain(error)
  } finally {
    guard.clear()
  }
}

/**
 * Hashes a response body and appends it to the `.partial` file, counting
 * bytes and stopping a body that runs past the expected size, so a hostile
 * server cannot fill the disk. Each chunk is hashed (on the worker thread
 * for a large blob) and written while the next ones come in; the body waits
 * when four are still being hashed or written.
 */
async function receive(
  answer: BlobAnswer,
  options: {
    fs: ClientFs
    /** Holds the hash of the bytes the file already has. */
    hasher: BlobHasher
    path: string
    flags: number
    limit: number
    url: string
    onData: (bytes: number) => void
  },
): Promise<void> {
  const { fs, hasher, path, url, onData } = options
  // fs.open takes numeric flags, as createWriteStream passes them on; its types only name strings.
  const file = fs.createWriteStream(path, { flags: options.flags as unknown as string })
  let failure: unknown
  file.on('error', (error) => {
    failure ??= error
  })
  // 'close', not 'finish': the file is closed (or the failure known) before it is renamed or removed.
  const closed = new Promise<void>((resolve) => file.once('close', () => resolve()))
  let left = options.limit
  // Chunks are written one after another, never two queued at once: the
  // stream would join them into one write of several MiB (see writePieces).
  let written = Promise.resolve()
  let stopped = false
  try {
    await answer.consume((chunk) => {
      if (failure) throw failure
      left -= chunk.byteLength
      if (left < 0) {
        throw new AgoraError(
          'client/size-mismatch',
          `${url}: the server sent more bytes than the index lists`,
          {
            hint: 'the server holds a different file than the index says; report it to the hub',
          },
        )
      }
      const hashed = hasher.update(chunk)
      onData(chunk.byteLength)
      written = written.then(() => writePieces(file, chunk, () => stopped))
      return hashed ? Promise.all([hashed, written]).then(() => undefined) : written
    })
    file.end()
    await closed
    if (failure) throw failure
  } catch (error) {
    // What failed first is the reason: a write that the destroy below
    // refuses must not turn a broken connection (retried) into a file error.
    const reason = failure ?? error
    stopped = true
    await answer.cancel()
    file.destroy()
    await closed
    throw reason
  }
}

/**
 * The largest write to the `.partial` file. On the reference machine
 * (Linux 6.18) a write of 1 MiB or more into the page cache now and then
 * costs several times the CPU of smaller ones: the system time of a 1 GiB
 * pull varied from 0.65 to 1.35 seconds with them, and from 0.67 to 0.91
 * with writes of 512 KiB.
 */
const WRITE_PIECE = 512 * 1024

/**
 * Writes a chunk in pieces of at most WRITE_PIECE bytes, each after the one
 * before, and none once the download has `stopped`.
 */
async function writePieces(
  file: Writable,
  chunk: Uint8Array,
  stopped: () => boolean,
): Promise<void> {
  for (let at = 0; at < chunk.byteLength && !stopped(); at += WRITE_PIECE) {
    const piece = chunk.subarray(at, at + WRITE_PIECE)
    await new Promise<void>((resolve, reject) =>
      file.write(piece, (error) => (error ? reject(error) : resolve())),
    )
  }
}

function rangeStartsAt(answer: BlobAnswer, offset: number): boolean {
  const range = answer.header('content-range')
  const match = range ? /^bytes (\d+)-/.exec(range) : null
  return match !== null && Number(match[1]) === offset
}

async function sizeOf(fs: ClientFs, path: string): Promise<number> {
  try {
    const info = await fs.promises.lstat(path)
    return info.isFile() ? info.size : 0
  } catch {
    return 0
  }
}

async function hashOf(fs: ClientFs, path: string): Promise<Hash> {
  const hash = createHash('sha256')
  for await (const chunk of fs.createReadStream(path, { highWaterMark: 1 << 20 }))
    hash.update(chunk as Buffer)
  return hash
}

/** Blobs from this size are hashed on the worker thread; below, starting it costs more than it saves. */
const HASH_ON_WORKER_FROM = 8 * 1024 * 1024

function hasherFor(size: number): BlobHasher {
  return size >= HASH_ON_WORKER_FROM ? workerHasher() : inlineHasher()
}

/** undici reports a body cut mid-transfer as TypeError('terminated'). */
function isTerminated(error: unknown): boolean {
  return error instanceof TypeError && error.message === 'terminated'
}

const LOCAL_FS_CODES = new Set([
  'ENOSPC',
  'EDQUOT',
  'EACCES',
  'EPERM',
  'EROFS',
  'EISDIR',
  'ENOTDIR',
  'EMFILE',
])

function isLocalFsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code
  return (
    typeof code === 'string' &&
    LOCAL_FS_CODES.has(code) &&
    (error as { syscall?: unknown }).syscall !== 'connect'
  )
}
