import { describe, expect, it } from 'vitest'
import type { BlobStore } from '#core/blobs'
import type {
  BenchmarkItem,
  BenchmarkVersion,
  InferenceSpec,
  ItemManifest,
  VersionManifest,
} from '#core/manifest'
import { planQa, type QaBenchmark, type QaTarget, runQa } from './pipeline.ts'

const SHA = 'a'.repeat(64)

function bench(name: string, task: string, contract: boolean): QaBenchmark {
  const version = { version: '1.0.0', files: [] } as BenchmarkVersion
  if (contract)
    version.evaluation = {
      test_set: 'labels.csv',
      id_column: 'id',
      predictions: { format: 'csv' },
      tasks: [{ name: 't', label: 'y' }],
      metrics: [{ name: 'auc', function: 'roc_auc' }],
    }
  return {
    ref: { kind: 'benchmark', ns: 'b', name },
    item: { kind: 'benchmark', id: `b/${name}`, task, metrics: [] } as unknown as BenchmarkItem,
    version,
  }
}

const INFERENCE: InferenceSpec = {
  runtime: 'onnx',
  file: 'model.onnx',
  input: 'X',
  features: { type: 'morgan', column: 'smiles', radius: 2, bits: 2048 },
  output: 'Y',
  tasks: [{ name: 't', index: 0 }],
}

function target(files: string[], tag = 'property-prediction', inference?: InferenceSpec): QaTarget {
  return {
    ref: { kind: 'model', ns: 'acme', name: 'm' },
    item: { kind: 'model', id: 'acme/m', pipeline_tag: tag } as unknown as ItemManifest,
    version: {
      version: '1.1.0',
      files: files.map((path) => ({ path, size: 1, sha256: SHA })),
      ...(inference ? { inference } : {}),
    } as VersionManifest,
  }
}

describe('core/qa/pipeline', () => {
  const benchmarks = [
    bench('admet', 'property-prediction', true),
    bench('draft', 'property-prediction', false),
    bench('docking', 'virtual-screening', true),
  ]

  it('runs a version with a runner block by its runner, and a LoRA on the red-team suite too', () => {
    const model = target(['model.pt'], 'property-prediction')
    ;(model.version as { runner?: { use: string } }).runner = { use: 'torch-gpu' }
    const lora: QaTarget = {
      ref: { kind: 'lora', ns: 'acme', name: 'l' },
      item: { kind: 'lora', id: 'acme/l', base_model: 'acme/m' } as unknown as ItemManifest,
      version: {
        version: '1.0.0',
        files: [],
        runner: { use: 'lora-reference' },
      } as unknown as VersionManifest,
    }
    const all = [...benchmarks, bench('red-team', 'red-teaming', true)]
    const [m, l] = planQa([model, lora], all, { redTeam: 'b/red-team' })
    expect(m?.evaluations[0]).toEqual({
      benchmark: { kind: 'benchmark', ns: 'b', name: 'admet' },
      how: 'runner',
      runner: 'torch-gpu',
    })
    expect(l?.evaluations).toEqual([
      {
        benchmark: { kind: 'benchmark', ns: 'b', name: 'red-team' },
        how: 'runner',
        runner: 'lora-reference',
        redTeam: true,
      },
    ])
    // Without a red-team suite in the registry, the step is recorded as not run.
    expect(planQa([lora], benchmarks, { redTeam: 'b/gone' })[0]?.evaluations).toEqual([
      {
        benchmark: { kind: 'benchmark', ns: 'b', name: 'gone' },
        how: 'not-run',
        reason: 'qa.red_team.benchmark b/gone is not a benchmark of this registry',
      },
    ])
    expect(planQa([lora], all)[0]?.evaluations).toEqual([])
  })

  it('evaluates on the benchmarks that list the item’s task, with the predictions it ships', () => {
    const [entry] = planQa([target(['model.onnx', 'predictions/b/admet.csv'])], benchmarks)
    expect(entry?.evaluations).toEqual([
      {
        benchmark: { kind: 'benchmark', ns: 'b', name: 'admet' },
        how: 'predictions',
        predictions: { path: 'predictions/b/admet.csv', size: 1, sha256: SHA },
      },
      {
        benchmark: { kind: 'benchmark', ns: 'b', name: 'draft' },
        how: 'not-run',
        reason: 'benchmarks/b/draft@1.0.0 has no evaluation contract',
      },
    ])
  })

  it('says why an evaluation is not run', () => {
    const reasons = (files: string[]) =>
      planQa([target(files)], benchmarks)[0]?.evaluations.map((e) =>
        e.how === 'not-run' ? e.reason : e.how,
      )[0]
    expect(reasons(['model.onnx'])).toBe(
      'model.onnx has no inference block to run it by: add an inference block (docs/evaluation.md), or ship predictions/b/admet.csv with the version',
    )
    expect(reasons(['model.safetensors'])).toBe(
      "no runtime on the QA runner for this item's files; ship predictions/b/admet.csv with the version",
    )
    expect(planQa([target(['x.onnx'], 'text-generation')], benchmarks)[0]?.evaluations).toEqual([])
  })

  it('runs a model with an inference block, even when it also ships predictions', () => {
    const runnable = target(['model.onnx', 'predictions/b/admet.csv'], undefined, INFERENCE)
    const [entry] = planQa([runnable], benchmarks)
    expect(entry?.evaluations[0]).toEqual({
      benchmark: { kind: 'benchmark', ns: 'b', name: 'admet' },
      how: 'run',
      inference: INFERENCE,
    })
    // A contract is still needed to score a run.
    expect(entry?.evaluations[1]).toMatchObject({ how: 'not-run' })
  })

  it('records a model run as not run when the QA runner has no runtime for it', async () => {
    const [entry] = planQa([target([], undefined, INFERENCE)], benchmarks.slice(0, 1))
    const [outcome] = await runQa(entry ? [entry] : [], {
      root: '/nonexistent',
      store: {} as BlobStore,
      qa: { identity: 'qa-bot' },
      now: new Date('2026-03-01T00:00:00Z'),
    })
    expect(outcome?.failures).toEqual([])
    expect(outcome?.evaluations).toEqual([
      {
        benchmark: { kind: 'benchmark', ns: 'b', name: 'admet' },
        status: 'not-run',
        reason: 'no onnx runtime on this QA runner',
      },
    ])
  })
})
