/**
 * Full registry validation at scale. Generates a registry of N items (100k
 * by default; cached between runs under the OS temp folder), then measures
 * in one run:
 *   (a) floor: list, read and parse every manifest and README front matter
 *       with the loader's own parser and the same I/O concurrency (and, for
 *       reference, the same with the `yaml` package's parse);
 *   (b) validateRegistry: load, schema, normalise, document and cross-item rules;
 *   (c) ajv-cli validating the same files against the same schemas.
 * Goal: (a) ≤ (b) ≤ 1.5 × (a), and (b) faster than (c).
 *
 *   ./node_modules/.bin/node scripts/bench/validate.ts [--items 100000] [--runs 3] [--seed 1] [--fresh] [--reference]
 *
 * --reference also times read + `yaml.parse` of every file (slow; for the docs).
 */
import { spawnSync } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { parse } from 'yaml'
import { hasErrors } from '#core/errors'
import { NOT_SIMPLE, parseSimpleYaml } from '#core/manifest'
import { mapLimit, validateRegistry } from '#core/registry'
import { generateRegistry } from './gen-registry.ts'

const here = dirname(fileURLToPath(import.meta.url))
const projectRoot = join(here, '..', '..')
/** Bump when gen-registry changes what it writes, so cached trees are rebuilt. */
const GENERATOR_VERSION = 1

const { values } = parseArgs({
  options: {
    items: { type: 'string' },
    runs: { type: 'string' },
    seed: { type: 'string' },
    fresh: { type: 'boolean' },
    reference: { type: 'boolean' },
  },
})
const items = Number(values.items ?? 100_000)
const runs = Number(values.runs ?? 3)
const seed = Number(values.seed ?? 1)

const repo = join(tmpdir(), 'agora-bench', `registry-${items}-s${seed}-g${GENERATOR_VERSION}`)
const marker = join(repo, '.complete')
if (values.fresh || !existsSync(marker)) {
  const started = performance.now()
  const result = await generateRegistry({ items, out: repo, seed })
  await writeFile(marker, JSON.stringify(result))
  console.log(
    `generated ${result.items} items, ${result.files} files in ${((performance.now() - started) / 1000).toFixed(1)} s -> ${repo}`,
  )
} else {
  console.log(`using cached registry ${repo}`)
}

/**
 * Lists, reads and parses every file the validator reads, nothing else:
 * manifests and README front matter. `parser` is the loader's own parser
 * (its fast path, falling back to the full YAML library), which makes (a) the
 * floor, or the `yaml` package alone, shown for reference.
 */
async function readAndParse(parser: 'loader' | 'yaml'): Promise<number> {
  const root = join(repo, 'registry')
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  const files = entries
    .filter((e) => e.isFile() && (e.name.endsWith('.yaml') || e.name === 'README.md'))
    .map((e) => join(e.parentPath, e.name))
  const parseText = (text: string) => {
    if (parser === 'yaml') return parse(text)
    const simple = parseSimpleYaml(text)
    return simple === NOT_SIMPLE ? parse(text) : simple
  }
  let documents = 0
  await mapLimit(files, 64, async (file) => {
    const text = await readFile(file, 'utf8')
    if (file.endsWith('.md')) {
      const end = text.indexOf('\n---', 3)
      if (text.startsWith('---') && end !== -1) parseText(text.slice(4, end))
    } else {
      parseText(text)
    }
    documents++
  })
  return documents
}

/** (b) Ours. */
async function ours(): Promise<number> {
  const { registry, issues } = await validateRegistry(repo)
  if (hasErrors(issues)) {
    throw new Error(
      `generated registry does not validate clean: ${JSON.stringify(issues.slice(0, 3))}`,
    )
  }
  return registry.items.size
}

