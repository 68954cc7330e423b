/**
 * How fast hostile manifests are refused: the alias bomb fixture (goal: under
 * 100 ms) and a 50 MB manifest, each beside parsing a plain manifest of the
 * sample hub (the floor: what any valid file costs).
 *
 *   ./node_modules/.bin/node scripts/bench/hostile-yaml.ts [--runs N]
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { validateDocument } from '#core/schema'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const { values } = parseArgs({ options: { runs: { type: 'string', default: '21' } } })
const runs = Number(values.runs)

const bomb = readFileSync(join(root, 'core/manifest/__fixtures__/invalid/yaml/alias.yaml'))
const plain = readFileSync(join(root, 'registry/models/op/openchem-lab/dockscore-gnn/item.yaml'))
const huge = Buffer.alloc(50 * 1024 * 1024, 'a: b\n')

function median(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

function time(source: Uint8Array, expectCode: string | undefined): number {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    const { issues } = validateDocument('item', source, 'bench.yaml')
    times.push(performance.now() - start)
    const codes = issues.map((issue) => issue.code)
    if (expectCode && !codes.includes(expectCode))
      throw new Error(`expected ${expectCode}, got ${codes}`)
  }
  return median(times)
}

// The first call compiles the schemas; leave it out of every figure.
validateDocument('item', plain, 'warm-up.yaml')
const floor = time(plain, undefined)
const rows: [string, number][] = [
  ['alias bomb (9 levels of 9 aliases) refused', time(bomb, 'yaml/alias')],
  ['50 MB manifest refused', time(huge, 'yaml/too-large')],
]
console.log(
  `floor: validate a plain item.yaml of the sample hub: ${floor.toFixed(2)} ms (median of ${runs})`,
)
for (const [label, ms] of rows) {
  console.log(`${label}: ${ms.toFixed(2)} ms, ${(ms / floor).toFixed(2)}× the floor`)
}
