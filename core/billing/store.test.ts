import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { licenceIdFor } from '#core/licence'
import { openPostgres, openSqlite, type SqlDriver } from './sql-driver.ts'
import { createStore, type LicenceStore, type StoredLicence } from './store.ts'
import { planEvent, type StripeEvent } from './stripe-events.ts'
import { hasPostgres, startPostgres, type TempPostgres } from './testing/postgres.ts'
import { catalog, paidSession, stripeEvent } from './testing/service.ts'

let pgServer: TempPostgres | undefined
let tmp: string
let n = 0

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'agora-store-'))
  if (hasPostgres()) pgServer = await startPostgres()
  else
    console.warn(
      'PostgreSQL binaries not found (PG_BIN): the postgres half of the store race tests is skipped',
    )
}, 60_000)
afterAll(async () => {
  pgServer?.stop()
  await rm(tmp, { recursive: true, force: true })
}, 60_000)

const NOW = Math.floor(Date.now() / 1000)

/** One payment's events, with ids unique to `k` so cases share a database. */
function eventsFor(k: number) {
  const at = (event: ReturnType<typeof stripeEvent>, created: number) => ({ ...event, created })
  const invoice = (id: string, pi: string, end: number, created: number) =>
    at(
      stripeEvent('invoice.paid', {
        id,
        object: 'invoice',
        customer: `cus_${k}`,
        subscription: `sub_${k}`,
        payment_intent: pi,
        subscription_details: {
          metadata: { agora_item: 'acme/tox', agora_price_type: 'subscription' },
        },
        lines: { data: [{ period: { start: end - 30 * 86400, end } }] },
      }),
      created,
    )
  const revoke = (type: 'charge.refunded' | 'charge.dispute.created', pi: string) =>
    stripeEvent(type, {
      id: type === 'charge.refunded' ? `ch_${k}` : `dp_${k}`,
      object: type === 'charge.refunded' ? 'charge' : 'dispute',
      charge: `ch_${k}`,
      payment_intent: pi,
    })
  const session = (type: string) =>
    stripeEvent(type, paidSession({ id: `cs_${k}`, payment_intent: `pi_${k}` }))
  return {
    licence: licenceIdFor(`cs_${k}`),
    subscription: licenceIdFor(`sub_${k}`),
    completed: session('checkout.session.completed'),
    asyncPaid: session('checkout.session.async_payment_succeeded'),
    refund: revoke('charge.refunded', `pi_${k}`),
    dispute: revoke('charge.dispute.created', `pi_${k}`),
    subscribed: at(
      stripeEvent(
        'checkout.session.completed',
        paidSession({
          id: `cs_${k}`,
          mode: 'subscription',
          subscription: `sub_${k}`,
          payment_intent: null,
          metadata: { agora_item: 'acme/tox', agora_price_type: 'subscription' },
        }),
      ),
      NOW - 90 * 86400,
    ),
    firstInvoice: invoice(`in_${k}_1`, `pi_${k}_1`, NOW + 30 * 86400, NOW - 60 * 86400),
    renewal: invoice(`in_${k}_2`, `pi_${k}_2`, NOW + 60 * 86400, NOW - 30 * 86400),
    laterRenewal: invoice(`in_${k}_3`, `pi_${k}_3`, NOW + 90 * 86400, NOW - 10),
    refundFirstInvoice: revoke('charge.refunded', `pi_${k}_1`),
    refundRenewal: revoke('charge.refunded', `pi_${k}_2`),
    disputeRenewal: revoke('charge.dispute.created', `pi_${k}_2`),
  }
}
type Events = ReturnType<typeof eventsFor>
type Name = Exclude<keyof Events, 'licence' | 'subscription'>

/** Two events on one payment or subscription, what happened before them, and the licence they meet on. */
interface Pair {
  name: string
  before: Name[]
  events: [Name, Name]
  licence: (e: Events) => string
  expected: (stored: StoredLicence | undefined, e: Events) => void
}

const revoked = (stored: StoredLicence | undefined) => expect(stored?.revoked).toBe(true)

