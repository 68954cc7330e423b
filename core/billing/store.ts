import type { LicencePayload } from '#core/licence'
import type { Query, Row, SchemaStep, SqlDriver } from './sql-driver.ts'

/** A licence to write: its unsigned payload (signed when served) and how to find it again. */
export interface LicenceRecord {
  id: string
  /** SHA-256 hex of the buyer's claim secret (the Checkout Session id); null until known. */
  claimHash: string | null
  /** The payment a refund or dispute names; null when the event had none. */
  paymentIntent: string | null
  /** The Stripe customer, for meter events. */
  customer: string | null
  payload: Omit<LicencePayload, 'kid'>
  /** Per-query: queries bought. */
  limit: number | null
}

/** What one Stripe event changes: a licence issued (or renewed), a payment revoked, or nothing. */
export interface EventEffect {
  issue?: LicenceRecord
  revoke?: {
    paymentIntent: string
    reason: string
    /** The charge whose transfer to the seller is reversed, and that transfer when the event names it. */
    charge?: string | undefined
    transfer?: string | undefined
  }
}

/** A stored licence. */
export interface StoredLicence extends LicenceRecord {
  revoked: boolean
  used: number
}

/** How often one licence may call /usage: a steady rate and a burst above it. */
export interface RateLimit {
  perSecond: number
  burst: number
}

export type UsageResult =
  | { status: 'counted'; used: number; customer: string | null }
  | { status: 'duplicate'; used: number; customer: string | null }
  | { status: 'exceeded'; used: number }
  | { status: 'rate-limited'; retryAfterSeconds: number }
  | { status: 'revoked' }
  | { status: 'unknown' }

/** A counted query whose Stripe meter event is due, claimed by one reporter for a lease. */
export interface MeterClaim {
  licenceId: string
  identifier: string
  /** When the query was counted (ISO 8601): the time the meter event bills. */
  at: string
  /** The Stripe customer billed. */
  customer: string
  item: { kind: string; ns: string; name: string }
  /** Sends tried so far, this one included. */
  attempts: number
}

/** What became of a claimed meter event. */
export type MeterOutcome = { licenceId: string; identifier: string } & (
  | { outcome: 'sent' }
  /** Not sent (Stripe down, a timeout): due again after the delay. */
  | { outcome: 'retry'; retryInSeconds: number; error: string }
  /** Refused by Stripe for good: kept with the error, never sent again. */
  | { outcome: 'refused'; error: string }
)

/** The service's state: events seen, licences, revocations, usage and rate limits. */
export interface LicenceStore {
  /**
   * Before a revocation calls Stripe: whether its event was recorded
   * already, and whether its payment was revoked already (by another
   * refund or dispute, whose transfer reversal took the seller's share).
   */
  revocationState(
    eventId: string,
    paymentIntent: string,
  ): Promise<{ seen: boolean; revoked: boolean }>
  /** Records the event and applies its effect in one transaction; 'duplicate' (and no effect) when seen before. */
  recordEvent(
    event: { id: string; type: string },
    effect: EventEffect,
    now: Date,
  ): Promise<'applied' | 'duplicate'>
  licence(id: string): Promise<StoredLicence | undefined>
  /** Revoked licence ids and a revision that grows with every revocation. */
  revocations(): Promise<{ revision: number; ids: string[] }>
  /**
   * Counts one query (once per identifier) against the licence's limit, in
   * one transaction with the licence's rate limit, which lives in the
   * database so every instance sharing it shares the limit.
   */
  countUsage(
    licenceId: string,
    identifier: string,
    now: Date,
    rate: RateLimit,
  ): Promise<UsageResult>
  /**
   * Claims up to `limit` meter events that are due (unsent, not leased to a
   * reporter, not waiting out a retry's delay), leasing them for
   * `leaseSeconds` by the database's clock: two reporters sharing the
   * database never claim the same row while its lease runs, and a lease its
   * reporter died holding expires.
   */
  claimMeterEvents(limit: number, leaseSeconds: number): Promise<MeterClaim[]>
  /** Records what became of claimed meter events; a row another reporter marked sent stays sent. */
  settleMeterEvents(outcomes: readonly MeterOutcome[]): Promise<void>
  /** Meter events not sent yet, and refused by Stripe: two index-only counts, cheap enough for a health check. */
  meterBacklog(): Promise<{ unsent: number; refused: number }>
  /** Row counts, for checks and benchmarks. */
  counts(): Promise<{ events: number; licences: number; usage: number }>
  close(): Promise<void>
}

