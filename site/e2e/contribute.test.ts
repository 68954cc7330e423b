import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Issue } from '#core/errors'
import { itemDir, type Kind } from '#core/names'
import {
  type ContributionFacts,
  loadRegistry,
  validateContribution,
  validateRegistry,
} from '#core/registry'
import { getValidator } from '#core/schema'
import { type BuiltSite, type OpenSite, openSite } from './harness.ts'

/** One filling of the Contribute form; the fields not given stay empty. */
interface FormCase {
  case: string
  kind: Kind
  fields: Record<string, string>
  /** Error codes agora validate gives, in its order; [] for a valid item. */
  codes: string[]
}

const MODEL = {
  ns: 'aiko-tanaka',
  title: 'New GNN',
  summary: 'A graph network for one assay.',
  owners: 'aiko-tanaka',
  license: 'MIT',
  readme: '# New GNN\n\nWhat it is and what it is for.\n',
}

const CASES: FormCase[] = [
  { case: 'a valid model', kind: 'model', fields: { ...MODEL, name: 'new-gnn' }, codes: [] },
  {
    case: 'a name with _ and . (the CLI accepts it)',
    kind: 'model',
    fields: { ...MODEL, name: 'gnn_v2.1' },
    codes: [],
  },
  {
    case: 'a valid dataset',
    kind: 'dataset',
    fields: { ...MODEL, name: 'assay-set', format: 'smiles_csv' },
    codes: [],
  },
  {
    case: 'no README',
    kind: 'model',
    fields: { ...MODEL, name: 'no-card', readme: '' },
    codes: ['registry/missing-readme'],
  },
  {
    case: 'a README of blanks',
    kind: 'model',
    fields: { ...MODEL, name: 'blank-card', readme: ' \n\n' },
    codes: ['manifest/empty-readme'],
  },
  {
    case: 'a namespace without an owner file',
    kind: 'model',
    fields: { ...MODEL, ns: 'nobody-here', owners: 'nobody-here', name: 'x-model' },
    codes: ['ref/unknown-owner'],
  },
  {
    case: 'a second owner that does not exist',
    kind: 'model',
    fields: { ...MODEL, name: 'shared', owners: 'aiko-tanaka, ghost-org' },
    codes: ['ref/unknown-owner'],
  },
  {
    case: 'license other without a name',
    kind: 'model',
    fields: { ...MODEL, name: 'odd-terms', license: 'other' },
    codes: ['manifest/license-other-incomplete'],
  },
  {
    case: 'an id that is taken',
    kind: 'model',
    fields: { ...MODEL, name: 'herg-blocker-clf' },
    codes: ['change/item-exists'],
  },
  {
    case: 'a look-alike of an existing name',
    kind: 'model',
    fields: { ...MODEL, name: 'herg_blocker_clf' },
    codes: ['naming/confusable'],
  },
  {
    case: 'a reserved name',
    kind: 'model',
    fields: { ...MODEL, name: 'api' },
    codes: ['naming/reserved'],
  },
  {
    case: 'a one-letter name',
    kind: 'model',
    fields: { ...MODEL, name: 'x' },
    codes: ['naming/invalid'],
  },
  {
    case: 'a dataset without its format',
    kind: 'dataset',
    fields: { ...MODEL, name: 'no-format' },
    codes: ['schema/required'],
  },
]

let open: OpenSite | undefined
let site: BuiltSite
let facts: ContributionFacts
let scratch: string

beforeAll(async () => {
  open = await openSite()
  site = open.site
  // The CLI's view of the registry the site was built from.
  const { registry } = await loadRegistry(site.dir)
  facts = {
    hub: registry.hub,
    owners: [...registry.owners.keys()],
    items: [...registry.items.values()].map((i) => `${i.ref.kind}/${i.ref.ns}/${i.ref.name}`),
  }
  scratch = await mkdtemp(join(tmpdir(), 'agora-contribute-e2e-'))
})

afterAll(async () => {
  await open?.close()
  if (scratch) await rm(scratch, { recursive: true, force: true })
})

async function fill(page: Page, c: FormCase): Promise<void> {
  await page.selectOption('#f-kind', c.kind)
  for (const [name, value] of Object.entries(c.fields)) {
    const field = page.locator(`#f-${name}`)
    if ((await field.evaluate((el) => el.tagName)) === 'SELECT') await field.selectOption(value)
    else await field.fill(value)
  }
}

/** What the page shows: the verdict and each issue as data. */
async function check(page: Page) {
  await page.click('#contribute button[type="submit"]')
  await page.locator('#contribute-report').waitFor({ state: 'visible' })
  const issues = await page.locator('#contribute-issues li').evaluateAll((items) =>
    items.map((li) => ({
      code: li.querySelector('strong')?.textContent ?? '',
      severity: (li as HTMLElement).dataset['severity'] ?? '',
      message: li.querySelector('.message')?.textContent ?? '',
      hint: li.querySelector('.hint')?.textContent ?? '',
      line: (li as HTMLElement).dataset['line'] ?? '',
      where: li.querySelector('code')?.textContent ?? '',
    })),
  )
  return {
    ok: (await page.locator('#contribute-verdict').getAttribute('data-ok')) === 'true',
    verdict: (await page.locator('#contribute-verdict').textContent()) ?? '',
    issues,
    file: (await page.locator('#contribute-path').textContent()) ?? '',
    yaml: (await page.locator('#contribute-yaml').textContent()) ?? '',
  }
}

