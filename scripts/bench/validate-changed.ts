/**
 * Times `agora validate --changed base..head --author …` as a whole process
 * on registries of 1k and 100k items, each committed into a Git repository
 * (packed, as a CI checkout is) with a pull-request commit touching 5 items.
 * The goal: at most 2 s at 100k items and within 1.5× of the 1k figure, since
 * the work should follow the size of the change, not of the registry.
 * Beside it, in the same run, the floors: a bare Node start and
 * `git diff --name-status` (git's own C implementation of the same diff).
 *
 *   ./node_modules/.bin/node scripts/bench/validate-changed.ts [--sizes 1000,100000] [--runs 5] [--keep]
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const here = dirname(fileURLToPath(import.meta.url))
const projectRoot = join(here, '..', '..')
const node = process.execPath
const agora = join(projectRoot, 'scripts', 'agora.ts')
const AUTHOR = 'release-bot'
const ITEMS_PER_NAMESPACE = 10
const TOUCHED = 5

const { values } = parseArgs({
  options: { sizes: { type: 'string' }, runs: { type: 'string' }, keep: { type: 'boolean' } },
})
const sizes = (values.sizes ?? '1000,100000').split(',').map(Number)
const runs = Number(values.runs ?? 5)

const letters = 'abcdefghijklmnopqrstuvwxyz'
/** Namespaces spread over all 676 two-letter shards, as real names are. */
function namespaceOf(index: number): string {
  const n = Math.floor(index / ITEMS_PER_NAMESPACE)
  return `${letters[n % 26]}${letters[Math.floor(n / 26) % 26]}-org${n}`
}
const itemName = (index: number) => `model-${index}`
const itemPath = (index: number) => {
  const ns = namespaceOf(index)
  return `registry/models/${ns.slice(0, 2)}/${ns}/${itemName(index)}`
}
const hex = (seed: number) => seed.toString(16).padStart(8, '0').repeat(8)

const HUB = `name: Bench Hub
description: Generated for the validate --changed benchmark.
base_url: https://bench.example.org
kinds: [model, dataset]
domains: []
licenses:
  allowed: [MIT, Apache-2.0]
  allow_other: false
storage:
  type: fs
  path: .agora/blobs
payments:
  provider: none
  currency: USD
  platform_fee_percent: 0
keys: []
`

const itemYaml = (index: number, latest: string) => `kind: model
id: ${namespaceOf(index)}/${itemName(index)}
title: Model ${index}
summary: Generated model number ${index}.
owners: [${namespaceOf(index)}]
license: MIT
tags: [bench]
dist-tags:
  latest: ${latest}
`
const versionYaml = (version: string, seed: number) => `version: ${version}
files:
  - path: model.safetensors
    size: ${1000 + seed}
    sha256: "${hex(seed)}"
`

/** Writes files with bounded concurrency so 300k small writes do not exhaust descriptors. */
async function writeAll(root: string, files: [string, string][]): Promise<void> {
  const dirs = new Set(files.map(([p]) => dirname(join(root, p))))
  for (const dir of dirs) await mkdir(dir, { recursive: true })
  let next = 0
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < files.length) {
        const [path, content] = files[next++] as [string, string]
        await writeFile(join(root, path), content)
      }
    }),
  )
}

/** The registry's files, by repository path. */
function generate(count: number): [string, string][] {
  const files: [string, string][] = [['registry/agora.yaml', HUB]]
  for (let n = 0; n * ITEMS_PER_NAMESPACE < count; n++) {
    const ns = namespaceOf(n * ITEMS_PER_NAMESPACE)
    files.push([
      `registry/owners/${ns}.yaml`,
      `type: org\nname: Org ${n}\nmembers: [user-${n}, ${AUTHOR}]\n`,
    ])
  }
  for (let i = 0; i < count; i++) {
    const dir = itemPath(i)
    files.push([`${dir}/item.yaml`, itemYaml(i, '1.0.0')])
    files.push([`${dir}/README.md`, `# Model ${i}\n\nGenerated.\n`])
    files.push([`${dir}/versions/1.0.0.yaml`, versionYaml('1.0.0', i)])
  }
  return files
}

/**
 * Commits files with `git fast-import`, which writes one pack straight away:
 * the shape of a CI checkout, minutes faster than `git add` plus a repack.
 */
