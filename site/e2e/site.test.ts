import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type BuiltSite,
  LINKED_SECRET,
  type OpenSite,
  openSite,
  phoneContext,
  phoneOverflow,
} from './harness.ts'

let site: BuiltSite
let context: BrowserContext
let errors: string[]

interface ApiSummary {
  id: string
  kind: string
  title: string
  domain: string | null
  url: string
}

async function allItems(): Promise<ApiSummary[]> {
  const index = (await (await fetch(`${site.url}/api/index.json`)).json()) as {
    kinds: Record<string, string>
  }
  const out: ApiSummary[] = []
  for (const listUrl of Object.values(index.kinds)) {
    const list = (await (await fetch(listUrl)).json()) as { page_urls: string[] }
    for (const pageUrl of list.page_urls) {
      out.push(...((await (await fetch(pageUrl)).json()) as { items: ApiSummary[] }).items)
    }
  }
  return out
}

async function resultTitles(page: Page): Promise<string[]> {
  return page.locator('[data-results] .card h2 a, .cards .card h2 a').allTextContents()
}

/** A page of every kind that is not an item page, as the sample and hostile fixtures build them. */
const OTHER_PAGES = [
  '/',
  '/browse/',
  '/models/',
  '/browse/sort/newest/',
  '/stats/',
  '/tags/',
  '/owners/',
  '/owners/mallory/',
  '/contribute/',
  '/docs/api/',
  '/tags/security-fixture/',
]

async function shownTotal(page: Page): Promise<number> {
  const status = (await page.locator('[data-status]').textContent()) ?? ''
  const match = /of (\d+)/.exec(status)
  return match ? Number(match[1]) : status.includes('No matching') ? 0 : Number.NaN
}

let open: OpenSite | undefined

beforeAll(async () => {
  open = await openSite()
  ;({ site, context, errors } = open)
})

afterAll(async () => {
  await open?.close()
})

describe('site/e2e/search', () => {
  it('finds an item by its name', async () => {
    const page = await context.newPage()
    await page.goto(`${site.url}/browse/?q=${encodeURIComponent('Evil Card')}`)
    await page.waitForFunction(() =>
      document.querySelector('[data-status]')?.textContent?.includes('for “'),
    )
    expect(await resultTitles(page)).toContain('Evil Card')
    await page.close()
  })

  it('finds an item by a word only in its README', async () => {
    const page = await context.newPage()
    await page.goto(`${site.url}/`)
    await page.fill('#hero-search', 'zanzibarquokka')
    await page.press('#hero-search', 'Enter')
    await page.waitForURL(/\/browse\/\?q=zanzibarquokka/)
    await page.waitForFunction(() =>
      document.querySelector('[data-status]')?.textContent?.includes('for “'),
    )
    expect(await resultTitles(page)).toEqual(['Evil Card'])
    await expect
      .poll(() => page.locator('.card mark').first().textContent())
      .toMatch(/zanzibarquokka/i)
    await page.close()
  })
})

describe('site/e2e/filters-and-sorts', () => {
  it('narrows by one filter and again by a second, matching the API data', async () => {
    const items = await allItems()
    const models = items.filter((i) => i.kind === 'model')
    const domain = models.find((m) => m.domain)?.domain
    expect(domain).toBeTruthy()
    const page = await context.newPage()
    await page.goto(`${site.url}/browse/`)
    await page.locator('form[data-facets] input[name="kind"][value="model"]').check()
    await expect.poll(() => shownTotal(page)).toBe(models.length)
    expect(models.length).toBeLessThan(items.length)
    await page.locator(`form[data-facets] input[name="domain"][value="${domain}"]`).check()
    const both = models.filter((m) => m.domain === domain)
    await expect.poll(() => shownTotal(page)).toBe(both.length)
    const kinds = await page.locator('[data-results] .badge.kind').allTextContents()
    expect(new Set(kinds)).toEqual(new Set(['Model']))
    expect(page.url()).toContain('kind=model')
    await page.close()
  })

  it('sorts by name, interactively and on the static pages', async () => {
    const page = await context.newPage()
    await page.goto(`${site.url}/browse/?kind=model`)
    await expect.poll(() => shownTotal(page)).toBeGreaterThan(1)
    await page.locator('[data-sort-link="name"]').click()
    await expect
      .poll(() => page.locator('[data-sort-link="name"]').getAttribute('aria-current'))
      .toBe('true')
    const titles = await resultTitles(page)
    expect(titles.length).toBeGreaterThan(1)
    expect(titles).toEqual(
      [...titles].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase(), 'en')),
    )
    // With no query and no filter the whole catalog is sorted.
    await page.goto(`${site.url}/browse/?sort=name`)
    await expect.poll(() => shownTotal(page)).toBe((await allItems()).length)
    const all = await resultTitles(page)
    expect(all).toEqual(
      [...all].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase(), 'en')),
    )
    await page.goto(`${site.url}/models/sort/name/`)
    const staticTitles = await resultTitles(page)
    expect(staticTitles).toEqual([...staticTitles].sort((a, b) => a.localeCompare(b, 'en')))
    await page.close()
  })
})

