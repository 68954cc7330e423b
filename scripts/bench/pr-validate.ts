/**
 * Times the validate action (`actions/validate/main.ts`) as a whole process,
 * the way the Validate workflow runs it: a registry of N items committed to a
 * packed Git repository, a pull request that bumps 5 items with one new
 * safetensors file each, the blobs in the embedded fs store. The action runs
 * the change rules, the registry rules over the changed items, re-hashes
 * every new blob and scans it.
 *
 * Beside it, in the same run, the floor any such check pays: a bare Node
 * start, `git diff --name-status` (git's C diff of the same commits), and
 * `sha256sum` over the same blob bytes. The ratio is action / floor.
 *
 *   ./node_modules/.bin/node scripts/bench/pr-validate.ts [--items 10000] [--blob-mib 32] [--runs 5]
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createFsStore } from '#core/storage'

const here = dirname(fileURLToPath(import.meta.url))
const projectRoot = join(here, '..', '..')
const node = process.execPath
const action = join(projectRoot, 'actions', 'validate', 'main.ts')
const AUTHOR = 'release-bot'
const PER_NAMESPACE = 10
const TOUCHED = 5

const { values } = parseArgs({
  options: { items: { type: 'string' }, 'blob-mib': { type: 'string' }, runs: { type: 'string' } },
})
const count = Number(values.items ?? 10_000)
const blobMiB = Number(values['blob-mib'] ?? 32)
const runs = Number(values.runs ?? 5)

const letters = 'abcdefghijklmnopqrstuvwxyz'
const namespaceOf = (i: number) => {
  const n = Math.floor(i / PER_NAMESPACE)
  return `${letters[n % 26]}${letters[Math.floor(n / 26) % 26]}-org${n}`
}
const itemPath = (i: number) => {
  const ns = namespaceOf(i)
  return `registry/models/${ns.slice(0, 2)}/${ns}/model-${i}`
}
const hex = (seed: number) => seed.toString(16).padStart(8, '0').repeat(8)

const HUB = `name: Bench Hub
description: Generated for the pull-request validation benchmark.
base_url: https://bench.example.org
kinds: [model]
domains: []
licenses: { allowed: [MIT], allow_other: false }
storage: { type: fs, path: .agora/blobs }
payments: { provider: none, currency: USD, platform_fee_percent: 0 }
keys: []
`
const itemYaml = (i: number, latest: string) =>
  `kind: model\nid: ${namespaceOf(i)}/model-${i}\ntitle: Model ${i}\nsummary: Generated model ${i}.\nowners: [${namespaceOf(i)}]\nlicense: MIT\ndist-tags: { latest: ${latest} }\n`
const versionYaml = (version: string, size: number, sha256: string) =>
  `version: ${version}\nchangelog: Generated.\nfiles:\n  - { path: model.safetensors, size: ${size}, sha256: "${sha256}" }\n`

/** A valid safetensors file of about `mib` MiB: one F32 tensor, distinct bytes per seed. */
function safetensors(mib: number, seed: number): Buffer {
  const floats = Math.floor((mib * 1024 * 1024) / 4)
  let header = JSON.stringify({
    w: { dtype: 'F32', shape: [floats], data_offsets: [0, floats * 4] },
  })
  header += ' '.repeat((8 - (header.length % 8)) % 8)
  const out = Buffer.alloc(8 + header.length + floats * 4)
  out.writeBigUInt64LE(BigInt(header.length), 0)
  out.write(header, 8, 'utf8')
  out.writeUInt32LE(seed, 8 + header.length)
  return out
}

async function writeAll(root: string, files: [string, string | Buffer][]): Promise<void> {
  for (const dir of new Set(files.map(([p]) => dirname(join(root, p)))))
    await mkdir(dir, { recursive: true })
  let next = 0
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < files.length) {
        const [path, content] = files[next++] as [string, string | Buffer]
        await writeFile(join(root, path), content)
      }
    }),
  )
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'Bench',
      GIT_AUTHOR_EMAIL: 'bench@example.org',
      GIT_COMMITTER_NAME: 'Bench',
      GIT_COMMITTER_EMAIL: 'bench@example.org',
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'gc.auto',
      GIT_CONFIG_VALUE_0: '0',
    },
  }).trim()
}

/** Median wall time in milliseconds after one warm-up run. */
function time(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  expectCode = 0,
): number {
  const samples: number[] = []
  for (let i = 0; i <= runs; i++) {
    const start = performance.now()
    const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 })
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

