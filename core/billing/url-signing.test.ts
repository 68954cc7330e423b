import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { checkBlobUrl, signBlobUrl } from './url-signing.ts'

const KEY = randomBytes(32)
const SHA = 'a'.repeat(64)
const NOW = 1_800_000_000

/** The query of a URL signed for SHA until NOW + 300, with `changes` applied. */
function params(changes: Record<string, string> = {}): URLSearchParams {
  const query = new URL(signBlobUrl('http://127.0.0.1:8787/', SHA, KEY, NOW + 300)).searchParams
  for (const [name, value] of Object.entries(changes)) query.set(name, value)
  return query
}

describe('core/billing/url-signing', () => {
  it('accepts its own URL until it expires, for its blob only', () => {
    expect(checkBlobUrl(SHA, params(), KEY, NOW + 300)).toBe(true)
    expect(checkBlobUrl(SHA, params(), KEY, NOW + 301)).toBe(false)
    expect(checkBlobUrl('b'.repeat(64), params(), KEY, NOW)).toBe(false)
    expect(checkBlobUrl(SHA, params({ exp: String(NOW + 3000) }), KEY, NOW)).toBe(false)
    expect(checkBlobUrl(SHA, params(), randomBytes(32), NOW)).toBe(false)
  })

  it('refuses other spellings of the same expiry and signature', () => {
    const sig = params().get('sig') as string
    for (const changes of [
      { exp: `${NOW + 300}.0` },
      { exp: `0x${(NOW + 300).toString(16)}` },
      { exp: ` ${NOW + 300}` },
      { exp: `0${NOW + 300}` },
      { sig: `${sig}=` },
      { sig: `${sig}!!` },
      { sig: sig.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) },
      { sig: `${sig.slice(0, -1)}\u0141` },
    ]) {
      expect(checkBlobUrl(SHA, params(changes), KEY, NOW), JSON.stringify(changes)).toBe(false)
    }
  })
})
