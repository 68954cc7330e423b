#!/usr/bin/env node
/**
 * Static catalog benchmark. On a synthetic hub (scripts/bench/gen-registry.ts)
 * it measures, in one run:
 *   1. cold build (Astro + Pagefind, empty caches) and peak RSS, beside the
 *      floor: a trivial Astro site with one page per item, built the same way;
 *   2. rebuild after changing 1% of the items (persisted data store kept);
 *   3. search transfer: bytes (gzip) of the first query and of each further
 *      query, from the browser's network events in Debian's Chromium.
 *
 *   ./node_modules/.bin/node scripts/bench/site.ts [--items 10000] [--keep] [--search-only] [--verbose] [--cold-only]
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'
import { chromium } from 'playwright-core'
import { CHROMIUM_ARGS } from '../../site/e2e/harness.ts'
import { serveHub } from '../serve-hub.ts'
import { sampleTreeRss } from './tree-rss.ts'

const ROOT = resolve(import.meta.dirname, '../..')
const { values } = parseArgs({
  // --search-only measures search transfer on an output kept by --keep.
  options: {
    items: { type: 'string', default: '10000' },
    keep: { type: 'boolean', default: false },
    'search-only': { type: 'boolean', default: false },
    // --verbose lists each file a query downloads.
    verbose: { type: 'boolean', default: false },
    // --cold-only stops after the cold build and its floor (for 100k items).
    'cold-only': { type: 'boolean', default: false },
  },
})
const items = Number(values.items)
const work = join(ROOT, 'bench-out', 'site')
const hubDir = join(work, `hub-${items}`)
const outDir = join(work, `out-${items}`)
const floorDir = join(work, `floor-${items}`)

interface Timed {
  seconds: number
  /** Largest single process (GNU time). */
  maxRssMb: number
  /** Largest sum over the whole process tree at one moment (sampled). */
  treeRssMb: number
  log: string
}

/** Runs a command under GNU time for wall time and peak RSS, largest process and whole tree. */
function timed(args: string[], env: Record<string, string>, cwd = ROOT): Promise<Timed> {
  return new Promise((ok, fail) => {
    const child = spawn('/usr/bin/time', ['-f', 'AGORA_TIME %e %M', ...args], {
      cwd,
      env: { ...process.env, ...env },
    })
    const sampler = child.pid ? sampleTreeRss(child.pid) : undefined
    let log = ''
    child.stdout.on('data', (d) => (log += d))
    child.stderr.on('data', (d) => (log += d))
    child.on('error', fail)
    child.on('exit', (code) => {
      const treeRssMb = Math.round(sampler?.stop() ?? 0)
      const m = /AGORA_TIME ([\d.]+) (\d+)/.exec(log)
      if (code !== 0 || !m)
        return fail(new Error(`${args.join(' ')} failed (${code})\n${log.slice(-3000)}`))
      ok({ seconds: Number(m[1]), maxRssMb: Math.round(Number(m[2]) / 1024), treeRssMb, log })
    })
  })
}

/** The two steps of `npm run build` that make the site: `astro build`, then the search index. */
const siteBuild = [
  '/bin/sh',
  '-c',
  '"$0" node_modules/astro/bin/astro.mjs build && "$0" scripts/search-index.ts "$1"',
  process.execPath,
  outDir,
]

async function generate(): Promise<void> {
  if (existsSync(join(hubDir, 'registry/agora.yaml'))) return
  await rm(hubDir, { recursive: true, force: true })
  await timed(
    [
      process.execPath,
      join(ROOT, 'scripts/bench/gen-registry.ts'),
      '--items',
      String(items),
      '--out',
      hubDir,
    ],
    {},
  )
}

/** The floor: the same number of trivial pages through the same Astro and Pagefind. */
async function writeFloor(): Promise<void> {
  await rm(floorDir, { recursive: true, force: true })
  await mkdir(join(floorDir, 'src/pages'), { recursive: true })
  await writeFile(
    join(floorDir, 'astro.config.mjs'),
    `import { defineConfig } from 'astro/config'
import * as pagefind from 'pagefind'
import { fileURLToPath } from 'node:url'
export default defineConfig({ outDir: './dist', integrations: [{ name: 'floor-pagefind', hooks: { 'astro:build:done': async ({ dir }) => {
  const { index } = await pagefind.createIndex({})
  await index.addDirectory({ path: fileURLToPath(dir) })
  await index.writeFiles({ outputPath: fileURLToPath(new URL('pagefind', dir)) })
  await pagefind.close()
} } }] })
`,
  )
  await writeFile(
    join(floorDir, 'src/pages/[n].astro'),
    `---
export function getStaticPaths() {
  return Array.from({ length: ${items} }, (_, i) => ({ params: { n: String(i) } }))
}
const { n } = Astro.params
---
<html lang="en"><head><title>Item {n}</title></head><body><main data-pagefind-body><h1>Item {n}</h1><p>A trivial page standing in for item {n}.</p></main></body></html>
`,
  )
}

