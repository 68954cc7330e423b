import * as nodeFs from 'node:fs'
import { dirname, relative } from 'node:path'
import picomatch from 'picomatch'
// Single semver functions: the package's index loads all 48 of its files on every start.
import semverSatisfies from 'semver/functions/satisfies.js'
import semverValidRange from 'semver/ranges/valid.js'
import { AgoraError, plural } from '#core/errors'
import { formatRef, type ItemRef, type ItemSpec } from '#core/names'
import { checkCachedBlob, dropBlob, sealBlob } from './blob-check.ts'
import {
  acquireLock,
  blobCachePath,
  blobLockPath,
  type ClientFs,
  type LinkMode,
  placeFile,
  snapshotDir,
} from './cache.ts'
import { markSnapshotUsed } from './cache-scan.ts'
import { checkLockedEntry } from './documents.ts'
import { downloadBlob } from './download.ts'
import { startHashingThread } from './hasher.ts'
import { assertInside, assertNoLinkInside } from './inside.ts'
import {
  hubKeyring,
  type LicenceInput,
  presignedUrls,
  refreshRevocations,
  verifyForResolution,
} from './licensed.ts'
import {
  diffLocked,
  type LockedItem,
  type Lockfile,
  lockKey,
  pinItem,
  readLockfile,
} from './lockfile.ts'
import { updateLockfile } from './lockfile-update.ts'
import { assertNoConflicts, assertTargetFolder, findTargetConflicts } from './place-check.ts'
import {
  checkFiles,
  parseSpec,
  type Resolution,
  type ResolveOptions,
  resolve,
  resolveOffline,
} from './resolve.ts'

export interface PullOptions extends ResolveOptions {
  /** The cache: `<cache>/<kind>s--<ns>--<name>/{blobs,snapshots}`. */
  cacheDir: string
  /** Also place the files in this folder. */
  to?: string | undefined
  /**
   * How files are placed in `to`; default copy (a reflink where the file
   * system has them), so editing a placed file never alters the cache.
   * hardlink and symlink share the cache's read-only bytes.
   */
  link?: LinkMode | undefined
  /** Overwrite files in `to` that hold other bytes; refused with client/target-exists otherwise. */
  force?: boolean | undefined
  /** Only files matching one of these globs (picomatch); default all. */
  include?: string[] | undefined
  /** agora.lock to read and update; none when undefined. */
  lockFile?: string | undefined
  /** Use the locked version and refuse anything that differs from the lock. */
  locked?: boolean | undefined
  /** Serve from the cache only; say what is missing. */
  offline?: boolean | undefined
  /** Blobs downloading at once; default 4. */
  concurrency?: number | undefined
  /** Progress and notices, for a progress bar or JSON lines. */
  onEvent?: ((event: PullEvent) => void) | undefined
  /** A blob lock untouched this long is broken (its owner died); default 60 s. */
  lockStaleMs?: number | undefined
  /**
   * A licence file for the item's paid files: verified offline against the
   * hub's pinned keys, then sent to the licence service for short-lived URLs.
   * Unpaid files never need one.
   */
  licence?: LicenceInput | undefined
}

export type PullEvent =
  | {
      type: 'resolved'
      resolution: Resolution
      totalBytes: number
      fetchBytes: number
      files: number
    }
  | { type: 'progress'; bytes: number }
  | { type: 'file'; path: string; cached: boolean }
  | { type: 'warning'; message: string }
  /** A collection pull starts on its `index`th member (from 0) of `total`. */
  | { type: 'member'; collection: ItemRef; ref: ItemSpec; index: number; total: number }

export interface PulledFile {
  path: string
  size: number
  sha256: string
  /** True when the blob was already in the cache. */
  cached: boolean
  /** The file in the snapshot (or in `to` when given). */
  location: string
}

