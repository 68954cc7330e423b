import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blobKey } from '#core/blobs'
import { buildSparseIndex, type SourceItem, type SourceRegistry } from '#core/catalog'
import { generateSigningKey, loadPrivateKey } from '#core/index-format'
import { licenceIdFor } from '#core/licence'
import type { HubConfig, ItemManifest, VersionManifest } from '#core/manifest'
import { openSqlite } from '../../core/billing/sql-driver.ts'
import {
  type Harness,
  PAID,
  PAID_SHA,
  paidSession,
  startService,
  stripeEvent,
} from '../../core/billing/testing/service.ts'
import { main } from '../agora.ts'
import { captureStream } from '../cli/capture.ts'

const FREE = Buffer.from('free readme')
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

async function run(argv: string[], cwd: string, env: Record<string, string> = {}) {
  const stdout = captureStream()
  const stderr = captureStream()
  const code = await main(argv, { cwd, env, stdout, stderr, fetch: globalThis.fetch })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

describe('scripts/commands/licence', () => {
  let service: Harness
  let root: string
  let work: string
  let server: Server
  let base: string
  const indexKey = generateSigningKey()

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'agora-licence-cli-'))
    root = join(work, 'hub')
    service = await startService(openSqlite(join(work, 'licences.db')))
    const ref = { kind: 'model' as const, ns: 'acme', name: 'tox' }
    const item: SourceItem = {
      ref,
      dir: 'registry/models/ac/acme/tox',
      item: {
        kind: 'model',
        id: 'acme/tox',
        title: 'Tox',
        summary: 's',
        owners: ['acme'],
        license: 'other',
        'dist-tags': { latest: '1.0.0' },
      } as ItemManifest,
      versions: new Map([
        [
          '1.0.0',
          {
            version: '1.0.0',
            files: [
              { path: 'README.txt', size: FREE.length, sha256: sha(FREE) },
              { path: 'weights.bin', size: PAID.length, sha256: PAID_SHA, private: true },
            ],
          } as VersionManifest,
        ],
      ]),
      results: [],
    }
    const hub = {
      name: 'Test hub',
      payments: {
        provider: 'stripe',
        currency: 'usd',
        platform_fee_percent: 10,
        licence_service: service.url,
        licence_keys: [{ id: 'licence-test', algorithm: 'ed25519', public_key: service.publicKey }],
      },
    } as HubConfig
    const registry: SourceRegistry = {
      root: '/repo',
      hub,
      owners: new Map(),
      items: new Map([['model/acme/tox', item]]),
    }
    await buildSparseIndex(registry, {
      outDir: root,
      signingKey: { privateKey: loadPrivateKey(indexKey.privateKeyPem), keyId: indexKey.keyId },
      commit: 'c'.repeat(40),
    })
    const free = join(root, blobKey(sha(FREE)))
    await mkdir(join(free, '..'), { recursive: true })
    await writeFile(free, FREE)
    server = createServer((req, res) => {
      try {
        res.end(fs.readFileSync(join(root, new URL(req.url ?? '/', 'http://x').pathname)))
      } catch {
        res.writeHead(404).end()
      }
    })
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((done) => server.close(done))
    await service.close()
    await rm(work, { recursive: true, force: true })
  })

  const source = (cache: string) => [
    '--index',
    base,
    '--key',
    indexKey.publicKey,
    '--cache',
    join(work, cache),
  ]

  it('publishes the pinned licence keys and service in the signed config.json', async () => {
    const config = JSON.parse(await readFile(join(root, 'index/config.json'), 'utf8')).signed
    expect(config.licence_keys).toEqual([
      { id: 'licence-test', algorithm: 'ed25519', public_key: service.publicKey },
    ])
    expect(config.licence_service).toBe(service.url)
  })

  it('pulls paid files with a licence, verifying their hashes; refuses without one', async () => {
    await service.deliver(stripeEvent('checkout.session.completed', paidSession()))
    const claim = await fetch(
      `${service.url}/licences/${licenceIdFor('cs_test_paid_1')}?claim=cs_test_paid_1`,
    )
    const licence = join(work, 'tox.licence')
    await writeFile(licence, await claim.text())

    const refused = await run(['pull', 'acme/tox', ...source('c1'), '--json'], work)
    expect(refused.code).toBe(2)
    expect(JSON.parse(refused.stdout).error.code).toBe('client/licence-required')

    const pulled = await run(
      ['pull', 'acme/tox', ...source('c1'), '--to', join(work, 'out'), '--json'],
      work,
      {
        AGORA_LICENCE: licence,
      },
    )
    expect(pulled.stderr).toBe('')
    expect(pulled.code).toBe(0)
    expect(await readFile(join(work, 'out', 'weights.bin'))).toEqual(PAID)
    expect(await readFile(join(work, 'out', 'README.txt'))).toEqual(FREE)

    const free = await run(
      ['pull', 'acme/tox', ...source('c2'), '--include', '*.txt', '--json'],
      work,
    )
    expect(free.code).toBe(0)

    const verified = await run(['licence', 'verify', licence, ...source('c1'), '--json'], work)
    expect(verified.code).toBe(0)
    expect(JSON.parse(verified.stdout)).toMatchObject({
      ok: true,
      licence: { id: licenceIdFor('cs_test_paid_1') },
    })
    const text = await run(['licence', 'verify', licence, ...source('c1')], work)
    expect(text.stdout).toMatch(
      /^valid: lic_[0-9a-f]{32} for models\/acme\/tox 1\.0\.0 \(per-download\), signed by licence-test/,
    )

    const tampered = join(work, 'tampered.licence')
    await writeFile(
      tampered,
      (await readFile(licence, 'utf8')).replace(
        /"sig":"(.)/,
        (_m, c) => `"sig":"${c === 'A' ? 'B' : 'A'}`,
      ),
    )
    const bad = await run(['licence', 'verify', tampered, ...source('c1'), '--json'], work)
    expect(bad.code).toBe(1)
    expect(JSON.parse(bad.stdout).error.code).toBe('licence/tampered')
    const badPull = await run(
      ['pull', 'acme/tox', ...source('c3'), '--licence', tampered, '--json'],
      work,
    )
    expect(JSON.parse(badPull.stdout).error.code).toBe('licence/tampered')

    // A refund revokes: the service refuses, and the list it publishes reaches the cache for offline checks.
    await service.deliver(
      stripeEvent('charge.refunded', { id: 'ch_1', object: 'charge', payment_intent: 'pi_test_1' }),
    )
    const revoked = await run(
      ['pull', 'acme/tox', ...source('c4'), '--licence', licence, '--json'],
      work,
    )
    expect(JSON.parse(revoked.stdout).error.code).toBe('licence/revoked')
    // Also where every paid file is already cached: the list is fetched before the licence is judged.
    const cached = await run(
      ['pull', 'acme/tox', ...source('c1'), '--licence', licence, '--json'],
      work,
    )
    expect(JSON.parse(cached.stdout).error.code).toBe('licence/revoked')
    const offline = await run(['licence', 'verify', licence, ...source('c4'), '--json'], work)
    expect(offline.code).toBe(1)
    expect(JSON.parse(offline.stdout).error.code).toBe('licence/revoked')
  })

  it('says no licence keys are pinned for a hub never read online, outside a checkout', async () => {
    const file = join(work, 'any.licence')
    await writeFile(file, '{}')
    const answer = await run(
      ['licence', 'verify', file, '--index', base, '--cache', join(work, 'empty')],
      work,
    )
    expect(answer.code).toBe(1)
    expect(answer.stdout).toContain('licence/no-keys')
    // The address consulted is named: a hub bought from under another spelling finds no keys.
    expect(answer.stdout).toContain(
      `no licence keys pinned for ${base}: none in its cached index config`,
    )
    expect(answer.stdout).toContain('hint: pass --index with the URL the item was pulled from')
  })
})

describe('scripts/commands/licence serve', () => {
  it('refuses to start without a signing key whose public key the hub pins', async () => {
    const answer = await run(['licence', 'serve', '--port', '0'], process.cwd(), {})
    expect(answer.code).toBe(2)
    expect(answer.stderr).toContain('licence/bad-signing-key')
    expect(answer.stderr).toContain('AGORA_LICENCE_SIGNING_KEY is not set')
  })
})
