import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { licenceIdFor, verifyLicence, verifyRevocations } from '#core/licence'
import { meterEventOf } from './sale-spec.ts'
import { openPostgres, openSqlite, type SqlDriver } from './sql-driver.ts'
import { createStore, type LicenceStore } from './store.ts'
import { hasPostgres, startPostgres, type TempPostgres } from './testing/postgres.ts'
import {
  catalog,
  type Harness,
  PAID,
  PAID_SHA,
  paidSession,
  type StripeCall,
  startService,
  stripeEvent,
  WEBHOOK_SECRET,
} from './testing/service.ts'

/** The test item with room for many queries. */
const roomyCatalog: typeof catalog = async (item, version) => {
  const found = await catalog(item, version)
  return found && { ...found, queryLimit: 1000 }
}

/** Issues the per-query licence of the test checkout through `h` and returns its file. */
async function perQueryLicence(h: Harness): Promise<string> {
  await h.deliver(
    stripeEvent(
      'checkout.session.completed',
      paidSession({ metadata: { agora_item: 'acme/tox', agora_price_type: 'per-query' } }),
    ),
  )
  return (await claim(h)).text()
}

const isMeterEvent = (call: StripeCall) => call.path === '/v1/billing/meter_events'

/**
 * Writes `head` (and `body`, or `stream` bytes of spaces in chunks as the
 * server takes them) on one connection and resolves, once the server closes it, with
 * what came back and how many body bytes the server took.
 */
function exchange(
  url: string,
  head: string,
  options: { body?: string; stream?: number } = {},
): Promise<{ answer: string; sent: number }> {
  const { port, hostname } = new URL(url)
  return new Promise((done) => {
    const socket = connect(Number(port), hostname)
    let answer = ''
    let sent = 0
    socket.on('data', (data) => {
      answer += String(data)
    })
    socket.on('error', () => undefined)
    socket.on('close', () => done({ answer, sent }))
    socket.write(head)
    if (options.body) socket.write(options.body)
    // Chunked: 64 KiB of spaces a chunk.
    const chunk = Buffer.concat([
      Buffer.from('10000\r\n'),
      Buffer.alloc(64 * 1024, 0x20),
      Buffer.from('\r\n'),
    ])
    const pump = (): void => {
      while (sent < (options.stream ?? 0) && !socket.destroyed) {
        sent += 64 * 1024
        if (!socket.write(chunk)) return void socket.once('drain', pump)
      }
    }
    pump()
  })
}

/** The store, recording the name of every method called on it into `used`. */
function spyOn(store: LicenceStore, used: string[]): LicenceStore {
  return new Proxy(store, {
    get: (target, name, receiver) => {
      const value = Reflect.get(target, name, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        used.push(String(name))
        return value.apply(target, args)
      }
    },
  })
}

/** The JSON body of a raw HTTP/1.1 answer (chunked or not). */
function bodyOf(answer: string): { error: { code: string; message: string; hint: string } } {
  return JSON.parse(/\{.*\}/s.exec(answer)?.[0] ?? 'null')
}

/** A Stripe error answer. */
const stripeError = (status: number, type: string, message: string) =>
  new Response(JSON.stringify({ error: { type, message } }), {
    status,
    headers: { 'content-type': 'application/json' },
  })

const LICENCE_ID = licenceIdFor('cs_test_paid_1')

type Backend = {
  name: string
  open: () => Promise<SqlDriver>
  /** Two drivers on one fresh database, as two service processes would hold them. */
  openShared: () => Promise<[SqlDriver, SqlDriver]>
}
let pgServer: TempPostgres | undefined
let tmp: string
let n = 0

const backends: Backend[] = [
  {
    name: 'sqlite',
    open: async () => openSqlite(join(tmp, `licences-${++n}.db`)),
    openShared: async () => {
      const file = join(tmp, `licences-${++n}.db`)
      return [openSqlite(file), openSqlite(file)]
    },
  },
  {
    name: 'postgres',
    open: async () => openPostgres(await (pgServer as TempPostgres).createDatabase(`t${++n}`)),
    openShared: async () => {
      const url = await (pgServer as TempPostgres).createDatabase(`t${++n}`)
      return [await openPostgres(url), await openPostgres(url)]
    },
  },
]

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'agora-licence-'))
  if (hasPostgres()) pgServer = await startPostgres()
  else
    console.warn(
      'PostgreSQL binaries not found (PG_BIN): the postgres half of the licence service tests is skipped',
    )
}, 60_000)
afterAll(async () => {
  pgServer?.stop()
  await rm(tmp, { recursive: true, force: true })
}, 60_000)

async function claim(h: Harness, id = LICENCE_ID, secret = 'cs_test_paid_1'): Promise<Response> {
  return fetch(`${h.url}/licences/${id}`, { headers: { authorization: `Bearer ${secret}` } })
}