function commitFiles(
  root: string,
  files: [string, string][],
  message: string,
  parent?: string,
): string {
  const chunks: Buffer[] = []
  const data = (text: string) => {
    const bytes = Buffer.from(text)
    chunks.push(Buffer.from(`data ${bytes.length}\n`), bytes, Buffer.from('\n'))
  }
  chunks.push(
    Buffer.from('commit refs/heads/main\ncommitter Bench <bench@example.org> 1767225600 +0000\n'),
  )
  data(message)
  if (parent) chunks.push(Buffer.from(`from ${parent}\n`))
  for (const [path, content] of files) {
    chunks.push(Buffer.from(`M 100644 inline ${path}\n`))
    data(content)
  }
  execFileSync('git', ['fast-import', '--quiet'], {
    cwd: root,
    input: Buffer.concat(chunks),
    env: gitEnv,
  })
  return git(root, 'rev-parse', 'refs/heads/main')
}

const gitEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  // No background `gc --auto` repacking while the benchmark measures.
  GIT_CONFIG_COUNT: '2',
  GIT_CONFIG_KEY_0: 'gc.auto',
  GIT_CONFIG_VALUE_0: '0',
  GIT_CONFIG_KEY_1: 'maintenance.auto',
  GIT_CONFIG_VALUE_1: 'false',
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: gitEnv,
  }).trim()
}

/** Median wall time of a command, in milliseconds, after one warm-up run. */
function time(command: string, args: string[], cwd: string, expectCode = 0): number {
  const samples: number[] = []
  for (let i = 0; i <= runs; i++) {
    const start = performance.now()
    const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 26 })
    const ms = performance.now() - start
    if (result.status !== expectCode) {
      throw new Error(
        `${command} ${args.join(' ')} exited ${result.status}\n${result.stdout}\n${result.stderr}`,
      )
    }
    if (i > 0) samples.push(ms)
  }
  samples.sort((a, b) => a - b)
  return samples[Math.floor(samples.length / 2)] as number
}

interface Row {
  items: number
  validateMs: number
  nodeMs: number
  gitDiffMs: number
  setupS: number
}

async function measure(count: number): Promise<Row> {
  const root = await mkdtemp(join(tmpdir(), `agora-bench-changed-${count}-`))
  try {
    const setupStart = performance.now()
    const files = generate(count)
    await writeAll(root, files)
    git(root, 'init', '--quiet', '--initial-branch=main')
    const base = commitFiles(root, files, 'registry')
    const edits: [string, string][] = []
    for (let k = 0; k < TOUCHED; k++) {
      const index = Math.floor(((k + 0.5) * count) / TOUCHED)
      edits.push([`${itemPath(index)}/versions/1.1.0.yaml`, versionYaml('1.1.0', index + count)])
      edits.push([`${itemPath(index)}/item.yaml`, itemYaml(index, '1.1.0')])
    }
    await writeAll(root, edits)
    const head = commitFiles(root, edits, 'bump 5 items', base)
    const setupS = (performance.now() - setupStart) / 1000

    const args = [agora, 'validate', '--changed', `${base}..${head}`, '--author', AUTHOR, '--json']
    const check = spawnSync(node, args, { cwd: root, encoding: 'utf8' })
    const report = JSON.parse(check.stdout) as {
      ok: boolean
      summary: { items: number }
      changes: { onlyAddsVersions: boolean }
    }
    if (
      check.status !== 0 ||
      !report.ok ||
      report.summary.items !== TOUCHED ||
      !report.changes.onlyAddsVersions
    ) {
      throw new Error(
        `unexpected validate result at ${count} items: ${check.stdout}${check.stderr}`,
      )
    }
    return {
      items: count,
      validateMs: time(node, args, root),
      nodeMs: time(node, ['-e', '0'], root),
      gitDiffMs: time('git', ['diff', '--name-status', base, head], root),
      setupS,
    }
  } finally {
    if (values.keep) console.log(`kept ${root}`)
    else await rm(root, { recursive: true, force: true })
  }
}

const rows: Row[] = []
for (const count of sizes) {
  const row = await measure(count)
  rows.push(row)
  console.log(
    `${String(count).padStart(7)} items: validate --changed ${row.validateMs.toFixed(0)} ms` +
      ` | node start ${row.nodeMs.toFixed(0)} ms | git diff ${row.gitDiffMs.toFixed(0)} ms` +
      ` | ${(row.validateMs / row.nodeMs).toFixed(1)}× node start (setup ${row.setupS.toFixed(0)} s)`,
  )
}
const first = rows[0]
const last = rows[rows.length - 1]
if (first && last && last !== first) {
  const ratio = last.validateMs / first.validateMs
  console.log(
    `${last.items} vs ${first.items} items: ${ratio.toFixed(2)}× (goal ≤ 1.5×); ` +
      `${(last.validateMs / 1000).toFixed(2)} s at ${last.items} (goal ≤ 2 s)`,
  )
}
