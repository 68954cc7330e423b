import { createHash } from 'node:crypto'

/** One file of a fake Hub repository: Git-stored unless `lfs` is set. */
export interface FakeFile {
  bytes: Uint8Array | string
  lfs?: boolean
  /** Serve these bytes instead, to test hash checks. */
  served?: Uint8Array | string
}

export interface FakeRepo {
  kind: 'model' | 'dataset'
  id: string
  sha: string
  files: Record<string, FakeFile>
}

const bytesOf = (b: Uint8Array | string) => (typeof b === 'string' ? new TextEncoder().encode(b) : b)

/**
 * A fetch that answers the Hub API calls import makes (revision with
 * `?blobs=true`, resolve) for the repositories given, records every request,
 * and answers anything else with 404 so an unexpected call shows up in `calls`.
 */
export function fakeHubFetch(repos: FakeRepo[], endpoint = 'https://huggingface.co') {
  const calls: string[] = []
  const fetch = (async (input: string | URL | Request) => {
    const url = String(input instanceof Request ? input.url : input)
    calls.push(url)
    for (const repo of repos) {
      const prefix = repo.kind === 'dataset' ? 'datasets/' : ''
      const api = `${endpoint}/api/${repo.kind}s/${repo.id}/revision/`
      if (url.startsWith(api)) {
        const rev = decodeURIComponent(url.slice(api.length).split('?')[0] ?? '')
        if (rev !== 'main' && rev !== repo.sha) return new Response('{}', { status: 404, headers: { 'x-error-code': 'RevisionNotFound' } })
        return Response.json({
          id: repo.id,
          sha: repo.sha,
          siblings: Object.entries(repo.files).map(([path, f]) => {
            const bytes = bytesOf(f.bytes)
            const sha256 = createHash('sha256').update(bytes).digest('hex')
            return f.lfs
              ? { rfilename: path, size: bytes.byteLength, blobId: 'b'.repeat(40), lfs: { sha256, size: bytes.byteLength, pointerSize: 134 } }
              : { rfilename: path, size: bytes.byteLength, blobId: 'b'.repeat(40) }
          }),
        })
      }
      const resolve = `${endpoint}/${prefix}${repo.id}/resolve/${repo.sha}/`
      if (url.startsWith(resolve)) {
        const path = url.slice(resolve.length).split('/').map(decodeURIComponent).join('/')
        const file = repo.files[path]
        if (file) return new Response(Buffer.from(bytesOf(file.served ?? file.bytes)))
        return new Response('', { status: 404, headers: { 'x-error-code': 'EntryNotFound' } })
      }
    }
    return new Response('{"error":"Repository not found"}', { status: 404, headers: { 'x-error-code': 'RepoNotFound' } })
  }) as typeof globalThis.fetch
  return { fetch, calls }
}