/** The schema, the same on SQLite and PostgreSQL. */
export const SCHEMA: readonly SchemaStep[] = [
  `CREATE TABLE IF NOT EXISTS events (
     id TEXT PRIMARY KEY,
     type TEXT NOT NULL,
     received TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS licences (
     id TEXT PRIMARY KEY,
     claim_hash TEXT,
     payment_intent TEXT,
     customer TEXT,
     payload TEXT NOT NULL,
     qlimit INTEGER,
     used INTEGER NOT NULL DEFAULT 0,
     revoked INTEGER NOT NULL DEFAULT 0)`,
  'CREATE INDEX IF NOT EXISTS licences_payment ON licences (payment_intent)',
  // One row per payment an event names, upserted first by every event that
  // issues on it or revokes it: its row lock serialises those events on
  // PostgreSQL, and `revoked` carries a refund to a completion committed
  // after it (see recordEvent).
  `CREATE TABLE IF NOT EXISTS payments (
     payment_intent TEXT PRIMARY KEY,
     revoked INTEGER NOT NULL DEFAULT 0)`,
  `CREATE TABLE IF NOT EXISTS revocations (
     payment_intent TEXT PRIMARY KEY,
     reason TEXT NOT NULL,
     at TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS usage (
     licence_id TEXT NOT NULL,
     identifier TEXT NOT NULL,
     at TEXT NOT NULL,
     PRIMARY KEY (licence_id, identifier))`,
  'CREATE TABLE IF NOT EXISTS meta (id INTEGER PRIMARY KEY, revision INTEGER NOT NULL)',
  // One row per licence that called /usage: its GCRA theoretical arrival time
  // (seconds since the epoch), the whole state of a token bucket in one number.
  `CREATE TABLE IF NOT EXISTS rate_limits (
     licence_id TEXT PRIMARY KEY,
     tat DOUBLE PRECISION NOT NULL)`,
  'INSERT INTO meta (id, revision) VALUES (1, 0) ON CONFLICT (id) DO NOTHING',
  // Payments revoked before the payments table existed.
  `INSERT INTO payments (payment_intent, revoked) SELECT payment_intent, 1 FROM revocations WHERE true
     ON CONFLICT (payment_intent) DO NOTHING`,
  // The meter-event outbox: each usage row says whether its Stripe meter
  // event went out ('unsent', 'sent', 'refused' by Stripe for good, or
  // 'none' for a licence with no customer to bill), when it may next be
  // claimed (seconds since the epoch, the database's clock: a reporter's
  // lease or a retry's delay), how often it was tried and the last error.
  // Rows from before the outbox were metered as they were counted: 'sent'.
  { table: 'usage', addColumn: 'meter', definition: "TEXT NOT NULL DEFAULT 'sent'" },
  { table: 'usage', addColumn: 'meter_due', definition: 'DOUBLE PRECISION NOT NULL DEFAULT 0' },
  { table: 'usage', addColumn: 'meter_attempts', definition: 'INTEGER NOT NULL DEFAULT 0' },
  { table: 'usage', addColumn: 'meter_error', definition: 'TEXT' },
  // Partial: they hold only the rows still to send (or refused), so claims
  // and the backlog count stay small however many queries were ever counted.
  "CREATE INDEX IF NOT EXISTS usage_unsent ON usage (meter_due) WHERE meter = 'unsent'",
  "CREATE INDEX IF NOT EXISTS usage_refused ON usage (licence_id) WHERE meter = 'refused'",
]

/** A usage row's meter state when counted: unsent, unless its licence has no customer to bill. */
const METER_OF = (customer: string) => `CASE WHEN ${customer} IS NULL THEN 'none' ELSE 'unsent' END`

