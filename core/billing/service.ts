import { createHash, type KeyObject, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type Stripe from 'stripe'
import type { BlobStore } from '#core/blobs'
import { AgoraError, isAgoraError, plural } from '#core/errors'
import type { Keyring } from '#core/licence'
import {
  LICENCE_CODES,
  type LicenceCode,
  licenceVerifier,
  signLicence,
  signRevocations,
  type VerifiedLicence,
} from '#core/licence'
import {
  type MeterReporter,
  type MeterReporterSettings,
  startMeterReporter,
} from './meter-reporter.ts'
import type { LicenceStore, RateLimit } from './store.ts'
import type { StripeCalls } from './stripe-calls.ts'
import { hashClaim, type ItemCatalog, planEvent } from './stripe-events.ts'
import { checkBlobUrl, signBlobUrl } from './url-signing.ts'
import { requireSignatureHeader, verifyWebhook } from './webhook.ts'

export interface LicenceServiceOptions {
  store: LicenceStore
  /** The key licences and revocation lists are signed with (AGORA_LICENCE_SIGNING_KEY). */
  signer: { kid: string; privateKey: KeyObject }
  /** Every pinned key (the signer's among them): licences signed before a rotation still verify. */
  keys: Keyring
  /** A client for webhook signature checks (no network). */
  stripe: Stripe
  calls: StripeCalls
  webhookSecret: string
  catalog: ItemCatalog
  blobs: BlobStore
  /** The service's own base URL, for the signed URLs of a folder store. */
  publicUrl: string
  /** HMAC key of those URLs. */
  urlKey: Buffer
  /** How long a download URL lives; default 300 s. */
  urlTtlSeconds?: number
  /** Per licence, across every instance sharing the store: requests a second and burst for /usage; default 5 and 20. */
  rateLimit?: RateLimit
  /** How the background sender of meter events paces itself. */
  meter?: MeterReporterSettings
  /** How long a request body may take to arrive; default 15 s. */
  bodyTimeoutMs?: number
  now?: () => Date
  log?: (line: string) => void
}

/** The request handler, with the meter reporter it started and a way to stop it. */
export interface LicenceHandler {
  (req: IncomingMessage, res: ServerResponse): void
  meter: MeterReporter
  /**
   * Sends the meter events still due, waiting at most `waitMs` (default
   * 5 s); call it after the server stops taking requests, before closing
   * the store.
   */
  close(waitMs?: number): Promise<void>
}

const MAX_BODY = 1024 * 1024
const BODY_TIMEOUT_MS = 15_000
const RATE_LIMIT: RateLimit = { perSecond: 5, burst: 20 }
const SHA256 = /^[0-9a-fA-F]{64}$/

/** What the service answers, for the 404 and 405 answers' hints and Allow headers. */
const ROUTES = [
  { method: 'POST', path: /^\/stripe\/webhook$/, name: 'POST /stripe/webhook' },
  { method: 'GET', path: /^\/licences\/[^/]+$/, name: 'GET /licences/{id}' },
  { method: 'POST', path: /^\/downloads$/, name: 'POST /downloads' },
  { method: 'POST', path: /^\/usage$/, name: 'POST /usage' },
  { method: 'GET', path: /^\/revocations$/, name: 'GET /revocations' },
  { method: 'GET', path: /^\/healthz$/, name: 'GET /healthz' },
  { method: 'GET', path: /^\/blobs\/sha256\/[^/]+\/[^/]+$/, name: 'GET /blobs/sha256/…' },
]

/** HTTP statuses of the codes a client can cause; everything else is a 500. */
const STATUS: Partial<Record<LicenceCode, number>> = {
  'licence/malformed': 400,
  'licence/wrong-alg': 400,
  'licence/unknown-kid': 400,
  'licence/tampered': 400,
  'licence/future-issued': 400,
  'licence/bad-webhook': 400,
  'licence/bad-request': 400,
  'licence/too-large': 413,
  'licence/too-slow': 408,
  'licence/wrong-type': 400,
  'licence/expired': 403,
  'licence/revoked': 403,
  'licence/other-item': 403,
  'licence/not-covered': 403,
  'licence/bad-url': 403,
  'licence/not-found': 404,
  'licence/usage-exceeded': 402,
  'licence/rate-limited': 429,
  'licence/stripe-failed': 502,
  'licence/store-failed': 503,
}

/**
 * The licence service as a node:http request handler: Stripe webhooks in,
 * licence files, download URLs, usage counts and the revocation list out.
 *
 * @example
 * const handler = createLicenceHandler({ store, signer, keys, … })
 * const server = http.createServer(handler).listen(8787)
 * // stopping: no new requests, the meter events due sent, then the store closed
 * server.close(); await handler.close(); await store.close()
 */
export function createLicenceHandler(options: LicenceServiceOptions): LicenceHandler {
  const now = options.now ?? (() => new Date())
  const bodyTimeoutMs = options.bodyTimeoutMs ?? BODY_TIMEOUT_MS
  const log = options.log ?? (() => undefined)
  const meter = startMeterReporter({
    store: options.store,
    calls: options.calls,
    log,
    now,
    ...(options.meter ? { settings: options.meter } : {}),
  })
  let revocationCache: { revision: number; text: string } | undefined
  // A buyer sends the same licence with every query: its signature is checked once.
  const verify = licenceVerifier(options.keys)
  /** Per licence, the /usage counts of this instance waiting on the store. */
  const counting = new Map<string, number>()

  const revocationList = async (): Promise<string> => {
    const { revision, ids } = await options.store.revocations()
    if (revocationCache?.revision !== revision) {
      revocationCache = { revision, text: signRevocations(ids, options.signer, now()) }
    }
    return revocationCache.text
  }

  /** A licence from a request body, verified offline against the pinned keys. */
  const signedLicenceOf = (body: Record<string, unknown>): VerifiedLicence => {
    if (typeof body.licence !== 'string') {
      throw new AgoraError('licence/bad-request', 'the body has no "licence" string', {
        hint: 'send {"licence": "<the licence file text>"}',
      })
    }
    return verify(body.licence, { now: now() })
  }

  /** A licence from a request body, verified against the pinned keys and the live revocation state. */
  const licenceOf = async (body: Record<string, unknown>): Promise<VerifiedLicence> => {
    const verified = signedLicenceOf(body)
    const stored = await options.store.licence(verified.payload.id)
    if (!stored) {
      throw new AgoraError(
        'licence/not-found',
        `${verified.payload.id} is not known to this service`,
        {
          hint: LICENCE_CODES['licence/not-found'].hint,
        },
      )
    }
    if (stored.revoked) {
      throw new AgoraError('licence/revoked', `${verified.payload.id} was revoked`, {
        hint: LICENCE_CODES['licence/revoked'].hint,
      })
    }
    return verified
  }

  const routes = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = targetOf(req)
    const path = url.pathname
    const readJson = async () => jsonObjectOf(await readBody(req, bodyTimeoutMs))
    if (req.method === 'POST' && path === '/stripe/webhook') {
      const signature = req.headers['stripe-signature']
      const header = Array.isArray(signature) ? signature[0] : signature
      // Refused before its body is read: unsigned requests cost no memory.
      requireSignatureHeader(header)
      const raw = await readBody(req, bodyTimeoutMs)
      const event = verifyWebhook(
        options.stripe,
        raw,
        header,
        options.webhookSecret,
        now().getTime() / 1000,
      )
      // The store tells a replay from a new event in the same statement that
      // records it; only a revocation, which calls Stripe first, asks before.
      const { effect, note } = await planEvent(event, { catalog: options.catalog })
      const before = effect.revoke
        ? await options.store.revocationState(event.id, effect.revoke.paymentIntent)
        : undefined
      if (before?.seen) return json(res, 200, { received: true, duplicate: true })
      if (note) log(`${event.id} ${event.type}: ${note}`)
      // A payment already revoked (a dispute after its refund, a second
      // partial refund) had its transfer reversed then: reversing it again
      // would fail at Stripe on every retry.
      if (before?.revoked)
        log(`${event.id} ${event.type}: payment already revoked, its transfer reversed then`)
      else if (effect.revoke?.charge) {
        const { charge, transfer } = effect.revoke
        // Keyed by the charge, not the event: a refund and a dispute of one
        // charge handled at once on two instances (both finding it not yet
        // revoked) send one reversal, the second answered from Stripe's
        // idempotency record instead of refused as already reversed.
        await options.calls.reverseTransfer({ charge, transfer }, `agora-reversal-${charge}`)
      }
      const outcome = await storeWrite(() => options.store.recordEvent(event, effect, now()))
      return json(res, 200, { received: true, duplicate: outcome === 'duplicate' })
    }
    const licenceMatch = /^\/licences\/(lic_[0-9a-f]{32})$/.exec(path)
    if (req.method === 'GET' && licenceMatch) {
      const auth = req.headers.authorization
      const claim = auth?.startsWith('Bearer ') ? auth.slice(7) : url.searchParams.get('claim')
      // No claim, no database read: requests without one cost the store nothing.
      const stored = claim ? await options.store.licence(licenceMatch[1] as string) : undefined
      // One answer for "no such licence" and "wrong claim": the id alone reveals nothing.
      if (!stored || !claim || !stored.claimHash || !sameHex(stored.claimHash, hashClaim(claim))) {
        throw new AgoraError('licence/not-found', 'no licence with this id and claim', {
          hint: LICENCE_CODES['licence/not-found'].hint,
        })
      }
      if (stored.revoked) {
        throw new AgoraError('licence/revoked', `${stored.id} was revoked`, {
          hint: LICENCE_CODES['licence/revoked'].hint,
        })
      }
      const text = signLicence({ ...stored.payload, kid: options.signer.kid }, options.signer)
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-disposition': `attachment; filename="${stored.id}.licence"`,
        'cache-control': 'no-store',
      })
      res.end(text)
      return
    }
    if (req.method === 'POST' && path === '/downloads') {
      const body = await readJson()
      const { payload } = await licenceOf(body)
      // Once each: a body repeating one hash must not buy a URL per repeat.
      const asked = [...new Set(body.files === undefined ? payload.files : hashesOf(body.files))]
      const outside = asked.filter((sha) => !payload.files.includes(sha))
      if (outside.length > 0) {
        throw new AgoraError(
          'licence/not-covered',
          `${payload.id} does not cover ${plural(outside.length, 'file')} asked for`,
          {
            hint: LICENCE_CODES['licence/not-covered'].hint,
          },
        )
      }
      const ttl = options.urlTtlSeconds ?? 300
      const expires = Math.floor(now().getTime() / 1000) + ttl
      const urls = []
      for (const sha256 of asked) {
        const url =
          options.blobs.type === 's3'
            ? await options.blobs.url(sha256, { private: true, expiresIn: ttl })
            : signBlobUrl(options.publicUrl, sha256, options.urlKey, expires)
        urls.push({ sha256, url, expires: new Date(expires * 1000).toISOString() })
      }
      return json(res, 200, { urls })
    }
    // Only the path signBlobUrl writes: the folder is the hash's first two digits.
    const blobMatch = /^\/blobs\/sha256\/([0-9a-f]{2})\/(\1[0-9a-f]{62})$/.exec(path)
    if (req.method === 'GET' && blobMatch) {
      const sha256 = blobMatch[2] as string
      if (!checkBlobUrl(sha256, url.searchParams, options.urlKey, now().getTime() / 1000)) {
        throw new AgoraError(
          'licence/bad-url',
          'the download URL is expired or not signed by this service',
          {
            hint: LICENCE_CODES['licence/bad-url'].hint,
          },
        )
      }
      const info = await options.blobs.stat(sha256, { private: true })
      if (!info) {
        return json(res, 404, {
          error: {
            code: 'licence/not-found',
            message: 'the file is not in the store',
            hint: 'tell the hub operator: a paid file the licence covers is missing from the store',
          },
        })
      }
      const stream = await options.blobs.get(sha256, { private: true })
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': info.size,
      })
      stream.on('error', () => res.destroy())
      stream.pipe(res)
      return
    }
    if (req.method === 'POST' && path === '/usage') {
      const body = await readJson()
      const { payload } = signedLicenceOf(body)
      if (payload.type !== 'per-query') {
        throw new AgoraError('licence/wrong-type', `${payload.id} is a ${payload.type} licence`, {
          hint: LICENCE_CODES['licence/wrong-type'].hint,
        })
      }
      const identifier = body.identifier
      // Stripe keeps meter identifiers to 100 characters: the licence id, a colon and this.
      if (typeof identifier !== 'string' || !/^[A-Za-z0-9._:-]{1,63}$/.test(identifier)) {
        throw new AgoraError(
          'licence/bad-request',
          'the body needs an "identifier" (1–63 of A-Z a-z 0-9 . _ : -)',
          {
            hint: 'give each query a unique id; a retried query sends the same one and counts once',
          },
        )
      }
      const rate = options.rateLimit ?? RATE_LIMIT
      // The shared limiter runs under the licence's row lock: a flood on one
      // licence would queue every pooled connection behind that lock before
      // it refused any. So no more than a burst of one licence's counts wait
      // on the store at once here; the rest are refused without asking it.
      const waiting = counting.get(payload.id) ?? 0
      if (waiting >= rate.burst) {
        res.setHeader('retry-after', '1')
        throw new AgoraError('licence/rate-limited', `too many queries for ${payload.id} at once`, {
          hint: LICENCE_CODES['licence/rate-limited'].hint,
        })
      }
      counting.set(payload.id, waiting + 1)
      // Known, not revoked, within the rate and the limit: one store call
      // (one statement on PostgreSQL), the limiter shared by every instance.
      const result = await storeWrite(() =>
        options.store.countUsage(payload.id, identifier, now(), rate),
      ).finally(() => {
        const left = (counting.get(payload.id) ?? 1) - 1
        if (left > 0) counting.set(payload.id, left)
        else counting.delete(payload.id)
      })
      if (result.status === 'unknown') {
        throw new AgoraError('licence/not-found', `${payload.id} is not known to this service`, {
          hint: LICENCE_CODES['licence/not-found'].hint,
        })
      }
      if (result.status === 'revoked') {
        throw new AgoraError('licence/revoked', `${payload.id} was revoked`, {
          hint: LICENCE_CODES['licence/revoked'].hint,
        })
      }
      if (result.status === 'rate-limited') {
        res.setHeader('retry-after', String(Math.max(1, Math.ceil(result.retryAfterSeconds))))
        throw new AgoraError('licence/rate-limited', `too many queries for ${payload.id}`, {
          hint: LICENCE_CODES['licence/rate-limited'].hint,
        })
      }
      if (result.status === 'exceeded') {
        throw new AgoraError(
          'licence/usage-exceeded',
          `${payload.id} has used all ${payload.limit} queries`,
          {
            hint: LICENCE_CODES['licence/usage-exceeded'].hint,
          },
        )
      }
      // Answered once the count is committed: the meter event the count wrote
      // to the store's outbox goes to Stripe in the background.
      if (result.status === 'counted' && result.customer) meter.wake()
      return json(res, 200, {
        counted: result.status === 'counted',
        used: result.used,
        limit: payload.limit,
      })
    }
    if (req.method === 'GET' && path === '/revocations') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' })
      res.end(await revocationList())
      return
    }
    if (req.method === 'GET' && path === '/healthz') {
      // Alive whatever the store says; the backlog is null while it cannot be read.
      const backlog = await options.store.meterBacklog().catch(() => null)
      return json(res, 200, { ok: true, meter: backlog })
    }
    const allowed = ROUTES.filter((route) => route.path.test(path)).map((route) => route.method)
    const otherMethod = allowed.length > 0 && !allowed.includes(req.method ?? '')
    if (otherMethod) res.setHeader('allow', allowed.join(', '))
    json(res, otherMethod ? 405 : 404, {
      error: {
        code: 'licence/bad-request',
        message: otherMethod
          ? `${path} answers ${allowed.join(', ')} only`
          : `no route ${req.method} ${path}`,
        hint: `the service answers ${ROUTES.map((route) => route.name).join(', ')}`,
      },
    })
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    routes(req, res).catch((error: unknown) => {
      const code = isAgoraError(error) ? error.code : 'licence/internal'
      const status = STATUS[code as LicenceCode] ?? 500
      if (status >= 500) {
        const cause = (error as Error)?.cause
        // The path only: a query may hold a claim secret or a URL signature.
        const path = URL.parse(req.url ?? '/', 'http://service')?.pathname ?? '(no path)'
        log(
          `${req.method} ${path}: ${String((error as Error)?.stack ?? error)}${cause ? `\ncaused by: ${String((cause as Error).stack ?? cause)}` : ''}`,
        )
      }
      if (res.headersSent) return void res.destroy()
      // The rest of a body too large or too slow is not read: the connection closes.
      if (status === 413 || status === 408) res.setHeader('connection', 'close')
      json(res, status, {
        error: {
          code,
          message:
            status >= 500 && !isAgoraError(error) ? 'internal error' : (error as Error).message,
          ...(isAgoraError(error) && error.hint ? { hint: error.hint } : {}),
        },
      })
    })
  }
  return Object.assign(handler, { meter, close: (waitMs?: number) => meter.close(waitMs) })
}

