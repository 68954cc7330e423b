/**
 * `npm run bench [name…]`: runs the benchmark scripts beside this file one
 * after another, each in its own process so one's memory does not skew the
 * next. Each script prints its figures beside their floor, as ratios.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
/** Helpers that are not benchmarks themselves. */
const NOT_BENCHMARKS = new Set(['run.ts', 'gen-registry.ts', 'big-hub.ts', 'process.ts'])

const all = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !NOT_BENCHMARKS.has(f))
  .map((f) => f.slice(0, -3))
  .sort()
const wanted = process.argv.slice(2)
const unknown = wanted.filter((w) => !all.includes(w))
if (unknown.length > 0) {
  console.error(`unknown benchmark: ${unknown.join(', ')}\n  hint: choose from ${all.join(', ')}`)
  process.exit(2)
}

let failed = 0
for (const name of wanted.length > 0 ? wanted : all) {
  console.log(`\n=== ${name} ===`)
  const result = spawnSync(process.execPath, [join(here, `${name}.ts`)], { stdio: 'inherit' })
  if (result.status !== 0) failed++
}
process.exit(failed === 0 ? 0 : 1)
