#!/usr/bin/env node
/**
 * Lighthouse (mobile, default throttling) on the built sample hub: home,
 * browse, an item page and a leaderboard. The site is served gzip-compressed
 * from loopback, as any static host or CDN would serve it.
 *
 *   ./node_modules/.bin/node scripts/bench/lighthouse.ts [--runs 3] [--dist DIR]
 *
 * Without --dist it builds the sample hub into bench-out/lighthouse first.
 * Prints each category's median score per page and the performance metrics.
 */
import { spawn } from 'node:child_process'
import { createReadStream, existsSync } from 'node:fs'
import { cp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'
import * as chromeLauncher from 'chrome-launcher'
import lighthouse from 'lighthouse'
import { parseDocument } from 'yaml'
import { CHROMIUM_ARGS } from '../../site/e2e/harness.ts'

const ROOT = resolve(import.meta.dirname, '../..')
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, dist: { type: 'string' } },
})
const runs = Number(values.runs)
const dist = values.dist ? resolve(values.dist) : join(ROOT, 'bench-out', 'lighthouse')

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.xml': 'application/xml',
  '.txt': 'text/plain; charset=utf-8',
}

/**
 * Builds the sample hub with its base URL set to where it is served, so
 * canonical links point at the page Lighthouse audits.
 */
async function build(baseUrl: string): Promise<void> {
  const hubDir = join(ROOT, 'bench-out', 'lighthouse-hub')
  await rm(join(hubDir, 'registry'), { recursive: true, force: true })
  await cp(join(ROOT, 'registry'), join(hubDir, 'registry'), { recursive: true })
  const hubFile = join(hubDir, 'registry/agora.yaml')
  const doc = parseDocument(await readFile(hubFile, 'utf8'))
  doc.set('base_url', baseUrl)
  await writeFile(hubFile, doc.toString())
  await new Promise<void>((ok, fail) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'node_modules/astro/bin/astro.mjs'), 'build'],
      {
        cwd: ROOT,
        env: { ...process.env, AGORA_ROOT: hubDir, AGORA_OUT_DIR: dist },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    )
    child.on('error', fail)
    child.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`astro build exited ${code}`))))
  })
}

/** A static server that gzips text, with long caching for hashed assets, like a CDN. */
async function serve(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname))
    let file = join(dist, path)
    if (!file.startsWith(dist)) return void res.writeHead(403).end()
    const info = await stat(file).catch(() => undefined)
    if (info?.isDirectory()) file = join(file, 'index.html')
    if (!existsSync(file)) {
      res.writeHead(404, { 'content-type': TYPES['.html'] ?? '' })
      return void res.end(await readFile(join(dist, '404.html')).catch(() => ''))
    }
    const type = TYPES[extname(file)]
    const headers: Record<string, string> = {
      'content-type': type ?? 'application/octet-stream',
      'cache-control': path.startsWith('/_astro/')
        ? 'public, max-age=31536000, immutable'
        : 'public, max-age=300',
    }
    if (type && /gzip/.test(String(req.headers['accept-encoding']))) {
      res.writeHead(200, { ...headers, 'content-encoding': 'gzip', vary: 'accept-encoding' })
      return void res.end(gzipSync(await readFile(file)))
    }
    res.writeHead(200, headers)
    createReadStream(file).pipe(res)
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((ok) => server.close(() => ok())),
  }
}

async function firstItem(kinds: string, base: string): Promise<string> {
  const list = JSON.parse(await readFile(join(dist, 'api', `${kinds}.json`), 'utf8')) as {
    page_urls: string[]
  }
  const first = list.page_urls[0]
  if (!first) throw new Error(`no ${kinds}`)
  const page = JSON.parse(await readFile(join(dist, new URL(first).pathname), 'utf8')) as {
    items: { url: string }[]
  }
  const url = page.items[0]?.url
  if (!url) throw new Error(`no ${kinds}`)
  return `${base}${new URL(url).pathname}`
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

const site = await serve()
if (!values.dist) await build(site.url)
const chrome = await chromeLauncher.launch({
  chromePath: '/usr/bin/chromium',
  chromeFlags: CHROMIUM_ARGS,
})
try {
  const item = await firstItem('models', site.url)
  const bench = await firstItem('benchmarks', site.url)
  const pages: [string, string][] = [
    ['home', `${site.url}/`],
    ['browse', `${site.url}/models/`],
    ['item', item],
    ['leaderboard', `${bench}leaderboard/`],
  ]
  console.log(`Lighthouse ${runs}× per page, mobile, median`)
  console.log('page         perf  a11y  bp   seo   FCP     LCP     TBT    CLS')
  for (const [name, url] of pages) {
    const scores: Record<string, number[]> = {
      performance: [],
      accessibility: [],
      'best-practices': [],
      seo: [],
    }
    const metrics: Record<string, number[]> = { fcp: [], lcp: [], tbt: [], cls: [] }
    for (let i = 0; i < runs; i++) {
      const result = await lighthouse(url, {
        port: chrome.port,
        output: 'json',
        logLevel: 'error',
        onlyCategories: Object.keys(scores),
      })
      const lhr = result?.lhr
      if (!lhr) throw new Error(`no result for ${url}`)
      for (const key of Object.keys(scores))
        scores[key]?.push(Math.round((lhr.categories[key]?.score ?? 0) * 100))
      metrics['fcp']?.push(lhr.audits['first-contentful-paint']?.numericValue ?? 0)
      metrics['lcp']?.push(lhr.audits['largest-contentful-paint']?.numericValue ?? 0)
      metrics['tbt']?.push(lhr.audits['total-blocking-time']?.numericValue ?? 0)
      metrics['cls']?.push(lhr.audits['cumulative-layout-shift']?.numericValue ?? 0)
      if (i === runs - 1) {
        const failing = Object.values(lhr.audits).filter(
          (a) => a.score !== null && a.score < 1 && a.scoreDisplayMode === 'binary',
        )
        if (failing.length)
          console.log(`  ${name} failing audits: ${failing.map((a) => a.id).join(', ')}`)
      }
    }
    const s = (k: string) => String(median(scores[k] ?? [])).padEnd(6)
    const ms = (k: string) => `${Math.round(median(metrics[k] ?? []))} ms`.padEnd(8)
    console.log(
      `${name.padEnd(12)} ${s('performance')}${s('accessibility')}${s('best-practices')}${s('seo')}${ms('fcp')}${ms('lcp')}${ms('tbt')}${median(metrics['cls'] ?? []).toFixed(3)}`,
    )
  }
} finally {
  await chrome.kill()
  await site.close()
}
