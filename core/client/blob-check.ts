import { createHash } from 'node:crypto'
import * as nodeFs from 'node:fs'
import { writeFileAtomic } from '#core/blobs'
import type { ClientFs } from './cache.ts'

/**
 * What the cache knew of a blob when it last hashed it. A blob whose size,
 * mtime and inode still match is trusted without reading it again; any
 * other blob is hashed again before it is handed out.
 */
export interface BlobFingerprint {
  sha256: string
  size: number
  /** Nanoseconds, as a decimal string: a millisecond float can hide a quick edit. */
  mtime_ns: string
  ino: string
  verified_at: string
}

/** What a look at a cached blob found. */
export type BlobState = 'ok' | 'missing' | 'corrupt'

/**
 * The fingerprint file beside a blob: `blobs/<sha256>.verified`.
 *
 * @example fingerprintPath('/c/models--a--b/blobs/ab12') // '/c/models--a--b/blobs/ab12.verified'
 */
export function fingerprintPath(blob: string): string {
  return `${blob}.verified`
}

/**
 * The SHA-256 of a file, streamed.
 *
 * @example await hashFile('/c/models--a--b/blobs/ab12') // 'ab12…'
 */
export async function hashFile(path: string, fs: ClientFs = nodeFs): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of fs.createReadStream(path, { highWaterMark: 1 << 20 }))
    hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/**
 * Marks a blob as verified: read-only (0444), so nothing edits it by
 * accident, and its fingerprint recorded beside it. Call it only after the
 * bytes were hashed against `sha256`.
 *
 * @example await sealBlob(blobCachePath(cache, ref, sha), sha)
 */
export async function sealBlob(blob: string, sha256: string, fs: ClientFs = nodeFs): Promise<void> {
  // chmod follows links: never change the mode of a file outside the cache.
  if (!(await fs.promises.lstat(blob)).isFile()) throw new Error(`${blob} is not a regular file`)
  await fs.promises.chmod(blob, 0o444)
  const info = await fs.promises.stat(blob, { bigint: true })
  const fingerprint: BlobFingerprint = {
    sha256,
    size: Number(info.size),
    mtime_ns: String(info.mtimeNs),
    ino: String(info.ino),
    verified_at: new Date().toISOString(),
  }
  await writeFileAtomic(fingerprintPath(blob), `${JSON.stringify(fingerprint)}\n`, fs)
}

/**
 * Whether a cached blob still holds the bytes its name promises. Cheap when
 * the blob is untouched since it was sealed (a stat and a small read); when
 * its size, mtime or inode moved (an edit through a hard link, a flipped
 * byte, a copy from elsewhere) it is hashed again, and sealed anew when the
 * bytes are right.
 *
 * @example if ((await checkCachedBlob(path, { sha256, size })) === 'ok') useIt()
 */
export async function checkCachedBlob(
  blob: string,
  expected: { sha256: string; size: number },
  fs: ClientFs = nodeFs,
): Promise<BlobState> {
  // lstat: a link planted at a blob's name is not the cache's own bytes.
  const info = await fs.promises.lstat(blob, { bigint: true }).catch(() => undefined)
  if (!info) return 'missing'
  if (!info.isFile()) return info.isSymbolicLink() ? 'corrupt' : 'missing'
  if (Number(info.size) !== expected.size) return 'corrupt'
  const recorded = await readFingerprint(blob, fs)
  if (
    recorded?.sha256 === expected.sha256 &&
    recorded.size === expected.size &&
    recorded.mtime_ns === String(info.mtimeNs) &&
    recorded.ino === String(info.ino)
  ) {
    return 'ok'
  }
  if ((await hashFile(blob, fs)) !== expected.sha256) return 'corrupt'
  await sealBlob(blob, expected.sha256, fs).catch(() => undefined)
  return 'ok'
}

/**
 * Deletes a blob and its fingerprint, so the next pull fetches it again.
 *
 * @example await dropBlob(blobCachePath(cache, ref, sha))
 */
export async function dropBlob(blob: string, fs: ClientFs = nodeFs): Promise<void> {
  await fs.promises.rm(blob, { force: true })
  await fs.promises.rm(fingerprintPath(blob), { force: true })
}

async function readFingerprint(blob: string, fs: ClientFs): Promise<BlobFingerprint | undefined> {
  try {
    return JSON.parse(await fs.promises.readFile(fingerprintPath(blob), 'utf8')) as BlobFingerprint
  } catch {
    return undefined
  }
}
