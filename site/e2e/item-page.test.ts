import { createHash } from 'node:crypto'
import type { Browser, BrowserContext, Page, Request } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type BuiltSite,
  FIXTURE_SMILES,
  HANG_VALUES,
  type OpenSite,
  openSite,
  watchErrors,
} from './harness.ts'

// Item pages: download links, copy buttons, dataset previews read with a
// Range request, and SMILES drawn as SVG, at desktop width and on a phone.
let site: BuiltSite
let browser: Browser
let open: OpenSite | undefined

const ROWS_PAGE = '/datasets/mallory/evil-rows/'

beforeAll(async () => {
  open = await openSite()
  ;({ site, browser } = open)
})

afterAll(async () => {
  await open?.close()
})

const VIEWPORTS = [
  { name: 'desktop', viewport: { width: 1280, height: 900 }, isMobile: false },
  { name: '390 px phone', viewport: { width: 390, height: 844 }, isMobile: true },
] as const

async function withContext<T>(
  viewport: (typeof VIEWPORTS)[number],
  use: (context: BrowserContext, errors: string[]) => Promise<T>,
): Promise<T> {
  const context = await browser.newContext({
    viewport: viewport.viewport,
    isMobile: viewport.isMobile,
    deviceScaleFactor: 1,
  })
  const errors = watchErrors(context)
  try {
    return await use(context, errors)
  } finally {
    await context.close()
  }
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

/** The table a `<details data-preview>` fills once its rows are read. */
function previewOf(page: Page, path: string) {
  return page
    .locator('details.preview')
    .filter({ has: page.locator(`summary code`, { hasText: path }) })
}

describe('site/e2e/item-page/download', () => {
  it('links each public file to its blob, whose bytes hash to the listed sha256', async () => {
    await withContext(VIEWPORTS[0], async (context) => {
      const page = await context.newPage()
      await page.goto(`${site.url}${ROWS_PAGE}`)
      for (const file of Object.values(site.rows)) {
        const row = page.locator('table.files tbody tr').filter({ hasText: file.path })
        const link = row.locator('a[data-download]')
        const href = await link.getAttribute('href')
        expect(href).toBe(`/blobs/sha256/${file.sha256.slice(0, 2)}/${file.sha256}`)
        const response = await page.request.get(new URL(href ?? '', page.url()).href)
        expect(response.status()).toBe(200)
        const body = new Uint8Array(await response.body())
        expect(sha256(body)).toBe(file.sha256)
        expect(await row.locator('.hash').textContent()).toBe(sha256(body))
      }
      await page.close()
    })
  })

  it('shows paid files with a licence note and no link', async () => {
    await withContext(VIEWPORTS[0], async (context) => {
      const page = await context.newPage()
      await page.goto(`${site.url}/datasets/lexica-ai/case-law-summaries/`)
      const rows = page.locator('table.files tbody tr')
      expect(await rows.count()).toBeGreaterThan(0)
      for (const row of await rows.all()) {
        expect(await row.locator('a').count()).toBe(0)
        expect(await row.locator('.licence-required').textContent()).toContain('licence required')
      }
      await page.close()
    })
  })
})

describe('site/e2e/item-page/copy', () => {
  it('copies a command snippet and a README code block from the keyboard, saying Copied', async () => {
    await withContext(VIEWPORTS[0], async (context) => {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: site.url })
      const page = await context.newPage()
      await page.goto(`${site.url}${ROWS_PAGE}`)
      const blocks = [
        page.locator('.snippet .code-block').first(),
        page.locator('.card-body .code-block').first(),
      ]
      for (const block of blocks) {
        const expected = await block.locator('pre').textContent()
        const button = block.locator('button.copy-code')
        expect(await button.textContent()).toBe('Copy')
        await button.focus()
        await page.keyboard.press('Enter')
        await expect.poll(() => button.textContent()).toBe('Copied')
        expect(await block.locator('[role="status"]').textContent()).toBe('Copied to the clipboard')
        expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(expected)
      }
      expect(await page.locator('.snippet pre').first().textContent()).toContain(
        'agora pull datasets/mallory/evil-rows@1.0.0',
      )
      await page.close()
    })
  })
})

