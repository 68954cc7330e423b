import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { parseDocument } from 'yaml'
import { buildSparseIndex } from '#core/catalog'
import { loadRegistry } from '#core/registry'
import { noFollowFs } from '#core/storage'
import {
  craftParquet,
  dataPage,
  dictionaryPage,
  int32,
} from '../../core/preview/__fixtures__/craft-parquet.ts'
import { writeSampleBlobs } from '../../scripts/gen-sample.ts'
import { indexSearch } from '../../scripts/search-index.ts'
import { serveHub } from '../../scripts/serve-hub.ts'

/** What the symlinked README of the fixture points at; no built file may contain it. */
export const LINKED_SECRET = 'AGORA_E2E_SECRET=never-on-a-page'

export const PROJECT_ROOT = resolve(import.meta.dirname, '../..')

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

export interface BuiltSite {
  dir: string
  out: string
  url: string
  /** The safetensors file the fixture item publishes. */
  tensor: { sha256: string; size: number }
  /** The files of the hostile dataset fixture (datasets/mallory/evil-rows). */
  rows: Record<RowsFile, FixtureFile>
  close(): Promise<void>
}

export interface FixtureFile {
  path: string
  sha256: string
  size: number
  bytes: Uint8Array
}

/** The hostile dataset's files; `hang` is a Parquet file whose page states two billion values. */
export type RowsFile = 'csv' | 'jsonl' | 'parquet' | 'hang'

/** Values the `hang` file's page states, in one byte of data (bit width 0). */
export const HANG_VALUES = 2 ** 31 - 1

/** A Kekulé SMILES the preview draws (aspirin). */
export const FIXTURE_SMILES = 'CC(=O)OC1=CC=CC=C1C(=O)O'

/** Rows of the hostile Parquet file: the CSV's first rows, then filler Snappy cannot shrink much. */
export const PARQUET_FIXTURE_ROWS = 6000

/**
 * The hostile dataset's files: a CSV far larger than the preview reads, whose
 * first rows carry markup and script in every column (the SMILES one too),
 * a small JSON Lines file with markup in keys and values, and a Parquet file
 * of the same first rows in row groups of 500, far larger than its first
 * row group, and a Parquet file that would keep hyparquet decoding for minutes.
 */
function rowsFixture(): Record<RowsFile, FixtureFile> {
  const lines = [
    'id,name,smiles,note',
    `1,aspirin,${FIXTURE_SMILES},"<script>window.__pwned = 'csv'</script>"`,
    '2,"<img src=x onerror=""window.__pwned = \'img\'"">","<b>C</b>","a, quoted ""note"""',
    '3,benzene (aromatic form),c1ccccc1,drawn as a Kekulé structure',
  ]
  for (let k = 4; lines.length < 6000; k++) lines.push(`${k},filler ${k},CCO,${'x'.repeat(40)}`)
  const jsonl = [
    { '<i>key</i>': '<svg onload="window.__pwned = 1">', smiles: 'C=O' },
    { '<i>key</i>': 'plain', smiles: '[Na+].[Cl-]', extra: { nested: ['<b>'] } },
  ]
    .map((o) => JSON.stringify(o))
    .join('\n')
  const hostile = [
    [1, 'aspirin', FIXTURE_SMILES, "<script>window.__pwned = 'parquet'</script>"],
    [2, `<img src=x onerror="window.__pwned = 'img'">`, '<b>C</b>', '<iframe srcdoc="x">'],
    [3, 'benzene (aromatic form)', 'c1ccccc1', 'drawn as a Kekulé structure'],
  ] as const
  const filler = Array.from({ length: PARQUET_FIXTURE_ROWS - hostile.length }, (_, k) => {
    const id = k + hostile.length + 1
    return [
      id,
      `filler ${id}`,
      'CCO',
      createHash('sha256').update(String(id)).digest('hex'),
    ] as const
  })
  const table = [...hostile, ...filler]
  const parquet = parquetWriteBuffer({
    columnData: [
      { name: 'id', type: 'INT32', data: table.map((r) => r[0]) },
      ...(['name', 'smiles', 'note'] as const).map((name, k) => ({
        name,
        type: 'STRING' as const,
        data: table.map((r) => r[k + 1]),
      })),
    ],
    rowGroupSize: 500,
  })
  const file = (path: string, data: string | Uint8Array): FixtureFile => {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data
    return {
      path,
      bytes,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    }
  }
  return {
    csv: file('rows.csv', `${lines.join('\n')}\n`),
    jsonl: file('rows.jsonl', `${jsonl}\n`),
    parquet: file('rows.parquet', new Uint8Array(parquet)),
    hang: file(
      'hang.parquet',
      craftParquet({
        rows: HANG_VALUES,
        pages: [
          dictionaryPage(1, int32(7)),
          dataPage(HANG_VALUES, 'RLE_DICTIONARY', new Uint8Array([0])),
        ],
      }),
    ),
  }
}

