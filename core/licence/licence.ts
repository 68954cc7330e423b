import { createHash, type KeyObject } from 'node:crypto'
import { AgoraError, plural } from '#core/errors'
// Leaf modules, not the area barrels: `agora pull` and `agora licence verify`
// must start fast and never need the rest of those areas.
import { loadPublicKey } from '#core/index-format'
import type { PublicKeyConfig } from '#core/manifest'
import { type Keyring, LICENCE_PREFIX, openEnvelope, sealEnvelope } from './envelope.ts'

/** How a licence is sold: once per download, for a period, or per query up to a limit. */
export type LicenceType = 'per-download' | 'subscription' | 'per-query'

/** What a licence grants, as signed. */
export interface LicencePayload {
  v: 1
  /** Stable id: `lic_` and 32 hex digits. */
  id: string
  item: { kind: string; ns: string; name: string }
  /** Versions covered and, for each covered file, its SHA-256. */
  versions: string[]
  files: string[]
  /** Opaque buyer id (a hash of the Stripe customer or e-mail), never the address itself. */
  buyer: string
  type: LicenceType
  /** Subscription: the end of the paid period (ISO time). */
  period_end?: string
  /** Per-query: how many queries the licence buys. */
  limit?: number
  /** ISO times. */
  issued: string
  expires?: string
  /** The key that signed it, repeated inside the signed bytes. */
  kid: string
}

/** A verified licence and the key that signed it. */
export interface VerifiedLicence {
  payload: LicencePayload
  kid: string
}

export interface VerifyLicenceOptions {
  keys: Keyring
  /** Now, for expiry checks; default the clock. */
  now?: Date
  /** How far in the future `issued` may lie; default 5 minutes. */
  skewMs?: number
  /** Licence ids revoked (from the signed revocation list). */
  revoked?: ReadonlySet<string>
  /** The file name shown in errors. */
  file?: string
}

/** Default tolerance for a buyer's clock running behind the service's. */
export const DEFAULT_SKEW_MS = 5 * 60_000

/**
 * A licence id derived from the purchase it comes from (a Checkout Session
 * or a subscription), so every delivery of that purchase's events names one
 * licence.
 *
 * @example licenceIdFor('cs_test_a1') // 'lic_…'
 */
export function licenceIdFor(source: string): string {
  return `lic_${createHash('sha256').update(`agora-licence-id\n${source}`).digest('hex').slice(0, 32)}`
}

/**
 * The pinned keys of a hub (agora.yaml `payments.licence_keys`, carried in
 * the signed index config.json) as a keyring.
 *
 * @example keyringOf(config.licence_keys ?? [])
 */
export function keyringOf(keys: readonly PublicKeyConfig[]): Keyring {
  return new Map(keys.map((k) => [k.id, loadPublicKey(k.public_key)]))
}

/**
 * Signs a licence payload into the text of a licence file.
 *
 * @example const text = signLicence(payload, { kid: '2026-01', privateKey })
 */
export function signLicence(
  payload: LicencePayload,
  key: { kid: string; privateKey: KeyObject },
): string {
  return sealEnvelope(LICENCE_PREFIX, { ...payload, kid: key.kid }, key)
}

/**
 * Verifies a licence file offline: envelope (alg, key id, signature), then
 * the payload's shape, issue time, expiry and revocation. Throws an
 * AgoraError with a `licence/…` code; coverage of an item or file is
 * checked apart, with {@link checkCovers}.
 *
 * @example const { payload } = verifyLicence(text, { keys: keyringOf(config.licence_keys) })
 */
export function verifyLicence(text: string, options: VerifyLicenceOptions): VerifiedLicence {
  return checkLicenceNow(openLicence(text, options.keys, options.file), options)
}

/**
 * A verifyLicence for a service that sees the same licences again and
 * again: the signature and payload checks of a licence text are kept (up to
 * `size` texts, the oldest dropped first), the time and revocation checks
 * run on every call. A text differing by one byte is a new text, checked in
 * full. Texts are kept by their SHA-256, not whole: a licence padded to the
 * envelope's 64 KiB in ten thousand ways holds no more memory than ten
 * thousand licences.
 *
 * @example const verify = licenceVerifier(keys); verify(text, { now: new Date() })
 */
export function licenceVerifier(
  keys: Keyring,
  size = 10_000,
  opened = new Map<string, VerifiedLicence>(),
): (text: string, options?: Omit<VerifyLicenceOptions, 'keys' | 'file'>) => VerifiedLicence {
  return (text, options = {}) => {
    const digest = createHash('sha256').update(text).digest('base64')
    let licence = opened.get(digest)
    if (!licence) {
      licence = openLicence(text, keys, undefined)
      if (opened.size >= size) opened.delete(opened.keys().next().value as string)
      opened.set(digest, licence)
    }
    return checkLicenceNow(licence, { ...options, keys })
  }
}

/** The envelope and payload checks of a licence: what its text alone decides. */
function openLicence(text: string, keys: Keyring, file: string | undefined): VerifiedLicence {
  const where = file === undefined ? {} : { file }
  const { payload: raw, kid } = openEnvelope(text, LICENCE_PREFIX, keys, where)
  const payload = checkPayload(raw, file)
  if (payload.kid !== kid) {
    throw new AgoraError(
      'licence/tampered',
      `the payload names key ${payload.kid}, the envelope ${kid}`,
      {
        ...where,
        hint: 'fetch the licence again from the licence service',
      },
    )
  }
  return { payload, kid }
}

