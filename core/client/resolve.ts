import type { KeyObject } from 'node:crypto'
import * as nodeFs from 'node:fs'
import { join } from 'node:path'
// Single semver functions: the package's index loads all 48 of its files on every start.
import semverRcompare from 'semver/functions/rcompare.js'
import semverMaxSatisfying from 'semver/ranges/max-satisfying.js'
import semverValidRange from 'semver/ranges/valid.js'
import { SHA256_PATTERN, writeFileAtomic } from '#core/blobs'
import { AgoraError, hasErrors } from '#core/errors'
import type { SearchIndex } from '#core/index-format'
import {
  fillTemplate,
  type IndexConfig,
  type IndexItem,
  type IndexMember,
  type IndexVersion,
  loadPublicKey,
  openDocument,
  rawPublicKey,
} from '#core/index-format'
import type {
  HubConfig,
  ItemManifest,
  ItemStatus,
  PublicKeyConfig,
  VersionManifest,
  VersionStatus,
} from '#core/manifest'
import {
  closestName,
  formatRef,
  type ItemRef,
  type ItemSpec,
  isSafeFilePath,
  itemDir,
  KINDS,
  kindPlural,
  parseKind,
  parseRef,
} from '#core/names'
import { type ClientFs, itemCacheDir } from './cache.ts'
import { checkIndexItem, isValidVersion, pathClash } from './documents.ts'
import {
  checkExpiry,
  checkFreshness,
  checkItemSequence,
  hubCacheDir,
  itemFloor,
} from './freshness.ts'
import { type ClientRetryOptions, getText } from './http.ts'
import { assertInside, assertNoLinkInside } from './inside.ts'
import { checkSearchIndex, closestIds } from './search.ts'
import { sanitizeForTerminal } from './terminal-text.ts'

/** Where and how to look an item up. */
export interface ResolveOptions {
  fetch: typeof globalThis.fetch
  /** Base URL of a hub's static index; `<indexUrl>/index/config.json` is read first. */
  indexUrl?: string | undefined
  /** Raw Git URLs (secondary): a template with `{commit}` and `{path}` … */
  rawUrlTemplate?: string | undefined
  /** … and the commit it is pinned to (a full hash). */
  commit?: string | undefined
  /** Blob URL template for the raw path, with `{prefix}`, `{sha256}` and `{base}` (the hub's base_url); default from agora.yaml `storage.public_url` at the commit. */
  blobUrlTemplate?: string | undefined
  /**
   * The hub's Ed25519 public key (base64 or a KeyObject). Without one the
   * key in config.json is trusted on first use and pinned in the cache.
   */
  publicKey?: KeyObject | string | undefined
  /** Cache folder: config.json, the pinned key and item documents are kept there. */
  cacheDir?: string | undefined
  /** How long a cached config.json is used without asking the server again; default 5 min. */
  configTtlMs?: number
  fs?: ClientFs
  retry?: ClientRetryOptions | undefined
  signal?: AbortSignal | undefined
  /** Accept an index older than one already seen, or expired (an operator who knows why). */
  allowRollback?: boolean | undefined
  /** Give up on a server that sends nothing for this long; default 30 s. */
  stallTimeoutMs?: number | undefined
  /** Refuse index documents larger than this; default 32 MiB. */
  maxDocumentBytes?: number | undefined
}

/** A file of the resolved version and the URL it downloads from. */
export interface ResolvedFile {
  path: string
  size: number
  sha256: string
  /** Empty for paid or private files, which need a presigned URL from the licence service. */
  url: string
  private?: boolean
}

/** What a spec resolved to. */
export interface Resolution {
  ref: ItemRef
  version: string
  /** The registry commit the answer came from, when known. */
  commit?: string | undefined
  files: ResolvedFile[]
  status?: VersionStatus | undefined
  itemStatus?: ItemStatus | undefined
  /** Things worth telling the user (yanked version, unsigned index). */
  warnings: string[]
  /** The index base or raw template the answer came from. */
  source: string
  /** The hub's licence keys and service, from its signed config.json (index answers only). */
  licensing?: HubLicensing | undefined
}

/** What a client needs to verify licences and fetch paid files: from the signed config.json. */
export interface HubLicensing {
  /** The index base, which names the hub's cache folder. */
  base: string
  keys: PublicKeyConfig[]
  service?: string | undefined
}

/**
 * Parses `[kind/]ns/name[@version|@tag]`, throwing a usable error when it does not parse.
 *
 * @example parseSpec('datasets/acme/tox21@1.0.0')
 */