const PAIRS: Pair[] = [
  {
    name: 'completion and refund',
    before: [],
    events: ['completed', 'refund'],
    licence: (e) => e.licence,
    expected: revoked,
  },
  {
    name: 'completion and dispute',
    before: [],
    events: ['completed', 'dispute'],
    licence: (e) => e.licence,
    expected: revoked,
  },
  {
    name: 'async payment and refund',
    before: [],
    events: ['asyncPaid', 'refund'],
    licence: (e) => e.licence,
    expected: revoked,
  },
  {
    name: 'first invoice and its refund',
    before: [],
    events: ['firstInvoice', 'refundFirstInvoice'],
    licence: (e) => e.subscription,
    expected: revoked,
  },
  {
    name: 'renewal and its refund',
    before: ['subscribed', 'firstInvoice'],
    events: ['renewal', 'refundRenewal'],
    licence: (e) => e.subscription,
    expected: revoked,
  },
  {
    name: 'renewal and its dispute',
    before: ['subscribed', 'firstInvoice'],
    events: ['renewal', 'disputeRenewal'],
    licence: (e) => e.subscription,
    expected: revoked,
  },
  {
    name: 'two renewals',
    before: ['subscribed', 'firstInvoice'],
    events: ['renewal', 'laterRenewal'],
    licence: (e) => e.subscription,
    expected: (stored, e) =>
      expect(stored).toMatchObject({
        revoked: false,
        paymentIntent: e.laterRenewal.data.object.payment_intent,
        payload: { period_end: new Date((NOW + 90 * 86400) * 1000).toISOString() },
      }),
  },
  {
    name: 'refund and dispute of one payment (two transfer reversals)',
    before: ['completed'],
    events: ['refund', 'dispute'],
    licence: (e) => e.licence,
    expected: revoked,
  },
]

async function apply(store: LicenceStore, event: StripeEvent): Promise<string> {
  const { effect } = await planEvent(event, { catalog })
  return store.recordEvent(event, effect, new Date())
}

/** A promise and whether it has settled, without an unhandled rejection meanwhile. */
function track<T>(promise: Promise<T>): { settled: () => boolean; result: Promise<T> } {
  let settled = false
  const result = promise.finally(() => {
    settled = true
  })
  result.catch(() => undefined)
  return { settled: () => settled, result }
}

/** Where a third connection holds a lock the first event needs, so the second runs meanwhile. */
type Hold = 'event' | 'meta' | 'licence'

/** PostgreSQL backends of this database waiting for a lock. */
async function waiting(admin: pg.Client): Promise<number> {
  const { rows } = await admin.query(
    `SELECT COUNT(*) AS n FROM pg_stat_activity
     WHERE datname = current_database() AND wait_event_type = 'Lock'`,
  )
  return Number(rows[0]?.n)
}

/** Polls until `count` backends wait for a lock or `done` says there is nothing left to wait for. */
async function untilWaiting(admin: pg.Client, count: number, done: () => boolean): Promise<void> {
  while (!done() && (await waiting(admin)) < count)
    await new Promise((resolve) => setTimeout(resolve, 2))
}

/**
 * Runs `first` on instance A while `admin` holds a lock it needs (its event
 * id, the revision row every revocation bumps, or the licence row), so its
 * transaction is open, part done, when `second` runs on instance B; then
 * lets `first` go. True when `first` was indeed held while `second` ran.
 */
async function interleave(
  admin: pg.Client,
  [a, b]: [LicenceStore, LicenceStore],
  first: StripeEvent,
  second: StripeEvent,
  hold: Hold,
  licenceId: string,
): Promise<boolean> {
  await admin.query('BEGIN')
  if (hold === 'event')
    await admin.query(`INSERT INTO events (id, type, received) VALUES ($1, 'held', '')`, [first.id])
  if (hold === 'meta') await admin.query('UPDATE meta SET revision = revision WHERE id = 1')
  if (hold === 'licence')
    await admin.query('SELECT 1 FROM licences WHERE id = $1 FOR UPDATE', [licenceId])
  const one = track(apply(a, first))
  await untilWaiting(admin, 1, one.settled)
  const two = track(apply(b, second))
  await untilWaiting(admin, 2, () => one.settled() || two.settled())
  const held = !one.settled()
  await admin.query('ROLLBACK')
  await Promise.all([one.result, two.result])
  return held
}

