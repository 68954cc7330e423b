#!/usr/bin/env node
/**
 * Benchmark: `agora pull` of a 1 GiB item (4 × 256 MiB random files) from
 * the loopback hub server, cold cache, against three floors in the same
 * run: curl of the same files in parallel alone (the transfer), that curl
 * followed by sha256sum of them (transfer, then verification), and Node's
 * own fetch of them with the bytes thrown away (what receiving costs through
 * Node's HTTP stack, which the pull no longer uses for blobs). The pull
 * hashes while it downloads, so it should come close to curl alone. Also
 * reports the CPU seconds of the pull and of curl, the pull's peak RSS (GNU
 * time), the HTTP requests it made before the first blob byte, a warm (all
 * cached) pull, and the load average before and after each run: a figure
 * counts only from an idle machine.
 *
 * Before each run it waits (up to --idle-wait seconds) for the 1-minute load
 * average to fall under 1.
 *
 * --baseline DIR also times the pull of another checkout (say, main's
 * worktree) in each run, next to this one's and in alternating order, so a
 * change to the client is judged A/B under the same load.
 *
 *   node scripts/bench/pull.ts [--files 4] [--size-mib 256] [--runs 2] [--cold-start] [--idle-wait 240] [--baseline DIR]
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { blobKey } from '#core/blobs'
import { serveHub } from '../serve-hub.ts'
import { buildBigHub } from './big-hub.ts'
import { agoraBin, exec, waitForIdle } from './process.ts'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const node = process.execPath
const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '4' },
    'size-mib': { type: 'string', default: '256' },
    runs: { type: 'string', default: '2' },
    'cold-start': { type: 'boolean', default: false },
    'idle-wait': { type: 'string', default: '240' },
    baseline: { type: 'string' },
  },
})
const fileCount = Number(values.files)
const size = Number(values['size-mib']) * 1024 * 1024
const runs = Number(values.runs)
const idleWaitMs = Number(values['idle-wait']) * 1000
const baseline = values.baseline

/** Runs a command under GNU time; returns wall seconds, CPU seconds (user + system) and peak RSS in MiB. */
async function timed(
  command: string,
  args: string[],
  cwd: string,
): Promise<{ seconds: number; cpu: number; rssMiB: number; stdout: string }> {
  const started = process.hrtime.bigint()
  const result = await exec('/usr/bin/time', ['-f', '%M %U %S', command, ...args], cwd)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`)
  const [rss, user, system] = (result.stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number)
  return {
    seconds,
    cpu: (user ?? 0) + (system ?? 0),
    rssMiB: (rss ?? 0) / 1024,
    stdout: result.stdout,
  }
}

const work = mkdtempSync(join(tmpdir(), 'agora-bench-pull-'))
const root = join(work, 'site')
// As an installed CLI runs after its first start: type-stripped modules come
// from Node's compile cache. --cold-start measures without it: the agora
// command turns the cache on by itself (in the system's temp folder), so it
// is turned off outright.
if (values['cold-start']) process.env.NODE_DISABLE_COMPILE_CACHE = '1'
else process.env.NODE_COMPILE_CACHE = join(work, 'compile-cache')
try {
  await exec(node, [agoraBin(repo), 'pull', '--help'])
  process.stdout.write(
    `writing ${fileCount} × ${values['size-mib']} MiB of random bytes in ${work}\n`,
  )
  const { files, publicKey } = await buildBigHub(root, work, fileCount, size)

  const requests: string[] = []
  const hub = await serveHub({ root, onRequest: (r) => requests.push(r.path) })
  const urls = files.map((f) => `${hub.url}/${blobKey(f.sha256)}`)
  const results: {
    pull: number
    curl: number
    curlCpu: number
    pullCpu: number
    floor: number
    fetch: number
    rss: number
    warm: number
    base: number | undefined
    before: number
    load: [number, number]
  }[] = []
  for (let run = 1; run <= runs; run++) {
    const dir = join(work, `run-${run}`)
    mkdirSync(dir)
    await waitForIdle(idleWaitMs)
    const loadBefore = loadavg()[0] ?? 0
    let curlSeconds = 0
    let curlCpu = 0
    // Each measurement starts with no dirty pages to write back (`sync`,
    // not timed) and with the files of the one before deleted, and the order
    // alternates, so neither pays for the other's writes. With a GiB of the
    // one before left in place, the next writer's system time here ranged
    // from 0.7 to 3.5 s; with it deleted, from 0.7 to 0.95 s.
    const measureFloor = async () => {
      await exec('sync', [])
      const started = process.hrtime.bigint()
      const curl = await timed(
        'curl',
        [
          '-sS',
          '--fail',
          '--parallel',
          '--parallel-max',
          '4',
          ...urls.flatMap((u, i) => ['-o', join(dir, `curl-${i}`), u]),
        ],
        dir,
      )
      curlSeconds = curl.seconds
      curlCpu = curl.cpu
      const sums = await exec(
        'sha256sum',
        files.map((_, i) => join(dir, `curl-${i}`)),
      )
      if (sums.status !== 0) throw new Error('sha256sum failed')
      for (const [i, f] of files.entries())
        if (!sums.stdout.includes(f.sha256)) throw new Error(`curl file ${i} has the wrong hash`)
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      for (const [i] of files.entries()) rmSync(join(dir, `curl-${i}`))
      return seconds
    }
    // The runtime's own floor: Node's fetch of the same files, bytes thrown
    // away (no hash, no disk), so what the pull adds on top shows apart from
    // what Node's HTTP stack costs against curl.
    const measureNodeFetch = async () => {
      const started = process.hrtime.bigint()
      const fetched = await exec(node, [
        '--input-type=module',
        '-e',
        'await Promise.all(process.argv.slice(1).map(async (u) => { const r = await fetch(u); for await (const _ of r.body); }))',
        ...urls,
      ])
      if (fetched.status !== 0) throw new Error(`node fetch failed: ${fetched.stderr}`)
      return Number(process.hrtime.bigint() - started) / 1e9
    }
    const pullArgs = (checkout: string, cache: string) => [
      agoraBin(checkout),
      'pull',
      'bench/big',
      '--index',
      hub.url,
      '--key',
      publicKey,
      '--cache',
      join(dir, cache),
      '--lock',
      join(dir, `${cache}.lock`),
      '--json',
    ]
    const args = pullArgs(repo, 'cache')
    // The cold pull, then the warm one on its cache, which then goes too.
    const measurePull = async () => {
      await exec('sync', [])
      requests.length = 0
      const cold = await timed(node, args, dir)
      const before = requests.findIndex((p) => p.startsWith('/blobs/'))
      const report = JSON.parse(cold.stdout) as { downloaded_bytes: number }
      if (report.downloaded_bytes !== size * fileCount)
        throw new Error('the pull did not download everything')
      await exec('sync', [])
      const warm = await timed(node, args, dir)
      rmSync(join(dir, 'cache'), { recursive: true, force: true })
      return { ...cold, before, warm: warm.seconds }
    }
    const measureBaseline = async () => {
      if (!baseline) return undefined
      await exec('sync', [])
      const { seconds } = await timed(node, pullArgs(baseline, 'baseline-cache'), dir)
      rmSync(join(dir, 'baseline-cache'), { recursive: true, force: true })
      return seconds
    }
    let floor: number
    let cold: Awaited<ReturnType<typeof measurePull>>
    let base: number | undefined
    if (run % 2 === 1) {
      floor = await measureFloor()
      cold = await measurePull()
      base = await measureBaseline()
    } else {
      base = await measureBaseline()
      cold = await measurePull()
      floor = await measureFloor()
    }
    const nodeFetch = await measureNodeFetch()
    results.push({
      pull: cold.seconds,
      curl: curlSeconds,
      curlCpu,
      pullCpu: cold.cpu,
      floor,
      fetch: nodeFetch,
      rss: cold.rssMiB,
      warm: cold.warm,
      base,
      before: cold.before,
      load: [loadBefore, loadavg()[0] ?? 0],
    })
    rmSync(dir, { recursive: true, force: true })
  }
  await hub.close()

  const gib = (size * fileCount) / 1024 ** 3
  process.stdout.write(
    `\nagora pull of ${gib.toFixed(2)} GiB (${fileCount} files) from ${hub.url}, cold cache\n`,
  )
  process.stdout.write(
    'run  load 1m before/after  pull s  curl s  curl+sha256sum s  node fetch s  pull/curl  pull/(curl+sha)  pull/(node fetch)  pull CPU s  curl CPU s  peak RSS MiB  requests before blobs  warm pull s\n',
  )
  for (const [i, r] of results.entries()) {
    process.stdout.write(
      `${String(i + 1).padStart(3)}  ${`${r.load[0].toFixed(2)} / ${r.load[1].toFixed(2)}`.padStart(20)}  ${r.pull.toFixed(2).padStart(6)}  ${r.curl.toFixed(2).padStart(6)}  ${r.floor.toFixed(2).padStart(16)}  ${r.fetch.toFixed(2).padStart(12)}  ${(r.pull / r.curl).toFixed(2).padStart(9)}  ${(r.pull / r.floor).toFixed(2).padStart(15)}  ${(r.pull / r.fetch).toFixed(2).padStart(17)}  ${r.pullCpu.toFixed(2).padStart(10)}  ${r.curlCpu.toFixed(2).padStart(10)}  ${r.rss.toFixed(0).padStart(12)}  ${String(r.before).padStart(21)}  ${r.warm.toFixed(2).padStart(11)}\n`,
    )
  }
  if (baseline) {
    process.stdout.write(
      `\npull of ${baseline} in the same runs (A/B)\nrun  this pull s  baseline pull s  this / baseline\n`,
    )
    for (const [i, r] of results.entries())
      process.stdout.write(
        `${String(i + 1).padStart(3)}  ${r.pull.toFixed(2).padStart(11)}  ${(r.base ?? 0).toFixed(2).padStart(15)}  ${(r.pull / (r.base ?? 1)).toFixed(2).padStart(15)}\n`,
      )
  }
  const median = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b)
    const mid = Math.floor(sorted.length / 2)
    return sorted.length % 2
      ? (sorted[mid] ?? 0)
      : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
  }
  process.stdout.write(
    `median pull/curl ${median(results.map((r) => r.pull / r.curl)).toFixed(2)} (goal ≤ 1.25); median pull/(curl+sha256sum) ${median(results.map((r) => r.pull / r.floor)).toFixed(2)} (goal ≤ 1.0); median pull/(node fetch) ${median(results.map((r) => r.pull / r.fetch)).toFixed(2)}; max peak RSS ${Math.max(...results.map((r) => r.rss)).toFixed(0)} MiB (goal ≤ 200); requests before blobs ${Math.max(...results.map((r) => r.before))} (goal ≤ 2)\n` +
      'a goal counts only when the load before each run was under 1 (the run itself adds about 1)\n',
  )
} finally {
  rmSync(work, { recursive: true, force: true })
}
