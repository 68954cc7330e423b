import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { isAgoraError } from '#core/errors'
import type { InferenceSpec } from '#core/manifest'
import { encodeDenseOnnx } from '../../scripts/sample/onnx.ts'
import { forwardDense, sampleFingerprint } from '../../scripts/sample/train.ts'
import { onnxRuntime } from './onnx-runtime.ts'
import { readTable } from './read-table.ts'
import { featurize, runModel } from './run-model.ts'

const runtime = onnxRuntime(ort)
const FILE = 'labels.csv'
const table = (text: string) =>
  readTable(text, 'csv', FILE).value as NonNullable<ReturnType<typeof readTable>['value']>
const smilesTable = table('id,smiles,y\na,CCO,1\nb,C1=CC=CC=C1,0\nc,CC(=O)O,1\n')
const morgan = { type: 'morgan', column: 'smiles', radius: 2, bits: 2048 } as const

/** A 2048 → 4 → 2 MLP with small deterministic weights. */
function layers() {
  const w0 = Float32Array.from({ length: 2048 * 4 }, (_, i) => ((i * 37) % 101) / 500 - 0.1)
  const w1 = Float32Array.from({ length: 4 * 2 }, (_, i) => (i % 3) - 1 + 0.25)
  return [
    { inputs: 2048, outputs: 4, weights: w0, bias: Float32Array.from([0.1, -0.2, 0.05, 0]) },
    { inputs: 4, outputs: 2, weights: w1, bias: Float32Array.from([0.3, -0.1]) },
  ]
}
const spec: InferenceSpec = {
  runtime: 'onnx',
  file: 'model.onnx',
  input: 'X',
  features: morgan,
  output: 'Y',
  tasks: [
    { name: 'a', index: 0 },
    { name: 'b', index: 1 },
  ],
}

async function errorOf(p: Promise<unknown> | (() => unknown)) {
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (error) {
    if (isAgoraError(error)) return error
    throw error
  }
  throw new Error('expected an AgoraError')
}

describe('core/qa/run-model featurize', () => {
  it('sets the fingerprint bits of each SMILES, one row each', () => {
    const m = featurize(smilesTable, morgan, FILE)
    expect([m.rows, m.width, m.data.length]).toEqual([3, 2048, 3 * 2048])
    const on = Array.from(m.data.subarray(0, 2048).entries())
      .filter(([, v]) => v === 1)
      .map(([i]) => i)
    expect(on).toEqual(sampleFingerprint('CCO'))
    expect(m.data.every((v) => v === 0 || v === 1)).toBe(true)
  })

  it('reads numeric columns in the declared order', () => {
    const m = featurize(
      table('id,x,y\na,1.5,2\nb,-3,4e1\n'),
      { type: 'columns', columns: ['y', 'x'] },
      FILE,
    )
    expect(Array.from(m.data)).toEqual([2, 1.5, 40, -3])
  })

  it('names the file and line of a SMILES that does not parse', async () => {
    const e = await errorOf(() => featurize(table('id,smiles\na,CCO\nb,c1ccnc1\n'), morgan, FILE))
    expect([e.code, e.file, e.line]).toEqual(['qa/bad-smiles', FILE, 3])
    expect(e.message).toContain('no Kekulé structure')
    expect(e.hint).toMatch(/\[nH\]/)
  })

  it('reads aromatic SMILES, and with aromaticity gives every spelling the same row', () => {
    // o-Cresol: both Kekulé structures and the aromatic form.
    const cresol = table('id,smiles\na,CC1=CC=CC=C1O\nb,CC1=C(O)C=CC=C1\nc,Cc1ccccc1O\n')
    const rows = (m: ReturnType<typeof featurize>) =>
      [0, 1, 2].map((r) => Array.from(m.data.subarray(r * 2048, (r + 1) * 2048)).join(''))
    const plain = rows(featurize(cresol, morgan, FILE))
    expect(plain[0]).not.toBe(plain[1])
    const [a, b, c] = rows(featurize(cresol, { ...morgan, aromaticity: true }, FILE))
    expect(b).toBe(a)
    expect(c).toBe(a)
  })

  it('refuses a missing column and a non-numeric cell', async () => {
    const missing = await errorOf(() =>
      featurize(smilesTable, { ...morgan, column: 'canonical' }, FILE),
    )
    expect(missing.code).toBe('qa/missing-column')
    expect(missing.message).toContain('"canonical"')
    const text = await errorOf(() =>
      featurize(table('id,x\na,1\nb,high\n'), { type: 'columns', columns: ['x'] }, FILE),
    )
    expect([text.code, text.line]).toEqual(['qa/not-numeric', 3])
  })
})

describe('core/qa/run-model runModel', () => {
  it('runs in batches and matches a plain forward pass to 1e-6', async () => {
    const l = layers()
    const session = await runtime.load(encodeDenseOnnx({ name: 't', layers: l }), 'model.onnx')
    const matrix = featurize(smilesTable, morgan, FILE)
    for (const batch of [undefined, 2]) {
      const { scores, latencies, batchSize } = await runModel(
        session,
        { ...spec, ...(batch ? { batch_size: batch } : {}) },
        matrix,
        'model.onnx',
      )
      expect(latencies).toHaveLength(batch ? 2 : 1)
      expect(batchSize).toBe(batch ?? 3)
      ;['CCO', 'C1=CC=CC=C1', 'CC(=O)O'].forEach((s, r) => {
        const want = forwardDense(l, sampleFingerprint(s))
        expect(Math.abs((scores.get('a')?.[r] as number) - (want[0] as number))).toBeLessThan(1e-6)
        expect(Math.abs((scores.get('b')?.[r] as number) - (want[1] as number))).toBeLessThan(1e-6)
      })
    }
    await session.release()
  })

  it('refuses a model whose input or output names or width differ from the manifest', async () => {
    const session = await runtime.load(
      encodeDenseOnnx({ name: 't', layers: layers() }),
      'model.onnx',
    )
    const matrix = featurize(smilesTable, morgan, FILE)
    const name = await errorOf(
      runModel(session, { ...spec, input: 'fingerprints' }, matrix, 'model.onnx'),
    )
    expect(name.code).toBe('qa/model-mismatch')
    expect(name.message).toBe('model.onnx has no input "fingerprints" (its inputs: X)')
    const width = await errorOf(
      runModel(
        session,
        spec,
        featurize(smilesTable, { ...morgan, bits: 1024 }, FILE),
        'model.onnx',
      ),
    )
    expect(width.message).toBe(
      'model.onnx: input X has shape [N, 2048], but the inference block makes 1024 features a row',
    )
    const output = await errorOf(
      runModel(session, { ...spec, output: 'probs' }, matrix, 'model.onnx'),
    )
    expect(output.message).toBe('model.onnx has no output "probs" (its outputs: Y)')
    const column = await errorOf(
      runModel(session, { ...spec, tasks: [{ name: 'a', index: 5 }] }, matrix, 'model.onnx'),
    )
    expect(column.message).toBe('task a reads output column 5, but Y has 2')
    await session.release()
  })

  it('reports a file onnxruntime cannot load', async () => {
    const e = await errorOf(runtime.load(new TextEncoder().encode('not an onnx model'), 'm.onnx'))
    expect(e.code).toBe('qa/model-load')
    expect(e.message).toMatch(/^onnxruntime cannot load m\.onnx: /)
    expect(e.hint).toMatch(/ONNX model/)
    const truncated = encodeDenseOnnx({ name: 't', layers: layers() }).subarray(0, 5000)
    expect((await errorOf(runtime.load(truncated, 'm.onnx'))).code).toBe('qa/model-load')
  })
})
