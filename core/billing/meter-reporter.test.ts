import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { licenceIdFor } from '#core/licence'
import { startMeterReporter } from './meter-reporter.ts'
import { openSqlite } from './sql-driver.ts'
import { createStore, type LicenceStore } from './store.ts'
import { isPermanentStripeFailure, type StripeCalls, stripeCalls } from './stripe-calls.ts'
import { planEvent } from './stripe-events.ts'
import { catalog, paidSession, stripeEvent } from './testing/service.ts'

let tmp: string
let n = 0
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'agora-meter-'))
})
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

const RATE = { perSecond: 1e6, burst: 1e9 }

/** A store holding one per-query licence (2 queries) with a customer to bill. */
async function storeWithLicence(): Promise<{ store: LicenceStore; licence: string }> {
  const store = await createStore(openSqlite(join(tmp, `meter-${++n}.db`)))
  const event = stripeEvent(
    'checkout.session.completed',
    paidSession({ metadata: { agora_item: 'acme/tox', agora_price_type: 'per-query' } }),
  )
  const { effect } = await planEvent(event, { catalog })
  await store.recordEvent(event, effect, new Date())
  return { store, licence: licenceIdFor('cs_test_paid_1') }
}

/** StripeCalls that record each meter event, or fail it with `fail`. */
function recording(
  fail?: () => Error,
): StripeCalls & { events: { identifier: string; timestamp: number }[] } {
  const events: { identifier: string; timestamp: number }[] = []
  return {
    events,
    reverseTransfer: async () => {
      throw new Error('not expected')
    },
    meterEvent: async (event) => {
      if (fail) throw fail()
      events.push(event)
    },
  }
}

describe('core/billing/meter-reporter', () => {
  it('bills the time of the query, but never ahead of its own clock', async () => {
    const { store, licence } = await storeWithLicence()
    const now = new Date('2026-12-01T12:00:00.000Z')
    await store.countUsage(licence, 'past', new Date(now.getTime() - 3 * 86400_000), RATE)
    // Counted by an instance whose clock ran an hour fast.
    await store.countUsage(licence, 'ahead', new Date(now.getTime() + 3600_000), RATE)
    const calls = recording()
    const reporter = startMeterReporter({ store, calls, log: () => undefined, now: () => now })
    await reporter.flush()
    const at = Object.fromEntries(
      calls.events.map((e) => [e.identifier.split(':')[1], e.timestamp]),
    )
    expect(at).toEqual({
      past: now.getTime() / 1000 - 3 * 86400,
      ahead: now.getTime() / 1000,
    })
    await reporter.close()
    await store.close()
  })

  it('lets the queries woken for within its window gather into one claim', async () => {
    const { store, licence } = await storeWithLicence()
    const claims = vi.spyOn(store, 'claimMeterEvents')
    const calls = recording()
    const reporter = startMeterReporter({
      store,
      calls,
      log: () => undefined,
      settings: { gatherMs: 200 },
    })
    for (const identifier of ['q1', 'q2']) {
      await store.countUsage(licence, identifier, new Date(), RATE)
      reporter.wake()
    }
    await vi.waitFor(() => expect(calls.events).toHaveLength(2), { timeout: 5000 })
    expect(claims).toHaveBeenCalledTimes(1)
    await reporter.close()
    await store.close()
  })

  it('doubles the delay between retries up to its cap, and logs each failed round', async () => {
    const { store, licence } = await storeWithLicence()
    await store.countUsage(licence, 'q1', new Date(), RATE)
    const lines: string[] = []
    const reporter = startMeterReporter({
      store,
      calls: recording(() => new Error('connection reset')),
      log: (line) => lines.push(line),
      settings: { retrySeconds: 0.001, maxRetrySeconds: 0.004, sweepSeconds: 3600 },
    })
    await vi.waitFor(
      async () => {
        await reporter.flush()
        expect(lines.length).toBeGreaterThanOrEqual(4)
      },
      { timeout: 10_000 },
    )
    expect(lines.slice(0, 4)).toEqual(
      ['0.001', '0.002', '0.004', '0.004'].map(
        (delay) => `meter: 1 event not sent, retried in ${delay} s or more: connection reset`,
      ),
    )
    expect(await store.meterBacklog()).toEqual({ unsent: 1, refused: 0 })
    await reporter.close(0)
    await store.close()
  })

  it.each([
    [400, true],
    [404, true],
    [401, false],
    [403, false],
    [408, false],
    [409, false],
    [429, false],
    [500, false],
    [503, false],
  ])('treats a Stripe answer of %i as final: %s', async (status, permanent) => {
    const stripe = new Stripe('sk_test_x', {
      httpClient: Stripe.createFetchHttpClient(
        async () =>
          new Response(JSON.stringify({ error: { type: 'api_error', message: 'no' } }), {
            status,
            headers: { 'content-type': 'application/json' },
          }),
      ),
      maxNetworkRetries: 0,
    })
    const error = await stripeCalls(stripe)
      .meterEvent({ eventName: 'e', customer: 'cus_1', identifier: 'lic:q', timestamp: 1 })
      .catch((e: unknown) => e)
    expect(isPermanentStripeFailure(error)).toBe(permanent)
  })

  it('retries after a network failure', () => {
    expect(isPermanentStripeFailure(new Error('ECONNRESET'))).toBe(false)
  })
})
