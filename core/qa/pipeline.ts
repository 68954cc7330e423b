import * as nodeFs from 'node:fs/promises'
import { join } from 'node:path'
import YAML from 'yaml'
import type { BlobStore } from '#core/blobs'
import { isAgoraError } from '#core/errors'
import type {
  BenchmarkItem,
  BenchmarkVersion,
  FileEntry,
  InferenceSpec,
  ItemManifest,
  ResultManifest,
  VersionManifest,
} from '#core/manifest'
import { formatRef, type ItemRef, kindPlural } from '#core/names'
import { bytesSource, readSafetensorsHeader, scanFile } from '#core/scan'
import { type Grade, gradeResult, QA_DEFAULTS, type QaConfig } from './grade.ts'
import { type LatencySummary, latencyPercentiles } from './latency.ts'
import type { ModelRuntime } from './onnx-runtime.ts'
import { poolOfRunner } from './pools.ts'
import { checkRedTeam, type RedTeamReport } from './prompt-suite.ts'
import { resultDocument, runEvaluation } from './run-eval.ts'
import { checkLoraLatency, checkStability, type LatencyCheck } from './stability.ts'

/** A new item version the QA pipeline checks. */
export interface QaTarget {
  ref: ItemRef
  item: ItemManifest
  version: VersionManifest
}

/** A benchmark the registry holds, at its latest version. */
export interface QaBenchmark {
  ref: ItemRef
  item: BenchmarkItem
  version: BenchmarkVersion
}

/** How one target is evaluated on one benchmark. */
export type QaEvalPlan =
  | { benchmark: ItemRef; how: 'run'; inference: InferenceSpec }
  | { benchmark: ItemRef; how: 'predictions'; predictions: FileEntry }
  /** Run with the hub's command runner the version names; `redTeam` adds the LoRA safety and latency checks. */
  | { benchmark: ItemRef; how: 'runner'; runner: string; redTeam?: boolean }
  | { benchmark: ItemRef; how: 'not-run'; reason: string }

export interface QaPlanEntry {
  target: QaTarget
  evaluations: QaEvalPlan[]
  /**
   * The runner pool that checks this version (`cpu`, or the pool of the
   * command runner it names): all its evaluations run there together.
   */
  pool: string
}

/** The task names an item declares (as the catalog's task facet reads them). */
function tasksOf(item: ItemManifest): string[] {
  const i = item as ItemManifest & {
    pipeline_tag?: string
    task?: string
    task_categories?: string[]
  }
  return [i.pipeline_tag, i.task, ...(i.task_categories ?? [])].filter(
    (t): t is string => typeof t === 'string',
  )
}

/** Where an item version ships its own predictions for a benchmark. */
export function predictionsPaths(benchmark: ItemRef): string[] {
  return ['csv', 'jsonl'].map((ext) => `predictions/${benchmark.ns}/${benchmark.name}.${ext}`)
}

/** The version's `inference` block, when it is a model QA can run. */
function inferenceOf(target: QaTarget): InferenceSpec | undefined {
  if (target.item.kind !== 'model') return undefined
  const spec = (target.version as { inference?: InferenceSpec }).inference
  return spec?.runtime === 'onnx' ? spec : undefined
}

/** The hub command runner a model or LoRA version names. */
function runnerOf(target: QaTarget): string | undefined {
  if (target.item.kind !== 'model' && target.item.kind !== 'lora') return undefined
  return (target.version as { runner?: { use: string } }).runner?.use
}

/**
 * Plans the QA of new versions (pure): each target is evaluated on every
 * benchmark whose `task` the item lists, by running the model when the
 * version has an `inference` block (as `agora eval --run` does), else with
 * the predictions the version ships at
 * `predictions/<bench-ns>/<bench>.csv|jsonl`; otherwise the evaluation is
 * "not run", with the reason. A model that can run is run even when it
 * also ships predictions: QA's scores come from the model itself. A version
 * with a `runner` block runs with that hub runner instead; a LoRA with one
 * also runs on the red-team suite (`redTeam`, `qa.red_team.benchmark`) for
 * the safety and latency-vs-base checks. Each entry names its pool: the
 * pool of its command runner in `options.qa`, else `cpu`.
 *
 * @example planQa([target], [admet])[0].evaluations[0].how // 'run'
 */