/** (c) ajv-cli, one process per document type, as a CI job would run it. */
function ajvCli(): number {
  const ajv = join(projectRoot, 'node_modules', '.bin', 'ajv')
  const schemas = join(projectRoot, 'registry', 'schemas')
  const jobs: [string, string][] = [
    ['hub', 'registry/agora.yaml'],
    ['owner', 'registry/owners/*.yaml'],
    ['item', 'registry/*/*/*/*/item.yaml'],
    ['version', 'registry/*/*/*/*/versions/*.yaml'],
    ['result', 'registry/*/*/*/*/results/*/*.yaml'],
  ]
  let validated = 0
  for (const [schema, glob] of jobs) {
    // Output goes to a file: ajv-cli exits before a pipe is drained, a file is written synchronously.
    const out = openSync(join(repo, '.ajv-out.txt'), 'w')
    const run = spawnSync(
      ajv,
      [
        'validate',
        '--spec=draft2020',
        '-c',
        'ajv-formats',
        '-s',
        join(schemas, `${schema}.schema.json`),
        '-d',
        glob,
      ],
      { cwd: repo, stdio: ['ignore', out, out] },
    )
    closeSync(out)
    const output = readFileSync(join(repo, '.ajv-out.txt'), 'utf8')
    if (run.status !== 0) throw new Error(`ajv-cli failed on ${schema}: ${output.slice(0, 2000)}`)
    validated += output.split('\n').filter((l) => l.endsWith(' valid')).length
  }
  return validated
}

async function time(
  fn: () => number | Promise<number>,
): Promise<{ seconds: number; count: number }> {
  const started = performance.now()
  const count = await fn()
  return { seconds: (performance.now() - started) / 1000, count }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const results = {
  floor: [] as number[],
  yaml: [] as number[],
  ours: [] as number[],
  ajv: [] as number[],
}
let counts = { floor: 0, ours: 0, ajv: 0 }
for (let i = 0; i < runs; i++) {
  // Interleaved, so load from elsewhere on the machine hits all alike.
  const a = await time(() => readAndParse('loader'))
  const y = values.reference
    ? await time(() => readAndParse('yaml'))
    : { seconds: Number.NaN, count: 0 }
  const b = await time(ours)
  const c = await time(ajvCli)
  results.floor.push(a.seconds)
  results.yaml.push(y.seconds)
  results.ours.push(b.seconds)
  results.ajv.push(c.seconds)
  counts = { floor: a.count, ours: b.count, ajv: c.count }
  console.log(
    `run ${i + 1}: floor ${a.seconds.toFixed(2)} s, yaml.parse ${y.seconds.toFixed(2)} s, validateRegistry ${b.seconds.toFixed(2)} s, ajv-cli ${c.seconds.toFixed(2)} s`,
  )
}
const fa = median(results.floor)
const fy = median(results.yaml)
const fb = median(results.ours)
const fc = median(results.ajv)
// Per-run ratios: load from elsewhere on a shared machine moves all figures of one run together.
const ratioAB = median(results.ours.map((b, i) => b / (results.floor[i] as number)))
const ratioBC = median(results.ours.map((b, i) => b / (results.ajv[i] as number)))
console.log(
  `\nregistry of ${counts.ours} items (${counts.floor} documents read; ajv-cli validated ${counts.ajv}), ${cpus().length} CPUs, median of ${runs}`,
)
console.log(`(a) floor: read + parse       ${fa.toFixed(2)} s`)
if (values.reference) {
  console.log(
    `    read + yaml.parse (ref.)   ${fy.toFixed(2)} s   (a)/ref = ${(fa / fy).toFixed(2)}`,
  )
}
console.log(
  `(b) validateRegistry          ${fb.toFixed(2)} s   (b)/(a) = ${(fb / fa).toFixed(2)}, per run ${ratioAB.toFixed(2)}  (goal <= 1.5)`,
)
console.log(
  `(c) ajv-cli, schemas only     ${fc.toFixed(2)} s   (b)/(c) = ${(fb / fc).toFixed(2)}, per run ${ratioBC.toFixed(2)}  (goal < 1)`,
)
