import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestHub, type TestHub } from '../../core/client/__fixtures__/test-hub.ts'
import { loadSearch } from '../../core/client/resolve.ts'
import { main } from '../agora.ts'
import { captureStream } from '../cli/capture.ts'
import type { ListReport } from './list.ts'
import type { SearchReport } from './search.ts'

const offlineFetch = (() => {
  throw new Error('no network in offline mode')
}) as unknown as typeof fetch

async function run(argv: string[], cwd: string, fetch: typeof globalThis.fetch = globalThis.fetch) {
  const stdout = captureStream()
  const stderr = captureStream()
  const code = await main(argv, { cwd, env: {}, stdout, stderr, fetch })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

const files = { '1.0.0': { 'model.safetensors': 'weights' } }

describe('scripts/commands/search and list', () => {
  let hub: TestHub
  let work: string
  const source = (cache = 'cache') => [
    '--index',
    hub.url,
    '--key',
    hub.publicKey,
    '--cache',
    join(work, cache),
  ]
  const search = (...args: string[]) => run(['search', ...args, ...source()], work)
  const list = (...args: string[]) => run(['list', ...args, ...source()], work)
  const ids = (stdout: string) =>
    (JSON.parse(stdout) as SearchReport | ListReport).results.map((r) => r.item)

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'agora-search-'))
    hub = await startTestHub(
      {
        'acme/tox-gnn': files,
        'datasets/acme/tox21': { '1.0.0': { 'data.csv': 'a,b\n' } },
        'helix/tokenizer': files,
        'acme/cell-painter': files,
        'datasets/evil/hostile': { '1.0.0': { 'data.csv': 'x\n' } },
        'acme/gone': files,
      },
      {},
      {
        'acme/tox-gnn': {
          title: 'Tox GNN',
          summary: 'Predicts Tox21 toxicity endpoints from molecules.',
          tags: ['toxicology', 'gnn'],
          domain: 'chemistry',
          library_name: 'pytorch',
        },
        'acme/tox-gnn@1.0.0': { released: '2026-03-01' },
        'datasets/acme/tox21': {
          title: 'Tox21',
          summary: 'Twelve toxicity assays.',
          tags: ['toxicology'],
          domain: 'chemistry',
          format: 'csv',
        },
        'datasets/acme/tox21@1.0.0': { released: '2026-01-10' },
        'helix/tokenizer': {
          title: 'Fast tokenizer',
          summary: 'A BPE tokenizer for protein sequences.',
          tags: ['nlp', 'protein'],
          domain: 'biology',
          license: 'Apache-2.0',
        },
        'helix/tokenizer@1.0.0': { released: '2026-02-01' },
        'acme/cell-painter': {
          title: 'Cell painter',
          summary: 'Segments cells; mentions toxicology in passing.',
          tags: ['imaging'],
        },
        'acme/cell-painter@1.0.0': { released: '2025-06-01' },
        'datasets/evil/hostile': {
          title: 'Evil \u001b[2J\u202eTitle',
          summary: 'tox\nok fake line',
          tags: ['toxicology'],
        },
        'acme/gone': {
          title: 'Tox gone',
          status: { state: 'taken-down', reason: 'licence' },
        },
      },
    )
  })
  afterAll(async () => {
    await hub?.close()
    await rm(work, { recursive: true, force: true })
  })

  it('ranks id and title matches above tags above the summary, in an aligned table', async () => {
    const { code, stdout, stderr } = await search('tox')
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    expect(stdout).toBe(
      [
        'ITEM                   LATEST  UPDATED     TITLE',
        'acme/tox-gnn           1.0.0   2026-03-01  Tox GNN',
        'datasets/acme/tox21    1.0.0   2026-01-10  Tox21',
        'datasets/evil/hostile  1.0.0   -           Evil \\x1b[2J\\u202eTitle',
        'acme/cell-painter      1.0.0   2025-06-01  Cell painter',
        '',
      ].join('\n'),
    )
  })

  it('--json prints a stable shape with every field and the score', async () => {
    const { code, stdout } = await search('tox', '--limit', '1', '--json')
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toEqual({
      ok: true,
      query: 'tox',
      total: 4,
      results: [
        {
          item: 'acme/tox-gnn',
          kind: 'model',
          id: 'acme/tox-gnn',
          title: 'Tox GNN',
          summary: 'Predicts Tox21 toxicity endpoints from molecules.',
          owners: ['acme'],
          license: 'MIT',
          domains: ['chemistry'],
          tags: ['toxicology', 'gnn'],
          tasks: [],
          formats: ['pytorch', 'safetensors'],
          latest: '1.0.0',
          created: '2026-03-01',
          updated: '2026-03-01',
          trending: 1,
          downloads: null,
          rating: null,
          status: 'active',
          score: 10,
        },
      ],
      warnings: [],
    } satisfies SearchReport)
  })

  it('says how many more there are when --limit cuts the list', async () => {
    const { stdout } = await search('tox', '--limit', '2')
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('2 of 4 results; --limit 4 shows all')
  })

  it('tolerates typos by word length, matches prefixes and needs every word', async () => {
    // Equal scores (a typo in a tag) go to the more active item first.
    expect(ids((await search('toxicolgy', '--json')).stdout)).toEqual([
      'acme/tox-gnn',
      'datasets/acme/tox21',
      'datasets/evil/hostile',
      'acme/cell-painter',
    ])
    expect(ids((await search('tokeniser', '--json')).stdout)).toEqual(['helix/tokenizer'])
    expect(ids((await search('prot', '--json')).stdout)).toEqual(['helix/tokenizer'])
    expect(ids((await search('tox', 'gnn', '--json')).stdout)).toEqual(['acme/tox-gnn'])
    expect(ids((await search('bpe tokenizer for protein', '--json')).stdout)).toEqual([
      'helix/tokenizer',
    ])
    // Three letters allow no typo; two edits need eight letters.
    expect(ids((await search('gnm', '--json')).stdout)).toEqual([])
    expect(ids((await search('tokxnizxr', '--json')).stdout)).toEqual(['helix/tokenizer'])
    expect(ids((await search('tpxn', '--json')).stdout)).toEqual([])
    // Two neighbouring letters swapped are one typo, not two.
    expect(ids((await search('prtoein', '--json')).stdout)).toEqual(['helix/tokenizer'])
  })

  it('matches no one-letter stem and nothing for nonsense: exit 1 and an empty list', async () => {
    for (const query of ['t', 'qwzzyxv', 'tox qwzzyxv']) {
      const text = await search(query)
      expect(text).toEqual({ code: 1, stdout: '', stderr: `no items match "${query}"\n` })
      const json = await search(query, '--json')
      expect({ code: json.code, stderr: json.stderr }).toEqual({ code: 1, stderr: '' })
      expect(JSON.parse(json.stdout)).toEqual({
        ok: true,
        query,
        total: 0,
        results: [],
        warnings: [],
      })
    }
  })

  it('never shows a taken-down item', async () => {
    expect(ids((await search('gone', '--json')).stdout)).toEqual([])
    expect(ids((await list('--limit', '100', '--json')).stdout)).not.toContain('acme/gone')
  })

  it('filters by kind (plural too), domain, owner, tag and licence', async () => {
    expect(ids((await search('tox', '--kind', 'datasets', '--json')).stdout)).toEqual([
      'datasets/acme/tox21',
      'datasets/evil/hostile',
    ])
    expect(ids((await search('tox', '--domain', 'Chemistry', '--json')).stdout)).toEqual([
      'acme/tox-gnn',
      'datasets/acme/tox21',
    ])
    expect(
      ids((await search('tox', '--tag', 'toxicology', '--owner', 'acme', '--json')).stdout),
    ).toEqual(['acme/tox-gnn', 'datasets/acme/tox21'])
    expect(ids((await list('--license', 'apache-2.0', '--json')).stdout)).toEqual([
      'helix/tokenizer',
    ])
    expect(ids((await list('--owner', 'acme', '--kind', 'model', '--json')).stdout)).toEqual([
      'acme/tox-gnn',
      'acme/cell-painter',
    ])
    const bad = await search('tox', '--kind', 'widget')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('cli/bad-argument')
    expect(bad.stderr).toContain('hint: use one of model, dataset')
  })

  it('lists by trending, newest and name', async () => {
    expect(ids((await list('--json')).stdout)).toEqual([
      'acme/tox-gnn',
      'helix/tokenizer',
      'datasets/acme/tox21',
      'acme/cell-painter',
      'datasets/evil/hostile',
    ])
    expect(ids((await list('--sort', 'newest', '--limit', '3', '--json')).stdout)).toEqual([
      'acme/tox-gnn',
      'helix/tokenizer',
      'datasets/acme/tox21',
    ])
    const byName = JSON.parse((await list('--sort', 'name', '--json')).stdout) as ListReport
    expect(byName.results.map((r) => r.title)).toEqual([
      'Cell painter',
      'Evil \u001b[2J\u202eTitle',
      'Fast tokenizer',
      'Tox GNN',
      'Tox21',
    ])
    expect(byName).toMatchObject({ ok: true, sort: 'name', total: 5 })
  })

  it('refuses sorts the hub has no figures for, and unknown sorts', async () => {
    const downloads = await list('--sort', 'downloads')
    expect(downloads.code).toBe(2)
    expect(downloads.stderr).toContain('this hub records no download counts')
    expect(downloads.stderr).toContain('hint: sort by trending, newest or name')
    const unknown = await list('--sort', 'stars')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('hint: use one of trending, newest, name, downloads, rating')
  })

  it('an empty listing is still a listing: exit 0', async () => {
    const { code, stdout, stderr } = await list('--tag', 'nothing-has-this')
    expect({ code, stdout, stderr }).toEqual({
      code: 0,
      stdout: '',
      stderr: 'no items pass the filters\n',
    })
  })

  it('prints hostile titles escaped, in the table and in JSON', async () => {
    const { stdout } = await list('--owner', 'evil')
    expect(stdout).toContain('Evil \\x1b[2J\\u202eTitle')
    expect(stdout.includes('\u001b') || stdout.includes('\u202e')).toBe(false)
    const json = await search('hostile', '--json')
    expect(json.stdout.includes('\u001b') || json.stdout.includes('\u202e')).toBe(false)
    expect((JSON.parse(json.stdout) as SearchReport).results[0]?.summary).toBe('tox\nok fake line')
  })

  it('--offline searches the copy an earlier search cached, and says when there is none', async () => {
    await search('tox')
    const offline = await run(
      ['search', 'tokenizer', '--offline', ...source(), '--json'],
      work,
      offlineFetch,
    )
    expect(offline.code).toBe(0)
    expect(ids(offline.stdout)).toEqual(['helix/tokenizer'])
    const none = await run(['list', '--offline', ...source('empty-cache')], work, offlineFetch)
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('client/offline-missing')
    expect(none.stderr).toContain('hint: search or list once with network access')
  })

  it('names the closest ids when pull, install or info is given one the index lacks', async () => {
    const info = await run(['info', 'acme/tox-gn', ...source()], work)
    expect(info.code).toBe(2)
    expect(info.stderr).toContain('client/not-found')
    expect(info.stderr).toContain('hint: did you mean models/acme/tox-gnn? check the item id')
    const pull = await run(['pull', 'acme/tox21', ...source()], work)
    expect(pull.code).toBe(2)
    expect(pull.stderr).toContain('hint: did you mean datasets/acme/tox21?')
    const install = await run(['install', 'acme/tokenizer', ...source(), '--json'], work)
    expect(JSON.parse(install.stdout)).toMatchObject({
      ok: false,
      error: {
        code: 'client/not-found',
        hint: expect.stringMatching(/^did you mean models\/helix\/tokenizer\? /),
      },
    })
    const far = await run(['info', 'zzz/nothing-like-it', ...source()], work)
    expect(far.stderr).not.toContain('did you mean')
    const offline = await run(['info', 'acme/tox-gn', '--offline', ...source()], work, offlineFetch)
    expect(offline.stderr).toContain('client/offline-missing')
    expect(offline.stderr).toContain('hint: did you mean models/acme/tox-gnn?')
  })

  it('checks the search document like every index document: signature and size cap', async () => {
    const other = await startTestHub({ 'acme/x': files })
    try {
      const options = { fetch, indexUrl: other.url, publicKey: other.publicKey }
      await expect(loadSearch({ ...options, maxDocumentBytes: 64 })).rejects.toMatchObject({
        code: 'client/document-too-large',
      })
      const path = join(other.root, 'index', 'search.json')
      await writeFile(path, (await readFile(path, 'utf8')).replace('"title":"x"', '"title":"y"'))
      const { code, stderr } = await run(
        [
          'search',
          'y',
          '--index',
          other.url,
          '--key',
          other.publicKey,
          '--cache',
          join(work, 'c2'),
        ],
        work,
      )
      expect(code).toBe(2)
      expect(stderr).toContain('index/bad-signature')
    } finally {
      await other.close()
    }
  })

  it('a hub without a search document gets a clear error and a hint', async () => {
    const bare = await startTestHub({ 'acme/x': files })
    try {
      await rm(join(bare.root, 'index', 'search.json'))
      const args = ['--index', bare.url, '--key', bare.publicKey, '--cache', join(work, 'bare')]
      for (const argv of [
        ['search', 'x', ...args],
        ['list', ...args],
      ]) {
        const { code, stderr } = await run(argv, work)
        expect(code).toBe(2)
        expect(stderr).toContain('client/no-search-index')
        expect(stderr).toContain("hint: the hub's index was built by an agora without search")
      }
      // An index from before search: config.json names no search document.
      const configPath = join(bare.root, 'index', 'config.json')
      const { signed } = JSON.parse(await readFile(configPath, 'utf8'))
      const { search: _, public_key: __, key_id: ___, ...older } = signed
      await writeFile(configPath, JSON.stringify({ signed: older }))
      const old = await run(['list', '--index', bare.url, '--cache', join(work, 'old')], work)
      expect(old.code).toBe(2)
      expect(old.stderr).toContain('client/no-search-index')
      expect(old.stderr).toContain('/index/config.json names no search document')
      // Without it, an unknown id still fails with the plain hint.
      const info = await run(['info', 'acme/y', ...args], work)
      expect(info.stderr).toContain('client/not-found')
      expect(info.stderr).not.toContain('did you mean')
    } finally {
      await bare.close()
    }
  })
})