export function parseSpec(spec: string | ItemSpec): ItemSpec {
  const parsed = typeof spec === 'string' ? parseRef(spec.trim()) : spec
  // Names go into URLs and cache folders: only the registry's lower-case id alphabet gets there.
  const safe = (part: string) => ID_PART.test(part) && !part.includes('..')
  const version = parsed?.version
  if (
    !parsed ||
    !safe(parsed.ns) ||
    !safe(parsed.name) ||
    (version !== undefined && !VERSION_PART.test(version))
  ) {
    throw new AgoraError(
      'client/bad-spec',
      `"${typeof spec === 'string' ? spec : formatRef(spec)}" is not an item reference`,
      {
        hint:
          (typeof spec === 'string' ? unknownKindHint(spec.trim()) : undefined) ??
          'write [kind/]namespace/name[@version|@tag], e.g. acme/tox-gnn@1.2.0 or datasets/acme/tox21',
      },
    )
  }
  return parsed
}

/**
 * For `kind/ns/name` whose first part is no kind (`modles/acme/tox`): the
 * kind it was most likely meant to be, and the kinds there are.
 *
 * @example unknownKindHint('modles/acme/tox') // '"modles" is not a kind: did you mean models/acme/tox? …'
 */
function unknownKindHint(spec: string): string | undefined {
  const parts = spec.split('/')
  const first = parts[0] ?? ''
  if (parts.length !== 3 || parseKind(first)) return undefined
  const plurals = KINDS.map(kindPlural)
  const near = closestName(first, plurals, 2)
  const meant = near ? `did you mean ${[near, ...parts.slice(1)].join('/')}? ` : ''
  return `"${first}" is not a kind: ${meant}kinds are ${plurals.join(', ')}`
}

const ID_PART = /^[a-z0-9](?:[a-z0-9._-]{0,98}[a-z0-9])?$/
const VERSION_PART = /^[0-9A-Za-z.+\-^~<>=| *x]{1,128}$/

/**
 * Resolves an item spec to a version and its files: through the hub's static
 * index (two requests: config.json, cached, and the item's file; both
 * signature-checked) or, given `rawUrlTemplate` and `commit`, through raw
 * Git URLs pinned to that commit (item.yaml for dist-tags, then the version file).
 *
 * @example
 * const r = await resolve('acme/tox-gnn@latest', { fetch, indexUrl: 'http://127.0.0.1:4321', cacheDir })
 * r.files // [{ path: 'model.onnx', size: 5123, sha256: '…', url: 'http://127.0.0.1:4321/blobs/sha256/…' }]
 */
export async function resolve(
  spec: string | ItemSpec,
  options: ResolveOptions,
): Promise<Resolution> {
  const parsed = parseSpec(spec)
  if (options.indexUrl) return resolveFromIndex(parsed, options.indexUrl, options)
  if (options.rawUrlTemplate && options.commit)
    return resolveFromRaw(parsed, options.rawUrlTemplate, options.commit, options)
  throw new AgoraError('client/no-source', 'no index URL and no raw URL template to resolve from', {
    hint: 'pass --index <url> (or set AGORA_INDEX_URL), or a raw URL template and --commit',
  })
}

/**
 * The index base URL: what `{base}` means in config.json templates.
 *
 * @example indexBase('http://localhost:4321/index/config.json') // 'http://localhost:4321'
 */
export function indexBase(indexUrl: string): string {
  return indexUrl.replace(/\/+$/, '').replace(/\/index(\/config\.json)?$/, '')
}

/** What getText needs from the resolve options, for every document request. */
function limits(options: ResolveOptions) {
  return {
    retry: options.retry,
    signal: options.signal,
    stallTimeoutMs: options.stallTimeoutMs,
    maxBytes: options.maxDocumentBytes,
  }
}

/** An item's cached index document, with the freshness it was accepted under. */
interface CachedEntry {
  text: string
  etag?: string | undefined
  expires?: string | undefined
}

function entryCachePath(cacheDir: string, ref: ItemRef): string {
  return assertInside(cacheDir, join(itemCacheDir(cacheDir, ref), 'index.json'), 'the index cache')
}

interface CachedConfig {
  text: string
  etag?: string | undefined
  fetchedAt: number
  /** The key trusted on first use, kept so a later change is noticed. */
  trustedKey?: string | undefined
}

async function resolveFromIndex(
  spec: ItemSpec,
  indexUrl: string,
  options: ResolveOptions,
): Promise<Resolution> {
  const { entry, base, config, warnings } = await loadIndexEntry(spec, indexUrl, options)
  const resolution = fromIndexEntry(spec, entry, {
    base,
    blobs: config.blobs,
    source: base,
    warnings,
    commit: entry.commit ?? config.commit,
  })
  return { ...resolution, licensing: licensingOf(base, config) }
}

function licensingOf(base: string, config: IndexConfig): HubLicensing {
  return {
    base,
    keys: config.licence_keys ?? [],
    ...(config.licence_service ? { service: config.licence_service } : {}),
  }
}

/**
 * The licence keys and service of a hub as its cached config.json says,
 * checked against the given key or the one pinned on first use: what
 * `agora licence verify` and an offline pull trust. Undefined when the hub
 * was never read online.
 *
 * @example await cachedLicensing({ cacheDir, indexUrl: 'http://127.0.0.1:4321' })
 */