const isRevoke = (event: StripeEvent) =>
  event.type === 'charge.refunded' || event.type === 'charge.dispute.created'

const holdsFor = (event: StripeEvent, licenceExists: boolean): Hold[] => {
  return [
    'event' as const,
    ...(isRevoke(event) ? (['meta'] as const) : []),
    ...(licenceExists ? (['licence'] as const) : []),
  ]
}

describe('core/billing/store: two events on one payment at two instances', () => {
  type Backend = {
    name: string
    /** Two instances' stores on one fresh database. */
    open: () => Promise<{
      stores: [LicenceStore, LicenceStore]
      url?: string
      close(): Promise<void>
    }>
  }
  const backends: Backend[] = [
    {
      name: 'sqlite',
      // One process's instances share its one connection, whose queue
      // serialises them; other processes wait on BEGIN IMMEDIATE.
      open: async () => {
        const driver = openSqlite(join(tmp, `race-${++n}.db`))
        const store = await createStore(driver)
        return { stores: [store, await createStore(driver)], close: () => store.close() }
      },
    },
    {
      name: 'postgres',
      open: async () => {
        const url = await (pgServer as TempPostgres).createDatabase(`race${++n}`)
        const open = async (): Promise<LicenceStore> => createStore(await openPostgres(url))
        const stores: [LicenceStore, LicenceStore] = [await open(), await open()]
        return {
          stores,
          url,
          close: async () => {
            await stores[0].close()
            await stores[1].close()
          },
        }
      },
    },
  ]

  describe.each(backends)('on $name', (backend) => {
    it.each(PAIRS)(
      '$name: every order and interleaving ends in one state',
      async (pair) => {
        if (backend.name === 'postgres' && !pgServer) return
        const { stores, url, close } = await backend.open()
        const admin = url ? new pg.Client({ connectionString: url }) : undefined
        await admin?.connect()
        let k = 0
        const finals: { how: string; stored: StoredLicence | undefined }[] = []
        const run = async (how: string, go: (e: Events) => Promise<void>) => {
          const e = eventsFor(n * 1000 + ++k)
          for (const name of pair.before) await apply(stores[0], e[name] as StripeEvent)
          await go(e)
          const stored = await stores[0].licence(pair.licence(e))
          try {
            pair.expected(stored, e)
          } catch (error) {
            throw new Error(`${how}: ${(error as Error).message}`)
          }
          finals.push({ how, stored })
        }
        try {
          const [x, y] = pair.events
          await run(`${x} then ${y}`, async (e) => {
            await apply(stores[0], e[x] as StripeEvent)
            await apply(stores[1], e[y] as StripeEvent)
          })
          await run(`${y} then ${x}`, async (e) => {
            await apply(stores[0], e[y] as StripeEvent)
            await apply(stores[1], e[x] as StripeEvent)
          })
          for (let round = 0; round < 10; round++)
            await run(`${x} and ${y} at once`, async (e) => {
              await Promise.all([
                apply(stores[0], e[x] as StripeEvent),
                apply(stores[1], e[y] as StripeEvent),
              ])
            })
          if (admin) {
            for (const [first, second] of [
              [x, y],
              [y, x],
            ] as const) {
              const sample = eventsFor(0)[first] as StripeEvent
              for (const hold of holdsFor(sample, pair.before.length > 0))
                await run(`${second} while ${first} is held at its ${hold}`, async (e) => {
                  const held = await interleave(
                    admin,
                    stores,
                    e[first] as StripeEvent,
                    e[second] as StripeEvent,
                    hold,
                    pair.licence(e),
                  )
                  // The interleaving happened. (A refund waits at the licence
                  // row only when the licence is still on its payment.)
                  if (hold !== 'licence' || !isRevoke(sample))
                    expect({ first, second, hold, held }).toEqual({
                      first,
                      second,
                      hold,
                      held: true,
                    })
                })
            }
          }
          // The same final row whatever the order (ids and the claim aside, which differ per run).
          const shape = (s: StoredLicence | undefined) => ({
            revoked: s?.revoked,
            type: s?.payload.type,
            period: s?.payload.period_end ?? null,
            limit: s?.limit,
            used: s?.used,
          })
          const first = shape(finals[0]?.stored)
          for (const f of finals)
            expect({ how: f.how, ...shape(f.stored) }).toEqual({ how: f.how, ...first })
        } finally {
          await admin?.end()
          await close()
        }
      },
      60_000,
    )
  })
})

