import { createHash } from 'node:crypto'
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadRegistry } from '#core/registry'
import { apiItem, apiLeaderboard } from './api.ts'
import { type CatalogRecord, catalogLoader } from './astro-loader.ts'
import { indexCatalog, sortLeaderboard } from './catalog-index.ts'
import { DetailStore } from './detail-store.ts'
import { buildEntry, facetsOf, itemPath, trendingScore } from './entry.ts'
import { EntryStore, type StoredEntry } from './entry-store.ts'
import { paginate, SORTS, sortEntries } from './listing.ts'
import { computeStats } from './stats.ts'
import type { SourceRegistry } from './types.ts'

const FIXTURE = new URL('../registry/__fixtures__/valid/', import.meta.url).pathname

let registry: SourceRegistry

beforeAll(async () => {
  const loaded = await loadRegistry(FIXTURE)
  expect(loaded.issues.filter((i) => i.severity === 'error')).toEqual([])
  registry = loaded.registry
})

describe('core/catalog/entry', () => {
  it('builds an entry with sorted versions, latest, files, facets and sanitised card', () => {
    const source = registry.items.get('model/acme/tox-gnn')
    if (!source) throw new Error('fixture item missing')
    const { entry, detail } = buildEntry(source)
    expect(entry.path).toBe('/models/acme/tox-gnn/')
    expect(entry.refText).toBe('acme/tox-gnn')
    expect(detail.versions.map((v) => v.version)).toEqual(['1.1.0', '1.0.0'])
    expect(entry.releases).toEqual([...entry.releases].sort())
    expect(entry.counts).toEqual({
      versions: 2,
      files: detail.versions.reduce((n, v) => n + v.files.length, 0),
      bytes: detail.versions.reduce((n, v) => n + v.files.reduce((b, f) => b + f.size, 0), 0),
    })
    expect(entry.latest).toBe('1.1.0')
    expect(entry.size).toBe(438291)
    expect(entry.parameters).toBe(1200000)
    expect(entry.facets.framework).toEqual(['pytorch'])
    expect(entry.facets.task).toEqual(['graph-ml'])
    expect(entry.parents.map((p) => [p.key, p.relation])).toEqual([
      ['dataset/acme/tox21', 'dataset'],
    ])
    expect(detail.readmeHtml).not.toMatch(/<script/i)
    expect(Object.keys(entry.terms).length).toBeGreaterThan(0)
  })

  it('reads each kind’s task and framework fields', () => {
    expect(
      facetsOf({
        kind: 'dataset',
        id: 'a/b',
        title: 't',
        summary: 's',
        owners: ['a'],
        license: 'MIT',
        format: 'csv',
        task_categories: ['x'],
      }),
    ).toMatchObject({ task: ['x'], framework: ['csv'], price: ['free'] })
    expect(itemPath({ kind: 'lora', ns: 'jdoe', name: 'legal-7b' })).toBe('/loras/jdoe/legal-7b/')
  })

  it('scores activity by age: a release today counts 1, a month old 0.5, results half', () => {
    expect(trendingScore(['2026-01-31'], [], '2026-01-31')).toBe(1)
    expect(trendingScore(['2026-01-01'], ['2026-01-31'], '2026-01-31')).toBe(1)
    expect(trendingScore([], [], '2026-01-31')).toBe(0)
  })
})

