import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256, startTestHub, type TestHub } from '../../core/client/__fixtures__/test-hub.ts'
import { main } from '../agora.ts'
import { captureStream } from '../cli/capture.ts'
import type { InfoReport } from './info.ts'

const weights = 'weights of version two'
const config = '{"hidden": 64}'
const offlineFetch = (() => {
  throw new Error('no network in offline mode')
}) as unknown as typeof fetch

async function run(argv: string[], cwd: string, fetch: typeof globalThis.fetch = globalThis.fetch) {
  const stdout = captureStream()
  const stderr = captureStream()
  const code = await main(argv, { cwd, env: {}, stdout, stderr, fetch })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

describe('scripts/commands/info', () => {
  let hub: TestHub
  let work: string
  const source = () => ['--index', hub.url, '--key', hub.publicKey, '--cache', join(work, 'cache')]
  const info = (spec: string, ...extra: string[]) =>
    run(['info', spec, ...source(), ...extra], work)

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'agora-info-'))
    hub = await startTestHub(
      {
        'acme/tox': {
          '1.0.0': { 'model.bin': 'weights of version one' },
          '1.1.0': { 'model.bin': 'weights of version 1.1' },
          '2.0.0': { 'model.bin': weights, 'config.json': config },
        },
        'datasets/acme/evil': { '1.0.0': { 'data.csv': 'a,b\n' } },
      },
      { 'curators/kit': ['acme/tox@^1.0.0', 'datasets/acme/evil'] },
      {
        'acme/tox': {
          title: 'Tox GNN',
          summary: 'Predicts Tox21 endpoints.',
          tags: ['toxicology', 'gnn'],
          'dist-tags': { latest: '2.0.0', stable: '1.0.0' },
          pricing: { model: 'per-download', price: 5, currency: 'USD' },
        },
        'acme/tox@1.1.0': { status: { state: 'yanked', reason: 'wrong labels' } },
        'acme/tox@2.0.0': { released: '2026-03-01' },
        'datasets/acme/evil': {
          title: 'Evil \u001b[31mOK',
          status: { state: 'deprecated', reason: 'see \u001b[2Jhere\nok 1.0.0' },
        },
        'datasets/acme/evil@1.0.0': { status: { state: 'yanked', reason: 'bad\u202erow' } },
      },
    )
  })
  afterAll(async () => {
    await hub?.close()
    await rm(work, { recursive: true, force: true })
  })

  it('prints the versions, tags and files of the latest version', async () => {
    const { code, stdout, stderr } = await info('acme/tox')
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    expect(stdout).toBe(
      [
        'acme/tox (model): Tox GNN',
        'Predicts Tox21 endpoints.',
        'owners: acme',
        'license: MIT',
        'tags: toxicology, gnn',
        'pricing: per-download, 5 USD',
        'dist-tags: latest 2.0.0, stable 1.0.0',
        'versions:',
        '  2.0.0  (latest)  released 2026-03-01',
        '  1.1.0  yanked: wrong labels',
        '  1.0.0  (stable)',
        'files of 2.0.0: 2 files, 36 B',
        `  model.bin    22 B  sha256:${sha256(weights)}`,
        `  config.json  14 B  sha256:${sha256(config)}`,
        `commit: ${'c'.repeat(40)}`,
        '',
      ].join('\n'),
    )
  })

  it('--json prints one object with the same data', async () => {
    const { code, stdout } = await info('acme/tox', '--json')
    expect(code).toBe(0)
    const report = JSON.parse(stdout) as InfoReport
    expect(report).toEqual({
      ok: true,
      item: 'acme/tox',
      kind: 'model',
      id: 'acme/tox',
      title: 'Tox GNN',
      summary: 'Predicts Tox21 endpoints.',
      owners: ['acme'],
      license: 'MIT',
      tags: ['toxicology', 'gnn'],
      status: null,
      pricing: { model: 'per-download', price: 5, currency: 'USD' },
      dist_tags: { latest: '2.0.0', stable: '1.0.0' },
      versions: [
        { version: '2.0.0', released: '2026-03-01', tags: ['latest'] },
        { version: '1.1.0', status: { state: 'yanked', reason: 'wrong labels' }, tags: [] },
        { version: '1.0.0', tags: ['stable'] },
      ],
      selected: {
        version: '2.0.0',
        status: null,
        files: [
          { path: 'model.bin', size: 22, sha256: sha256(weights) },
          { path: 'config.json', size: 14, sha256: sha256(config) },
        ],
        total_size: 36,
      },
      members: null,
      commit: 'c'.repeat(40),
      warnings: [],
    } satisfies InfoReport)
  })

  it.each([
    ['acme/tox@stable', '1.0.0'],
    ['acme/tox@1.1.0', '1.1.0'],
    ['acme/tox@^1.0.0', '1.0.0'],
  ])('%s selects %s (a range skips the yanked version)', async (spec, version) => {
    const { code, stdout } = await info(spec, '--json')
    expect(code).toBe(0)
    expect((JSON.parse(stdout) as InfoReport).selected?.version).toBe(version)
  })

  it('shows a selected yanked version with its reason', async () => {
    const { stdout } = await info('acme/tox@1.1.0', '--json')
    expect((JSON.parse(stdout) as InfoReport).selected?.status).toEqual({
      state: 'yanked',
      reason: 'wrong labels',
    })
    expect((await info('acme/tox@1.1.0')).stdout).toContain('  1.1.0  yanked: wrong labels\n')
  })

  it('prints escape sequences and line breaks from the hub escaped', async () => {
    const { code, stdout } = await info('datasets/acme/evil')
    expect(code).toBe(0)
    expect(stdout).toContain('datasets/acme/evil (dataset): Evil \\x1b[31mOK\n')
    expect(stdout).toContain('status: deprecated: see \\x1b[2Jhere\\x0aok 1.0.0\n')
    expect(stdout).toContain('  1.0.0  (latest)  yanked: bad\\u202erow\n')
    expect(stdout.includes('\u001b') || stdout.includes('\u202e')).toBe(false)
    const json = await info('datasets/acme/evil', '--json')
    expect(json.stdout.includes('\u001b') || json.stdout.includes('\u202e')).toBe(false)
    expect((JSON.parse(json.stdout) as InfoReport).status?.reason).toBe(
      'see \u001b[2Jhere\nok 1.0.0',
    )
  })

  it('lists the members of a collection', async () => {
    const { code, stdout } = await info('collections/curators/kit')
    expect(code).toBe(0)
    expect(stdout).toBe(
      [
        'collections/curators/kit (collection): kit',
        's',
        'owners: curators',
        'license: CC0-1.0',
        'members: 2',
        '  acme/tox@^1.0.0',
        '  datasets/acme/evil',
        `commit: ${'c'.repeat(40)}`,
        '',
      ].join('\n'),
    )
  })

  it('--offline reads the copy an earlier lookup cached, checked again', async () => {
    await info('acme/tox')
    const offline = await run(
      [
        'info',
        'acme/tox@stable',
        '--offline',
        '--key',
        hub.publicKey,
        '--cache',
        join(work, 'cache'),
        '--json',
      ],
      work,
      offlineFetch,
    )
    expect(offline.code).toBe(0)
    expect((JSON.parse(offline.stdout) as InfoReport).selected?.version).toBe('1.0.0')
    const missing = await run(
      ['info', 'acme/never', '--offline', '--cache', join(work, 'cache')],
      work,
      offlineFetch,
    )
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('client/offline-missing')
  })

  it('an unknown item exits 2 with client/not-found and a hint', async () => {
    const { code, stdout, stderr } = await info('acme/nothing-here')
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toContain('client/not-found')
    expect(stderr).toContain('hint:')
    const json = await info('acme/nothing-here', '--json')
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      error: { code: 'client/not-found' },
    })
  })

  it('an unknown version or a bad spec exits 2 with the client codes', async () => {
    const version = await info('acme/tox@9.9.9')
    expect(version.code).toBe(2)
    expect(version.stderr).toContain('client/unknown-version')
    expect(version.stderr).toContain('hint: versions: 2.0.0, 1.1.0, 1.0.0; tags: latest, stable')
    const spec = await info('Not A Spec')
    expect(spec.code).toBe(2)
    expect(spec.stderr).toContain('client/bad-spec')
    const kind = await info('modles/acme/tox@1.0.0')
    expect(kind.code).toBe(2)
    expect(kind.stderr).toContain(
      'hint: "modles" is not a kind: did you mean models/acme/tox@1.0.0? kinds are models, datasets, adapters, loras, pipelines, benchmarks, collections',
    )
  })

  it('an --index that is no URL, answers nothing or is no hub gets a hint that says so', async () => {
    const cache = ['--cache', join(work, 'cache')]
    const path = await run(['info', 'acme/tox', '--index', 'dist', ...cache], work)
    expect(path.code).toBe(2)
    expect(path.stderr).toBe(
      'cli/bad-argument  --index "dist" is not an http(s) URL\n  hint: give the hub’s address, e.g. --index https://hub.example, the one its site is served from\n',
    )
    const closed = await new Promise<number>((done) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number }
        server.close(() => done(port))
      })
    })
    const refused = await run(
      ['info', 'acme/tox', '--index', `http://127.0.0.1:${closed}`, ...cache],
      work,
    )
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain(
      `hint: nothing answers at 127.0.0.1:${closed}: check the address (--index) and that the hub’s server is running`,
    )
    const elsewhere = await run(['info', 'acme/tox', '--index', `${hub.url}/nope`, ...cache], work)
    expect(elsewhere.code).toBe(2)
    expect(elsewhere.stderr).toContain(
      'hint: no Agora index here: give --index the hub’s own address, the one its site is served from',
    )
  })
})