export async function cachedLicensing(options: {
  cacheDir: string
  indexUrl: string
  publicKey?: KeyObject | string | undefined
  fs?: ClientFs | undefined
}): Promise<HubLicensing | undefined> {
  const base = indexBase(options.indexUrl)
  const path = join(hubCacheDir(options.cacheDir, base), 'config.json')
  const record = await readJson<CachedConfig>(options.fs, path)
  if (!record) return undefined
  const key = options.publicKey ?? record.trustedKey
  const publicKey = typeof key === 'string' ? loadPublicKey(key) : key
  return licensingOf(base, openDocument<IndexConfig>(record.text, { file: path, publicKey }))
}

/** Fetches (or revalidates) an item's signed index document, checks it and caches it. */
async function loadIndexEntry(
  ref: ItemRef,
  indexUrl: string,
  options: ResolveOptions,
): Promise<{ entry: IndexItem; base: string; config: IndexConfig; warnings: string[] }> {
  const base = indexBase(indexUrl)
  const { config, publicKey, warnings, floor } = await loadConfig(base, options)
  const url = fillTemplate(config.items, {
    base,
    kinds: kindPlural(ref.kind),
    kind: ref.kind,
    ns: ref.ns,
    name: ref.name,
  })
  const cachePath = options.cacheDir ? entryCachePath(options.cacheDir, ref) : undefined
  const cached = cachePath ? await readJson<CachedEntry>(options.fs, cachePath) : undefined
  const answer = await getText(options.fetch, url, {
    etag: cached?.etag,
    ...limits(options),
    what: `the index entry of ${formatRef(ref)}`,
  }).catch(async (error: unknown) => {
    throw await withSuggestions(error, ref, () =>
      fetchSearchIndex(base, { config, publicKey, floor }, options),
    )
  })
  const text = answer.status === 304 && cached ? cached.text : (answer.text ?? '')
  const entry = checkIndexItem(openDocument<IndexItem>(text, { file: url, publicKey }), url)
  checkItemSequence(
    entry.sequence,
    itemFloor(config, floor, `${base}/index/config.json`),
    url,
    options.allowRollback,
  )
  if (entry.kind !== ref.kind || entry.id !== `${ref.ns}/${ref.name}`) {
    throw new AgoraError(
      'index/wrong-item',
      `${url} describes ${entry.kind} ${entry.id}, not ${formatRef(ref)}`,
      {
        hint: 'the index is damaged; report it to the hub',
      },
    )
  }
  if (cachePath && (answer.status === 200 || cached?.expires !== config.expires)) {
    const record: CachedEntry = { text, etag: answer.etag, expires: config.expires }
    await writeJson(options, cachePath, record)
  }
  return { entry, base, config, warnings }
}

/**
 * Reads (or revalidates) config.json and works out the key to check with:
 * the caller's, else the one pinned in the cache, else the one the config
 * carries (pinned from then on).
 */
async function loadConfig(
  base: string,
  options: ResolveOptions,
): Promise<{
  config: IndexConfig
  publicKey: KeyObject | undefined
  warnings: string[]
  floor: number
}> {
  const warnings: string[] = []
  const url = `${base}/index/config.json`
  const cachePath = options.cacheDir
    ? join(hubCacheDir(options.cacheDir, base), 'config.json')
    : undefined
  const cached = cachePath ? await readJson<CachedConfig>(options.fs, cachePath) : undefined
  const ttl = options.configTtlMs ?? 5 * 60_000
  let record: CachedConfig
  if (cached && Date.now() - cached.fetchedAt < ttl) {
    record = cached
  } else {
    const answer = await getText(options.fetch, url, {
      etag: cached?.etag,
      ...limits(options),
      what: 'the index configuration',
      notFoundHint:
        'no Agora index here: give --index the hub’s own address, the one its site is served from',
    })
    record =
      answer.status === 304 && cached
        ? { ...cached, fetchedAt: Date.now() }
        : {
            text: answer.text ?? '',
            etag: answer.etag,
            fetchedAt: Date.now(),
            trustedKey: cached?.trustedKey,
          }
  }
  const unverified = openDocument<IndexConfig>(record.text, { file: url })
  let publicKey: KeyObject | undefined
  if (options.publicKey) {
    publicKey =
      typeof options.publicKey === 'string' ? loadPublicKey(options.publicKey) : options.publicKey
  } else if (record.trustedKey) {
    if (unverified.public_key && unverified.public_key !== record.trustedKey) {
      throw new AgoraError(
        'index/key-changed',
        `${url} is now signed by another key than the one first seen`,
        {
          hint: 'if the hub really rotated its key, pass the new one with --key; otherwise someone is serving a forged index',
        },
      )
    }
    publicKey = loadPublicKey(record.trustedKey)
  } else if (unverified.public_key) {
    publicKey = loadPublicKey(unverified.public_key)
    record.trustedKey = unverified.public_key
  } else {
    warnings.push(`${url} is not signed; file hashes are still verified`)
  }
  const config = openDocument<IndexConfig>(record.text, { file: url, publicKey })
  const floor = await checkFreshness({
    cacheDir: options.cacheDir,
    base,
    keyName: publicKey ? rawPublicKey(publicKey).toString('base64') : 'unsigned',
    config,
    url,
    allowRollback: options.allowRollback,
    fs: options.fs,
  })
  if (cachePath && record !== cached) await writeJson(options, cachePath, record)
  return { config, publicKey, warnings, floor }
}