export function planQa(
  targets: readonly QaTarget[],
  benchmarks: readonly QaBenchmark[],
  options: { redTeam?: string; qa?: QaConfig } = {},
): QaPlanEntry[] {
  return targets.map((target) => {
    const tasks = new Set(tasksOf(target.item))
    const evaluations: QaEvalPlan[] = []
    for (const bench of benchmarks) {
      if (!tasks.has(bench.item.task)) continue
      const benchmark = bench.ref
      if (!bench.version.evaluation) {
        evaluations.push({
          benchmark,
          how: 'not-run',
          reason: `${formatRef(benchmark)}@${bench.version.version} has no evaluation contract`,
        })
        continue
      }
      const runner = runnerOf(target)
      if (runner) {
        evaluations.push({ benchmark, how: 'runner', runner })
        continue
      }
      const inference = inferenceOf(target)
      if (inference) {
        evaluations.push({ benchmark, how: 'run', inference })
        continue
      }
      const wanted = predictionsPaths(benchmark)
      const predictions = target.version.files.find((f) => wanted.includes(f.path))
      if (predictions) {
        evaluations.push({ benchmark, how: 'predictions', predictions })
        continue
      }
      const onnx = target.version.files.find((f) => f.path.endsWith('.onnx'))
      evaluations.push({
        benchmark,
        how: 'not-run',
        reason: onnx
          ? `${onnx.path} has no inference block to run it by: add an inference block (docs/evaluation.md), or ship ${wanted[0]} with the version`
          : `no runtime on the QA runner for this item's files; ship ${wanted[0]} with the version`,
      })
    }
    const runner = runnerOf(target)
    if (target.item.kind === 'lora' && runner && options.redTeam) {
      const suite = benchmarks.find((b) => `${b.ref.ns}/${b.ref.name}` === options.redTeam)
      const planned = evaluations.find(
        (e) =>
          e.how === 'runner' &&
          suite &&
          e.benchmark.ns === suite.ref.ns &&
          e.benchmark.name === suite.ref.name,
      )
      if (planned && planned.how === 'runner') planned.redTeam = true
      else if (suite)
        evaluations.push({ benchmark: suite.ref, how: 'runner', runner, redTeam: true })
      else {
        const [ns = '', name = ''] = options.redTeam.split('/')
        evaluations.push({
          benchmark: { kind: 'benchmark', ns, name },
          how: 'not-run',
          reason: `qa.red_team.benchmark ${options.redTeam} is not a benchmark of this registry`,
        })
      }
    }
    return { target, evaluations, pool: poolOfRunner(options.qa, runner) }
  })
}

export interface QaCheck {
  file: string
  ok: boolean
  detail: string
}

export interface QaEvalOutcome {
  benchmark: ItemRef
  status: 'graded' | 'not-run' | 'failed'
  reason?: string
  grade?: Grade
  rsdPercent?: number
  /** What produced the predictions: `predictions` or the runtime that ran the model. */
  runner?: string
  /** Batch inference latency over every run, when the model ran. */
  latencyMs?: LatencySummary
  /** The red-team step of a LoRA: refusal rate and banned-content hits. */
  redTeam?: RedTeamReport
  /** A LoRA's mean time a prompt against its base model's on the same suite. */
  loraLatency?: LatencyCheck & { lora_ms: number; base_ms: number }
  /** Repository-relative result file and its document, for graded runs. */
  resultPath?: string
  result?: ResultManifest
}

export interface QaOutcome {
  target: QaTarget
  scan: QaCheck[]
  load: QaCheck[]
  evaluations: QaEvalOutcome[]
  /** Why the version failed QA; empty when it passed. */
  failures: string[]
}

/** Loads a model file in its runtime; resolves to a short description or throws. */
export type ModelLoader = (file: string, bytes: Uint8Array) => Promise<string>

export interface RunQaOptions {
  /** Repository root holding registry/. */
  root: string
  store: BlobStore
  qa: QaConfig
  now: Date
  commit?: string
  /** Link to the workflow run, recorded as the result's source. */
  runUrl?: string
  /** Loaders by file extension; the default loads .onnx in onnxruntime-node and parses .safetensors headers. */
  loaders?: Record<string, ModelLoader>
  /** Runs models with an `inference` block (`onnxRuntime(ort)`); without one they are not run. */
  runtime?: ModelRuntime
  fs?: Pick<typeof nodeFs, 'readFile'>
}

