import { AgoraError, type Issue, isAgoraError } from '#core/errors'
import type { BenchmarkItem, EvaluationContract } from '#core/manifest'
import { accuracy, balancedAccuracy, brier, f1, logLoss, mcc } from './classification.ts'
import { qaError } from './errors.ts'
import { evaluatePromptSuite } from './prompt-suite.ts'
import { averagePrecision, rocAuc } from './ranking-auc.ts'
import { reactantSetKey, reactantSetParses, readCandidates } from './reactants.ts'
import { readTable, type TableRow } from './read-table.ts'
import { mae, pearson, r2, rmse, spearman } from './regression.ts'
import { bedroc, enrichmentFactor, precisionAtK, recallAtK } from './screening.ts'
import { topKExactMatch } from './text.ts'

/** A text file and the path it is reported under. */
export interface NamedText {
  file: string
  text: string
}

export interface EvaluateInput {
  benchmark: Pick<BenchmarkItem, 'metrics'>
  contract: EvaluationContract
  testSet: NamedText
  predictions: NamedText
  /**
   * The tasks the predictions cover (a model's outputs); metrics over other
   * tasks are left out. All of the contract's tasks when left out.
   */
  only?: readonly string[]
}

/** The contract narrowed to the tasks covered and the metrics scored from them alone. */
function narrowContract(
  contract: EvaluationContract,
  only: readonly string[] | undefined,
): EvaluationContract {
  if (!only) return contract
  const covered = new Set(only)
  const metrics = contract.metrics.filter((m) =>
    (m.tasks ?? contract.tasks.map((t) => t.name)).every((t) => covered.has(t)),
  )
  if (metrics.length === 0) {
    throw new AgoraError(
      'qa/no-metric',
      `no metric of the benchmark is scored from the tasks ${[...covered].join(', ')} alone`,
      {
        hint: `the benchmark's tasks are ${contract.tasks.map((t) => t.name).join(', ')}; name them in the model's inference.tasks`,
      },
    )
  }
  const needed = new Set(metrics.flatMap((m) => m.tasks ?? contract.tasks.map((t) => t.name)))
  return { ...contract, tasks: contract.tasks.filter((t) => needed.has(t.name)), metrics }
}

/** Scores of one predictions file on one benchmark version. */
export interface Evaluation {
  /** Score per metric name; a metric over several tasks is their mean. */
  metrics: Record<string, number>
  /** Per-task sub-scores of each metric averaged over several tasks. */
  tasks: Record<string, Record<string, number>>
  /** Tasks left out of a metric's mean because their labels hold one class. */
  skipped: Record<string, string[]>
  /** Test rows scored. */
  rows: number
}

/** Reporting stops here: a wrong file usually gets every row wrong. */
const MAX_ROW_ISSUES = 20

const SCORE_FUNCTIONS = new Set([
  'roc_auc',
  'average_precision',
  'precision_at_k',
  'recall_at_k',
  'enrichment_factor',
  'bedroc',
])
/** Functions of ranked lists of reactant sets rather than numbers (retrosynthesis). */
const RANKED_FUNCTIONS = new Set(['top_k_exact_match', 'smiles_validity'])
const LABEL_FUNCTIONS = new Set([
  'accuracy',
  'balanced_accuracy',
  'f1_binary',
  'f1_macro',
  'f1_micro',
  'mcc',
])

function shown(id: string): string {
  return JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id)
}

function numberCell(v: TableRow['cells'][string] | undefined): number | null | undefined {
  if (v === null || v === undefined) return null
  if (typeof v === 'boolean') return v ? 1 : 0
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined
  const s = v.trim()
  if (s === '') return null
  if (s === 'true') return 1
  if (s === 'false') return 0
  const n = Number(s)
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) && Number.isFinite(n) ? n : undefined
}

function idCell(v: TableRow['cells'][string] | undefined): string {
  return v === null || v === undefined ? '' : String(v).trim()
}

type MetricSpec = EvaluationContract['metrics'][number]

