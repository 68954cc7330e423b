/**
 * Times `agora validate --changed base..head --author …` as a whole process
 * on registries of 1k and 100k items (scripts/bench/gen-registry.ts), each
 * committed into a Git repository (packed, as a CI checkout is) with a
 * pull-request commit that adds a version to 5 models of 5 organisations.
 * The goal: at most 2 s at 100k items and within 1.5× of the 1k figure, since
 * the work should follow the size of the change, not of the registry.
 * Beside it, in the same run, the floors: a bare Node start and
 * `git diff --name-status` (git's own C implementation of the same diff).
 *
 *   ./node_modules/.bin/node scripts/bench/validate-changed.ts [--sizes 1000,100000] [--runs 5] [--keep]
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { generateRegistry } from './gen-registry.ts'

const here = dirname(fileURLToPath(import.meta.url))
const projectRoot = join(here, '..', '..')
const node = process.execPath
const agora = join(projectRoot, 'scripts', 'agora.ts')
const AUTHOR = 'release-bot'
const TOUCHED = 5

const { values } = parseArgs({
  options: { sizes: { type: 'string' }, runs: { type: 'string' }, keep: { type: 'boolean' } },
})
const sizes = (values.sizes ?? '1000,100000').split(',').map(Number)
const runs = Number(values.runs ?? 5)

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

/** Every file under `dir`, as repository paths with their text. */
async function readTree(root: string, dir: string): Promise<[string, string][]> {
  const entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true })
  const paths = entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort()
  const files: [string, string][] = []
  for (let i = 0; i < paths.length; i += 256) {
    const batch = paths.slice(i, i + 256)
    const texts = await Promise.all(batch.map((p) => readFile(join(root, p), 'utf8')))
    for (const [k, p] of batch.entries()) files.push([p, texts[k] as string])
  }
  return files
}

/**
 * Picks `count` models spread over the registry whose owner is an org, and
 * makes the bot a member of those orgs, as a hub's release bot would be.
 */
function chooseItems(files: Map<string, string>, count: number): string[] {
  const dirs = [...files.keys()]
    .filter((p) => /^registry\/models\/[^/]+\/[^/]+\/[^/]+\/item\.yaml$/.test(p))
    .map((p) => p.slice(0, -'/item.yaml'.length))
  const chosen: string[] = []
  for (let k = 0; chosen.length < count && k < dirs.length; k++) {
    const dir = dirs[(k * 7919) % dirs.length] as string
    const ns = dir.split('/')[3] as string
    const ownerFile = `registry/owners/${ns}.yaml`
    const owner = files.get(ownerFile) ?? ''
    if (!owner.startsWith('type: org') || chosen.some((c) => c.split('/')[3] === ns)) continue
    files.set(ownerFile, owner.replace('members: [', `members: [${AUTHOR}, `))
    chosen.push(dir)
  }
  if (chosen.length < count) throw new Error(`only ${chosen.length} org-owned models to change`)
  return chosen
}

/** A new version 9.0.0 copied from the item's latest, and item.yaml pointing latest at it. */
function bumpVersion(files: Map<string, string>, dir: string): [string, string][] {
  const item = files.get(`${dir}/item.yaml`) as string
  const latest = /latest: ([^\s,}]+)/.exec(item)?.[1]
  const version = latest && files.get(`${dir}/versions/${latest}.yaml`)
  if (!version) throw new Error(`${dir} has no latest version to copy`)
  return [
    [`${dir}/versions/9.0.0.yaml`, version.replace(`version: ${latest}`, 'version: 9.0.0')],
    [`${dir}/item.yaml`, item.replace(`latest: ${latest}`, 'latest: 9.0.0')],
  ]
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
    await generateRegistry({ items: count, out: root })
    const files = new Map(await readTree(root, 'registry'))
    const chosen = chooseItems(files, TOUCHED)
    await writeAll(
      root,
      [...files].filter(([p]) => p.startsWith('registry/owners/')),
    )
    git(root, 'init', '--quiet', '--initial-branch=main')
    const base = commitFiles(root, [...files], 'registry')
    const edits = chosen.flatMap((dir) => bumpVersion(files, dir))
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
