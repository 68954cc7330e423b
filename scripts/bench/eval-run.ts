/**
 * Times `agora eval --run` of an ONNX model (the sample Tox21 + hERG MLP,
 * 2048 → 16 → 13) on a 10,000-row test set of SMILES against the same
 * batched inference loop written directly against onnxruntime-node in the
 * same run: create a session from the model bytes, feed the same float32
 * fingerprint matrix in the same batches, read the output. Featurisation is
 * timed apart (the fingerprint of core/chem for every row). Goal: the
 * command's inference (its batch loop) at most 1.2× the direct loop. The
 * command's whole wall time (read manifests, hash blobs, load, featurise,
 * infer, score 10,000 rows) is printed beside it. The 1-minute load average
 * is printed before and after, since the reference machine is shared.
 *
 *   ./node_modules/.bin/node scripts/bench/eval-run.ts [--rows 10000] [--runs 5] [--batch N]
 */
import { createHash } from 'node:crypto'
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import * as ort from 'onnxruntime-node'
import YAML from 'yaml'
import { featurize, readTable } from '#core/qa'
import { main } from '../agora.ts'
import { captureStream } from '../cli/capture.ts'
import { trainedSampleModels } from '../sample/items-trained.ts'
import { MOLECULES } from '../sample/molecules.ts'
import { encodeDenseOnnx } from '../sample/onnx.ts'

const { values } = parseArgs({
  options: { rows: { type: 'string' }, runs: { type: 'string' }, batch: { type: 'string' } },
})
const rows = Number(values.rows ?? 10_000)
const runs = Number(values.runs ?? 5)
const batch = values.batch ? Number(values.batch) : undefined

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

async function putBlob(store: string, bytes: Uint8Array): Promise<string> {
  const hash = sha256(bytes)
  await mkdir(join(store, 'blobs/sha256', hash.slice(0, 2)), { recursive: true })
  await writeFile(join(store, 'blobs/sha256', hash.slice(0, 2), hash), bytes)
  return hash
}

async function writeYaml(path: string, doc: unknown): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true })
  await writeFile(path, YAML.stringify(doc))
}

const loadBefore = loadavg()[0] as number
const root = await mkdtemp(join(tmpdir(), 'agora-bench-eval-run-'))
const store = join(root, 'store')
await cp(join(repoRoot, 'registry/agora.yaml'), join(root, 'registry/agora.yaml'))

// A test set of `rows` molecules (the sample's, cycled) with a synthetic label.
const lines = ['mol_id,smiles,blocker']
for (let i = 0; i < rows; i++) {
  const m = MOLECULES[i % MOLECULES.length] as (typeof MOLECULES)[number]
  lines.push(`B${String(i).padStart(6, '0')},${m.smiles},${(i * 7919) % 3 === 0 ? 1 : 0}`)
}
const testBytes = new TextEncoder().encode(`${lines.join('\n')}\n`)
const modelBytes = encodeDenseOnnx({ name: 'bench', layers: trainedSampleModels().mlp })
const testHash = await putBlob(store, testBytes)
const modelHash = await putBlob(store, modelBytes)
const bench = join(root, 'registry/benchmarks/be/bench/large')
await writeYaml(join(bench, 'item.yaml'), {
  kind: 'benchmark',
  id: 'bench/large',
  metrics: [{ name: 'auroc', higher_is_better: true }],
  'dist-tags': { latest: '1.0.0' },
})
await writeYaml(join(bench, 'versions/1.0.0.yaml'), {
  version: '1.0.0',
  files: [{ path: 'test.csv', size: testBytes.length, sha256: testHash }],
  evaluation: {
    test_set: 'test.csv',
    id_column: 'mol_id',
    predictions: { format: 'csv' },
    tasks: [{ name: 'herg', label: 'blocker' }],
    metrics: [{ name: 'auroc', function: 'roc_auc' }],
  },
})
const model = join(root, 'registry/models/be/bench/mlp')
await writeYaml(join(model, 'item.yaml'), {
  kind: 'model',
  id: 'bench/mlp',
  'dist-tags': { latest: '1.0.0' },
})
await writeYaml(join(model, 'versions/1.0.0.yaml'), {
  version: '1.0.0',
  files: [{ path: 'model.onnx', size: modelBytes.length, sha256: modelHash }],
  inference: {
    runtime: 'onnx',
    file: 'model.onnx',
    input: 'X',
    features: { type: 'morgan', column: 'smiles', radius: 2, bits: 2048 },
    output: 'Y',
    tasks: [{ name: 'herg', index: 12 }],
    ...(batch ? { batch_size: batch } : {}),
  },
})