describe('core/catalog/catalog-index', () => {
  it('indexes lineage, collections, leaderboards, owners, staff picks and similar items', () => {
    const built = [...registry.items.values()].map((s) => buildEntry(s))
    const entries = built.map((b) => b.entry)
    const index = indexCatalog(entries, registry.hub, registry.owners)
    expect(index.entries.length).toBe(registry.items.size)
    expect(index.staffPicks.map((e) => e.key)).toEqual(['model/acme/tox-gnn', 'dataset/acme/tox21'])
    expect(index.byOwner.get('acme')?.length).toBeGreaterThan(0)
    for (const e of index.entries) expect(index.similar.get(e.key)).not.toContain(e.key)
    const lora = index.byKey.get('lora/jdoe/legal-7b')
    for (const p of lora?.parents ?? [])
      if (p.key && index.byKey.has(p.key))
        expect(index.children.get(p.key)?.map((c) => c.key)).toContain('lora/jdoe/legal-7b')
    const collections = index.byKind.get('collection') ?? []
    for (const c of collections)
      for (const m of c.members)
        if (m.key && index.byKey.has(m.key)) expect(index.collections.get(m.key)).toContain(c.key)
    const bench = index.byKind.get('benchmark')?.[0]
    if (bench && bench.item.kind === 'benchmark') {
      const board = apiLeaderboard(bench, index)
      expect(board.rows.map((r) => r.rank)).toEqual(board.rows.map((_, i) => i + 1))
      const metric = bench.item.metrics[0]
      if (metric) {
        const sorted = sortLeaderboard(index.leaderboards.get(bench.key) ?? [], metric)
        const values = sorted
          .map((r) => r.scores[metric.name])
          .filter((v): v is number => v !== undefined)
        expect(values).toEqual(
          [...values].sort((a, b) => (metric.higher_is_better ? b - a : a - b)),
        )
      }
    }
    const tox = built.find((b) => b.entry.key === 'model/acme/tox-gnn')
    if (!tox) throw new Error('fixture item missing')
    const doc = apiItem(tox.entry, tox.detail, index)
    expect(doc.downloads).toBeNull()
    expect(doc.versions[0]?.files[0]).toMatchObject({
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      // The fixture hub keeps blobs in a folder, served beside the site.
      download_url: expect.stringMatching(
        /^https:\/\/hub\.example\.org\/blobs\/sha256\/([0-9a-f]{2})\/\1[0-9a-f]{62}$/,
      ),
    })
  })

  it('sorts, paginates and counts without inventing download numbers', () => {
    const entries = indexCatalog(
      [...registry.items.values()].map((s) => buildEntry(s).entry),
      registry.hub,
      registry.owners,
    ).entries
    const names = sortEntries(entries, 'name').map((e) => e.item.title)
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b, 'en')))
    expect(SORTS.filter((s) => !s.available).map((s) => s.key)).toEqual(['downloads', 'rating'])
    expect(
      paginate(entries, 3)
        .map((p) => p.items.length)
        .reduce((a, b) => a + b, 0),
    ).toBe(entries.length)
    expect(paginate([], 3)).toEqual([{ page: 1, pages: 1, total: 0, items: [] }])
    const stats = computeStats(entries)
    expect(stats.total).toBe(entries.length)
    expect(Object.values(stats.byKind).reduce((a, b) => a + b, 0)).toBe(entries.length)
    for (const series of stats.kindsOverTime) expect(series.values.length).toBe(stats.months.length)
  })
})

