/**
 * The licence service under autocannon on loopback, each service in its own
 * process: webhook deliveries (each a new paid checkout, so each issues a
 * licence) and per-query usage counts on SQLite, then two service processes
 * sharing one PostgreSQL: webhooks, every event delivered to both at once,
 * and usage of one per-query licence through both at once. Rows are counted
 * afterwards: one event and one licence per distinct delivery, one usage row
 * per counted query, none lost or doubled.
 *
 * Usage runs twice: all queries on one licence (the worst case: one
 * licence's queries are serialised on its row, for its limit and rate), and
 * spread over --buyers per-query licences (many buyers, as a hub sees them).
 * After each usage run the bench waits for the services' meter reporters to
 * send the backlog, then checks that the fake Stripe saw exactly one
 * distinct meter identifier per counted usage row: none lost, none extra
 * (a row sent twice, which Stripe counts once, is reported separately).
 *
 * --connections is the load offered in all, as autocannon's closed loop of
 * that many connections: all to the SQLite service, and split evenly
 * between the two PostgreSQL services, so both runs queue the same number
 * of requests (each instance's p99 at saturation is that queue).
 *
 * --no-meter answers the reporters' meter events at once, without the
 * stripe package building and sending them, to show what that costs the
 * process now that it runs beside the requests instead of inside them.
 *
 *   ./node_modules/.bin/node scripts/bench/licence-service.ts [--seconds 10] [--connections 10] [--buyers 64] [--postgres-only] [--no-meter]
 */
import { spawn } from 'node:child_process'
import { createPrivateKey } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import Stripe from 'stripe'
import { rawPublicKey } from '#core/index-format'
import { keyringOf } from '#core/licence'
import { openPostgres, openSqlite, type SqlDriver } from '../../core/billing/sql-driver.ts'
import { createStore } from '../../core/billing/store.ts'
import { hasPostgres, startPostgres } from '../../core/billing/testing/postgres.ts'
import {
  PAID_SHA,
  paidSession,
  startService,
  WEBHOOK_SECRET,
} from '../../core/billing/testing/service.ts'
import { licenceIdFor } from '../../core/licence/licence.ts'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string' },
    connections: { type: 'string' },
    serve: { type: 'string' },
    'postgres-only': { type: 'boolean' },
    buyers: { type: 'string' },
    'no-meter': { type: 'boolean' },
    'meter-log': { type: 'string' },
  },
})

interface Child {
  url: string
  /** Stops the service; resolves with the statements it sent PostgreSQL (one round trip each). */
  stop: () => Promise<number>
  /** The meter identifiers it sent Stripe, once stopped. */
  metered: () => Promise<string[]>
}

let children = 0
async function startChild(db: string, dir: string): Promise<Child> {
  const meterLog = join(dir, `metered-${++children}.txt`)
  const args = [fileURLToPath(import.meta.url), '--serve', db, '--meter-log', meterLog]
  if (values['no-meter']) args.push('--no-meter')
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const first = await lines.next()
  if (first.done) throw new Error('the service exited before printing its URL')
  return {
    url: first.value,
    stop: async () => {
      child.kill('SIGTERM')
      const last = await lines.next()
      return Number(/^round trips (\d+)$/.exec(last.value ?? '')?.[1] ?? Number.NaN)
    },
    metered: async () => (await readFile(meterLog, 'utf8')).split('\n').filter(Boolean),
  }
}

/**
 * Waits (at most two minutes) until no meter event is left unsent in the
 * shared store, as `url`'s /healthz reports it; resolves with the seconds it took.
 */
async function drained(url: string): Promise<number> {
  const start = Date.now()
  for (;;) {
    const health = (await (await fetch(`${url}/healthz`)).json()) as {
      meter: { unsent: number } | null
    }
    if (health.meter?.unsent === 0 || Date.now() - start > 120_000)
      return (Date.now() - start) / 1000
    await new Promise((done) => setTimeout(done, 100))
  }
}