/**
 * Upserts the row of payment `$n` (none when the event names no payment) and
 * returns it. ON CONFLICT DO UPDATE waits for a transaction that holds the
 * row and then locks its latest committed version, even one this
 * statement's snapshot cannot see, so RETURNING reads what a concurrent
 * refund wrote, and the lock holds back a refund until this event commits.
 */
const lockPaymentSql = (param: number, revoke: boolean, source: string) =>
  `INSERT INTO payments (payment_intent, revoked)
     SELECT CAST($${param} AS TEXT), ${revoke ? 1 : 0} ${source} WHERE $${param} IS NOT NULL
     ON CONFLICT (payment_intent) DO UPDATE SET revoked = ${revoke ? '1' : 'payments.revoked'}
     RETURNING revoked`

/** Whether payment `$3` is revoked: read from the locked row (`pay`) in one statement, else after locking it. */
const REVOKED_PAYMENT = {
  locked: 'EXISTS (SELECT 1 FROM pay WHERE pay.revoked = 1)',
  table: 'EXISTS (SELECT 1 FROM payments p WHERE p.payment_intent = $3 AND p.revoked = 1)',
} as const

/** A number parameter typed for PostgreSQL (which cannot infer `$n + $m`) and read as REAL by SQLite. */
const real = (n: number) => `CAST($${n} AS DOUBLE PRECISION)`

/**
 * Takes one /usage token for licence `$1` with an emission interval `$3`
 * (1 / rate, seconds) and a tolerance `$4` (burst × interval): the generic
 * cell rate algorithm as one atomic UPSERT whose RETURNING row is the token
 * (no row: refused). The time is the database's (`clock`, read once into
 * the proposed row), so instances on machines whose clocks differ, or
 * requests that waited for the licence's lock, share one timeline. `source`
 * says where the one candidate row comes from (a CTE on PostgreSQL).
 */
function takeTokenSql(clock: string, source: string, where: string): string {
  const now = `(excluded.tat - ${real(3)})`
  const gate = `(CASE WHEN rate_limits.tat > ${now} THEN rate_limits.tat ELSE ${now} END)`
  return `INSERT INTO rate_limits (licence_id, tat)
     SELECT $1, ${clock} + ${real(3)} ${source} WHERE ${where}
     ON CONFLICT (licence_id) DO UPDATE SET tat = ${gate} + ${real(3)}
     WHERE ${gate} + ${real(3)} - ${now} <= ${real(4)}
     RETURNING tat`
}

/** The database's clock in seconds since the epoch. */
const CLOCK = {
  postgres: 'CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)',
  sqlite: "((julianday('now') - 2440587.5) * 86400.0)",
} as const

/**
 * The licence store over either driver: one implementation of the rules,
 * so SQLite and PostgreSQL cannot drift apart. Where PostgreSQL can do in
 * one statement (data-modifying CTEs, one round trip, its own transaction)
 * what SQLite does in a few inside one transaction (in-process, no round
 * trips), each gets its form of the same statements; the suite runs on both.
 *
 * @example const store = await createStore(openSqlite('licences.db'))
 */
