import { qaError } from './errors.ts'

/**
 * The q-th percentile (0–100) by linear interpolation between closest ranks,
 * numpy's default `percentile(method="linear")`: with the values sorted
 * x_0 ≤ … ≤ x_{n−1} and h = (n − 1)·q/100,
 *
 *   P_q = x_⌊h⌋ + (h − ⌊h⌋)(x_⌈h⌉ − x_⌊h⌋)
 *
 * @example
 * percentile([10, 20, 30, 40], 50) // 25
 */
export function percentile(values: ArrayLike<number>, q: number): number {
  return percentileOfSorted(sortedFinite(values), q)
}

function sortedFinite(values: ArrayLike<number>): Float64Array {
  if (values.length === 0) throw qaError('qa/empty', 'percentile: no values')
  const xs = Float64Array.from(values)
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i]))
      throw qaError('qa/not-finite', `percentile: value ${i} is ${xs[i]}`)
  }
  return xs.sort()
}

function percentileOfSorted(xs: Float64Array, q: number): number {
  if (!(q >= 0 && q <= 100))
    throw qaError('qa/bad-argument', `percentile: q must be in [0, 100], not ${q}`)
  const h = ((xs.length - 1) * q) / 100
  const lo = Math.floor(h)
  const hi = Math.ceil(h)
  const a = xs[lo] as number
  const b = xs[hi] as number
  const t = h - lo
  // numpy's _lerp: from the nearer end, so P_100 is exactly the maximum.
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t
}

/** Latency percentiles in the unit of the input (milliseconds by convention). */
export interface LatencySummary {
  p50: number
  p95: number
  p99: number
}

/**
 * p50, p95 and p99 of request latencies by {@link percentile}'s definition
 * (numpy's linear default).
 *
 * @example
 * latencyPercentiles([1, 2, 3, 4, 100]) // { p50: 3, p95: 80.8, p99: 96.16 }
 */
export function latencyPercentiles(latencies: ArrayLike<number>): LatencySummary {
  const xs = sortedFinite(latencies)
  return {
    p50: percentileOfSorted(xs, 50),
    p95: percentileOfSorted(xs, 95),
    p99: percentileOfSorted(xs, 99),
  }
}