/**
 * Compares the meter identifiers the fake Stripe saw (from every
 * instance) with the usage rows the store counted for customers: one
 * distinct identifier per row, none lost, none extra.
 */
async function meterCheck(
  open: () => Promise<SqlDriver>,
  sent: string[],
  waited: number,
): Promise<string> {
  const driver = await open()
  const rows = await driver.query("SELECT licence_id, identifier FROM usage WHERE meter <> 'none'")
  const [left] = await driver.query(
    "SELECT COUNT(*) AS n FROM usage WHERE meter IN ('unsent', 'refused')",
  )
  await driver.close()
  const expected = new Set(rows.map((r) => `${r.licence_id}:${r.identifier}`))
  const seen = new Set(sent)
  const lost = [...expected].filter((id) => !seen.has(id)).length
  const extra = [...seen].filter((id) => !expected.has(id)).length
  const fine = lost === 0 && extra === 0 && seen.size === expected.size
  return `meter events: ${seen.size} distinct identifiers for ${expected.size} counted rows (${sent.length} sends, ${sent.length - seen.size} repeated; ${lost} lost, ${extra} extra, ${Number(left?.n)} unsent or refused) after ${waited.toFixed(1)} s ${fine ? '✔' : '✘'}`
}

const stripe = new Stripe('sk_test_bench')
function webhookRequest(id: number) {
  const event = {
    id: `evt_bench_${id}`,
    object: 'event',
    type: 'checkout.session.completed',
    created: Math.floor(Date.now() / 1000),
    data: { object: paidSession({ id: `cs_bench_${id}`, payment_intent: `pi_bench_${id}` }) },
  }
  const body = JSON.stringify(event)
  const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret: WEBHOOK_SECRET })
  return {
    method: 'POST' as const,
    path: '/stripe/webhook',
    body,
    headers: { 'content-type': 'application/json', 'stripe-signature': header },
  }
}

async function sendSigned(url: string, body: string): Promise<void> {
  await fetch(`${url}/stripe/webhook`, {
    method: 'POST',
    headers: {
      'stripe-signature': stripe.webhooks.generateTestHeaderString({
        payload: body,
        secret: WEBHOOK_SECRET,
      }),
    },
    body,
  })
}

/** Issues `count` per-query licences through the service and returns their files. */
async function perQueryLicences(url: string, count: number, tag: string): Promise<string[]> {
  const licences: string[] = []
  for (let i = 0; i < count; i++) {
    const session = `cs_bench_${tag}_${i}`
    await sendSigned(
      url,
      JSON.stringify({
        id: `evt_bench_${tag}_${i}`,
        object: 'event',
        type: 'checkout.session.completed',
        created: Math.floor(Date.now() / 1000),
        data: {
          object: paidSession({
            id: session,
            payment_intent: `pi_${tag}_${i}`,
            metadata: { agora_item: 'acme/tox', agora_price_type: 'per-query' },
          }),
        },
      }),
    )
    licences.push(
      await (await fetch(`${url}/licences/${licenceIdFor(session)}?claim=${session}`)).text(),
    )
  }
  return licences
}

/** Usage requests on the licences in turn, each with a new identifier, and how many were made. */
function usageOf(licences: string[], prefix: string): { next: () => object; sent: () => number } {
  let n = 0
  return {
    next: () => {
      n += 1
      return {
        method: 'POST',
        path: '/usage',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          licence: licences[n % licences.length],
          identifier: `${prefix}${n}`,
        }),
      }
    },
    sent: () => n,
  }
}