/** A tiny but real safetensors file: two tensors, exact offsets. */
function safetensorsBytes(): Uint8Array {
  const header = JSON.stringify({
    __metadata__: { format: 'pt' },
    'classifier.weight': { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
    'classifier.bias': { dtype: 'F32', shape: [2], data_offsets: [24, 32] },
  })
  const head = new TextEncoder().encode(header)
  const out = new Uint8Array(8 + head.length + 32)
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true)
  out.set(head, 8)
  for (let i = 0; i < 32; i++) out[8 + head.length + i] = i
  return out
}

function run(command: string, args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(command, args, {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let log = ''
    child.stdout.on('data', (d) => (log += d))
    child.stderr.on('data', (d) => (log += d))
    child.on('error', fail)
    child.on('exit', (code) =>
      code === 0
        ? ok()
        : fail(new Error(`${command} ${args.join(' ')} exited ${code}\n${log.slice(-4000)}`)),
    )
  })
}

/** Where a site is built and the loopback URL that serves it. */
export interface SiteFolder {
  dir: string
  out: string
  url: string
}

/**
 * Builds the sample hub plus the hostile fixture item into a temp folder and
 * serves it on loopback: the e2e tests run against the real built site. The
 * hub's URLs are pointed at the loopback server so canonical links and blob
 * downloads stay local. `env` adds build settings (for example
 * `AGORA_SEARCH_SPLIT_ABOVE`).
 */
export async function buildSite(env: Record<string, string> = {}): Promise<BuiltSite> {
  const dir = await mkdtemp(join(tmpdir(), 'agora-site-e2e-'))
  const out = join(dir, 'dist')
  await mkdir(out, { recursive: true })
  const hub = await serveHub({ root: out, port: 0, host: '127.0.0.1' })
  try {
    await buildInto({ dir, out, url: hub.url }, env)
  } catch (error) {
    await hub.close()
    await rm(dir, { recursive: true, force: true })
    throw error
  }
  return {
    ...siteIn({ dir, out, url: hub.url }),
    async close() {
      await hub.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

function siteIn(folder: SiteFolder): Omit<BuiltSite, 'close'> {
  const bytes = safetensorsBytes()
  return {
    ...folder,
    tensor: { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length },
    rows: rowsFixture(),
  }
}

/**
 * Builds the site into `folder` (already served at `folder.url`): the pages
 * and search as `astro build` and the search step write them, then the
 * sparse index as `npm run build` adds it.
 */
export async function buildInto(
  folder: SiteFolder,
  env: Record<string, string> = {},
): Promise<void> {
  const { dir, out, url } = folder
  const sample = join(PROJECT_ROOT, 'registry')
  const base = existsSync(join(sample, 'agora.yaml'))
    ? sample
    : join(PROJECT_ROOT, 'core/registry/__fixtures__/valid/registry')
  await cp(base, join(dir, 'registry'), { recursive: true })
  await cp(join(import.meta.dirname, '__fixtures__/evil/registry'), join(dir, 'registry'), {
    recursive: true,
  })
  // What `agora stripe sync` would write beside registry/ (payments/links.json).
  await cp(join(import.meta.dirname, '__fixtures__/payments'), join(dir, 'payments'), {
    recursive: true,
  })

  const hubFile = join(dir, 'registry/agora.yaml')
  const doc = parseDocument(await readFile(hubFile, 'utf8'))
  doc.set('base_url', url)
  doc.setIn(['storage', 'public_url'], url)
  const licenses = doc.getIn(['licenses', 'allowed'])
  if (licenses && typeof licenses === 'object' && 'items' in licenses) {
    const allowed = (doc.toJS().licenses?.allowed ?? []) as string[]
    if (!allowed.includes('MIT')) doc.setIn(['licenses', 'allowed'], [...allowed, 'MIT'])
  }
  await writeFile(hubFile, doc.toString())

  // A README.md that is a symbolic link to a secret outside the registry:
  // the build must refuse it, never render it.
  await writeFile(join(dir, 'secret.env'), `${LINKED_SECRET}\n`)
  await symlink(
    join(dir, 'secret.env'),
    join(dir, 'registry/models/ma/mallory/linked-card/README.md'),
  )

  const bytes = safetensorsBytes()
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  const itemDir = join(dir, 'registry/models/ma/mallory/evil-card')
  await mkdir(join(itemDir, 'versions'), { recursive: true })
  await writeFile(
    join(itemDir, 'versions/1.0.0.yaml'),
    `version: 1.0.0\nreleased: 2025-02-01\nchangelog: First release.\nfiles:\n  - { path: model.safetensors, size: ${bytes.length}, sha256: ${sha256} }\n`,
  )
  const blobDir = join(out, 'blobs/sha256', sha256.slice(0, 2))
  await mkdir(blobDir, { recursive: true })
  await writeFile(join(blobDir, sha256), bytes)

  const rows = rowsFixture()
  const rowsDir = join(dir, 'registry/datasets/ma/mallory/evil-rows')
  await mkdir(join(rowsDir, 'versions'), { recursive: true })
  await writeFile(
    join(rowsDir, 'versions/1.0.0.yaml'),
    `version: 1.0.0\nreleased: 2025-02-01\nchangelog: First release.\nnum_datapoints: 5999\nfiles:\n${Object.values(
      rows,
    )
      .map((f) => `  - { path: ${f.path}, size: ${f.size}, sha256: ${f.sha256} }\n`)
      .join('')}`,
  )

  await run(process.execPath, [join(PROJECT_ROOT, 'node_modules/astro/bin/astro.mjs'), 'build'], {
    AGORA_ROOT: dir,
    AGORA_OUT_DIR: out,
    AGORA_COMMIT: '0123456789abcdef0123456789abcdef01234567',
    ...env,
  })
  const splitAbove = env.AGORA_SEARCH_SPLIT_ABOVE
  await indexSearch(out, splitAbove ? { splitAbove: Number(splitAbove) } : {})
  // The item pages link their sparse index entries: write them as a hub build does.
  // The hostile fixtures make the registry invalid; the index takes what loads.
  const { registry } = await loadRegistry(dir, { fs: noFollowFs({ root: dir }) })
  await buildSparseIndex(registry, { outDir: out })
  // astro build empties outDir; put the blobs back where the hub serves blobs.
  await mkdir(blobDir, { recursive: true })
  await writeFile(join(blobDir, sha256), bytes)
  if (base === sample) {
    // The sample hub's public files, served beside the site as `npm start` does.
    const store = join(dir, 'store')
    await writeSampleBlobs(store)
    await cp(join(store, 'blobs'), join(out, 'blobs'), { recursive: true })
  }
  for (const f of Object.values(rows)) {
    const fileDir = join(out, 'blobs/sha256', f.sha256.slice(0, 2))
    await mkdir(fileDir, { recursive: true })
    await writeFile(join(fileDir, f.sha256), f.bytes)
  }
}

/** What the e2e global setup shares: one folder, served for the whole run, built once. */
export const SHARED_SITE = 'agoraSharedSite'

declare module 'vitest' {
  export interface ProvidedContext {
    [SHARED_SITE]: SiteFolder | undefined
  }
}

/**
 * The default site, built once per test run into the folder the global
 * setup serves (site/e2e/global-setup.ts) and reused by every e2e file; a
 * fresh build when no global setup ran. Files run one at a time, so the
 * first to ask builds it.
 */
async function sharedSite(): Promise<BuiltSite> {
  const { inject } = await import('vitest')
  const folder = inject(SHARED_SITE)
  if (!folder) return buildSite()
  const marker = join(folder.dir, 'built')
  if (!existsSync(marker)) {
    await buildInto(folder)
    await writeFile(marker, '')
  }
  // The global teardown removes it, after the last file.
  return { ...siteIn(folder), close: async () => undefined }
}

/** Debian's chromium through playwright-core. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
}

/** Collects console errors, page errors and CSP violations of every page in a context. */
export function watchErrors(context: BrowserContext): string[] {
  const errors: string[] = []
  context.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`${msg.location().url}: ${msg.text()}`)
  })
  context.on('weberror', (e) => errors.push(`pageerror: ${e.error().message}`))
  return errors
}

