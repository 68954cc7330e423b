import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type BuiltSite,
  type OpenSite,
  openSite,
  phoneContext,
  phoneOverflow,
  watchErrors,
} from './harness.ts'

// Leaderboards on the sample hub: its agora.yaml grades docking-enrichment,
// dockscore-gnn has a verified A with two earlier versions (and an ef1 drop
// past the stability band), vina-kinase-configs a verified B, and
// dockscore-gnn-kinase a self-reported result.
let site: BuiltSite
let browser: Browser
let open: OpenSite | undefined

const BOARD = '/benchmarks/moleval/docking-enrichment/leaderboard/'

beforeAll(async () => {
  open = await openSite()
  ;({ site, browser } = open)
})

afterAll(async () => {
  await open?.close()
})

async function onPage<T>(
  context: BrowserContext,
  path: string,
  use: (page: Page) => Promise<T>,
): Promise<T> {
  const errors = watchErrors(context)
  const page = await context.newPage()
  try {
    await page.goto(`${site.url}${path}`)
    const result = await use(page)
    expect(errors).toEqual([])
    return result
  } finally {
    await page.close()
  }
}

const visibleItems = (page: Page) =>
  page
    .locator('table[data-leaderboard] tbody tr:visible')
    .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.item))

describe('site/leaderboard', () => {
  it('marks verified and community rows, grades and the Top Rated badge', async () => {
    const context = await browser.newContext()
    try {
      await onPage(context, BOARD, async (page) => {
        const row = (item: string) => page.locator(`tr[data-item="${item}"]`)
        await expect(row('openchem-lab/dockscore-gnn').getAttribute('data-status')).resolves.toBe(
          'verified',
        )
        expect(await row('openchem-lab/dockscore-gnn').locator('[data-grade]').innerText()).toBe(
          'A',
        )
        expect(await row('openchem-lab/dockscore-gnn').locator('[data-badge]').innerText()).toBe(
          'Top Rated',
        )
        expect(
          await row('openchem-lab/vina-kinase-configs').locator('[data-grade]').innerText(),
        ).toBe('B')
        expect(await row('openchem-lab/vina-kinase-configs').locator('[data-badge]').count()).toBe(
          0,
        )
        const community = row('aiko-tanaka/dockscore-gnn-kinase')
        expect(await community.getAttribute('data-status')).toBe('community')
        expect(await community.locator('[data-badge]').count()).toBe(0)
      })
    } finally {
      await context.close()
    }
  })

  it('filters by status, type and date, and sorts by a column', async () => {
    const context = await browser.newContext()
    try {
      await onPage(context, BOARD, async (page) => {
        const all = await visibleItems(page)
        expect(all.length).toBeGreaterThanOrEqual(3)
        const form = page.locator('form[data-lb-filters]')
        await expect(form.isVisible()).resolves.toBe(true)
        await form.locator('select[name=status]').selectOption('community')
        expect(await visibleItems(page)).toEqual(['aiko-tanaka/dockscore-gnn-kinase'])
        expect(await page.locator('[data-lb-count]').innerText()).toBe(
          `1 of ${all.length} results shown`,
        )
        await form.locator('select[name=status]').selectOption('verified')
        expect(await visibleItems(page)).not.toContain('aiko-tanaka/dockscore-gnn-kinase')
        await form.locator('select[name=status]').selectOption('')
        await form.locator('select[name=type]').selectOption('model')
        expect((await visibleItems(page)).length).toBeGreaterThan(0)
        await form.locator('select[name=type]').selectOption('')
        await form.locator('input[name=since]').fill('2025-05-10')
        const recent = await visibleItems(page)
        expect(recent).toContain('openchem-lab/dockscore-gnn') // 2025-05-12
        expect(recent).not.toContain('openchem-lab/vina-kinase-configs') // 2025-04-02
        await form.locator('input[name=since]').fill('')

        // Grade, best first, then the other way.
        const grade = page.getByRole('button', { name: 'Sort by grade' })
        await grade.click()
        const grades = () =>
          page
            .locator('table[data-leaderboard] tbody tr [data-grade]')
            .evaluateAll((cells) => cells.map((c) => (c as HTMLElement).innerText))
        const asc = (await grades()).filter((g) => g !== '—')
        expect(asc).toEqual([...asc].sort())
        expect(
          await page
            .locator('th:has(button[aria-label="Sort by grade"])')
            .getAttribute('aria-sort'),
        ).toBe('ascending')
        await grade.click()
        const desc = (await grades()).filter((g) => g !== '—')
        expect(desc).toEqual([...desc].sort().reverse())
      })
    } finally {
      await context.close()
    }
  })

  it('charts each item’s score across its versions and says how to submit', async () => {
    const context = await browser.newContext()
    try {
      await onPage(context, BOARD, async (page) => {
        const chart = page.locator('[data-score-chart]')
        expect(
          await chart.locator('g[data-series="openchem-lab/dockscore-gnn"] circle').count(),
        ).toBe(3)
        expect(await chart.locator('svg').getAttribute('aria-label')).toContain(
          'openchem-lab/dockscore-gnn 1.0.0 12.4, 1.1.0 19.6, 1.2.0 18.2',
        )
        const submit = page.locator('[data-how-to-submit]')
        const text = await submit.innerText()
        expect(text).toContain('labels.csv')
        expect(text).toMatch(/name: the row id/)
        expect(text).toMatch(/score: a number, lower means more likely/)
        expect(await submit.locator('pre').innerText()).toContain(
          'agora eval <ns>/<name> --benchmark moleval/docking-enrichment@1.0.0 --predictions predictions.csv --write',
        )
      })
    } finally {
      await context.close()
    }
  })

  it('serves grades and verified or community status in the JSON API', async () => {
    const res = await fetch(
      `${site.url}/api/benchmarks/moleval/docking-enrichment/leaderboard.json`,
    )
    const doc = (await res.json()) as {
      rows: { item: string; status: string; grade: string | null; badges: string[] }[]
    }
    expect(doc.rows.find((r) => r.item === 'openchem-lab/dockscore-gnn')).toMatchObject({
      status: 'verified',
      grade: 'A',
      badges: ['verified', 'top-rated'],
    })
    expect(doc.rows.find((r) => r.item === 'aiko-tanaka/dockscore-gnn-kinase')).toMatchObject({
      status: 'community',
      badges: [],
    })
  })

  it('flags a regression on the item page', async () => {
    const context = await browser.newContext()
    try {
      await onPage(context, '/models/openchem-lab/dockscore-gnn/', async (page) => {
        const flags = page.locator('[data-regression]')
        expect(await flags.count()).toBe(1)
        expect(await flags.innerText()).toMatch(
          /Version 1\.2\.0 scores ef1 18\.2 .*7\.1% worse than 19\.6 for 1\.1\.0/,
        )
      })
      await onPage(context, '/models/openchem-lab/vina-kinase-configs/', async (page) => {
        expect(await page.locator('[data-regression]').count()).toBe(0)
      })
    } finally {
      await context.close()
    }
  })

  it('fits a 390 px phone with its filters, table and chart', async () => {
    const context = await phoneContext(browser)
    try {
      await onPage(context, BOARD, async (page) => {
        await expect(page.locator('form[data-lb-filters]').isVisible()).resolves.toBe(true)
        expect(await phoneOverflow(page)).toBe('')
        const chart = await page.locator('[data-score-chart] svg').boundingBox()
        expect(chart?.width).toBeLessThanOrEqual(390)
      })
    } finally {
      await context.close()
    }
  })
})
