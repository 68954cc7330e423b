import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import * as nodeFs from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import YAML from 'yaml'
import { type BlobStore, HashingStream, writeFileAtomic } from '#core/blobs'
import { AgoraError, type Issue } from '#core/errors'
import type {
  BenchmarkItem,
  BenchmarkVersion,
  CommandRunnerConfig,
  EvaluationContract,
  FileEntry,
  ModelVersion,
  ResultManifest,
} from '#core/manifest'
import { formatRef, type ItemRef, type ItemSpec, itemDir, kindPlural, parseRef } from '#core/names'
import {
  type RunnerFile,
  type RunnerJob,
  readRunnerOutput,
  runCommandRunner,
} from './command-runner.ts'
import { type Evaluation, evaluatePredictions } from './evaluate.ts'
import type { ModelRuntime } from './onnx-runtime.ts'
import { readTable } from './read-table.ts'
import { featurize, type InferenceReport, inferenceReport, runModel } from './run-model.ts'

/** Test sets are read whole; a larger one belongs to a GPU runner, not this command. */
const MAX_TABLE_BYTES = 512 * 1024 * 1024

export interface EvalRunOptions {
  /** Repository root holding registry/. */
  root: string
  store: BlobStore
  item: ItemSpec
  benchmark: ItemSpec
  /** The predictions' bytes and the name they are reported under. */
  predictions?: { file: string; bytes: Uint8Array }
  /**
   * Run the item version instead of reading predictions: its `inference`
   * block in `runtime`, or its `runner` block with one of `runners` (the
   * hub's `qa.command_runners`), which executes only when `allowRunner` is
   * set. `mode: 'base'` runs a LoRA's base model alone (latency baseline).
   */
  run?: {
    runtime?: ModelRuntime
    runners?: Record<string, CommandRunnerConfig>
    allowRunner?: boolean
    mode?: 'item' | 'base'
  }
  fs?: Pick<typeof nodeFs, 'readFile'>
}

/** An item version pinned by the hash of its version manifest. */
export interface PinnedItemVersion {
  ref: ItemRef
  version: string
  /** registry/…/versions/<version>.yaml */
  file: string
  manifestSha256: string
}

