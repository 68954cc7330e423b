import { AgoraError } from '#core/errors'
import type { HfRepoKind } from './card-map.ts'
import { type HubClient, hubFetch, hubRepoUrl } from './hub-api.ts'

/** One repository the Hub's search returned. */
export interface HubSearchHit {
  id: string
  kind: HfRepoKind
  downloads?: number
  likes?: number
  pipeline_tag?: string
  /** The item on this hub imported from it, or of the same id, if any. */
  onHub?: string
}

/**
 * Searches the Hub's repositories (`GET /api/{models|datasets}?search=…&limit=…`).
 *
 * @example await searchHub(client, 'model', 'bert', 10)
 */
export async function searchHub(
  client: HubClient,
  kind: HfRepoKind,
  query: string,
  limit: number,
): Promise<HubSearchHit[]> {
  const url = `${client.endpoint.replace(/\/+$/, '')}/api/${kind}s?search=${encodeURIComponent(query)}&limit=${limit}`
  const response = await hubFetch(client, url, `${kind} search "${query}"`).catch((error) => {
    // A 404 here is no search API at all (an Agora hub's own `agora serve`
    // answers downloads only), not a missing repository.
    if (!(error instanceof AgoraError) || error.code !== 'hf/not-found') throw error
    throw new AgoraError(
      'hf/no-search',
      `${new URL(url).host} answers no ${kind} search (GET /api/${kind}s is 404)`,
      {
        hint: 'HF_ENDPOINT must be the Hugging Face Hub or a mirror with its search API; to search an Agora hub, run agora search without --hf',
        cause: error,
      },
    )
  })
  const body = (await response.json().catch(() => undefined)) as unknown
  if (!Array.isArray(body)) {
    throw new AgoraError('hf/bad-response', `the Hub's ${kind} search did not answer a list`, {
      hint: 'check HF_ENDPOINT: it must be a Hugging Face Hub (or a server speaking its API)',
    })
  }
  const hits: HubSearchHit[] = []
  for (const entry of body as Record<string, unknown>[]) {
    const id = entry.id ?? entry.modelId
    if (typeof id !== 'string') continue
    hits.push({
      id,
      kind,
      ...(typeof entry.downloads === 'number' ? { downloads: entry.downloads } : {}),
      ...(typeof entry.likes === 'number' ? { likes: entry.likes } : {}),
      ...(typeof entry.pipeline_tag === 'string' ? { pipeline_tag: entry.pipeline_tag } : {}),
    })
  }
  return hits.slice(0, limit)
}

/** What marking needs of an item of this hub: its ref and the Hub page import recorded. */
export interface HubItemSummary {
  /** `[kind/]ns/name` as agora shows it. */
  ref: string
  kind: string
  id: string
  homepage?: string
}

/**
 * Marks the hits already on this hub: an item whose recorded Hub page (import
 * writes `links.homepage`) is the hit's, else one of the same kind and id.
 *
 * @example markOnHub(hits, [{ ref: 'acme/bert', kind: 'model', id: 'acme/bert', homepage: 'https://huggingface.co/google-bert/bert-base-uncased' }])
 */
export function markOnHub(hits: HubSearchHit[], items: HubItemSummary[]): HubSearchHit[] {
  const byPage = new Map<string, string>()
  const byId = new Map<string, string>()
  for (const item of items) {
    if (item.homepage) byPage.set(item.homepage.replace(/\/+$/, ''), item.ref)
    byId.set(`${item.kind === 'dataset' ? 'dataset' : 'model'}:${item.id}`, item.ref)
  }
  return hits.map((hit) => {
    const onHub =
      byPage.get(hubRepoUrl('https://huggingface.co', hit.kind, hit.id)) ??
      byId.get(`${hit.kind}:${hit.id.toLowerCase()}`)
    return onHub ? { ...hit, onHub } : hit
  })
}
