import { qaError } from './errors.ts'
import { QA_DEFAULTS } from './grade.ts'

export interface Stability {
  runs: number
  mean: number
  /** Sample standard deviation over |mean|, in percent; 0 when every run agrees. */
  rsd_percent: number
  limit_percent: number
  stable: boolean
}

/**
 * Relative standard deviation of repeated runs, in percent: the sample
 * standard deviation (n − 1) over the absolute mean. Equal runs give 0 (a
 * mean of 0 too); runs that differ around a mean of 0 give Infinity.
 *
 * @example relativeStdDev([0.8, 0.8, 0.8]) // 0
 */
export function relativeStdDev(values: readonly number[]): number {
  if (values.length < 2)
    throw qaError('qa/bad-argument', `stability needs at least 2 runs, got ${values.length}`)
  for (const [i, v] of values.entries())
    if (!Number.isFinite(v)) throw qaError('qa/not-finite', `stability: run ${i + 1} is ${v}`)
  const mean = values.reduce((s, v) => s + v, 0) / values.length
  const ss = values.reduce((s, v) => s + (v - mean) ** 2, 0)
  if (ss === 0) return 0
  const sd = Math.sqrt(ss / (values.length - 1))
  return mean === 0 ? Number.POSITIVE_INFINITY : (100 * sd) / Math.abs(mean)
}

/**
 * Whether repeated runs of one metric agree: RSD strictly below the limit
 * (`qa.stability.rsd_percent` in agora.yaml, 5 by default).
 *
 * @example checkStability([0.81, 0.8, 0.79]).stable // true (RSD 1.25%)
 */
export function checkStability(
  values: readonly number[],
  limitPercent: number = QA_DEFAULTS.rsdPercent,
): Stability {
  const rsd = relativeStdDev(values)
  return {
    runs: values.length,
    mean: values.reduce((s, v) => s + v, 0) / values.length,
    rsd_percent: rsd,
    limit_percent: limitPercent,
    stable: rsd < limitPercent,
  }
}

export interface LatencyCheck {
  ratio: number
  limit: number
  ok: boolean
}

/**
 * A LoRA's latency against its base model's: at most `factor` times slower
 * (`qa.lora_latency_factor`, 2 by default).
 *
 * @example checkLoraLatency(30, 20).ok // true (1.5× ≤ 2×)
 */
export function checkLoraLatency(
  loraMs: number,
  baseMs: number,
  factor: number = QA_DEFAULTS.loraLatencyFactor,
): LatencyCheck {
  if (!(baseMs > 0) || !(loraMs >= 0))
    throw qaError('qa/bad-argument', `latency must be positive, got ${loraMs} ms and ${baseMs} ms`)
  const ratio = loraMs / baseMs
  return { ratio, limit: factor, ok: ratio <= factor }
}