export interface EvalRun {
  evaluation: Evaluation
  benchmark: PinnedItemVersion & { item: BenchmarkItem; contract: EvaluationContract }
  item: PinnedItemVersion
  testSetSha256: string
  predictionsSha256: string
  /** Where `--write` puts the result, relative to the repository root. */
  resultPath: string
  /** Timings and runtime of `--run`. */
  inference?: InferenceReport
  /** `--run`: each batch's inference time in milliseconds, which `inference.latency_ms` summarises. */
  batchLatenciesMs?: number[]
  /** A command runner's predictions as text (prompt suites: JSON Lines of answers). */
  predictionsText?: string
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

async function readDoc(
  fs: Pick<typeof nodeFs, 'readFile'>,
  root: string,
  file: string,
  missing: () => AgoraError,
): Promise<{ bytes: Uint8Array; value: Record<string, unknown> }> {
  const bytes = await fs.readFile(join(root, file)).catch(() => {
    throw missing()
  })
  let value: unknown
  try {
    value = YAML.parse(Buffer.from(bytes).toString('utf8'))
  } catch (cause) {
    throw new AgoraError('qa/bad-manifest', `${file} does not parse`, {
      file,
      hint: 'run "agora validate" and fix it first',
      cause,
    })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AgoraError('qa/bad-manifest', `${file} is not a mapping`, {
      file,
      hint: 'run "agora validate" and fix it first',
    })
  }
  return { bytes, value: value as Record<string, unknown> }
}

/** The exact version a spec names: itself, or the dist-tag (latest by default) it names. */
async function pinVersion(
  fs: Pick<typeof nodeFs, 'readFile'>,
  root: string,
  ref: ItemSpec,
): Promise<{
  pinned: PinnedItemVersion
  item: Record<string, unknown>
  version: Record<string, unknown>
}> {
  const dir = `registry/${itemDir(ref)}`
  const shown = formatRef(ref)
  const { value: item } = await readDoc(
    fs,
    root,
    `${dir}/item.yaml`,
    () =>
      new AgoraError('qa/unknown-item', `${shown} is not in this registry`, {
        hint: 'check the reference and its kind (models are the default; benchmarks/ns/name for a benchmark)',
        file: `${dir}/item.yaml`,
      }),
  )
  const tags = (item['dist-tags'] ?? {}) as Record<string, unknown>
  const wanted = ref.version ?? 'latest'
  const tagged = tags[wanted]
  const version = typeof tagged === 'string' ? tagged : wanted
  const file = `${dir}/versions/${version}.yaml`
  const { bytes, value } = await readDoc(
    fs,
    root,
    file,
    () =>
      new AgoraError('qa/unknown-version', `${shown} has no version or dist-tag "${wanted}"`, {
        hint: `name an exact version (see ${dir}/versions/) or a dist-tag of item.yaml`,
        file,
      }),
  )
  return {
    pinned: {
      ref: { kind: ref.kind, ns: ref.ns, name: ref.name },
      version,
      file,
      manifestSha256: sha256(bytes),
    },
    item,
    version: value,
  }
}

async function readBlob(
  store: BlobStore,
  file: string,
  entry: { size: number; sha256: string },
  what = 'the test set',
  pullHint = 'pull the benchmark first (agora pull benchmarks/…), or point AGORA_STORE_DIR at a store holding it',
): Promise<Uint8Array> {
  if (entry.size > MAX_TABLE_BYTES) {
    throw new AgoraError('qa/test-set-too-large', `${file} is ${entry.size} bytes`, {
      hint: 'evaluate sets this large on a QA runner',
    })
  }
  let stream: AsyncIterable<Buffer>
  try {
    stream = (await store.get(entry.sha256)) as AsyncIterable<Buffer>
  } catch (cause) {
    throw new AgoraError(
      'qa/missing-blob',
      `${what} ${file} (sha256 ${entry.sha256}) is not in the blob store`,
      {
        hint: pullHint,
        cause,
      },
    )
  }
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk)
  const bytes = Buffer.concat(chunks)
  if (sha256(bytes) !== entry.sha256) {
    throw new AgoraError(
      'qa/hash-mismatch',
      `the stored bytes of ${file} do not hash to ${entry.sha256}`,
      {
        hint: 'the blob store is damaged; fetch the blob again',
      },
    )
  }
  return bytes
}

/**
 * Reads a benchmark version's contract and labelled test set (from the blob
 * store, hash-checked) and the item version being scored, then scores the
 * predictions. Prediction problems come back as issues with file and line;
 * a missing item, version, contract or blob throws.
 *
 * @example
 * const { value, issues } = await runEvaluation({ root, store, item, benchmark, predictions })
 * value?.evaluation.metrics // { ef1: 11, bedroc20: 0.71, auroc: 0.93 }
 */
