#!/usr/bin/env node
/**
 * Benchmark: an `hf_hub_download`-style transfer of a 1 GiB file from
 * `agora serve` (scripts/serve-hub.ts, the Hub's download protocol) against
 * the same bytes from a plain static file server in the same run: a dozen
 * lines of Node (`createReadStream(file).pipe(response)` with Node's defaults,
 * as the npm static servers do), each server in its own process.
 *
 * Each download is what huggingface_hub does, with curl: HEAD on
 * `/{id}/resolve/main/{file}` with `Accept-Encoding: identity` (the commit,
 * ETag and size are read from it), then a GET of the same URL or of the
 * Location it gave, streamed to `<etag>.incomplete` and renamed. The static
 * server gets the same two requests for its path. Runs alternate which
 * server goes first, with `sync` (not timed) before each, so neither pays for
 * the other's writes. Agora serve hashes a blob the first time it sends it
 * whole and holds back its last chunk until the hash matches; later downloads
 * of the unchanged file skip that. The first download is reported on its own
 * line; the goal (serve ≥ 0.9 × static throughput) is the median of the rest.
 *
 * The 1-minute load average is printed before and after each run: a figure
 * counts only from an idle machine. Before each run it waits (up to
 * --idle-wait seconds) for the load to fall under 1.
 *
 *   node scripts/bench/hf-serve.ts [--size-mib 1024] [--runs 4] [--idle-wait 240]
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { blobKey } from '#core/blobs'
import { buildBigHub } from './big-hub.ts'
import { exec, waitForIdle } from './process.ts'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const node = process.execPath
const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    runs: { type: 'string', default: '4' },
    'idle-wait': { type: 'string', default: '240' },
  },
})
const size = Number(values['size-mib']) * 1024 * 1024
const runs = Number(values.runs)
const idleWaitMs = Number(values['idle-wait']) * 1000
/** What huggingface_hub sends besides the URL (its user agent names it; no token). */
const HF_HEADERS = [
  '-H',
  'user-agent: huggingface_hub/1.0.0; python/3.12; session_id/bench',
  '-H',
  'accept-encoding: identity',
]

/** The plain static server: files under argv[1], no ranges, no ETags, Node's default 64 KiB reads. */
const STATIC_SERVER = `
import { createServer } from 'node:http'
import { createReadStream, statSync } from 'node:fs'
import { join, normalize } from 'node:path'
const root = process.argv[1]
const server = createServer((req, res) => {
  const path = join(root, normalize(new URL(req.url, 'http://x').pathname))
  let size
  try { size = statSync(path).size } catch { res.writeHead(404).end(); return }
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size })
  if (req.method === 'HEAD') res.end()
  else createReadStream(path).pipe(res)
})
server.listen(0, '127.0.0.1', () => console.log('static at http://127.0.0.1:' + server.address().port))
`

/**
 * CPU seconds (user + system) a process has used, from /proc (Linux); NaN
 * elsewhere. Less disturbed by other load than wall time.
 */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return Number.NaN
  }
}

/** Starts a server process and waits for the `… at http://…` line it prints. */
function startServer(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((done, fail) => {
    const child = spawn(node, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      out += c
      const url = out.match(/ at (http:\/\/[^\s]+)/)?.[1]
      if (url) done({ url, child })
    })
    child.on('error', fail)
    child.on('exit', (code) => fail(new Error(`${args.join(' ')} exited with ${code}`)))
  })
}

/**
 * HEAD then GET as hf_hub_download does, into `dir/<etag>`; returns the
 * seconds taken and whether the HEAD redirected.
 */