function fromIndexEntry(
  spec: ItemSpec,
  entry: IndexItem,
  context: {
    base: string
    blobs: string
    source: string
    warnings: string[]
    commit?: string | undefined
  },
): Resolution {
  const ref: ItemRef = { kind: spec.kind, ns: spec.ns, name: spec.name }
  checkItemStatus(ref, entry.status, context.warnings)
  const version = pickVersion(
    ref,
    spec.version,
    entry['dist-tags'],
    entry.versions,
    context.warnings,
  )
  const chosen = entry.versions[version] as IndexVersion
  const files = checkFiles(ref, version, chosen.files).map((f) => ({
    path: f.path,
    size: f.size,
    sha256: f.sha256,
    // Paid files have no public URL: only the licence service presigns them.
    url: f.private
      ? ''
      : (f.url ?? fillTemplate(context.blobs, { base: context.base, sha256: f.sha256 })),
    ...(f.private ? { private: true } : {}),
  }))
  return {
    ref,
    version,
    commit: context.commit,
    files,
    status: chosen.status,
    itemStatus: entry.status,
    warnings: context.warnings,
    source: context.source,
  }
}

/**
 * Resolves from what an earlier online pull cached (the item's signed index
 * document), for `--offline`. The signature is checked again with the given
 * key, or the key pinned for `indexUrl`.
 *
 * @example await resolveOffline('acme/tox-gnn', { cacheDir, indexUrl: 'http://127.0.0.1:4321' })
 */
export async function resolveOffline(
  spec: string | ItemSpec,
  options: OfflineOptions,
): Promise<Resolution> {
  const parsed = parseSpec(spec)
  const { entry, cachePath } = await openCachedEntry(parsed, options)
  const resolution = fromIndexEntry(parsed, entry, {
    base: '',
    blobs: 'offline:{sha256}',
    source: cachePath,
    warnings: [],
    commit: entry.commit,
  })
  const licensing =
    options.indexUrl && options.cacheDir
      ? await cachedLicensing({
          ...options,
          indexUrl: options.indexUrl,
          cacheDir: options.cacheDir,
        })
      : undefined
  return licensing ? { ...resolution, licensing } : resolution
}

type OfflineOptions = Pick<ResolveOptions, 'publicKey' | 'indexUrl' | 'fs' | 'allowRollback'> & {
  cacheDir: string
}

/** An item's index document as an earlier online pull cached it, its signature and expiry checked again. */
async function openCachedEntry(
  spec: ItemSpec,
  options: OfflineOptions,
): Promise<{ entry: IndexItem; cachePath: string }> {
  const ref: ItemRef = { kind: spec.kind, ns: spec.ns, name: spec.name }
  const cachePath = entryCachePath(options.cacheDir, ref)
  const cached = await readJson<CachedEntry>(options.fs, cachePath)
  if (!cached) {
    const missing = new AgoraError(
      'client/offline-missing',
      `${formatRef(ref)} was never pulled into ${options.cacheDir}`,
      {
        hint: 'pull it once with network access, or pull with --locked from an agora.lock that lists it',
      },
    )
    throw options.indexUrl
      ? await withSuggestions(
          missing,
          ref,
          async () =>
            (await openCachedSearch({ ...options, indexUrl: options.indexUrl as string })).index,
        )
      : missing
  }
  let publicKey: KeyObject | undefined
  if (options.publicKey) {
    publicKey =
      typeof options.publicKey === 'string' ? loadPublicKey(options.publicKey) : options.publicKey
  } else if (options.indexUrl) {
    const base = indexBase(options.indexUrl)
    const config = await readJson<CachedConfig>(
      options.fs,
      join(hubCacheDir(options.cacheDir, base), 'config.json'),
    )
    if (config?.trustedKey) publicKey = loadPublicKey(config.trustedKey)
  }
  const entry = checkIndexItem(
    openDocument<IndexItem>(cached.text, { file: cachePath, publicKey }),
    cachePath,
  )
  if (entry.kind !== ref.kind || entry.id !== `${ref.ns}/${ref.name}`) {
    throw new AgoraError(
      'index/wrong-item',
      `${cachePath} describes ${entry.kind} ${entry.id}, not ${formatRef(ref)}`,
      { hint: 'the cache is damaged; pull again with network access' },
    )
  }
  // The index this copy came through had an expiry; offline use honours it too.
  checkExpiry(cached.expires, cachePath, new Date(), options.allowRollback)
  return { entry, cachePath }
}