export async function runEvaluation(
  options: EvalRunOptions,
): Promise<{ value: EvalRun | undefined; issues: Issue[] }> {
  const fs = options.fs ?? nodeFs
  const bench = await pinVersion(fs, options.root, options.benchmark)
  if (bench.item.kind !== 'benchmark') {
    throw new AgoraError(
      'qa/not-a-benchmark',
      `${formatRef(options.benchmark)} is not a benchmark`,
      {
        hint: 'pass --benchmark benchmarks/ns/name',
      },
    )
  }
  const item = await pinVersion(fs, options.root, options.item)
  const version = bench.version as unknown as BenchmarkVersion
  const contract = version.evaluation
  if (!contract) {
    throw new AgoraError(
      'qa/no-contract',
      `${formatRef(options.benchmark)}@${bench.pinned.version} has no evaluation contract`,
      {
        hint: 'the benchmark owners add an evaluation block to the version (docs/evaluation.md)',
        file: bench.pinned.file,
      },
    )
  }
  const entry = (version.files ?? []).find((f) => f.path === contract.test_set)
  if (!entry) {
    throw new AgoraError(
      'qa/no-test-set',
      `the test set ${contract.test_set} is not among the version's files`,
      {
        hint: 'list it under files with its size and sha256',
        file: bench.pinned.file,
      },
    )
  }
  const testBytes = await readBlob(options.store, contract.test_set, entry)
  const testFile = `${bench.pinned.file.replace(/\/versions\/[^/]+$/, '')}@${bench.pinned.version}:${contract.test_set}`
  const testText = Buffer.from(testBytes).toString('utf8')
  let predictions = options.predictions
  let inference: InferenceReport | undefined
  let batchLatenciesMs: number[] | undefined
  let only: string[] | undefined
  const runnerSpec = (item.version as { runner?: { use: string } }).runner
  if (options.run && runnerSpec) {
    const made = await predictWithCommandRunner({
      root: options.root,
      fs,
      store: options.store,
      run: options.run,
      item: item.pinned,
      itemDoc: item.item,
      version: item.version as unknown as ModelVersion,
      bench: bench.pinned,
      contract,
      testSet: { entry, text: testText, bytes: testBytes },
    })
    predictions = made.predictions
    inference = made.report
    batchLatenciesMs = made.latencies
  } else if (options.run) {
    if (!options.run.runtime) {
      throw new AgoraError('qa/no-inference', `${formatRef(options.item)} has no runner block`, {
        hint: 'this run can use command runners only; the version declares runner: { use: … } (docs/runners.md)',
        file: item.pinned.file,
      })
    }
    const made = await predictWithModel({
      store: options.store,
      runtime: options.run.runtime,
      item: item.pinned,
      kind: item.item.kind,
      version: item.version as unknown as ModelVersion,
      contract,
      testSet: { file: testFile, text: testText },
    })
    predictions = made.predictions
    inference = made.report
    batchLatenciesMs = made.latencies
    only = made.tasks
  }
  if (!predictions) {
    throw new AgoraError('qa/no-predictions', 'nothing to score: no predictions and no run', {
      hint: 'pass --predictions FILE, or --run for a model with an inference block',
    })
  }
  const predictionsText = new TextDecoder('utf-8', { fatal: false }).decode(predictions.bytes)
  const { value, issues } = evaluatePredictions({
    benchmark: bench.item as unknown as BenchmarkItem,
    contract,
    testSet: { file: testFile, text: testText },
    predictions: { file: predictions.file, text: predictionsText },
    ...(only ? { only } : {}),
  })
  if (!value) return { value: undefined, issues }
  const b = options.benchmark
  return {
    value: {
      evaluation: value,
      benchmark: { ...bench.pinned, item: bench.item as unknown as BenchmarkItem, contract },
      item: item.pinned,
      testSetSha256: entry.sha256,
      predictionsSha256: sha256(predictions.bytes),
      resultPath: `registry/${itemDir(options.item)}/results/${b.ns}/${b.name}.yaml`,
      ...(inference ? { inference } : {}),
      ...(batchLatenciesMs ? { batchLatenciesMs } : {}),
      ...(options.run && runnerSpec ? { predictionsText } : {}),
    },
    issues,
  }
}

function csvCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/**
 * Runs the item version's model over the test set as its inference block
 * says (featurise every row, run in large batches) and writes the scores as
 * a predictions CSV in the contract's columns, so they are scored, hashed
 * and checked exactly as a submitted file is.
 */