export async function createStore(driver: SqlDriver): Promise<LicenceStore> {
  await driver.migrate(SCHEMA)
  const stored = (field: string) =>
    driver.dialect === 'postgres'
      ? `(licences.payload::json ->> '${field}')`
      : `json_extract(licences.payload, '$.${field}')`
  const upsert = upsertLicenceSql(stored, REVOKED_PAYMENT.table)
  const upsertLocked = upsertLicenceSql(stored, REVOKED_PAYMENT.locked)
  const postgres = driver.dialect === 'postgres'
  return {
    async revocationState(eventId, paymentIntent) {
      const [row] = await driver.query(
        `SELECT EXISTS (SELECT 1 FROM events WHERE id = $1) AS seen,
           EXISTS (SELECT 1 FROM payments WHERE payment_intent = $2 AND revoked = 1) AS revoked`,
        [eventId, paymentIntent],
      )
      return { seen: Number(row?.seen) === 1, revoked: Number(row?.revoked) === 1 }
    },
    async recordEvent(event, effect, now) {
      const eventParams = [event.id, event.type, now.toISOString()]
      // Every event on one payment locks its payments row before it reads or
      // writes a licence, so a refund and the completion (or renewal) of the
      // same payment, handled at once by two instances, run one after the
      // other: whichever comes second sees the first's write.
      if (postgres && effect.issue && !effect.revoke) {
        // The event, the payment's row and the licence in one statement: one
        // round trip, one transaction. The licence reads the revocation from
        // the locked row, not from the statement's snapshot, which a refund
        // committed while this statement waited is missing from.
        const [row] = await driver.query(
          `WITH ev AS (INSERT INTO events (id, type, received) VALUES ($9, $10, $11)
             ON CONFLICT (id) DO NOTHING RETURNING id),
           pay AS (${lockPaymentSql(3, false, 'FROM ev')}),
           lic AS (${upsertLocked('FROM ev')})
           SELECT COUNT(*) AS fresh FROM ev`,
          [...licenceParams(effect.issue), ...eventParams],
        )
        return Number(row?.fresh) > 0 ? 'applied' : 'duplicate'
      }
      if (postgres && effect.revoke && !effect.issue) {
        const { paymentIntent, reason } = effect.revoke
        return driver.transaction(async (q) => {
          // The event, the payment's row (locked, marked revoked) and the
          // revocation in one statement; then, in a snapshot taken after the
          // lock, so it sees a licence the payment's completion committed
          // while this waited, the licences it paid for and the revision.
          const [row] = await q(
            `WITH ev AS (INSERT INTO events (id, type, received) VALUES ($1, $2, $3)
               ON CONFLICT (id) DO NOTHING RETURNING id),
             pay AS (${lockPaymentSql(4, true, 'FROM ev')}),
             rev AS (INSERT INTO revocations (payment_intent, reason, at) SELECT $4, $5, $3 FROM ev
               ON CONFLICT (payment_intent) DO NOTHING)
             SELECT COUNT(*) AS fresh FROM ev`,
            [...eventParams, paymentIntent, reason],
          )
          if (Number(row?.fresh) === 0) return 'duplicate'
          await q(
            `WITH lic AS (UPDATE licences SET revoked = 1 WHERE payment_intent = $1 AND revoked = 0)
             UPDATE meta SET revision = revision + 1 WHERE id = 1`,
            [paymentIntent],
          )
          return 'applied'
        })
      }
      if (!effect.issue && !effect.revoke) {
        const inserted = await driver.query(
          'INSERT INTO events (id, type, received) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING id',
          eventParams,
        )
        return inserted.length > 0 ? 'applied' : 'duplicate'
      }
      return driver.transaction(async (q) => {
        const inserted = await q(
          'INSERT INTO events (id, type, received) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING id',
          eventParams,
        )
        if (inserted.length === 0) return 'duplicate'
        // Each statement after the lock reads with a fresh snapshot (READ
        // COMMITTED), so it sees what the event that held the row committed.
        if (effect.revoke) await revoke(q, effect.revoke, now)
        if (effect.issue) {
          await q(lockPaymentSql(1, false, ''), [effect.issue.paymentIntent])
          await q(upsert(''), licenceParams(effect.issue))
        }
        return 'applied'
      })
    },
    async licence(id) {
      const [row] = await driver.query('SELECT * FROM licences WHERE id = $1', [id])
      return row ? toLicence(row) : undefined
    },
    async revocations() {
      const [meta] = await driver.query('SELECT revision FROM meta WHERE id = 1')
      const rows = await driver.query('SELECT id FROM licences WHERE revoked = 1 ORDER BY id')
      return { revision: Number(meta?.revision ?? 0), ids: rows.map((r) => String(r.id)) }
    },
    async countUsage(licenceId, identifier, now, rate) {
      const interval = 1 / rate.perSecond
      const tolerance = rate.burst * interval
      const clock = CLOCK[driver.dialect]
      const retryAfter = (tat: unknown, at: unknown) =>
        Math.max(Number(tat), Number(at)) + interval - Number(at) - tolerance
      if (postgres) {
        // Locking the licence row first serialises the queries of one licence,
        // so the limit check, the usage row and the count agree; the usage
        // row's key keeps a retried identifier to one row.
        const [row] = await driver.query(
          `WITH lic AS (
             SELECT used, qlimit, revoked, customer FROM licences WHERE id = $1 FOR UPDATE),
           tok AS (${takeTokenSql(clock, 'FROM lic', 'lic.revoked = 0')}),
           ins AS (
             INSERT INTO usage (licence_id, identifier, at, meter)
             SELECT $1, $2, $5, ${METER_OF('lic.customer')} FROM lic WHERE lic.used < lic.qlimit AND EXISTS (SELECT 1 FROM tok)
             ON CONFLICT (licence_id, identifier) DO NOTHING RETURNING licence_id),
           upd AS (
             UPDATE licences SET used = used + 1 WHERE id = $1 AND EXISTS (SELECT 1 FROM ins)
             RETURNING used)
           SELECT lic.used, lic.qlimit, lic.revoked, lic.customer,
             EXISTS (SELECT 1 FROM tok) AS token,
             (SELECT tat FROM rate_limits WHERE licence_id = $1) AS tat, ${clock} AS clock,
             (SELECT used FROM upd) AS counted,
             EXISTS (SELECT 1 FROM usage u WHERE u.licence_id = $1 AND u.identifier = $2) AS seen
           FROM lic`,
          [licenceId, identifier, interval, tolerance, now.toISOString()],
        )
        if (!row) return { status: 'unknown' }
        if (Number(row.revoked) === 1) return { status: 'revoked' }
        if (!row.token)
          return { status: 'rate-limited', retryAfterSeconds: retryAfter(row.tat, row.clock) }
        const customer = text(row.customer)
        if (row.counted !== null) return { status: 'counted', used: Number(row.counted), customer }
        // Not counted: a usage row for the identifier existed (seen in this
        // statement's snapshot, or met by the insert), or the limit was reached.
        const used = Number(row.used)
        if (row.seen || (row.qlimit !== null && used < Number(row.qlimit)))
          return { status: 'duplicate', used, customer }
        return { status: 'exceeded', used }
      }
      return driver.transaction(async (q): Promise<UsageResult> => {
        const [lic] = await q(
          'SELECT used, qlimit, revoked, customer FROM licences WHERE id = $1',
          [licenceId],
        )
        if (!lic) return { status: 'unknown' }
        if (Number(lic.revoked) === 1) return { status: 'revoked' }
        const token = await q(takeTokenSql(clock, '', 'true'), [
          licenceId,
          null,
          interval,
          tolerance,
        ])
        if (token.length === 0) {
          const [limiter] = await q(
            `SELECT tat, ${clock} AS clock FROM rate_limits WHERE licence_id = $1`,
            [licenceId],
          )
          return {
            status: 'rate-limited',
            retryAfterSeconds: retryAfter(limiter?.tat, limiter?.clock),
          }
        }
        const used = Number(lic.used)
        const customer = text(lic.customer)
        if (lic.qlimit === null || used >= Number(lic.qlimit)) {
          const seen = await q(
            'SELECT 1 AS one FROM usage WHERE licence_id = $1 AND identifier = $2',
            [licenceId, identifier],
          )
          return seen.length > 0
            ? { status: 'duplicate', used, customer }
            : { status: 'exceeded', used }
        }
        const fresh = await q(
          `INSERT INTO usage (licence_id, identifier, at, meter) VALUES ($1, $2, $3, ${METER_OF('$4')})
           ON CONFLICT (licence_id, identifier) DO NOTHING RETURNING licence_id`,
          [licenceId, identifier, now.toISOString(), customer],
        )
        if (fresh.length === 0) return { status: 'duplicate', used, customer }
        const [row] = await q('UPDATE licences SET used = used + 1 WHERE id = $1 RETURNING used', [
          licenceId,
        ])
        return { status: 'counted', used: Number(row?.used), customer }
      })
    },
    async claimMeterEvents(limit, leaseSeconds) {
      const clock = CLOCK[driver.dialect]
      const due = `SELECT licence_id, identifier FROM usage
         WHERE meter = 'unsent' AND meter_due <= ${clock} ORDER BY meter_due LIMIT CAST($1 AS INTEGER)`
      const lease = `meter_due = ${clock} + ${real(2)}, meter_attempts = meter_attempts + 1`
      const rows = postgres
        ? // SKIP LOCKED: a row another reporter is claiming right now is left
          // to it; one it claimed and committed since this statement's
          // snapshot is re-read under the lock and no longer due.
          await driver.query(
            `WITH due AS (${due} FOR UPDATE SKIP LOCKED),
             claimed AS (
               UPDATE usage SET ${lease} FROM due
               WHERE usage.licence_id = due.licence_id AND usage.identifier = due.identifier
               RETURNING usage.licence_id, usage.identifier, usage.at, usage.meter_attempts)
             SELECT claimed.*, licences.customer, licences.payload
             FROM claimed JOIN licences ON licences.id = claimed.licence_id`,
            [limit, leaseSeconds],
          )
        : await (async () => {
            // One statement, so it holds the write lock for no longer than
            // it runs: one writer at a time makes it the claim.
            const claimed = await driver.query(
              `UPDATE usage SET ${lease}
               WHERE (licence_id, identifier) IN (${due})
               RETURNING licence_id, identifier, at, meter_attempts`,
              [limit, leaseSeconds],
            )
            if (claimed.length === 0) return []
            // The claimed rows' licences, in one more statement.
            const ids = [...new Set(claimed.map((row) => String(row.licence_id)))]
            const found = await driver.query(
              'SELECT id, customer, payload FROM licences WHERE id IN (SELECT value FROM json_each($1))',
              [JSON.stringify(ids)],
            )
            const licences = new Map<string, Row>(found.map((row) => [String(row.id), row]))
            return claimed.map((row) => ({ ...row, ...licences.get(String(row.licence_id)) }))
          })()
      return rows.map((row) => {
        const { kind, ns, name } = JSON.parse(String(row.payload)).item
        return {
          licenceId: String(row.licence_id),
          identifier: String(row.identifier),
          at: String(row.at),
          customer: String(row.customer ?? ''),
          item: { kind, ns, name },
          attempts: Number(row.meter_attempts),
        }
      })
    },
    async settleMeterEvents(outcomes) {
      if (outcomes.length === 0) return
      const clock = CLOCK[driver.dialect]
      // All of them in one statement, from a JSON array both engines can read as rows.
      const source = postgres
        ? `SELECT * FROM json_to_recordset(CAST($1 AS json))
             AS k(l TEXT, i TEXT, o TEXT, d DOUBLE PRECISION, e TEXT)`
        : `SELECT json_extract(value, '$.l') AS l, json_extract(value, '$.i') AS i,
             json_extract(value, '$.o') AS o, json_extract(value, '$.d') AS d,
             json_extract(value, '$.e') AS e FROM json_each($1)`
      await driver.query(
        `UPDATE usage SET
           meter = CASE k.o WHEN 'retry' THEN usage.meter ELSE k.o END,
           meter_due = CASE k.o WHEN 'retry' THEN ${clock} + k.d ELSE usage.meter_due END,
           meter_error = k.e
         FROM (${source}) AS k
         WHERE usage.licence_id = k.l AND usage.identifier = k.i AND usage.meter = 'unsent'`,
        [
          JSON.stringify(
            outcomes.map((o) => ({
              l: o.licenceId,
              i: o.identifier,
              o: o.outcome,
              d: o.outcome === 'retry' ? o.retryInSeconds : 0,
              e: o.outcome === 'sent' ? null : o.error,
            })),
          ),
        ],
      )
    },
    async meterBacklog() {
      const [row] = await driver.query(
        `SELECT (SELECT COUNT(*) FROM usage WHERE meter = 'unsent') AS unsent,
           (SELECT COUNT(*) FROM usage WHERE meter = 'refused') AS refused`,
      )
      return { unsent: Number(row?.unsent ?? 0), refused: Number(row?.refused ?? 0) }
    },
    async counts() {
      const count = async (table: string) =>
        Number((await driver.query(`SELECT COUNT(*) AS n FROM ${table}`))[0]?.n ?? 0)
      return {
        events: await count('events'),
        licences: await count('licences'),
        usage: await count('usage'),
      }
    },
    close: () => driver.close(),
  }
}

