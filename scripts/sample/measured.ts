import type { ResultManifest } from '#core/manifest'

/**
 * Results of the trained sample models as `agora eval --run --write` wrote
 * them (scores and provenance), by item id. After retraining, fill the
 * sample blob store, run the command for each item and copy the result
 * here; scripts/commands/eval-run.test.ts fails while they disagree.
 */
export const MEASURED_RESULTS: Record<string, ResultManifest> = {
  'moleval/herg-logreg-onnx': {
    benchmark: 'benchmarks/moleval/admet-suite',
    benchmark_version: '1.0.0',
    version: '2.0.0',
    scores: {
      herg_auroc: 0.9857142857142858,
    },
    date: '2026-12-07',
    source: {
      name: 'agora eval',
    },
    provenance: {
      runner: 'onnxruntime-node 1.31.1',
      benchmark: {
        ref: 'benchmarks/moleval/admet-suite',
        version: '1.0.0',
        manifest_sha256: '993b91a4eeecf72c0a4699d30641b08685494bf822ba3c8691ec3677a457499e',
      },
      test_set_sha256: '5148aaa568836994ce9d0de892632b7be123ef840d92ffb588b7808c85530ab2',
      item: {
        ref: 'models/moleval/herg-logreg-onnx',
        version: '2.0.0',
        manifest_sha256: '37b73bbe87125bfcecbd6837e5cc3f586e63e8aac22802b0a841cbea8367bf60',
      },
      predictions_sha256: '513cb97b19ff67a90769c4c454a2420869e4fb3560a35534770349a8934cdcf7',
      model_sha256: '896e654e33d73a6a66938a56a697f518800cdb1fd0e54427fc5bd407ca381780',
      commit: '6e02c18e7e9e51687fc6a61c3f9d842ea6012912',
      time: '2026-12-07T14:08:09.506Z',
    },
  },
  'moleval/admet-mlp-onnx': {
    benchmark: 'benchmarks/moleval/admet-suite',
    benchmark_version: '1.0.0',
    version: '1.0.0',
    scores: {
      tox21_mean_auroc: 0.6283234126984127,
      herg_auroc: 0.9633928571428572,
    },
    date: '2026-12-07',
    source: {
      name: 'agora eval',
    },
    provenance: {
      runner: 'onnxruntime-node 1.31.1',
      benchmark: {
        ref: 'benchmarks/moleval/admet-suite',
        version: '1.0.0',
        manifest_sha256: '993b91a4eeecf72c0a4699d30641b08685494bf822ba3c8691ec3677a457499e',
      },
      test_set_sha256: '5148aaa568836994ce9d0de892632b7be123ef840d92ffb588b7808c85530ab2',
      item: {
        ref: 'models/moleval/admet-mlp-onnx',
        version: '1.0.0',
        manifest_sha256: '0b673849f440856f889ef1c31cdef984a0dcd7ed571d9b9d2045672c0f2138e8',
      },
      predictions_sha256: '5a92102ecfe6a9ab9e1fd2a2e92bbc8962d14b1838aacbdd5c0ce85fc74daf40',
      model_sha256: '17d0f9f0da75880245f9aaa5846a51fcf9220d9b77a050b6bde13223bdd5d4db',
      commit: '6e02c18e7e9e51687fc6a61c3f9d842ea6012912',
      time: '2026-12-07T14:08:15.587Z',
    },
  },
}
