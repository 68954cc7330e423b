import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto'
import { AgoraError } from '#core/errors'

// DER headers that turn a raw 32-byte Ed25519 key into PKCS#8 / SPKI, so
// keys can travel as short base64 strings (as agora.yaml `keys` holds them).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

/** A freshly generated key pair in the forms Agora stores them. */
export interface GeneratedKey {
  /** PKCS#8 PEM of the private key; keep it out of Git. */
  privateKeyPem: string
  /** Raw 32-byte public key, base64: the value for agora.yaml `keys[].public_key`. */
  publicKey: string
  /** A short stable id derived from the public key. */
  keyId: string
}

/**
 * Generates an Ed25519 signing key.
 *
 * @example
 * const { privateKeyPem, publicKey, keyId } = generateSigningKey()
 */
export function generateSigningKey(): GeneratedKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const raw = rawPublicKey(publicKey)
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: raw.toString('base64'),
    keyId: keyIdOf(raw.toString('base64')),
  }
}

/**
 * Loads an Ed25519 private key from PKCS#8 PEM or from a base64 raw 32-byte seed.
 *
 * @example loadPrivateKey(readFileSync('.agora/index-key.pem', 'utf8'))
 */
export function loadPrivateKey(text: string): KeyObject {
  const trimmed = text.trim()
  try {
    const key = trimmed.startsWith('-----BEGIN')
      ? createPrivateKey(trimmed)
      : createPrivateKey({
          key: Buffer.concat([PKCS8_PREFIX, rawBytes(trimmed)]),
          format: 'der',
          type: 'pkcs8',
        })
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a ${key.asymmetricKeyType} key`)
    return key
  } catch (error) {
    throw new AgoraError(
      'signing/bad-private-key',
      'the signing key is not an Ed25519 private key',
      {
        hint: 'give a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----") or a base64 32-byte seed',
        cause: error,
      },
    )
  }
}

/**
 * Loads an Ed25519 public key from SPKI PEM or base64 raw 32 bytes (agora.yaml's form).
 *
 * @example loadPublicKey('11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=')
 */
export function loadPublicKey(text: string): KeyObject {
  const trimmed = text.trim()
  try {
    const key = trimmed.startsWith('-----BEGIN')
      ? createPublicKey(trimmed)
      : createPublicKey({
          key: Buffer.concat([SPKI_PREFIX, rawBytes(trimmed)]),
          format: 'der',
          type: 'spki',
        })
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a ${key.asymmetricKeyType} key`)
    return key
  } catch (error) {
    throw new AgoraError('signing/bad-public-key', 'the public key is not an Ed25519 public key', {
      hint: 'give the base64 32-byte key from agora.yaml `keys[].public_key`, or an SPKI PEM',
      cause: error,
    })
  }
}

/**
 * The raw 32 bytes of an Ed25519 public key (of a public or private KeyObject).
 *
 * @example rawPublicKey(loadPrivateKey(pem)).toString('base64')
 */
export function rawPublicKey(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key
  const der = publicKey.export({ type: 'spki', format: 'der' })
  return der.subarray(der.length - 32)
}

/**
 * A short id for a public key: `ed25519-` and the first 16 hex digits of its SHA-256.
 *
 * @example keyIdOf('11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=') // 'ed25519-…'
 */
export function keyIdOf(publicKeyBase64: string): string {
  return `ed25519-${createHash('sha256').update(rawBytes(publicKeyBase64)).digest('hex').slice(0, 16)}`
}

/**
 * A detached Ed25519 signature of some bytes, base64.
 *
 * @example const sig = signBytes(Buffer.from(json), privateKey)
 */
export function signBytes(bytes: Uint8Array, privateKey: KeyObject): string {
  return sign(null, bytes, privateKey).toString('base64')
}

/**
 * Checks a detached Ed25519 signature; false (never a throw) for a wrong
 * signature, a malformed one or another key's.
 *
 * @example verifyBytes(Buffer.from(json), sig, loadPublicKey(hub.keys[0].public_key)) // true
 */
export function verifyBytes(bytes: Uint8Array, signature: string, publicKey: KeyObject): boolean {
  try {
    const raw = Buffer.from(signature, 'base64')
    return raw.length === 64 && verify(null, bytes, publicKey, raw)
  } catch {
    return false
  }
}

function rawBytes(base64: string): Buffer {
  const raw = Buffer.from(base64, 'base64')
  if (raw.length !== 32) throw new Error(`expected 32 bytes, got ${raw.length}`)
  return raw
}