/** A built site, a browser and one context watched for errors: what every e2e file starts from. */
export interface OpenSite {
  site: BuiltSite
  browser: Browser
  context: BrowserContext
  errors: string[]
  close(): Promise<void>
}

/**
 * Opens a browser context on the built site: the run's shared build, or with
 * `env` (as for `buildSite`) a build of this file's own.
 *
 * @example const open = await openSite(); …; await open.close()
 */
export async function openSite(env: Record<string, string> = {}): Promise<OpenSite> {
  const site = Object.keys(env).length === 0 ? await sharedSite() : await buildSite(env)
  const browser = await launchBrowser().catch(async (error) => {
    await site.close()
    throw error
  })
  const context = await browser.newContext()
  return {
    site,
    browser,
    context,
    errors: watchErrors(context),
    async close() {
      await browser.close()
      await site.close()
    },
  }
}

/** A phone-sized context (390 × 844 CSS px), for the checks that pages fit a phone. */
export function phoneContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 1,
    isMobile: true,
  })
}

/**
 * What makes the page wider than a 390 px phone screen: '' when it fits,
 * else its width and the outermost element that sticks out, so a failure
 * says where to look.
 */
export async function phoneOverflow(page: Page): Promise<string> {
  const width = await page.evaluate(() => document.documentElement.scrollWidth)
  if (width <= 390) return ''
  const culprit = await page.evaluate(() => {
    for (const el of document.querySelectorAll('body *')) {
      const box = el.getBoundingClientRect()
      if (box.right > 391 && box.width > 0) {
        const names: string[] = []
        for (let at: Element | null = el; at && names.length < 4; at = at.parentElement) {
          const cls = typeof at.className === 'string' ? at.className.trim() : ''
          names.unshift(`${at.tagName.toLowerCase()}${cls ? `.${cls.split(/\s+/).join('.')}` : ''}`)
        }
        return names.join(' > ')
      }
    }
    return 'unknown'
  })
  return `${width}px (${culprit})`
}
