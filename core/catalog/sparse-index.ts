import type { KeyObject } from 'node:crypto'
import * as nodeFs from 'node:fs'
import { join, relative, sep } from 'node:path'
import { writeFileAtomic } from '#core/blobs'
import { AgoraError } from '#core/errors'
import type { FileEntry, ItemStatus, Pricing, VersionStatus } from '#core/manifest'
// Leaf modules, not the area barrels: the client reads the index with these
// functions, and `agora pull` must not load ajv or isomorphic-git to start.
import type { Kind } from '#core/names'
import { type ItemRef, kindPlural, parseRef, refKey, shardOf } from '#core/names'
import { rawPublicKey, signBytes, verifyBytes } from './signing.ts'
import type { SourceItem, SourceRegistry } from './types.ts'

/** Version of the index format; clients skip documents whose `v` they do not know. */
export const INDEX_FORMAT_VERSION = 1

/**
 * Where blobs are fetched from. `{base}` is the URL the index is served
 * under (config.json's URL without `index/config.json`), `{prefix}` the
 * first two hex digits of the hash.
 */
export const DEFAULT_BLOB_URL_TEMPLATE = '{base}/blobs/sha256/{prefix}/{sha256}'

/** `index/config.json`: what a client reads first. */
export interface IndexConfig {
  v: number
  /** The hub's name, from agora.yaml. */
  hub: string
  /** Blob URL template with `{base}`, `{prefix}` and `{sha256}`. */
  blobs: string
  /** Item file template with `{base}`, `{kinds}`, `{shard}`, `{ns}` and `{name}`. */
  items: string
  /**
   * The search document (`{base}/index/search.json`): every item's title,
   * summary, tags and dates, for `agora search` and `agora list`. Absent in
   * an index built before there was one.
   */
  search?: string
  /** Id and raw base64 Ed25519 key that sign every index document, when signed. */
  key_id?: string
  public_key?: string
  /** The registry commit the index was built from, when known. */
  commit?: string
  /**
   * Grows with every build (the commit's committer time in seconds by
   * default). A client remembers the highest it saw and refuses an older
   * index, so a replayed one cannot bring back a yanked version.
   */
  sequence?: number
  /**
   * The least `sequence` an item document may carry. Item documents keep the
   * sequence of the build that last changed them (so their bytes and ETags
   * stay across builds); the floor rises to `sequence`, rewriting them all,
   * whenever a build could otherwise let an old copy bring back something
   * taken away: a version or item yanked, flagged, removed or changed other
   * than by adding versions. Absent: every item document carries `sequence`.
   */
  item_floor?: number
  /** ISO time after which clients refuse this document; re-signing moves it on. */
  expires?: string
}

/** One file of a version, as a client needs it to download and verify. */
export type IndexFile = Pick<FileEntry, 'path' | 'size' | 'sha256' | 'url' | 'private'>

export interface IndexVersion {
  files: IndexFile[]
  released?: string
  status?: VersionStatus
}

/**
 * A member of a collection as its item.yaml lists it: the member's kind and
 * id, and the version, range or dist-tag it is pinned to (none: its latest).
 */
export interface IndexMember {
  kind: Kind
  /** `ns/name`. */
  id: string
  version?: string
}

/** `index/<kind>s/<shard>/<ns>/<name>.json`: everything about one item a download needs. */
export interface IndexItem {
  v: number
  kind: Kind
  /** `ns/name`. */
  id: string
  'dist-tags': Record<string, string>
  /** What the card says of it, so a client can describe the item without the site. */
  title?: string
  summary?: string
  owners?: string[]
  license?: string
  tags?: string[]
  status?: ItemStatus
  pricing?: Pricing
  /** The registry commit the item was read at, when known. */
  commit?: string
  /** The sequence of the build that last changed this document; never below config.json's item_floor. */
  sequence?: number
  versions: Record<string, IndexVersion>
  /** A collection's members, in the order item.yaml lists them; collections have no versions. */
  members?: IndexMember[]
  /**
   * The item's Hugging Face card metadata (the fields of item.yaml that
   * share the Hub's names), so the Hub protocol server answers model and
   * dataset info from the signed index alone. Absent when item.yaml has none.
   */
  card?: IndexCard
}

/** Item fields named as Hugging Face card metadata, copied into the index as written. */
export const INDEX_CARD_FIELDS = [
  'library_name',
  'pipeline_tag',
  'base_model',
  'base_model_relation',
  'datasets',
  'language',
  'license_name',
  'license_link',
  'task_categories',
  'size_categories',
] as const

