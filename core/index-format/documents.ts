import type { KeyObject } from 'node:crypto'
import { AgoraError } from '#core/errors'
import type { FileEntry, ItemStatus, Pricing, PublicKeyConfig, VersionStatus } from '#core/manifest'
import { type ItemRef, type Kind, kindPlural, shardOf } from '#core/names'
import { signBytes, verifyBytes } from './signing.ts'

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
  /** Keys that sign licences (agora.yaml `payments.licence_keys`), pinned through this signed document. */
  licence_keys?: PublicKeyConfig[]
  /** Where paid files are fetched with a licence (agora.yaml `payments.licence_service`). */
  licence_service?: string
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