const work = await mkdtemp(join(tmpdir(), 'agora-bench-pr-'))
try {
  const root = join(work, 'hub')
  const storeDir = join(work, 'store')
  const files: [string, string][] = [['registry/agora.yaml', HUB]]
  for (let n = 0; n * PER_NAMESPACE < count; n++) {
    files.push([
      `registry/owners/${namespaceOf(n * PER_NAMESPACE)}.yaml`,
      `type: org\nname: Org ${n}\nmembers: [${AUTHOR}]\n`,
    ])
  }
  for (let i = 0; i < count; i++) {
    files.push([`${itemPath(i)}/item.yaml`, itemYaml(i, '1.0.0')])
    files.push([`${itemPath(i)}/README.md`, `# Model ${i}\n`])
    files.push([`${itemPath(i)}/versions/1.0.0.yaml`, versionYaml('1.0.0', 1000 + i, hex(i))])
  }
  await writeAll(root, files)
  git(root, 'init', '--quiet', '--initial-branch=main')
  git(root, 'add', '--all')
  git(root, 'commit', '--quiet', '-m', 'registry')
  git(root, 'repack', '-a', '-d', '-q')
  const base = git(root, 'rev-parse', 'HEAD')

  const store = createFsStore({ dir: storeDir })
  const blobPaths: string[] = []
  const edits: [string, string][] = []
  for (let k = 0; k < TOUCHED; k++) {
    const index = Math.floor(((k + 0.5) * count) / TOUCHED)
    const bytes = safetensors(blobMiB, k + 1)
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    const path = join(work, `blob-${k}.safetensors`)
    await writeFile(path, bytes)
    blobPaths.push(path)
    await store.put(() => createReadStream(path), { sha256, size: bytes.length })
    edits.push([
      `${itemPath(index)}/versions/1.1.0.yaml`,
      versionYaml('1.1.0', bytes.length, sha256),
    ])
    edits.push([`${itemPath(index)}/item.yaml`, itemYaml(index, '1.1.0')])
  }
  await writeAll(root, edits)
  git(root, 'add', '--all')
  git(root, 'commit', '--quiet', '-m', 'bump 5 items')
  const head = git(root, 'rev-parse', 'HEAD')

  const reportPath = join(work, 'agora-report.json')
  const env = {
    ...process.env,
    INPUT_BASE: base,
    INPUT_HEAD: head,
    INPUT_AUTHOR: AUTHOR,
    INPUT_PR_NUMBER: '1',
    INPUT_ROOT: root,
    INPUT_REPORT_PATH: reportPath,
    AGORA_STORE_DIR: storeDir,
  }
  const check = spawnSync(node, [action], { cwd: projectRoot, env, encoding: 'utf8' })
  const report = JSON.parse(await readFile(reportPath, 'utf8')) as {
    ok: boolean
    labels: string[]
    blobs: { status: string }[]
    scans: { verdict: string }[]
  }
  if (
    check.status !== 0 ||
    !report.ok ||
    !report.labels.includes('auto-merge') ||
    report.blobs.filter((b) => b.status === 'ok').length !== TOUCHED ||
    report.scans.filter((s) => s.verdict === 'safe').length !== TOUCHED
  ) {
    throw new Error(
      `unexpected validation result:\n${check.stdout}${check.stderr}\n${JSON.stringify(report).slice(0, 2000)}`,
    )
  }

  const actionMs = time(node, [action], projectRoot, env)
  const nodeMs = time(node, ['-e', '0'], projectRoot, env)
  const gitDiffMs = time('git', ['diff', '--name-status', base, head], root, env)
  const hashMs = time('sha256sum', blobPaths, work, env)
  const floorMs = nodeMs + gitDiffMs + hashMs
  const mib = TOUCHED * blobMiB
  console.log(
    `registry: ${count} items; pull request: ${TOUCHED} version bumps, ${mib} MiB of new blobs; median of ${runs}`,
  )
  console.log(`validate action (rules, blob re-hash, scans)  ${actionMs.toFixed(0)} ms`)
  console.log(
    `floor: node start ${nodeMs.toFixed(0)} ms + git diff ${gitDiffMs.toFixed(0)} ms + sha256sum ${hashMs.toFixed(0)} ms = ${floorMs.toFixed(0)} ms`,
  )
  console.log(`ratio action / floor: ${(actionMs / floorMs).toFixed(2)}x`)
} finally {
  await rm(work, { recursive: true, force: true })
}