async function hfDownload(url: string, dir: string): Promise<{ seconds: number; etag: string }> {
  const started = process.hrtime.bigint()
  const head = await exec('curl', ['-sS', '--fail', '-I', ...HF_HEADERS, url])
  if (head.status !== 0) throw new Error(`HEAD ${url} failed: ${head.stderr}`)
  const header = (name: string) =>
    head.stdout.match(new RegExp(`^${name}: *(.*?)\\r?$`, 'im'))?.[1]?.trim()
  const etag = (header('x-linked-etag') ?? header('etag') ?? 'no-etag').replace(/^W\/|"/g, '')
  const location = header('location')
  const target = location === undefined ? url : new URL(location, url).href
  const incomplete = join(dir, `${etag}.incomplete`)
  const get = await exec('curl', ['-sS', '--fail', ...HF_HEADERS, '-o', incomplete, target])
  if (get.status !== 0) throw new Error(`GET ${target} failed: ${get.stderr}`)
  renameSync(incomplete, join(dir, etag))
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (statSync(join(dir, etag)).size !== size) throw new Error(`${url} gave the wrong size`)
  return { seconds, etag }
}

const work = mkdtempSync(join(tmpdir(), 'agora-bench-hf-serve-'))
const root = join(work, 'site')
const children: ChildProcess[] = []
try {
  process.stdout.write(`writing ${values['size-mib']} MiB of random bytes in ${work}\n`)
  const { files, publicKey } = await buildBigHub(root, work, 1, size)
  const file = files[0] as (typeof files)[number]
  const serve = await startServer([
    join(repo, 'scripts/serve-hub.ts'),
    '--root',
    root,
    '--port',
    '0',
    '--key',
    publicKey,
  ])
  const plain = await startServer(['--input-type=module', '-e', STATIC_SERVER, root])
  children.push(serve.child, plain.child)
  const serveUrl = `${serve.url}/bench/big/resolve/main/${file.path}`
  const staticUrl = `${plain.url}/${blobKey(file.sha256)}`

  const rows: {
    serve: number
    plain: number
    serveCpu: number
    plainCpu: number
    load: [number, number]
  }[] = []
  // Run 0 is the server's first whole send of the blob (hashed on the way).
  for (let run = 0; run <= runs; run++) {
    const dir = join(work, `run-${run}`)
    mkdirSync(dir)
    await waitForIdle(idleWaitMs)
    const loadBefore = loadavg()[0] ?? 0
    const measure = async (url: string, pid: number | undefined) => {
      await exec('sync', [])
      const cpu = cpuSeconds(pid)
      const result = await hfDownload(url, dir)
      const used = cpuSeconds(pid) - cpu
      rmSync(join(dir, result.etag))
      return { ...result, cpu: used }
    }
    let served: Awaited<ReturnType<typeof measure>>
    let plainResult: Awaited<ReturnType<typeof measure>>
    if (run % 2 === 0) {
      served = await measure(serveUrl, serve.child.pid)
      plainResult = await measure(staticUrl, plain.child.pid)
    } else {
      plainResult = await measure(staticUrl, plain.child.pid)
      served = await measure(serveUrl, serve.child.pid)
    }
    if (served.etag !== file.sha256) throw new Error(`agora serve gave ETag ${served.etag}`)
    rows.push({
      serve: served.seconds,
      plain: plainResult.seconds,
      serveCpu: served.cpu,
      plainCpu: plainResult.cpu,
      load: [loadBefore, loadavg()[0] ?? 0],
    })
    rmSync(dir, { recursive: true, force: true })
  }

  const mib = size / 1024 ** 2
  process.stdout.write(
    `\nhf_hub_download-style transfer (HEAD, GET, to disk) of ${mib} MiB on loopback\n` +
      'run                 load 1m before/after  agora serve s  MiB/s  static s  MiB/s  serve/static throughput  server CPU s: serve  static\n',
  )
  for (const [i, r] of rows.entries()) {
    process.stdout.write(
      `${(i === 0 ? '0 (first, hashed)' : String(i)).padEnd(18)}  ${`${r.load[0].toFixed(2)} / ${r.load[1].toFixed(2)}`.padStart(20)}  ${r.serve.toFixed(2).padStart(13)}  ${(mib / r.serve).toFixed(0).padStart(5)}  ${r.plain.toFixed(2).padStart(8)}  ${(mib / r.plain).toFixed(0).padStart(5)}  ${(r.plain / r.serve).toFixed(2).padStart(23)}  ${r.serveCpu.toFixed(2).padStart(19)}  ${r.plainCpu.toFixed(2).padStart(6)}\n`,
    )
  }
  const medianOf = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b)
    const mid = Math.floor(sorted.length / 2)
    return sorted.length % 2
      ? (sorted[mid] ?? 0)
      : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
  }
  const later = rows.slice(1)
  const median = medianOf(later.map((r) => r.plain / r.serve))
  const first = rows[0] as (typeof rows)[number]
  const loaded = rows.some((r) => Math.max(...r.load) >= 1)
  process.stdout.write(
    `median serve/static throughput ${median.toFixed(2)} (goal ≥ 0.9); first download ${(first.plain / first.serve).toFixed(2)}\n` +
      `median server CPU seconds per download: serve ${medianOf(later.map((r) => r.serveCpu)).toFixed(2)}, static ${medianOf(later.map((r) => r.plainCpu)).toFixed(2)}; first download: serve ${first.serveCpu.toFixed(2)}, static ${first.plainCpu.toFixed(2)}\n` +
      (loaded
        ? 'taken under load (load average ≥ 1 in some run): the figures do not count toward the goal\n'
        : 'load under 1 throughout\n'),
  )
} finally {
  for (const child of children) child.kill()
  rmSync(work, { recursive: true, force: true })
}