/**
 * Refuses a spec that is not a bare collection reference: another kind, or a
 * version (collections have none; they pin their members').
 *
 * @example checkCollectionSpec(parseSpec('collections/curators/kit'))
 */
export function checkCollectionSpec(parsed: ItemSpec): ItemRef {
  const ref: ItemRef = { kind: parsed.kind, ns: parsed.ns, name: parsed.name }
  if (ref.kind !== 'collection') {
    throw new AgoraError('client/not-a-collection', `${formatRef(ref)} is not a collection`, {
      hint: 'pull it as an item',
    })
  }
  if (parsed.version !== undefined) {
    throw new AgoraError(
      'client/bad-spec',
      `${formatRef(ref)}@${parsed.version}: collections have no versions`,
      { hint: `pull ${formatRef(ref)}; the collection pins the version of each member` },
    )
  }
  return ref
}

/** What a collection resolved to: its members and what each is pinned to. */
export interface CollectionResolution {
  ref: ItemRef
  members: IndexMember[]
  commit?: string | undefined
  warnings: string[]
  source: string
}

/**
 * Resolves a collection to its members (each `{ kind, id, version? }` as its
 * item.yaml pins it) through the hub's signed index, or, offline, through
 * the copy an earlier pull cached. Collections have no versions, so a spec
 * with one is refused; raw Git URLs do not serve collections.
 *
 * @example
 * const { members } = await resolveCollection('collections/curators/kit', { fetch, indexUrl, cacheDir })
 */
export async function resolveCollection(
  spec: string | ItemSpec,
  options: ResolveOptions & { offline?: boolean | undefined },
): Promise<CollectionResolution> {
  const parsed = parseSpec(spec)
  const ref = checkCollectionSpec(parsed)
  let entry: IndexItem
  let source: string
  let commit: string | undefined
  let warnings: string[] = []
  if (options.offline) {
    if (!options.cacheDir)
      throw new AgoraError('client/offline-missing', 'no cache to read offline', {
        hint: 'pass --cache',
      })
    ;({ entry, cachePath: source } = await openCachedEntry(parsed, {
      ...options,
      cacheDir: options.cacheDir,
    }))
    commit = entry.commit
  } else if (options.indexUrl) {
    const loaded = await loadIndexEntry(ref, options.indexUrl, options)
    entry = loaded.entry
    source = loaded.base
    warnings = loaded.warnings
    commit = entry.commit ?? loaded.config.commit
  } else {
    throw new AgoraError(
      'client/no-source',
      `${formatRef(ref)}: collections resolve through the index`,
      {
        hint: 'pass --index <url> (or set AGORA_INDEX_URL); raw Git URLs serve items, not collections',
      },
    )
  }
  checkItemStatus(ref, entry.status, warnings)
  return { ref, members: entry.members ?? [], commit, warnings, source }
}

/** An item's signed index document, as looked up for `agora info`. */
export interface LoadedItem {
  ref: ItemRef
  /** What the spec asked for beyond the item: a version, tag or range. */
  wanted?: string | undefined
  entry: IndexItem
  commit?: string | undefined
  warnings: string[]
  /** The index base, or the cached file read offline. */
  source: string
}

/**
 * Reads an item's index document with every check a pull makes (signature,
 * freshness, sequence, document rules), from the hub or, offline, from the
 * copy an earlier lookup cached. Unlike resolve it refuses nothing for the
 * item's status: a taken-down item can still be described.
 *
 * @example
 * const { entry } = await loadItem('acme/tox-gnn', { fetch, indexUrl, cacheDir })
 */
export async function loadItem(
  spec: string | ItemSpec,
  options: ResolveOptions & { offline?: boolean | undefined },
): Promise<LoadedItem> {
  const parsed = parseSpec(spec)
  const ref: ItemRef = { kind: parsed.kind, ns: parsed.ns, name: parsed.name }
  if (options.offline) {
    if (!options.cacheDir)
      throw new AgoraError('client/offline-missing', 'no cache to read offline', {
        hint: 'pass --cache',
      })
    const { entry, cachePath } = await openCachedEntry(parsed, {
      ...options,
      cacheDir: options.cacheDir,
    })
    return {
      ref,
      wanted: parsed.version,
      entry,
      commit: entry.commit,
      warnings: [],
      source: cachePath,
    }
  }
  if (!options.indexUrl) {
    throw new AgoraError('client/no-source', `${formatRef(ref)}: no index to read`, {
      hint: 'pass --index <url> (or set AGORA_INDEX_URL)',
    })
  }
  const loaded = await loadIndexEntry(ref, options.indexUrl, options)
  return {
    ref,
    wanted: parsed.version,
    entry: loaded.entry,
    commit: loaded.entry.commit ?? loaded.config.commit,
    warnings: loaded.warnings,
    source: loaded.base,
  }
}

/** The search document a lookup read, and where from. */
export interface LoadedSearch {
  index: SearchIndex
  /** The index base, or the cached file read offline. */
  source: string
  warnings: string[]
}