describe('core/catalog/astro-loader', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-loader-'))
    await cp(FIXTURE, dir, { recursive: true })
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  /** The part of Astro's DataStore the loader uses, kept in a Map. */
  function memoryStore() {
    const map = new Map<
      string,
      { id: string; data: Record<string, unknown>; digest?: string | number }
    >()
    let writes = 0
    return {
      map,
      writes: () => writes,
      store: {
        get: (id: string) => map.get(id),
        set: (entry: { id: string; data: Record<string, unknown>; digest?: string | number }) => {
          writes += 1
          map.set(entry.id, entry)
          return true
        },
        keys: () => [...map.keys()],
        delete: (id: string) => void map.delete(id),
      },
    }
  }

  async function run(mem: ReturnType<typeof memoryStore>) {
    const infos: string[] = []
    const loader = catalogLoader({
      load: () => loadRegistry(dir),
      build: { commit: 'abc' },
      detailsDir: join(dir, 'details'),
      entriesFile: join(dir, 'entries.tsv'),
    })
    await loader.load({
      store: mem.store,
      generateDigest: (data: unknown) =>
        createHash('sha256')
          .update(typeof data === 'string' ? data : JSON.stringify(data))
          .digest('hex')
          .slice(0, 16),
      logger: { info: (m: string) => infos.push(m), warn: (m: string) => infos.push(m) },
    } as never)
    return infos
  }

  it('skips unchanged items, rebuilds changed ones and removes deleted ones', async () => {
    const mem = memoryStore()
    expect((await run(mem)).at(-1)).toMatch(/built/)
    const hub = mem.map.get('hub')?.data as CatalogRecord | undefined
    expect(hub?.type).toBe('hub')
    // Items live in the entries file, not in Astro's data store.
    expect([...mem.map.keys()].some((id) => id.startsWith('item:'))).toBe(false)
    const entries = new EntryStore(join(dir, 'entries.tsv'))
    const stored = async () => {
      const found = new Map<string, StoredEntry>()
      for await (const e of entries.read()) found.set(e.key, e)
      return found
    }
    const items = await stored()
    expect(items.size).toBeGreaterThan(3)
    expect(hub?.type === 'hub' && hub.entriesFile).toBe(entries.file)

    const details = new DetailStore(join(dir, 'details'))
    const digestOf = async (key: string): Promise<string> =>
      String((await stored()).get(key)?.digest)
    expect(await details.list()).toEqual(new Set([...items.values()].map((e) => e.digest)))
    const tox = await details.read(await digestOf('model/acme/tox-gnn'))
    expect(tox.versions.map((v) => v.version)).toEqual(['1.1.0', '1.0.0'])
    expect(tox.readmeHtml).toMatch(/<h[1-6]/)

    const before = await readFile(entries.file, 'utf8')
    const second = await run(mem)
    expect(second.at(-1)).toMatch(/: 0 built, \d+ unchanged, 0 removed; 0 stale/)
    expect(await readFile(entries.file, 'utf8')).toBe(before)

    // A detail lost from the cache is rebuilt even though the entry's digest matches.
    await rm(details.path(await digestOf('dataset/acme/tox21')))
    expect((await run(mem)).at(-1)).toMatch(/: 1 built, /)
    expect(
      (await details.read(await digestOf('dataset/acme/tox21'))).versions.length,
    ).toBeGreaterThan(0)

    // A lost entries file rebuilds every item.
    await rm(entries.file)
    expect((await run(mem)).at(-1)).toMatch(new RegExp(`: ${items.size} built, 0 unchanged`))

    const itemFile = join(dir, 'registry/models/ac/acme/tox-gnn/item.yaml')
    await writeFile(
      itemFile,
      (await readFile(itemFile, 'utf8')).replace('title: Tox GNN', 'title: Tox GNN v2'),
    )
    await rm(join(dir, 'registry/loras/jd/jdoe/legal-7b'), { recursive: true })
    const oldTox = await digestOf('model/acme/tox-gnn')
    const third = await run(mem)
    // The edited item's old detail and the deleted item's detail are both gone.
    expect(third.at(-1)).toMatch(/: 1 built, \d+ unchanged, 1 removed; 2 stale details deleted/)
    await expect(details.read(oldTox)).rejects.toThrow(/delete the build cache/)
    const after = await stored()
    expect(after.get('model/acme/tox-gnn')?.entry.item.title).toBe('Tox GNN v2')
    expect(after.has('lora/jdoe/legal-7b')).toBe(false)
    expect(after.size).toBe(items.size - 1)
  })

  it('leaves the previous entries file whole when a sync fails', async () => {
    const mem = memoryStore()
    await run(mem)
    const entries = new EntryStore(join(dir, 'entries.tsv'))
    const before = await readFile(entries.file, 'utf8')
    const itemFile = join(dir, 'registry/models/ac/acme/tox-gnn/item.yaml')
    await writeFile(
      itemFile,
      (await readFile(itemFile, 'utf8')).replace('title: Tox GNN', 'title: X'),
    )
    const failing = catalogLoader({
      load: () => loadRegistry(dir),
      detailsDir: join(dir, 'details'),
      entriesFile: entries.file,
    })
    // Fails on the third item, after the new file has lines in it.
    let items = 0
    await expect(
      failing.load({
        store: mem.store,
        generateDigest: (data: string) => {
          if (data.startsWith('[') && ++items === 3) throw new Error('disk full')
          return createHash('sha256').update(data).digest('hex').slice(0, 16)
        },
        logger: { info: () => {}, warn: () => {} },
      } as never),
    ).rejects.toThrow('disk full')
    expect(await readFile(entries.file, 'utf8')).toBe(before)
    expect((await readdir(dir)).filter((f) => f.includes('.tmp'))).toEqual([])
  })
})

describe('EntryStore', () => {
  it('names the file and line of a broken entry', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-entries-'))
    const entries = new EntryStore(join(dir, 'entries.tsv'))
    expect((await entries.lines()).size).toBe(0)
    await writeFile(entries.file, 'model/a/b\tf00d\t{"ref":1}\nmodel/a/c\tbeef\t{"ref":\n')
    const read = async () => {
      for await (const _ of entries.read()) {
      }
    }
    await expect(read()).rejects.toThrow(`${entries.file}:2: a broken entry`)
    await writeFile(entries.file, 'model/a/b f00d {}\n')
    await expect(read()).rejects.toThrow(/entries.tsv:1: .*delete the build cache/)
    await rm(dir, { recursive: true })
  })
})