/** The part of autocannon's result the report reads (the package ships no types). */
interface Result {
  requests: { average: number }
  latency: { p99: number }
  '2xx': number
  non2xx: number
  errors: number
  /** Answered 2xx in the warm-up before the measured seconds (not in the figures). */
  warm?: number
}
const autocannon = createRequire(import.meta.url)('autocannon') as (options: {
  url: string
  connections: number
  duration?: number
  amount?: number
  requests: { setupRequest: (request: object) => object }[]
}) => Promise<Result>
/** Requests sent to each instance before it is measured. */
const WARM_UP = 500
async function load(
  url: string,
  seconds: number,
  connections: number,
  next: () => object,
): Promise<Result> {
  const requests = [{ setupRequest: (req: object) => ({ ...req, ...next() }) }]
  // A warm-up first, drained of its meter events: what a process does once
  // (loading modules lazily, compiling hot paths) stays out of the figures,
  // as it stays out of a service's steady state.
  const warm = await autocannon({ url, connections, amount: WARM_UP, requests })
  await drained(url)
  const measured = await autocannon({ url, connections, duration: seconds, requests })
  return { ...measured, warm: warm['2xx'] }
}
/** Answered 2xx, warm-up included: what the row counts are checked against. */
const ok = (r: Result) => r['2xx'] + (r.warm ?? 0)
const line = (name: string, r: Result) =>
  `  ${name.padEnd(44)} ${r.requests.average.toFixed(0).padStart(6)} req/s  p99 ${String(r.latency.p99).padStart(4)} ms  2xx ${r['2xx']} (+${r.warm ?? 0} warm-up)  non-2xx ${r.non2xx}  errors ${r.errors}`

