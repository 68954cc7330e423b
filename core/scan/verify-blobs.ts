import { createHash } from 'node:crypto'
import type { BlobStore } from '#core/blobs'
import type { Issue } from '#core/errors'
import type { FileEntry } from '#core/manifest'

/** What checking one file of a version against the store found. */
export interface BlobCheck {
  path: string
  sha256: string
  /** The store has a blob under the manifest's hash. */
  exists: boolean
  /** The blob's size equals the manifest's. */
  sizeOk: boolean
  /** The SHA-256 of the blob's bytes, recomputed from the store, equals the manifest's. */
  hashOk: boolean
  /** The hash of the bytes the store returned, when they were read. */
  actualSha256?: string
  /** The size the store reported or the bytes it returned. */
  actualSize?: number
  /** Files with a `url:` live outside the hub's store and are not checked here. */
  skipped?: 'external'
  issues: Issue[]
}

export interface VerifyBlobsOptions {
  store: BlobStore
  /** Blobs read at once; default 4. */
  concurrency?: number
  /** The manifest the files come from, shown as the issues' file. */
  file?: string
  signal?: AbortSignal
}

/** Issue codes of blob verification, with their hints. */
export const BLOB_CODES = {
  'blob/missing': 'upload the file with "agora publish", which skips blobs the store already has',
  'blob/size-mismatch':
    'the manifest and the stored blob disagree; run "agora publish" again to rewrite the manifest from the files',
  'blob/hash-mismatch':
    'the stored bytes are not the ones the manifest names; re-upload the file and check it was not altered',
  'blob/bad-hash': 'sha256 must be 64 lower-case hex characters, as "agora publish" writes it',
  'blob/read-failed':
    'check the storage settings in registry/agora.yaml and that the store is reachable, then run again',
  'blob/external': 'files given by url are checked when they are pulled, not here',
} as const

const SHA256 = /^[0-9a-f]{64}$/

/**
 * Checks the files of a version against the blob store: the blob exists (a
 * HEAD, no download), its size matches, and the SHA-256 recomputed from the
 * store's own stream equals the manifest's. Blobs are streamed, never held
 * in memory, several at a time; a blob named by several files is read once.
 * Never throws for store failures: they become `blob/read-failed` issues.
 *
 * @example
 * const checks = await verifyBlobs(version.files, { store, file: 'registry/models/ac/acme/x/versions/1.0.0.yaml' })
 * const issues = checks.flatMap((c) => c.issues)
 */
export async function verifyBlobs(
  files: readonly FileEntry[],
  options: VerifyBlobsOptions,
): Promise<BlobCheck[]> {
  const { store } = options
  const concurrency = Math.max(1, options.concurrency ?? 4)
  const jobs = new Map<string, () => Promise<Omit<BlobCheck, 'path'>>>()
  const results = new Map<string, Promise<Omit<BlobCheck, 'path'>>>()
  const keyOf = (entry: FileEntry): string =>
    `${entry.private ? 'private:' : ''}${entry.sha256}:${entry.size}`
  for (const entry of files) {
    if (entry.url !== undefined || !SHA256.test(entry.sha256)) continue
    const key = keyOf(entry)
    if (!jobs.has(key)) jobs.set(key, () => checkBlob(entry, store, options.signal))
  }

  // A fixed pool of workers pulls from one queue, so at most `concurrency` streams are open.
  const queue = [...jobs.entries()]
  const settle = new Map<string, (value: Omit<BlobCheck, 'path'>) => void>()
  for (const [key] of queue) results.set(key, new Promise((resolve) => settle.set(key, resolve)))
  const worker = async (): Promise<void> => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const [key, run] = job
      settle.get(key)?.(await run())
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker))

  const checks: BlobCheck[] = []
  for (const entry of files) {
    const where = options.file === undefined ? {} : { file: options.file }
    if (entry.url !== undefined) {
      checks.push({
        path: entry.path,
        sha256: entry.sha256,
        exists: false,
        sizeOk: false,
        hashOk: false,
        skipped: 'external',
        issues: [
          issue(
            'blob/external',
            'note',
            `${entry.path} is an external file (${entry.url}); its blob is not checked`,
            where,
          ),
        ],
      })
      continue
    }
    if (!SHA256.test(entry.sha256)) {
      checks.push({
        path: entry.path,
        sha256: entry.sha256,
        exists: false,
        sizeOk: false,
        hashOk: false,
        issues: [
          issue(
            'blob/bad-hash',
            'error',
            `${entry.path} has sha256 "${entry.sha256}", not 64 lower-case hex characters`,
            where,
          ),
        ],
      })
      continue
    }
    const result = await (results.get(keyOf(entry)) as Promise<Omit<BlobCheck, 'path'>>)
    checks.push({
      ...result,
      path: entry.path,
      issues: result.issues.map((i) => ({
        ...i,
        ...where,
        message: `${entry.path}: ${i.message}`,
      })),
    })
  }
  return checks
}