async function predictWithModel(o: {
  store: BlobStore
  runtime: ModelRuntime
  item: PinnedItemVersion
  kind: unknown
  version: ModelVersion
  contract: EvaluationContract
  testSet: { file: string; text: string }
}): Promise<{
  predictions: { file: string; bytes: Uint8Array }
  report: InferenceReport
  latencies: number[]
  tasks: string[]
}> {
  const shown = `${formatRef(o.item.ref)}@${o.item.version}`
  const spec = o.version.inference
  if (o.kind !== 'model' || !spec) {
    throw new AgoraError('qa/no-inference', `${shown} has no inference block`, {
      hint: 'a model version declares how to run it under inference: (docs/evaluation.md); without one, score a predictions file',
      file: o.item.file,
    })
  }
  for (const t of spec.tasks) {
    if (!o.contract.tasks.some((c) => c.name === t.name)) {
      throw new AgoraError(
        'qa/unknown-task',
        `the inference block scores task "${t.name}", which the benchmark does not define`,
        {
          hint: `the benchmark's tasks are ${o.contract.tasks.map((c) => c.name).join(', ')}`,
          file: o.item.file,
        },
      )
    }
  }
  const entry = (o.version.files ?? []).find((f: FileEntry) => f.path === spec.file)
  if (!entry) {
    throw new AgoraError(
      'qa/no-model-file',
      `the model ${spec.file} is not among the version's files`,
      {
        hint: 'inference.file names a path listed under files',
        file: o.item.file,
      },
    )
  }
  const modelFile = `${o.item.file.replace(/\/versions\/[^/]+$/, '')}@${o.item.version}:${spec.file}`
  const bytes = await readBlob(
    o.store,
    spec.file,
    entry,
    'the model',
    `pull the model first (agora pull ${formatRef(o.item.ref)}), or point AGORA_STORE_DIR at a store holding it`,
  )
  const loadStart = performance.now()
  const session = await o.runtime.load(bytes, modelFile)
  const loadMs = performance.now() - loadStart
  try {
    const table = readTable(o.testSet.text, 'csv', o.testSet.file)
    if (!table.value) {
      throw new AgoraError('qa/bad-table', `${o.testSet.file} does not read as CSV`, {
        hint: 'the benchmark version is broken; report it to its owners',
        file: o.testSet.file,
      })
    }
    const featStart = performance.now()
    const matrix = featurize(table.value, spec.features, o.testSet.file)
    const featurisationMs = performance.now() - featStart
    const { scores, latencies, batchSize } = await runModel(session, spec, matrix, modelFile)
    const columns = spec.tasks.map((t) => {
      const task = o.contract.tasks.find((c) => c.name === t.name)
      return task?.prediction ?? task?.label ?? t.name
    })
    const idColumn = o.contract.predictions.id_column ?? o.contract.id_column
    const lines = [[idColumn, ...columns].map(csvCell).join(',')]
    table.value.rows.forEach((row, r) => {
      const id = row.cells[o.contract.id_column]
      const cells = spec.tasks.map((t) => String((scores.get(t.name) as Float64Array)[r]))
      lines.push([csvCell(id === null || id === undefined ? '' : String(id)), ...cells].join(','))
    })
    return {
      predictions: {
        file: `${modelFile} (agora eval --run)`,
        bytes: new TextEncoder().encode(`${lines.join('\n')}\n`),
      },
      report: inferenceReport({
        runner: o.runtime.name,
        modelSha256: entry.sha256,
        rows: matrix.rows,
        batchSize,
        latencies,
        loadMs,
        featurisationMs,
      }),
      latencies,
      tasks: spec.tasks.map((t) => t.name),
    }
  } finally {
    await session.release()
  }
}

/**
 * Streams a blob to a file, hashing on the way (weights can be far larger
 * than memory), and refuses bytes that do not match the manifest.
 */
async function copyBlob(
  store: BlobStore,
  entry: FileEntry,
  to: string,
  what: string,
  pullHint: string,
): Promise<void> {
  let stream: NodeJS.ReadableStream
  try {
    stream = await store.get(entry.sha256)
  } catch (cause) {
    throw new AgoraError(
      'qa/missing-blob',
      `${what} (sha256 ${entry.sha256}) is not in the blob store`,
      {
        hint: pullHint,
        cause,
      },
    )
  }
  const meter = new HashingStream()
  await pipeline(stream, meter, createWriteStream(to, { mode: 0o600 }))
  const got = meter.digest()
  if (got.sha256 !== entry.sha256 || got.size !== entry.size) {
    throw new AgoraError(
      'qa/hash-mismatch',
      `the stored bytes of ${what} do not hash to ${entry.sha256}`,
      {
        hint: 'the blob store is damaged; fetch the blob again',
      },
    )
  }
}

/** Limits of a command runner run unless agora.yaml sets its own. */
const RUNNER_DEFAULTS = { timeoutS: 600, idleS: 120, batchSize: 8, maxNewTokens: 32 }

/**
 * Runs the item version with the hub's command runner its `runner` block
 * names (docs/runners.md): every file of the version (and of a LoRA's base
 * model) and the test set are copied, hash-checked, into a private folder,
 * the job spec is written beside them, and the runner's predictions file
 * comes back to be scored like a submitted one. The command comes from
 * agora.yaml only, and runs only when the caller allowed it.
 */