describe('core/billing/store: a database from before the payments table', () => {
  it.each(['sqlite', 'postgres'])(
    'on %s keeps a payment refunded then revoked for a completion that arrives later',
    async (name) => {
      if (name === 'postgres' && !pgServer) return
      const open = async () =>
        name === 'sqlite'
          ? openSqlite(join(tmp, 'before-payments.db'))
          : openPostgres(await (pgServer as TempPostgres).createDatabase(`before${++n}`))
      const driver = await open()
      const e = eventsFor(++n * 1000)
      const old = await createStore(driver)
      await apply(old, e.refund)
      // What the refund left in a database of that time: the revocation alone.
      await driver.query('DROP TABLE payments')
      const store = await createStore(driver)
      await apply(store, e.completed)
      expect((await store.licence(e.licence))?.revoked).toBe(true)
      await store.close()
    },
  )
})

describe('core/billing/store: round trips to PostgreSQL', () => {
  it('records a completion in one statement and a refund in two inside one transaction', async () => {
    if (!pgServer) return
    const driver = await openPostgres(await pgServer.createDatabase(`trips${++n}`))
    let trips = 0
    const counting: SqlDriver = {
      ...driver,
      query: (sql, params) => {
        trips += 1
        return driver.query(sql, params)
      },
      transaction: (fn) =>
        driver.transaction((q) => {
          trips += 2 // BEGIN and COMMIT
          return fn((sql, params) => {
            trips += 1
            return q(sql, params)
          })
        }),
    }
    const store = await createStore(counting)
    const e = eventsFor(++n * 1000)
    const tripsOf = async (event: StripeEvent) => {
      trips = 0
      await apply(store, event)
      return trips
    }
    expect({
      completion: await tripsOf(e.completed),
      refund: await tripsOf(e.refund),
      replayedRefund: await tripsOf(e.refund),
    }).toEqual({ completion: 1, refund: 4, replayedRefund: 3 })
    expect((await store.licence(e.licence))?.revoked).toBe(true)
    expect((await store.revocations()).revision).toBe(1)
    await store.close()
  })
})

/** A per-query licence for `k`'s checkout, with a customer to bill. */
async function perQueryLicence(store: LicenceStore, k: number): Promise<string> {
  await apply(
    store,
    stripeEvent(
      'checkout.session.completed',
      paidSession({
        id: `cs_pq_${k}`,
        payment_intent: `pi_pq_${k}`,
        customer: `cus_pq_${k}`,
        metadata: { agora_item: 'acme/tox', agora_price_type: 'per-query' },
      }),
    ),
  )
  return licenceIdFor(`cs_pq_${k}`)
}