export interface PullResult {
  ref: ItemRef
  version: string
  commit?: string | undefined
  /** `<cache>/<item>/snapshots/<version>`. */
  snapshot: string
  files: PulledFile[]
  /** Bytes that came over the network. */
  downloadedBytes: number
  warnings: string[]
  /** True when agora.lock was written. */
  lockChanged: boolean
}

/**
 * Pulls an item into the cache (and optionally a folder): resolves it,
 * downloads missing blobs in parallel with resume and retries, verifies
 * every size and SHA-256, links the snapshot, and records agora.lock. Two
 * pulls of one blob at once download it once (a lock file per blob).
 *
 * @example
 * const result = await pull('acme/tox-gnn@1.2.0', {
 *   fetch, fs, indexUrl: 'http://127.0.0.1:4321', cacheDir: '/home/me/.cache/agora', to: 'models/tox', lockFile: 'agora.lock',
 * })
 */
export async function pull(spec: string | ItemSpec, options: PullOptions): Promise<PullResult> {
  const fs = options.fs ?? nodeFs
  const parsed = parseSpec(spec)
  if (parsed.kind === 'collection') {
    throw new AgoraError('client/is-collection', `${formatRef(parsed)} is a collection`, {
      hint: 'pull its members with pullCollection(); agora pull does this for you',
    })
  }
  const lock: Lockfile | undefined = options.lockFile
    ? await readLockfile(options.lockFile, fs)
    : undefined
  const { result, entry } = await pullItem(parsed, lock, options)
  let lockChanged = false
  if (options.lockFile && lock && !options.locked) {
    // Merged into the lock as it is now, under its lock: other pulls may have written since we read it.
    lockChanged = await updateLockfile(
      options.lockFile,
      (current) => {
        pinItem(current, lockKey(result.ref), entry)
      },
      { fs, staleMs: options.lockStaleMs, signal: options.signal },
    )
  }
  return { ...result, lockChanged }
}

/**
 * Pulls one item (never a collection) and returns what agora.lock should
 * record for it; writes no lock, so a collection can record all its members
 * at once or none.
 *
 * @example const { result, entry } = await pullItem(parseSpec('acme/x'), lock, options)
 */
