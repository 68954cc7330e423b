import type * as nodeFs from 'node:fs'
import { Readable } from 'node:stream'
import git from 'isomorphic-git'
import { AgoraError, type Issue } from '#core/errors'
import type { FileEntry, StorageConfig } from '#core/manifest'
import { checkChanges, type ItemRef, refKey, validateRegistry } from '#core/registry'
import {
  type BlobCheck,
  type ScanOptions,
  type ScanSource,
  scanFile,
  verifyBlobs,
} from '#core/scan'
import type { BlobStore } from '#core/storage'
import { type BlobInput, buildReport, type ScanInput } from './build-report.ts'
import type { BlobStatus, ValidationReport } from './report-schema.ts'

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
 * (not a repository, unknown commit, work tree not at head).
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
  // The registry rules read the work tree; it must be the commit the change rules compared.
  const checkedOut = await git.resolveRef({ fs, dir, ref: 'HEAD' }).catch(() => undefined)
  if (checkedOut !== changed.changes.head) {
    throw new AgoraError(
      'github/worktree-not-head',
      `${dir} has ${checkedOut?.slice(0, 12) ?? 'no commit'} checked out, not the head ${changed.changes.head.slice(0, 12)}`,
      {
        hint: 'check out the pull request head (actions/checkout with ref: the head SHA) before validating',
      },
    )
  }
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
  const ordered = [...files].sort(
    (a, b) => a.manifest.localeCompare(b.manifest) || a.file.path.localeCompare(b.file.path),
  )
  // One call, so a blob listed by several versions is fetched and hashed once.
  const checks = await verifyBlobs(
    ordered.map((f) => f.file),
    { store, concurrency: CONCURRENCY },
  )
  const scanned = new Map<string, Promise<ScanInput['result']>>()
  for (const [index, { manifest, file }] of ordered.entries()) {
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
    if (status !== 'ok') continue
    let result = scanned.get(file.sha256)
    if (!result) {
      result = scanFile(storeSource(store, file), scanOptions)
      scanned.set(file.sha256, result)
    }
    scans.push({ manifest, sha256: file.sha256, result: { ...(await result), path: file.path } })
  }
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
