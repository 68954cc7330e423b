import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type OpenSite, openSite, PROJECT_ROOT, phoneContext, phoneOverflow } from './harness.ts'

let open: OpenSite

beforeAll(async () => {
  open = await openSite()
})

afterAll(async () => {
  await open?.close()
})

interface ApiItem {
  id: string
  kind: string
  title: string
  latest: string | null
  versions: { version: string; files: { path: string }[] }[]
}

/** Every item document of the JSON API, read from the build. */
async function apiItems(): Promise<ApiItem[]> {
  const out: ApiItem[] = []
  const api = join(open.site.out, 'api')
  for (const entry of await readdir(api, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.json')) continue
    const doc = JSON.parse(await readFile(join(entry.parentPath, entry.name), 'utf8'))
    if (doc && typeof doc === 'object' && Array.isArray(doc.versions) && doc.id) out.push(doc)
  }
  return out
}

/** Every HTML page of the build, as [site path of the file, text]. */
async function builtPages(): Promise<[string, string][]> {
  const out: [string, string][] = []
  for (const entry of await readdir(open.site.out, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.html')) continue
    const file = join(entry.parentPath, entry.name)
    out.push([file.slice(open.site.out.length), await readFile(file, 'utf8')])
  }
  return out
}

/** Opens a listing and waits until the interactive search has answered. */
async function browse(path: string, page?: Page): Promise<Page> {
  const tab = page ?? (await open.context.newPage())
  await tab.goto(`${open.site.url}${path}`)
  // The static page says "… of 79, by trending."; the search's own answer has no sort.
  await tab.waitForFunction(() =>
    /^(Showing \d+–\d+ of \d+( for “.*”)?\.|No matching items.*)$/.test(
      document.querySelector('[data-status]')?.textContent ?? '',
    ),
  )
  return tab
}

async function shownTotal(page: Page): Promise<number> {
  const status = (await page.locator('[data-status]').textContent()) ?? ''
  const match = /of (\d+)/.exec(status)
  return match ? Number(match[1]) : status.startsWith('No matching') ? 0 : Number.NaN
}

/** Each checkbox's value and the count beside it, for one facet group. */
async function counts(page: Page, group: string): Promise<Map<string, number>> {
  const rows = await page
    .locator(`form[data-facets] label:has(input[name="${group}"])`)
    .evaluateAll((labels) =>
      labels.map((l) => [
        l.querySelector('input')?.value ?? '',
        Number(l.querySelector('[data-count]')?.textContent),
      ]),
    )
  return new Map(rows as [string, number][])
}

/**
 * A value's count is the number of results with that value and the other
 * groups' filters: the results of ticking it alone in its group (values of
 * one group combine with "any", so ticked values of its own group do not
 * narrow it).
 */
async function expectCountsToMatchTicking(path: string, group: string): Promise<void> {
  const page = await browse(path)
  const shown = await counts(page, group)
  expect(shown.size).toBeGreaterThan(1)
  expect([...shown.values()].some((n) => n > 0)).toBe(true)
  // Some values that count results and one that counts none: each check loads a page.
  const sample = [
    ...[...shown].filter(([, n]) => n > 0).slice(0, 4),
    ...[...shown].filter(([, n]) => n === 0).slice(0, 1),
  ]
  for (const [value, count] of sample) {
    const params = new URL(path, 'http://x').searchParams
    params.delete(group)
    params.append(group, value)
    await browse(`/browse/?${params}`, page)
    expect(await shownTotal(page), `${path} ${group}=${value}`).toBe(count)
  }
  await page.close()
}

describe('site/e2e/browse: filter counts', () => {
  it('counts each domain within the ticked kind, as ticking it would give', async () => {
    await expectCountsToMatchTicking('/browse/?kind=lora', 'domain')
  })

  it('counts each kind of a search, ticked or not, as ticking it would give', async () => {
    await expectCountsToMatchTicking('/browse/?q=safetensors', 'kind')
    await expectCountsToMatchTicking('/browse/?q=safetensors&kind=lora', 'kind')
  })

  it('shows the current result count in the heading', async () => {
    const page = await browse('/browse/?kind=lora')
    const heading = async () => (await page.locator('h1 [data-total]').textContent()) ?? ''
    expect(await heading()).toBe(`(${await shownTotal(page)})`)
    // Ticking a second kind adds its results to the first's.
    const kinds = await counts(page, 'kind')
    const both = (kinds.get('model') ?? 0) + (kinds.get('lora') ?? 0)
    await page.locator('form[data-facets] input[name="kind"][value="model"]').check()
    await expect.poll(heading).toBe(`(${both})`)
    expect(await shownTotal(page)).toBe(both)
    await page.close()
  })
})

describe('site/e2e/browse: search words', () => {
  it('finds nothing for a word that only starts like a one-letter word of some page', async () => {
    // `xyzzy` and `banana` have no indexed word they start; Pagefind then
    // falls back to the longest indexed word they start with: `x`, `b`.
    for (const word of ['xyzzy', 'banana']) {
      const page = await browse(`/browse/?q=${word}`)
      expect(await shownTotal(page), word).toBe(0)
      expect(await page.locator('[data-results] .card').count()).toBe(0)
      await page.close()
    }
    // A real word still finds what it names.
    const page = await browse('/browse/?q=zanzibarquokka')
    expect(await shownTotal(page)).toBe(1)
    await page.close()
  })

  it('finds every item whose latest files include a safetensors file', async () => {
    const items = await apiItems()
    const expected = items
      .filter((i) =>
        i.versions
          .find((v) => v.version === i.latest)
          ?.files.some((f) => f.path.endsWith('.safetensors')),
      )
      .map((i) => i.title)
    expect(expected.length).toBeGreaterThan(5)
    const page = await browse('/browse/?q=safetensors')
    const total = await shownTotal(page)
    expect(total).toBeGreaterThanOrEqual(expected.length)
    const found: string[] = []
    for (let n = 1; found.length < total; n++) {
      if (n > 1) await browse(`/browse/?q=safetensors&page=${n}`, page)
      found.push(...(await page.locator('[data-results] .card h2 a').allTextContents()))
    }
    expect(expected.filter((t) => !found.includes(t))).toEqual([])
    await page.close()
  })
})

describe('site/e2e/browse: cards', () => {
  it('styles every card title alike on listings, search results, home and owner pages', async () => {
    const page = await open.context.newPage()
    const style = async (path: string, interactive = false) => {
      if (interactive) await browse(path, page)
      else await page.goto(`${open.site.url}${path}`)
      const title = page.locator('.card .card-title a').first()
      return title.evaluate((a) => {
        const css = getComputedStyle(a)
        const h = getComputedStyle(a.parentElement as Element)
        return [css.color, css.textDecorationLine, h.fontSize, h.fontWeight].join(' ')
      })
    }
    const home = await style('/')
    expect(home).toContain('none')
    for (const [path, interactive] of [
      ['/models/', false],
      ['/browse/sort/name/', false],
      ['/owners/openchem-lab/', false],
      ['/owners/', false],
      ['/browse/?q=safetensors', true],
    ] as const) {
      expect(await style(path, interactive), path).toBe(home)
    }
    await page.close()
  })

  it('shows backticked text of a manifest as code, never as backticks', async () => {
    const stray: string[] = []
    for (const [path, html] of await builtPages()) {
      // Search metadata is raw text for the search script, which renders it like the page.
      const text = html
        .replace(/<(pre|code|script|style)\b[\s\S]*?<\/\1>/g, '')
        .replace(/<span data-pagefind-meta[^>]*>[^<]*<\/span>/g, '')
      for (const match of text.matchAll(/>([^<]*`[^<]*)</g)) stray.push(`${path}: ${match[1]}`)
    }
    expect(stray).toEqual([])
    const page = await open.context.newPage()
    await page.goto(`${open.site.url}/models/openchem-lab/vina-kinase-configs/`)
    expect(await page.locator('.item-head .summary code').count()).toBeGreaterThan(0)
    await page.close()
  })
})

describe('site/e2e/browse: links', () => {
  it('links only to files the build wrote', async () => {
    const missing = new Set<string>()
    for (const [path, html] of await builtPages()) {
      for (const match of html.matchAll(/\b(?:href|src)="(\/[^"#?]*)/g)) {
        const target = decodeURIComponent((match[1] as string).replace(/&amp;/g, '&'))
        if (target.startsWith('//')) continue
        const file = join(open.site.out, target)
        if (!existsSync(target.endsWith('/') ? join(file, 'index.html') : file))
          missing.add(`${target} (from ${path})`)
      }
    }
    expect([...missing].slice(0, 20)).toEqual([])
  })

  it('links to the hub repository only at files it has', async () => {
    // The sample hub's repository is this project: its docs and workflows must exist here.
    const repo = 'https://github.com/agora-hub/agora/'
    const missing = new Set<string>()
    for (const [path, html] of await builtPages()) {
      for (const match of html.matchAll(/href="([^"]*)"/g)) {
        const href = (match[1] as string).replace(/&amp;/g, '&')
        if (!href.startsWith(repo)) continue
        const rest = href.slice(repo.length).split('#')[0] as string
        const file =
          /^blob\/[^/]+\/(.+)$/.exec(rest)?.[1] ?? /^actions\/workflows\/(.+)$/.exec(rest)?.[1]
        const local = rest.startsWith('actions/') ? `.github/workflows/${file}` : file
        if (local && !existsSync(join(PROJECT_ROOT, local))) missing.add(`${href} (from ${path})`)
      }
    }
    expect([...missing]).toEqual([])
  })
})

describe('site/e2e/browse: item pages', () => {
  it('shows each README section once on benchmark, dataset and pipeline pages', async () => {
    const sections = /^(metrics|baselines|submitting results|splits|steps)$/i
    const repeated: string[] = []
    const checked = new Set<string>()
    for (const [path, html] of await builtPages()) {
      if (!/^\/(benchmarks|datasets|pipelines)\/[^/]+\/[^/]+\/index\.html$/.test(path)) continue
      // Headings, and the captions that name a generated table.
      const headings = [...html.matchAll(/<(h[2-4]|caption)\b[^>]*>([^<]*)<\/\1>/g)]
        .map((m) => (m[2] as string).trim())
        .filter((t) => sections.test(t))
      for (const h of new Set(headings.map((t) => t.toLowerCase()))) {
        checked.add(h)
        if (headings.filter((t) => t.toLowerCase() === h).length > 1) repeated.push(`${path}: ${h}`)
      }
    }
    expect(repeated).toEqual([])
    // The sample READMEs have each of these sections somewhere.
    expect([...checked].sort()).toEqual([
      'baselines',
      'metrics',
      'splits',
      'steps',
      'submitting results',
    ])
  })

  it('scrolls a README table sideways on a phone instead of breaking its words', async () => {
    const phone = await phoneContext(open.browser)
    const page = await phone.newPage()
    await page.goto(`${open.site.url}/benchmarks/moleval/docking-enrichment/`)
    const broken = await page
      .locator('.card-body table')
      .first()
      .evaluate((table) => {
        const out: string[] = []
        for (const cell of table.querySelectorAll('th, td')) {
          const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT)
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (const word of (node.textContent ?? '').matchAll(/\S+/g)) {
              const range = document.createRange()
              range.setStart(node, word.index ?? 0)
              range.setEnd(node, (word.index ?? 0) + word[0].length)
              if (range.getClientRects().length > 1) out.push(word[0])
            }
          }
        }
        return out
      })
    expect(broken).toEqual([])
    expect(await phoneOverflow(page)).toBe('')
    await phone.close()
  })

  it('lists a child that is both a finetune and a fork once, with both relations', async () => {
    const page = await open.context.newPage()
    await page.goto(`${open.site.url}/models/openchem-lab/dockscore-gnn/`)
    const rows = page.locator('.lineage h3:has-text("Derived items") + ul > li')
    const hrefs = await rows.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))
    expect(hrefs.length).toBe(new Set(hrefs).size)
    const kinase = rows.filter({ hasText: 'aiko-tanaka/dockscore-gnn-kinase' })
    expect(await kinase.count()).toBe(1)
    expect(await kinase.locator('.badge').allTextContents()).toEqual(['finetune', 'fork'])
    await page.close()
  })
})

describe('site/e2e/browse: phone width', () => {
  it('fits the interactive listing, its filters and its cards on a 390 px screen', async () => {
    const phone = await phoneContext(open.browser)
    const page = await phone.newPage()
    const wide: string[] = []
    for (const path of ['/browse/?kind=lora', '/browse/?q=safetensors']) {
      await browse(path, page)
      const overflow = await phoneOverflow(page)
      if (overflow) wide.push(`${path} ${overflow}`)
    }
    await phone.close()
    expect(wide).toEqual([])
    expect(open.errors).toEqual([])
  })
})
