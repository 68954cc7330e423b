import { generateKeyPairSync, sign } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { rawPublicKey } from '#core/index-format'
import {
  checkCovers,
  type Keyring,
  keyringOf,
  LICENCE_PREFIX,
  type LicencePayload,
  licenceIdFor,
  licenceVerifier,
  REVOCATIONS_PREFIX,
  signLicence,
  signRevocations,
  verifyLicence,
  verifyRevocations,
} from './index.ts'

const SHA_A = 'a'.repeat(64)
const SHA_B = 'b'.repeat(64)
const NOW = new Date('2026-06-01T12:00:00Z')

function key(kid: string) {
  const { privateKey } = generateKeyPairSync('ed25519')
  return { kid, privateKey, public_key: rawPublicKey(privateKey).toString('base64') }
}
const k1 = key('k1')
const k2 = key('k2')
const keys: Keyring = keyringOf([
  { id: 'k1', algorithm: 'ed25519', public_key: k1.public_key },
  { id: 'k2', algorithm: 'ed25519', public_key: k2.public_key },
])

function payload(over: Partial<LicencePayload> = {}): LicencePayload {
  return {
    v: 1,
    id: licenceIdFor('cs_test_1'),
    item: { kind: 'model', ns: 'acme', name: 'tox' },
    versions: ['1.0.0'],
    files: [SHA_A],
    buyer: 'buyer_1',
    type: 'per-download',
    issued: '2026-06-01T11:00:00.000Z',
    kid: 'k1',
    ...over,
  }
}

function envelope(text: string): Record<string, string> {
  return JSON.parse(text)
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return (error as { code?: string }).code
  }
  return undefined
}