export type IndexCard = Partial<Record<(typeof INDEX_CARD_FIELDS)[number], string | string[]>>

/** The signature beside a signed document's payload. */
export interface IndexSignature {
  key_id: string
  algorithm: 'ed25519'
  /** Base64 Ed25519 signature of the canonical JSON of `signed`. */
  value: string
}

/**
 * Every index file is this envelope: the payload and a detached signature of
 * the payload's canonical JSON. Keeping both in one file lets a client
 * verify with one request per document (so a pull needs two before blobs).
 */
export interface SignedDocument<T> {
  signed: T
  signature?: IndexSignature
}

/** A private key and the id clients know it by. */
export interface IndexSigningKey {
  privateKey: KeyObject
  keyId: string
}

/**
 * JSON with object keys sorted (by UTF-16 code units) and no whitespace, so
 * the same data always gives the same bytes: ETags stay stable and
 * signatures can be checked after a parse. For the strings, integers,
 * floats and booleans the index holds it equals RFC 8785 (JCS).
 *
 * @example canonicalJson({ b: 1, a: [true, 'x'] }) // '{"a":[true,"x"],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new TypeError(`canonical JSON has no form for ${value}`)
    }
    return JSON.stringify(value)
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

/**
 * Path of an item's index file, relative to the served root.
 *
 * @example indexItemPath({ kind: 'dataset', ns: 'acme', name: 'tox21' }) // 'index/datasets/ac/acme/tox21.json'
 */
export function indexItemPath(ref: ItemRef): string {
  return `index/${kindPlural(ref.kind)}/${shardOf(ref.ns)}/${ref.ns}/${ref.name}.json`
}

/** The `items` template written into config.json; mirrors indexItemPath. */
export const ITEM_URL_TEMPLATE = '{base}/index/{kinds}/{shard}/{ns}/{name}.json'

/** Where the search document is served, relative to the served root. */
export const SEARCH_INDEX_PATH = 'index/search.json'

/** The `search` template written into config.json; mirrors SEARCH_INDEX_PATH. */
export const SEARCH_URL_TEMPLATE = '{base}/index/search.json'

/**
 * Fills a config.json template for one item or blob.
 *
 * @example
 * fillTemplate('{base}/blobs/sha256/{prefix}/{sha256}', { base: 'http://127.0.0.1:4321', sha256: 'ab…' })
 */
export function fillTemplate(template: string, values: Record<string, string>): string {
  const all: Record<string, string> = { ...values }
  if (values.sha256 && !values.prefix) all.prefix = values.sha256.slice(0, 2)
  if (values.ns && !values.shard) all.shard = shardOf(values.ns)
  return template.replace(/\{([a-z0-9-]+)\}/g, (whole, name: string) =>
    all[name] === undefined ? whole : (all[name] as string),
  )
}

/**
 * Wraps a payload in the signed envelope and returns its canonical bytes.
 *
 * @example sealDocument({ v: 1, hub: 'Agora' }, { privateKey, keyId: 'agora-dev' })
 */
export function sealDocument<T>(payload: T, key?: IndexSigningKey): string {
  const body = canonicalJson(payload)
  if (!key) return `{"signed":${body}}`
  const signature: IndexSignature = {
    algorithm: 'ed25519',
    key_id: key.keyId,
    value: signBytes(Buffer.from(body), key.privateKey),
  }
  return `{"signature":${canonicalJson(signature)},"signed":${body}}`
}

/**
 * Parses an index document and, given a public key, refuses it unless its
 * signature verifies. Throws AgoraError `index/malformed`, `index/unsigned`
 * or `index/bad-signature` naming the file.
 *
 * @example
 * const item = openDocument<IndexItem>(text, { file: url, publicKey })
 */
