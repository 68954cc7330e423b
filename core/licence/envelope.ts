import { type KeyObject, sign, verify } from 'node:crypto'
import { AgoraError } from '#core/errors'

/**
 * A signed envelope, Keygen-style: `{alg, kid, payload, sig}` with the
 * payload and signature in base64url. The signature covers a purpose prefix
 * and the payload bytes, so a licence can never pass as a revocation list
 * (or anything else the same key signs) and the other way round.
 */
export interface Envelope {
  alg: 'ed25519'
  kid: string
  payload: string
  sig: string
}

/** The purposes a licence key signs, each its own prefix. */
export const LICENCE_PREFIX = 'agora-licence-v1\n'
export const REVOCATIONS_PREFIX = 'agora-revocations-v1\n'

/** Pinned public keys by key id: several at once while keys rotate. */
export type Keyring = ReadonlyMap<string, KeyObject>

const MAX_ENVELOPE_BYTES = 64 * 1024
const BASE64URL = /^[A-Za-z0-9_-]*$/

/**
 * Signs a JSON payload under a purpose prefix and returns the envelope text.
 *
 * @example sealEnvelope(LICENCE_PREFIX, payload, { kid: '2026-01', privateKey })
 */
export function sealEnvelope(
  prefix: string,
  payload: unknown,
  key: { kid: string; privateKey: KeyObject },
): string {
  const bytes = Buffer.from(JSON.stringify(payload))
  const sig = sign(null, Buffer.concat([Buffer.from(prefix), bytes]), key.privateKey)
  const envelope: Envelope = {
    alg: 'ed25519',
    kid: key.kid,
    payload: bytes.toString('base64url'),
    sig: sig.toString('base64url'),
  }
  return `${JSON.stringify(envelope)}\n`
}

/**
 * Checks an envelope in the order that keeps unverified bytes away from the
 * JSON parser: shape, then `alg`, then the key id, then the signature over
 * prefix + payload bytes, and only then decodes the payload. Throws
 * `<area>/malformed`, `licence/wrong-alg`, `licence/unknown-kid` or
 * `licence/tampered` (the list codes are the caller's `codes`).
 *
 * @example const { payload, kid } = openEnvelope(text, LICENCE_PREFIX, keyring, { file })
 */
export function openEnvelope(
  text: string,
  prefix: string,
  keys: Keyring,
  options: { file?: string; malformed?: string; tampered?: string } = {},
): { payload: unknown; kid: string } {
  const where = options.file === undefined ? {} : { file: options.file }
  const malformed = options.malformed ?? 'licence/malformed'
  const tampered = options.tampered ?? 'licence/tampered'
  const fail = (code: string, message: string, hint: string, cause?: unknown): never => {
    throw new AgoraError(code, message, { ...where, hint, ...(cause ? { cause } : {}) })
  }
  if (Buffer.byteLength(text) > MAX_ENVELOPE_BYTES) {
    fail(
      malformed,
      'the file is too large to be a signed envelope',
      'use the file as the service sent it',
    )
  }
  let raw: unknown
  try {
    // A byte-order mark an editor added is no part of the signed bytes.
    raw = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch (error) {
    fail(
      malformed,
      'the file is not JSON',
      'use the file exactly as the licence service sent it',
      error,
    )
  }
  const envelope = raw as Partial<Record<keyof Envelope, unknown>> | null
  if (
    typeof envelope !== 'object' ||
    envelope === null ||
    Array.isArray(envelope) ||
    typeof envelope.alg !== 'string' ||
    typeof envelope.kid !== 'string' ||
    typeof envelope.payload !== 'string' ||
    typeof envelope.sig !== 'string' ||
    !BASE64URL.test(envelope.payload) ||
    !BASE64URL.test(envelope.sig)
  ) {
    return fail(
      malformed,
      'the file is not a signed envelope {alg, kid, payload, sig}',
      'use the file exactly as the licence service sent it',
    )
  }
  if (envelope.alg !== 'ed25519') {
    fail(
      'licence/wrong-alg',
      `the signature algorithm is ${JSON.stringify(envelope.alg.slice(0, 40))}, not ed25519`,
      'Agora signs with Ed25519 only; this file is forged or from another system',
    )
  }
  const key = keys.get(envelope.kid)
  if (!key) {
    fail(
      'licence/unknown-kid',
      `key ${JSON.stringify(envelope.kid.slice(0, 64))} is not among the hub's pinned licence keys`,
      keys.size === 0
        ? 'the hub pins no licence keys; pull once online so its config.json is cached'
        : `pinned: ${[...keys.keys()].join(', ')}; refresh the index if the hub rotated its key`,
    )
  }
  const bytes = Buffer.from(envelope.payload, 'base64url')
  const sig = Buffer.from(envelope.sig, 'base64url')
  const signed = Buffer.concat([Buffer.from(prefix), bytes])
  if (sig.length !== 64 || !verify(null, signed, key as KeyObject, sig)) {
    fail(
      tampered,
      'the signature does not match the contents',
      'fetch the file again from the licence service',
    )
  }
  let payload: unknown
  try {
    payload = JSON.parse(bytes.toString('utf8'))
  } catch (error) {
    fail(
      malformed,
      'the signed payload is not JSON',
      'ask the hub operator: the service signed a bad payload',
      error,
    )
  }
  return { payload, kid: envelope.kid }
}
