import { createHash } from 'node:crypto'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadRegistry } from '#core/registry'
import { type CatalogRecord, catalogLoader } from './astro-loader.ts'
import { EntryStore } from './entry-store.ts'
import { isUrlSegment, itemSegmentIssues, segmentProblem } from './segments.ts'
import type { SourceRegistry } from './types.ts'

const FIXTURE = new URL('../registry/__fixtures__/valid/', import.meta.url).pathname
const BENCH = 'registry/benchmarks/ac/acme/tox21-bench'

describe('core/catalog/segments', () => {
  it.each(['roc_auc', 'f1', 'test', 'text-generation', 'ROC-AUC@10', 'v1.2', '日本語'])(
    'accepts %j',
    (name) => {
      expect(segmentProblem(name)).toBeUndefined()
      expect(isUrlSegment(name)).toBe(true)
    },
  )

  it.each([
    ['..', 'is "." or ".."'],
    ['.', 'is "." or ".."'],
    ['', 'is empty'],
    ['.hidden', 'starts with a dot'],
    ['trailing.', 'ends with a dot'],
    ['a/b', 'contains one of / \\ ? # %'],
    ['../x', 'starts with a dot'],
    ['a\\b', 'contains one of / \\ ? # %'],
    ['a?b', 'contains one of / \\ ? # %'],
    ['a#b', 'contains one of / \\ ? # %'],
    ['%2e%2e', 'contains one of / \\ ? # %'],
    ['a b', 'contains spaces or control characters'],
    ['a\u0000b', 'contains spaces or control characters'],
    ['a\nb', 'contains spaces or control characters'],
    ['x'.repeat(201), 'is over 200 bytes'],
  ])('refuses %j: %s', (name, problem) => {
    expect(segmentProblem(name)).toBe(problem)
    expect(isUrlSegment(name)).toBe(false)
  })

  it('refuses what is not text', () => {
    expect(segmentProblem(undefined)).toBe('is not text')
    expect(segmentProblem(3)).toBe('is not text')
  })
})

describe('core/catalog/segments itemSegmentIssues', () => {
  it('names the field and file of each bad name of an item', async () => {
    const { registry } = await loadRegistry(FIXTURE)
    const source = registry.items.get('benchmark/acme/tox21-bench')
    if (!source) throw new Error('fixture item missing')
    expect(itemSegmentIssues(source)).toEqual([])
    const bad = {
      ...source,
      item: {
        ...source.item,
        tags: ['ok', '.'],
        domain: 'a/b',
        metrics: [{ name: 'roc_auc' }, { name: '..' }],
      } as typeof source.item,
    }
    expect(itemSegmentIssues(bad).map((i) => [i.file, i.field, i.value])).toEqual([
      [`${BENCH}/item.yaml`, 'tags[1]', '.'],
      [`${BENCH}/item.yaml`, 'domain', 'a/b'],
      [`${BENCH}/item.yaml`, 'metrics[1].name', '..'],
    ])
  })

  it('leaves free-text tasks alone: they are no path segment', async () => {
    const { registry } = await loadRegistry(FIXTURE)
    const source = registry.items.get('pipeline/acme/screen')
    if (!source) throw new Error('fixture item missing')
    expect(itemSegmentIssues(source)).toEqual([])
  })
})

describe('core/catalog/astro-loader skips items it cannot build', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-segments-'))
    await cp(FIXTURE, dir, { recursive: true })
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  async function run(change?: (registry: SourceRegistry) => void) {
    const warnings: string[] = []
    const infos: string[] = []
    const map = new Map<string, { id: string; data: Record<string, unknown> }>()
    const loader = catalogLoader({
      load: async () => {
        const loaded = await loadRegistry(dir)
        change?.(loaded.registry)
        return loaded
      },
      detailsDir: join(dir, 'details'),
      entriesFile: join(dir, 'entries.tsv'),
    })
    await loader.load({
      store: {
        get: (id: string) => map.get(id),
        set: (e: { id: string; data: Record<string, unknown> }) => map.set(e.id, e) && true,
        keys: () => [...map.keys()],
        delete: (id: string) => void map.delete(id),
      },
      generateDigest: (data: unknown) =>
        createHash('sha256').update(String(data)).digest('hex').slice(0, 16),
      logger: { info: (m: string) => infos.push(m), warn: (m: string) => warnings.push(m) },
    } as never)
    const keys: string[] = []
    for await (const { key } of new EntryStore(join(dir, 'entries.tsv')).read()) keys.push(key)
    return { warnings, infos, keys, map }
  }

  it.each([
    ['..', 'metrics[0].name ".."'],
    ['.', 'metrics[0].name "."'],
    ['.hidden', 'metrics[0].name ".hidden"'],
  ])(
    'a metric named %j: the item is left out with a warning naming its file',
    async (name, field) => {
      // The schema refuses such names, so the item does not load; the build
      // goes on without it and says where the problem is.
      const file = join(dir, BENCH, 'item.yaml')
      const text = await readFile(file, 'utf8')
      await writeFile(file, text.replace('name: roc_auc', `name: ${JSON.stringify(name)}`))
      const { warnings, keys } = await run()
      expect(keys).not.toContain('benchmark/acme/tox21-bench')
      expect(keys).toContain('model/acme/tox-gnn')
      const said = warnings.join('\n')
      expect(said).toContain(`${BENCH}/item.yaml:8:19`)
      expect(said).toContain(`${field} does not have the expected form`)
    },
  )

  it('a tag that is not a segment skips only its item', async () => {
    const file = join(dir, 'registry/models/ac/acme/tox-gnn/item.yaml')
    const text = await readFile(file, 'utf8')
    await writeFile(file, text.replace('tags: [toxicology, GNN]', 'tags: ["..", ok]'))
    const { warnings, keys } = await run()
    expect(keys).not.toContain('model/acme/tox-gnn')
    expect(keys).toContain('benchmark/acme/tox21-bench')
    expect(warnings.some((w) => w.includes('tags[0] ".."'))).toBe(true)
  })

  it.each(['..', '.', 'a/b'])('a domain id %j gets no page and a warning', async (id) => {
    const { map, warnings } = await run((registry) => {
      registry.hub.domains.push({ id, label: 'Hostile' })
    })
    const hub = map.get('hub')?.data as unknown as CatalogRecord & { type: 'hub' }
    expect(hub.hub.domains.map((d) => d.id)).not.toContain(id)
    expect(hub.hub.domains.length).toBeGreaterThan(0)
    expect(
      warnings.some((w) =>
        w.startsWith(`registry/agora.yaml: domain ${JSON.stringify(id)} skipped`),
      ),
    ).toBe(true)
  })

  it('an owner namespace that is not a segment gets no owner page', async () => {
    const { map, warnings } = await run((registry) => {
      registry.owners.set('..', { type: 'user', name: 'Hostile' })
    })
    expect(map.has('owner:..')).toBe(false)
    expect(map.has('owner:acme')).toBe(true)
    expect(warnings.some((w) => w.includes('owner skipped: namespace ".."'))).toBe(true)
  })
})