describe('core/licence/licence', () => {
  it('verifies a licence signed by any pinned key (rotation)', () => {
    for (const signer of [k1, k2]) {
      const text = signLicence(payload(), signer)
      const { payload: p, kid } = verifyLicence(text, { keys, now: NOW })
      expect(kid).toBe(signer.kid)
      expect(p.kid).toBe(signer.kid)
      expect(p.files).toEqual([SHA_A])
    }
  })

  it('refuses a licence whose payload changed by one byte', () => {
    const e = envelope(signLicence(payload(), k1))
    const bytes = Buffer.from(e.payload as string, 'base64url')
    bytes[bytes.indexOf('1.0.0')] = '2'.charCodeAt(0)
    e.payload = bytes.toString('base64url')
    expect(codeOf(() => verifyLicence(JSON.stringify(e), { keys, now: NOW }))).toBe(
      'licence/tampered',
    )
  })

  it('checks alg before anything else, and the key id before the signature', () => {
    const e = envelope(signLicence(payload(), k1))
    expect(
      codeOf(() =>
        verifyLicence(JSON.stringify({ ...e, alg: 'none', kid: 'x' }), { keys, now: NOW }),
      ),
    ).toBe('licence/wrong-alg')
    expect(
      codeOf(() => verifyLicence(JSON.stringify({ ...e, kid: 'k9' }), { keys, now: NOW })),
    ).toBe('licence/unknown-kid')
    // Another pinned key's id over k1's signature is a forgery, not a new key.
    expect(
      codeOf(() => verifyLicence(JSON.stringify({ ...e, kid: 'k2' }), { keys, now: NOW })),
    ).toBe('licence/tampered')
  })

  it('never decodes a payload whose signature fails', () => {
    // A signed-looking envelope whose payload is not JSON: tampered, not malformed.
    const e = {
      alg: 'ed25519',
      kid: 'k1',
      payload: Buffer.from('{oops').toString('base64url'),
      sig: 'A'.repeat(86),
    }
    expect(codeOf(() => verifyLicence(JSON.stringify(e), { keys, now: NOW }))).toBe(
      'licence/tampered',
    )
  })

  it('names malformed files and payloads', () => {
    expect(codeOf(() => verifyLicence('not json', { keys, now: NOW }))).toBe('licence/malformed')
    expect(codeOf(() => verifyLicence('{"alg":"ed25519"}', { keys, now: NOW }))).toBe(
      'licence/malformed',
    )
    const bytes = Buffer.from(JSON.stringify({ v: 1, id: 'x' }))
    const sig = sign(null, Buffer.concat([Buffer.from(LICENCE_PREFIX), bytes]), k1.privateKey)
    const text = JSON.stringify({
      alg: 'ed25519',
      kid: 'k1',
      payload: bytes.toString('base64url'),
      sig: sig.toString('base64url'),
    })
    expect(codeOf(() => verifyLicence(text, { keys, now: NOW }))).toBe('licence/malformed')
  })

  it('refuses an expired licence and a lapsed subscription', () => {
    const expired = signLicence(payload({ expires: '2026-06-01T11:59:59.000Z' }), k1)
    expect(codeOf(() => verifyLicence(expired, { keys, now: NOW }))).toBe('licence/expired')
    const lapsed = signLicence(
      payload({ type: 'subscription', period_end: '2026-05-31T00:00:00.000Z' }),
      k1,
    )
    expect(codeOf(() => verifyLicence(lapsed, { keys, now: NOW }))).toBe('licence/expired')
    const running = signLicence(
      payload({ type: 'subscription', period_end: '2026-07-01T00:00:00.000Z' }),
      k1,
    )
    expect(verifyLicence(running, { keys, now: NOW }).payload.type).toBe('subscription')
  })

  it('allows a small clock skew but refuses a licence issued in the future', () => {
    const soon = signLicence(payload({ issued: '2026-06-01T12:04:00.000Z' }), k1)
    expect(verifyLicence(soon, { keys, now: NOW }).payload.id).toMatch(/^lic_/)
    const later = signLicence(payload({ issued: '2026-06-01T12:06:00.000Z' }), k1)
    expect(codeOf(() => verifyLicence(later, { keys, now: NOW }))).toBe('licence/future-issued')
  })

  it('refuses a revoked licence', () => {
    const text = signLicence(payload(), k1)
    const revoked = new Set([payload().id])
    expect(codeOf(() => verifyLicence(text, { keys, now: NOW, revoked }))).toBe('licence/revoked')
  })

  it('a verifier that keeps checked texts still checks the time, revocation and every changed byte', () => {
    const verify = licenceVerifier(keys, 2)
    const text = signLicence(payload({ expires: '2026-07-01T00:00:00.000Z' }), k1)
    expect(verify(text, { now: NOW }).payload.id).toBe(payload().id)
    // The same text again: kept, but expiry and revocation are this call's.
    expect(verify(text, { now: NOW }).kid).toBe('k1')
    expect(codeOf(() => verify(text, { now: new Date('2026-07-02T00:00:00Z') }))).toBe(
      'licence/expired',
    )
    expect(codeOf(() => verify(text, { now: NOW, revoked: new Set([payload().id]) }))).toBe(
      'licence/revoked',
    )
    const env = envelope(text)
    const forged = JSON.stringify({
      ...env,
      payload: Buffer.from(
        Buffer.from(env.payload as string, 'base64url')
          .toString()
          .replace('buyer_1', 'buyer_2'),
      ).toString('base64url'),
    })
    expect(codeOf(() => verify(forged, { now: NOW }))).toBe('licence/tampered')
    // More texts than it keeps: the oldest is dropped and checked afresh.
    const others = ['cs_2', 'cs_3'].map((s) => signLicence(payload({ id: licenceIdFor(s) }), k2))
    for (const other of others) verify(other, { now: NOW })
    expect(verify(text, { now: NOW }).payload.expires).toBe('2026-07-01T00:00:00.000Z')
    expect(codeOf(() => verify(`${text} `, { now: NOW }))).toBe(undefined)
  })

  it('keeps a digest of each checked text, not the text: padding costs the verifier no memory', () => {
    const kept = new Map()
    const verify = licenceVerifier(keys, 10, kept)
    const text = signLicence(payload(), k1)
    // An envelope padded to near its 64 KiB limit, in two ways: both verify.
    for (const pad of ['x', 'y']) {
      const padded = text.replace('{', `{"pad":"${pad.repeat(60_000)}",`)
      expect(verify(padded, { now: NOW }).payload.id).toBe(payload().id)
    }
    expect(kept.size).toBe(2)
    expect([...kept.keys()].every((k: string) => k.length <= 64)).toBe(true)
  })

  it('reads a licence file an editor saved with a byte-order mark', () => {
    const text = signLicence(payload(), k1)
    expect(verifyLicence(`\uFEFF${text}`, { keys, now: NOW }).payload.id).toBe(payload().id)
    // Only in front: anywhere else it is a stray character.
    expect(codeOf(() => verifyLicence(`${text}\uFEFF`, { keys, now: NOW }))).toBe(
      'licence/malformed',
    )
  })

  it('checks the item, version and files covered', () => {
    const { payload: p } = verifyLicence(signLicence(payload(), k1), { keys, now: NOW })
    expect(() =>
      checkCovers(p, { kind: 'model', ns: 'acme', name: 'tox' }, '1.0.0', [SHA_A]),
    ).not.toThrow()
    expect(
      codeOf(() => checkCovers(p, { kind: 'model', ns: 'acme', name: 'other' }, '1.0.0', [SHA_A])),
    ).toBe('licence/other-item')
    expect(
      codeOf(() => checkCovers(p, { kind: 'dataset', ns: 'acme', name: 'tox' }, '1.0.0', [SHA_A])),
    ).toBe('licence/other-item')
    expect(
      codeOf(() => checkCovers(p, { kind: 'model', ns: 'acme', name: 'tox' }, '2.0.0', [SHA_A])),
    ).toBe('licence/not-covered')
    expect(
      codeOf(() => checkCovers(p, { kind: 'model', ns: 'acme', name: 'tox' }, '1.0.0', [SHA_B])),
    ).toBe('licence/not-covered')
  })

  it('keeps licences and revocation lists apart by their prefixes', () => {
    const list = signRevocations(['lic_1'], k1, NOW)
    expect(verifyRevocations(list, keys).revoked).toEqual(['lic_1'])
    expect(codeOf(() => verifyLicence(list, { keys, now: NOW }))).toBe('licence/tampered')
    expect(codeOf(() => verifyRevocations(signLicence(payload(), k1), keys))).toBe(
      'licence/bad-revocations',
    )
    expect(LICENCE_PREFIX).not.toBe(REVOCATIONS_PREFIX)
  })

  it('refuses a revocation list changed after signing', () => {
    const e = envelope(signRevocations(['lic_1', 'lic_2'], k2, NOW))
    const list = JSON.parse(Buffer.from(e.payload as string, 'base64url').toString())
    list.revoked = ['lic_1']
    e.payload = Buffer.from(JSON.stringify(list)).toString('base64url')
    expect(codeOf(() => verifyRevocations(JSON.stringify(e), keys))).toBe('licence/bad-revocations')
  })
})
