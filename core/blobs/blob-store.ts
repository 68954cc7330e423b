import type { Readable } from 'node:stream'

/** What a store knows of one blob. */
export interface BlobInfo {
  /** Lower-case hex SHA-256 of the bytes. */
  sha256: string
  size: number
}

export interface BlobLocation {
  /** Paid or private blobs sit under the store's private prefix. */
  private?: boolean
}

export interface PutOptions extends BlobLocation {
  /** Called with the number of bytes sent since the last call. */
  onProgress?: (bytes: number) => void
  signal?: AbortSignal
}

export interface GetOptions extends BlobLocation {
  /** First byte, inclusive. */
  start?: number
  /** Last byte, inclusive, as in an HTTP Range. */
  end?: number
}

/**
 * Content-addressed blob storage: keys are `blobs/sha256/<aa>/<hash>`, a blob
 * is never overwritten, and every write is verified against the expected hash
 * before it becomes visible.
 */
export interface BlobStore {
  readonly type: 'fs' | 's3'
  /** The blob's size when it exists, else undefined (a HEAD, never a download). */
  stat(sha256: string, options?: BlobLocation): Promise<BlobInfo | undefined>
  /**
   * Writes a blob from a fresh stream of its bytes, hashing them once on the
   * way; refuses (and leaves nothing) when size or hash differ from `expected`.
   * Skips the write when the blob already exists.
   */
  put(
    open: () => Readable,
    expected: BlobInfo,
    options?: PutOptions,
  ): Promise<{ uploaded: boolean; bytes: number }>
  /** A stream of the blob's bytes, or a byte range of them. */
  get(sha256: string, options?: GetOptions): Promise<Readable>
  /**
   * A URL a client can GET: the public URL for public blobs, a presigned one
   * (valid `expiresIn` seconds) for private blobs; undefined when the store is
   * not served over HTTP.
   */
  url(sha256: string, options?: BlobLocation & { expiresIn?: number }): Promise<string | undefined>
}

/**
 * The key of a blob in any store.
 *
 * @example blobKey('9f86d0…') // 'blobs/sha256/9f/9f86d0…'
 */
export function blobKey(sha256: string): string {
  return `blobs/sha256/${sha256.slice(0, 2)}/${sha256}`
}