describe('site/e2e/item-page', () => {
  it('lists files with sizes and hashes and reads the safetensors header with a Range request', async () => {
    const page = await context.newPage()
    const ranges: string[] = []
    page.on('request', (r) => {
      const range = r.headers()['range']
      if (range) ranges.push(range)
    })
    await page.goto(`${site.url}/models/mallory/evil-card/`)
    const row = page.locator('table.files tbody tr').first()
    await expect.poll(() => row.locator('.hash').textContent()).toBe(site.tensor.sha256)
    expect(await row.locator('[data-bytes]').getAttribute('data-bytes')).toBe(
      String(site.tensor.size),
    )
    expect(await row.locator('[data-bytes]').textContent()).toMatch(/B$/)
    await page.locator('details.tensors summary').click()
    const table = page.locator('details.tensors table')
    await expect.poll(() => table.locator('caption').textContent()).toBe('2 tensors, 8 parameters')
    expect(await table.locator('tbody tr').first().textContent()).toContain('classifier.bias')
    expect(await table.locator('tbody').textContent()).toContain('[2, 3]')
    expect(ranges).toContain('bytes=0-7')
    await page.close()
  })

  it('shows how to install the client package and pull the item with it, anywhere', async () => {
    const page = await context.newPage()
    await page.goto(`${site.url}/models/mallory/evil-card/`)
    const [command, library] = await page.locator('.snippet pre code').allTextContents()
    expect(command).toMatch(/^npm i -g agora-hub\nagora pull mallory\/evil-card@\S+ --index (\S+)$/)
    expect(command).toContain(`--index ${site.url}`)
    expect(library).toContain("// npm i agora-hub\nimport { pull } from 'agora-hub'\n")
    expect(library).toContain(`indexUrl: '${site.url}'`)
    await page.goto(`${site.url}/collections/curators/admet-starter-kit/`)
    const snippet = (await page.locator('.snippet').textContent()) ?? ''
    expect(snippet).toContain("import { pullCollection } from 'agora-hub'")
    expect(snippet).not.toContain('checkout')
    expect(snippet).not.toContain('#core/')
    await page.close()
  })

  it('renders a hostile README inert: no dialog, no script, no navigation', async () => {
    const page = await context.newPage()
    let dialogs = 0
    page.on('dialog', (d) => {
      dialogs += 1
      void d.dismiss()
    })
    const url = `${site.url}/models/mallory/evil-card/`
    await page.goto(url)
    await page
      .locator('#user-content-evil-link')
      .click()
      .catch(() => undefined)
    await page
      .locator('.card-body img')
      .first()
      .scrollIntoViewIfNeeded()
      .catch(() => undefined)
    await page.waitForLoadState('networkidle')
    expect(dialogs).toBe(0)
    expect(page.url()).toBe(url)
    expect(
      await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned),
    ).toBeUndefined()
    const body = page.locator('.card-body')
    expect(
      await body.locator('script, iframe, form, object, embed, style, meta, base, svg').count(),
    ).toBe(0)
    const attributes = await body.evaluate((el) =>
      [...el.querySelectorAll('*')].flatMap((node) =>
        [...node.attributes].map((a) => `${a.name}=${a.value}`),
      ),
    )
    expect(attributes.filter((a) => /^on/i.test(a) || /javascript:|data:/i.test(a))).toEqual([])
    await page.close()
  })
})

