import { isAbsolute, resolve } from 'node:path'
import { S3Client } from '@aws-sdk/client-s3'
import type { BlobStore } from '#core/blobs'
import type { StorageConfig } from '#core/manifest'
import { createFsStore, type StoreFs } from './fs-store.ts'
import { createS3Store } from './s3-store.ts'

export interface CreateStoreOptions {
  /** Root of the registry repository; a relative fs `path` is resolved against it. */
  repoRoot: string
  /**
   * Environment the entry point read: `AWS_ACCESS_KEY_ID`,
   * `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, and `AGORA_STORE_DIR` to
   * move the embedded store elsewhere. Without keys the SDK's own chain
   * (profiles, instance roles) applies.
   */
  env?: Record<string, string | undefined>
  fs?: StoreFs
}

/**
 * Picks the blob store agora.yaml's `storage` names.
 *
 * @example
 * const store = createStore(registry.hub.storage, { repoRoot, env: process.env })
 */
export function createStore(storage: StorageConfig, options: CreateStoreOptions): BlobStore {
  const env = options.env ?? {}
  if (storage.type === 'fs') {
    const configured = env.AGORA_STORE_DIR ?? storage.path
    const dir = isAbsolute(configured) ? configured : resolve(options.repoRoot, configured)
    return createFsStore({
      dir,
      ...(options.fs ? { fs: options.fs } : {}),
      ...(storage.public_url ? { publicUrl: storage.public_url } : {}),
    })
  }
  const accessKeyId = env.AWS_ACCESS_KEY_ID
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY
  const client = new S3Client({
    region: storage.region,
    ...(storage.endpoint ? { endpoint: storage.endpoint } : {}),
    forcePathStyle: storage.force_path_style ?? false,
    // The store retries with its own back-off; SDK retries on top would multiply the attempts.
    maxAttempts: 1,
    ...(accessKeyId && secretAccessKey
      ? {
          credentials: {
            accessKeyId,
            secretAccessKey,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {}),
  })
  return createS3Store({
    client,
    bucket: storage.bucket,
    privatePrefix: storage.private_prefix,
    ...(storage.public_url ? { publicUrl: storage.public_url } : {}),
  })
}
