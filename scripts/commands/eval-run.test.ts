import { createHash } from 'node:crypto'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import YAML from 'yaml'
import { evaluatePredictions, readTable } from '#core/qa'
import { validateDocument } from '#core/schema'
import { main } from '../agora.ts'
import { captureStream } from '../cli/capture.ts'
import { sampleArtifacts } from '../gen-sample.ts'
import { trainedSampleModels } from '../sample/items-trained.ts'
import { MEASURED_RESULTS } from '../sample/measured.ts'
import type { DenseLayer } from '../sample/onnx.ts'
import { forwardDense, sampleFingerprint } from '../sample/train.ts'
import { writeArtifactBlobs } from '../sample/write.ts'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const HERG = 'registry/models/mo/moleval/herg-logreg-onnx'
const MLP = 'registry/models/mo/moleval/admet-mlp-onnx'
const SUITE = 'registry/benchmarks/mo/moleval/admet-suite'

let root: string
let env: Record<string, string>

async function run(...argv: string[]) {
  const stdout = captureStream()
  const stderr = captureStream()
  const code = await main(argv, { cwd: root, env, stdout, stderr, fetch: globalThis.fetch })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex')

/** A copy of a model item under another name, its 2.0.0 manifest edited. */
async function variant(
  name: string,
  edit: (version: Record<string, unknown>) => void,
): Promise<void> {
  const dir = join(root, `registry/models/mo/moleval/${name}`)
  await cp(join(root, HERG), dir, { recursive: true })
  const file = join(dir, 'versions/2.0.0.yaml')
  const doc = YAML.parse(await readFile(file, 'utf8'))
  edit(doc)
  await writeFile(file, YAML.stringify(doc))
}

/**
 * The reference: the trained weights' plain JS forward pass over the test
 * set's SMILES, written as a predictions file and scored as any file is.
 */
async function reference(layers: DenseLayer[], tasks: string[]) {
  const manifest = YAML.parse(await readFile(join(root, SUITE, 'versions/1.0.0.yaml'), 'utf8'))
  const entry = manifest.files.find((f: { path: string }) => f.path === 'test_labels.csv')
  const text = await readFile(
    join(env.AGORA_STORE_DIR as string, 'blobs/sha256', entry.sha256.slice(0, 2), entry.sha256),
    'utf8',
  )
  const table = readTable(text, 'csv', 'test_labels.csv').value
  const columns = tasks.map((t) => (t === 'herg' ? 'blocker' : t))
  const lines = [['mol_id', ...columns].join(',')]
  for (const row of table?.rows ?? []) {
    const p = forwardDense(layers, sampleFingerprint(String(row.cells.smiles)))
    lines.push([row.cells.mol_id, ...p.map(String)].join(','))
  }
  const item = YAML.parse(await readFile(join(root, SUITE, 'item.yaml'), 'utf8'))
  const { value } = evaluatePredictions({
    benchmark: item,
    contract: manifest.evaluation,
    testSet: { file: 'test_labels.csv', text },
    predictions: { file: 'reference.csv', text: `${lines.join('\n')}\n` },
    only: tasks,
  })
  return value?.metrics ?? {}
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'agora-eval-run-'))
  for (const p of ['registry/agora.yaml', 'registry/benchmarks/mo/moleval', HERG, MLP])
    await cp(join(repoRoot, p), join(root, p), { recursive: true })
  const store = join(root, 'store')
  await writeArtifactBlobs(
    sampleArtifacts().filter(
      (a) =>
        a.ref.kind === 'benchmark' || ['herg-logreg-onnx', 'admet-mlp-onnx'].includes(a.ref.name),
    ),
    store,
  )
  env = { AGORA_STORE_DIR: store }
  await variant('renamed-input', (v) => {
    ;(v.inference as { input: string }).input = 'fingerprints'
  })
  await variant('wide-input', (v) => {
    ;(v.inference as { features: { bits: number } }).features.bits = 1024
  })
  // A model file that is not ONNX, stored under its real hash.
  const junk = new TextEncoder().encode('<html>404 Not Found</html>\n')
  const hash = sha256(junk)
  await mkdir(join(store, 'blobs/sha256', hash.slice(0, 2)), { recursive: true })
  await writeFile(join(store, 'blobs/sha256', hash.slice(0, 2), hash), junk)
  await variant('not-onnx', (v) => {
    v.files = [{ path: 'model.onnx', size: junk.length, sha256: hash }]
  })
}, 120_000)

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('scripts/commands/eval --run', () => {
  it('runs the trained logistic regression and scores as a plain forward pass does', async () => {
    const result = await run(
      'eval',
      'moleval/herg-logreg-onnx',
      '--benchmark',
      'moleval/admet-suite',
      '--run',
      '--json',
    )
    expect(result.code).toBe(0)
    const out = JSON.parse(result.stdout)
    expect(out.item).toBe('moleval/herg-logreg-onnx@2.0.0')
    expect(Object.keys(out.metrics)).toEqual(['herg_auroc'])
    const want = await reference(trainedSampleModels().herg, ['herg'])
    expect(Math.abs(out.metrics.herg_auroc - (want.herg_auroc as number))).toBeLessThanOrEqual(1e-6)
    expect(out.inference).toMatchObject({
      runner: `onnxruntime-node ${ort.env.versions.node}`,
      rows: 114,
      batches: 1,
      batch_size: 114,
    })
    for (const k of ['load_ms', 'featurisation_ms', 'inference_ms', 'throughput_rows_per_s'])
      expect(out.inference[k]).toBeGreaterThan(0)
    expect(Object.keys(out.inference.latency_ms)).toEqual(['p50', 'p95', 'p99'])
  })

  it('runs the MLP over 13 outputs and leaves out the metric it does not predict', async () => {
    const result = await run(
      'eval',
      'moleval/admet-mlp-onnx',
      '--benchmark',
      'moleval/admet-suite',
      '--run',
      '--json',
    )
    expect(result.code).toBe(0)
    const out = JSON.parse(result.stdout)
    expect(Object.keys(out.metrics).sort()).toEqual(['herg_auroc', 'tox21_mean_auroc'])
    const tasks = YAML.parse(
      await readFile(join(root, MLP, 'versions/1.0.0.yaml'), 'utf8'),
    ).inference.tasks.map((t: { name: string }) => t.name)
    const want = await reference(trainedSampleModels().mlp, tasks)
    for (const [k, v] of Object.entries(want))
      expect(Math.abs(out.metrics[k] - v)).toBeLessThanOrEqual(1e-6)
  })

  it('matches the committed, measured results of the sample models', async () => {
    for (const [id, dir] of [
      ['moleval/herg-logreg-onnx', HERG],
      ['moleval/admet-mlp-onnx', MLP],
    ] as const) {
      const committed = MEASURED_RESULTS[id]
      expect(committed, `${id} has a measured result in scripts/sample/measured.ts`).toBeDefined()
      const text = await readFile(join(repoRoot, dir, 'results/moleval/admet-suite.yaml'), 'utf8')
      expect(YAML.parse(text)).toEqual(committed)
      const result = await run('eval', id, '--benchmark', 'moleval/admet-suite', '--run', '--json')
      const out = JSON.parse(result.stdout)
      for (const [k, v] of Object.entries(committed?.scores ?? {}))
        expect(Math.abs(out.metrics[k] - v)).toBeLessThanOrEqual(1e-6)
      // Pinned to the manifests and model generated now, not to stale ones.
      const version = await readFile(join(root, dir, `versions/${committed?.version}.yaml`))
      expect(committed?.provenance?.item.manifest_sha256).toBe(sha256(version))
      expect(committed?.provenance?.model_sha256).toBe(out.inference.model_sha256)
      expect(committed?.provenance?.runner).toMatch(/^onnxruntime-node /)
      expect(committed?.verified).toBeUndefined()
    }
  })

  it('--write records the runtime and the model hash in the provenance', async () => {
    const result = await run(
      'eval',
      'moleval/herg-logreg-onnx',
      '--benchmark',
      'moleval/admet-suite',
      '--run',
      '--write',
      '--json',
    )
    expect(result.code).toBe(0)
    const path = `${HERG}/results/moleval/admet-suite.yaml`
    const text = await readFile(join(root, path), 'utf8')
    expect(validateDocument('result', Buffer.from(text), path).issues).toEqual([])
    const doc = YAML.parse(text)
    const manifest = YAML.parse(await readFile(join(root, HERG, 'versions/2.0.0.yaml'), 'utf8'))
    expect(doc.provenance).toMatchObject({
      runner: `onnxruntime-node ${ort.env.versions.node}`,
      model_sha256: manifest.files[0].sha256,
      item: { ref: 'models/moleval/herg-logreg-onnx', version: '2.0.0' },
    })
    expect(doc.verified).toBeUndefined()
  })

  it('refuses a model whose input name or width does not match its manifest', async () => {
    const renamed = await run(
      'eval',
      'moleval/renamed-input',
      '--benchmark',
      'moleval/admet-suite',
      '--run',
    )
    expect(renamed.code).toBe(2)
    expect(renamed.stderr).toContain('qa/model-mismatch')
    expect(renamed.stderr).toContain('has no input "fingerprints" (its inputs: X)')
    const wide = await run(
      'eval',
      'moleval/wide-input',
      '--benchmark',
      'moleval/admet-suite',
      '--run',
    )
    expect(wide.code).toBe(2)
    expect(wide.stderr).toContain(
      'input X has shape [N, 2048], but the inference block makes 1024 features a row',
    )
  })

  it('reports a model file that does not load', async () => {
    const result = await run(
      'eval',
      'moleval/not-onnx',
      '--benchmark',
      'moleval/admet-suite',
      '--run',
    )
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('qa/model-load')
    expect(result.stderr).toContain(
      'onnxruntime cannot load registry/models/mo/moleval/not-onnx@2.0.0:model.onnx',
    )
  })

  it('refuses --run for a version without an inference block, and --run with --predictions', async () => {
    const old = await run(
      'eval',
      'moleval/herg-logreg-onnx@1.0.0',
      '--benchmark',
      'moleval/admet-suite',
      '--run',
    )
    expect(old.code).toBe(2)
    expect(old.stderr).toContain('qa/no-inference')
    const both = await run(
      'eval',
      'moleval/herg-logreg-onnx',
      '--benchmark',
      'moleval/admet-suite',
      '--run',
      '--predictions',
      'p.csv',
    )
    expect(both.code).toBe(2)
    expect(both.stderr).toContain('not both')
  })
})