describe('site/e2e/contribute', () => {
  it('flags a schema error next to its field, then yields YAML the validator accepts', async () => {
    const page = await context.newPage()
    await page.goto(`${site.url}/contribute/`)
    await page.selectOption('#f-kind', 'dataset')
    await page.fill('#f-ns', 'acme')
    await page.fill('#f-name', 'new-set')
    await page.fill('#f-title', 'New set')
    await page.fill('#f-summary', 'A new dataset of molecules.')
    await page.fill('#f-owners', 'acme')
    await page.click('#contribute button[type="submit"]')
    const error = page.locator('#err-format')
    await expect.poll(() => error.isVisible()).toBe(true)
    expect(await error.textContent()).toMatch(/format/)
    expect(await page.locator('#f-format').getAttribute('aria-invalid')).toBe('true')
    await page.fill('#f-format', 'smiles_csv')
    await page.click('#contribute button[type="submit"]')
    await expect.poll(() => page.locator('#contribute-result').isVisible()).toBe(true)
    expect(await error.isVisible()).toBe(false)
    const path = (await page.locator('#contribute-path').textContent()) ?? ''
    const yaml = (await page.locator('#contribute-yaml').textContent()) ?? ''
    expect(path).toBe('registry/datasets/ac/acme/new-set/item.yaml')
    const { validateDocument } = await import('#core/manifest')
    const { parse } = await import('yaml')
    const hub = parse(
      await (await import('node:fs/promises')).readFile(`${site.dir}/registry/agora.yaml`, 'utf8'),
    )
    const result = validateDocument('item', yaml, path, { kind: 'dataset', hub })
    expect(result.issues.filter((i) => i.severity === 'error')).toEqual([])
    const github = await page.locator('#contribute-github').getAttribute('href')
    if (github) expect(new URL(github).searchParams.get('value')).toBe(yaml)
    await page.close()
  })
})

describe('site/e2e/pages', () => {
  it('shows every page kind without console errors or CSP violations', async () => {
    const items = await allItems()
    const firstOf = (kind: string) => items.find((i) => i.kind === kind)
    const paths = [...OTHER_PAGES, '/no-such-page/']
    for (const kind of [
      'model',
      'dataset',
      'adapter',
      'lora',
      'pipeline',
      'benchmark',
      'collection',
    ]) {
      const item = firstOf(kind)
      if (item) paths.push(new URL(item.url).pathname)
    }
    const bench = firstOf('benchmark')
    if (bench) paths.push(`${new URL(bench.url).pathname}leaderboard/`)
    errors.length = 0
    const page = await context.newPage()
    for (const path of paths) {
      const response = await page.goto(`${site.url}${path}`)
      expect(response?.status(), path).toBe(path === '/no-such-page/' ? 404 : 200)
      expect(await page.locator('h1').count(), path).toBe(1)
      await page.waitForLoadState('networkidle')
    }
    // The interactive search loads Pagefind's worker and WebAssembly: CSP must allow both.
    await page.goto(`${site.url}/browse/?q=model`)
    await page.waitForFunction(
      () => !document.querySelector('[data-status]')?.textContent?.includes('Searching'),
    )
    await page.close()
    // The 404 page's own status is the point of visiting it, not an error.
    expect(errors.filter((e) => !e.includes('/no-such-page/: Failed to load resource'))).toEqual([])
  })

  it('fits a 390 px phone screen on every item page and every other page kind', async () => {
    const items = await allItems()
    const paths = [
      ...OTHER_PAGES,
      ...items.map((i) => new URL(i.url).pathname),
      ...items
        .filter((i) => i.kind === 'benchmark')
        .map((i) => `${new URL(i.url).pathname}leaderboard/`),
    ]
    const phone = await phoneContext((open as OpenSite).browser)
    const page = await phone.newPage()
    const wide: string[] = []
    for (const path of paths) {
      await page.goto(`${site.url}${path}`)
      const overflow = await phoneOverflow(page)
      if (overflow) wide.push(`${path} ${overflow}`)
    }
    await phone.close()
    expect(wide).toEqual([])
    // Every page of the sample hub, one after another: minutes on a busy 2-core machine.
  }, 300_000)

  it('browses home → listing → item page with JavaScript disabled', async () => {
    const noJs = await (open as OpenSite).browser.newContext({ javaScriptEnabled: false })
    const page = await noJs.newPage()
    await page.goto(`${site.url}/`)
    await page.locator('.site-nav a', { hasText: 'Models' }).click()
    await page.waitForURL(`${site.url}/models/`)
    const first = page.locator('.cards .card h2 a').first()
    const title = await first.textContent()
    await first.click()
    await page.waitForURL(/\/models\/[^/]+\/[^/]+\/$/)
    expect(await page.locator('h1').textContent()).toBe(title)
    expect(await page.locator('table.files, .card-body').count()).toBeGreaterThan(0)
    await page.goto(`${site.url}/browse/sort/name/`)
    expect(await page.locator('.cards .card').count()).toBeGreaterThan(0)
    expect(await page.locator('form[data-facets]').isVisible()).toBe(false)
    await noJs.close()
  })
})