/**
 * Reads the hub's signed search document (`index/search.json`, named by
 * config.json) with the checks every index document gets: the signature
 * with the same key, the size cap, a sequence no older than config.json's,
 * and the document rules (checkSearchIndex). It is cached beside config.json
 * and revalidated by ETag; offline, the cached copy is checked again,
 * expiry included. A hub whose index has none gets `client/no-search-index`.
 *
 * @example
 * const { index } = await loadSearch({ fetch, indexUrl: 'http://127.0.0.1:4321', cacheDir })
 */
export async function loadSearch(
  options: ResolveOptions & { offline?: boolean | undefined },
): Promise<LoadedSearch> {
  if (options.offline) {
    if (!options.cacheDir || !options.indexUrl) {
      throw new AgoraError('client/offline-missing', 'no hub named to search offline', {
        hint: 'pass --index <url> (or set AGORA_INDEX_URL) of the hub an earlier search cached, and --cache if it is not the default',
      })
    }
    const { index, cachePath } = await openCachedSearch({
      ...options,
      cacheDir: options.cacheDir,
      indexUrl: options.indexUrl,
    })
    return { index, source: cachePath, warnings: [] }
  }
  if (!options.indexUrl) {
    throw new AgoraError('client/no-source', 'no index to search', {
      hint: 'pass --index <url> (or set AGORA_INDEX_URL)',
    })
  }
  const base = indexBase(options.indexUrl)
  const loaded = await loadConfig(base, options)
  const index = await fetchSearchIndex(base, loaded, options)
  return { index, source: base, warnings: loaded.warnings }
}

const NO_SEARCH_HINT =
  'the hub\'s index was built by an agora without search; ask the hub to rebuild it ("agora index build"), or look an item up by id with "agora info <ns/name>"'

async function fetchSearchIndex(
  base: string,
  loaded: { config: IndexConfig; publicKey: KeyObject | undefined; floor: number },
  options: ResolveOptions,
): Promise<SearchIndex> {
  const { config, publicKey, floor } = loaded
  if (typeof config.search !== 'string') {
    throw new AgoraError(
      'client/no-search-index',
      `${base}/index/config.json names no search document`,
      { hint: NO_SEARCH_HINT },
    )
  }
  const url = fillTemplate(config.search, { base })
  const cachePath = options.cacheDir ? searchCachePath(options.cacheDir, base) : undefined
  const cached = cachePath ? await readJson<CachedEntry>(options.fs, cachePath) : undefined
  const answer = await getText(options.fetch, url, {
    etag: cached?.etag,
    ...limits(options),
    what: 'the search document',
  }).catch((error: unknown) => {
    if ((error as { code?: unknown }).code !== 'client/not-found') throw error
    throw new AgoraError('client/no-search-index', `the hub serves no search document at ${url}`, {
      hint: NO_SEARCH_HINT,
      cause: error,
    })
  })
  const text = answer.status === 304 && cached ? cached.text : (answer.text ?? '')
  const index = checkSearchIndex(openDocument<SearchIndex>(text, { file: url, publicKey }), url)
  checkItemSequence(index.sequence, floor, url, options.allowRollback)
  if (cachePath && (answer.status === 200 || cached?.expires !== config.expires)) {
    const record: CachedEntry = { text, etag: answer.etag, expires: config.expires }
    await writeJson(options, cachePath, record)
  }
  return index
}

function searchCachePath(cacheDir: string, base: string): string {
  return join(hubCacheDir(cacheDir, base), 'search.json')
}

/** The search document an earlier online search cached, its signature and expiry checked again. */
async function openCachedSearch(
  options: OfflineOptions & { indexUrl: string },
): Promise<{ index: SearchIndex; cachePath: string }> {
  const base = indexBase(options.indexUrl)
  const cachePath = searchCachePath(options.cacheDir, base)
  const cached = await readJson<CachedEntry>(options.fs, cachePath)
  if (!cached) {
    throw new AgoraError(
      'client/offline-missing',
      `no search document of ${base} is cached in ${options.cacheDir}`,
      { hint: 'search or list once with network access; the copy is kept for --offline' },
    )
  }
  let publicKey: KeyObject | undefined
  if (options.publicKey) {
    publicKey =
      typeof options.publicKey === 'string' ? loadPublicKey(options.publicKey) : options.publicKey
  } else {
    const config = await readJson<CachedConfig>(
      options.fs,
      join(hubCacheDir(options.cacheDir, base), 'config.json'),
    )
    if (config?.trustedKey) publicKey = loadPublicKey(config.trustedKey)
  }
  const index = checkSearchIndex(
    openDocument<SearchIndex>(cached.text, { file: cachePath, publicKey }),
    cachePath,
  )
  checkExpiry(cached.expires, cachePath, new Date(), options.allowRollback)
  return { index, cachePath }
}

/**
 * An unknown-item error with the closest ids of the search document in its
 * hint ("did you mean datasets/acme/tox21?"). Best effort: any other error,
 * or no search document, leaves the error as it was.
 */
