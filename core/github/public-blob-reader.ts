import { Readable } from 'node:stream'
import { type BlobStore, blobKey } from '#core/blobs'
import { AgoraError } from '#core/errors'

/**
 * A read-only BlobStore over a hub's public blob URL (`storage.public_url`):
 * HEAD for stat, GET with a Range for reads. Pull-request validation uses it
 * when it has no storage credentials, which is always the case for fork pull
 * requests: public blobs can still be found, re-hashed and scanned. Private
 * blobs are not public, so they are refused rather than guessed at.
 *
 * @example
 * const store = createPublicBlobReader('https://blobs.example.org', { fetch })
 * await store.stat('9f86d0…') // { sha256: '9f86d0…', size: 438291 }
 */
export function createPublicBlobReader(
  publicUrl: string,
  options: { fetch: typeof globalThis.fetch },
): BlobStore {
  const base = publicUrl.replace(/\/+$/, '')
  if (!/^https?:\/\//.test(base)) {
    throw new AgoraError(
      'storage/bad-public-url',
      `storage.public_url "${publicUrl.slice(0, 200)}" is not an http(s) URL`,
      {
        hint: 'set storage.public_url in registry/agora.yaml to the bucket’s or CDN’s https URL',
        file: 'registry/agora.yaml',
      },
    )
  }
  const urlOf = (sha256: string) => {
    if (!/^[0-9a-f]{64}$/.test(sha256)) {
      throw new AgoraError('storage/bad-hash', `"${sha256.slice(0, 80)}" is not a SHA-256`, {
        hint: 'hashes are 64 lower-case hex characters',
      })
    }
    return `${base}/${blobKey(sha256)}`
  }
  const refusePrivate = (location: { private?: boolean } | undefined) => {
    if (location?.private) {
      throw new AgoraError(
        'storage/private-unreadable',
        'private blobs cannot be read without storage credentials',
        {
          hint: 'a maintainer checks paid files with `agora validate` and credentials',
        },
      )
    }
  }
  const request = async (sha256: string, init: RequestInit): Promise<Response> => {
    const url = urlOf(sha256)
    try {
      return await options.fetch(url, { ...init, redirect: 'follow' })
    } catch (error) {
      throw new AgoraError('storage/unreachable', `could not reach ${url}`, {
        hint: 'check storage.public_url in registry/agora.yaml and that the bucket allows public reads',
        cause: error,
      })
    }
  }
  return {
    type: 's3',
    async stat(sha256, location) {
      refusePrivate(location)
      const response = await request(sha256, { method: 'HEAD' })
      if (response.status === 404 || response.status === 403) return undefined
      if (!response.ok) {
        throw new AgoraError(
          'storage/http-error',
          `HEAD ${urlOf(sha256)} answered ${response.status}`,
          {
            hint: 'check that the bucket allows public reads of blobs/',
          },
        )
      }
      const size = Number(response.headers.get('content-length'))
      if (!Number.isSafeInteger(size) || size < 0) {
        throw new AgoraError('storage/http-error', `HEAD ${urlOf(sha256)} gave no Content-Length`, {
          hint: 'serve blobs with their Content-Length (S3 and common CDNs do)',
        })
      }
      return { sha256, size }
    },
    async put() {
      throw new AgoraError('storage/read-only', 'the public blob reader cannot write', {
        hint: 'upload with credentials: `agora publish` with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set',
      })
    },
    async get(sha256, getOptions = {}) {
      refusePrivate(getOptions)
      const ranged = getOptions.start !== undefined || getOptions.end !== undefined
      const range = ranged ? `bytes=${getOptions.start ?? 0}-${getOptions.end ?? ''}` : undefined
      const response = await request(sha256, range ? { headers: { range } } : {})
      if (!response.ok || !response.body || (ranged && response.status !== 206)) {
        await response.body?.cancel()
        throw new AgoraError(
          'storage/http-error',
          `GET ${urlOf(sha256)} answered ${response.status}${ranged && response.status === 200 ? ' without honouring the Range' : ''}`,
          {
            hint: 'check that the bucket allows public reads of blobs/ and supports Range requests',
          },
        )
      }
      return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)
    },
    async url(sha256, location) {
      return location?.private ? undefined : urlOf(sha256)
    },
  }
}