/** The tasks scored as ranked lists of reactant sets; a task is one kind or the other. */
function rankedTasks(contract: EvaluationContract): Set<string> {
  const all = contract.tasks.map((t) => t.name)
  const ranked = new Set<string>()
  const numeric = new Set<string>()
  for (const m of contract.metrics)
    for (const t of m.tasks ?? all) (RANKED_FUNCTIONS.has(m.function) ? ranked : numeric).add(t)
  const both = [...ranked].filter((t) => numeric.has(t))
  if (both.length > 0) {
    throw new AgoraError(
      'qa/mixed-task',
      `task ${both.join(', ')} is scored both as ranked reactant sets and as numbers`,
      {
        hint: 'top_k_exact_match and smiles_validity read ranked lists; give other metrics their own tasks',
      },
    )
  }
  return ranked
}

/**
 * A ranked-list metric over one task: the test set's accepted reactant
 * sets against the ranked candidates, compared by canonical SMILES.
 */
function computeRankedMetric(
  spec: MetricSpec,
  answers: (string | string[])[][],
  candidates: (string | string[])[][],
  cache: Map<string, string | undefined>,
): number {
  // A test row without an accepted answer is a missing label.
  const mask = answers.map((a) => a.length > 0)
  if (spec.function === 'smiles_validity') {
    const kept = candidates.filter((_, i) => mask[i])
    if (kept.length === 0) throw qaError('qa/empty', `${spec.name}: no rows to score`)
    const first = (c: (string | string[])[]) => c[0]
    return (
      kept.filter((c) => first(c) !== undefined && reactantSetParses(first(c) as string, cache))
        .length / kept.length
    )
  }
  const k = spec.k ?? 1
  const keys = (sets: (string | string[])[]) => sets.map((set) => reactantSetKey(set, cache))
  // Only the first k candidates can count; the rest are not canonicalised.
  return topKExactMatch(
    candidates.map((c) => keys(c.slice(0, k))),
    answers.map(keys),
    k,
    { mask },
  )
}

function computeMetric(
  spec: MetricSpec,
  truth: (number | null)[],
  pred: number[],
  higherIsBetter: boolean,
): number {
  const score = SCORE_FUNCTIONS.has(spec.function) && !higherIsBetter ? pred.map((p) => -p) : pred
  const threshold = spec.threshold ?? 0.5
  const classes = LABEL_FUNCTIONS.has(spec.function)
    ? pred.map((p) => (p >= threshold ? 1 : 0))
    : pred
  switch (spec.function) {
    case 'roc_auc':
      return rocAuc(truth, score)
    case 'average_precision':
      return averagePrecision(truth, score)
    case 'precision_at_k':
      return precisionAtK(truth, score, spec.k ?? 1)
    case 'recall_at_k':
      return recallAtK(truth, score, spec.k ?? 1)
    case 'enrichment_factor':
      return enrichmentFactor(truth, score, spec.fraction ?? 0.01)
    case 'bedroc':
      return bedroc(truth, score, { alpha: spec.alpha ?? 20 })
    case 'accuracy':
      return accuracy(truth, classes)
    case 'balanced_accuracy':
      return balancedAccuracy(truth, classes)
    case 'f1_binary':
      return f1(truth, classes, { average: 'binary' })
    case 'f1_macro':
      return f1(truth, classes, { average: 'macro' })
    case 'f1_micro':
      return f1(truth, classes, { average: 'micro' })
    case 'mcc':
      return mcc(truth, classes)
    case 'log_loss':
      return logLoss(truth, pred)
    case 'brier':
      return brier(truth, pred)
    case 'mae':
      return mae(truth, pred)
    case 'rmse':
      return rmse(truth, pred)
    case 'r2':
      return r2(truth, pred)
    case 'pearson':
      return pearson(truth, pred)
    case 'spearman':
      return spearman(truth, pred)
    case 'top_k_exact_match':
    case 'smiles_validity':
      throw new AgoraError('qa/mixed-task', `${spec.name} scores ranked lists, not numbers`)
    case 'keyword_accuracy':
    case 'exact_match':
      throw new AgoraError(
        'qa/text-metric',
        `metric ${spec.name}: ${spec.function} scores text answers of a prompt suite`,
        { hint: 'set evaluation.prompt to the prompt key of a JSON Lines test set' },
      )
  }
}

