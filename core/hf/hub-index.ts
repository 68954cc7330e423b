import type { KeyObject } from 'node:crypto'
import { createHash } from 'node:crypto'
import * as nodeFs from 'node:fs'
import { join } from 'node:path'
import { AgoraError } from '#core/errors'
import {
  type IndexConfig,
  type IndexFile,
  type IndexItem,
  indexItemPath,
  loadPublicKey,
  openDocument,
} from '#core/index-format'
import type { Kind } from '#core/names'

/** The two repository types of the Hub that Agora kinds map to. */
export type HfRepoType = 'model' | 'dataset'

/**
 * Which Agora kinds answer to a Hub repository id, in order. Agora ids are
 * `kind/ns/name` while the Hub's are `ns/name` per type, so a model, a LoRA
 * and an adapter may share one Hub id: the first kind here that has the item
 * wins (a model over a LoRA over an adapter), and the others stay reachable
 * through `agora pull loras/ns/name`.
 */
export const HF_KINDS: Record<HfRepoType, readonly Kind[]> = {
  model: ['model', 'lora', 'adapter'],
  dataset: ['dataset'],
}

/** A version picked by a Hub revision. */
export interface HfRevision {
  version: string
  /** The 40-hex commit the Hub clients key their cache on: see versionCommit. */
  commit: string
  files: IndexFile[]
  released?: string
}

/** One item found for a Hub repository id, read from a verified index document. */
export interface HfRepo {
  type: HfRepoType
  item: IndexItem
}

export interface HubIndexOptions {
  /** Folder holding `index/config.json` (the built hub). */
  root: string
  /**
   * The hub's Ed25519 public key (base64 raw or PEM) every index document
   * must verify with. Without it the key of the first config.json read is
   * pinned for the life of the process (trust on first use).
   */
  publicKey?: string | undefined
  fs?: Pick<typeof nodeFs, 'promises'>
}

/** The signed sparse index of a served hub, verified document by document. */
export interface HubIndex {
  /** config.json, verified; re-read when the file changes (a rebuild). */
  config(): Promise<IndexConfig>
  /** The item a Hub id names, or undefined; throws when its document does not verify. */
  findRepo(type: HfRepoType, ns: string, name: string): Promise<HfRepo | undefined>
}

/**
 * Opens a served hub's signed index for the Hub protocol. Every document is
 * verified with the hub's key when it is first read and again whenever its
 * file changes; nothing unverified is ever answered from.
 *
 * @example
 * const index = openHubIndex({ root: 'dist', publicKey: hub.keys[0].public_key })
 * const repo = await index.findRepo('model', 'acme', 'tox-gnn')
 */
export function openHubIndex(options: HubIndexOptions): HubIndex {
  const fs = options.fs ?? nodeFs
  let pinned: KeyObject | undefined = options.publicKey
    ? loadPublicKey(options.publicKey)
    : undefined
  const cache = new Map<string, { stamp: string; value: unknown }>()

  const read = async <T>(rel: string, check?: (value: T) => void): Promise<T | undefined> => {
    const file = join(options.root, rel)
    const info = await fs.promises.stat(file).catch(() => undefined)
    if (!info?.isFile()) return undefined
    const stamp = `${info.ino}-${info.size}-${info.mtimeMs}`
    const seen = cache.get(rel)
    if (seen?.stamp === stamp) return seen.value as T
    const text = await fs.promises.readFile(file, 'utf8')
    const value = openDocument<T>(text, { file: rel, publicKey: pinned })
    check?.(value)
    cache.set(rel, { stamp, value })
    return value
  }

  const config = async (): Promise<IndexConfig> => {
    if (!pinned) {
      // First read: take the key config.json names, then hold every document to it.
      const text = await fs.promises
        .readFile(join(options.root, 'index/config.json'), 'utf8')
        .catch(() => undefined)
      const key =
        text === undefined
          ? undefined
          : openDocument<IndexConfig>(text, {
              file: 'index/config.json',
            }).public_key
      if (key) pinned = loadPublicKey(key)
    }
    const value = await read<IndexConfig>('index/config.json')
    if (!value) {
      throw new AgoraError('hf/no-index', `${options.root} has no index/config.json`, {
        hint: 'serve a built hub (npm run build, or agora index build) with --root',
      })
    }
    if (!pinned) {
      throw new AgoraError('hf/unsigned-index', 'index/config.json is not signed', {
        hint: 'the Hub protocol answers only from a signed index: build it with a signing key',
      })
    }
    return value
  }

  return {
    config,
    async findRepo(type, ns, name) {
      await config()
      for (const kind of HF_KINDS[type]) {
        const rel = indexItemPath({ kind, ns, name })
        const item = await read<IndexItem>(rel, (value) => {
          if (value.kind !== kind || value.id !== `${ns}/${name}`) {
            throw new AgoraError(
              'hf/misplaced-document',
              `${rel} describes ${value.kind}/${value.id}`,
              {
                hint: 'the index was rearranged after signing; rebuild it',
              },
            )
          }
        })
        if (item) return { type, item }
      }
      return undefined
    },
  }
}

/**
 * The 40-hex commit a version is known by to Hub clients: derived from the
 * item and the version's files, so it never changes (versions are immutable)
 * and each version has its own. Clients cache by it; a request naming it is
 * answered from their cache without a request.
 *
 * @example versionCommit(item, '1.2.0') // '3f9c…' (40 hex digits)
 */
export function versionCommit(
  item: Pick<IndexItem, 'kind' | 'id' | 'versions'>,
  version: string,
): string {
  const files = item.versions[version]?.files ?? []
  const hash = createHash('sha256').update(`agora-version\0${item.kind}/${item.id}@${version}\0`)
  for (const file of files) hash.update(`${file.path}\0${file.size}\0${file.sha256}\0`)
  return hash.digest('hex').slice(0, 40)
}

const COMMIT = /^[0-9a-f]{40}$/

/**
 * Resolves a Hub revision against an item: `main` and `HEAD` (the `latest`
 * dist-tag), any other dist-tag, a version, a version's commit (versionCommit),
 * or the commit the index was built at (config.json `commit`: the latest
 * version as of that build). Undefined when nothing matches.
 *
 * @example resolveRevision(item, 'main', config.commit)?.version // '1.2.0'
 */
export function resolveRevision(
  item: IndexItem,
  revision: string,
  indexCommit?: string,
): HfRevision | undefined {
  const pick = (version: string | undefined): HfRevision | undefined => {
    const entry = version === undefined ? undefined : item.versions[version]
    if (!entry || version === undefined) return undefined
    return {
      version,
      commit: versionCommit(item, version),
      files: entry.files,
      ...(entry.released === undefined ? {} : { released: entry.released }),
    }
  }
  const tags = item['dist-tags']
  const latest = Object.hasOwn(tags, 'latest') ? tags.latest : undefined
  if (revision === 'main' || revision === 'HEAD') return pick(latest)
  if (Object.hasOwn(tags, revision)) return pick(tags[revision])
  if (Object.hasOwn(item.versions, revision)) return pick(revision)
  if (COMMIT.test(revision)) {
    if (indexCommit !== undefined && revision === indexCommit.toLowerCase()) return pick(latest)
    for (const version of Object.keys(item.versions)) {
      if (versionCommit(item, version) === revision) return pick(version)
    }
  }
  return undefined
}