async function post(h: Harness, path: string, body: unknown): Promise<Response> {
  return fetch(`${h.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

describe.each(backends)('core/billing/service on $name', (backend) => {
  let h: Harness | undefined
  const skip = () => backend.name === 'postgres' && !pgServer
  const start = async (options: Parameters<typeof startService>[1] = {}) => {
    h = await startService(await backend.open(), options)
    return h
  }
  afterEach(async () => {
    await h?.close()
    h = undefined
  })

  it('issues a licence on a paid checkout and hands it to the claim secret only', async (t) => {
    if (skip()) return t.skip()
    const s = await start()
    expect((await s.deliver(stripeEvent('checkout.session.completed', paidSession()))).status).toBe(
      200,
    )
    const answer = await claim(s)
    expect(answer.status).toBe(200)
    const { payload } = verifyLicence(await answer.text(), { keys: s.keys })
    expect(payload).toMatchObject({
      id: LICENCE_ID,
      item: { kind: 'model', ns: 'acme', name: 'tox' },
      versions: ['1.0.0'],
      type: 'per-download',
      kid: 'licence-test',
    })
    expect(payload.files).toContain(PAID_SHA)
    expect(payload.buyer).not.toContain('buyer@example.org')
    const wrong = await claim(s, LICENCE_ID, 'cs_test_other')
    expect(wrong.status).toBe(404)
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe(
      'licence/not-found',
    )
    expect((await claim(s, licenceIdFor('cs_unknown'), 'cs_unknown')).status).toBe(404)
  })

  it('issues on async_payment_succeeded and on invoice.paid, not on an unpaid session', async (t) => {
    if (skip()) return t.skip()
    const s = await start()
    await s.deliver(
      stripeEvent('checkout.session.completed', paidSession({ payment_status: 'unpaid' })),
    )
    expect((await s.store.counts()).licences).toBe(0)
    await s.deliver(stripeEvent('checkout.session.async_payment_succeeded', paidSession()))
    expect((await claim(s)).status).toBe(200)
    const end = Math.floor(Date.now() / 1000) + 30 * 86400
    await s.deliver(
      stripeEvent('invoice.paid', {
        id: 'in_1',
        object: 'invoice',
        customer: 'cus_2',
        subscription: 'sub_1',
        payment_intent: 'pi_sub_1',
        subscription_details: {
          metadata: { agora_item: 'acme/tox', agora_price_type: 'subscription' },
        },
        lines: { data: [{ period: { start: end - 30 * 86400, end } }] },
      }),
    )
    const sub = await s.store.licence(licenceIdFor('sub_1'))
    expect(sub?.payload).toMatchObject({
      type: 'subscription',
      period_end: new Date(end * 1000).toISOString(),
    })
  })

  it('keeps the later renewal when an older invoice arrives after it', async (t) => {
    if (skip()) return t.skip()
    const s = await start()
    const now = Math.floor(Date.now() / 1000)
    const invoice = (id: string, end: number, paymentIntent: string, created: number) => ({
      ...stripeEvent('invoice.paid', {
        id,
        object: 'invoice',
        customer: 'cus_2',
        subscription: 'sub_1',
        payment_intent: paymentIntent,
        subscription_details: {
          metadata: { agora_item: 'acme/tox', agora_price_type: 'subscription' },
        },
        lines: { data: [{ period: { start: end - 30 * 86400, end } }] },
      }),
      created,
    })
    const later = now + 60 * 86400
    await s.deliver(invoice('in_2', later, 'pi_sub_2', now - 10))
    expect(
      (await s.deliver(invoice('in_1', now + 30 * 86400, 'pi_sub_1', now - 86400))).status,
    ).toBe(200)
    const sub = await s.store.licence(licenceIdFor('sub_1'))
    expect(sub?.payload.period_end).toBe(new Date(later * 1000).toISOString())
    expect(sub?.paymentIntent).toBe('pi_sub_2')
    await s.deliver(
      stripeEvent('charge.refunded', { id: 'ch_2', object: 'charge', payment_intent: 'pi_sub_2' }),
    )
    expect((await s.store.licence(licenceIdFor('sub_1')))?.revoked).toBe(true)
  })

  it('gives a subscription the renewed period end whether the renewal or the checkout comes first', async (t) => {
    if (skip()) return t.skip()
    const now = Math.floor(Date.now() / 1000)
    const renewedEnd = now + 60 * 86400
    const checkout = {
      ...stripeEvent(
        'checkout.session.completed',
        paidSession({
          id: 'cs_sub_1',
          mode: 'subscription',
          subscription: 'sub_9',
          payment_intent: null,
          customer: 'cus_9',
          metadata: { agora_item: 'acme/tox', agora_price_type: 'subscription' },
        }),
      ),
      created: now - 31 * 86400,
    }
    const renewal = {
      ...stripeEvent('invoice.paid', {
        id: 'in_renewal',
        object: 'invoice',
        customer: 'cus_9',
        subscription: 'sub_9',
        payment_intent: 'pi_renewal',
        subscription_details: {
          metadata: { agora_item: 'acme/tox', agora_price_type: 'subscription' },
        },
        lines: { data: [{ period: { start: renewedEnd - 30 * 86400, end: renewedEnd } }] },
      }),
      created: now - 10,
    }
    const finalState = async (order: unknown[]) => {
      const s = await start()
      for (const event of order) expect((await s.deliver(event)).status).toBe(200)
      const answer = await claim(s, licenceIdFor('sub_9'), 'cs_sub_1')
      expect(answer.status).toBe(200)
      const { payload } = verifyLicence(await answer.text(), { keys: s.keys })
      expect(payload.period_end).toBe(new Date(renewedEnd * 1000).toISOString())
      const state = {
        stored: await s.store.licence(licenceIdFor('sub_9')),
        counts: await s.store.counts(),
      }
      await s.close()
      h = undefined
      return state
    }
    const inOrder = await finalState([checkout, renewal])
    expect(inOrder.stored).toMatchObject({
      paymentIntent: 'pi_renewal',
      customer: 'cus_9',
      revoked: false,
    })
    expect(await finalState([renewal, checkout])).toEqual(inOrder)
    const duplicated = await finalState([renewal, renewal, checkout, renewal, checkout])
    expect(duplicated).toEqual(inOrder)
    expect(duplicated.counts).toEqual({ events: 2, licences: 1, usage: 0 })
  })

  it('records a replayed event once and issues no second licence', async (t) => {
    if (skip()) return t.skip()
    const s = await start()
    const event = stripeEvent('checkout.session.completed', paidSession())
    expect((await s.deliver(event)).status).toBe(200)
    const again = await s.deliver(event)
    expect(again.status).toBe(200)
    expect(await again.json()).toEqual({ received: true, duplicate: true })
    expect(await s.store.counts()).toEqual({ events: 1, licences: 1, usage: 0 })
  })

  it('refuses a changed byte, a missing header, and timestamps 301 s old or 301 s ahead', async (t) => {
    if (skip()) return t.skip()
    const s = await start()
    const event = stripeEvent('checkout.session.completed', paidSession())
    const body = JSON.stringify(event)
    const changed = body.replace('"paid"', '"pai\\u0064"')
    const answers = [
      await s.deliver(event, { body: changed }),
      await s.deliver(event, { header: null }),
      await s.deliver(event, { offset: -301 }),
      await s.deliver(event, { offset: 301 }),
    ]
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 400])
    expect(
      ((await (answers[3] as Response).json()) as { error: { code: string } }).error.code,
    ).toBe('licence/bad-webhook')
    expect((await s.store.counts()).events).toBe(0)
    expect((await s.deliver(event, { offset: 299 })).status).toBe(200)
  })

  it('ends revoked whether the refund comes before or after the completion, and reverses the transfer', async (t) => {
    if (skip()) return t.skip()
    const s = await start()
    const refund = stripeEvent('charge.refunded', {
      id: 'ch_1',
      object: 'charge',
      payment_intent: 'pi_test_1',
      transfer: 'tr_1',
      refunded: true,
    })
    const completion = stripeEvent('checkout.session.completed', paidSession())
    await s.deliver(refund)
    await s.deliver(completion)
    const first = await s.store.licence(LICENCE_ID)
    expect(first?.revoked).toBe(true)
    expect((await claim(s)).status).toBe(403)
    expect(s.calls.map((c) => [c.method, c.path, c.idempotencyKey])).toEqual([
      ['POST', '/v1/transfers/tr_1/reversals', 'agora-reversal-ch_1'],
    ])
    const list = verifyRevocations(await (await fetch(`${s.url}/revocations`)).text(), s.keys)
    expect(list.revoked).toEqual([LICENCE_ID])
    await s.close()

    const other = await start()
    await other.deliver(completion)
    const before = verifyRevocations(
      await (await fetch(`${other.url}/revocations`)).text(),
      other.keys,
    )
    expect(before.revoked).toEqual([])
    await other.deliver(
      stripeEvent('charge.refunded', {
        id: 'ch_1',
        object: 'charge',
        payment_intent: 'pi_test_1',
        transfer: 'tr_1',
      }),
    )
    const second = await other.store.licence(LICENCE_ID)
    expect({ ...second, claimHash: null }).toEqual({ ...first, claimHash: null })
    // Refreshed on the revocation, not stale from the first request.
    const after = verifyRevocations(
      await (await fetch(`${other.url}/revocations`)).text(),
      other.keys,
    )
    expect(after.revoked).toEqual([LICENCE_ID])
  })

  it('revokes on a dispute, reversing the transfer found on the charge', async (t) => {
    if (skip()) return t.skip()
    const s = await start()
    await s.deliver(stripeEvent('checkout.session.completed', paidSession()))
    const dispute = stripeEvent('charge.dispute.created', {
      id: 'dp_1',
      object: 'dispute',
      charge: 'ch_9',
      payment_intent: 'pi_test_1',
    })
    await s.deliver(dispute)
    expect((await s.store.licence(LICENCE_ID))?.revoked).toBe(true)
    expect(s.calls.map((c) => [c.method, c.path])).toEqual([
      ['GET', '/v1/charges/ch_9'],
      ['POST', '/v1/transfers/tr_of_ch_9/reversals'],
    ])
  })

  it('reverses the transfer once when a refund and then a dispute revoke one payment', async (t) => {
    if (skip()) return t.skip()
    const s = await start()
    await s.deliver(stripeEvent('checkout.session.completed', paidSession()))
    const refund = stripeEvent('charge.refunded', {
      id: 'ch_1',
      object: 'charge',
      payment_intent: 'pi_test_1',
      transfer: 'tr_1',
    })
    const dispute = stripeEvent('charge.dispute.created', {
      id: 'dp_1',
      object: 'dispute',
      charge: 'ch_1',
      payment_intent: 'pi_test_1',
    })
    for (const event of [refund, dispute, dispute])
      expect((await s.deliver(event)).status).toBe(200)
    expect((await s.store.licence(LICENCE_ID))?.revoked).toBe(true)
    expect(s.calls.map((c) => [c.method, c.path, c.idempotencyKey])).toEqual([
      ['POST', '/v1/transfers/tr_1/reversals', 'agora-reversal-ch_1'],
    ])
    expect((await s.store.counts()).events).toBe(3)
  })

  it('sends one reversal key per charge when a refund and a dispute race past the revoked check', async (t) => {
    if (skip()) return t.skip()
    // Two instances handling both at once each find the payment not yet revoked.
    const s = await start({
      wrapStore: (store): LicenceStore => ({
        ...store,
        async revocationState(eventId, paymentIntent) {
          const state = await store.revocationState(eventId, paymentIntent)
          return { ...state, revoked: false }
        },
      }),
    })
    await s.deliver(stripeEvent('checkout.session.completed', paidSession()))
    const refund = stripeEvent('charge.refunded', {
      id: 'ch_1',
      object: 'charge',
      payment_intent: 'pi_test_1',
      transfer: 'tr_1',
    })
    const dispute = stripeEvent('charge.dispute.created', {
      id: 'dp_1',
      object: 'dispute',
      charge: 'ch_1',
      payment_intent: 'pi_test_1',
    })
    for (const event of [refund, dispute]) expect((await s.deliver(event)).status).toBe(200)
    const reversals = s.calls.filter((c) => c.path.endsWith('/reversals'))
    expect(reversals.map((c) => c.idempotencyKey)).toEqual([
      'agora-reversal-ch_1',
      'agora-reversal-ch_1',
    ])
    expect((await s.store.licence(LICENCE_ID))?.revoked).toBe(true)
  })

  it('does not double-issue when killed after the commit, and keeps nothing when killed before it', async (t) => {
    if (skip()) return t.skip()
    let crash: 'after' | 'before' | undefined = 'after'
    const s = await start({
      wrapStore: (store): LicenceStore => ({
        ...store,
        async recordEvent(event, effect, now) {
          if (crash === 'before') {
            crash = undefined
            throw new Error('killed before the commit')
          }
          const outcome = await store.recordEvent(event, effect, now)
          if (crash === 'after') {
            crash = undefined
            throw new Error('killed before answering')
          }
          return outcome
        },
      }),
    })
    const event = stripeEvent('checkout.session.completed', paidSession())
    expect((await s.deliver(event)).status).toBeGreaterThanOrEqual(500)
    expect((await s.deliver(event)).status).toBe(200)
    expect(await s.store.counts()).toMatchObject({ events: 1, licences: 1 })

    crash = 'before'
    const next = stripeEvent(
      'checkout.session.completed',
      paidSession({ id: 'cs_test_paid_2', payment_intent: 'pi_2' }),
    )
    expect((await s.deliver(next)).status).toBeGreaterThanOrEqual(500)
    expect(await s.store.counts()).toMatchObject({ events: 1, licences: 1 })
    expect((await s.deliver(next)).status).toBe(200)
    expect(await s.store.counts()).toMatchObject({ events: 2, licences: 2 })
  })

  it('does not acknowledge a refund whose transfer reversal Stripe refused, and applies it on retry', async (t) => {
    if (skip()) return t.skip()
    let fail = true
    const s = await start()
    const realCalls = s.calls
    const refund = stripeEvent('charge.refunded', {
      id: 'ch_1',
      object: 'charge',
      payment_intent: 'pi_test_1',
      transfer: 'tr_down',
    })
    await s.close()
    h = await startService(await backend.open(), {
      service: {
        calls: {
          reverseTransfer: async () => {
            if (fail) {
              fail = false
              const { stripeCalls } = await import('./stripe-calls.ts')
              const Stripe = (await import('stripe')).default
              const broken = new Stripe('sk_test_x', {
                httpClient: Stripe.createFetchHttpClient(
                  async () => new Response('{"error":{"message":"down"}}', { status: 500 }),
                ),
                maxNetworkRetries: 0,
              })
              await stripeCalls(broken).reverseTransfer(
                { charge: 'ch_1', transfer: 'tr_down' },
                'k',
              )
            }
          },
          meterEvent: async () => undefined,
        },
      },
    })
    const answer = await h.deliver(refund)
    expect(answer.status).toBe(502)
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe(
      'licence/stripe-failed',
    )
    expect((await h.store.counts()).events).toBe(0)
    expect((await h.deliver(refund)).status).toBe(200)
    expect((await h.store.revocations()).revision).toBe(1)
    expect(realCalls).toEqual([])
  })

  it('does not acknowledge an event it could not store', async (t) => {
    if (skip()) return t.skip()
    const s = await start({
      wrapStore: (store) => ({
        ...store,
        recordEvent: async () => {
          throw Object.assign(new Error('database or disk is full'), { code: 'ERR_SQLITE_ERROR' })
        },
      }),
    })
    const answer = await s.deliver(stripeEvent('checkout.session.completed', paidSession()))
    expect(answer.status).toBe(503)
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe(
      'licence/store-failed',
    )
    expect((await s.store.counts()).events).toBe(0)
  })

  it('hands out short-lived URLs for the paid files a valid licence covers', async (t) => {
    if (skip()) return t.skip()
    const s = await start()
    await s.deliver(stripeEvent('checkout.session.completed', paidSession()))
    const licence = await (await claim(s)).text()
    const answer = await post(s, '/downloads', { licence, files: [PAID_SHA] })
    expect(answer.status).toBe(200)
    const { urls } = (await answer.json()) as { urls: { sha256: string; url: string }[] }
    expect(urls.map((u) => u.sha256)).toEqual([PAID_SHA])
    const bytes = Buffer.from(await (await fetch(urls[0]?.url as string)).arrayBuffer())
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(PAID_SHA)
    expect(bytes.equals(PAID)).toBe(true)
    // Another first character of the signature, whatever it was.
    const forged = (urls[0] as { url: string }).url.replace(/sig=(.)/, (_, c) =>
      c === 'A' ? 'sig=B' : 'sig=A',
    )
    const refused = await fetch(forged)
    expect(refused.status).toBe(403)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'licence/bad-url',
    )
    const noLicence = await post(s, '/downloads', { files: [PAID_SHA] })
    expect(((await noLicence.json()) as { error: { code: string } }).error.code).toBe(
      'licence/bad-request',
    )
    const notCovered = await post(s, '/downloads', { licence, files: ['0'.repeat(64)] })
    expect(notCovered.status).toBe(403)
    // Always a different first character, so the signature never stays whole by chance.
    const tampered = licence.replace(
      /"sig":"(.)/,
      (_, c: string) => `"sig":"${c === 'B' ? 'C' : 'B'}`,
    )
    expect((await post(s, '/downloads', { licence: tampered })).status).toBe(400)
    await s.deliver(
      stripeEvent('charge.refunded', { id: 'ch_1', object: 'charge', payment_intent: 'pi_test_1' }),
    )
    const revoked = await post(s, '/downloads', { licence })
    expect(revoked.status).toBe(403)
    expect(((await revoked.json()) as { error: { code: string } }).error.code).toBe(
      'licence/revoked',
    )
  })

  it('counts per-query use once per identifier, refuses past the limit, and meters each counted query once', async (t) => {
    if (skip()) return t.skip()
    const s = await start()
    await s.deliver(
      stripeEvent(
        'checkout.session.completed',
        paidSession({ metadata: { agora_item: 'acme/tox', agora_price_type: 'per-query' } }),
      ),
    )
    const licence = await (await claim(s)).text()
    const use = async (identifier: string) => post(s, '/usage', { licence, identifier })
    expect((await use('q'.repeat(63))).status).toBe(200)
    expect((await use('q'.repeat(64))).status).toBe(400)
    expect(await (await use('q1')).json()).toEqual({ counted: true, used: 2, limit: 2 })
    expect(await (await use('q1')).json()).toEqual({ counted: false, used: 2, limit: 2 })
    const over = await use('q3')
    expect(over.status).toBe(402)
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe(
      'licence/usage-exceeded',
    )
    expect((await s.store.counts()).usage).toBe(2)
    await s.meter.flush()
    // Once per counted query: the retried q1 wrote no second row, so no second event.
    expect(s.metered()).toEqual([`${LICENCE_ID}:${'q'.repeat(63)}`, `${LICENCE_ID}:q1`])
    const first = new URLSearchParams(s.calls[0]?.body)
    expect(first.get('payload[stripe_customer_id]')).toBe('cus_test_1')
    // Under the meter the Stripe sync created for this item, whatever agora.yaml says.
    expect(first.get('event_name')).toBe(meterEventOf('model/acme/tox'))
    expect(await s.store.meterBacklog()).toEqual({ unsent: 0, refused: 0 })
  })

  it('answers /usage before Stripe has the meter event, which carries the time of the query', async (t) => {
    if (skip()) return t.skip()
    let release = () => {}
    const held = new Promise<void>((done) => {
      release = done
    })
    const s = await start({
      stripe: async (call) => {
        if (isMeterEvent(call)) await held
        return undefined
      },
    })
    const licence = await perQueryLicence(s)
    const before = Math.floor(Date.now() / 1000)
    const answer = await post(s, '/usage', { licence, identifier: 'q1' })
    const after = Math.ceil(Date.now() / 1000)
    expect(answer.status).toBe(200)
    expect(await answer.json()).toEqual({ counted: true, used: 1, limit: 2 })
    // Answered while the meter event still waits on Stripe.
    expect(s.metered()).toEqual([])
    release()
    await s.meter.flush()
    expect(s.metered()).toEqual([`${LICENCE_ID}:q1`])
    const timestamp = Number(new URLSearchParams(s.calls.find(isMeterEvent)?.body).get('timestamp'))
    expect(timestamp).toBeGreaterThanOrEqual(before)
    expect(timestamp).toBeLessThanOrEqual(after)
  })

  it('leaves a meter event unsent while Stripe fails, says so at /healthz, and a later sweep sends it', async (t) => {
    if (skip()) return t.skip()
    let down = true
    const lines: string[] = []
    const s = await start({
      stripe: async (call) =>
        down && isMeterEvent(call) ? stripeError(500, 'api_error', 'Stripe is down') : undefined,
      service: {
        log: (line) => lines.push(line),
        meter: { sweepSeconds: 0.05, retrySeconds: 0.05 },
      },
    })
    const licence = await perQueryLicence(s)
    expect((await post(s, '/usage', { licence, identifier: 'q1' })).status).toBe(200)
    await s.meter.flush()
    expect(s.metered()).toEqual([])
    expect(await s.store.meterBacklog()).toEqual({ unsent: 1, refused: 0 })
    expect(await (await fetch(`${s.url}/healthz`)).json()).toEqual({
      ok: true,
      meter: { unsent: 1, refused: 0 },
    })
    expect(lines.join('\n')).toContain('meter: 1 event not sent')
    expect(lines.join('\n')).toContain('Stripe is down')
    down = false
    await vi.waitFor(() => expect(s.metered()).toEqual([`${LICENCE_ID}:q1`]), { timeout: 10_000 })
    await vi.waitFor(async () =>
      expect(await s.store.meterBacklog()).toEqual({ unsent: 0, refused: 0 }),
    )
    expect(s.metered()).toEqual([`${LICENCE_ID}:q1`])
  })

  it('keeps a meter event Stripe refuses for good, logs it and does not send it again', async (t) => {
    if (skip()) return t.skip()
    const lines: string[] = []
    let tries = 0
    const s = await start({
      stripe: async (call) => {
        if (!isMeterEvent(call)) return undefined
        tries += 1
        return stripeError(400, 'invalid_request_error', 'No such customer: cus_test_1')
      },
      service: { log: (line) => lines.push(line), meter: { retrySeconds: 0 } },
    })
    const licence = await perQueryLicence(s)
    expect((await post(s, '/usage', { licence, identifier: 'q1' })).status).toBe(200)
    await s.meter.flush()
    await s.meter.flush()
    expect(tries).toBe(1)
    expect(await s.store.meterBacklog()).toEqual({ unsent: 0, refused: 1 })
    expect(lines.join('\n')).toContain(`meter: Stripe refused ${LICENCE_ID}:q1 for good`)
    expect(lines.join('\n')).toContain('No such customer')
  })

  it('sends again, with the same identifier, what an instance sent but died before recording', async (t) => {
    if (skip()) return t.skip()
    const [one, two] = await backend.openShared()
    const a = await startService(one, {
      wrapStore: (store): LicenceStore => ({
        ...store,
        settleMeterEvents: async () => {
          throw new Error('killed before recording')
        },
      }),
      service: { meter: { leaseSeconds: 0.2 } },
    })
    let b: Harness | undefined
    let aOpen = true
    try {
      const licence = await perQueryLicence(a)
      expect((await post(a, '/usage', { licence, identifier: 'q1' })).status).toBe(200)
      await a.meter.flush()
      expect(a.metered()).toEqual([`${LICENCE_ID}:q1`])
      aOpen = false
      await a.close()
      b = await startService(two, {
        service: { signer: a.signer, keys: a.keys, meter: { sweepSeconds: 0.05 } },
      })
      const started = b
      await vi.waitFor(() => expect(started.metered()).toEqual([`${LICENCE_ID}:q1`]), {
        timeout: 10_000,
      })
      await vi.waitFor(async () =>
        expect(await started.store.meterBacklog()).toEqual({ unsent: 0, refused: 0 }),
      )
      // Sent twice, one identifier: Stripe counts it once.
      expect(new Set([...a.metered(), ...started.metered()])).toEqual(new Set([`${LICENCE_ID}:q1`]))
    } finally {
      await b?.close()
      if (aOpen) await a.close()
    }
  })

  it('reports every counted query through two instances sharing the database, none lost or sent twice', async (t) => {
    if (skip()) return t.skip()
    const [one, two] = await backend.openShared()
    const service = {
      catalog: roomyCatalog,
      rateLimit: { perSecond: 1000, burst: 1000 },
      // Small batches, so the two reporters claim at the same moments.
      meter: { batch: 3, concurrency: 2, sweepSeconds: 3600 },
    }
    const a = await startService(one, { service })
    const b = await startService(two, {
      service: { ...service, signer: a.signer, keys: a.keys },
    })
    try {
      const licence = await perQueryLicence(a)
      const identifiers = Array.from({ length: 40 }, (_, k) => `q${k}`)
      const answers = await Promise.all(
        identifiers.map((identifier, k) =>
          post(k % 2 === 0 ? a : b, '/usage', { licence, identifier }),
        ),
      )
      expect(answers.map((r) => r.status)).toEqual(identifiers.map(() => 200))
      await Promise.all([a.meter.flush(), b.meter.flush()])
      const sent = [...a.metered(), ...b.metered()]
      expect(new Set(sent)).toEqual(new Set(identifiers.map((q) => `${LICENCE_ID}:${q}`)))
      // Leased while being sent: no row went out from both.
      expect(sent).toHaveLength(identifiers.length)
      expect(await a.store.meterBacklog()).toEqual({ unsent: 0, refused: 0 })
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('sends the meter events in flight before closing, and waits only so long for a Stripe that hangs', async (t) => {
    if (skip()) return t.skip()
    let release = () => {}
    const held = new Promise<void>((done) => {
      release = done
    })
    const [one, two] = await backend.openShared()
    const a = await startService(one, {
      stripe: async (call) => {
        if (isMeterEvent(call)) await held
        return undefined
      },
    })
    const licence = await perQueryLicence(a)
    expect((await post(a, '/usage', { licence, identifier: 'q1' })).status).toBe(200)
    const closing = a.close()
    release()
    await closing
    expect(a.metered()).toEqual([`${LICENCE_ID}:q1`])
    const check = await createStore(two)
    try {
      expect(await check.meterBacklog()).toEqual({ unsent: 0, refused: 0 })
    } finally {
      await check.close()
    }

    const lines: string[] = []
    const hung = await startService(await backend.open(), {
      stripe: (call) => (isMeterEvent(call) ? new Promise(() => {}) : undefined),
      service: { log: (line) => lines.push(line) },
    })
    const other = await perQueryLicence(hung)
    expect((await post(hung, '/usage', { licence: other, identifier: 'q2' })).status).toBe(200)
    await hung.meter.close(50)
    await hung.close()
    expect(lines).toContain('meter: closing with 1 event unsent, left for the next start')
  })

  it('counts no more than the limit when the same and other identifiers arrive at once', async (t) => {
    if (skip()) return t.skip()
    const s = await start({ service: { rateLimit: { perSecond: 100, burst: 100 } } })
    await s.deliver(
      stripeEvent(
        'checkout.session.completed',
        paidSession({ metadata: { agora_item: 'acme/tox', agora_price_type: 'per-query' } }),
      ),
    )
    const licence = await (await claim(s)).text()
    const answers = await Promise.all(
      Array.from({ length: 24 }, async (_, k) => {
        const answer = await post(s, '/usage', { licence, identifier: `q${k % 6}` })
        return { status: answer.status, body: (await answer.json()) as { counted?: boolean } }
      }),
    )
    expect(answers.filter((a) => a.body.counted === true)).toHaveLength(2)
    expect(answers.every((a) => a.status === 200 || a.status === 402)).toBe(true)
    expect((await s.store.licence(LICENCE_ID))?.used).toBe(2)
    expect((await s.store.counts()).usage).toBe(2)
  })

  it('counts exactly up to the limit through two instances at once, losing no count', async (t) => {
    if (skip()) return t.skip()
    const [one, two] = await backend.openShared()
    const service = {
      catalog: (async (item, version) => {
        const found = await catalog(item, version)
        return found && { ...found, queryLimit: 7 }
      }) as typeof catalog,
      rateLimit: { perSecond: 1000, burst: 1000 },
    }
    const a = await startService(one, { service })
    const b = await startService(two, { service: { ...service, signer: a.signer, keys: a.keys } })
    try {
      const licence = await perQueryLicence(a)
      // 30 fresh identifiers and each of 10 sent twice, alternately at each instance, all at once.
      const identifiers = Array.from({ length: 50 }, (_, k) => `q${k < 30 ? k : k % 10}`)
      const answers = await Promise.all(
        identifiers.map(async (identifier, k) => {
          const answer = await post(k % 2 === 0 ? a : b, '/usage', { licence, identifier })
          return { status: answer.status, body: (await answer.json()) as { used?: number } }
        }),
      )
      expect(answers.every((x) => x.status === 200 || x.status === 402)).toBe(true)
      const counted = answers.filter((x) => (x.body as { counted?: boolean }).counted === true)
      // Each count its own number, 1 to 7: none over the limit, none lost to a race.
      expect(counted.map((x) => x.body.used).sort((x, y) => (x ?? 0) - (y ?? 0))).toEqual([
        1, 2, 3, 4, 5, 6, 7,
      ])
      expect((await a.store.licence(LICENCE_ID))?.used).toBe(7)
      expect((await b.store.counts()).usage).toBe(7)
      await Promise.all([a.meter.flush(), b.meter.flush()])
      expect([...a.metered(), ...b.metered()]).toHaveLength(7)
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('holds the rate limit across two instances sharing the database', async (t) => {
    if (skip()) return t.skip()
    const [one, two] = await backend.openShared()
    // Four at once, then one per 100 s: no token comes back while the test runs.
    const rateLimit = { perSecond: 0.01, burst: 4 }
    const a = await startService(one, { service: { rateLimit } })
    // One hub, one signing key: either instance accepts the licences the other hands out.
    // B's clock runs an hour ahead: the limiter keeps time by the database's clock, so
    // B cannot push the licence's schedule out of A's reach.
    const b = await startService(two, {
      service: {
        rateLimit,
        signer: a.signer,
        keys: a.keys,
        now: () => new Date(Date.now() + 3600_000),
      },
    })
    try {
      await a.deliver(
        stripeEvent(
          'checkout.session.completed',
          paidSession({ metadata: { agora_item: 'acme/tox', agora_price_type: 'per-query' } }),
        ),
      )
      const licence = await (await claim(b)).text()
      const statuses: number[] = []
      for (let k = 0; k < 10; k++) {
        // Alternated as a load balancer would; identifiers repeat so the query limit never answers.
        const answer = await post(k % 2 === 0 ? a : b, '/usage', {
          licence,
          identifier: `q${k % 2}`,
        })
        statuses.push(answer.status)
        if (answer.status === 429) {
          const wait = Number(answer.headers.get('retry-after'))
          expect(wait).toBeGreaterThan(90)
          expect(wait).toBeLessThanOrEqual(100)
        }
      }
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429, 429, 429, 429, 429])
      await a.deliver(
        stripeEvent('charge.refunded', {
          id: 'ch_1',
          object: 'charge',
          payment_intent: 'pi_test_1',
        }),
      )
      const revoked = await post(b, '/usage', { licence, identifier: 'q0' })
      expect(revoked.status).toBe(403)
      expect(((await revoked.json()) as { error: { code: string } }).error.code).toBe(
        'licence/revoked',
      )
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('rate-limits usage per licence and refuses usage on other licence types', async (t) => {
    if (skip()) return t.skip()
    const s = await start({ service: { rateLimit: { perSecond: 0.01, burst: 1 } } })
    await s.deliver(
      stripeEvent(
        'checkout.session.completed',
        paidSession({ metadata: { agora_item: 'acme/tox', agora_price_type: 'per-query' } }),
      ),
    )
    const licence = await (await claim(s)).text()
    expect((await post(s, '/usage', { licence, identifier: 'a' })).status).toBe(200)
    const limited = await post(s, '/usage', { licence, identifier: 'b' })
    expect(limited.status).toBe(429)
    // The next token in 100 s, less the moments since the first query.
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(90)
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(100)
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe(
      'licence/rate-limited',
    )
    await s.deliver(
      stripeEvent(
        'checkout.session.completed',
        paidSession({ id: 'cs_dl', payment_intent: 'pi_dl' }),
      ),
    )
    const download = await (await claim(s, licenceIdFor('cs_dl'), 'cs_dl')).text()
    const wrong = await post(s, '/usage', { licence: download, identifier: 'a' })
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe(
      'licence/wrong-type',
    )
  })
})

describe('core/billing/service against hostile requests', () => {
  let h: Harness | undefined
  const start = async (options: Parameters<typeof startService>[1] = {}) => {
    h = await startService(openSqlite(join(tmp, `hostile-${++n}.db`)), options)
    return h
  }
  afterEach(async () => {
    await h?.close()
    h = undefined
  })

  it('refuses a signature header with a second, future timestamp behind a current one', async () => {
    const s = await start()
    const event = stripeEvent('checkout.session.completed', paidSession())
    const ahead = Math.floor(Date.now() / 1000) + 3600
    const signed = s.stripe.webhooks.generateTestHeaderString({
      payload: JSON.stringify(event),
      secret: WEBHOOK_SECRET,
      timestamp: ahead,
    })
    const now = Math.floor(Date.now() / 1000)
    const answer = await s.deliver(event, { header: `t=${now},${signed}` })
    expect(answer.status).toBe(400)
    expect(((await answer.json()) as { error: { message: string } }).error.message).toBe(
      'the Stripe-Signature header has more than one timestamp',
    )
    expect((await s.store.counts()).events).toBe(0)
  })

  it('keeps the database error out of the answer and puts it in the log', async () => {
    const lines: string[] = []
    const s = await start({
      service: { log: (line) => lines.push(line) },
      wrapStore: (store) => ({
        ...store,
        recordEvent: async () => {
          throw new Error('SQLITE_IOERR: disk I/O error at /srv/agora/licences.db')
        },
      }),
    })
    const answer = await s.deliver(stripeEvent('checkout.session.completed', paidSession()))
    expect(answer.status).toBe(503)
    const text = await answer.text()
    expect(text).not.toContain('/srv/agora')
    expect(text).not.toContain('SQLITE')
    expect(lines.join('\n')).toContain('SQLITE_IOERR: disk I/O error at /srv/agora/licences.db')
  })

  it('answers /healthz while the store cannot be read, with no meter backlog', async () => {
    const s = await start({
      wrapStore: (store) => ({
        ...store,
        meterBacklog: async () => {
          throw new Error('connection refused')
        },
      }),
    })
    const answer = await fetch(`${s.url}/healthz`)
    expect(answer.status).toBe(200)
    expect(await answer.json()).toEqual({ ok: true, meter: null })
  })

  it('hands out one URL per file however often the body repeats it', async () => {
    const s = await start()
    await s.deliver(stripeEvent('checkout.session.completed', paidSession()))
    const licence = await (await claim(s)).text()
    const answer = await post(s, '/downloads', { licence, files: Array(5000).fill(PAID_SHA) })
    const { urls } = (await answer.json()) as { urls: { sha256: string }[] }
    expect(urls.map((u) => u.sha256)).toEqual([PAID_SHA])
  })

  it('answers a body over 1 MiB with 413 while it streams in, and stores nothing', async () => {
    const s = await start()
    const status = await new Promise<number | string>((done) => {
      const req = request(`${s.url}/stripe/webhook`, {
        method: 'POST',
        headers: { 'stripe-signature': 't=1,v1=00' },
      })
      req.on('response', (res) => {
        res.resume()
        done(res.statusCode ?? 0)
      })
      req.on('error', (error) => done(String(error)))
      const chunk = Buffer.alloc(64 * 1024, 0x20)
      let sent = 0
      const pump = (): void => {
        while (sent < 4 * 1024 * 1024) {
          sent += chunk.length
          if (!req.write(chunk)) return void req.once('drain', pump)
        }
        req.end()
      }
      pump()
    })
    expect(status).toBe(413)
    expect((await s.store.counts()).events).toBe(0)
  })

  it('closes the connection of a body over 1 MiB instead of reading the rest', async () => {
    const s = await start()
    // 64 MiB offered without a length: the server stops taking it soon after the first MiB.
    const streamed = await exchange(
      s.url,
      'POST /usage HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n',
      { stream: 64 * 1024 * 1024 },
    )
    expect(streamed.answer).toMatch(/^HTTP\/1\.1 413 /)
    expect(streamed.answer).toMatch(/connection: close/i)
    expect(bodyOf(streamed.answer).error.code).toBe('licence/too-large')
    expect(streamed.sent).toBeLessThan(64 * 1024 * 1024)
    // A declared length over the cap is refused before a byte of the body is read.
    const declared = await exchange(
      s.url,
      'POST /stripe/webhook HTTP/1.1\r\nHost: x\r\nStripe-Signature: t=1,v1=00\r\nContent-Length: 100000000000\r\n\r\n',
    )
    expect(declared.answer).toMatch(/^HTTP\/1\.1 413 /)
    expect(bodyOf(declared.answer).error).toMatchObject({
      code: 'licence/too-large',
      hint: expect.stringContaining('as the service sent it'),
    })
  })

  it('answers a body that trickles in with 408 and closes its connection, storing nothing', async () => {
    const lines: string[] = []
    const used: string[] = []
    const s = await start({
      service: { bodyTimeoutMs: 200, log: (line) => lines.push(line) },
      wrapStore: (store) => spyOn(store, used),
    })
    const event = JSON.stringify(stripeEvent('checkout.session.completed', paidSession()))
    const { answer } = await exchange(
      s.url,
      `POST /stripe/webhook HTTP/1.1\r\nHost: x\r\nStripe-Signature: t=1,v1=00\r\nContent-Length: ${event.length}\r\n\r\n`,
      { body: event.slice(0, 10) },
    )
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
    expect(answer).toMatch(/connection: close/i)
    expect(bodyOf(answer).error.code).toBe('licence/too-slow')
    expect((await s.store.counts()).events).toBe(0)
    expect(lines).toEqual([])
    // The body is read before the store is asked anything: a slow one holds no database connection.
    expect(used.filter((name) => name !== 'claimMeterEvents')).toEqual([])
  })

  it('refuses signature headers with many or huge v1 entries', async () => {
    const s = await start()
    const event = stripeEvent('checkout.session.completed', paidSession())
    const t = Math.floor(Date.now() / 1000)
    const many = `t=${t},${Array.from({ length: 1000 }, (_, k) => `v1=${k.toString(16).padStart(64, '0')}`).join(',')}`
    const answers = [
      await s.deliver(event, { header: many.slice(0, 15_000) }),
      await s.deliver(event, { header: `t=${t},v1=${'a'.repeat(15_000)}` }),
      await s.deliver(event, { header: `t=${t},v0=${'a'.repeat(64)}` }),
    ]
    for (const answer of answers) {
      expect(answer.status).toBe(400)
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe(
        'licence/bad-webhook',
      )
    }
    // Past Node's 16 KiB of headers: refused before the service sees it.
    expect((await s.deliver(event, { header: `t=${t},v1=${'a'.repeat(20_000)}` })).status).toBe(431)
    expect((await s.store.counts()).events).toBe(0)
  })

  it('answers pipelined requests in order, and none hidden in a refused body', async () => {
    const s = await start()
    const healthz = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'
    const { answer } = await exchange(
      s.url,
      `${healthz}GET /revocations HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    )
    expect(answer.match(/^HTTP\/1\.1 \d+/gm)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200'])
    expect(answer.indexOf('"ok":true')).toBeLessThan(answer.indexOf('"alg":"ed25519"'))
    // Requests inside a body over the cap are never read as requests of their own.
    const hidden = healthz.repeat(60_000)
    const smuggled = await exchange(
      s.url,
      `POST /usage HTTP/1.1\r\nHost: x\r\nContent-Length: ${hidden.length}\r\n\r\n`,
      { body: hidden },
    )
    expect(smuggled.answer.match(/^HTTP\/1\.1 \d+/gm)).toEqual(['HTTP/1.1 413'])
  })

  it('records an event of a type it does not handle, and changes nothing else', async () => {
    const lines: string[] = []
    const s = await start({ service: { log: (line) => lines.push(line) } })
    const answer = await s.deliver(
      stripeEvent('customer.created', { id: 'cus_1', object: 'customer' }),
    )
    expect(await answer.json()).toEqual({ received: true, duplicate: false })
    expect(await s.store.counts()).toEqual({ events: 1, licences: 0, usage: 0 })
    expect(lines.join('\n')).toContain('customer.created: not handled: customer.created')
    expect(s.calls).toEqual([])
  })

  it('refuses an unsigned webhook before reading its body', async () => {
    const s = await start()
    // The body is announced and never sent: only a refusal that does not wait for it answers.
    const { answer } = await exchange(
      s.url,
      'POST /stripe/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n',
    )
    expect(answer).toMatch(/^HTTP\/1\.1 400 /)
    expect(bodyOf(answer).error).toMatchObject({
      code: 'licence/bad-webhook',
      message: 'the Stripe-Signature header is missing',
    })
  })

  it('answers a request target that is no URL with 400, not an internal error', async () => {
    const lines: string[] = []
    const s = await start({ service: { log: (line) => lines.push(line) } })
    const { answer } = await exchange(
      s.url,
      'GET http://[/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    )
    expect(answer).toMatch(/^HTTP\/1\.1 400 /)
    expect(bodyOf(answer).error).toMatchObject({
      code: 'licence/bad-request',
      hint: 'send a path such as /licences/<id>',
    })
    expect(lines).toEqual([])
  })

  it('answers unknown paths 404 and other methods 405 with a hint, echoing nothing raw', async () => {
    const s = await start()
    const unknown = await fetch(`${s.url}/<script>alert(1)</script>`)
    expect(unknown.status).toBe(404)
    expect(unknown.headers.get('x-content-type-options')).toBe('nosniff')
    const text = await unknown.text()
    expect(text).not.toContain('<script>')
    expect(JSON.parse(text).error).toEqual({
      code: 'licence/bad-request',
      message: 'no route GET /%3Cscript%3Ealert(1)%3C/script%3E',
      hint: expect.stringContaining('POST /usage'),
    })
    for (const method of ['HEAD', 'OPTIONS', 'PUT', 'DELETE']) {
      const answer = await fetch(`${s.url}/licences/${LICENCE_ID}`, { method })
      expect(answer.status).toBe(405)
      expect(answer.headers.get('allow')).toBe('GET')
    }
    const usage = await fetch(`${s.url}/usage`)
    expect(usage.status).toBe(405)
    expect(usage.headers.get('allow')).toBe('POST')
    expect(((await usage.json()) as { error: { hint: string } }).error.hint).toContain(
      'GET /licences/{id}',
    )
    // Path tricks reach no route: an encoded slash, dot segments, another spelling of the id.
    for (const path of [
      `/licences%2F${LICENCE_ID}`,
      `/licences/../licences/${LICENCE_ID.toUpperCase()}`,
      `/licences/${LICENCE_ID}%00`,
      `/licences/${LICENCE_ID}/`,
    ]) {
      const answer = await fetch(`${s.url}${path}`, {
        headers: { authorization: 'Bearer cs_test_paid_1' },
      })
      expect(answer.status).toBe(404)
    }
  })

  it('keeps a claim secret in the query out of the log of a failed request', async () => {
    const lines: string[] = []
    const s = await start({
      service: { log: (line) => lines.push(line) },
      wrapStore: (store) => ({
        ...store,
        licence: async () => {
          throw new Error('connection refused')
        },
      }),
    })
    const answer = await fetch(`${s.url}/licences/${LICENCE_ID}?claim=cs_test_secret_claim`)
    expect(answer.status).toBe(500)
    expect(lines.join('\n')).toContain(`GET /licences/${LICENCE_ID}: Error: connection refused`)
    expect(lines.join('\n')).not.toContain('cs_test_secret_claim')
  })

  it('answers claims with wrong, empty or huge secrets alike, and the right one only', async () => {
    const used: string[] = []
    const s = await start({ wrapStore: (store) => spyOn(store, used) })
    await s.deliver(stripeEvent('checkout.session.completed', paidSession()))
    for (const header of [
      'Bearer ',
      'Bearer',
      'Basic cs_test_paid_1',
      `Bearer ${'c'.repeat(8000)}`,
    ]) {
      const answer = await fetch(`${s.url}/licences/${LICENCE_ID}`, {
        headers: { authorization: header },
      })
      expect(answer.status).toBe(404)
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe(
        'licence/not-found',
      )
    }
    expect((await fetch(`${s.url}/licences/${LICENCE_ID}?claim=cs_test_paid_1%20`)).status).toBe(
      404,
    )
    used.length = 0
    expect((await fetch(`${s.url}/licences/${LICENCE_ID}?claim=`)).status).toBe(404)
    expect((await fetch(`${s.url}/licences/${LICENCE_ID}`)).status).toBe(404)
    // Without a claim the store is not asked.
    expect(used.filter((name) => name === 'licence')).toEqual([])
    expect((await fetch(`${s.url}/licences/${LICENCE_ID}?claim=cs_test_paid_1`)).status).toBe(200)
  })

  it('hands out URLs for hashes in either case, and refuses files that are not a list of hashes', async () => {
    const s = await start()
    await s.deliver(stripeEvent('checkout.session.completed', paidSession()))
    const licence = await (await claim(s)).text()
    const upper = await post(s, '/downloads', { licence, files: [PAID_SHA.toUpperCase()] })
    expect(upper.status).toBe(200)
    const { urls } = (await upper.json()) as { urls: { sha256: string; url: string }[] }
    expect(urls.map((u) => u.sha256)).toEqual([PAID_SHA])
    for (const files of [PAID_SHA, [{}], [PAID_SHA, 42], [`${PAID_SHA}0`], { 0: PAID_SHA }, null]) {
      const answer = await post(s, '/downloads', { licence, files })
      expect(answer.status).toBe(400)
      expect(((await answer.json()) as { error: { code: string; hint: string } }).error).toEqual({
        code: 'licence/bad-request',
        message: '"files" is not a list of SHA-256 hex digests',
        hint: expect.stringContaining('leave "files" out'),
      })
    }
    // Thousands of hashes the licence does not cover: one refusal, no URL.
    const many = Array.from({ length: 5000 }, (_, k) =>
      createHash('sha256').update(String(k)).digest('hex'),
    )
    const refused = await post(s, '/downloads', { licence, files: [PAID_SHA, ...many] })
    expect(refused.status).toBe(403)
    expect(await refused.json()).toMatchObject({
      error: { code: 'licence/not-covered', message: expect.stringContaining('5000 files') },
    })
  })

  it('holds one rate limit for a licence however many connections, identifiers and spellings', async () => {
    const s = await start({
      service: { catalog: roomyCatalog, rateLimit: { perSecond: 0.01, burst: 3 } },
    })
    const licence = await perQueryLicence(s)
    // Twenty at once, each its own connection, identifier and padding of the licence text.
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, k) =>
        fetch(`${s.url}/usage`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', connection: 'close' },
          body: JSON.stringify({ licence: `${licence}${' '.repeat(k)}`, identifier: `q${k}` }),
        }),
      ),
    )
    const statuses = answers.map((answer) => answer.status).sort()
    expect(statuses).toEqual([...Array(3).fill(200), ...Array(17).fill(429)])
    expect((await s.store.licence(LICENCE_ID))?.used).toBe(3)
  })

  it("lets no more than a burst of one licence's counts wait on the store at once", async () => {
    let release = () => {}
    const held = new Promise<void>((done) => {
      release = done
    })
    let asked = 0
    const s = await start({
      service: { catalog: roomyCatalog, rateLimit: { perSecond: 1000, burst: 3 } },
      wrapStore: (store) => ({
        ...store,
        countUsage: async (...args) => {
          asked += 1
          await held
          return store.countUsage(...args)
        },
      }),
    })
    const licence = await perQueryLicence(s)
    const answered: number[] = []
    const all = Array.from({ length: 7 }, (_, k) =>
      post(s, '/usage', { licence, identifier: `q${k}` }).then((answer) => {
        answered.push(answer.status)
        return answer
      }),
    )
    // While the store holds three, the other four are refused without reaching it.
    await vi.waitFor(() => expect(answered).toHaveLength(4))
    expect(answered).toEqual([429, 429, 429, 429])
    expect(asked).toBe(3)
    const refused = (await Promise.race(all)) as Response
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'licence/rate-limited',
    )
    release()
    await Promise.all(all)
    expect(answered.filter((status) => status === 200)).toHaveLength(3)
    // Once they are done, the licence counts again.
    expect((await post(s, '/usage', { licence, identifier: 'q9' })).status).toBe(200)
    expect((await s.store.licence(LICENCE_ID))?.used).toBe(4)
  })

  it('serves a signed URL only at the spelling it signed, and not once it expired', async () => {
    let ahead = 0
    const s = await start({ service: { now: () => new Date(Date.now() + ahead) } })
    await s.deliver(stripeEvent('checkout.session.completed', paidSession()))
    const licence = await (await claim(s)).text()
    const answer = await post(s, '/downloads', { licence, files: [PAID_SHA] })
    const { urls } = (await answer.json()) as { urls: { url: string }[] }
    const signed = new URL((urls[0] as { url: string }).url)
    const exp = signed.searchParams.get('exp') as string
    const sig = signed.searchParams.get('sig') as string
    const at = (path: string, query: string) => fetch(`${s.url}${path}?${query}`)
    // The order of the parameters and an extra one do not change what was signed.
    expect((await at(signed.pathname, `sig=${sig}&exp=${exp}&x=1`)).status).toBe(200)
    const swapped = sig.replace(/[a-z]/, (c) => c.toUpperCase())
    expect((await at(signed.pathname, `exp=${exp}&sig=${swapped}`)).status).toBe(403)
    expect((await at(signed.pathname, `exp=${Number(exp) + 1}&sig=${sig}`)).status).toBe(403)
    expect((await at(signed.pathname.toUpperCase(), signed.search.slice(1))).status).toBe(404)
    // The same hash under another folder is not a URL the service wrote.
    const folder = signed.pathname.replace(`/${PAID_SHA.slice(0, 2)}/`, '/00/')
    expect((await at(folder, signed.search.slice(1))).status).toBe(404)
    // Five minutes on, the same URL is refused.
    ahead = 301_000
    const expired = await fetch(signed)
    expect(expired.status).toBe(403)
    expect(((await expired.json()) as { error: { code: string } }).error.code).toBe(
      'licence/bad-url',
    )
  })

  it('refuses hostile /usage bodies with a code and a hint, and counts nothing for them', async () => {
    const s = await start()
    const licence = await perQueryLicence(s)
    const refusals: [unknown, string][] = [
      [{ licence, identifier: '' }, 'licence/bad-request'],
      [{ licence, identifier: 'a\u0000' }, 'licence/bad-request'],
      [{ licence, identifier: 'q\u0430' }, 'licence/bad-request'],
      [{ licence, identifier: 'q\u001b[2J' }, 'licence/bad-request'],
      [{ licence, identifier: 'x'.repeat(900_000) }, 'licence/bad-request'],
      [{ licence, identifier: ['a'] }, 'licence/bad-request'],
      [{ licence, identifier: { toString: 'a' } }, 'licence/bad-request'],
      [{ licence, identifier: 7 }, 'licence/bad-request'],
      [{ licence: [licence], identifier: 'a' }, 'licence/bad-request'],
      [{ licence: `${licence}x`, identifier: 'a' }, 'licence/malformed'],
      // A duplicated key: the last one is the one read, and checked.
      [
        { licence: licence.replace(/\}\s*$/, ',"alg":"none"}'), identifier: 'a' },
        'licence/wrong-alg',
      ],
    ]
    for (const [body, code] of refusals) {
      const answer = await post(s, '/usage', body)
      expect(answer.status).toBe(400)
      const { error } = (await answer.json()) as { error: { code: string; hint: string } }
      expect(error.code).toBe(code)
      expect(error.hint.length).toBeGreaterThan(10)
    }
    const raw = async (body: string, contentType = 'application/json') =>
      fetch(`${s.url}/usage`, { method: 'POST', headers: { 'content-type': contentType }, body })
    for (const body of [
      '',
      'null',
      '[]',
      '"licence"',
      '['.repeat(500_000),
      `{"licence":${'['.repeat(400_000)}`,
      `{"__proto__":{"licence":${JSON.stringify(licence)},"identifier":"p"}}`,
    ]) {
      const answer = await raw(body)
      expect(answer.status).toBe(400)
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe(
        'licence/bad-request',
      )
    }
    expect((await s.store.licence(LICENCE_ID))?.used).toBe(0)
    // Another licence's signature on this payload: refused as tampered.
    await s.deliver(
      stripeEvent(
        'checkout.session.completed',
        paidSession({
          id: 'cs_other',
          payment_intent: 'pi_other',
          metadata: { agora_item: 'acme/tox', agora_price_type: 'per-query' },
        }),
      ),
    )
    const other = await (await claim(s, licenceIdFor('cs_other'), 'cs_other')).text()
    const swapped = JSON.stringify({ ...JSON.parse(licence), sig: JSON.parse(other).sig })
    const tampered = await post(s, '/usage', { licence: swapped, identifier: 'a' })
    expect(((await tampered.json()) as { error: { code: string } }).error.code).toBe(
      'licence/tampered',
    )
    // One identifier on two licences: each counts its own.
    expect(await (await post(s, '/usage', { licence: other, identifier: 'a' })).json()).toEqual({
      counted: true,
      used: 1,
      limit: 2,
    })
    // The licence as an editor might have saved it counts like the original.
    expect(
      (await post(s, '/usage', { licence: `\uFEFF${licence}\r\n`, identifier: 'a' })).status,
    ).toBe(200)
    expect((await s.store.licence(LICENCE_ID))?.used).toBe(1)
  })

  it('issues nothing for a paid session without an id, and reverses nothing for a refund naming no charge', async () => {
    const lines: string[] = []
    const s = await start({ service: { log: (line) => lines.push(line) } })
    const { id: _, ...noId } = paidSession()
    expect((await s.deliver(stripeEvent('checkout.session.completed', noId))).status).toBe(200)
    expect((await s.store.counts()).licences).toBe(0)
    expect((await s.store.licence(licenceIdFor('undefined')))?.id).toBeUndefined()
    expect(lines.join('\n')).toContain('session without an id')
    await s.deliver(stripeEvent('checkout.session.completed', paidSession()))
    const refund = await s.deliver(
      stripeEvent('charge.refunded', { object: 'charge', payment_intent: 'pi_test_1' }),
    )
    expect(refund.status).toBe(200)
    // Revoked all the same; Stripe is not asked about a charge called "undefined".
    expect((await s.store.licence(LICENCE_ID))?.revoked).toBe(true)
    expect(s.calls).toEqual([])
    expect(lines.join('\n')).toContain('no charge: no transfer to reverse')
  })

  it('reverses the transfer of a dispute whose charge is expanded', async () => {
    const s = await start()
    await s.deliver(stripeEvent('checkout.session.completed', paidSession()))
    await s.deliver(
      stripeEvent('charge.dispute.created', {
        object: 'dispute',
        charge: { id: 'ch_9', object: 'charge' },
        payment_intent: 'pi_test_1',
      }),
    )
    expect(s.calls.map((c) => c.path)).toEqual([
      '/v1/charges/ch_9',
      '/v1/transfers/tr_of_ch_9/reversals',
    ])
  })

  it('refuses an event whose created time is not a time, storing nothing', async () => {
    const lines: string[] = []
    const s = await start({ service: { log: (line) => lines.push(line) } })
    for (const created of ['soon', 1e20, -5, 1.5]) {
      const event = { ...stripeEvent('checkout.session.completed', paidSession()), created }
      const answer = await s.deliver(event)
      expect(answer.status).toBe(400)
      expect(await answer.json()).toMatchObject({
        error: { code: 'licence/bad-webhook', message: 'the event has no valid created time' },
      })
    }
    expect(await s.store.counts()).toEqual({ events: 0, licences: 0, usage: 0 })
    expect(lines).toEqual([])
  })
})

describe('core/billing/service on a full SQLite disk', () => {
  it('answers 5xx, not 200, when the database file cannot grow', async () => {
    const file = join(tmp, 'full.db')
    const driver = openSqlite(file, { maxPageCount: 20 })
    const h = await startService(driver)
    try {
      const answers: number[] = []
      for (let i = 0; i < 60; i++) {
        const big = {
          ...paidSession({ id: `cs_full_${i}`, payment_intent: `pi_full_${i}` }),
          padding: 'x'.repeat(3000),
        }
        answers.push((await h.deliver(stripeEvent('checkout.session.completed', big))).status)
      }
      expect(answers).toContain(503)
      expect(answers).toContain(200)
      const stored = (await h.store.counts()).events
      // Every 200 was stored; no 503 was.
      expect(answers.filter((a) => a === 200).length).toBe(stored)
    } finally {
      await h.close()
    }
  })
})

describe('core/billing/testing stripe stub', () => {
  it("refuses requests Stripe's OpenAPI description refuses", async () => {
    const { checkStripeRequest } = await import('./testing/service.ts')
    expect(
      checkStripeRequest('POST', '/v1/billing/meter_events', 'event_name=e&payload[value]=1'),
    ).toEqual([])
    expect(
      checkStripeRequest('POST', '/v1/billing/meter_events', 'payload[value]=1&colour=red'),
    ).toEqual([
      '/v1/billing/meter_events: colour is not a field',
      '/v1/billing/meter_events: event_name is required',
    ])
    expect(
      checkStripeRequest(
        'POST',
        '/v1/billing/meter_events',
        `event_name=e&payload[value]=1&identifier=${'x'.repeat(101)}`,
      ),
    ).toEqual(['/v1/billing/meter_events: identifier is longer than 100'])
    expect(checkStripeRequest('POST', '/v1/nothing', '')).toEqual([
      'POST /v1/nothing is not a Stripe API operation',
    ])
  })
})