async function main(): Promise<void> {
  const seconds = Number(values.seconds ?? 10)
  const connections = Number(values.connections ?? 10)
  const buyers = Number(values.buyers ?? 64)
  const dir = await mkdtemp(join(tmpdir(), 'agora-bench-licence-'))
  const before = loadavg()[0] as number
  try {
    // The two PostgreSQL instances share the connections: the same requests in flight as on SQLite.
    const each = Math.max(1, Math.round(connections / 2))
    console.log(
      `licence service on loopback, ${connections} connections in all (${each} to each PostgreSQL instance), ${seconds} s each`,
    )
    // Requests still in flight when autocannon stops are stored but not counted as 2xx.
    const whole = (rowsSeen: number, acked: number, built: number) =>
      acked <= rowsSeen && rowsSeen <= built ? '✔' : '✘'
    const claim = webhookRequest(0)
    const perQuery = {
      ...JSON.parse(claim.body),
      id: 'evt_bench_pq',
      data: {
        object: paidSession({
          id: 'cs_bench_pq',
          payment_intent: 'pi_pq',
          metadata: { agora_item: 'acme/tox', agora_price_type: 'per-query' },
        }),
      },
    }
    const pqBody = JSON.stringify(perQuery)
    if (!values['postgres-only']) {
      // SQLite: webhooks, then usage of one per-query licence.
      const file = join(dir, 'licences.db')
      const sqlite = await startChild(file, dir)
      let id = 0
      const hooks = await load(sqlite.url, seconds, connections, () => webhookRequest(++id))
      await sendSigned(sqlite.url, pqBody)
      const licence = await (
        await fetch(`${sqlite.url}/licences/${licenceIdFor('cs_bench_pq')}?claim=cs_bench_pq`)
      ).text()
      let q = 0
      const usage = await load(sqlite.url, seconds, connections, () => ({
        method: 'POST',
        path: '/usage',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ licence, identifier: `q${++q}` }),
      }))
      const spreadUsage = usageOf(await perQueryLicences(sqlite.url, buyers, 'sq'), 's')
      const spread = await load(sqlite.url, seconds, connections, spreadUsage.next)
      const spreadSent = spreadUsage.sent
      const sqliteWait = await drained(sqlite.url)
      await sqlite.stop()
      const sqliteMeter = await meterCheck(
        async () => openSqlite(file),
        await sqlite.metered(),
        sqliteWait,
      )
      const store = await createStore(openSqlite(file))
      const rows = await store.counts()
      await store.close()
      console.log(line('SQLite: POST /stripe/webhook (new checkout)', hooks))
      console.log(line('SQLite: POST /usage (new identifier)', usage))
      console.log(line(`SQLite: POST /usage, ${buyers} buyers`, spread))
      console.log(
        `  SQLite rows: events ${rows.events}, licences ${rows.licences} (2xx ${ok(hooks) + 1 + buyers} ≤ rows ≤ sent ${id + 1 + buyers} ${whole(rows.events, ok(hooks) + 1 + buyers, id + 1 + buyers)}), usage ${rows.usage} (2xx ${ok(usage) + ok(spread)} ≤ rows ≤ sent ${q + spreadSent()} ${whole(rows.usage, ok(usage) + ok(spread), q + spreadSent())})`,
      )
      console.log(`  SQLite ${sqliteMeter}`)
    }

    if (!hasPostgres()) {
      console.log('  PostgreSQL binaries not found: the shared-PostgreSQL run is skipped')
      return
    }
    const pg = await startPostgres()
    try {
      const url = await pg.createDatabase('bench')
      const a = await startChild(url, dir)
      const b = await startChild(url, dir)
      // Both instances get the same event ids, as a retrying Stripe behind a load balancer would send them.
      let ia = 0
      let ib = 0
      const [ra, rb] = await Promise.all([
        load(a.url, seconds, each, () => webhookRequest(++ia)),
        load(b.url, seconds, each, () => webhookRequest(++ib)),
      ])
      const hookTrips = (await a.stop()) + (await b.stop())
      const pgStore = await createStore(await openPostgres(url))
      const pgRows = await pgStore.counts()
      await pgStore.close()
      const distinct = Math.max(ia, ib)
      console.log(line('PostgreSQL, instance A: POST /stripe/webhook', ra))
      console.log(line('PostgreSQL, instance B: POST /stripe/webhook', rb))
      const acked = Math.max(ok(ra), ok(rb))
      const fine =
        pgRows.events === pgRows.licences && acked <= pgRows.events && pgRows.events <= distinct
      console.log(
        `  PostgreSQL rows: events ${pgRows.events}, licences ${pgRows.licences}; each id sent to both, distinct ids ${distinct} (A ${ia}, B ${ib}) ${fine ? '✔ none lost or doubled' : '✘'}`,
      )
      console.log(
        `  PostgreSQL round trips per webhook: ${(hookTrips / (ok(ra) + ok(rb))).toFixed(2)} (${hookTrips} statements, ${ok(ra) + ok(rb)} answered)`,
      )

      // Usage of one per-query licence through both instances at once, each
      // with its own identifiers (a load balancer spreading one buyer's queries).
      const ua = await startChild(url, dir)
      const ub = await startChild(url, dir)
      await sendSigned(ua.url, pqBody)
      const pgLicence = await (
        await fetch(`${ua.url}/licences/${licenceIdFor('cs_bench_pq')}?claim=cs_bench_pq`)
      ).text()
      let qa = 0
      let qb = 0
      const usageOn = (prefix: string, next: () => number) => () => ({
        method: 'POST',
        path: '/usage',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ licence: pgLicence, identifier: `${prefix}${next()}` }),
      })
      const [sa, sb] = await Promise.all([
        load(
          ua.url,
          seconds,
          each,
          usageOn('a', () => ++qa),
        ),
        load(
          ub.url,
          seconds,
          each,
          usageOn('b', () => ++qb),
        ),
      ])
      const usageWait = await drained(ua.url)
      const usageTrips = (await ua.stop()) + (await ub.stop())
      // Every instance's sends so far: the store's rows are compared with all of them.
      const metered = [...(await ua.metered()), ...(await ub.metered())]
      const usageMeter = await meterCheck(() => openPostgres(url), metered, usageWait)
      const usageStore = await createStore(await openPostgres(url))
      const usageRows = (await usageStore.counts()).usage
      await usageStore.close()
      console.log(line('PostgreSQL, instance A: POST /usage', sa))
      console.log(line('PostgreSQL, instance B: POST /usage', sb))
      console.log(
        `  PostgreSQL round trips per usage, the reporters' included: ${(usageTrips / (ok(sa) + ok(sb))).toFixed(2)} (${usageTrips} statements, ${ok(sa) + ok(sb)} answered)`,
      )
      console.log(
        `  PostgreSQL usage rows ${usageRows} (2xx ${ok(sa) + ok(sb)} ≤ rows ≤ sent ${qa + qb} ${whole(usageRows, ok(sa) + ok(sb), qa + qb)})`,
      )
      console.log(`  PostgreSQL ${usageMeter}`)

      // The same through both instances, spread over many buyers' licences.
      const va = await startChild(url, dir)
      const vb = await startChild(url, dir)
      const owned = await perQueryLicences(va.url, buyers, 'pg')
      const spreadA = usageOf(owned, 'sa')
      const spreadB = usageOf(owned, 'sb')
      const [pa, pb] = await Promise.all([
        load(va.url, seconds, each, spreadA.next),
        load(vb.url, seconds, each, spreadB.next),
      ])
      const spreadWait = await drained(va.url)
      await va.stop()
      await vb.stop()
      metered.push(...(await va.metered()), ...(await vb.metered()))
      const spreadMeter = await meterCheck(() => openPostgres(url), metered, spreadWait)
      const spreadStore = await createStore(await openPostgres(url))
      const spreadRows = (await spreadStore.counts()).usage - usageRows
      await spreadStore.close()
      const spreadSent = spreadA.sent() + spreadB.sent()
      console.log(line(`PostgreSQL, instance A: POST /usage, ${buyers} buyers`, pa))
      console.log(line(`PostgreSQL, instance B: POST /usage, ${buyers} buyers`, pb))
      console.log(
        `  PostgreSQL usage rows ${spreadRows} (2xx ${ok(pa) + ok(pb)} ≤ rows ≤ sent ${spreadSent} ${whole(spreadRows, ok(pa) + ok(pb), spreadSent)})`,
      )
      console.log(`  PostgreSQL, both usage runs: ${spreadMeter}`)
    } finally {
      pg.stop()
    }
  } finally {
    console.log(`  load average ${before.toFixed(1)} before, ${loadavg()[0]?.toFixed(1)} after`)
    await rm(dir, { recursive: true, force: true })
  }
}