function asShown(issue: Issue) {
  return {
    code: issue.code,
    severity: issue.severity,
    message: issue.message,
    hint: issue.hint ? `hint: ${issue.hint}` : '',
    line: issue.line === undefined ? '' : String(issue.line),
    where: issue.file
      ? issue.line === undefined
        ? issue.file
        : `${issue.file}:${issue.line}:${issue.col ?? 1}`
      : '',
  }
}

/** agora validate on the item written into a copy of the site's registry: its error codes. */
async function cliCodes(c: FormCase, file: string, yaml: string): Promise<string[]> {
  const copy = await mkdtemp(join(scratch, 'registry-'))
  await cp(join(site.dir, 'registry'), join(copy, 'registry'), { recursive: true })
  const dir = file.slice(0, -'/item.yaml'.length)
  await mkdir(join(copy, dir), { recursive: true })
  await writeFile(join(copy, file), yaml)
  if (c.fields['readme']) await writeFile(join(copy, dir, 'README.md'), c.fields['readme'])
  const [, , , ns = '', name = ''] = dir.split('/')
  const { issues } = await validateRegistry(copy, { items: [{ kind: c.kind, ns, name }] })
  return issues
    .filter((i) => i.severity === 'error' && (i.file === file || i.file?.startsWith(`${dir}/`)))
    .map((i) => i.code)
}

describe('site/e2e/contribute', () => {
  it('serves the owners and ids the CLI sees', async () => {
    const served = (await (await fetch(`${site.url}/contribute.json`)).json()) as ContributionFacts
    expect(served.owners).toEqual([...facts.owners].sort())
    expect(served.items).toEqual(expect.arrayContaining(['model/aiko-tanaka/herg-blocker-clf']))
    expect(served.hub.licenses).toEqual(facts.hub.licenses)
    expect(served.hub.reserved_names ?? []).toEqual(facts.hub.reserved_names ?? [])
  })

  it.each(CASES)('$case: the browser says what agora validate says', async (c) => {
    const page = await open?.context.newPage()
    if (!page) throw new Error('no browser context')
    await page.goto(`${site.url}/contribute/`)
    await fill(page, c)
    const shown = await check(page)
    const [ns = '', name = ''] = [c.fields['ns'] ?? '', c.fields['name'] ?? '']
    expect(shown.file).toBe(`registry/${itemDir({ kind: c.kind, ns, name })}/item.yaml`)
    // The core function with the CLI's own ajv, on the very text the page wrote.
    const expected = validateContribution(
      { kind: c.kind, ns, name, item: shown.yaml, readme: c.fields['readme'] ?? '' },
      facts,
      getValidator('item'),
    )
    expect(shown.issues).toEqual(expected.issues.map(asShown))
    expect(shown.ok).toBe(expected.ok)
    const errors = shown.issues.filter((i) => i.severity === 'error').map((i) => i.code)
    expect(errors).toEqual(c.codes)
    // A taken id is an edit of that item to agora validate; every other case
    // is judged by it on the written files too.
    if (!c.codes.includes('change/item-exists')) {
      expect(await cliCodes(c, shown.file, shown.yaml)).toEqual(errors)
    }
    if (c.codes.length === 0) {
      expect(shown.verdict).toMatch(/^Valid/)
      expect(await page.locator('#contribute-result').isVisible()).toBe(true)
      const github = await page.locator('#contribute-github').getAttribute('href')
      if (github) expect(new URL(github).searchParams.get('value')).toBe(shown.yaml)
    } else {
      expect(shown.verdict).not.toMatch(/Valid/)
      expect(await page.locator('#contribute-result').isVisible()).toBe(false)
      expect(await page.locator('[aria-invalid="true"]').count()).toBeGreaterThan(0)
    }
    await page.close()
  })

  it('puts a problem next to its field: the missing format of a dataset', async () => {
    const page = await open?.context.newPage()
    if (!page) throw new Error('no browser context')
    await page.goto(`${site.url}/contribute/`)
    await fill(page, CASES.find((c) => c.case === 'a dataset without its format') as FormCase)
    await check(page)
    expect(await page.locator('#err-format').textContent()).toMatch(
      /^schema\/required: missing required field "format"/,
    )
    expect(await page.locator('#f-format').getAttribute('aria-invalid')).toBe('true')
    await page.close()
  })

  it('loads no Node module and keeps the CSP: no errors or violations on the page', async () => {
    const page = await open?.context.newPage()
    if (!page) throw new Error('no browser context')
    await page.goto(`${site.url}/contribute/`)
    const sources = await page
      .locator('script[src]')
      .evaluateAll((s) => s.map((e) => (e as HTMLScriptElement).src))
    for (const src of sources) {
      const code = await (await fetch(src)).text()
      expect(code).not.toMatch(/["']node:|__vite-browser-external/)
    }
    expect(await page.locator('script:not([src])').count()).toBeLessThanOrEqual(1)
    await page.close()
    expect(open?.errors).toEqual([])
  })

  it('fits a 390 px phone screen with problems listed', async () => {
    const phone = await open?.browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 1,
    })
    if (!phone) throw new Error('no browser')
    const page = await phone.newPage()
    await page.goto(`${site.url}/contribute/`)
    await fill(page, {
      case: 'phone',
      kind: 'model',
      fields: { ...MODEL, ns: 'nobody-here-with-a-long-namespace', name: 'x', readme: '' },
      codes: [],
    })
    const shown = await check(page)
    expect(shown.issues.length).toBeGreaterThan(1)
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll('body *')]
        // What scrolls inside a code block may run past the screen's edge.
        .filter((e) => e.getBoundingClientRect().right > 390 && !e.parentElement?.closest('pre'))
        .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`),
    )
    expect(wide).toEqual([])
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    await phone.close()
  })
})
