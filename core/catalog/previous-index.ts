import type { KeyObject } from 'node:crypto'
import { getText, isKnownKind, isValidId } from '#core/client'
import { AgoraError } from '#core/errors'
import {
  type IndexConfig,
  type IndexItem,
  indexItemPath,
  openDocument,
  SEARCH_INDEX_PATH,
  type SearchIndex,
} from '#core/index-format'

/** An item document a previous build published, as its bytes stand. */
export interface PreviousItem {
  text: string
  signed: IndexItem
}

/** What the last published index holds: its item floor and every item document, by path. */
export interface PreviousIndex {
  floor: number
  items: Map<string, PreviousItem>
}

export interface FetchPreviousOptions {
  /** The published hub's root URL (where `index/config.json` is served). */
  base: string
  /** The public key of the key this build signs with: only documents it signed are used. */
  publicKey: KeyObject
  /** This build's sequence: a published index newer than it is not built upon. */
  sequence?: number | undefined
  /**
   * The commits whose published index this build may build on: its own and
   * its parents'. An index of an older commit may be a stale copy (a CDN
   * edge, a deploy still spreading): a build published after it could have
   * documents this build cannot compare with, and whose replay only a floor
   * raise would stop. When given, an index of any other commit is not built upon.
   */
  commits?: readonly string[] | undefined
  fetch?: typeof globalThis.fetch
  /** Item documents fetched at once; default 16. */
  concurrency?: number
  /** Told every 1,000 item documents. */
  progress?: (done: number, total: number) => void
}

export type FetchedPrevious =
  | { previous: PreviousIndex; reason?: undefined }
  | { previous?: undefined; reason: string }

/**
 * Reads the index a hub last published, so a build from an empty output
 * folder (a CI deploy) keeps the bytes of unchanged item documents. All or
 * nothing: config.json and search.json must verify with this build's key
 * and come from one build, and every item search.json lists must be there,
 * signed, at a sequence between the floor and the config's. Anything else
 * gives a reason and no previous index, and the build rewrites every
 * document (always safe: only ETags are lost). A missing item would hide a
 * removal, which must raise the floor, so none may be skipped.
 *
 * Requests carry a query token so a CDN cannot answer with a copy older
 * than the deployed one.
 *
 * @example
 * const { previous, reason } = await fetchPreviousIndex({ base: 'https://hub.example', publicKey })
 */
export async function fetchPreviousIndex(options: FetchPreviousOptions): Promise<FetchedPrevious> {
  const fetch = options.fetch ?? globalThis.fetch
  const base = options.base.replace(/\/+$/, '')
  const token = `previous=${Date.now().toString(36)}`
  const get = async (path: string) => {
    const url = `${base}/${path}`
    const { text } = await getText(fetch, `${url}?${token}`, { what: path })
    return { url, text: text ?? '' }
  }
  let config: IndexConfig
  try {
    const fetched = await get('index/config.json')
    config = openDocument<IndexConfig>(fetched.text, {
      file: fetched.url,
      publicKey: options.publicKey,
    })
  } catch (error) {
    if (error instanceof AgoraError && error.code === 'client/not-found')
      return { reason: `no index published at ${base} yet` }
    return { reason: messageOf(error) }
  }
  const { sequence, item_floor: floor } = config
  if (typeof sequence !== 'number' || typeof floor !== 'number' || floor > sequence) {
    return { reason: 'its config.json has no usable sequence and item_floor' }
  }
  if (options.sequence !== undefined && sequence > options.sequence) {
    return { reason: `it is newer (sequence ${sequence}) than this build (${options.sequence})` }
  }
  if (options.commits !== undefined) {
    const commit = typeof config.commit === 'string' ? config.commit : undefined
    if (commit === undefined || !options.commits.includes(commit)) {
      return {
        reason: `it was built from ${commit === undefined ? 'no recorded commit' : `commit ${commit.slice(0, 12)}`}, not this build's commit or its parent: a later index may have been published since`,
      }
    }
  }
  try {
    const fetched = await get(SEARCH_INDEX_PATH)
    const search = openDocument<SearchIndex>(fetched.text, {
      file: fetched.url,
      publicKey: options.publicKey,
    })
    if (search.sequence !== sequence || search.commit !== config.commit) {
      return { reason: 'its search.json and config.json come from different builds' }
    }
    if (!Array.isArray(search.items)) return { reason: 'its search.json lists no items' }
    const paths: { path: string; kind: string; id: string }[] = []
    for (const entry of search.items) {
      if (!isKnownKind(entry?.kind) || !isValidId(entry?.id))
        return { reason: 'its search.json lists an entry that is not an item id' }
      const [ns, name] = entry.id.split('/') as [string, string]
      paths.push({
        path: indexItemPath({ kind: entry.kind, ns, name }),
        kind: entry.kind,
        id: entry.id,
      })
    }
    const items = new Map<string, PreviousItem>()
    let failure: string | undefined
    let next = 0
    const worker = async () => {
      while (failure === undefined && next < paths.length) {
        const { path, kind, id } = paths[next++] as (typeof paths)[number]
        try {
          const { url, text } = await get(path)
          const signed = openDocument<IndexItem>(text, { file: url, publicKey: options.publicKey })
          const at = signed.sequence
          if (signed.kind !== kind || signed.id !== id) failure = `${url} is not ${kind} ${id}`
          else if (typeof at !== 'number' || at < floor || at > sequence)
            failure = `${url} has a sequence outside ${floor}–${sequence}`
          else items.set(path, { text, signed })
        } catch (error) {
          failure = messageOf(error)
        }
        if (items.size > 0 && items.size % 1000 === 0) options.progress?.(items.size, paths.length)
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 16) }, worker))
    if (failure !== undefined) return { reason: failure }
    return { previous: { floor, items } }
  } catch (error) {
    return { reason: messageOf(error) }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