export function openDocument<T>(
  text: string,
  options: { file: string; publicKey?: KeyObject | undefined },
): T {
  let parsed: SignedDocument<T>
  try {
    parsed = JSON.parse(text) as SignedDocument<T>
  } catch (error) {
    throw new AgoraError('index/malformed', `${options.file} is not JSON`, {
      hint: 'the index is damaged or the URL does not point at an Agora index',
      cause: error,
    })
  }
  const version = (parsed?.signed as { v?: unknown } | undefined)?.v
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    typeof parsed.signed !== 'object' ||
    parsed.signed === null
  ) {
    throw new AgoraError('index/malformed', `${options.file} has no "signed" payload`, {
      hint: 'the URL does not point at an Agora index document',
    })
  }
  if (version !== INDEX_FORMAT_VERSION) {
    throw new AgoraError(
      'index/unsupported-version',
      `${options.file} has index format ${String(version)}`,
      {
        hint: `this agora reads format ${INDEX_FORMAT_VERSION}; upgrade agora`,
      },
    )
  }
  if (options.publicKey) {
    const signature = parsed.signature
    if (!signature || typeof signature.value !== 'string') {
      throw new AgoraError('index/unsigned', `${options.file} carries no signature`, {
        hint: "the hub signs its index; an unsigned copy may have been altered. Use the hub's own URL",
      })
    }
    if (
      !verifyBytes(Buffer.from(canonicalJson(parsed.signed)), signature.value, options.publicKey)
    ) {
      throw new AgoraError(
        'index/bad-signature',
        `${options.file}: signature by key "${String(signature.key_id)}" does not verify`,
        {
          hint: 'the index was altered after signing or signed by another key; refusing it. Check --index and the public key',
        },
      )
    }
  }
  return parsed.signed
}

/**
 * The index entry of one item: every version with its files, sizes, hashes
 * and status, and the dist-tags.
 *
 * @example buildIndexItem(registry.items.get('model/acme/tox-gnn'), 'a1b2c3…')
 */
export function buildIndexItem(source: SourceItem, commit?: string, sequence?: number): IndexItem {
  const versions: Record<string, IndexVersion> = {}
  for (const [version, manifest] of source.versions) {
    versions[version] = {
      files: manifest.files.map((f) => ({
        path: f.path,
        size: f.size,
        sha256: f.sha256,
        ...(f.url === undefined ? {} : { url: f.url }),
        ...(f.private === undefined ? {} : { private: f.private }),
      })),
      ...(manifest.released === undefined ? {} : { released: String(manifest.released) }),
      ...(manifest.status === undefined ? {} : { status: manifest.status }),
    }
  }
  return {
    v: INDEX_FORMAT_VERSION,
    kind: source.ref.kind,
    id: `${source.ref.ns}/${source.ref.name}`,
    'dist-tags': { ...(source.item['dist-tags'] ?? {}) },
    title: source.item.title,
    summary: source.item.summary,
    owners: [...source.item.owners],
    license: source.item.license,
    ...(source.item.tags === undefined ? {} : { tags: [...source.item.tags] }),
    ...(source.item.status === undefined ? {} : { status: source.item.status }),
    ...(source.item.pricing === undefined ? {} : { pricing: source.item.pricing }),
    ...(commit === undefined ? {} : { commit }),
    ...(sequence === undefined ? {} : { sequence }),
    versions,
    ...(source.item.kind === 'collection'
      ? { members: source.item.items.map((entry) => indexMember(entry.ref)) }
      : {}),
    ...cardOf(source.item),
  }
}

function cardOf(item: SourceItem['item']): { card?: IndexCard } {
  const card: IndexCard = {}
  const fields = item as unknown as Record<string, unknown>
  for (const field of INDEX_CARD_FIELDS) {
    const value = fields[field]
    if (typeof value === 'string') card[field] = value
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string'))
      card[field] = [...value]
  }
  return Object.keys(card).length === 0 ? {} : { card }
}

/**
 * A collection entry's `[kind/]ns/name[@version]` as the index carries it.
 * Validation has already refused a reference that does not parse; one that
 * slips through is kept as written, for the client to refuse by name.
 *
 * @example indexMember('datasets/acme/tox21@1.0.0') // { kind: 'dataset', id: 'acme/tox21', version: '1.0.0' }
 */
export function indexMember(ref: string): IndexMember {
  const parsed = parseRef(ref)
  if (!parsed) return { kind: 'model', id: ref }
  return {
    kind: parsed.kind,
    id: `${parsed.ns}/${parsed.name}`,
    ...(parsed.version === undefined ? {} : { version: parsed.version }),
  }
}

export interface BuildSparseIndexOptions {
  /** Folder the index is written under (`<outDir>/index/…`), usually the site's output. */
  outDir: string
  /** Signs every document when given. */
  signingKey?: IndexSigningKey | undefined
  /** Blob URL template; default `{base}/blobs/sha256/{prefix}/{sha256}`. */
  blobUrlTemplate?: string
  /** The registry commit being indexed, recorded in every document. */
  commit?: string | undefined
  /** Recorded in every document; must grow from one published build to the next. */
  sequence?: number | undefined
  /** When config.json stops being accepted; see indexExpiry. */
  expires?: Date | undefined
  fs?: Pick<typeof nodeFs, 'promises'>
}