/** Changes the summary of every hundredth item: a 1% edit. */
async function touchOnePercent(): Promise<number> {
  const { loadRegistry } = await import('#core/registry')
  const { registry } = await loadRegistry(hubDir)
  let n = 0
  let i = 0
  for (const item of registry.items.values()) {
    if (i++ % 100 !== 0) continue
    const file = join(hubDir, item.dir, 'item.yaml')
    const text = await readFile(file, 'utf8')
    await writeFile(
      file,
      text.replace(
        /^summary: (.*)$/m,
        (_, s: string) =>
          `summary: ${s.startsWith('"') ? `"Edited. ${s.slice(1)}` : `Edited. ${s}`}`,
      ),
    )
    n += 1
  }
  return n
}

/**
 * Bytes a visitor downloads for searches, counted at the server (Pagefind
 * fetches from a Web Worker, which page-level network events miss): index
 * files as stored (Pagefind gzips them itself), scripts and JSON gzipped as
 * any host would send them.
 */
async function searchTransfer(): Promise<{ first: number; further: number[] }> {
  const requested: string[] = []
  const hub = await serveHub({
    root: outDir,
    port: 0,
    onRequest: (r) => {
      if (r.path.startsWith('/pagefind/')) requested.push(r.path)
    },
  })
  const sizes = new Map<string, number>()
  const bytesOf = async (path: string): Promise<number> => {
    const hit = sizes.get(path)
    if (hit !== undefined) return hit
    const body = await readFile(join(outDir, decodeURIComponent(path)))
    const n = /\.(js|css|json)$/.test(path) ? gzipSync(body).length : body.length
    sizes.set(path, n)
    return n
  }
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  })
  try {
    const page = await browser.newPage()
    await page.goto(`${hub.url}/browse/`)
    await page.waitForLoadState('networkidle')
    const query = async (q: string): Promise<number> => {
      requested.length = 0
      await page.fill('#browse-q', q)
      await page.waitForFunction(
        (term) => document.querySelector('[data-status]')?.textContent?.includes(`“${term}”`),
        q,
      )
      await page.waitForLoadState('networkidle')
      let total = 0
      for (const path of new Set(requested)) {
        const n = await bytesOf(path)
        if (values.verbose) console.log(`  ${q}: ${path} ${kb(n)}`)
        total += n
      }
      return total
    }
    const first = await query('bert')
    const further: number[] = []
    for (const q of ['llama', 'molecule', 'legal', 'vision', 'toxicity', 'speech', 'sql'])
      further.push(await query(q))
    return { first, further }
  } finally {
    await browser.close()
    await hub.close()
  }
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

if (values['search-only']) {
  const search = await searchTransfer()
  console.log(
    `search: first query ${kb(search.first)}, further queries median ${kb(median(search.further))} (${search.further.map(kb).join(', ')})`,
  )
  process.exit(0)
}

await mkdir(work, { recursive: true })
await generate()
await writeFloor()
await rm(join(hubDir, '.astro-cache'), { recursive: true, force: true })
await rm(outDir, { recursive: true, force: true })
const env = { AGORA_ROOT: hubDir, AGORA_OUT_DIR: outDir, AGORA_COMMIT: '0'.repeat(40) }
const cold = await timed(siteBuild, env)
// Astro's log of the cold build, for the phase timings (sync, pages, search).
await writeFile(join(work, `cold-${items}.log`), cold.log)
const pages = Number(/(\d+) page\(s\) built/.exec(cold.log)?.[1] ?? 0)
const floor = await timed(
  [process.execPath, join(ROOT, 'node_modules/astro/bin/astro.mjs'), 'build', '--root', floorDir],
  {},
)
console.log(`Static catalog, ${items} items (${pages} pages)`)
console.log(
  `cold build:   ${cold.seconds.toFixed(1)} s, peak RSS ${cold.maxRssMb} MB (largest process), ${cold.treeRssMb} MB (whole tree)`,
)
console.log(
  `floor:        ${floor.seconds.toFixed(1)} s, peak RSS ${floor.maxRssMb} MB (largest process), ${floor.treeRssMb} MB (whole tree) (${items} trivial pages, Astro + Pagefind)`,
)
console.log(`ratio:        ${(cold.seconds / floor.seconds).toFixed(2)}x the floor`)
if (values['cold-only']) {
  if (!values.keep) await rm(floorDir, { recursive: true, force: true })
  process.exit(0)
}
// The first build after an empty cache records what later builds may reuse;
// an unchanged rebuild shows the steady state before the 1% edit.
const noop = await timed(siteBuild, env)
const changed = await touchOnePercent()
const rebuild = await timed(siteBuild, env)
const search = await searchTransfer()

console.log(`rebuild, nothing changed: ${noop.seconds.toFixed(1)} s`)
console.log(
  `rebuild (${changed} items changed): ${rebuild.seconds.toFixed(1)} s (${(rebuild.seconds / cold.seconds).toFixed(2)}x the cold build)`,
)
console.log(
  `search: first query ${kb(search.first)}, further queries median ${kb(median(search.further))} (${search.further.map(kb).join(', ')})`,
)
if (!values.keep) {
  await rm(outDir, { recursive: true, force: true })
  await rm(floorDir, { recursive: true, force: true })
}
