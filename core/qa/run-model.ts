import { circularFingerprintBits, parseSmiles } from '#core/chem'
import { AgoraError } from '#core/errors'
import type { InferenceFeatures, InferenceSpec } from '#core/manifest'
import { type LatencySummary, latencyPercentiles } from './latency.ts'
import type { ModelRuntime } from './onnx-runtime.ts'
import type { Table } from './read-table.ts'

/** Batches larger than this are split: 65,536 × 2048 float32 is 512 MiB. */
const MAX_BATCH_ROWS = 65536

/** Input rows as one float32 [rows, width] matrix. */
export interface FeatureMatrix {
  data: Float32Array
  rows: number
  width: number
}

/** Timings of one `agora eval --run`: featurisation and inference apart. */
export interface InferenceReport {
  runner: string
  model_sha256: string
  rows: number
  batch_size: number
  batches: number
  /** Session creation. */
  load_ms: number
  featurisation_ms: number
  /** Sum of the batches' run times. */
  inference_ms: number
  /** Per batch. */
  latency_ms: LatencySummary
  /** Rows per second of inference (featurisation not counted). */
  throughput_rows_per_s: number
}

function cellText(v: string | number | boolean | null | undefined): string {
  return v === null || v === undefined ? '' : String(v).trim()
}

function featureWidth(features: InferenceFeatures, file: string): number {
  if (features.type === 'morgan') {
    if (!features.column || features.radius === undefined || !features.bits) {
      throw new AgoraError(
        'qa/bad-inference',
        'a morgan feature spec needs column, radius and bits',
        {
          hint: 'e.g. features: { type: morgan, column: smiles, radius: 2, bits: 2048 }',
          file,
        },
      )
    }
    return features.bits
  }
  if (!features.columns?.length) {
    throw new AgoraError('qa/bad-inference', 'a columns feature spec needs columns', {
      hint: 'e.g. features: { type: columns, columns: [mw, logp] }',
      file,
    })
  }
  return features.columns.length
}

/**
 * Turns every row of a test set into the model's input: the folded
 * circular fingerprint (0/1) of a SMILES column, or numeric columns in
 * order. A SMILES that does not parse or a cell that is not a number
 * throws with the test set's file and line.
 *
 * @example featurize(table, { type: 'morgan', column: 'smiles', radius: 2, bits: 2048 }, 'labels.csv').width // 2048
 */
export function featurize(table: Table, features: InferenceFeatures, file: string): FeatureMatrix {
  const width = featureWidth(features, file)
  const rows = table.rows.length
  const data = new Float32Array(rows * width)
  const needed = features.type === 'morgan' ? [features.column as string] : (features.columns ?? [])
  for (const c of needed) {
    if (!table.columns.includes(c)) {
      throw new AgoraError('qa/missing-column', `the test set has no column "${c}"`, {
        hint: `the model's inference block reads ${needed.join(', ')}; the test set has ${table.columns.join(', ')}`,
        file,
        line: 1,
      })
    }
  }
  table.rows.forEach((row, r) => {
    if (features.type === 'morgan') {
      const smiles = cellText(row.cells[features.column as string])
      let bits: number[]
      try {
        bits = circularFingerprintBits(parseSmiles(smiles), {
          radius: features.radius as number,
          bits: width,
          ...(features.aromaticity ? { aromaticity: true } : {}),
        })
      } catch (cause) {
        throw new AgoraError(
          'qa/bad-smiles',
          `${features.column} ${JSON.stringify(smiles.slice(0, 80))} does not parse: ${cause instanceof Error ? cause.message : String(cause)}`,
          {
            hint: 'write the SMILES in Kekulé or aromatic form from the organic subset and bracket atoms; an aromatic nitrogen with a hydrogen is [nH]',
            file,
            line: row.line,
            cause,
          },
        )
      }
      for (const b of bits) data[r * width + b] = 1
    } else {
      ;(features.columns ?? []).forEach((c, k) => {
        const text = cellText(row.cells[c])
        const n = Number(text)
        if (text === '' || !Number.isFinite(n)) {
          throw new AgoraError(
            'qa/not-numeric',
            `${c} is ${JSON.stringify(text.slice(0, 40))}, not a number`,
            {
              hint: 'every feature column needs a finite number in every row',
              file,
              line: row.line,
            },
          )
        }
        data[r * width + k] = n
      })
    }
  })
  return { data, rows, width }
}