async function predictWithCommandRunner(o: {
  root: string
  fs: Pick<typeof nodeFs, 'readFile'>
  store: BlobStore
  run: NonNullable<EvalRunOptions['run']>
  item: PinnedItemVersion
  itemDoc: Record<string, unknown>
  version: ModelVersion
  bench: PinnedItemVersion
  contract: EvaluationContract
  testSet: { entry: FileEntry; text: string; bytes: Uint8Array }
}): Promise<{
  predictions: { file: string; bytes: Uint8Array }
  report: InferenceReport
  latencies: number[]
}> {
  const shown = `${formatRef(o.item.ref)}@${o.item.version}`
  const spec = o.version.runner as NonNullable<ModelVersion['runner']>
  const config = o.run.runners?.[spec.use]
  if (!config) {
    const known = Object.keys(o.run.runners ?? {})
    throw new AgoraError(
      'qa/unknown-runner',
      `${shown} names the runner "${spec.use}", which this hub does not define`,
      {
        hint:
          known.length > 0
            ? `runners in registry/agora.yaml qa.command_runners: ${known.join(', ')}`
            : 'the hub defines command runners under qa.command_runners in registry/agora.yaml',
        file: o.item.file,
      },
    )
  }
  if (!o.run.allowRunner) {
    throw new AgoraError(
      'qa/runner-not-allowed',
      `${shown} runs with the command runner "${spec.use}": ${JSON.stringify(config.command)}`,
      {
        hint: "that runs a program from this checkout's registry/agora.yaml on your machine; pass --allow-runner to run it",
        file: o.item.file,
      },
    )
  }
  const dir = await nodeFs.mkdtemp(join(tmpdir(), 'agora-runner-'))
  try {
    const copy = async (files: readonly FileEntry[], sub: string, what: string, pull: string) => {
      await nodeFs.mkdir(join(dir, sub), { recursive: true })
      const out: RunnerFile[] = []
      for (const f of files) {
        if (f.url) continue
        // Named by hash: a manifest path never decides where a file lands here.
        const local = join(dir, sub, f.sha256)
        await copyBlob(
          o.store,
          f,
          local,
          `${what} ${f.path}`,
          `pull ${pull} first (agora pull ${pull}), or point AGORA_STORE_DIR at a store holding it`,
        )
        out.push({ path: f.path, local_path: local, sha256: f.sha256, size: f.size })
      }
      return out
    }
    const mode = o.run.mode ?? 'item'
    const files = await copy(o.version.files ?? [], 'item', `${shown}:`, formatRef(o.item.ref))
    let base: RunnerJob['base']
    if (o.itemDoc.kind === 'lora') {
      const text = typeof o.itemDoc.base_model === 'string' ? o.itemDoc.base_model : ''
      const ref = parseRef(text, 'model')
      if (!ref || text.startsWith('hf:')) {
        throw new AgoraError(
          'qa/no-base-model',
          `${shown} names no base model of this hub (base_model: ${JSON.stringify(o.itemDoc.base_model ?? null)})`,
          {
            hint: 'a LoRA run needs base_model set to a model of this registry (ns/name), pinned with base_model_revision',
            file: o.item.file,
          },
        )
      }
      const revision =
        typeof o.itemDoc.base_model_revision === 'string'
          ? o.itemDoc.base_model_revision
          : ref.version
      const pinned = await pinVersion(o.fs, o.root, {
        ...ref,
        ...(revision ? { version: revision } : {}),
      })
      const baseVersion = pinned.version as unknown as ModelVersion
      base = {
        item: `${kindPlural(pinned.pinned.ref.kind)}/${pinned.pinned.ref.ns}/${pinned.pinned.ref.name}`,
        version: pinned.pinned.version,
        files: await copy(
          baseVersion.files ?? [],
          'base',
          'the base model file',
          formatRef(pinned.pinned.ref),
        ),
      }
    } else if (mode === 'base') {
      throw new AgoraError(
        'qa/no-base-model',
        `${shown} is not a LoRA: it has no base model to compare with`,
        {
          hint: 'the latency comparison runs LoRAs only',
        },
      )
    }
    const testLocal = join(dir, 'test-set')
    await nodeFs.writeFile(testLocal, o.testSet.bytes)
    const promptSuite = o.contract.prompt !== undefined
    let total: number
    if (promptSuite) total = o.testSet.text.split('\n').filter((l) => l.trim() !== '').length
    else total = readTable(o.testSet.text, 'csv', o.contract.test_set).value?.rows.length ?? 0
    const output = join(dir, promptSuite ? 'predictions.jsonl' : 'predictions.csv')
    const job: RunnerJob = {
      schema: 'agora-runner-job/1',
      item: `${kindPlural(o.item.ref.kind)}/${o.item.ref.ns}/${o.item.ref.name}`,
      version: o.item.version,
      mode,
      files,
      ...(base ? { base } : {}),
      benchmark: {
        item: `benchmarks/${o.bench.ref.ns}/${o.bench.ref.name}`,
        version: o.bench.version,
        format: promptSuite ? 'prompt-suite' : 'table',
        test_set: {
          path: o.contract.test_set,
          local_path: testLocal,
          sha256: o.testSet.entry.sha256,
          size: o.testSet.entry.size,
        },
        id_column: o.contract.id_column,
        ...(promptSuite ? { prompt_key: o.contract.prompt as string } : {}),
      },
      output: { path: output, format: promptSuite ? 'jsonl' : 'csv' },
      batch_size: spec.batch_size ?? RUNNER_DEFAULTS.batchSize,
      device: config.device ?? 'cpu',
      max_new_tokens: spec.max_new_tokens ?? RUNNER_DEFAULTS.maxNewTokens,
      timeouts: {
        total_s: config.timeout_s ?? RUNNER_DEFAULTS.timeoutS,
        idle_s: config.idle_timeout_s ?? RUNNER_DEFAULTS.idleS,
      },
    }
    const began = performance.now()
    const ran = await runCommandRunner({
      command: config.command,
      job,
      jobPath: join(dir, 'job.json'),
      total,
      cwd: o.root,
    })
    const wall = performance.now() - began
    const bytes = await readRunnerOutput(output, MAX_TABLE_BYTES, spec.use)
    const latencies = ran.latencies.map((l) => l.ms)
    const runMs = latencies.reduce((a, b) => a + b, 0)
    return {
      predictions: { file: `${shown} (runner ${spec.use})`, bytes },
      report: inferenceReport({
        runner: `command runner ${spec.use}`,
        modelSha256: o.item.manifestSha256,
        rows: total,
        batchSize: job.batch_size,
        latencies: latencies.length > 0 ? latencies : [wall],
        // Start-up and loading: the run's wall time less what the batches took.
        loadMs: Math.max(0, wall - runMs),
        featurisationMs: 0,
      }),
      latencies,
    }
  } finally {
    await nodeFs.rm(dir, { recursive: true, force: true })
  }
}