async function viaAgora() {
  const stdout = captureStream()
  const stderr = captureStream()
  const start = performance.now()
  const code = await main(['eval', 'bench/mlp', '--benchmark', 'bench/large', '--run', '--json'], {
    cwd: root,
    env: { AGORA_STORE_DIR: store },
    stdout,
    stderr,
    fetch: globalThis.fetch,
  })
  const wall = performance.now() - start
  if (code !== 0) throw new Error(`agora eval exited ${code}: ${stderr.text()}`)
  const out = JSON.parse(stdout.text())
  return { wall, ...out.inference, auroc: out.metrics.auroc as number }
}

/** The floor: the same batches straight into onnxruntime-node. */
async function direct(matrix: { data: Float32Array; width: number }, batchSize: number) {
  const loadStart = performance.now()
  const session = await ort.InferenceSession.create(modelBytes, { executionProviders: ['cpu'] })
  const load = performance.now() - loadStart
  const scores = new Float32Array(rows)
  let infer = 0
  for (let s = 0; s < rows; s += batchSize) {
    const n = Math.min(batchSize, rows - s)
    const t = performance.now()
    const x = new ort.Tensor(
      'float32',
      matrix.data.subarray(s * matrix.width, (s + n) * matrix.width),
      [n, matrix.width],
    )
    const y = (await session.run({ X: x }, ['Y'])).Y as ort.Tensor
    const data = y.data as Float32Array
    for (let r = 0; r < n; r++) scores[s + r] = data[r * 13 + 12] as number
    infer += performance.now() - t
  }
  await session.release()
  return { load, infer, scores }
}

const featStart = performance.now()
const table = readTable(new TextDecoder().decode(testBytes), 'csv', 'test.csv').value
if (!table) throw new Error('test set does not read')
const matrix = featurize(
  table,
  { type: 'morgan', column: 'smiles', radius: 2, bits: 2048 },
  'test.csv',
)
const featDirect = performance.now() - featStart
const batchSize = Math.min(batch ?? 65536, rows)

// One warm-up of each, then alternate.
await viaAgora()
await direct(matrix, batchSize)
const a: Awaited<ReturnType<typeof viaAgora>>[] = []
const d: Awaited<ReturnType<typeof direct>>[] = []
for (let i = 0; i < runs; i++) {
  a.push(await viaAgora())
  d.push(await direct(matrix, batchSize))
}
await rm(root, { recursive: true, force: true })
const loadAfter = loadavg()[0] as number

const ms = (x: number) => `${x.toFixed(1)} ms`
const agoraInfer = median(a.map((r) => r.inference_ms))
const directInfer = median(d.map((r) => r.infer))
const ratio = agoraInfer / directInfer
console.log(
  `rows ${rows}, batch ${batchSize}, runs ${runs}, onnxruntime-node ${ort.env.versions.node}`,
)
console.log(
  `load average (1 min) before ${loadBefore.toFixed(2)}, after ${loadAfter.toFixed(2)}${Math.max(loadBefore, loadAfter) >= 1 ? '  (loaded machine)' : ''}`,
)
console.log(
  `featurisation: agora ${ms(median(a.map((r) => r.featurisation_ms)))}, direct (same function) ${ms(featDirect)}`,
)
console.log(
  `session load: agora ${ms(median(a.map((r) => r.load_ms)))}, direct ${ms(median(d.map((r) => r.load)))}`,
)
console.log(
  `inference: agora ${ms(agoraInfer)} (runs: ${a.map((r) => r.inference_ms.toFixed(1)).join(', ')}), direct ${ms(directInfer)} (runs: ${d.map((r) => r.infer.toFixed(1)).join(', ')})`,
)
console.log(
  `agora latency per batch p50/p95/p99: ${ms(a[0]?.latency_ms.p50)}, ${ms(a[0]?.latency_ms.p95)}, ${ms(a[0]?.latency_ms.p99)}; throughput ${Math.round(median(a.map((r) => r.throughput_rows_per_s)))} rows/s`,
)
console.log(`agora eval --run wall (all steps): ${ms(median(a.map((r) => r.wall)))}`)
console.log(
  `inference agora / direct = ${ratio.toFixed(2)} (goal ≤ 1.2) ${ratio <= 1.2 ? '✔' : '✘'}`,
)
process.exit(ratio <= 1.2 ? 0 : 1)
