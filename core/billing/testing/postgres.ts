import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Where Debian puts the server binaries; PG_BIN overrides. */
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin'

/** A throwaway PostgreSQL server in a temp folder on a loopback port. */
export interface TempPostgres {
  /** A connection URL to a fresh database on it. */
  createDatabase(name: string): Promise<string>
  url: string
  stop(): void
}

/** True when initdb and pg_ctl are installed. */
export function hasPostgres(): boolean {
  return existsSync(join(PG_BIN, 'initdb')) && existsSync(join(PG_BIN, 'pg_ctl'))
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/**
 * Starts PostgreSQL with initdb + pg_ctl (as the postgres user when run as
 * root, which initdb refuses), trust authentication, no fsync: about 1.5 s.
 *
 * @example const pg = await startPostgres(); … pg.stop()
 */
export async function startPostgres(): Promise<TempPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'agora-pg-'))
  chmodSync(dir, 0o755)
  const asRoot = process.getuid?.() === 0
  if (asRoot) {
    const id = (what: string) => Number(execFileSync('id', [what, 'postgres']).toString().trim())
    chownSync(dir, id('-u'), id('-g'))
  }
  const run = (bin: string, args: string[]) => {
    const command = asRoot ? 'runuser' : join(PG_BIN, bin)
    const argv = asRoot ? ['-u', 'postgres', '--', join(PG_BIN, bin), ...args] : args
    const result = spawnSync(command, argv, { encoding: 'utf8' })
    if (result.status !== 0) throw new Error(`${bin} failed: ${result.stderr || result.stdout}`)
  }
  const data = join(dir, 'data')
  run('initdb', ['--no-sync', '-A', 'trust', '-U', 'agora', '-D', data])
  const port = await freePort()
  run('pg_ctl', [
    'start',
    '-w',
    '-D',
    data,
    '-l',
    join(dir, 'log'),
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
  ])
  const url = `postgres://agora@127.0.0.1:${port}/postgres`
  return {
    url,
    async createDatabase(name) {
      const { default: pg } = await import('pg')
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      await client.query(`CREATE DATABASE ${name}`)
      await client.end()
      return `postgres://agora@127.0.0.1:${port}/${name}`
    },
    stop() {
      try {
        run('pg_ctl', ['stop', '-m', 'immediate', '-D', data])
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}