async function checkBlob(
  entry: FileEntry,
  store: BlobStore,
  signal?: AbortSignal,
): Promise<Omit<BlobCheck, 'path'>> {
  const location = entry.private ? { private: true } : {}
  const base = { sha256: entry.sha256, exists: false, sizeOk: false, hashOk: false }
  let info: Awaited<ReturnType<BlobStore['stat']>>
  try {
    info = await store.stat(entry.sha256, location)
  } catch (error) {
    return {
      ...base,
      issues: [
        issue(
          'blob/read-failed',
          'error',
          `could not look up blob ${entry.sha256}: ${messageOf(error)}`,
        ),
      ],
    }
  }
  if (!info) {
    return {
      ...base,
      issues: [
        issue('blob/missing', 'error', `blob ${entry.sha256} is not in the ${store.type} store`),
      ],
    }
  }
  if (info.size !== entry.size) {
    return {
      ...base,
      exists: true,
      actualSize: info.size,
      issues: [
        issue(
          'blob/size-mismatch',
          'error',
          `the manifest says ${entry.size} bytes, the stored blob has ${info.size}`,
        ),
      ],
    }
  }
  const hash = createHash('sha256')
  let size = 0
  let onAbort: (() => void) | undefined
  try {
    signal?.throwIfAborted()
    const stream = await store.get(entry.sha256, location)
    onAbort = () => stream.destroy(signal?.reason as Error)
    signal?.addEventListener('abort', onAbort, { once: true })
    for await (const chunk of stream) {
      const bytes = chunk as Uint8Array
      size += bytes.length
      hash.update(bytes)
    }
  } catch (error) {
    return {
      ...base,
      exists: true,
      sizeOk: true,
      issues: [
        issue(
          'blob/read-failed',
          'error',
          `could not read blob ${entry.sha256}: ${messageOf(error)}`,
        ),
      ],
    }
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort)
  }
  const actual = hash.digest('hex')
  const issues: Issue[] = []
  if (size !== entry.size) {
    issues.push(
      issue(
        'blob/size-mismatch',
        'error',
        `the manifest says ${entry.size} bytes, the store returned ${size}`,
      ),
    )
  }
  if (actual !== entry.sha256) {
    issues.push(
      issue(
        'blob/hash-mismatch',
        'error',
        `expected sha256 ${entry.sha256}, the stored bytes hash to ${actual}`,
      ),
    )
  }
  return {
    ...base,
    exists: true,
    sizeOk: size === entry.size,
    hashOk: actual === entry.sha256,
    actualSha256: actual,
    actualSize: size,
    issues,
  }
}

function issue(
  code: keyof typeof BLOB_CODES,
  severity: Issue['severity'],
  message: string,
  where: { file?: string } = {},
): Issue {
  return { code, severity, message, hint: BLOB_CODES[code], ...where }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