/** A failed write is never acknowledged: Stripe retries a webhook that did not get a 2xx. */
async function storeWrite<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    // The database's own message (paths, engine details) goes to the log, not the client.
    throw new AgoraError('licence/store-failed', 'the licence store could not be written', {
      hint: LICENCE_CODES['licence/store-failed'].hint,
      cause: error,
    })
  }
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex')
  const y = Buffer.from(b, 'hex')
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * The request's body, at most MAX_BODY bytes within `timeoutMs`: a body
 * declared or found larger, or one that trickles in, is refused as soon as
 * that is known, so no request holds memory or a connection for long.
 */
function readBody(req: IncomingMessage, timeoutMs: number): Promise<Buffer> {
  const tooLarge = () =>
    new AgoraError('licence/too-large', 'the body is over 1 MiB', {
      hint: LICENCE_CODES['licence/too-large'].hint,
    })
  if (Number(req.headers['content-length']) > MAX_BODY) return Promise.reject(tooLarge())
  return new Promise((done, fail) => {
    const chunks: Buffer[] = []
    let size = 0
    const stop = (error: AgoraError) => {
      clearTimeout(timer)
      req.off('data', take)
      req.pause()
      fail(error)
    }
    const timer = setTimeout(
      () =>
        stop(
          new AgoraError('licence/too-slow', `the body took over ${timeoutMs / 1000} s to arrive`, {
            hint: LICENCE_CODES['licence/too-slow'].hint,
          }),
        ),
      timeoutMs,
    )
    const take = (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY) stop(tooLarge())
      else chunks.push(chunk)
    }
    req.on('data', take)
    req.once('end', () => {
      clearTimeout(timer)
      done(Buffer.concat(chunks))
    })
    // A client that hangs up mid-body: nothing to answer, nothing to log as a failure.
    req.once('error', () =>
      stop(
        new AgoraError('licence/bad-request', 'the request was cut off before its end', {
          hint: 'send the whole body',
        }),
      ),
    )
  })
}