async function revoke(q: Query, revoke: { paymentIntent: string; reason: string }, now: Date) {
  await q(lockPaymentSql(1, true, ''), [revoke.paymentIntent])
  await q(
    'INSERT INTO revocations (payment_intent, reason, at) VALUES ($1, $2, $3) ON CONFLICT (payment_intent) DO NOTHING',
    [revoke.paymentIntent, revoke.reason, now.toISOString()],
  )
  await q('UPDATE licences SET revoked = 1 WHERE payment_intent = $1 AND revoked = 0', [
    revoke.paymentIntent,
  ])
  await q('UPDATE meta SET revision = revision + 1 WHERE id = 1')
}

function licenceParams(record: LicenceRecord): unknown[] {
  return [
    record.id,
    record.claimHash,
    record.paymentIntent,
    record.customer,
    JSON.stringify(record.payload),
    record.limit,
    record.payload.issued,
    record.payload.period_end ?? '',
  ]
}

/**
 * Issues or renews a licence (parameters: `licenceParams`). Stripe does not
 * deliver in order, so every order of the same events must end in the same
 * row:
 * - the payload (period, files, limit) comes from the latest event (by its
 *   `created`, then the later period end): last month's invoice retried late
 *   changes no period, so a period never shrinks;
 * - the claim secret, the customer and the payment are kept from whichever
 *   event brought them, so a renewal that arrives before its checkout keeps
 *   its period and the checkout still gives the buyer the claim, and the
 *   payment a refund names stays the latest one;
 * - a payment revoked before its licence arrived (a refund delivered before
 *   the completion) leaves the licence revoked.
 */