export async function pullItem(
  parsed: ItemSpec,
  lock: Lockfile | undefined,
  options: PullOptions,
): Promise<{ result: PullResult; entry: LockedItem }> {
  const fs = options.fs ?? nodeFs
  // Booting while the index is read; an item with only small files or all of
  // them cached leaves it idle, which costs a little memory, not time.
  if (!options.offline) startHashingThread()
  const ref: ItemRef = { kind: parsed.kind, ns: parsed.ns, name: parsed.name }
  const lockedItem: LockedItem | undefined = lock?.items[lockKey(ref)]
  // A hand-edited lock is as untrusted as the index: check it before its strings become paths.
  if (lockedItem) checkLockedEntry(`${options.lockFile}: ${lockKey(ref)}`, lockedItem)
  if (options.locked) {
    if (!lockedItem) {
      throw new AgoraError(
        'client/not-locked',
        `${formatRef(ref)} is not in ${options.lockFile ?? 'agora.lock'}`,
        {
          hint: 'pull it once without --locked to add it to the lock file',
        },
      )
    }
    // A tag, or a range the locked version satisfies, is what `--locked` replays as is.
    const asked = parsed.version
    const fits =
      asked === undefined ||
      asked === lockedItem.version ||
      isTag(asked) ||
      (semverValidRange(asked) !== null && semverSatisfies(lockedItem.version, asked))
    if (!fits) {
      throw new AgoraError(
        'client/lock-mismatch',
        `${formatRef(ref)}@${parsed.version} was asked for, ${lockedItem.version} is locked`,
        { hint: 'drop --locked to change the locked version, or ask for the locked one' },
      )
    }
  }

  const resolution = await resolveFor(parsed, ref, lockedItem, options)
  const warnings = [...resolution.warnings]
  for (const message of warnings) options.onEvent?.({ type: 'warning', message })
  if (options.locked && lockedItem && !options.offline) {
    const differences = diffLocked(ref, lockedItem, resolution)
    if (differences.length > 0) {
      throw new AgoraError('client/lock-mismatch', differences.join('; '), {
        ...(options.lockFile ? { file: options.lockFile } : {}),
        hint: 'the hub now serves other bytes than were locked; pull without --locked to accept them after review',
      })
    }
  }

  const matches = options.include?.length ? picomatch(options.include, { dot: true }) : undefined
  const wanted = matches ? resolution.files.filter((f) => matches(f.path)) : resolution.files
  if (matches && wanted.length === 0) {
    throw new AgoraError(
      'client/nothing-included',
      `no file of ${formatRef(ref)}@${resolution.version} matches --include`,
      {
        hint: `files: ${resolution.files
          .map((f) => f.path)
          .slice(0, 10)
          .join(', ')}`,
      },
    )
  }

  const paid = wanted.filter((f) => f.private)
  if (paid.length > 0 && !options.licence) {
    throw new AgoraError(
      'client/licence-required',
      `${formatRef(ref)}@${resolution.version}: ${paid.map((f) => f.path).join(', ')} ${paid.length === 1 ? 'is' : 'are'} paid or private`,
      {
        hint: 'buy a licence on the item page and pass it with --licence FILE (or AGORA_LICENCE), or leave the paid files out with --include',
      },
    )
  }
  if (paid.length > 0 && options.licence) {
    // Online, the hub's revocation list is fetched before the licence is
    // judged, so a refunded licence stops here even when every paid file is
    // already cached; a list that cannot be fetched leaves the cached one.
    if (!options.offline) {
      const licensing = resolution.licensing
      try {
        await refreshRevocations({
          fetch: options.fetch,
          cacheDir: options.cacheDir,
          licensing: licensing ?? { base: '', keys: [] },
          keys: hubKeyring(licensing),
          fs,
        })
      } catch (error) {
        const message = `could not refresh the hub's revocation list (${error instanceof Error ? error.message : String(error)}); judging the licence by the cached one`
        warnings.push(message)
        options.onEvent?.({ type: 'warning', message })
      }
    }
    await verifyForResolution(
      options.licence,
      resolution,
      paid.map((f) => f.sha256),
      { cacheDir: options.cacheDir, fs },
    )
  }
  const cachedShas = new Set<string>()
  const toFetch = new Map<string, (typeof wanted)[number]>()
  const corrupt: string[] = []
  for (const file of wanted) {
    if (cachedShas.has(file.sha256) || toFetch.has(file.sha256)) continue
    const blob = assertInside(
      options.cacheDir,
      blobCachePath(options.cacheDir, ref, file.sha256),
      'a blob',
    )
    const state = await checkCachedBlob(blob, file, fs)
    if (state === 'ok') cachedShas.add(file.sha256)
    else toFetch.set(file.sha256, file)
    if (state === 'corrupt') corrupt.push(file.path)
  }
  if (corrupt.length > 0) {
    const what = `${formatRef(ref)}@${resolution.version}: the cached ${corrupt.join(', ')} no longer match${corrupt.length === 1 ? 'es' : ''} ${corrupt.length === 1 ? 'its' : 'their'} SHA-256`
    if (options.offline) {
      throw new AgoraError('client/cache-corrupt', what, {
        hint: 'a cached file was altered (an edit through a hard link?); pull again online to fetch it afresh, or run "agora cache verify --repair"',
      })
    }
    const message = `${what}; fetching again`
    warnings.push(message)
    options.onEvent?.({ type: 'warning', message })
    for (const file of wanted.filter((f) => corrupt.includes(f.path)))
      await dropBlob(blobCachePath(options.cacheDir, ref, file.sha256), fs)
  }
  if (options.offline && toFetch.size > 0) {
    const missing = wanted.filter((f) => toFetch.has(f.sha256)).map((f) => f.path)
    throw new AgoraError(
      'client/offline-missing',
      `${formatRef(ref)}@${resolution.version}: ${plural(missing.length, 'file')} not in the cache: ${missing.join(', ')}`,
      { hint: 'run the pull again with network access (without --offline)' },
    )
  }
  const paidToFetch = [...toFetch.values()].filter((f) => f.private)
  if (paidToFetch.length > 0 && options.licence) {
    const licensing = resolution.licensing
    const urls = await presignedUrls({
      fetch: options.fetch,
      service: licensing?.service,
      licence: options.licence.text,
      sha256s: paidToFetch.map((f) => f.sha256),
    })
    for (const file of paidToFetch)
      toFetch.set(file.sha256, { ...file, url: urls.get(file.sha256) ?? '' })
  }
  if (options.to) await assertTargetFolder(options.to, fs)
  if (options.to && !options.force) {
    const to = options.to
    assertNoConflicts(
      to,
      await findTargetConflicts(to, wanted, {
        fs,
        blobOf: (sha256) => blobCachePath(options.cacheDir, ref, sha256),
        placedBefore: lockedItem?.files,
      }),
    )
  }
  // Lexical checks cannot see a link planted in the cache or in --to; refuse one before any byte moves.
  await refuseLinks(ref, resolution.version, wanted, options, fs)
  options.onEvent?.({
    type: 'resolved',
    resolution,
    files: wanted.length,
    totalBytes: wanted.reduce((n, f) => n + f.size, 0),
    fetchBytes: [...toFetch.values()].reduce((n, f) => n + f.size, 0),
  })

  let downloadedBytes = 0
  const fetchedNow = new Set<string>()
  await mapLimit([...toFetch.values()], Math.max(1, options.concurrency ?? 4), async (file) => {
    const target = assertInside(
      options.cacheDir,
      blobCachePath(options.cacheDir, ref, file.sha256),
      'a blob',
    )
    const lockPath = assertInside(
      options.cacheDir,
      blobLockPath(options.cacheDir, ref, file.sha256),
      'a blob lock',
    )
    const held = await acquireLock(lockPath, {
      fs,
      ...(options.lockStaleMs === undefined ? {} : { staleMs: options.lockStaleMs }),
      ...(options.signal ? { signal: options.signal } : {}),
    })
    try {
      // Another pull may have finished this blob while we waited for the lock.
      if ((await checkCachedBlob(target, file, fs)) === 'ok') return
      const done = await downloadBlob({
        fetch: options.fetch,
        url: file.url,
        target,
        expected: { sha256: file.sha256, size: file.size },
        fs,
        retry: options.retry,
        signal: options.signal,
        stallTimeoutMs: options.stallTimeoutMs,
        onProgress: (bytes) => options.onEvent?.({ type: 'progress', bytes }),
      })
      await sealBlob(target, file.sha256, fs)
      downloadedBytes += done.transferred
      fetchedNow.add(file.sha256)
    } finally {
      await held.release()
    }
  })

  const snapshot = assertInside(
    options.cacheDir,
    snapshotDir(options.cacheDir, ref, resolution.version),
    'a snapshot',
  )
  const files: PulledFile[] = []
  for (const file of wanted) {
    const blob = assertInside(
      options.cacheDir,
      blobCachePath(options.cacheDir, ref, file.sha256),
      'a blob',
    )
    const inSnapshot = assertInside(snapshot, file.path, `the snapshot path of ${file.path}`)
    await assertNoLinkInside(options.cacheDir, inSnapshot, {
      fs,
      what: `the snapshot path of ${file.path}`,
    })
    await linkSnapshot(fs, blob, inSnapshot)
    let location = inSnapshot
    if (options.to) {
      location = assertInside(options.to, file.path, `the --to path of ${file.path}`)
      await assertNoLinkInside(options.to, location, { fs, what: `the --to path of ${file.path}` })
      await placeFile(blob, location, options.link ?? 'copy', fs)
    }
    const cached = !fetchedNow.has(file.sha256)
    options.onEvent?.({ type: 'file', path: file.path, cached })
    files.push({ path: file.path, size: file.size, sha256: file.sha256, cached, location })
  }

  await markSnapshotUsed(snapshot, fs)
  const entry: LockedItem = {
    version: resolution.version,
    commit: resolution.commit,
    files: resolution.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })),
  }
  return {
    result: {
      ref,
      version: resolution.version,
      commit: resolution.commit,
      snapshot,
      files,
      downloadedBytes,
      warnings,
      lockChanged: false,
    },
    entry,
  }
}

