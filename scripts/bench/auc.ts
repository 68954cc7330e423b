/**
 * Times `rocAuc` on 1,000,000 predictions (binary labels, 30% positive,
 * scores rounded to 4 decimals so ties occur) against the plain sort-based
 * implementation in the same run: sort row indices by score with a
 * comparator, give tied scores their average rank, and take the Mann–Whitney
 * U of the positives' rank sum. Both must agree exactly. Goal: rocAuc at most
 * 1.5× the plain one. The 1-minute load average is printed before and after,
 * since the reference machine is shared.
 *
 *   ./node_modules/.bin/node scripts/bench/auc.ts [--rows 1000000] [--runs 5]
 */
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { rocAuc } from '#core/qa'

const { values } = parseArgs({ options: { rows: { type: 'string' }, runs: { type: 'string' } } })
const rows = Number(values.rows ?? 1_000_000)
const runs = Number(values.runs ?? 5)

/** The textbook implementation: one comparator sort, average ranks, rank-sum U. */
function plainAuc(labels: Uint8Array, scores: Float64Array): number {
  const order = Array.from({ length: scores.length }, (_, i) => i)
  order.sort((a, b) => (scores[a] as number) - (scores[b] as number))
  let pos = 0
  let rankSum = 0
  for (let i = 0; i < order.length; ) {
    let k = i
    const v = scores[order[i] as number]
    while (k < order.length && scores[order[k] as number] === v) k++
    const rank = (i + 1 + k) / 2
    for (let j = i; j < k; j++) {
      if (labels[order[j] as number] === 1) {
        pos++
        rankSum += rank
      }
    }
    i = k
  }
  const neg = scores.length - pos
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg)
}

// A seeded xorshift, so every run times the same data.
let state = 0x9e3779b9
function random(): number {
  state ^= state << 13
  state ^= state >>> 17
  state ^= state << 5
  return (state >>> 0) / 2 ** 32
}
const labels = new Uint8Array(rows)
const scores = new Float64Array(rows)
for (let i = 0; i < rows; i++) {
  labels[i] = random() < 0.3 ? 1 : 0
  scores[i] = Math.round((random() * 0.7 + (labels[i] as number) * 0.3) * 1e4) / 1e4
}

function time(f: () => number): { ms: number; value: number } {
  const start = process.hrtime.bigint()
  const value = f()
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const loadBefore = loadavg()[0] ?? 0
console.log(
  `ROC AUC on ${rows.toLocaleString('en')} rows, ${runs} runs; load average before: ${loadBefore.toFixed(2)}`,
)
// One warm-up each, so the JIT has compiled both before timing.
time(() => rocAuc(labels, scores))
time(() => plainAuc(labels, scores))
const ours: number[] = []
const plain: number[] = []
const ratios: number[] = []
for (let r = 0; r < runs; r++) {
  const a = time(() => rocAuc(labels, scores))
  const b = time(() => plainAuc(labels, scores))
  if (Math.abs(a.value - b.value) > 1e-12)
    throw new Error(`the two disagree: ${a.value} vs ${b.value}`)
  ours.push(a.ms)
  plain.push(b.ms)
  ratios.push(a.ms / b.ms)
}
const loadAfter = loadavg()[0] ?? 0
const ratio = median(ratios)
console.log(`rocAuc (two typed-array sorts + merge): ${median(ours).toFixed(0)} ms median`)
console.log(`plain (comparator sort + average ranks): ${median(plain).toFixed(0)} ms median`)
console.log(
  `ratio rocAuc/plain, median of per-run ratios: ${ratio.toFixed(2)} (goal ≤ 1.5 ${ratio <= 1.5 ? '✔' : '✘'})`,
)
console.log(
  `load average after: ${loadAfter.toFixed(2)}${Math.max(loadBefore, loadAfter) >= 1 ? ' (loaded machine)' : ''}`,
)
process.exitCode = ratio <= 1.5 ? 0 : 1