function upsertLicenceSql(
  stored: (field: string) => string,
  revokedPayment: string,
): (source: string) => string {
  const newer = `(${stored('issued')} IS NULL OR ${stored('issued')} < $7
    OR (${stored('issued')} = $7 AND COALESCE(${stored('period_end')}, '') <= $8))`
  const pick = (column: string) =>
    `CASE WHEN ${newer} THEN COALESCE(excluded.${column}, licences.${column})
       ELSE COALESCE(licences.${column}, excluded.${column}) END`
  // INSERT … SELECT (not VALUES) so PostgreSQL can draw the row from a CTE;
  // SQLite needs the WHERE to read ON CONFLICT as the upsert's.
  return (
    source,
  ) => `INSERT INTO licences (id, claim_hash, payment_intent, customer, payload, qlimit, revoked)
     SELECT $1, $2, $3, $4, $5, CAST($6 AS INTEGER), CASE WHEN ${revokedPayment} THEN 1 ELSE 0 END
     ${source} WHERE true
     ON CONFLICT (id) DO UPDATE SET
       payload = CASE WHEN ${newer} THEN excluded.payload ELSE licences.payload END,
       qlimit = CASE WHEN ${newer} THEN excluded.qlimit ELSE licences.qlimit END,
       claim_hash = COALESCE(licences.claim_hash, excluded.claim_hash),
       payment_intent = ${pick('payment_intent')},
       customer = ${pick('customer')},
       revoked = CASE WHEN licences.revoked = 1 OR ${revokedPayment} THEN 1 ELSE 0 END`
}

const text = (v: unknown) => (v === null || v === undefined ? null : String(v))

function toLicence(row: Record<string, unknown>): StoredLicence {
  return {
    id: String(row.id),
    claimHash: text(row.claim_hash),
    paymentIntent: text(row.payment_intent),
    customer: text(row.customer),
    payload: JSON.parse(String(row.payload)),
    limit: row.qlimit === null || row.qlimit === undefined ? null : Number(row.qlimit),
    used: Number(row.used),
    revoked: Number(row.revoked) === 1,
  }
}
