import { AgoraError } from '#core/errors'
import type { HfRepoKind } from './card-map.ts'

/** Where the Hub's API lives unless HF_ENDPOINT says otherwise. */
export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co'

/** How the Hub is reached: its base URL, a fetch, and an optional token for gated repos. */
export interface HubClient {
  endpoint: string
  fetch: typeof globalThis.fetch
  token?: string | undefined
}

/** One file of a Hub repository at a commit. */
export interface HubRepoFile {
  path: string
  size: number
  /** SHA-256 of the bytes, from the LFS pointer; absent for files kept in Git. */
  sha256?: string
}

export interface HubRepo {
  id: string
  kind: HfRepoKind
  /** The 40-hex commit the revision resolved to. */
  sha: string
  files: HubRepoFile[]
}

const SHA1 = /^[0-9a-f]{40}$/
const SHA256 = /^[0-9a-f]{64}$/

/**
 * The page of a repository on the Hub.
 *
 * @example hubRepoUrl('https://huggingface.co', 'dataset', 'stanfordnlp/imdb') // 'https://huggingface.co/datasets/stanfordnlp/imdb'
 */
export function hubRepoUrl(endpoint: string, kind: HfRepoKind, id: string): string {
  return `${endpoint.replace(/\/+$/, '')}/${kind === 'dataset' ? 'datasets/' : ''}${id}`
}

/**
 * The download URL of one file at a commit, as huggingface_hub builds it.
 *
 * @example hubResolveUrl('https://huggingface.co', 'model', 'org/m', 'a'.repeat(40), 'dir/x y.bin')
 * // 'https://huggingface.co/org/m/resolve/aaaa…/dir/x%20y.bin'
 */
export function hubResolveUrl(
  endpoint: string,
  kind: HfRepoKind,
  id: string,
  revision: string,
  path: string,
): string {
  const quoted = path.split('/').map(encodeURIComponent).join('/')
  return `${hubRepoUrl(endpoint, kind, id)}/resolve/${encodeURIComponent(revision)}/${quoted}`
}

/**
 * Resolves a revision to its commit and lists the files there with sizes and,
 * for LFS files, their SHA-256 (`GET /api/{models|datasets}/{id}/revision/{rev}?blobs=true`).
 *
 * @example const repo = await fetchHubRepo(client, 'model', 'google-bert/bert-base-uncased', 'main')
 */
export async function fetchHubRepo(
  client: HubClient,
  kind: HfRepoKind,
  id: string,
  revision = 'main',
): Promise<HubRepo> {
  const url = `${client.endpoint.replace(/\/+$/, '')}/api/${kind}s/${id}/revision/${encodeURIComponent(revision)}?blobs=true`
  const response = await hubFetch(client, url, `${kind} ${id}@${revision}`)
  const body = (await response.json().catch(() => undefined)) as
    | { sha?: unknown; siblings?: unknown }
    | undefined
  if (
    !body ||
    typeof body.sha !== 'string' ||
    !SHA1.test(body.sha) ||
    !Array.isArray(body.siblings)
  ) {
    throw new AgoraError(
      'hf/bad-response',
      `the Hub's answer for ${id}@${revision} has no commit or file list`,
      {
        hint: 'check HF_ENDPOINT: it must be a Hugging Face Hub (or a server speaking its API)',
      },
    )
  }
  const files: HubRepoFile[] = []
  for (const sibling of body.siblings as Record<string, unknown>[]) {
    const path = sibling.rfilename
    const size = sibling.size
    if (typeof path !== 'string' || typeof size !== 'number') {
      throw new AgoraError(
        'hf/bad-response',
        `a file of ${id} has no name or size in the Hub's answer`,
        {
          hint: 'the revision API must be called with ?blobs=true',
        },
      )
    }
    const lfs = sibling.lfs as { sha256?: unknown; size?: unknown } | undefined
    const sha256 =
      typeof lfs?.sha256 === 'string' && SHA256.test(lfs.sha256) ? lfs.sha256 : undefined
    files.push({
      path,
      size: typeof lfs?.size === 'number' ? lfs.size : size,
      ...(sha256 ? { sha256 } : {}),
    })
  }
  return { id, kind, sha: body.sha, files }
}

/**
 * Downloads one file of a repository at a commit, whole, into memory: for
 * small Git-stored files and cards.
 */
export async function fetchHubFile(
  client: HubClient,
  repo: Pick<HubRepo, 'id' | 'kind' | 'sha'>,
  path: string,
): Promise<Uint8Array> {
  const url = hubResolveUrl(client.endpoint, repo.kind, repo.id, repo.sha, path)
  const response = await hubFetch(client, url, `${repo.id}/${path}`)
  return new Uint8Array(await response.arrayBuffer())
}

/** GET with the token; turns Hub errors into AgoraErrors that say what to do. */
export async function hubFetch(client: HubClient, url: string, what: string): Promise<Response> {
  let response: Response
  try {
    response = await client.fetch(url, {
      headers: client.token ? { authorization: `Bearer ${client.token}` } : {},
      redirect: 'follow',
    })
  } catch (error) {
    throw new AgoraError('hf/unreachable', `could not reach ${new URL(url).host} for ${what}`, {
      hint: 'check the network, or set HF_ENDPOINT to a reachable Hub mirror',
      cause: error,
    })
  }
  if (response.ok) return response
  const code = response.headers.get('x-error-code') ?? ''
  if (response.status === 401 || response.status === 403) {
    throw new AgoraError('hf/unauthorized', `the Hub refused ${what} (${response.status})`, {
      hint: 'the repository is gated or private: accept its terms on the Hub and set HF_TOKEN',
    })
  }
  if (response.status === 404) {
    throw new AgoraError('hf/not-found', `the Hub has no ${what}${code ? ` (${code})` : ''}`, {
      hint: 'check the repository id, --kind (model or dataset) and --revision',
    })
  }
  throw new AgoraError('hf/bad-response', `the Hub answered ${response.status} for ${what}`, {
    hint: 'try again later; the Hub may be rate-limiting (HTTP 429) or down',
  })
}
