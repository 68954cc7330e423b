import * as nodeFs from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '#core/blobs'
import { AgoraError, plural } from '#core/errors'
import {
  checkCovers,
  type Keyring,
  keyringOf,
  type VerifiedLicence,
  verifyLicence,
  verifyRevocations,
} from '#core/licence'
import type { ClientFs } from './cache.ts'
import { hubCacheDir } from './freshness.ts'
import { assertNoLinkInside } from './inside.ts'
import type { HubLicensing, Resolution } from './resolve.ts'

/** A licence file's text and where it came from (for error messages). */
export interface LicenceInput {
  text: string
  file?: string | undefined
}

/** What to do when no licence keys are pinned for a hub. */
export const LICENCE_NO_KEYS_HINT =
  'pass --index with the URL the item was pulled from, whose cached config.json pins the keys (pull once online first); a hub without payments.licence_keys in registry/agora.yaml sells nothing'

/**
 * The hub's pinned licence keys as a keyring; `licence/no-keys` when it pins none.
 *
 * @example const keys = hubKeyring(resolution.licensing)
 */
export function hubKeyring(licensing: HubLicensing | undefined): Keyring {
  if (!licensing || licensing.keys.length === 0) {
    throw new AgoraError('licence/no-keys', 'the hub pins no licence keys in its index config', {
      hint: LICENCE_NO_KEYS_HINT,
    })
  }
  return keyringOf(licensing.keys)
}

/**
 * The revoked licence ids of the hub's cached revocation list (empty when
 * none is cached), checked with the pinned keys.
 *
 * @example const revoked = await cachedRevocations(cacheDir, licensing, keys)
 */
export async function cachedRevocations(
  cacheDir: string | undefined,
  licensing: HubLicensing,
  keys: Keyring,
  fs: ClientFs = nodeFs,
): Promise<Set<string>> {
  if (!cacheDir || !licensing.base) return new Set()
  const path = join(hubCacheDir(cacheDir, licensing.base), 'revocations.json')
  const text = await fs.promises.readFile(path, 'utf8').catch(() => undefined)
  if (text === undefined) return new Set()
  return new Set(verifyRevocations(text, keys, path).revoked)
}

/**
 * Verifies a licence offline for the paid files of a resolution: pinned
 * keys, signature, times, the cached revocation list, then that it covers
 * this item, version and every paid file.
 *
 * @example verifyForResolution(licence, resolution, paid.map((f) => f.sha256), { cacheDir })
 */
export async function verifyForResolution(
  licence: LicenceInput,
  resolution: Resolution,
  sha256s: readonly string[],
  options: { cacheDir?: string | undefined; fs?: ClientFs | undefined; now?: Date } = {},
): Promise<VerifiedLicence> {
  const keys = hubKeyring(resolution.licensing)
  const revoked = await cachedRevocations(
    options.cacheDir,
    resolution.licensing as HubLicensing,
    keys,
    options.fs,
  )
  const verified = verifyLicence(licence.text, {
    keys,
    revoked,
    ...(licence.file === undefined ? {} : { file: licence.file }),
    ...(options.now ? { now: options.now } : {}),
  })
  checkCovers(verified.payload, resolution.ref, resolution.version, sha256s, licence.file)
  return verified
}

/**
 * Fetches the service's signed revocation list and caches it for offline
 * checks; a list that does not verify is refused, a service that does not
 * answer leaves the cached one in place (the service refuses revoked
 * licences itself).
 *
 * @example await refreshRevocations({ fetch, cacheDir, licensing, keys })
 */
export async function refreshRevocations(options: {
  fetch: typeof globalThis.fetch
  cacheDir: string | undefined
  licensing: HubLicensing
  keys: Keyring
  fs?: ClientFs | undefined
}): Promise<void> {
  const { service, base } = options.licensing
  if (!service || !options.cacheDir || !base) return
  const answer = await options
    .fetch(`${service.replace(/\/+$/, '')}/revocations`)
    .catch(() => undefined)
  if (!answer?.ok) return
  const text = await answer.text()
  verifyRevocations(text, options.keys, `${service}/revocations`)
  const fs = options.fs ?? nodeFs
  const path = join(hubCacheDir(options.cacheDir, base), 'revocations.json')
  await assertNoLinkInside(options.cacheDir, path, { fs, self: true })
  await fs.promises.mkdir(join(hubCacheDir(options.cacheDir, base)), { recursive: true })
  await writeFileAtomic(path, text, fs)
}

/**
 * Asks the licence service (`POST /downloads`) for short-lived URLs of paid
 * blobs, sending the licence in the body. The bytes are still checked
 * against their SHA-256 when they arrive, as every blob is.
 *
 * @example const urls = await presignedUrls({ fetch, service, licence: text, sha256s })
 */
export async function presignedUrls(options: {
  fetch: typeof globalThis.fetch
  service: string | undefined
  licence: string
  sha256s: readonly string[]
}): Promise<Map<string, string>> {
  if (!options.service) {
    throw new AgoraError('licence/no-service', 'the hub names no licence service for paid files', {
      hint: 'the hub operator sets payments.licence_service in registry/agora.yaml',
    })
  }
  const url = `${options.service.replace(/\/+$/, '')}/downloads`
  let answer: Response
  try {
    answer = await options.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ licence: options.licence, files: options.sha256s }),
    })
  } catch (error) {
    throw new AgoraError('licence/service-failed', `${url} could not be reached`, {
      hint: 'check the network, then try again',
      cause: error,
    })
  }
  const body = (await answer.json().catch(() => undefined)) as
    | {
        urls?: { sha256: string; url: string }[]
        error?: { code?: string; message?: string; hint?: string }
      }
    | undefined
  if (!answer.ok) {
    const e = body?.error
    // The service's own code when it gives a known one (revoked, expired …), else a generic failure.
    const code =
      typeof e?.code === 'string' && /^licence\/[a-z-]{1,40}$/.test(e.code)
        ? e.code
        : 'licence/service-failed'
    throw new AgoraError(
      code,
      `${url} answered ${answer.status}: ${String(e?.message ?? '').slice(0, 300)}`,
      {
        hint: typeof e?.hint === 'string' ? e.hint.slice(0, 300) : 'try again later',
      },
    )
  }
  const urls = new Map<string, string>()
  for (const entry of body?.urls ?? []) {
    if (
      typeof entry?.sha256 === 'string' &&
      typeof entry.url === 'string' &&
      /^https?:\/\//.test(entry.url)
    )
      urls.set(entry.sha256, entry.url)
  }
  const missing = options.sha256s.filter((s) => !urls.has(s))
  if (missing.length > 0) {
    throw new AgoraError(
      'licence/service-failed',
      `${url} gave no URL for ${plural(missing.length, 'file')}`,
      {
        hint: 'the licence may not cover them; tell the hub operator',
      },
    )
  }
  return urls
}