/**
 * Scores a predictions file against a benchmark version's labelled test set:
 * read both tables, check the predictions name every test id exactly once
 * with a number for every task, then compute each metric of the contract
 * (the mean over tasks when there are several, each task's missing labels
 * masked). Rows are scored in test-set order, so ties never depend on the
 * order of the predictions file. Problems come back as issues with file and
 * line; nothing is scored then.
 *
 * @example
 * const { value, issues } = evaluatePredictions({ benchmark, contract, testSet, predictions })
 * value?.metrics // { auroc: 0.93, ef1: 11, bedroc20: 0.71 }
 */
export function evaluatePredictions(input: EvaluateInput): {
  value: Evaluation | undefined
  issues: Issue[]
} {
  if (input.contract.prompt) return evaluatePromptSuite(input)
  const { testSet, predictions } = input
  const contract = narrowContract(input.contract, input.only)
  const issues: Issue[] = []
  const definitions = new Map(input.benchmark.metrics.map((m) => [m.name, m]))
  for (const m of contract.metrics) {
    if (!definitions.has(m.name)) {
      issues.push({
        code: 'qa/unknown-metric',
        severity: 'error',
        message: `the evaluation names metric "${m.name}", which the benchmark item does not define`,
        hint: 'add it to the item metrics (with higher_is_better) or fix the name',
        file: testSet.file,
      })
    }
  }
  const test = readTable(testSet.text, 'csv', testSet.file)
  const pred = readTable(predictions.text, contract.predictions.format, predictions.file)
  issues.push(...test.issues, ...pred.issues)
  if (!test.value || !pred.value || issues.length > 0) return { value: undefined, issues }

  const rowIssue = (code: string, message: string, hint: string, file: string, line?: number) => {
    if (issues.length < MAX_ROW_ISSUES)
      issues.push({ code, severity: 'error', message, hint, file, ...(line ? { line } : {}) })
  }

  const testIds = new Map<string, TableRow>()
  for (const row of test.value.rows) {
    const id = idCell(row.cells[contract.id_column])
    if (testIds.has(id))
      rowIssue(
        'qa/duplicate-id',
        `test id ${shown(id)} appears twice`,
        'the benchmark version is broken; report it to its owners',
        testSet.file,
        row.line,
      )
    testIds.set(id, row)
  }
  const idColumn = contract.predictions.id_column ?? contract.id_column
  const predColumns = contract.tasks.map((t) => t.prediction ?? t.label)
  const ranked = rankedTasks(contract)
  const rankedColumns = new Set(
    contract.tasks.filter((t) => ranked.has(t.name)).map((t) => t.prediction ?? t.label),
  )
  for (const c of [idColumn, ...predColumns]) {
    if (contract.predictions.format === 'csv' && !pred.value.columns.includes(c)) {
      rowIssue(
        'qa/missing-column',
        `the predictions have no column "${c}"`,
        `write a header row with ${[idColumn, ...predColumns].join(', ')}`,
        predictions.file,
        1,
      )
    }
  }
  if (issues.length > 0) return { value: undefined, issues }

  const byId = new Map<string, TableRow>()
  for (const row of pred.value.rows) {
    const id = idCell(row.cells[idColumn])
    if (id === '') {
      rowIssue(
        'qa/missing-id',
        `the row has no ${idColumn}`,
        `every row names a test id in ${idColumn}`,
        predictions.file,
        row.line,
      )
      continue
    }
    const seen = byId.get(id)
    if (seen) {
      rowIssue(
        'qa/duplicate-id',
        `id ${shown(id)} is predicted again (first on line ${seen.line})`,
        'keep one row per test id',
        predictions.file,
        row.line,
      )
      continue
    }
    if (!testIds.has(id)) {
      rowIssue(
        'qa/extra-id',
        `id ${shown(id)} is not in the test set`,
        `predict exactly the ids of ${testSet.file}`,
        predictions.file,
        row.line,
      )
      continue
    }
    byId.set(id, row)
    for (const c of predColumns) {
      if (rankedColumns.has(c)) {
        const candidates = readCandidates(row.cells[c])
        if (typeof candidates === 'string')
          rowIssue(
            'qa/bad-candidates',
            `${c} of id ${shown(id)}: ${candidates}`,
            'write the ranked reactant sets best first: a JSON array of SMILES strings ("A.B") or of lists of SMILES, or in CSV the sets separated by spaces',
            predictions.file,
            row.line,
          )
        continue
      }
      const v = numberCell(row.cells[c])
      if (v === null || v === undefined) {
        rowIssue(
          'qa/not-numeric',
          `${c} of id ${shown(id)} is ${v === null ? 'empty' : JSON.stringify(String(row.cells[c]).slice(0, 40))}, not a number`,
          'write a finite decimal number for every task',
          predictions.file,
          row.line,
        )
      }
    }
  }
  for (const [id, row] of testIds) {
    if (!byId.has(id)) {
      rowIssue(
        'qa/missing-prediction',
        `no prediction for test id ${shown(id)} (line ${row.line} of ${testSet.file})`,
        `add a row for every id of ${testSet.file}`,
        predictions.file,
      )
    }
  }
  if (issues.length > 0) return { value: undefined, issues }

  const ids = [...testIds.keys()]
  const truthOf = (label: string) =>
    ids.map((id) => {
      const row = testIds.get(id) as TableRow
      const v = numberCell(row.cells[label])
      if (v !== undefined) return v
      rowIssue(
        'qa/bad-label',
        `label ${label} of ${shown(id)} is not a number`,
        'the benchmark version is broken; report it to its owners',
        testSet.file,
        row.line,
      )
      return null
    })
  const metrics: Record<string, number> = {}
  const tasks: Record<string, Record<string, number>> = {}
  const skipped: Record<string, string[]> = {}
  const higherIsBetter = contract.predictions.higher_is_better ?? true
  const smilesCache = new Map<string, string | undefined>()
  for (const spec of contract.metrics) {
    for (const name of spec.tasks ?? []) {
      if (!contract.tasks.some((t) => t.name === name)) {
        throw new AgoraError(
          'qa/unknown-task',
          `metric ${spec.name} names task "${name}", which the evaluation does not define`,
          { hint: 'list the task under evaluation.tasks or fix the name' },
        )
      }
    }
    const chosen = contract.tasks.filter((t) => !spec.tasks || spec.tasks.includes(t.name))
    const perTask: Record<string, number> = {}
    for (const task of chosen) {
      const column = task.prediction ?? task.label
      if (RANKED_FUNCTIONS.has(spec.function)) {
        const list = (row: TableRow, key: string) => {
          const read = readCandidates(row.cells[key])
          return typeof read === 'string' ? undefined : read
        }
        const answers = ids.map((id) => {
          const row = testIds.get(id) as TableRow
          const read = list(row, task.label)
          if (read) return read
          rowIssue(
            'qa/bad-label',
            `label ${task.label} of ${shown(id)} is not a reactant set`,
            'the benchmark version is broken; report it to its owners',
            testSet.file,
            row.line,
          )
          return []
        })
        const candidates = ids.map((id) => list(byId.get(id) as TableRow, column) ?? [])
        perTask[task.name] = computeRankedMetric(spec, answers, candidates, smilesCache)
        continue
      }
      const p = ids.map((id) => numberCell((byId.get(id) as TableRow).cells[column]) as number)
      try {
        perTask[task.name] = computeMetric(spec, truthOf(task.label), p, higherIsBetter)
      } catch (error) {
        // One class in a task's labels leaves that task out of a mean, as
        // multitask benchmarks (Tox21, MoleculeNet) do; alone it is an error.
        if (!(isAgoraError(error) && error.code === 'qa/one-class' && chosen.length > 1))
          throw error
        skipped[spec.name] = [...(skipped[spec.name] ?? []), task.name]
      }
    }
    const values = Object.values(perTask)
    if (values.length === 0) {
      throw new AgoraError(
        'qa/one-class',
        `metric ${spec.name}: every task's labels hold one class`,
      )
    }
    const mean = values.reduce((a, b) => a + b, 0) / values.length
    const scale = definitions.get(spec.name)?.unit === '%' ? 100 : 1
    metrics[spec.name] = mean * scale
    if (chosen.length > 1) {
      tasks[spec.name] = Object.fromEntries(Object.entries(perTask).map(([k, v]) => [k, v * scale]))
    }
  }
  if (issues.length > 0) return { value: undefined, issues }
  return { value: { metrics, tasks, skipped, rows: ids.length }, issues }
}