describe('site/e2e/item-page/preview', () => {
  for (const viewport of VIEWPORTS) {
    it(`shows the first rows of a large CSV from one Range request, SMILES drawn, hostile cells as text (${viewport.name})`, async () => {
      await withContext(viewport, async (context, errors) => {
        const page = await context.newPage()
        const file = site.rows.csv
        const blobPath = `/blobs/sha256/${file.sha256.slice(0, 2)}/${file.sha256}`
        const requests: Request[] = []
        page.on('request', (r) => {
          if (new URL(r.url()).pathname === blobPath) requests.push(r)
        })
        let dialogs = 0
        page.on('dialog', (d) => {
          dialogs += 1
          void d.dismiss()
        })
        await page.goto(`${site.url}${ROWS_PAGE}`)
        const preview = previewOf(page, file.path)
        const table = preview.locator('table')
        await expect.poll(() => table.locator('tbody tr').count()).toBe(20)

        expect(requests).toHaveLength(1)
        const request = requests[0] as Request
        expect(request.headers()['range']).toBe('bytes=0-65535')
        const response = await request.response()
        expect(response?.status()).toBe(206)
        const fetched = (await request.sizes()).responseBodySize
        expect(fetched).toBeLessThanOrEqual(65536)
        expect(fetched * 4).toBeLessThan(file.size)

        expect(await table.locator('thead th').allTextContents()).toEqual([
          'id',
          'name',
          'smiles',
          'note',
        ])
        const cells = (row: number) => table.locator('tbody tr').nth(row).locator('td')
        // A Kekulé SMILES becomes a drawing with its text beneath.
        const drawn = cells(0).nth(2)
        expect(await drawn.locator('svg.molecule line').count()).toBeGreaterThan(12)
        expect(await drawn.locator('svg.molecule text').allTextContents()).toEqual([
          'O',
          'O',
          'O',
          'O',
        ])
        expect(await drawn.locator('code').textContent()).toBe(FIXTURE_SMILES)
        // Markup in any column, the SMILES one included, is text.
        expect(await cells(0).nth(3).textContent()).toBe("<script>window.__pwned = 'csv'</script>")
        expect(await cells(1).nth(1).textContent()).toBe(
          `<img src=x onerror="window.__pwned = 'img'">`,
        )
        expect(await cells(1).nth(2).textContent()).toBe('<b>C</b>')
        expect(await cells(1).nth(2).locator('svg').count()).toBe(0)
        expect(await cells(1).nth(3).textContent()).toBe('a, quoted "note"')
        // The aromatic form is drawn as a Kekulé structure: six ring bonds, three of them double.
        expect(await cells(2).nth(2).locator('svg.molecule').count()).toBe(1)
        expect(await cells(2).nth(2).locator('code').textContent()).toBe('c1ccccc1')
        expect(await preview.locator('script, img, b, iframe').count()).toBe(0)

        // The second file, JSON Lines, is read when opened.
        const jsonl = previewOf(page, site.rows.jsonl.path)
        await jsonl.locator('summary').click()
        const jsonTable = jsonl.locator('table')
        await expect.poll(() => jsonTable.locator('tbody tr').count()).toBe(2)
        expect(await jsonTable.locator('thead th').allTextContents()).toEqual([
          '<i>key</i>',
          'smiles',
          'extra',
        ])
        expect(
          await jsonTable.locator('tbody tr').first().locator('td').first().textContent(),
        ).toBe('<svg onload="window.__pwned = 1">')
        expect(await jsonTable.locator('svg.molecule').count()).toBe(2)
        expect(await jsonl.locator('i, svg:not(.molecule)').count()).toBe(0)

        await page.waitForLoadState('networkidle')
        expect(dialogs).toBe(0)
        expect(
          await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned),
        ).toBeUndefined()
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
          viewport.viewport.width,
        )
        expect(errors).toEqual([])
        await page.close()
      })
    })
  }

  for (const viewport of VIEWPORTS) {
    it(`shows the first rows of a large Parquet file from Range requests for its footer and first pages, hostile cells as text (${viewport.name})`, async () => {
      await withContext(viewport, async (context, errors) => {
        const page = await context.newPage()
        const file = site.rows.parquet
        const blobPath = `/blobs/sha256/${file.sha256.slice(0, 2)}/${file.sha256}`
        const requests: Request[] = []
        page.on('request', (r) => {
          if (new URL(r.url()).pathname === blobPath) requests.push(r)
        })
        let dialogs = 0
        page.on('dialog', (d) => {
          dialogs += 1
          void d.dismiss()
        })
        await page.goto(`${site.url}${ROWS_PAGE}`)
        const preview = previewOf(page, file.path)
        // Closed at first: nothing is read until it is opened.
        await page.waitForLoadState('networkidle')
        expect(requests).toHaveLength(0)
        await preview.locator('summary').click()
        const table = preview.locator('table')
        await expect.poll(() => table.locator('tbody tr').count()).toBe(20)
        expect(await preview.locator('caption').textContent()).toBe('First 20 rows')

        await page.waitForLoadState('networkidle')
        expect(requests.length).toBeGreaterThanOrEqual(2)
        let fetched = 0
        for (const request of requests) {
          expect(request.headers()['range']).toMatch(/^bytes=\d+-\d+$/)
          expect((await request.response())?.status()).toBe(206)
          fetched += (await request.sizes()).responseBodySize
        }
        // The footer is read from the end of the file.
        expect(requests[0]?.headers()['range']).toMatch(new RegExp(`-${file.size - 1}$`))
        expect(file.size).toBeGreaterThan(400_000)
        expect(fetched * 5).toBeLessThan(file.size)

        expect(await table.locator('thead th').allTextContents()).toEqual([
          'id',
          'name',
          'smiles',
          'note',
        ])
        const cells = (row: number) => table.locator('tbody tr').nth(row).locator('td')
        const drawn = cells(0).nth(2)
        expect(await drawn.locator('svg.molecule line').count()).toBeGreaterThan(12)
        expect(await drawn.locator('code').textContent()).toBe(FIXTURE_SMILES)
        expect(await cells(0).nth(3).textContent()).toBe(
          "<script>window.__pwned = 'parquet'</script>",
        )
        expect(await cells(1).nth(1).textContent()).toBe(
          `<img src=x onerror="window.__pwned = 'img'">`,
        )
        expect(await cells(1).nth(2).textContent()).toBe('<b>C</b>')
        expect(await cells(1).nth(2).locator('svg').count()).toBe(0)
        expect(await cells(1).nth(3).textContent()).toBe('<iframe srcdoc="x">')
        expect(await cells(2).nth(2).locator('svg.molecule').count()).toBe(1)
        expect(await cells(19).nth(0).textContent()).toBe('20')
        expect(await preview.locator('script, img, b, iframe').count()).toBe(0)

        expect(dialogs).toBe(0)
        expect(
          await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned),
        ).toBeUndefined()
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
          viewport.viewport.width,
        )
        expect(errors).toEqual([])
        await page.close()
      })
    })
  }

  it('ends the preview of a Parquet file that would hang the decoder with a message, and one past its deadline, the page responding', async () => {
    await withContext(VIEWPORTS[0], async (context, errors) => {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: site.url })
      const page = await context.newPage()
      const workers: string[] = []
      page.on('worker', (worker) => workers.push(new URL(worker.url()).pathname))
      await page.goto(`${site.url}${ROWS_PAGE}`)
      const copy = page.locator('.snippet .code-block button.copy-code').first()
      const status = page.locator('.snippet .code-block [role="status"]').first()
      const message = (preview: ReturnType<typeof previewOf>) =>
        preview.locator('[data-preview-table]').textContent()

      const hang = previewOf(page, site.rows.hang.path)
      await hang.locator('summary').click()
      await expect
        .poll(() => message(hang))
        .toBe(
          `Could not read the first rows: column v holds ${HANG_VALUES} values in its first pages, more than the 4194304 the preview reads; download the file instead.`,
        )
      // Decoded off the page's thread, in the site's own module worker.
      expect(workers).toEqual([expect.stringMatching(/^\/_astro\/preview-worker[\w-]*\.js$/)])
      await copy.click()
      await expect.poll(() => status.textContent()).toBe('Copied to the clipboard')

      // A preview still running at its deadline is ended there (1 ms here, so
      // that any read outlasts it): its worker is terminated, the page told.
      const slow = previewOf(page, site.rows.parquet.path)
      await slow.evaluate((el) => {
        el.setAttribute('data-preview-deadline', '1')
      })
      await slow.locator('summary').click()
      await expect
        .poll(() => message(slow))
        .toBe(
          'Could not read the first rows: the preview took too long; download the file instead.',
        )
      expect(await slow.locator('table').count()).toBe(0)
      await page.evaluate(() => navigator.clipboard.writeText(''))
      await copy.click()
      await expect
        .poll(() => page.evaluate(() => navigator.clipboard.readText()))
        .toBe(await page.locator('.snippet pre').first().textContent())
      expect(errors).toEqual([])
      await page.close()
    })
  })

  it('draws the SMILES of a sample chemistry dataset', async () => {
    await withContext(VIEWPORTS[0], async (context, errors) => {
      const page = await context.newPage()
      await page.goto(`${site.url}/datasets/moleval/herg-inhibition/`)
      const table = previewOf(page, 'herg.csv').locator('table')
      await expect.poll(() => table.locator('tbody tr').count()).toBe(20)
      expect(await table.locator('td.smiles svg.molecule').count()).toBe(20)
      // The Parquet copy shows the same rows, drawn the same way.
      const parquet = previewOf(page, 'herg.parquet')
      await parquet.locator('summary').click()
      const parquetTable = parquet.locator('table')
      await expect.poll(() => parquetTable.locator('tbody tr').count()).toBe(20)
      expect(await parquetTable.locator('td.smiles svg.molecule').count()).toBe(20)
      expect(await parquetTable.locator('tbody').textContent()).toBe(
        await table.locator('tbody').textContent(),
      )
      expect(errors).toEqual([])
      await page.close()
    })
  })
})