if (values.serve !== undefined) {
  // Child mode: one service process over the database named, printing its URL.
  const db = values.serve
  // Every statement pg sends is one round trip (it does not pipeline): count them.
  const { default: pg } = await import('pg')
  let roundTrips = 0
  const send = pg.Client.prototype.query as (...args: unknown[]) => unknown
  pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
    roundTrips += 1
    return send.apply(this, args)
  } as typeof pg.Client.prototype.query
  const driver = db.startsWith('postgres') ? await openPostgres(db, { max: 20 }) : openSqlite(db)
  // Every instance signs with one key, as the instances of one hub do.
  const privateKey = createPrivateKey({
    key: Buffer.concat([
      Buffer.from('302e020100300506032b657004220420', 'hex'),
      Buffer.alloc(32, 7),
    ]),
    format: 'der',
    type: 'pkcs8',
  })
  const kid = 'licence-bench'
  const keys = keyringOf([
    { id: kid, algorithm: 'ed25519', public_key: rawPublicKey(privateKey).toString('base64') },
  ])
  // --no-meter: meter events answered at once, without the stripe package,
  // and recorded here instead of by the fake Stripe.
  const answered: string[] = []
  const service = await startService(driver, {
    service: {
      ...(values['no-meter']
        ? {
            calls: {
              reverseTransfer: async () => {},
              meterEvent: async (event) => void answered.push(event.identifier),
            },
          }
        : {}),
      signer: { kid, privateKey },
      keys,
      catalog: async () => ({ version: '1.0.0', files: [PAID_SHA], queryLimit: 10_000_000 }),
      // Effectively unlimited: a tolerance of 1,000 s of queries at a million a second.
      rateLimit: { perSecond: 1e6, burst: 1e9 },
    },
  })
  console.log(service.url)
  process.on(
    'SIGTERM',
    () =>
      void service.close().then(async () => {
        const metered = values['no-meter'] ? answered : service.metered()
        if (values['meter-log']) await writeFile(values['meter-log'], metered.join('\n'))
        process.stdout.write(`round trips ${roundTrips}\n`, () => process.exit(0))
      }),
  )
} else {
  await main()
}
