import type { InferenceSpec, ResultManifest } from '#core/manifest'
import { defineItem, type SampleItemDef, type SampleVersionDef } from './build.ts'
import { admetTrainingRows, TOX21_TASKS } from './items-chem-data.ts'
import { MEASURED_RESULTS } from './measured.ts'
import { type DenseLayer, encodeDenseOnnx } from './onnx.ts'
import { SAMPLE_FINGERPRINT, sampleFingerprint, trainDense } from './train.ts'

/**
 * The sample models trained here, not stand-ins: a hERG logistic regression
 * and a Tox21 + hERG MLP on the fingerprint of core/chem, written as ONNX.
 * Their results on the ADMET suite are what `agora eval --run` measured
 * (measured.ts), not typed in.
 */

const FEATURES = { type: 'morgan', column: 'smiles', ...SAMPLE_FINGERPRINT } as const
/** Output order of the MLP: the 12 Tox21 endpoints, then hERG. */
const MLP_TASKS = [...TOX21_TASKS, 'herg'] as const

export interface TrainedModels {
  herg: DenseLayer[]
  mlp: DenseLayer[]
  hergRows: number
  mlpRows: number
}

let cached: TrainedModels | undefined

/**
 * Trains both models once per process (a second or two).
 *
 * @example trainedSampleModels().herg[0]?.weights.length // 2048
 */
export function trainedSampleModels(): TrainedModels {
  if (cached) return cached
  const rows = admetTrainingRows()
  const bits = rows.map((r) => sampleFingerprint(r.smiles))
  const herg = rows.map((_, i) => i).filter((i) => rows[i]?.labels[12] !== null)
  cached = {
    herg: trainDense(
      {
        bits: herg.map((i) => bits[i] as number[]),
        labels: herg.map((i) => [rows[i]?.labels[12] ?? null]),
      },
      { inputs: 2048, hidden: [], outputs: 1, steps: 300, rate: 1, l2: 1e-3, seed: 'herg-logreg' },
    ),
    mlp: trainDense(
      { bits, labels: rows.map((r) => r.labels) },
      {
        inputs: 2048,
        hidden: [16],
        outputs: 13,
        steps: 200,
        rate: 0.5,
        l2: 0.1,
        seed: 'admet-mlp',
      },
    ),
    hergRows: herg.length,
    mlpRows: rows.length,
  }
  return cached
}

const parameters = (layers: DenseLayer[]) =>
  layers.reduce((n, l) => n + l.weights.length + l.bias.length, 0)

/** The measured result of an item, or none before the first `agora eval --run --write`. */
function measured(id: string): ResultManifest[] {
  const r = MEASURED_RESULTS[id]
  return r ? [r] : []
}

/** Version 2.0.0 of moleval/herg-logreg-onnx: trained weights and an inference block. */
export function hergLogregVersion(): SampleVersionDef {
  const m = trainedSampleModels()
  const inference: InferenceSpec = {
    runtime: 'onnx',
    file: 'model.onnx',
    input: 'X',
    features: { ...FEATURES },
    output: 'Y',
    tasks: [{ name: 'herg', index: 0 }],
  }
  return {
    manifest: {
      version: '2.0.0',
      released: '2025-09-01',
      changelog:
        'Trained weights (300 full-batch gradient steps, L2 1e-3) on the 2048-bit circular fingerprint of core/chem; declares its inference block for agora eval --run.',
      parameters: parameters(m.herg),
      training_data_size: m.hergRows,
      inference,
    },
    files: [
      { path: 'model.onnx', bytes: encodeDenseOnnx({ name: 'herg_logreg', layers: m.herg }) },
    ],
  }
}

export function hergLogregResults(): ResultManifest[] {
  return measured('moleval/herg-logreg-onnx')
}

/**
 * moleval/admet-mlp-onnx: 2048 → 16 (ReLU) → 13 (sigmoid), Tox21 and hERG.
 *
 * @example trainedItems()[0]?.item.id // 'moleval/admet-mlp-onnx'
 */
export function trainedItems(): SampleItemDef[] {
  const m = trainedSampleModels()
  const inference: InferenceSpec = {
    runtime: 'onnx',
    file: 'model.onnx',
    input: 'X',
    features: { ...FEATURES },
    output: 'Y',
    tasks: MLP_TASKS.map((name, index) => ({ name, index })),
  }
  return [
    defineItem(
      {
        kind: 'model',
        id: 'moleval/admet-mlp-onnx',
        title: 'Tox21 + hERG fingerprint MLP (ONNX)',
        summary:
          'A small multitask MLP on a 2048-bit circular fingerprint: the 12 Tox21 endpoints and hERG block, exported to ONNX.',
        owners: ['moleval'],
        tags: ['tox21', 'herg', 'baseline', 'onnx', 'multitask', 'mlp'],
        domain: 'toxicology',
        license: 'CC-BY-4.0',
        library_name: 'onnx',
        pipeline_tag: 'tabular-classification',
        datasets: ['datasets/moleval/tox21-mini', 'datasets/moleval/herg-inhibition'],
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-09-01',
            changelog: 'First release.',
            parameters: parameters(m.mlp),
            training_data_size: m.mlpRows,
            inference,
          },
          files: [
            { path: 'model.onnx', bytes: encodeDenseOnnx({ name: 'admet_mlp', layers: m.mlp }) },
          ],
        },
      ],
      {
        about:
          "Trained by the sample generator itself (scripts/sample/train.ts): full-batch gradient descent on the masked mean binary cross-entropy with L2 0.1, 200 steps, seeded initialisation, so the weights are the same bytes on every machine. Input `X` is float32 [N, 2048], the radius-2 circular fingerprint of core/chem (not bit-identical to RDKit's Morgan bits); output `Y` is [N, 13]: the Tox21 endpoints in the order of the ADMET suite, then hERG. Its result on the ADMET suite was measured by `agora eval --run`.",
        usage:
          '```bash\nagora eval moleval/admet-mlp-onnx --benchmark moleval/admet-suite --run\n```',
        limitations:
          'Trained on the Tox21-mini train split of synthetic sample labels; the suite scores hERG on the whole hERG set, so its hERG score includes training molecules.',
      },
      measured('moleval/admet-mlp-onnx'),
    ),
  ]
}
