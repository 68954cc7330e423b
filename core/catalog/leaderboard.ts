import type { BenchmarkItem, BenchmarkVersion, MetricDefinition } from '#core/manifest'
import { findRegressions, QA_DEFAULTS, type Regression } from '#core/qa'
import type { CatalogIndex, LeaderboardRow } from './catalog-index.ts'
import type { CatalogEntry } from './types.ts'

/** Metric functions whose predictions are ranked lists of reactant sets. */
const RANKED_FUNCTIONS: readonly string[] = ['top_k_exact_match', 'smiles_validity']

/** What a submitter needs to score against a benchmark version, from its `evaluation` block. */
export interface SubmissionGuide {
  benchmark: string
  version: string
  testSet: string
  format: 'csv' | 'jsonl'
  idColumn: string
  /** Prediction columns (CSV) or keys (JSON Lines), one per task. */
  columns: string[]
  /** Those of `columns` holding ranked reactant sets (top_k_exact_match, smiles_validity), not numbers. */
  rankedColumns: string[]
  /** False when a lower prediction means "more likely active". */
  higherIsBetter: boolean
  metrics: { name: string; function: string }[]
  command: string
  resultPath: string
}

/**
 * The "how to submit" text of a benchmark, generated from the evaluation
 * block of the given version; undefined when it has none.
 *
 * @example submissionGuide(benchEntry, version)?.command // 'agora eval <ns>/<name> --benchmark moleval/docking-enrichment@1.0.0 --predictions predictions.csv --write'
 */
export function submissionGuide(
  bench: CatalogEntry,
  version: BenchmarkVersion | undefined,
): SubmissionGuide | undefined {
  const contract = version?.evaluation
  if (!version || !contract) return undefined
  const id = `${bench.ref.ns}/${bench.ref.name}`
  const file = `predictions.${contract.predictions.format}`
  const all = contract.tasks.map((t) => t.name)
  const ranked = new Set(
    contract.metrics
      .filter((m) => RANKED_FUNCTIONS.includes(m.function))
      .flatMap((m) => m.tasks ?? all),
  )
  return {
    benchmark: id,
    version: version.version,
    testSet: contract.test_set,
    format: contract.predictions.format,
    idColumn: contract.predictions.id_column ?? contract.id_column,
    columns: contract.tasks.map((t) => t.prediction ?? t.label),
    rankedColumns: contract.tasks
      .filter((t) => ranked.has(t.name))
      .map((t) => t.prediction ?? t.label),
    higherIsBetter: contract.predictions.higher_is_better !== false,
    metrics: contract.metrics.map((m) => ({ name: m.name, function: m.function })),
    command: `agora eval <ns>/<name> --benchmark ${id}@${version.version} --predictions ${file} --write`,
    resultPath: `results/${bench.ref.ns}/${bench.ref.name}.yaml`,
  }
}

/** One item's scores on one metric across its versions, oldest first. */
export interface ScoreSeries {
  key: string
  verified: boolean
  points: { version: string; date: string; score: number }[]
}

/**
 * Each item's score on a metric across the versions its result records
 * (`history` then the current version), for the leaderboard's chart.
 *
 * @example scoreSeries(rows, 'ef1')[0].points.map((p) => p.version) // ['1.0.0', '1.1.0', '1.2.0']
 */
export function scoreSeries(rows: readonly LeaderboardRow[], metric: string): ScoreSeries[] {
  const out: ScoreSeries[] = []
  for (const r of rows) {
    const points = [...r.history, r]
      .filter((p) => typeof p.scores[metric] === 'number')
      .map((p) => ({ version: p.version, date: p.date, score: p.scores[metric] as number }))
    if (points.length > 0) out.push({ key: r.key, verified: r.verified, points })
  }
  return out
}

/** A regression of an item on one benchmark. */
export interface ItemRegression extends Regression {
  benchmark: string
}

/**
 * Regressions of an item across the versions its results record: a version
 * scoring worse than the one before beyond the hub's stability band
 * (`qa.stability.rsd_percent`, 5% by default).
 *
 * @example itemRegressions(entry, index)[0] // { benchmark: 'benchmark/moleval/docking-enrichment', metric: 'ef1', version: '1.2.0', … }
 */
export function itemRegressions(entry: CatalogEntry, index: CatalogIndex): ItemRegression[] {
  const band = index.hub.qa?.stability?.rsd_percent ?? QA_DEFAULTS.rsdPercent
  const out: ItemRegression[] = []
  for (const r of entry.results) {
    if (!r.history?.length) continue
    const bench = index.byKey.get(r.benchmark)
    const metrics: MetricDefinition[] =
      bench?.item.kind === 'benchmark' ? (bench.item as BenchmarkItem).metrics : []
    const found = findRegressions(
      [...r.history, { version: r.version, scores: r.scores }],
      metrics,
      band,
    )
    for (const f of found) out.push({ benchmark: r.benchmark, ...f })
  }
  return out
}