export interface SparseIndexResult {
  /** Paths (relative to outDir) whose bytes changed. */
  written: string[]
  /** Paths left alone because their bytes were already right. */
  unchanged: string[]
  /** Item files of items no longer in the registry. */
  removed: string[]
}

/**
 * Writes the static sparse index: `index/config.json`, one signed file per
 * item and the signed search document (`index/search.json`). Files whose bytes would not change are not rewritten (their mtime
 * and ETag stay), every write is atomic, and item files of items that left
 * the registry are removed.
 *
 * @example
 * await buildSparseIndex(registry, { outDir: 'dist', signingKey: { privateKey, keyId: 'agora-dev' } })
 */
export async function buildSparseIndex(
  registry: SourceRegistry,
  options: BuildSparseIndexOptions,
): Promise<SparseIndexResult> {
  const fs = options.fs ?? nodeFs
  const key = options.signingKey
  const config: IndexConfig = {
    v: INDEX_FORMAT_VERSION,
    hub: registry.hub.name,
    blobs: options.blobUrlTemplate ?? DEFAULT_BLOB_URL_TEMPLATE,
    items: ITEM_URL_TEMPLATE,
    search: SEARCH_URL_TEMPLATE,
    ...(key
      ? { key_id: key.keyId, public_key: rawPublicKey(key.privateKey).toString('base64') }
      : {}),
    ...(options.commit ? { commit: options.commit } : {}),
    ...(options.sequence === undefined ? {} : { sequence: options.sequence }),
    ...(options.expires === undefined ? {} : { expires: options.expires.toISOString() }),
  }
  const items = [...registry.items.values()].sort((a, b) =>
    refKey(a.ref).localeCompare(refKey(b.ref)),
  )
  const previous = await readPrevious(fs, options.outDir)
  // Each item first as the previous build wrote it, when only the commit and sequence would change.
  const planned = new Map<string, { item: SourceItem; kept: KeptItem | undefined }>()
  let raise = previous === undefined || options.sequence === undefined
  for (const item of items) {
    const path = indexItemPath(item.ref)
    const before = previous?.items.get(path)
    const kept = before && keepItem(item, before, key, options.sequence)
    planned.set(path, { item, kept })
    if (!kept && before && weakens(before.signed, buildIndexItem(item))) raise = true
  }
  for (const path of previous?.items.keys() ?? []) if (!planned.has(path)) raise = true
  const floor = raise ? options.sequence : previous?.floor
  if (floor !== undefined) config.item_floor = floor
  const documents = new Map<string, string>([['index/config.json', sealDocument(config, key)]])
  for (const [path, { item, kept }] of planned) {
    documents.set(
      path,
      kept && floor !== undefined && kept.sequence >= floor
        ? kept.text
        : sealDocument(buildIndexItem(item, options.commit, options.sequence), key),
    )
  }
  // Loaded here, not at the top: the client reads this module and must not load the catalog.
  const { buildSearchIndex } = await import('./search-index.ts')
  documents.set(
    SEARCH_INDEX_PATH,
    sealDocument(buildSearchIndex(registry, options.commit, options.sequence), key),
  )
  const result: SparseIndexResult = { written: [], unchanged: [], removed: [] }
  for (const [path, text] of documents) {
    const target = join(options.outDir, path)
    const current = await fs.promises.readFile(target, 'utf8').catch(() => undefined)
    if (current === text) {
      result.unchanged.push(path)
      continue
    }
    await writeAtomic(fs, target, text)
    result.written.push(path)
  }
  for (const path of await listJson(fs, join(options.outDir, 'index'))) {
    const rel = relative(options.outDir, path).split(sep).join('/')
    if (documents.has(rel)) continue
    await fs.promises.rm(path, { force: true })
    result.removed.push(rel)
  }
  return result
}

/** An item document the previous build wrote, as it stands in the output folder. */
interface PreviousItem {
  text: string
  signed: IndexItem
}

/** An item document whose bytes stay: only its commit and sequence would have changed. */
interface KeptItem {
  text: string
  sequence: number
}

