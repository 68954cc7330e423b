import { Readable } from 'node:stream'
import type { BlobStore } from '#core/blobs'
import type { Issue } from '#core/errors'
import type { FileEntry } from '#core/manifest'
import {
  BLOB_CODES,
  type BlobCheck,
  type ScanOptions,
  type ScanSource,
  scanFile,
  verifyBlobs,
} from '#core/scan'
import type { BlobInput, ScanInput } from './build-report.ts'
import type { BlobStatus } from './report-schema.ts'

/** A hub-stored file of a version, with the manifest that lists it. */
export interface StoredFile {
  manifest: string
  file: FileEntry
}

export interface CheckStoredFilesOptions {
  store: BlobStore
  /** Which files are scanned once their blob checks out; default every one. */
  scan?: (file: StoredFile) => boolean
  scanOptions?: ScanOptions
  /** Blobs checked at once; default 4 (each is a HEAD, then a streamed hash). */
  concurrency?: number
}

/**
 * The blob and scan steps of pull-request validation: every file is looked up
 * in the store, its size compared and its bytes re-hashed; a file whose blob
 * checks out is then scanned from the store. A blob that does not check out is
 * never scanned (its bytes are not the ones the manifest names); a blob listed
 * by several versions is read and scanned once. Used by the validate action
 * and by `agora validate --blobs/--scan/--like-ci`, so both judge alike.
 *
 * @example
 * const { blobs, scans } = await checkStoredFiles(files, { store })
 * const issues = storedFileIssues({ blobs, scans })
 */
export async function checkStoredFiles(
  files: readonly StoredFile[],
  options: CheckStoredFilesOptions,
): Promise<{ blobs: BlobInput[]; scans: ScanInput[] }> {
  const { store } = options
  const wanted = files.filter((f) => f.file.url === undefined)
  const ordered = [...wanted].sort(
    (a, b) => a.manifest.localeCompare(b.manifest) || a.file.path.localeCompare(b.file.path),
  )
  // One call, so a blob listed by several versions is fetched and hashed once.
  const checks = await verifyBlobs(
    ordered.map((f) => f.file),
    { store, concurrency: options.concurrency ?? 4 },
  )
  const blobs: BlobInput[] = []
  const scans: ScanInput[] = []
  const scanned = new Map<string, Promise<ScanInput['result']>>()
  for (const [index, stored] of ordered.entries()) {
    const { manifest, file } = stored
    const check = checks[index]
    if (!check || check.skipped) continue
    const status = statusOf(check)
    const message = check.issues[0]?.message
    blobs.push({
      path: file.path,
      manifest,
      sha256: file.sha256,
      size: file.size,
      status,
      ...(message === undefined ? {} : { message }),
    })
    if (status !== 'ok' || (options.scan && !options.scan(stored))) continue
    let result = scanned.get(file.sha256)
    if (!result) {
      result = scanFile(storeSource(store, file), options.scanOptions ?? {})
      scanned.set(file.sha256, result)
    }
    scans.push({ manifest, sha256: file.sha256, result: { ...(await result), path: file.path } })
  }
  return { blobs, scans }
}

const BLOB_STATUS_CODES: Record<Exclude<BlobStatus, 'ok'>, keyof typeof BLOB_CODES> = {
  missing: 'blob/missing',
  'size-mismatch': 'blob/size-mismatch',
  'hash-mismatch': 'blob/hash-mismatch',
  error: 'blob/read-failed',
}

/**
 * The problems in blob checks and scans as issues on the manifests that list
 * the files: one per blob that does not check out (naming its hash), and one
 * per finding of a scan whose verdict is not `safe`, with the scanner's own
 * code. A scan that is not safe is always an error, whatever its findings'
 * severities, so an unscannable file fails closed as the pull-request check does.
 *
 * @example storedFileIssues({ blobs, scans }).map((i) => i.code) // ['scan/pickle-dangerous-import']
 */
export function storedFileIssues(input: {
  blobs: readonly BlobInput[]
  scans: readonly ScanInput[]
}): Issue[] {
  const issues: Issue[] = []
  for (const blob of input.blobs) {
    if (blob.status === 'ok') continue
    const code = BLOB_STATUS_CODES[blob.status]
    const detail = blob.message ?? code
    issues.push({
      code,
      severity: 'error',
      message: `blob ${blob.sha256} (${blob.path}): ${detail.startsWith(`${blob.path}: `) ? detail.slice(blob.path.length + 2) : detail}`,
      hint: BLOB_CODES[code],
      file: blob.manifest,
    })
  }
  for (const scan of input.scans) {
    const { result } = scan
    if (result.verdict === 'safe') continue
    // verdictOf never gives a verdict other than safe without a finding.
    const errors = result.findings.filter((f) => f.severity === 'error')
    for (const finding of errors.length > 0 ? errors : result.findings) {
      issues.push({
        code: finding.code,
        severity: 'error',
        message: `${result.path} (${result.verdict}): ${finding.message}`,
        ...(finding.hint === undefined ? {} : { hint: finding.hint }),
        file: scan.manifest,
      })
    }
  }
  return issues
}

/** The report's one-word status of a blob check. */
function statusOf(check: BlobCheck): BlobStatus {
  if (check.exists && check.sizeOk && check.hashOk) return 'ok'
  const codes = check.issues.map((i) => i.code)
  if (codes.includes('blob/missing')) return 'missing'
  if (codes.includes('blob/read-failed') || !check.exists) return 'error'
  if (!check.sizeOk) return 'size-mismatch'
  return 'hash-mismatch'
}

/** A scan source over a stored blob: ranged reads for headers, a stream for whole-file formats. */
function storeSource(store: BlobStore, file: FileEntry): ScanSource {
  const where = file.private ? { private: true } : {}
  return {
    path: file.path,
    size: file.size,
    async read(start, end) {
      const last = Math.min(end, file.size) - 1
      if (last < start) return new Uint8Array(0)
      const chunks: Uint8Array[] = []
      for await (const chunk of await store.get(file.sha256, { ...where, start, end: last })) {
        chunks.push(chunk as Uint8Array)
      }
      return Buffer.concat(chunks)
    },
    stream() {
      return Readable.from(
        (async function* () {
          yield* await store.get(file.sha256, where)
        })(),
      )
    },
  }
}