async function resolveFor(
  parsed: ItemSpec,
  ref: ItemRef,
  lockedItem: LockedItem | undefined,
  options: PullOptions,
): Promise<Resolution> {
  const useLocked =
    lockedItem !== undefined &&
    (options.locked ||
      (options.offline && (!parsed.version || parsed.version === lockedItem.version)))
  if (options.offline) {
    if (useLocked && lockedItem) {
      return {
        ref,
        version: lockedItem.version,
        commit: lockedItem.commit,
        files: checkFiles(ref, lockedItem.version, lockedItem.files).map((f) => ({
          path: f.path,
          size: f.size,
          sha256: f.sha256,
          url: '',
        })),
        warnings: [],
        source: options.lockFile ?? 'agora.lock',
      }
    }
    return resolveOffline(parsed, { ...options, cacheDir: options.cacheDir })
  }
  return resolve(
    useLocked && lockedItem ? { ...ref, version: lockedItem.version } : parsed,
    options,
  )
}

/**
 * Refuses a symbolic link on the way to any path the pull will write: the
 * blob, its lock, its snapshot link and its --to file. The last part may be
 * a link (snapshots are links; `--link symlink` placed links): it is
 * replaced by a rename, never written through.
 */
async function refuseLinks(
  ref: ItemRef,
  version: string,
  files: readonly { path: string; sha256: string }[],
  options: PullOptions,
  fs: ClientFs,
): Promise<void> {
  const cache = options.cacheDir
  const snapshot = snapshotDir(cache, ref, version)
  for (const file of files) {
    await assertNoLinkInside(cache, blobCachePath(cache, ref, file.sha256), { fs, what: 'a blob' })
    await assertNoLinkInside(cache, blobLockPath(cache, ref, file.sha256), {
      fs,
      what: 'a blob lock',
    })
    await assertNoLinkInside(cache, assertInside(snapshot, file.path), {
      fs,
      what: `the snapshot path of ${file.path}`,
    })
    if (options.to) {
      await assertNoLinkInside(options.to, assertInside(options.to, file.path), {
        fs,
        what: `the --to path of ${file.path}`,
      })
    }
  }
}

/** A dist-tag rather than a version or range: lower-case letters, digits and dashes, starting with a letter. */
function isTag(text: string): boolean {
  return /^[a-z][a-z0-9-]*$/.test(text)
}

/**
 * Points `snapshots/<version>/<path>` at its blob with a relative symlink
 * (as the Hugging Face cache does), made under a temp name and renamed into
 * place; copies where symlinks are refused.
 */
async function linkSnapshot(fs: ClientFs, blob: string, target: string): Promise<void> {
  const current = await fs.promises.readlink(target).catch(() => undefined)
  const wantedLink = relative(dirname(target), blob)
  if (current === wantedLink) return
  await placeFile(blob, target, 'symlink', fs)
}

/** Runs `fn` over `inputs`, at most `limit` at once; the first failure wins once all settle. */
async function mapLimit<T>(
  inputs: readonly T[],
  limit: number,
  fn: (input: T) => Promise<void>,
): Promise<void> {
  let next = 0
  let failure: { error: unknown } | undefined
  const worker = async () => {
    while (next < inputs.length && !failure) {
      const input = inputs[next++] as T
      try {
        await fn(input)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, worker))
  if (failure) throw failure.error
}