/** The checks of a licence that depend on when and where it is used: issue time, expiry, revocation. */
function checkLicenceNow(licence: VerifiedLicence, options: VerifyLicenceOptions): VerifiedLicence {
  const { payload } = licence
  const where = options.file === undefined ? {} : { file: options.file }
  const now = (options.now ?? new Date()).getTime()
  const skew = options.skewMs ?? DEFAULT_SKEW_MS
  if (Date.parse(payload.issued) > now + skew) {
    throw new AgoraError(
      'licence/future-issued',
      `${payload.id} was issued at ${payload.issued}, after now`,
      {
        ...where,
        hint: "check this machine's clock; a licence from the future is refused",
      },
    )
  }
  const ends = [payload.expires, payload.type === 'subscription' ? payload.period_end : undefined]
    .filter((t): t is string => t !== undefined)
    .map((t) => Date.parse(t))
  if (ends.some((t) => t <= now)) {
    throw new AgoraError(
      'licence/expired',
      `${payload.id} ended at ${new Date(Math.min(...ends)).toISOString()}`,
      { ...where, hint: 'renew the subscription or buy a new licence on the item page' },
    )
  }
  if (options.revoked?.has(payload.id)) {
    throw new AgoraError('licence/revoked', `${payload.id} was revoked`, {
      ...where,
      hint: 'a refunded or disputed purchase ends the licence; buy again or contact the hub operator',
    })
  }
  return licence
}

/**
 * Checks that a verified licence covers an item, a version and some files
 * (SHA-256s). Throws `licence/other-item` or `licence/not-covered`.
 *
 * @example checkCovers(licence.payload, { kind: 'model', ns: 'acme', name: 'x' }, '1.0.0', [sha])
 */
export function checkCovers(
  payload: LicencePayload,
  item: { kind: string; ns: string; name: string },
  version: string,
  sha256s: readonly string[],
  file?: string,
): void {
  const where = file === undefined ? {} : { file }
  const { kind, ns, name } = payload.item
  if (kind !== item.kind || ns !== item.ns || name !== item.name) {
    throw new AgoraError(
      'licence/other-item',
      `${payload.id} is for ${kind}s/${ns}/${name}, not ${item.kind}s/${item.ns}/${item.name}`,
      { ...where, hint: 'pass the licence bought for this item, or buy one on its page' },
    )
  }
  if (!payload.versions.includes(version)) {
    throw new AgoraError('licence/not-covered', `${payload.id} does not cover version ${version}`, {
      ...where,
      hint: `it covers ${payload.versions.join(', ')}; pull one of those or buy a licence for ${version}`,
    })
  }
  const missing = sha256s.filter((s) => !payload.files.includes(s))
  if (missing.length > 0) {
    throw new AgoraError(
      'licence/not-covered',
      `${payload.id} does not cover ${plural(missing.length, 'file')} of ${version}`,
      {
        ...where,
        hint: 'the files changed since the licence was issued; ask the licence service for a new one',
      },
    )
  }
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/
const SHA256 = /^[0-9a-f]{64}$/
const TYPES: readonly string[] = ['per-download', 'subscription', 'per-query']

function checkPayload(raw: unknown, file: string | undefined): LicencePayload {
  const p = raw as Record<string, unknown> | null
  const problems: string[] = []
  const need = (ok: boolean, what: string) => {
    if (!ok) problems.push(what)
  }
  if (typeof p !== 'object' || p === null || Array.isArray(p)) problems.push('not an object')
  else {
    need(p.v === 1, 'v is not 1')
    need(typeof p.id === 'string' && /^lic_[0-9a-f]{32}$/.test(p.id), 'id')
    const item = p.item as Record<string, unknown> | null
    need(
      typeof item === 'object' &&
        item !== null &&
        ['kind', 'ns', 'name'].every((k) => typeof item[k] === 'string'),
      'item',
    )
    need(Array.isArray(p.versions) && p.versions.every((v) => typeof v === 'string'), 'versions')
    need(
      Array.isArray(p.files) && p.files.every((f) => typeof f === 'string' && SHA256.test(f)),
      'files',
    )
    need(typeof p.buyer === 'string', 'buyer')
    need(typeof p.type === 'string' && TYPES.includes(p.type), 'type')
    need(typeof p.issued === 'string' && ISO.test(p.issued), 'issued')
    need(
      p.expires === undefined || (typeof p.expires === 'string' && ISO.test(p.expires)),
      'expires',
    )
    need(
      p.type !== 'subscription' || (typeof p.period_end === 'string' && ISO.test(p.period_end)),
      'period_end',
    )
    need(
      p.type !== 'per-query' || (Number.isSafeInteger(p.limit) && (p.limit as number) > 0),
      'limit',
    )
    need(typeof p.kid === 'string', 'kid')
  }
  if (problems.length > 0) {
    throw new AgoraError(
      'licence/malformed',
      `the licence payload is not valid: ${problems.join(', ')}`,
      {
        ...(file === undefined ? {} : { file }),
        hint: 'ask the hub operator: the service signed a payload this client cannot read',
      },
    )
  }
  return p as unknown as LicencePayload
}
