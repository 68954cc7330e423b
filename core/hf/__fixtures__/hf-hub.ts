import { startTestHub, type TestHub } from '../../client/__fixtures__/test-hub.ts'

/** Bytes of the sample files, by name, so tests can compare what comes back. */
export const FILES = {
  weights: Buffer.alloc(4096, 7),
  config: '{"hidden": 64}',
  newWeights: Buffer.alloc(5000, 9),
  train: 'smiles,label\nCCO,1\n',
  test: 'smiles,label\nc1ccccc1,0\n',
  adapter: '{"r": 8, "base_model_name_or_path": "mistralai/Mistral-7B-v0.3"}',
  adapterWeights: Buffer.alloc(2048, 3),
  clashModel: 'the model',
  clashLora: 'the lora',
}

/**
 * A signed hub holding a model with two versions, a dataset with a folder,
 * a LoRA, a paid model, and a model and a LoRA sharing one Hub id.
 */
export function startHfHub(): Promise<TestHub> {
  return startTestHub(
    {
      'acme/tox-gnn': {
        '1.0.0': { 'model.safetensors': FILES.weights, 'config.json': FILES.config },
        '1.1.0': { 'model.safetensors': FILES.newWeights, 'config.json': FILES.config },
      },
      'datasets/acme/tox21': {
        '2.0.0': { 'data/train.csv': FILES.train, 'data/test.csv': FILES.test },
      },
      'loras/acme/smiles-lora': {
        '0.1.0': {
          'adapter_config.json': FILES.adapter,
          'adapter_model.safetensors': FILES.adapterWeights,
        },
      },
      'acme/paid-gnn': { '1.0.0': { 'config.json': FILES.config } },
      'acme/twin': { '1.0.0': { 'model.txt': FILES.clashModel } },
      'loras/acme/twin': { '1.0.0': { 'lora.txt': FILES.clashLora } },
    },
    {},
    {
      'acme/tox-gnn': {
        library_name: 'pytorch',
        pipeline_tag: 'graph-ml',
        tags: ['chemistry'],
        'dist-tags': { latest: '1.1.0', stable: '1.0.0' },
      },
      'acme/tox-gnn@1.0.0': { released: '2025-01-02' },
      'acme/tox-gnn@1.1.0': { released: '2025-03-04' },
      'loras/acme/smiles-lora': {
        base_model: 'hf:mistralai/Mistral-7B-v0.3',
        base_model_relation: 'adapter',
      },
      'acme/paid-gnn': {
        pricing: { model: 'per-download', price: 5, currency: 'usd', payment_link: 'https://buy.example.org/p' },
      },
      'acme/paid-gnn@1.0.0': {
        files: [
          { path: 'config.json', size: 14, sha256: 'a'.repeat(64) },
          { path: 'weights.safetensors', size: 100, sha256: 'b'.repeat(64), private: true },
        ],
      },
    },
  )
}
