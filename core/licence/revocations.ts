import type { KeyObject } from 'node:crypto'
import { AgoraError } from '#core/errors'
import { type Keyring, openEnvelope, REVOCATIONS_PREFIX, sealEnvelope } from './envelope.ts'

/** The signed list of revoked licence ids the service publishes at GET /revocations. */
export interface RevocationList {
  v: 1
  /** ISO time the list was signed; a client keeps the newest it saw. */
  issued: string
  /** Revoked licence ids, sorted. */
  revoked: string[]
}

/**
 * Signs a revocation list.
 *
 * @example signRevocations(['lic_…'], { kid, privateKey }, new Date())
 */
export function signRevocations(
  revoked: readonly string[],
  key: { kid: string; privateKey: KeyObject },
  now: Date = new Date(),
): string {
  const list: RevocationList = { v: 1, issued: now.toISOString(), revoked: [...revoked].sort() }
  return sealEnvelope(REVOCATIONS_PREFIX, list, key)
}

/**
 * Verifies a revocation list with the same pinned keys as licences, under
 * its own prefix (a licence signature never verifies as a list). Throws
 * `licence/bad-revocations`, `licence/wrong-alg` or `licence/unknown-kid`.
 *
 * @example const { revoked } = verifyRevocations(text, keys)
 */
export function verifyRevocations(text: string, keys: Keyring, file?: string): RevocationList {
  const { payload } = openEnvelope(text, REVOCATIONS_PREFIX, keys, {
    ...(file === undefined ? {} : { file }),
    malformed: 'licence/bad-revocations',
    tampered: 'licence/bad-revocations',
  })
  const list = payload as Partial<RevocationList> | null
  if (
    typeof list !== 'object' ||
    list === null ||
    list.v !== 1 ||
    typeof list.issued !== 'string' ||
    !Array.isArray(list.revoked) ||
    !list.revoked.every((id) => typeof id === 'string')
  ) {
    throw new AgoraError('licence/bad-revocations', 'the revocation list payload is not valid', {
      ...(file === undefined ? {} : { file }),
      hint: 'fetch it again from the licence service (GET /revocations)',
    })
  }
  return list as RevocationList
}
