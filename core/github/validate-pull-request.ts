import { createHash } from 'node:crypto'
import type * as nodeFs from 'node:fs'
import { Readable } from 'node:stream'
import type { Issue } from '#core/errors'
import type { FileEntry, StorageConfig } from '#core/manifest'
import { checkChanges, type ItemRef, refKey, validateRegistry } from '#core/registry'
import { type ScanOptions, type ScanSource, scanFile } from '#core/scan'
import type { BlobStore } from '#core/storage'
import { type BlobInput, buildReport, type ScanInput } from './build-report.ts'
import type { ValidationReport } from './report-schema.ts'

export interface ValidatePullRequestOptions {
  /** Node's fs; isomorphic-git reads the repository through it and the registry loader through its promises. */
  fs: typeof nodeFs
  /** Work tree of the hub repository, checked out at `head`. */
  dir: string
  base: string
  head: string
  author: string
  number: number
  /**
   * Where the files of added versions are looked up, scanned and re-hashed;
   * made by the caller from the hub's settings, so credentials stay in the entry point.
   */
  openStore: (hub: { storage: StorageConfig }) => BlobStore
  now: Date
  scan?: ScanOptions
}

/** Blobs checked at once: each is a HEAD, then a streamed hash. */
const CONCURRENCY = 4

/**
 * The unprivileged half of pull-request validation, as one pipeline: the
 * change rules between base and head (ownership, immutability, namespaces),
 * every rule of the registry over the changed items, then for each file of an
 * added version: is it in storage with the size and hash it claims, and does
 * it pass the file scan. Returns the report; throws only when it cannot run
 * (not a repository, unknown commit).
 *
 * @example
 * const report = await validatePullRequest({ fs, dir: '.', base, head, author: 'octocat', number: 7,
 *   openStore: (hub) => createStore(hub.storage, { repoRoot: '.', env }), now: new Date() })
 */
export async function validatePullRequest(
  options: ValidatePullRequestOptions,
): Promise<ValidationReport> {
  const { fs, dir } = options
  const changed = await checkChanges({
    fs,
    dir,
    base: options.base,
    head: options.head,
    author: options.author,
  })
  const issues: Issue[] = [...changed.issues]
  const present = changed.changes.items.filter((item) => item.status !== 'deleted')
  const refs: ItemRef[] = present.map((item) => item.ref)

  const blobs: BlobInput[] = []
  const scans: ScanInput[] = []
  if (refs.length > 0) {
    const { registry, issues: registryIssues } = await validateRegistry(dir, {
      fs: fs.promises,
      items: refs,
    })
    issues.push(...registryIssues)
    const files: { manifest: string; file: FileEntry }[] = []
    for (const item of present) {
      const loaded = registry.items.get(refKey(item.ref))
      if (!loaded) continue
      for (const version of item.addedVersions) {
        const manifest = loaded.versions.get(version)
        for (const file of manifest?.files ?? []) {
          if (file.url === undefined)
            files.push({ manifest: `${loaded.dir}/versions/${version}.yaml`, file })
        }
      }
    }
    if (files.length > 0) {
      let store: BlobStore | undefined
      try {
        store = options.openStore(registry.hub)
      } catch (error) {
        issues.push({
          code: 'storage/unavailable',
          severity: 'error',
          message: `could not open the hub's blob storage: ${error instanceof Error ? error.message : String(error)}`,
          hint: 'check storage in registry/agora.yaml; pull-request validation reads blobs without credentials, so give the store a public_url',
          file: 'registry/agora.yaml',
        })
      }
      if (store) await checkFiles(store, files, blobs, scans, options.scan ?? {})
    }
  }

  return buildReport({
    pullRequest: {
      number: options.number,
      author: options.author,
      baseSha: changed.changes.base,
      headSha: changed.changes.head,
    },
    issues,
    changes: changed.changes,
    blobs,
    scans,
    now: options.now,
  })
}

async function checkFiles(
  store: BlobStore,
  files: { manifest: string; file: FileEntry }[],
  blobs: BlobInput[],
  scans: ScanInput[],
  scanOptions: ScanOptions,
): Promise<void> {
  // The same bytes listed twice are fetched, hashed and scanned once.
  const bySha = new Map<
    string,
    Promise<{ blob: Omit<BlobInput, 'path' | 'manifest'>; scan?: ScanInput['result'] }>
  >()
  const queue = [...files]
  const results: {
    manifest: string
    file: FileEntry
    blob: Omit<BlobInput, 'path' | 'manifest'>
    scan?: ScanInput['result']
  }[] = []
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const { manifest, file } = next
      let pending = bySha.get(file.sha256)
      if (!pending) {
        pending = checkOne(store, file, scanOptions)
        bySha.set(file.sha256, pending)
      }
      const done = await pending
      results.push({ manifest, file, ...done })
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  results.sort(
    (a, b) => a.manifest.localeCompare(b.manifest) || a.file.path.localeCompare(b.file.path),
  )
  for (const r of results) {
    blobs.push({ path: r.file.path, manifest: r.manifest, ...r.blob, size: r.file.size })
    if (r.scan)
      scans.push({
        manifest: r.manifest,
        sha256: r.file.sha256,
        result: { ...r.scan, path: r.file.path },
      })
  }
}

async function checkOne(
  store: BlobStore,
  file: FileEntry,
  scanOptions: ScanOptions,
): Promise<{ blob: Omit<BlobInput, 'path' | 'manifest'>; scan?: ScanInput['result'] }> {
  const where = file.private ? { private: true } : {}
  const base = { sha256: file.sha256, size: file.size }
  try {
    const info = await store.stat(file.sha256, where)
    if (!info) {
      return {
        blob: {
          ...base,
          status: 'missing',
          message: 'not in the hub’s storage; upload it with agora publish',
        },
      }
    }
    if (info.size !== file.size) {
      return {
        blob: {
          ...base,
          status: 'size-mismatch',
          message: `storage holds ${info.size} bytes, the manifest says ${file.size}`,
        },
      }
    }
    const actual = await hashStream(await store.get(file.sha256, where))
    if (actual !== file.sha256) {
      return {
        blob: { ...base, status: 'hash-mismatch', message: `the stored bytes hash to ${actual}` },
      }
    }
    const result = await scanFile(storeSource(store, file), scanOptions)
    return { blob: { ...base, status: 'ok' }, scan: result }
  } catch (error) {
    return {
      blob: {
        ...base,
        status: 'error',
        message: `could not read it from storage: ${error instanceof Error ? error.message : String(error)}`,
      },
    }
  }
}

async function hashStream(stream: Readable): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of stream) hash.update(chunk as Uint8Array)
  return hash.digest('hex')
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
