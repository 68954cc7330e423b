import type { LicencePayload } from '#core/licence'
import type { Query, SqlDriver } from './sql-driver.ts'

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
  revoke?: { paymentIntent: string; reason: string }
}

/** A stored licence. */
export interface StoredLicence extends LicenceRecord {
  revoked: boolean
  used: number
}

export type UsageResult =
  | { status: 'counted'; used: number }
  | { status: 'duplicate'; used: number }
  | { status: 'exceeded'; used: number }
  | { status: 'unknown' }

/** The service's state: events seen, licences, revocations and usage. */
export interface LicenceStore {
  /** True when the event was recorded already. */
  hasEvent(id: string): Promise<boolean>
  /** Records the event and applies its effect in one transaction; 'duplicate' (and no effect) when seen before. */
  recordEvent(
    event: { id: string; type: string },
    effect: EventEffect,
    now: Date,
  ): Promise<'applied' | 'duplicate'>
  licence(id: string): Promise<StoredLicence | undefined>
  /** Revoked licence ids and a revision that grows with every revocation. */
  revocations(): Promise<{ revision: number; ids: string[] }>
  /** Counts one query (once per identifier) against the licence's limit. */
  countUsage(licenceId: string, identifier: string, now: Date): Promise<UsageResult>
  /** Row counts, for checks and benchmarks. */
  counts(): Promise<{ events: number; licences: number; usage: number }>
  close(): Promise<void>
}

/** The schema, the same on SQLite and PostgreSQL. */
export const SCHEMA: readonly string[] = [
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
  'INSERT INTO meta (id, revision) VALUES (1, 0) ON CONFLICT (id) DO NOTHING',
]

/** Thrown inside a transaction to roll it back and say why. */
class Rollback {
  readonly result: UsageResult
  constructor(result: UsageResult) {
    this.result = result
  }
}

const REVOKED_PAYMENT = 'EXISTS (SELECT 1 FROM revocations r WHERE r.payment_intent = $3)'

/**
 * The licence store over either driver: one implementation of the rules,
 * so SQLite and PostgreSQL cannot drift apart.
 *
 * @example const store = await createStore(openSqlite('licences.db'))
 */
export async function createStore(driver: SqlDriver): Promise<LicenceStore> {
  await driver.migrate(SCHEMA)
  const storedIssued =
    driver.dialect === 'postgres'
      ? "(licences.payload::json ->> 'issued')"
      : "json_extract(licences.payload, '$.issued')"
  return {
    async hasEvent(id) {
      return (await driver.query('SELECT 1 AS one FROM events WHERE id = $1', [id])).length > 0
    },
    recordEvent(event, effect, now) {
      return driver.transaction(async (q) => {
        const inserted = await q(
          'INSERT INTO events (id, type, received) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING id',
          [event.id, event.type, now.toISOString()],
        )
        if (inserted.length === 0) return 'duplicate'
        if (effect.revoke) await revoke(q, effect.revoke, now)
        if (effect.issue) await issue(q, effect.issue, storedIssued)
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
    async countUsage(licenceId, identifier, now) {
      try {
        return await driver.transaction(async (q) => {
          const fresh = await q(
            'INSERT INTO usage (licence_id, identifier, at) VALUES ($1, $2, $3) ON CONFLICT (licence_id, identifier) DO NOTHING RETURNING licence_id',
            [licenceId, identifier, now.toISOString()],
          )
          if (fresh.length === 0) {
            const [row] = await q('SELECT used FROM licences WHERE id = $1', [licenceId])
            return { status: 'duplicate', used: Number(row?.used ?? 0) } as const
          }
          const [row] = await q(
            'UPDATE licences SET used = used + 1 WHERE id = $1 AND qlimit IS NOT NULL AND used < qlimit RETURNING used',
            [licenceId],
          )
          if (row) return { status: 'counted', used: Number(row.used) } as const
          const [current] = await q('SELECT used FROM licences WHERE id = $1', [licenceId])
          throw new Rollback(
            current ? { status: 'exceeded', used: Number(current.used) } : { status: 'unknown' },
          )
        })
      } catch (error) {
        if (error instanceof Rollback) return error.result
        throw error
      }
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
  await q(
    'INSERT INTO revocations (payment_intent, reason, at) VALUES ($1, $2, $3) ON CONFLICT (payment_intent) DO NOTHING',
    [revoke.paymentIntent, revoke.reason, now.toISOString()],
  )
  await q('UPDATE licences SET revoked = 1 WHERE payment_intent = $1 AND revoked = 0', [
    revoke.paymentIntent,
  ])
  await q('UPDATE meta SET revision = revision + 1 WHERE id = 1')
}

/**
 * Issues or renews a licence. A payment revoked before its licence arrived
 * (a refund delivered before the completion) leaves the licence revoked, so
 * any delivery order ends in the same state. Stripe does not deliver in
 * order: a renewal from an event older than the stored licence's (last
 * month's invoice retried late) changes nothing, so a period never shrinks
 * and the payment a refund names stays the latest one.
 */
async function issue(q: Query, record: LicenceRecord, storedIssued: string) {
  await q(
    `INSERT INTO licences (id, claim_hash, payment_intent, customer, payload, qlimit, revoked)
     VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN ${REVOKED_PAYMENT} THEN 1 ELSE 0 END)
     ON CONFLICT (id) DO UPDATE SET
       payload = excluded.payload,
       claim_hash = COALESCE(licences.claim_hash, excluded.claim_hash),
       payment_intent = COALESCE(excluded.payment_intent, licences.payment_intent),
       customer = COALESCE(excluded.customer, licences.customer),
       qlimit = excluded.qlimit,
       revoked = CASE WHEN licences.revoked = 1 OR ${REVOKED_PAYMENT} THEN 1 ELSE 0 END
     WHERE ${storedIssued} IS NULL OR ${storedIssued} <= $7`,
    [
      record.id,
      record.claimHash,
      record.paymentIntent,
      record.customer,
      JSON.stringify(record.payload),
      record.limit,
      record.payload.issued,
    ],
  )
}

function toLicence(row: Record<string, unknown>): StoredLicence {
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v))
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