describe('core/billing/store: the meter-event outbox', () => {
  it.each(['sqlite', 'postgres'])(
    'on %s hands each unsent row to one of two reporters claiming at once',
    async (name) => {
      if (name === 'postgres' && !pgServer) return
      const file = join(tmp, `claims-${++n}.db`)
      const url =
        name === 'postgres' ? await (pgServer as TempPostgres).createDatabase(`claims${n}`) : ''
      const open = async () => createStore(url ? await openPostgres(url) : openSqlite(file))
      const [a, b] = [await open(), await open()]
      try {
        const licence = await perQueryLicence(a, ++n)
        const at = new Date()
        for (let k = 0; k < 120; k++)
          expect(
            (await a.countUsage(licence, `q${k}`, at, { perSecond: 1e6, burst: 1e9 })).status,
          ).toMatch(/counted|exceeded/)
        // The test catalog sells 2 queries: the rest are added as the counts would have.
        const driver = url ? await openPostgres(url) : openSqlite(file)
        for (let k = 2; k < 120; k++)
          await driver.query(
            `INSERT INTO usage (licence_id, identifier, at, meter) VALUES ($1, $2, $3, 'unsent')`,
            [licence, `q${k}`, at.toISOString()],
          )
        await driver.close()
        const claimed: string[] = []
        const reporter = async (store: LicenceStore) => {
          for (;;) {
            const claims = await store.claimMeterEvents(4, 60)
            if (claims.length === 0) return
            claimed.push(...claims.map((c) => c.identifier))
          }
        }
        await Promise.all([reporter(a), reporter(b), reporter(a), reporter(b)])
        expect(claimed.toSorted()).toEqual(
          Array.from({ length: 120 }, (_, k) => `q${k}`).toSorted(),
        )
        // Leased: claimed again by nobody until the lease runs out.
        expect(await b.claimMeterEvents(10, 60)).toEqual([])
        expect(await a.meterBacklog()).toEqual({ unsent: 120, refused: 0 })
      } finally {
        await a.close()
        await b.close()
      }
    },
    60_000,
  )

  it.each(['sqlite', 'postgres'])(
    'on %s claims with the query time, customer and item, and records each outcome',
    async (name) => {
      if (name === 'postgres' && !pgServer) return
      const store = await createStore(
        name === 'sqlite'
          ? openSqlite(join(tmp, `outcomes-${++n}.db`))
          : await openPostgres(await (pgServer as TempPostgres).createDatabase(`outcomes${++n}`)),
      )
      try {
        const licence = await perQueryLicence(store, ++n)
        const at = new Date('2026-11-30T12:00:00.000Z')
        const rate = { perSecond: 1e6, burst: 1e9 }
        await store.countUsage(licence, 'q1', at, rate)
        await store.countUsage(licence, 'q2', at, rate)
        const claims = await store.claimMeterEvents(10, 0)
        expect(claims.toSorted((x, y) => x.identifier.localeCompare(y.identifier))).toEqual([
          {
            licenceId: licence,
            identifier: 'q1',
            at: at.toISOString(),
            customer: `cus_pq_${n}`,
            item: { kind: 'model', ns: 'acme', name: 'tox' },
            attempts: 1,
          },
          expect.objectContaining({ identifier: 'q2', attempts: 1 }),
        ])
        await store.settleMeterEvents([
          { licenceId: licence, identifier: 'q1', outcome: 'sent' },
          {
            licenceId: licence,
            identifier: 'q2',
            outcome: 'retry',
            retryInSeconds: 0,
            error: 'down',
          },
        ])
        expect(await store.meterBacklog()).toEqual({ unsent: 1, refused: 0 })
        // Due again at once (a zero delay), tried a second time.
        expect(
          (await store.claimMeterEvents(10, 60)).map((c) => [c.identifier, c.attempts]),
        ).toEqual([['q2', 2]])
        await store.settleMeterEvents([
          { licenceId: licence, identifier: 'q2', outcome: 'refused', error: 'no such customer' },
        ])
        expect(await store.meterBacklog()).toEqual({ unsent: 0, refused: 1 })
        expect(await store.claimMeterEvents(10, 0)).toEqual([])
      } finally {
        await store.close()
      }
    },
  )

  it.each(['sqlite', 'postgres'])(
    'on %s takes usage rows from before the outbox as metered, and adds the columns once',
    async (name) => {
      if (name === 'postgres' && !pgServer) return
      const driver =
        name === 'sqlite'
          ? openSqlite(join(tmp, `before-outbox-${++n}.db`))
          : await openPostgres(
              await (pgServer as TempPostgres).createDatabase(`beforeoutbox${++n}`),
            )
      // The usage table of that time, with a query metered as it was counted.
      await driver.query(`CREATE TABLE usage (
        licence_id TEXT NOT NULL, identifier TEXT NOT NULL, at TEXT NOT NULL,
        PRIMARY KEY (licence_id, identifier))`)
      const old = await createStore(driver)
      const licence = await perQueryLicence(old, ++n)
      await driver.query('INSERT INTO usage (licence_id, identifier, at) VALUES ($1, $2, $3)', [
        licence,
        'old',
        new Date().toISOString(),
      ])
      const store = await createStore(driver)
      expect(await store.meterBacklog()).toEqual({ unsent: 0, refused: 0 })
      await store.countUsage(licence, 'new', new Date(), { perSecond: 1e6, burst: 1e9 })
      expect((await store.claimMeterEvents(10, 60)).map((c) => c.identifier)).toEqual(['new'])
      await store.close()
    },
  )
})
