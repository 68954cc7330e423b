import type { BenchmarkItem, GradeCutsConfig, MetricDefinition, QaSettings } from '#core/manifest'

/** A quality grade: A best, F failed. */
export type Grade = 'A' | 'B' | 'C' | 'F'

/** Grade order, best first. */
export const GRADES: readonly Grade[] = ['A', 'B', 'C', 'F']

/** Lowest score (in the metric's direction) that earns each passing grade. */
export type GradeCuts = GradeCutsConfig

/** The `qa` block of registry/agora.yaml. */
export type QaConfig = QaSettings

/** Defaults of the `qa` block when agora.yaml leaves a field out. */
export const QA_DEFAULTS = {
  /** Relative standard deviation over repeated runs, percent. */
  rsdPercent: 5,
  runs: 3,
  /** A LoRA may be this many times slower than its base model. */
  loraLatencyFactor: 2,
} as const

/** How one metric was graded: against fixed cuts or against the benchmark's best baseline. */
export interface MetricGrade {
  metric: string
  score: number
  grade: Grade
  rule: 'thresholds' | 'baseline'
  /** For `baseline`: the baseline score compared with and the ratio (better is larger). */
  baseline?: number
  ratio?: number
}

export interface ResultGrade {
  /** The worst grade over the graded metrics; undefined when no rule applies. */
  grade?: Grade
  metrics: MetricGrade[]
}

function meets(value: number, cut: number, higherIsBetter: boolean): boolean {
  return higherIsBetter ? value >= cut : value <= cut
}

function cutGrade(value: number, cuts: GradeCuts, higherIsBetter: boolean): Grade {
  if (meets(value, cuts.A, higherIsBetter)) return 'A'
  if (meets(value, cuts.B, higherIsBetter)) return 'B'
  if (meets(value, cuts.C, higherIsBetter)) return 'C'
  return 'F'
}

/** The best positive baseline score of a metric, in the metric's direction. */
function bestBaseline(benchmark: Pick<BenchmarkItem, 'baselines'>, metric: MetricDefinition) {
  let best: number | undefined
  for (const b of benchmark.baselines ?? []) {
    const v = b.scores[metric.name]
    if (v === undefined || !(v > 0)) continue
    if (best === undefined || meets(v, best, metric.higher_is_better)) best = v
  }
  return best
}

/**
 * Grades one result's scores on a benchmark. A metric with cuts under
 * `qa.grades.benchmarks["<ns>/<name>"]` is graded against them (higher or
 * lower is better as the benchmark says); otherwise, when `qa.grades.default`
 * sets `baseline_ratio`, against the benchmark's best positive baseline:
 * the ratio score/baseline (baseline/score when lower is better) must reach
 * each cut. The result's grade is its worst metric grade, so an A means
 * every graded metric earned one.
 *
 * @example
 * gradeResult({ ef1: 24 }, bench, 'moleval/docking-enrichment', {
 *   identity: 'qa', grades: { benchmarks: { 'moleval/docking-enrichment': { ef1: { A: 20, B: 10, C: 5 } } } },
 * }).grade // 'A'
 */
export function gradeResult(
  scores: Readonly<Record<string, number>>,
  benchmark: Pick<BenchmarkItem, 'metrics' | 'baselines'>,
  benchmarkId: string,
  qa: QaConfig | undefined,
): ResultGrade {
  const perBenchmark = qa?.grades?.benchmarks?.[benchmarkId]
  const ratioCuts = qa?.grades?.default?.baseline_ratio
  const metrics: MetricGrade[] = []
  for (const metric of benchmark.metrics) {
    const score = scores[metric.name]
    if (score === undefined || !Number.isFinite(score)) continue
    const cuts = perBenchmark?.[metric.name]
    if (cuts) {
      metrics.push({
        metric: metric.name,
        score,
        grade: cutGrade(score, cuts, metric.higher_is_better),
        rule: 'thresholds',
      })
      continue
    }
    if (!ratioCuts) continue
    const baseline = bestBaseline(benchmark, metric)
    if (baseline === undefined) continue
    const ratio = metric.higher_is_better
      ? score / baseline
      : score > 0
        ? baseline / score
        : Number.POSITIVE_INFINITY
    metrics.push({
      metric: metric.name,
      score,
      grade: cutGrade(ratio, ratioCuts, true),
      rule: 'baseline',
      baseline,
      ratio,
    })
  }
  const worst = worstGrade(metrics.map((m) => m.grade))
  return worst === undefined ? { metrics } : { grade: worst, metrics }
}

/**
 * The worst of some grades (F beats C beats B beats A), undefined for none.
 *
 * @example worstGrade(['A', 'C', 'B']) // 'C'
 */
export function worstGrade(grades: readonly Grade[]): Grade | undefined {
  let worst: Grade | undefined
  for (const g of grades) if (worst === undefined || compareGrades(g, worst) > 0) worst = g
  return worst
}

/**
 * Sort order of grades: negative when `a` is better than `b`.
 *
 * @example ['C', 'A'].sort(compareGrades) // ['A', 'C']
 */
export function compareGrades(a: Grade, b: Grade): number {
  return GRADES.indexOf(a) - GRADES.indexOf(b)
}
