import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BuiltSite, type OpenSite, openSite } from './harness.ts'

// The same hub with search split into one index per kind, as large hubs build it.
let site: BuiltSite
let context: BrowserContext
let errors: string[]

let open: OpenSite | undefined

beforeAll(async () => {
  open = await openSite({ AGORA_SEARCH_SPLIT_ABOVE: '0' })
  ;({ site, context, errors } = open)
})

afterAll(async () => {
  await open?.close()
})

async function search(path: string): Promise<{ page: Page; titles: string[]; kinds: string[] }> {
  const page = await context.newPage()
  await page.goto(`${site.url}${path}`)
  await page.waitForFunction(() =>
    /for “|of \d+|No matching/.test(document.querySelector('[data-status]')?.textContent ?? ''),
  )
  const titles = await page.locator('[data-results] .card h2 a').allTextContents()
  const kinds = await page.locator('[data-results] .card .badge.kind').allTextContents()
  return { page, titles, kinds: [...new Set(kinds)] }
}

describe('site/e2e/split-search', () => {
  it('searches every kind’s index from the all-kinds listing', async () => {
    const { page, titles } = await search(`/browse/?q=${encodeURIComponent('Evil Card')}`)
    expect(titles).toContain('Evil Card')
    const engines = await page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .map((e) => new URL(e.name).pathname)
        .filter((p) => p.endsWith('pagefind-entry.json')),
    )
    // One index per kind in the sample hub, merged into one search.
    expect(new Set(engines.map((p) => p.split('/')[2])).size).toBeGreaterThan(1)
    await page.close()
  })

  it('searches only its own kind’s index on a kind listing', async () => {
    const models = await search(`/models/?q=${encodeURIComponent('Evil Card')}`)
    expect(models.titles).toContain('Evil Card')
    await models.page.close()
    const datasets = await search('/datasets/?sort=name')
    expect(datasets.titles.length).toBeGreaterThan(1)
    expect(datasets.kinds).toEqual(['Dataset'])
    const engines = await datasets.page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .map((e) => new URL(e.name).pathname)
        .filter((p) => p.endsWith('pagefind-entry.json')),
    )
    expect(engines.every((p) => p.startsWith('/pagefind/datasets/'))).toBe(true)
    await datasets.page.close()
  })

  it('sorts the merged results by name with the all-kinds order', async () => {
    const { page, titles } = await search('/browse/?sort=name')
    expect(titles.length).toBeGreaterThan(2)
    expect(titles).toEqual(
      [...titles].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase(), 'en')),
    )
    await page.close()
    expect(errors).toEqual([])
  })
})
