import { createHash } from 'node:crypto'
import * as nodeFs from 'node:fs/promises'
import { join } from 'node:path'
import YAML from 'yaml'
import { AgoraError, type Issue } from '#core/errors'
import type {
  BenchmarkItem,
  BenchmarkVersion,
  EvaluationContract,
  FileEntry,
  ModelVersion,
  ResultManifest,
} from '#core/manifest'
import { formatRef, type ItemRef, type ItemSpec, itemDir, kindPlural } from '#core/registry'
import { type BlobStore, writeFileAtomic } from '#core/storage'
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
  /** Run the item version's model (its `inference` block) instead of reading predictions. */
  run?: { runtime: ModelRuntime }
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
  if (options.run) {
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
