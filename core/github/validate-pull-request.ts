import type * as nodeFs from 'node:fs'
import git from 'isomorphic-git'
import type { BlobStore } from '#core/blobs'
import { AgoraError, type Issue } from '#core/errors'
import type { StorageConfig } from '#core/manifest'
import { type ItemRef, refKey } from '#core/names'
import { checkChanges, validateRegistry } from '#core/registry'
import type { ScanOptions } from '#core/scan'
import { type BlobInput, buildReport, type ScanInput } from './build-report.ts'
import { checkStoredFiles, type StoredFile } from './check-stored-files.ts'
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
    const files: StoredFile[] = []
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
      if (store) {
        const checked = await checkStoredFiles(files, {
          store,
          concurrency: CONCURRENCY,
          ...(options.scan === undefined ? {} : { scanOptions: options.scan }),
        })
        blobs.push(...checked.blobs)
        scans.push(...checked.scans)
      }
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
