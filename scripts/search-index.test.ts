import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { searchSource } from '../site/lib/search-indexes.ts'
import { countItemPages, type IndexedPage, indexSearch, sortOrders } from './search-index.ts'

const page = (id: string, title: string, updated: string, trending: number): IndexedPage => ({
  id,
  title,
  updated,
  trending,
})

/** A built site in miniature: item pages of two kinds and a listing page beside them. */
async function site(): Promise<{ dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'agora-pagefind-'))
  const item = (title: string, updated: string) =>
    `<html lang="en"><body><div data-pagefind-body><h1 data-pagefind-meta="title">${title}</h1><span data-pagefind-meta="updated:${updated}"></span><span data-pagefind-meta="trending:1"></span><p>${title} predicts toxicity.</p></div></body></html>`
  const pages: Record<string, string> = {
    'models/acme/alpha/index.html': item('Alpha', '2026-01-02'),
    'models/acme/beta/index.html': item('Beta', '2026-03-01'),
    'datasets/acme/gamma/index.html': item('Gamma', '2026-02-01'),
    'models/sort/name/index.html': '<html lang="en"><body><h1>Models by name</h1></body></html>',
  }
  for (const [file, html] of Object.entries(pages)) {
    await mkdir(join(dir, file, '..'), { recursive: true })
    await writeFile(join(dir, file), html)
  }
  return { dir }
}

async function build(splitAbove: number): Promise<string> {
  const { dir } = await site()
  await indexSearch(dir, { splitAbove })
  return dir
}

const readJson = async (file: string): Promise<unknown> => JSON.parse(await readFile(file, 'utf8'))

describe('scripts/search-index', () => {
  const dirs: string[] = []
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
  })

  it('orders trending and newest descending, undated last, and names ascending', () => {
    const pages = [
      page('en_a', 'beta', '2025-01-02', 1),
      page('en_b', 'Alpha', '', 5),
      page('en_c', 'gamma', '2025-03-01', 5),
      page('en_d', 'delta', '2024-12-31', 0.5),
    ]
    const orders = sortOrders(pages)
    expect(orders.trending).toEqual(['en_b', 'en_c', 'en_a', 'en_d'])
    expect(orders.newest).toEqual(['en_c', 'en_a', 'en_d', 'en_b'])
    expect(orders.name).toEqual(['en_b', 'en_a', 'en_d', 'en_c'])
  })

  it('counts item pages per kind, not the listing pages beside them', () => {
    expect(
      countItemPages([
        'models/acme/a/index.html',
        'models/sort/name/index.html',
        'models/page/2/index.html',
        'datasets/acme/b/index.html',
        'api/models/acme/a.json',
        'owners/acme/index.html',
      ]),
    ).toEqual(
      new Map([
        ['model', 1],
        ['dataset', 1],
      ]),
    )
  })

  it('writes one index over every kind while the hub is small', async () => {
    const dir = await build(10)
    dirs.push(dir)
    const pf = join(dir, 'pagefind')
    expect((await readJson(join(pf, 'pagefind-entry.json'))) as object).toHaveProperty('languages')
    const byName = (await readJson(join(pf, 'sort/name.json'))) as string[]
    expect(byName).toHaveLength(3)
    expect(searchSource(new Map([['model', 2]]), 'model').indexes).toEqual(['/pagefind/'])
  })

  it('writes one index per kind above the threshold, with per-kind and all-kinds orders', async () => {
    const dir = await build(2)
    dirs.push(dir)
    const pf = join(dir, 'pagefind')
    for (const folder of ['models', 'datasets'])
      expect((await readJson(join(pf, folder, 'pagefind-entry.json'))) as object).toHaveProperty(
        'languages',
      )
    const models = (await readJson(join(pf, 'models/sort/newest.json'))) as string[]
    const datasets = (await readJson(join(pf, 'datasets/sort/newest.json'))) as string[]
    expect(models).toHaveLength(2)
    expect(datasets).toHaveLength(1)
    // All kinds, newest first: Beta (models, March), Gamma (datasets, February), Alpha.
    expect(await readJson(join(pf, 'sort/newest.json'))).toEqual([
      models[0],
      datasets[0],
      models[1],
    ])
    const counts = new Map([
      ['model', 2],
      ['dataset', 1],
    ] as const)
    expect(searchSource(counts, undefined, 2)).toEqual({
      indexes: ['/pagefind/models/', '/pagefind/datasets/'],
      sort: '/pagefind/sort/',
    })
    expect(searchSource(counts, 'dataset', 2)).toEqual({
      indexes: ['/pagefind/datasets/'],
      sort: '/pagefind/datasets/sort/',
    })
  })
})