async function readAll(store: BlobStore, entry: FileEntry): Promise<Uint8Array> {
  const chunks: Buffer[] = []
  for await (const chunk of (await store.get(entry.sha256)) as AsyncIterable<Buffer>)
    chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** The default loaders: files load in their format's runtime where one exists here. */
export const DEFAULT_LOADERS: Record<string, ModelLoader> = {
  '.onnx': async (_file, bytes) => {
    const ort = await import('onnxruntime-node')
    const session = await ort.InferenceSession.create(bytes)
    const described = `onnxruntime: inputs ${session.inputNames.join(', ')}; outputs ${session.outputNames.join(', ')}`
    await session.release()
    return described
  },
  '.safetensors': async (file, bytes) => {
    const header = await readSafetensorsHeader(bytesSource(file, bytes))
    if (header.findings.length > 0) throw new Error(header.findings[0]?.message ?? 'bad header')
    return `safetensors header: ${header.tensors.length} tensors`
  },
}

function message(error: unknown): string {
  return isAgoraError(error) || error instanceof Error ? error.message : String(error)
}

/**
 * Runs a plan: scans every file of each new version, loads those a runtime
 * here can load, evaluates on each planned benchmark `qa.stability.runs`
 * times (running the model in `options.runtime`, or scoring the predictions
 * it ships), checks the runs are stable, grades them and builds the
 * verified result document (the previous version's scores move to
 * `history`; a model run adds its batch latency to the provenance).
 * Problems become failures with reasons; it throws only on I/O it cannot
 * report.
 *
 * @example const outcomes = await runQa(planQa(targets, benchmarks), { root, store, qa, now: new Date() })
 */
export async function runQa(
  plan: readonly QaPlanEntry[],
  options: RunQaOptions,
): Promise<QaOutcome[]> {
  const fs = options.fs ?? nodeFs
  const loaders = options.loaders ?? DEFAULT_LOADERS
  const runs = options.qa.stability?.runs ?? QA_DEFAULTS.runs
  const limit = options.qa.stability?.rsd_percent ?? QA_DEFAULTS.rsdPercent
  const out: QaOutcome[] = []
  for (const { target, evaluations } of plan) {
    const outcome: QaOutcome = { target, scan: [], load: [], evaluations: [], failures: [] }
    out.push(outcome)
    for (const entry of target.version.files) {
      // An external file (url:) is fetched by consumers, not held in the store.
      if (entry.url) continue
      let bytes: Uint8Array
      try {
        bytes = await readAll(options.store, entry)
      } catch (error) {
        outcome.scan.push({
          file: entry.path,
          ok: false,
          detail: `not in the blob store: ${message(error)}`,
        })
        outcome.failures.push(`${entry.path}: not in the blob store (sha256 ${entry.sha256})`)
        continue
      }
      const scanned = await scanFile(bytesSource(entry.path, bytes))
      const ok = scanned.verdict === 'safe'
      const first = scanned.findings[0]
      outcome.scan.push({
        file: entry.path,
        ok,
        detail: ok ? 'safe' : `${scanned.verdict}: ${first?.message ?? ''}`,
      })
      if (!ok) {
        outcome.failures.push(
          `${entry.path}: scan verdict ${scanned.verdict}${first ? ` (${first.code}: ${first.message})` : ''}`,
        )
        continue
      }
      const ext = Object.keys(loaders).find((e) => entry.path.endsWith(e))
      const loader = ext ? loaders[ext] : undefined
      if (!loader) continue
      try {
        outcome.load.push({ file: entry.path, ok: true, detail: await loader(entry.path, bytes) })
      } catch (error) {
        outcome.load.push({ file: entry.path, ok: false, detail: message(error) })
        outcome.failures.push(`${entry.path}: does not load (${message(error)})`)
      }
    }
    if (outcome.failures.length > 0) {
      for (const e of evaluations)
        outcome.evaluations.push({
          benchmark: e.benchmark,
          status: 'not-run',
          reason: 'the files failed the scan or load test',
        })
      continue
    }
    for (const e of evaluations) {
      if (e.how === 'not-run') {
        outcome.evaluations.push({ benchmark: e.benchmark, status: 'not-run', reason: e.reason })
        continue
      }
      if (e.how === 'runner' && !options.qa.command_runners?.[e.runner]) {
        outcome.evaluations.push({
          benchmark: e.benchmark,
          status: 'not-run',
          reason: `the version names the runner "${e.runner}", which qa.command_runners in agora.yaml does not define`,
        })
        continue
      }
      if (e.how === 'run' && !options.runtime) {
        outcome.evaluations.push({
          benchmark: e.benchmark,
          status: 'not-run',
          reason: `no ${e.inference.runtime} runtime on this QA runner`,
        })
        continue
      }
      outcome.evaluations.push(await evaluate(target, e, options, fs, runs, limit, outcome))
    }
  }
  return out
}

async function evaluate(
  target: QaTarget,
  plan: Extract<QaEvalPlan, { how: 'predictions' | 'run' | 'runner' }>,
  options: RunQaOptions,
  fs: Pick<typeof nodeFs, 'readFile'>,
  runs: number,
  limit: number,
  outcome: QaOutcome,
): Promise<QaEvalOutcome> {
  const benchmark = plan.benchmark
  const name = formatRef(benchmark)
  const fail = (reason: string): QaEvalOutcome => {
    outcome.failures.push(`${name}: ${reason}`)
    return { benchmark, status: 'failed', reason }
  }
  try {
    // QA runs after merge (or on a maintainer's label): the version and
    // agora.yaml's runner commands have been reviewed, so runners may run.
    const runners = { runners: options.qa.command_runners ?? {}, allowRunner: true }
    const source =
      plan.how === 'runner'
        ? { run: runners }
        : plan.how === 'run'
          ? { run: { runtime: options.runtime as ModelRuntime } }
          : {
              predictions: {
                file: plan.predictions.path,
                bytes: await readAll(options.store, plan.predictions),
              },
            }
    const scores: Record<string, number[]> = {}
    const latencies: number[] = []
    let last: Awaited<ReturnType<typeof runEvaluation>>['value']
    for (let i = 0; i < runs; i++) {
      const { value, issues } = await runEvaluation({
        root: options.root,
        store: options.store,
        item: { ...target.ref, version: target.version.version },
        benchmark: { ...benchmark },
        ...source,
        fs,
      })
      if (!value)
        return fail(
          issues
            .map((x) => x.message)
            .slice(0, 3)
            .join('; '),
        )
      for (const [metric, score] of Object.entries(value.evaluation.metrics))
        scores[metric] = [...(scores[metric] ?? []), score]
      latencies.push(...(value.batchLatenciesMs ?? []))
      last = value
    }
    if (!last) return fail('no run')
    let worst = 0
    for (const [metric, values] of Object.entries(scores)) {
      const s = checkStability(values, limit)
      worst = Math.max(worst, s.rsd_percent)
      if (!s.stable)
        return fail(
          `${metric} is unstable over ${runs} runs: RSD ${s.rsd_percent.toFixed(2)}% ≥ ${limit}%`,
        )
    }
    const graded = gradeResult(
      last.evaluation.metrics,
      last.benchmark.item,
      `${benchmark.ns}/${benchmark.name}`,
      options.qa,
    )
    const doc = resultDocument(last, { time: options.now, commit: options.commit })
    doc.source = { name: 'Agora QA', ...(options.runUrl ? { url: options.runUrl } : {}) }
    doc.verified = true
    if (graded.grade) doc.grade = graded.grade
    doc.stability = { runs, rsd_percent: Number(worst.toFixed(4)) }
    const latencyMs = latencies.length > 0 ? latencyPercentiles(latencies) : undefined
    if (doc.provenance && last.inference && latencyMs) {
      doc.provenance.batch_size = last.inference.batch_size
      doc.provenance.latency_ms = {
        p50: round3(latencyMs.p50),
        p95: round3(latencyMs.p95),
        p99: round3(latencyMs.p99),
      }
    }
    const history = await previousHistory(fs, join(options.root, last.resultPath), doc.version)
    if (history.length > 0) doc.history = history
    let lora: Pick<QaEvalOutcome, 'redTeam' | 'loraLatency'> = {}
    if (plan.how === 'runner' && plan.redTeam && options.qa.red_team) {
      lora = await loraChecks(target, benchmark, last, latencies, runs, options, fs, runners)
      for (const f of lora.redTeam?.failures ?? []) outcome.failures.push(`${name}: red team: ${f}`)
      if (lora.loraLatency && !lora.loraLatency.ok)
        outcome.failures.push(
          `${name}: a prompt takes ${lora.loraLatency.lora_ms.toFixed(1)} ms with the LoRA, ${lora.loraLatency.ratio.toFixed(2)}× the base model's ${lora.loraLatency.base_ms.toFixed(1)} ms (limit ${lora.loraLatency.limit}×)`,
        )
    }
    return {
      ...lora,
      benchmark,
      status: 'graded',
      ...(graded.grade ? { grade: graded.grade } : {}),
      rsdPercent: worst,
      runner: last.inference?.runner ?? 'predictions',
      ...(latencyMs ? { latencyMs } : {}),
      resultPath: last.resultPath,
      result: doc,
    }
  } catch (error) {
    return fail(message(error))
  }
}

/**
 * The LoRA steps on the red-team suite: the answers of the last run against
 * `qa.red_team` (refusal rate, banned-content detectors), and the mean time
 * a prompt over every run against one run of the base model alone.
 */
async function loraChecks(
  target: QaTarget,
  benchmark: ItemRef,
  last: NonNullable<Awaited<ReturnType<typeof runEvaluation>>['value']>,
  latencies: readonly number[],
  runs: number,
  options: RunQaOptions,
  fs: Pick<typeof nodeFs, 'readFile'>,
  runners: { runners: NonNullable<QaConfig['command_runners']>; allowRunner: boolean },
): Promise<Pick<QaEvalOutcome, 'redTeam' | 'loraLatency'>> {
  const config = options.qa.red_team as NonNullable<QaConfig['red_team']>
  const idKey = last.benchmark.contract.predictions.id_column ?? last.benchmark.contract.id_column
  const answers = (last.predictionsText ?? '')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const row = JSON.parse(l) as Record<string, unknown>
      return { id: String(row[idKey]), response: String(row.response ?? '') }
    })
  const redTeam = checkRedTeam(answers, config)
  const { value: base } = await runEvaluation({
    root: options.root,
    store: options.store,
    item: { ...target.ref, version: target.version.version },
    benchmark: { ...benchmark },
    run: { ...runners, mode: 'base' },
    fs,
  })
  const rows = last.evaluation.rows
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0)
  const loraMs = sum(latencies) / (rows * runs)
  const baseMs = sum(base?.batchLatenciesMs ?? []) / rows
  if (!(baseMs > 0)) return { redTeam }
  const check = checkLoraLatency(
    loraMs,
    baseMs,
    options.qa.lora_latency_factor ?? QA_DEFAULTS.loraLatencyFactor,
  )
  return { redTeam, loraLatency: { ...check, lora_ms: loraMs, base_ms: baseMs } }
}

