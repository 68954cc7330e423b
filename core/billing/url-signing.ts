import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Short-lived download URLs for a folder store, which cannot presign: the
 * service signs `sha256` and an expiry with an HMAC key only it holds and
 * serves the bytes itself at `/blobs/sha256/<aa>/<hash>`.
 *
 * @example signBlobUrl('http://127.0.0.1:8787', sha, key, expiresAt)
 */
export function signBlobUrl(base: string, sha256: string, key: Buffer, expires: number): string {
  const sig = mac(key, sha256, expires)
  return `${base.replace(/\/+$/, '')}/blobs/sha256/${sha256.slice(0, 2)}/${sha256}?exp=${expires}&sig=${sig}`
}

/**
 * Checks a signed blob URL's expiry (seconds) and signature.
 *
 * @example checkBlobUrl(sha, url.searchParams, key, Date.now() / 1000)
 */
export function checkBlobUrl(
  sha256: string,
  params: URLSearchParams,
  key: Buffer,
  nowSeconds: number,
): boolean {
  // Only the spelling signBlobUrl writes: Number() and the base64url decoder
  // would take `1e9`, hex, or a signature with stray characters for the same URL.
  const exp = params.get('exp') ?? ''
  if (!/^[1-9]\d{0,15}$/.test(exp)) return false
  const expires = Number(exp)
  if (!Number.isSafeInteger(expires) || expires < nowSeconds) return false
  const sig = Buffer.from(params.get('sig') ?? '', 'utf8')
  const want = Buffer.from(mac(key, sha256, expires), 'utf8')
  return sig.length === want.length && timingSafeEqual(sig, want)
}

function mac(key: Buffer, sha256: string, expires: number): string {
  return createHmac('sha256', key)
    .update(`agora-blob-url-v1\n${sha256}\n${expires}`)
    .digest('base64url')
}
