import * as nodeFs from 'node:fs'
import { dropBlob, hashFile, sealBlob } from './blob-check.ts'
import type { ClientFs } from './cache.ts'
import { scanCache } from './cache-scan.ts'

export interface CorruptBlob {
  /** The item, as a user types it. */
  item: string
  sha256: string
  /** What the bytes hash to now. */
  actual: string
  path: string
  size: number
  /** True when --repair deleted it. */
  removed: boolean
}

export interface VerifyResult {
  checked: number
  bytes: number
  corrupt: CorruptBlob[]
}

export interface VerifyOptions {
  fs?: ClientFs
  /** Delete corrupt blobs (and their fingerprints), so the next pull fetches them again. */
  repair?: boolean | undefined
  /** Told the total before starting, for a progress bar. */
  onStart?: ((totalBytes: number) => void) | undefined
  /** Told the size of every blob hashed. */
  onProgress?: ((bytes: number) => void) | undefined
}

/**
 * Hashes every blob in the cache against its name, whatever its fingerprint
 * says, and lists the ones that no longer match. Good blobs are sealed
 * again (read-only, fresh fingerprint); with `repair`, bad ones are deleted.
 *
 * @example const { corrupt } = await verifyCache('/home/me/.cache/agora', { repair: true })
 */
export async function verifyCache(
  cacheDir: string,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const fs = options.fs ?? nodeFs
  const scan = await scanCache(cacheDir, fs)
  options.onStart?.(scan.size)
  const result: VerifyResult = { checked: 0, bytes: 0, corrupt: [] }
  for (const item of scan.items) {
    for (const blob of item.blobs) {
      const actual = await hashFile(blob.path, fs)
      result.checked++
      result.bytes += blob.size
      options.onProgress?.(blob.size)
      if (actual === blob.sha256) {
        await sealBlob(blob.path, blob.sha256, fs).catch(() => undefined)
        continue
      }
      if (options.repair) await dropBlob(blob.path, fs)
      result.corrupt.push({
        item: item.id,
        sha256: blob.sha256,
        actual,
        path: blob.path,
        size: blob.size,
        removed: options.repair === true,
      })
    }
  }
  return result
}