/**
 * The previous build's item documents and item floor, read from the output
 * folder; undefined when there is none to build on (no config.json, or one
 * without a sequence or item_floor, as builds before item floors wrote).
 */
async function readPrevious(
  fs: Pick<typeof nodeFs, 'promises'>,
  outDir: string,
): Promise<{ floor: number; items: Map<string, PreviousItem> } | undefined> {
  const configText = await fs.promises
    .readFile(join(outDir, 'index/config.json'), 'utf8')
    .catch(() => undefined)
  const config = configText === undefined ? undefined : signedOf<IndexConfig>(configText)
  if (!config || typeof config.item_floor !== 'number') return undefined
  const items = new Map<string, PreviousItem>()
  for (const file of await listJson(fs, join(outDir, 'index'))) {
    const rel = relative(outDir, file).split(sep).join('/')
    if (rel === 'index/config.json' || rel === SEARCH_INDEX_PATH) continue
    const text = await fs.promises.readFile(file, 'utf8').catch(() => undefined)
    const signed = text === undefined ? undefined : signedOf<IndexItem>(text)
    if (text !== undefined && signed) items.set(rel, { text, signed })
  }
  return { floor: config.item_floor, items }
}

/** The payload of a sealed document, without checking its signature (the build re-seals to compare). */
function signedOf<T>(text: string): T | undefined {
  try {
    const parsed = JSON.parse(text) as { signed?: unknown }
    return parsed !== null && typeof parsed.signed === 'object' && parsed.signed !== null
      ? (parsed.signed as T)
      : undefined
  } catch {
    return undefined
  }
}

/**
 * The previous document of an item, when sealing the item as it is now with
 * the previous document's commit and sequence gives its very bytes (same
 * content, same key: Ed25519 signatures are deterministic).
 */
function keepItem(
  item: SourceItem,
  before: PreviousItem,
  key: IndexSigningKey | undefined,
  sequence: number | undefined,
): KeptItem | undefined {
  const { commit, sequence: kept } = before.signed
  if (typeof kept !== 'number' || sequence === undefined || kept > sequence) return undefined
  const again = sealDocument(buildIndexItem(item, commit, kept), key)
  return again === before.text ? { text: before.text, sequence: kept } : undefined
}

/**
 * Whether an item's new document takes anything away that an old copy would
 * bring back: an item or version status, a version's files or release, a
 * removed version, dist-tag or member, the owners, licence or pricing.
 * Adding versions (and moving dist-tags to them) and editing the title,
 * summary or tags take nothing away.
 */
function weakens(before: IndexItem, after: IndexItem): boolean {
  const same = (a: unknown, b: unknown) =>
    a === undefined || b === undefined ? a === b : canonicalJson(a) === canonicalJson(b)
  for (const field of ['status', 'owners', 'license', 'pricing', 'members'] as const) {
    if (!same(before[field], after[field])) return true
  }
  for (const [version, entry] of Object.entries(before.versions ?? {})) {
    if (!same(entry, after.versions[version])) return true
  }
  for (const [tag, version] of Object.entries(before['dist-tags'] ?? {})) {
    const moved = after['dist-tags'][tag]
    if (moved === version) continue
    // A tag may only move to a version this build adds.
    if (moved === undefined || before.versions?.[moved] !== undefined) return true
  }
  return false
}

/**
 * The expiry of an index built now: `days` after the start of the current
 * UTC day, so builds on one day write the same bytes (ETags stay) and a
 * daily re-sign moves it on.
 *
 * @example indexExpiry(7, new Date('2026-01-01T15:00:00Z')) // 2026-01-08T00:00:00.000Z
 */
export function indexExpiry(days: number, now: Date = new Date()): Date {
  const day = 24 * 60 * 60 * 1000
  return new Date(Math.floor(now.getTime() / day) * day + days * day)
}

async function writeAtomic(
  fs: Pick<typeof nodeFs, 'promises'>,
  target: string,
  text: string,
): Promise<void> {
  try {
    await writeFileAtomic(target, text, fs)
  } catch (error) {
    throw new AgoraError('index/write-failed', `cannot write ${target}`, {
      file: target,
      hint: 'check that the output folder is writable and the disk has space',
      cause: error,
    })
  }
}

async function listJson(fs: Pick<typeof nodeFs, 'promises'>, dir: string): Promise<string[]> {
  const entries = await fs.promises
    .readdir(dir, { recursive: true, withFileTypes: true })
    .catch(() => [])
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => join(e.parentPath, e.name))
    .sort()
}
