import { createHash } from 'node:crypto'
import { DatabaseSync, type StatementSync } from 'node:sqlite'

/** A row as the database returns it. */
export type Row = Record<string, unknown>

/** Runs one statement with `$1`, `$2` … parameters. */
export type Query = (sql: string, params?: readonly unknown[]) => Promise<Row[]>

/**
 * One step of the schema: a statement that is safe to run again (`CREATE …
 * IF NOT EXISTS`), or a column that is added when its table lacks it, which
 * is how a database from an older version is brought up to date (SQLite has
 * no `ADD COLUMN IF NOT EXISTS`).
 */
export type SchemaStep = string | { table: string; addColumn: string; definition: string }

/**
 * The one storage interface the licence service needs: statements and
 * transactions over SQL both SQLite and PostgreSQL understand. A
 * transaction commits when `fn` resolves and rolls back when it throws.
 */
export interface SqlDriver {
  readonly dialect: 'sqlite' | 'postgres'
  transaction<T>(fn: (query: Query) => Promise<T>): Promise<T>
  query: Query
  /** Creates the schema once, even with several service processes starting at once. */
  migrate(steps: readonly SchemaStep[]): Promise<void>
  close(): Promise<void>
}

/**
 * A driver over node:sqlite: WAL so readers never block the writer, a busy
 * timeout so two processes on one file wait for each other instead of
 * failing, and a queue so one process's transactions never interleave on
 * its single connection.
 *
 * @example const driver = openSqlite('.agora/licences.db')
 */
export function openSqlite(
  path: string,
  options: {
    busyTimeoutMs?: number
    /** Caps the file's size in pages: a full disk, for tests. */
    maxPageCount?: number
  } = {},
): SqlDriver {
  const db = new DatabaseSync(path, { timeout: options.busyTimeoutMs ?? 5000 })
  db.exec('PRAGMA journal_mode = WAL')
  if (options.maxPageCount) db.exec(`PRAGMA max_page_count = ${Math.floor(options.maxPageCount)}`)
  db.exec('PRAGMA synchronous = NORMAL')
  db.exec('PRAGMA foreign_keys = ON')
  let queue: Promise<unknown> = Promise.resolve()
  // Statements come from the store's code, a few dozen texts: each is
  // compiled once (the cap only guards against a caller building SQL).
  const prepared = new Map<string, StatementSync>()
  const statementOf = (sql: string): StatementSync => {
    let statement = prepared.get(sql)
    if (!statement) {
      // `$1` → `?1`: the numbered form both engines read the same way.
      statement = db.prepare(sql.replace(/\$(\d+)/g, '?$1'))
      if (prepared.size >= 256) prepared.clear()
      prepared.set(sql, statement)
    }
    return statement
  }
  const run = (sql: string, params: readonly unknown[] = []): Row[] => {
    const statement = statementOf(sql)
    const values = params.map((p) => (p === undefined ? null : p)) as (string | number | null)[]
    if (/^\s*(select|with)\b|\breturning\b/i.test(sql)) return statement.all(...values) as Row[]
    statement.run(...values)
    return []
  }
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn)
    queue = next.catch(() => undefined)
    return next
  }
  return {
    dialect: 'sqlite',
    query: (sql, params) => serial(async () => run(sql, params)),
    transaction: (fn) =>
      serial(async () => {
        db.exec('BEGIN IMMEDIATE')
        try {
          const result = await fn(async (sql, params) => run(sql, params))
          db.exec('COMMIT')
          return result
        } catch (error) {
          if (db.isTransaction) db.exec('ROLLBACK')
          throw error
        }
      }),
    migrate: (steps) =>
      serial(async () => {
        db.exec('BEGIN IMMEDIATE')
        try {
          for (const step of steps) {
            if (typeof step === 'string') db.exec(step)
            else if (
              !db
                .prepare('SELECT 1 FROM pragma_table_info(?) WHERE name = ?')
                .get(step.table, step.addColumn)
            )
              db.exec(`ALTER TABLE ${step.table} ADD COLUMN ${step.addColumn} ${step.definition}`)
          }
          db.exec('COMMIT')
        } catch (error) {
          if (db.isTransaction) db.exec('ROLLBACK')
          throw error
        }
      }),
    close: async () => {
      await queue
      db.close()
    },
  }
}

/**
 * A driver over PostgreSQL (`pg`, loaded only here): a pool, each
 * transaction on one client, statements with parameters prepared once per
 * connection, the schema created under an advisory lock so several service
 * processes can start at once.
 *
 * @example const driver = await openPostgres('postgres://agora@db/licences')
 */
export async function openPostgres(
  url: string,
  options: { max?: number } = {},
): Promise<SqlDriver> {
  const { default: pg } = await import('pg')
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 })
  // An idle client's error (the server restarting) must not crash the service.
  pool.on('error', () => undefined)
  // Named statements are parsed and planned once per connection, not per request.
  const names = new Map<string, string>()
  const statement = (text: string, params: readonly unknown[]) => {
    if (params.length === 0) return { text }
    let name = names.get(text)
    if (!name) {
      name = `agora_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`
      names.set(text, name)
    }
    return { name, text, values: [...params] }
  }
  const query: Query = async (sql, params = []) =>
    (await pool.query(statement(sql, params))).rows as Row[]
  const transaction = async <T>(fn: (q: Query) => Promise<T>): Promise<T> => {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      const result = await fn(
        async (sql, params = []) => (await client.query(statement(sql, params))).rows as Row[],
      )
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw error
    } finally {
      client.release()
    }
  }
  return {
    dialect: 'postgres',
    query,
    transaction,
    migrate: (steps) =>
      transaction(async (q) => {
        await q('SELECT pg_advisory_xact_lock(7361846)')
        for (const step of steps)
          await q(
            typeof step === 'string'
              ? step
              : `ALTER TABLE ${step.table} ADD COLUMN IF NOT EXISTS ${step.addColumn} ${step.definition}`,
          )
      }),
    close: () => pool.end(),
  }
}