function jsonObjectOf(raw: Buffer): Record<string, unknown> {
  try {
    const value = JSON.parse(raw.toString('utf8'))
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value
  } catch {}
  throw new AgoraError('licence/bad-request', 'the body is not a JSON object', {
    hint: LICENCE_CODES['licence/bad-request'].hint,
  })
}

/** The request's target as a URL; a target that is none (`http://[`) is the client's error. */
function targetOf(req: IncomingMessage): URL {
  const url = URL.parse(req.url ?? '/', 'http://service')
  if (url) return url
  throw new AgoraError('licence/bad-request', 'the request target is not a URL path', {
    hint: 'send a path such as /licences/<id>',
  })
}

/** `files` of a /downloads body: SHA-256 hex digests, in either case. */
function hashesOf(files: unknown): string[] {
  if (Array.isArray(files) && files.every((f) => typeof f === 'string' && SHA256.test(f))) {
    return files.map((f: string) => f.toLowerCase())
  }
  throw new AgoraError('licence/bad-request', '"files" is not a list of SHA-256 hex digests', {
    hint: 'send {"licence": "…", "files": ["<sha256>", …]}, or leave "files" out for every file the licence covers',
  })
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  })
  res.end(JSON.stringify(body))
}

/**
 * The HMAC key for a folder store's download URLs, derived from the signing
 * key so an operator keeps one secret.
 *
 * @example urlKeyFor(privateKey)
 */
export function urlKeyFor(privateKey: KeyObject): Buffer {
  return createHash('sha256')
    .update('agora-blob-url-key-v1\n')
    .update(privateKey.export({ type: 'pkcs8', format: 'der' }))
    .digest()
}