function shapeText(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`
}

/**
 * Runs a loaded model over a feature matrix in large batches (the whole set
 * by default) and returns each task's scores with the batch latencies. The
 * input and output names and the input's width are checked against the
 * model before anything runs.
 *
 * @example const { scores } = await runModel(session, spec, matrix, 'model.onnx')
 */
export async function runModel(
  session: Awaited<ReturnType<ModelRuntime['load']>>,
  spec: InferenceSpec,
  matrix: FeatureMatrix,
  file: string,
): Promise<{ scores: Map<string, Float64Array>; latencies: number[]; batchSize: number }> {
  const input = session.inputs.find((i) => i.name === spec.input)
  if (!input) {
    throw new AgoraError(
      'qa/model-mismatch',
      `${file} has no input "${spec.input}" (its inputs: ${session.inputs.map((i) => i.name).join(', ')})`,
      { hint: 'set inference.input in the version manifest to the graph input name', file },
    )
  }
  if (input.type && input.type !== 'float32') {
    throw new AgoraError(
      'qa/model-mismatch',
      `${file}: input ${spec.input} is ${input.type}, not float32`,
      {
        hint: 'agora eval --run feeds a float32 [rows, features] batch',
        file,
      },
    )
  }
  const shape = input.shape
  if (
    shape &&
    (shape.length !== 2 || (typeof shape[1] === 'number' && shape[1] !== matrix.width))
  ) {
    throw new AgoraError(
      'qa/model-mismatch',
      `${file}: input ${spec.input} has shape ${shapeText(shape)}, but the inference block makes ${matrix.width} features a row`,
      {
        hint: `the model must take [N, ${matrix.width}] (a symbolic batch dimension); fix the features spec or the model`,
        file,
      },
    )
  }
  if (!session.outputs.includes(spec.output)) {
    throw new AgoraError(
      'qa/model-mismatch',
      `${file} has no output "${spec.output}" (its outputs: ${session.outputs.join(', ')})`,
      { hint: 'set inference.output in the version manifest to the graph output name', file },
    )
  }
  const fixedBatch = shape && typeof shape[0] === 'number' ? shape[0] : undefined
  const batchSize = Math.max(
    1,
    Math.min(spec.batch_size ?? MAX_BATCH_ROWS, MAX_BATCH_ROWS, fixedBatch ?? MAX_BATCH_ROWS),
  )
  const scores = new Map(spec.tasks.map((t) => [t.name, new Float64Array(matrix.rows)]))
  const latencies: number[] = []
  for (let start = 0; start < matrix.rows; start += batchSize) {
    const n = Math.min(batchSize, matrix.rows - start)
    const batch = matrix.data.subarray(start * matrix.width, (start + n) * matrix.width)
    const began = performance.now()
    let out: { data: Float32Array; dims: readonly number[] }
    try {
      out = await session.run(spec.input, batch, [n, matrix.width], spec.output)
    } catch (cause) {
      if (cause instanceof AgoraError) throw cause
      const why = cause instanceof Error ? cause.message.split('\n')[0] : String(cause)
      throw new AgoraError(
        'qa/model-run',
        `${file} failed on a [${n}, ${matrix.width}] batch: ${why}`,
        {
          hint: 'check that the inference block matches the graph (input width, output name)',
          file,
          cause,
        },
      )
    }
    latencies.push(performance.now() - began)
    const cols = out.dims.length === 1 ? 1 : (out.dims[1] as number)
    if (out.dims[0] !== n || out.dims.length > 2) {
      throw new AgoraError(
        'qa/model-mismatch',
        `${file}: output ${spec.output} has shape ${shapeText(out.dims)} for ${n} rows`,
        { hint: 'the output must be [rows] or [rows, outputs]', file },
      )
    }
    for (const t of spec.tasks) {
      if (t.index >= cols) {
        throw new AgoraError(
          'qa/model-mismatch',
          `task ${t.name} reads output column ${t.index}, but ${spec.output} has ${cols}`,
          { hint: 'fix inference.tasks[].index', file },
        )
      }
      const target = scores.get(t.name) as Float64Array
      for (let r = 0; r < n; r++) target[start + r] = out.data[r * cols + t.index] as number
    }
  }
  return { scores, latencies, batchSize: Math.min(batchSize, Math.max(matrix.rows, 1)) }
}

/**
 * The report of a run: batch latency percentiles, inference throughput, and
 * featurisation and load time apart.
 *
 * @example inferenceReport({ … }).latency_ms.p50
 */
export function inferenceReport(o: {
  runner: string
  modelSha256: string
  rows: number
  batchSize: number
  latencies: number[]
  loadMs: number
  featurisationMs: number
}): InferenceReport {
  const inferenceMs = o.latencies.reduce((a, b) => a + b, 0)
  return {
    runner: o.runner,
    model_sha256: o.modelSha256,
    rows: o.rows,
    batch_size: o.batchSize,
    batches: o.latencies.length,
    load_ms: o.loadMs,
    featurisation_ms: o.featurisationMs,
    inference_ms: inferenceMs,
    latency_ms: latencyPercentiles(o.latencies),
    throughput_rows_per_s: inferenceMs > 0 ? (o.rows * 1000) / inferenceMs : 0,
  }
}
