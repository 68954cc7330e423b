import type { MetricDefinition } from '#core/manifest'
import { QA_DEFAULTS } from './grade.ts'

/** One version's scores on a benchmark, in release order. */
export interface VersionScores {
  version: string
  scores: Readonly<Record<string, number>>
}

export interface Regression {
  metric: string
  version: string
  previous: string
  score: number
  previousScore: number
  /** How much worse, in percent of the previous score. */
  dropPercent: number
}

/**
 * Metrics on which a version scores worse than the version before it by
 * more than the stability band (`rsdPercent` of the previous score): what
 * repeat runs can explain is noise, beyond it is a regression.
 *
 * @example
 * findRegressions([{ version: '1.0.0', scores: { auc: 0.9 } }, { version: '1.1.0', scores: { auc: 0.8 } }],
 *   [{ name: 'auc', higher_is_better: true }]) // [{ metric: 'auc', version: '1.1.0', dropPercent: 11.1… }]
 */
export function findRegressions(
  history: readonly VersionScores[],
  metrics: readonly MetricDefinition[],
  rsdPercent: number = QA_DEFAULTS.rsdPercent,
): Regression[] {
  const out: Regression[] = []
  for (let i = 1; i < history.length; i++) {
    const prev = history[i - 1] as VersionScores
    const cur = history[i] as VersionScores
    for (const m of metrics) {
      const a = prev.scores[m.name]
      const b = cur.scores[m.name]
      if (a === undefined || b === undefined) continue
      const worse = m.higher_is_better ? a - b : b - a
      const band = (Math.abs(a) * rsdPercent) / 100
      if (worse > band)
        out.push({
          metric: m.name,
          version: cur.version,
          previous: prev.version,
          score: b,
          previousScore: a,
          dropPercent: a === 0 ? Number.POSITIVE_INFINITY : (100 * worse) / Math.abs(a),
        })
    }
  }
  return out
}