async function withSuggestions(
  error: unknown,
  ref: ItemRef,
  search: () => Promise<SearchIndex>,
): Promise<unknown> {
  const code = (error as { code?: unknown }).code
  if (
    !(error instanceof AgoraError) ||
    (code !== 'client/not-found' && code !== 'client/offline-missing')
  )
    return error
  const near = await search()
    .then((index) => closestIds(index, ref))
    .catch(() => [])
  if (near.length === 0) return error
  return new AgoraError(error.code, error.message, {
    hint: `did you mean ${near.join(' or ')}? ${error.hint ?? ''}`.trim(),
    cause: error,
    ...(error.file === undefined ? {} : { file: error.file }),
  })
}

async function resolveFromRaw(
  spec: ItemSpec,
  template: string,
  commit: string,
  options: ResolveOptions,
): Promise<Resolution> {
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(commit)) {
    throw new AgoraError('client/bad-commit', `"${commit}" is not a full commit hash`, {
      hint: 'raw URLs must be pinned to a full 40-character commit, never a branch',
    })
  }
  const ref: ItemRef = { kind: spec.kind, ns: spec.ns, name: spec.name }
  const raw = (path: string) => fillTemplate(template, { commit, path })
  const warnings: string[] = []
  const itemFile = `registry/${itemDir(ref)}/item.yaml`
  const itemText = await getText(options.fetch, raw(itemFile), {
    ...limits(options),
    what: `item.yaml of ${formatRef(ref)}`,
  })
  const item = await validated<ItemManifest>('item', itemText.text ?? '', itemFile, {
    kind: ref.kind,
  })
  checkItemStatus(ref, item.status, warnings)
  const tags = item['dist-tags'] ?? {}
  let version = spec.version ?? 'latest'
  if (tags[version]) version = tags[version] as string
  if (!isValidVersion(version)) {
    throw new AgoraError(
      'client/unknown-version',
      `${formatRef(ref)} has no version or tag "${version}" at ${commit.slice(0, 12)}`,
      {
        hint: `raw Git URLs answer exact versions and dist-tags (${Object.keys(tags).join(', ') || 'none'}); use the index for ranges`,
      },
    )
  }
  const versionFile = `registry/${itemDir(ref)}/versions/${version}.yaml`
  const versionText = await getText(options.fetch, raw(versionFile), {
    ...limits(options),
    what: `version ${version} of ${formatRef(ref)}`,
  })
  const manifest = await validated<VersionManifest>(
    'version',
    versionText.text ?? '',
    versionFile,
    {
      kind: ref.kind,
    },
  )
  if (manifest.status && manifest.status.state !== 'active') {
    warnings.push(statusLine(`${formatRef(ref)}@${version}`, manifest.status))
  }
  const readHub = async (): Promise<HubConfig> => {
    const hubFile = 'registry/agora.yaml'
    const hubText = await getText(options.fetch, raw(hubFile), {
      ...limits(options),
      what: 'agora.yaml',
    })
    return validated<HubConfig>('hub', hubText.text ?? '', hubFile, {})
  }
  let blobs = options.blobUrlTemplate
  if (blobs?.includes('{base}')) {
    // As in the index build: {base} is the hub's base_url, here from agora.yaml at the commit.
    blobs = fillTemplate(blobs, { base: (await readHub()).base_url.replace(/\/+$/, '') })
  } else if (!blobs) {
    const publicUrl = (await readHub()).storage.public_url
    if (!publicUrl) {
      throw new AgoraError(
        'client/no-blob-url',
        `registry/agora.yaml at ${commit.slice(0, 12)} gives no storage.public_url`,
        {
          hint: "say where the blobs are with --blob-url TEMPLATE (e.g. https://cdn.example.org/blobs/sha256/{prefix}/{sha256}), or pull through the hub's index (--index)",
        },
      )
    }
    blobs = `${publicUrl.replace(/\/+$/, '')}/blobs/sha256/{prefix}/{sha256}`
  }
  const files = checkFiles(ref, version, manifest.files).map((f) => ({
    path: f.path,
    size: f.size,
    sha256: f.sha256,
    url: f.private ? '' : (f.url ?? fillTemplate(blobs, { sha256: f.sha256 })),
    ...(f.private ? { private: true } : {}),
  }))
  return {
    ref,
    version,
    commit,
    files,
    status: manifest.status,
    itemStatus: item.status,
    warnings,
    source: template,
  }
}

async function validated<T>(
  type: 'item' | 'version' | 'hub',
  text: string,
  file: string,
  context: { kind?: ItemRef['kind'] },
): Promise<T> {
  // Only the raw-Git path validates YAML; loading ajv and the schemas is left to it.
  const { validateDocument } = await import('#core/schema')
  const { value, issues } = validateDocument(type, text, file, context)
  if (!value || hasErrors(issues)) {
    const first = issues.find((i) => i.severity === 'error')
    throw new AgoraError('client/invalid-manifest', `${file} at the pinned commit is not valid`, {
      file,
      hint: first
        ? `${first.code}: ${first.message}${first.line === undefined ? '' : ` (line ${first.line})`}`
        : 'the manifest does not match its schema',
    })
  }
  return value as T
}

