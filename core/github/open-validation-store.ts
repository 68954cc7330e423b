import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { BlobStore } from '#core/blobs'
import type { StorageConfig } from '#core/manifest'
import { createStore } from '#core/storage'
import { createPublicBlobReader } from './public-blob-reader.ts'

/**
 * The store validation reads blobs from. Fork pull requests have no storage
 * credentials, so without them a store with a public URL is read over HTTP;
 * with them (or for a local fs store) the hub's own store is used. The
 * validate action and `agora validate --blobs/--scan/--like-ci` both open
 * their store here, so they read the same bytes.
 *
 * @example openValidationStore({ type: 's3', bucket: 'b', region: 'r', private_prefix: 'p/', public_url: 'https://b.example' }, { root, env: {}, fetch })
 */
export function openValidationStore(
  storage: StorageConfig,
  options: {
    root: string
    env: Record<string, string | undefined>
    fetch: typeof globalThis.fetch
  },
): BlobStore {
  const { env } = options
  const credentials = Boolean(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY)
  const localBlobs =
    storage.type === 'fs' &&
    (env.AGORA_STORE_DIR !== undefined || existsSync(resolve(options.root, storage.path)))
  if (storage.public_url && !credentials && !localBlobs) {
    return createPublicBlobReader(storage.public_url, { fetch: options.fetch })
  }
  return createStore(storage, { repoRoot: options.root, env })
}