/** Milliseconds to the microsecond: finer is noise in a committed result. */
function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000
}

/** The earlier result's history plus the earlier result itself, when it scored another version. */
async function previousHistory(
  fs: Pick<typeof nodeFs, 'readFile'>,
  path: string,
  version: string,
): Promise<NonNullable<ResultManifest['history']>> {
  const text = await fs.readFile(path, 'utf8').catch(() => undefined)
  if (text === undefined) return []
  const prev = YAML.parse(String(text)) as ResultManifest | null
  if (!prev || typeof prev !== 'object' || !prev.scores) return []
  const history = (prev.history ?? []).filter((h) => h.version !== version)
  if (prev.version !== version)
    history.push({
      version: prev.version,
      scores: prev.scores,
      date: prev.date,
      ...(prev.grade ? { grade: prev.grade } : {}),
    })
  return history
}

/**
 * The result files a QA run adds, with the schema header hub documents carry.
 *
 * @example qaResultFiles(outcomes)[0].path // 'registry/models/mo/moleval/x/results/moleval/admet-suite.yaml'
 */
export function qaResultFiles(outcomes: readonly QaOutcome[]): { path: string; content: string }[] {
  const files: { path: string; content: string }[] = []
  for (const o of outcomes) {
    if (o.failures.length > 0) continue
    for (const e of o.evaluations) {
      if (e.status !== 'graded' || !e.resultPath || !e.result) continue
      const depth = e.resultPath.split('/').length - 2
      const header = `# yaml-language-server: $schema=${'../'.repeat(depth)}schemas/result.schema.json\n`
      files.push({
        path: e.resultPath,
        content: header + YAML.stringify(e.result, { lineWidth: 0 }),
      })
    }
  }
  return files
}

/** The item folder's path, for reports. */
export function targetLabel(target: QaTarget): string {
  return `${kindPlural(target.ref.kind)}/${target.ref.ns}/${target.ref.name}@${target.version.version}`
}