describe('site/e2e/hardening', () => {
  it('renders script URLs from a README as text, never as links', async () => {
    // The schema refuses such URLs in manifests (unit tests cover the renderer
    // for those); a README is free text, so its links are checked as it renders.
    const page = await context.newPage()
    const response = await page.goto(`${site.url}/models/mallory/evil-contact/`)
    expect(response?.status()).toBe(200)
    const hrefs = await page
      .locator('a[href]')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''))
    expect(hrefs.filter((h) => /^\s*(javascript|data|vbscript):/i.test(h))).toEqual([])
    expect(hrefs).toContain('https://sales.example.org/contact')
    const card = page.locator('.card-body')
    const text = (await card.textContent()) ?? ''
    for (const word of ['homepage', 'data', 'spaced', 'pixel']) expect(text).toContain(word)
    expect(await card.locator('a').count()).toBe(0)
    expect(await card.locator('img').count()).toBe(0)
    await page.close()
  })

  it('sends the security headers as HTTP headers and writes the same to _headers', async () => {
    const response = await fetch(`${site.url}/`)
    const csp = response.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("frame-ancestors 'none'")
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('x-frame-options')).toBe('DENY')
    expect(response.headers.get('referrer-policy')).toBeTruthy()
    const file = await readFile(join(site.out, '_headers'), 'utf8')
    expect(file).toContain(`Content-Security-Policy: ${csp}`)
    // The meta policy's directives are the header's (less what a meta cannot say).
    const html = await response.text()
    const tag = /<meta[^>]*content-security-policy[^>]*>/i.exec(html)?.[0] ?? ''
    const meta = /content="([^"]*)"/.exec(tag)?.[1] ?? ''
    for (const directive of ["default-src 'self'", "object-src 'none'", "base-uri 'none'"]) {
      expect(meta).toContain(directive)
      expect(csp).toContain(directive)
    }
  })

  it('never renders a README that is a symbolic link', async () => {
    const files = await readdir(site.out, { recursive: true, withFileTypes: true })
    const leaks: string[] = []
    for (const f of files) {
      if (!f.isFile() || !/\.(html|json|pf_fragment)$/.test(f.name)) continue
      const text = await readFile(join(f.parentPath, f.name), 'utf8').catch(() => '')
      if (text.includes(LINKED_SECRET)) leaks.push(join(f.parentPath, f.name))
    }
    expect(leaks).toEqual([])
  })

  it('skips a benchmark whose metric names cannot be URLs, and the build still succeeds', async () => {
    expect((await fetch(`${site.url}/benchmarks/mallory/dot-metrics/`)).status).toBe(404)
    expect((await fetch(`${site.url}/models/mallory/evil-card/`)).status).toBe(200)
  })
})