function checkItemStatus(ref: ItemRef, status: ItemStatus | undefined, warnings: string[]): void {
  if (!status || status.state === 'active') return
  if (status.state === 'taken-down') {
    throw new AgoraError(
      'client/taken-down',
      `${formatRef(ref)} was taken down: ${sanitizeForTerminal(String(status.reason ?? 'no reason given'))}`,
      {
        hint: status.replacement
          ? `use ${sanitizeForTerminal(String(status.replacement))} instead`
          : 'its files are no longer served',
      },
    )
  }
  warnings.push(statusLine(formatRef(ref), status))
}

/** "acme/x@1.0.0 is yanked: <reason>", with the hub's words made safe to print. */
function statusLine(
  what: string,
  status: { state: unknown; reason?: unknown; replacement?: unknown },
): string {
  const text = (value: unknown) => sanitizeForTerminal(String(value))
  return `${what} is ${text(status.state)}${status.reason ? `: ${text(status.reason)}` : ''}${status.replacement ? ` (use ${text(status.replacement)})` : ''}`
}

/**
 * Picks the version a spec means: a dist-tag (default `latest`), an exact
 * version (yanked ones still, with a warning, as cargo does for lock files),
 * or the highest non-yanked version in a semver range.
 *
 * @example pickVersion(ref, '^1.0.0', { latest: '2.0.0' }, versions, []) // '1.4.2'
 */
export function pickVersion(
  ref: ItemRef,
  wanted: string | undefined,
  tags: Record<string, string>,
  versions: Record<string, { status?: VersionStatus | undefined }>,
  warnings: string[],
): string {
  const name = wanted ?? 'latest'
  let version: string | null = null
  if (tags[name] !== undefined) version = tags[name]
  else if (versions[name]) version = name
  else if (semverValidRange(name)) {
    const usable = Object.keys(versions).filter((v) => versions[v]?.status?.state !== 'yanked')
    version = semverMaxSatisfying(usable, name)
  }
  if (!version || !versions[version]) {
    const known = Object.keys(versions).sort(semverRcompare).slice(0, 10)
    throw new AgoraError(
      'client/unknown-version',
      `${formatRef(ref)} has no version matching "${name}"`,
      {
        hint: `versions: ${known.join(', ') || 'none'}; tags: ${Object.keys(tags).join(', ') || 'none'}`,
      },
    )
  }
  const status = versions[version]?.status
  if (status && status.state !== 'active') {
    warnings.push(statusLine(`${formatRef(ref)}@${version}`, status))
  }
  return version
}

/**
 * Refuses file lists a hostile index, manifest or lock file could use to
 * write outside the cache: unsafe or duplicate paths, bad sizes or hashes.
 *
 * @example checkFiles(ref, '1.0.0', lockedItem.files)
 */
export function checkFiles(
  ref: ItemRef,
  version: string,
  files: readonly { path: string; size: number; sha256: string; private?: boolean | undefined }[],
): { path: string; size: number; sha256: string; url?: string; private?: boolean }[] {
  const seen = new Set<string>()
  for (const file of files) {
    const where = `${formatRef(ref)}@${version}: file "${String(file.path)}"`
    if (
      typeof file.path !== 'string' ||
      !isSafeFilePath(file.path) ||
      pathClash(seen, file.path) !== undefined
    ) {
      throw new AgoraError('client/unsafe-path', `${where} has an unsafe or duplicate path`, {
        hint: 'the index is damaged or hostile; refusing to write it. Report it to the hub',
      })
    }
    if (
      !Number.isSafeInteger(file.size) ||
      file.size < 0 ||
      typeof file.sha256 !== 'string' ||
      !SHA256_PATTERN.test(file.sha256)
    ) {
      throw new AgoraError('client/bad-file-entry', `${where} has no valid size and sha256`, {
        hint: 'the index is damaged; report it to the hub',
      })
    }
  }
  return files as { path: string; size: number; sha256: string; url?: string; private?: boolean }[]
}

async function readJson<T>(fs: ClientFs | undefined, path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await (fs ?? nodeFs).promises.readFile(path, 'utf8')) as T
  } catch {
    return undefined
  }
}

/** Cache bookkeeping is written atomically; a failure only costs a later request. */
async function writeJson(
  options: { fs?: ClientFs | undefined; cacheDir?: string | undefined },
  path: string,
  value: unknown,
): Promise<void> {
  const fs = options.fs ?? nodeFs
  // Never through a link planted in the cache: the write would land outside it.
  if (options.cacheDir) await assertNoLinkInside(options.cacheDir, path, { fs, self: true })
  await writeFileAtomic(path, JSON.stringify(value), fs)
}
