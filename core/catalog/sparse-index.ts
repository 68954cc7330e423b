import * as nodeFs from 'node:fs'
import { join, relative, sep } from 'node:path'
import { writeFileAtomic } from '#core/blobs'
import { AgoraError } from '#core/errors'
import {
  canonicalJson,
  DEFAULT_BLOB_URL_TEMPLATE,
  INDEX_CARD_FIELDS,
  INDEX_FORMAT_VERSION,
  type IndexCard,
  type IndexConfig,
  type IndexItem,
  type IndexMember,
  type IndexSigningKey,
  type IndexVersion,
  ITEM_URL_TEMPLATE,
  indexItemPath,
  rawPublicKey,
  SEARCH_INDEX_PATH,
  SEARCH_URL_TEMPLATE,
  sealDocument,
} from '#core/index-format'
import { parseRef, refKey } from '#core/names'
import type { PreviousIndex, PreviousItem } from './previous-index.ts'
import type { SourceItem, SourceRegistry } from './types.ts'

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
  /**
   * The index last published (see fetchPreviousIndex), for a build whose
   * output folder starts empty; default: what the output folder holds.
   */
  previous?: PreviousIndex | undefined
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
    ...(registry.hub.payments?.licence_keys?.length
      ? { licence_keys: registry.hub.payments.licence_keys }
      : {}),
    ...(registry.hub.payments?.licence_service
      ? { licence_service: registry.hub.payments.licence_service }
      : {}),
  }
  const items = [...registry.items.values()].sort((a, b) =>
    refKey(a.ref).localeCompare(refKey(b.ref)),
  )
  const previous = options.previous ?? (await readPrevious(fs, options.outDir))
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
): Promise<PreviousIndex | undefined> {
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