/**
 * The results document of a run, in the registry's results format, with its
 * provenance: both versions pinned by manifest hash, the test set's and the
 * predictions' hashes, the commit read and the time. Not `verified`: only
 * the hub's QA identity writes that.
 *
 * @example
 * resultDocument(run, { time: new Date(), commit: 'abc…' }).scores
 */
export function resultDocument(
  run: EvalRun,
  context: { time: Date; commit?: string | undefined },
): ResultManifest {
  return {
    benchmark: `benchmarks/${run.benchmark.ref.ns}/${run.benchmark.ref.name}`,
    benchmark_version: run.benchmark.version,
    version: run.item.version,
    scores: run.evaluation.metrics,
    date: context.time.toISOString().slice(0, 10),
    source: { name: 'agora eval' },
    provenance: {
      runner: run.inference?.runner ?? 'predictions',
      benchmark: {
        ref: `benchmarks/${run.benchmark.ref.ns}/${run.benchmark.ref.name}`,
        version: run.benchmark.version,
        manifest_sha256: run.benchmark.manifestSha256,
      },
      test_set_sha256: run.testSetSha256,
      item: {
        ref: `${kindPlural(run.item.ref.kind)}/${run.item.ref.ns}/${run.item.ref.name}`,
        version: run.item.version,
        manifest_sha256: run.item.manifestSha256,
      },
      predictions_sha256: run.predictionsSha256,
      ...(run.inference ? { model_sha256: run.inference.model_sha256 } : {}),
      ...(context.commit ? { commit: context.commit } : {}),
      time: context.time.toISOString(),
    },
  }
}

/**
 * Writes the result YAML (schema header first, as hub documents carry)
 * atomically: a reader sees the old file or the new, never half of one.
 *
 * @example await writeResult(root, run.resultPath, resultDocument(run, { time: new Date() }))
 */
export async function writeResult(
  root: string,
  resultPath: string,
  result: ResultManifest,
): Promise<void> {
  const depth = resultPath.split('/').length - 2
  const header = `# yaml-language-server: $schema=${'../'.repeat(depth)}schemas/result.schema.json\n`
  await writeFileAtomic(join(root, resultPath), header + YAML.stringify(result, { lineWidth: 0 }))
}
