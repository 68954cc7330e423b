import { stringify } from 'yaml'
import type { AdapterItem, ModelItem, PipelineItem, ResultManifest } from '#core/manifest'
import { defineItem, type SampleItemDef, type SampleVersionDef } from './build.ts'
import { bibtex, type CardText } from './card.ts'
import { pocketPdb } from './chem.ts'
import { connectorSource } from './connectors.ts'
import { TOX21_TASKS } from './items-chem-data.ts'
import { hergLogregResults, hergLogregVersion, trainedItems } from './items-trained.ts'
import { type GeneratedFile, jsonFile, textFile } from './llm.ts'
import { MOLECULES } from './molecules.ts'
import { encodeLogisticRegressionOnnx } from './onnx.ts'
import { encodeSafetensors, type TensorSpec } from './safetensors.ts'
import {
  ATOM_FEATURES,
  gnnTensors,
  mlpTensors,
  SMILES_VOCAB,
  seq2seqTensors,
  vaeTensors,
} from './weights.ts'

function weights(
  path: string,
  tensors: TensorSpec[],
  seed: string,
  metadata: Record<string, string> = {},
): GeneratedFile {
  return {
    path,
    bytes: encodeSafetensors(tensors, { seed, metadata: { format: 'pt', ...metadata } }),
  }
}

function result(
  benchmark: string,
  version: string,
  scores: Record<string, number>,
  date: string,
  verified: boolean,
  user?: string,
): ResultManifest {
  return {
    benchmark,
    benchmark_version: '1.0.0',
    version,
    scores,
    date,
    source: verified ? { name: 'Agora QA' } : { name: 'self-reported', ...(user ? { user } : {}) },
    verified,
  }
}

const ADMET_HEADS = [
  'tox21_sr_mmp',
  'tox21_nr_ahr',
  'herg_block',
  'solubility_logs',
  'cyp3a4_inhibition',
  'ames_mutagenicity',
]

function gnnVersion(
  version: string,
  released: string,
  changelog: string,
  seed: string,
  extra: Partial<SampleVersionDef['manifest']> = {},
  config: Record<string, unknown> = {},
): SampleVersionDef {
  const tensors = gnnTensors({ hidden: 64, layers: 4, tasks: 1, dtype: 'F32' })
  const params = tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0)
  return {
    manifest: { version, released, changelog, parameters: params, ...extra },
    files: [
      weights('model.safetensors', tensors, seed),
      jsonFile('config.json', {
        architecture: 'GINRegressor',
        atom_features: ATOM_FEATURES,
        hidden: 64,
        layers: 4,
        pooling: 'mean+max',
        target: 'vina_score_kcal_mol',
        target_mean: -8.1,
        target_std: 1.4,
        ...config,
      }),
    ],
  }
}

/**
 * Drug-discovery models, connectors and pipelines of the sample hub.
 *
 * @example chemModelItems().filter((d) => d.item.kind === 'adapter').length
 */
export function chemModelItems(): SampleItemDef[] {
  const items: SampleItemDef[] = []
  const dock: ModelItem = {
    kind: 'model',
    id: 'openchem-lab/dockscore-gnn',
    title: 'DockScore-GNN',
    summary:
      'A graph neural network that predicts AutoDock Vina scores from 2D structure in milliseconds, for pre-filtering large libraries before docking.',
    owners: ['openchem-lab'],
    tags: ['docking', 'gnn', 'surrogate', 'virtual-screening', 'vina'],
    domain: 'drug-discovery',
    license: 'MIT',
    library_name: 'pytorch',
    pipeline_tag: 'graph-ml',
    architecture: 'GIN (4 layers, 64 hidden) + MLP readout',
    hardware: { cpu: 'any x86-64 or arm64', memory_gb: 1 },
    datasets: ['datasets/openchem-lab/kinase-affinity', 'datasets/openchem-lab/egfr-dude-mini'],
    links: {
      paper: 'https://openchem-lab.example.org/papers/dockscore-gnn',
      code: 'https://code.example.org/openchem-lab/dockscore-gnn',
    },
    citation: bibtex(
      'beltran2025dockscore',
      'DockScore-GNN: fast surrogates for docking scores',
      'Beltran, M. and Tanaka, A. and Okafor, J.',
      2025,
      'https://openchem-lab.example.org/papers/dockscore-gnn',
    ),
  }
  items.push(
    defineItem(
      dock,
      [
        gnnVersion('1.0.0', '2025-04-10', 'First release.', 'dock:1.0.0', {
          metrics: [{ name: 'rmse', value: 1.02, dataset: 'datasets/openchem-lab/egfr-dude-mini' }],
        }),
        gnnVersion(
          '1.1.0',
          '2025-05-02',
          'Retrained with more kinase poses.',
          'dock:1.1.0',
          {
            metrics: [
              { name: 'rmse', value: 0.91, dataset: 'datasets/openchem-lab/egfr-dude-mini' },
            ],
            status: {
              state: 'yanked',
              reason:
                'config.json shipped the wrong target normalisation (mean −7.1 instead of −8.1), shifting every prediction by 1 kcal/mol. Use 1.2.0.',
              date: '2025-05-09',
            },
          },
          { target_mean: -7.1 },
        ),
        gnnVersion(
          '1.2.0',
          '2025-05-09',
          'Fixes the target normalisation of 1.1.0; same weights otherwise.',
          'dock:1.1.0',
          {
            metrics: [
              { name: 'rmse', value: 0.91, dataset: 'datasets/openchem-lab/egfr-dude-mini' },
              { name: 'pearson_r', value: 0.83, dataset: 'datasets/openchem-lab/egfr-dude-mini' },
            ],
          },
        ),
      ],
      {
        about:
          'Trained to regress Vina scores of docked poses, so it ranks molecules the way docking would at a thousandth of the cost. Use it to pick the top few percent of a library, then dock those for real.',
        usage:
          '```python\nfrom safetensors.torch import load_file\nstate = load_file("model.safetensors")\n# build GINRegressor(**json.load(open("config.json"))) and load_state_dict(state)\n```',
        sections: [
          {
            heading: 'Versions',
            body: '1.1.0 is **yanked**: its config.json de-normalised predictions with the wrong mean. 1.2.0 ships the same weights with the fixed config.',
          },
        ],
        limitations:
          "Learns Vina's biases, including its preference for larger molecules. Not a binding-affinity model. The sample weights are random stand-ins of the right shapes.",
      },
      [
        {
          ...result(
            'benchmarks/moleval/docking-enrichment',
            '1.2.0',
            { ef1: 18.2, bedroc20: 0.61, auroc: 0.87 },
            '2025-05-12',
            true,
          ),
          grade: 'A',
          stability: { runs: 3, rsd_percent: 0 },
          // Earlier versions: 1.2.0's ef1 is 7.1% below 1.1.0's, a regression past the 5% band.
          history: [
            {
              version: '1.0.0',
              scores: { ef1: 12.4, bedroc20: 0.44, auroc: 0.8 },
              date: '2025-04-11',
              grade: 'B',
            },
            {
              version: '1.1.0',
              scores: { ef1: 19.6, bedroc20: 0.62, auroc: 0.88 },
              date: '2025-05-03',
              grade: 'A',
            },
          ],
        },
      ],
    ),
  )

  items.push(
    defineItem(
      {
        kind: 'model',
        id: 'aiko-tanaka/dockscore-gnn-kinase',
        title: 'DockScore-GNN (kinase fine-tune)',
        summary:
          'DockScore-GNN fine-tuned on kinase hinge binders; better early enrichment on kinase targets, worse elsewhere.',
        owners: ['aiko-tanaka'],
        tags: ['docking', 'gnn', 'kinase', 'fine-tune'],
        domain: 'drug-discovery',
        license: 'MIT',
        library_name: 'pytorch',
        pipeline_tag: 'graph-ml',
        base_model: 'openchem-lab/dockscore-gnn',
        base_model_revision: '1.2.0',
        base_model_relation: 'finetune',
        forked_from: 'openchem-lab/dockscore-gnn',
        datasets: ['datasets/openchem-lab/kinase-affinity'],
      },
      [
        gnnVersion(
          '1.0.0',
          '2025-06-03',
          'Fine-tuned from openchem-lab/dockscore-gnn@1.2.0 for 20 epochs on kinase poses.',
          'dock-kinase:1.0.0',
          {},
          { finetuned_from: 'openchem-lab/dockscore-gnn@1.2.0' },
        ),
      ],
      {
        about:
          'A fork of DockScore-GNN with the readout retrained on kinase complexes only. The MIT licence of the original is kept.',
        limitations:
          'Overfits hinge-binding motifs; do not use outside kinases. Sample weights are random stand-ins.',
      },
      [
        result(
          'benchmarks/moleval/docking-enrichment',
          '1.0.0',
          { ef1: 20.0, bedroc20: 0.68, auroc: 0.9 },
          '2025-06-05',
          false,
          'aiko-tanaka',
        ),
      ],
    ),
  )

  const vinaConf = (receptor: string, c: [number, number, number], exhaustiveness: number) =>
    `# AutoDock Vina configuration (sample)\nreceptor = ${receptor}\n\ncenter_x = ${c[0].toFixed(3)}\ncenter_y = ${c[1].toFixed(3)}\ncenter_z = ${c[2].toFixed(3)}\n\nsize_x = 22.0\nsize_y = 22.0\nsize_z = 22.0\n\nexhaustiveness = ${exhaustiveness}\nnum_modes = 9\nenergy_range = 3\nseed = 42\ncpu = 0\n`
  const vinaFiles = (exhaustiveness: number): GeneratedFile[] => [
    textFile('egfr/conf.txt', vinaConf('receptor.pdbqt', [22.0, 0.3, 52.8], exhaustiveness)),
    textFile(
      'egfr/receptor.pdbqt',
      pocketPdb({
        sequence: 'LTSTVQLITQLMPFGCLLDY',
        start: 777,
        chain: 'A',
        center: [22.0, 0.3, 52.8],
        title: 'EGFR receptor (sample pocket)',
        pdbqt: true,
      }),
    ),
    textFile('abl1/conf.txt', vinaConf('receptor.pdbqt', [15.5, 53.9, 16.3], exhaustiveness)),
    textFile(
      'abl1/receptor.pdbqt',
      pocketPdb({
        sequence: 'IITEFMTYGNLLDYLREC',
        start: 313,
        chain: 'A',
        center: [15.5, 53.9, 16.3],
        title: 'ABL1 receptor (sample pocket)',
        pdbqt: true,
      }),
    ),
  ]
  items.push(
    defineItem(
      {
        kind: 'model',
        id: 'openchem-lab/vina-kinase-configs',
        title: 'Vina configs for kinase hinge pockets',
        summary:
          'Validated AutoDock Vina search boxes and prepared receptors for EGFR and ABL1, ready for `vina --config conf.txt --ligand x.pdbqt`.',
        owners: ['openchem-lab'],
        tags: ['docking', 'vina', 'config', 'kinase'],
        domain: 'drug-discovery',
        license: 'CC-BY-4.0',
        library_name: 'vina_config',
        links: { docs: 'https://autodock-vina.readthedocs.io/' },
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-02-01',
            changelog: 'EGFR and ABL1 boxes, exhaustiveness 8.',
          },
          files: vinaFiles(8),
        },
        {
          manifest: {
            version: '1.1.0',
            released: '2025-03-15',
            changelog: 'Exhaustiveness raised to 16 after pose-reproduction tests.',
          },
          files: vinaFiles(16),
        },
      ],
      {
        about:
          'Each target folder holds `conf.txt` (box centre and size in Å around the hinge, search settings) and `receptor.pdbqt`.',
        usage:
          '```bash\ncd egfr && vina --config conf.txt --ligand ligand.pdbqt --out docked.pdbqt\n```',
        limitations:
          'The sample receptors are ideal-helix stand-ins of the hinge segment, not the prepared crystal structures.',
      },
      [
        result(
          'benchmarks/moleval/docking-enrichment',
          '1.1.0',
          { ef1: 14.5, bedroc20: 0.49, auroc: 0.79 },
          '2025-04-02',
          true,
        ),
      ],
    ),
  )

  const admetVersion = (
    version: string,
    released: string,
    changelog: string,
    heads: string[],
    metrics: { name: string; value: number; dataset?: string; split?: string }[],
  ): SampleVersionDef => {
    const tensors = mlpTensors({ input: 1024, hidden: [64, 64], heads, dtype: 'F16' })
    return {
      manifest: {
        version,
        released,
        changelog,
        metrics,
        parameters: tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0),
        training_data_size: 2310,
      },
      files: [
        weights('model.safetensors', tensors, `admet:${version}`, { featurizer: 'ecfp4-1024' }),
        jsonFile('config.json', {
          architecture: 'MultitaskMLP',
          featurizer: { type: 'morgan', radius: 2, n_bits: 1024 },
          hidden: [64, 64],
          dropout: 0.2,
          heads,
        }),
      ],
    }
  }
  items.push(
    defineItem(
      {
        kind: 'model',
        id: 'openchem-lab/admet-multitask',
        title: 'ADMET multitask MLP',
        summary:
          'One fingerprint MLP, six ADMET heads: Tox21 SR-MMP and AhR, hERG block, solubility, CYP3A4 inhibition and Ames mutagenicity.',
        owners: ['openchem-lab'],
        tags: ['admet', 'toxicity', 'multitask', 'fingerprints', 'herg'],
        domain: 'drug-discovery',
        license: 'Apache-2.0',
        library_name: 'pytorch',
        pipeline_tag: 'tabular-classification',
        architecture: 'MLP 1024-64-64 with per-task heads',
        datasets: [
          'datasets/moleval/tox21-mini',
          'datasets/moleval/herg-inhibition',
          'datasets/aiko-tanaka/aqueous-solubility',
        ],
        links: { code: 'https://code.example.org/openchem-lab/admet-multitask' },
      },
      [
        admetVersion(
          '2.0.0',
          '2025-05-20',
          'Rewritten as a multitask model; replaces openchem-lab/admet-baseline.',
          ADMET_HEADS.slice(0, 4),
          [{ name: 'herg_auroc', value: 0.84, dataset: 'datasets/moleval/herg-inhibition' }],
        ),
        admetVersion('2.1.0', '2025-08-02', 'Adds CYP3A4 and Ames heads.', ADMET_HEADS, [
          { name: 'herg_auroc', value: 0.86, dataset: 'datasets/moleval/herg-inhibition' },
          {
            name: 'tox21_mean_auroc',
            value: 0.79,
            dataset: 'datasets/moleval/tox21-mini',
            split: 'test',
          },
        ]),
      ],
      {
        about:
          'A shared trunk over 1024-bit ECFP4 fingerprints feeds one logistic (or linear, for solubility) head per endpoint, so one forward pass gives a full ADMET profile.',
        limitations:
          'Fingerprints ignore stereochemistry and 3D shape. Sample weights are random stand-ins of the right shapes.',
      },
      [
        result(
          'benchmarks/moleval/admet-suite',
          '2.1.0',
          { tox21_mean_auroc: 0.79, herg_auroc: 0.86, solubility_rmse: 0.94 },
          '2025-08-05',
          true,
        ),
      ],
    ),
  )

  items.push(
    defineItem(
      {
        kind: 'model',
        id: 'openchem-lab/admet-baseline',
        title: 'ADMET baseline (logistic regression)',
        summary:
          'Per-endpoint logistic regressions on ECFP4, kept for reproducibility of 2024 results.',
        owners: ['openchem-lab'],
        tags: ['admet', 'baseline', 'logistic-regression'],
        domain: 'drug-discovery',
        license: 'MIT',
        library_name: 'sklearn',
        pipeline_tag: 'tabular-classification',
        status: {
          state: 'deprecated',
          reason: 'Superseded by the multitask model, which is better on every endpoint.',
          replacement: 'openchem-lab/admet-multitask',
          date: '2025-05-20',
        },
      },
      [
        {
          manifest: { version: '0.9.0', released: '2024-09-30', changelog: 'Last release.' },
          files: [
            weights(
              'coefficients.safetensors',
              [
                { name: 'coef', dtype: 'F32', shape: [TOX21_TASKS.length, 1024], std: 0.05 },
                { name: 'intercept', dtype: 'F32', shape: [TOX21_TASKS.length], std: 0.5 },
              ],
              'admet-baseline',
            ),
            jsonFile('config.json', {
              estimator: 'LogisticRegression',
              C: 0.1,
              penalty: 'l2',
              tasks: TOX21_TASKS,
              featurizer: { type: 'morgan', radius: 2, n_bits: 1024 },
            }),
          ],
        },
      ],
      {
        about:
          'Coefficients are stored as safetensors instead of a pickle, so the files are safe to load.',
        limitations: 'Deprecated: use openchem-lab/admet-multitask.',
      },
    ),
  )

  items.push(
    defineItem(
      {
        kind: 'model',
        id: 'aiko-tanaka/herg-blocker-clf',
        title: 'hERG blocker classifier',
        summary:
          'The ADMET multitask trunk fine-tuned for one job: flagging hERG blockers (IC50 < 10 µM) early in a project.',
        owners: ['aiko-tanaka'],
        tags: ['herg', 'cardiotoxicity', 'classification', 'fine-tune'],
        domain: 'toxicology',
        license: 'Apache-2.0',
        library_name: 'pytorch',
        pipeline_tag: 'tabular-classification',
        base_model: 'openchem-lab/admet-multitask',
        base_model_relation: 'finetune',
        datasets: ['datasets/moleval/herg-inhibition'],
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-08-20',
            changelog: 'First release.',
            metrics: [
              { name: 'herg_auroc', value: 0.89, dataset: 'datasets/moleval/herg-inhibition' },
            ],
          },
          files: [
            weights(
              'model.safetensors',
              mlpTensors({ input: 1024, hidden: [64, 64], heads: ['herg_block'], dtype: 'F16' }),
              'herg-clf',
            ),
            jsonFile('config.json', {
              architecture: 'MultitaskMLP',
              heads: ['herg_block'],
              threshold: 0.42,
            }),
          ],
        },
      ],
      {
        about:
          'Decision threshold tuned for 90% sensitivity: it is meant to catch blockers, accepting false alarms.',
        limitations: 'Trained on a small sample set; confirm with patch-clamp data.',
      },
      [
        result(
          'benchmarks/moleval/admet-suite',
          '1.0.0',
          { herg_auroc: 0.89 },
          '2025-08-22',
          false,
          'aiko-tanaka',
        ),
      ],
    ),
  )

  items.push(
    defineItem(
      {
        kind: 'model',
        id: 'moleval/herg-logreg-onnx',
        title: 'hERG logistic-regression baseline (ONNX)',
        summary:
          "The ADMET suite's reference hERG baseline: logistic regression on a 2048-bit circular fingerprint, exported to ONNX for any runtime.",
        owners: ['moleval'],
        tags: ['herg', 'baseline', 'onnx', 'logistic-regression'],
        domain: 'toxicology',
        license: 'CC-BY-4.0',
        library_name: 'onnx',
        pipeline_tag: 'tabular-classification',
        datasets: ['datasets/moleval/herg-inhibition'],
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-07-15',
            changelog: 'First release.',
            parameters: 1025,
            metrics: [
              { name: 'herg_auroc', value: 0.76, dataset: 'datasets/moleval/herg-inhibition' },
            ],
          },
          files: [
            {
              path: 'model.onnx',
              bytes: encodeLogisticRegressionOnnx({
                features: 1024,
                name: 'herg_logreg',
                seed: 'herg-onnx',
              }),
            },
            jsonFile('featurizer.json', {
              type: 'morgan',
              radius: 2,
              n_bits: 1024,
              use_chirality: false,
              input: 'X',
              output: 'Y',
            }),
          ],
        },
        hergLogregVersion(),
      ],
      {
        about:
          "A three-node ONNX graph, `Sigmoid(MatMul(X, W) + B)`, opset 17. Version 2.0.0 is trained by the sample generator (scripts/sample/train.ts, deterministic): feed a float32 batch `X` of shape [N, 2048], the radius-2 circular fingerprint of core/chem (not bit-identical to RDKit's Morgan bits), and read `Y`, the blocker probability. Version 1.0.0 took 1024-bit ECFP4 and had random weights. Its result on the ADMET suite was measured by `agora eval --run`.",
        usage:
          '```python\nimport onnxruntime as ort\nsess = ort.InferenceSession("model.onnx")\np = sess.run(["Y"], {"X": fingerprints.astype("float32")})[0]\n```',
        limitations:
          'A baseline by design, trained on the Tox21-mini train split of synthetic sample labels; the suite scores hERG on the whole hERG set, so its score includes training molecules.',
      },
      hergLogregResults(),
    ),
  )

  items.push(
    defineItem(
      {
        kind: 'model',
        id: 'openchem-lab/solubility-mpnn',
        title: 'Solubility MPNN',
        summary: 'A small message-passing network regressing aqueous log S from structure.',
        owners: ['openchem-lab'],
        tags: ['solubility', 'esol', 'gnn', 'regression'],
        domain: 'cheminformatics',
        license: 'Apache-2.0',
        library_name: 'pytorch',
        pipeline_tag: 'graph-ml',
        datasets: ['datasets/aiko-tanaka/aqueous-solubility'],
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-02-14',
            changelog: 'First release.',
            metrics: [
              { name: 'rmse', value: 0.71, dataset: 'datasets/aiko-tanaka/aqueous-solubility' },
            ],
          },
          files: [
            weights(
              'model.safetensors',
              gnnTensors({ hidden: 32, layers: 3, tasks: 1, dtype: 'F32' }),
              'sol-mpnn',
            ),
            jsonFile('config.json', {
              architecture: 'GINRegressor',
              atom_features: ATOM_FEATURES,
              hidden: 32,
              layers: 3,
              target: 'logS',
            }),
          ],
        },
      ],
      {
        about: 'Three GIN layers and a mean+max readout.',
        limitations: 'Sample weights are random stand-ins.',
      },
      [
        result(
          'benchmarks/moleval/admet-suite',
          '1.0.0',
          { solubility_rmse: 0.71 },
          '2025-07-16',
          true,
        ),
      ],
    ),
  )

  items.push(
    defineItem(
      {
        kind: 'model',
        id: 'openchem-lab/tox21-gcn',
        title: 'Tox21 GCN',
        summary:
          'Graph convolutional network predicting all 12 Tox21 endpoints with masked multitask loss.',
        owners: ['openchem-lab'],
        tags: ['tox21', 'toxicity', 'gnn', 'multitask'],
        domain: 'toxicology',
        license: 'MIT',
        library_name: 'pytorch',
        pipeline_tag: 'graph-ml',
        datasets: ['datasets/moleval/tox21-mini'],
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-07-20',
            changelog: 'First release.',
            metrics: [
              {
                name: 'tox21_mean_auroc',
                value: 0.77,
                dataset: 'datasets/moleval/tox21-mini',
                split: 'test',
              },
            ],
          },
          files: [
            weights(
              'model.safetensors',
              gnnTensors({ hidden: 64, layers: 3, tasks: TOX21_TASKS.length, dtype: 'F32' }),
              'tox21-gcn',
            ),
            jsonFile('config.json', {
              architecture: 'GINClassifier',
              tasks: TOX21_TASKS,
              hidden: 64,
              layers: 3,
            }),
          ],
        },
      ],
      {
        about: 'Missing labels are masked out of the loss, as in the Tox21 challenge winners.',
        limitations: 'Sample weights are random stand-ins.',
      },
      [
        result(
          'benchmarks/moleval/admet-suite',
          '1.0.0',
          { tox21_mean_auroc: 0.77 },
          '2025-07-22',
          true,
        ),
      ],
    ),
  )

  const retroTensors = seq2seqTensors({
    vocab: SMILES_VOCAB.length,
    d: 64,
    ffn: 128,
    encoder: 1,
    decoder: 1,
    dtype: 'F16',
  })
  const molforgeLicense = {
    license: 'other',
    license_name: 'MolForge Commercial Model Licence 1.0',
    license_link: 'https://molforge.example.com/licence',
  } as const
  items.push(
    defineItem(
      {
        kind: 'model',
        id: 'molforge/retro-transformer',
        title: 'RetroTransformer',
        summary:
          'Single-step retrosynthesis: a SMILES-to-SMILES transformer that proposes reactant sets for a product, ranked by beam search.',
        owners: ['molforge'],
        tags: ['retrosynthesis', 'transformer', 'reactions', 'commercial'],
        domain: 'drug-discovery',
        ...molforgeLicense,
        pricing: {
          model: 'per-download',
          price: 49,
          currency: 'usd',
          // A Stripe test-mode link: the sample checkout takes no real payment.
          payment_link: 'https://buy.stripe.com/test_sampleRetroTransformer',
        },
        library_name: 'pytorch',
        pipeline_tag: 'text2text-generation',
        architecture: 'encoder-decoder transformer over SMILES tokens',
        datasets: ['datasets/molforge/uspto-reactions-sample'],
        hardware: { gpu: 'optional; any CUDA GPU with 4 GB', memory_gb: 4 },
        links: { homepage: 'https://molforge.example.com/retro' },
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-05-10',
            changelog: 'First release.',
            metrics: [{ name: 'top1', value: 48.1 }],
          },
          files: [
            weights('model.safetensors', retroTensors, 'retro:1.0.0'),
            jsonFile('vocab.json', SMILES_VOCAB),
            jsonFile('config.json', {
              d_model: 64,
              nhead: 4,
              dim_feedforward: 128,
              num_encoder_layers: 1,
              num_decoder_layers: 1,
              beam_size: 10,
              max_length: 200,
            }),
          ],
        },
        {
          manifest: {
            version: '1.1.0',
            released: '2025-09-01',
            changelog: 'Augmented SMILES training; +4 points top-1.',
            metrics: [{ name: 'top1', value: 52.3 }],
          },
          files: [
            weights('model.safetensors', retroTensors, 'retro:1.1.0'),
            jsonFile('vocab.json', SMILES_VOCAB),
            jsonFile('config.json', {
              d_model: 64,
              nhead: 4,
              dim_feedforward: 128,
              num_encoder_layers: 1,
              num_decoder_layers: 1,
              beam_size: 10,
              max_length: 200,
              smiles_augmentation: 5,
            }),
          ],
        },
      ],
      {
        about:
          'Tokenises SMILES with the regex of Schwaller et al. and decodes reactants with a beam of 10. A licence token from the licence service unlocks the download.',
        limitations:
          'The production model has 6+6 layers and d_model 512; **the sample files are a scaled-down stand-in** of the same layout. Paid item: files are private.',
      },
      [
        result(
          'benchmarks/moleval/retrosynthesis-topk',
          '1.1.0',
          { top1: 52.3, top5: 78.4, top10: 84.0, validity: 99.1 },
          '2025-09-04',
          true,
        ),
      ],
    ),
  )

  const int8 = retroTensors.map((t) =>
    t.name.endsWith('weight') && t.shape.length === 2
      ? { ...t, dtype: 'I8' as const }
      : { ...t, dtype: 'F32' as const },
  )
  const scales = retroTensors
    .filter((t) => t.name.endsWith('weight') && t.shape.length === 2)
    .map((t) => ({
      name: `${t.name}_scale`,
      dtype: 'F32' as const,
      shape: [t.shape[0] ?? 1],
      std: 0.001,
    }))
  items.push(
    defineItem(
      {
        kind: 'model',
        id: 'molforge/retro-transformer-int8',
        title: 'RetroTransformer (int8)',
        summary:
          'RetroTransformer with int8 per-row weight quantisation: a quarter of the memory, within 1 point of top-1 accuracy.',
        owners: ['molforge'],
        tags: ['retrosynthesis', 'quantized', 'int8', 'commercial'],
        domain: 'drug-discovery',
        ...molforgeLicense,
        pricing: { model: 'per-download', price: 29, currency: 'usd' },
        library_name: 'pytorch',
        pipeline_tag: 'text2text-generation',
        base_model: 'molforge/retro-transformer',
        base_model_revision: '1.1.0',
        base_model_relation: 'quantized',
      },
      [
        {
          manifest: {
            version: '1.1.0',
            released: '2025-09-10',
            changelog: 'Quantised from retro-transformer 1.1.0.',
            metrics: [{ name: 'top1', value: 51.6 }],
          },
          files: [
            weights('model.safetensors', [...int8, ...scales], 'retro-int8', {
              quantization: 'int8-per-row',
            }),
            jsonFile('vocab.json', SMILES_VOCAB),
          ],
        },
      ],
      {
        about:
          'Weights are int8 with one float32 scale per output row; biases and norms stay float32.',
        limitations: 'Scaled-down stand-in files. Paid item.',
      },
      [
        result(
          'benchmarks/moleval/retrosynthesis-topk',
          '1.1.0',
          { top1: 51.6, top5: 77.9, top10: 83.7, validity: 98.9 },
          '2025-09-12',
          true,
        ),
      ],
    ),
  )

  const vaeVocab = SMILES_VOCAB.slice(0, 40)
  items.push(
    defineItem(
      {
        kind: 'model',
        id: 'molforge/molgen-vae',
        title: 'MolGen VAE',
        summary:
          'A SMILES variational autoencoder for scaffold hopping and property-guided generation in a 32-d latent space.',
        owners: ['molforge'],
        tags: ['generative', 'vae', 'de-novo-design', 'smiles', 'commercial'],
        domain: 'drug-discovery',
        ...molforgeLicense,
        pricing: {
          model: 'subscription',
          price: 99,
          currency: 'usd',
          interval: 'month',
          query_limit: 50000,
        },
        library_name: 'pytorch',
        pipeline_tag: 'text-generation',
      },
      [
        {
          manifest: {
            version: '0.9.0',
            released: '2025-03-01',
            changelog: 'Beta.',
            metrics: [
              { name: 'validity', value: 91.2 },
              { name: 'novelty', value: 88.0 },
            ],
          },
          files: [
            weights(
              'model.safetensors',
              vaeTensors({
                vocab: vaeVocab.length,
                embed: 32,
                hidden: 64,
                latent: 32,
                dtype: 'F16',
              }),
              'vae:0.9.0',
            ),
            jsonFile('vocab.json', vaeVocab),
          ],
        },
        {
          manifest: {
            version: '1.0.0',
            released: '2025-06-30',
            changelog: 'Cyclical KL annealing; validity 91% → 96%.',
            metrics: [
              { name: 'validity', value: 96.4 },
              { name: 'novelty', value: 86.5 },
              { name: 'uniqueness', value: 99.2 },
            ],
          },
          files: [
            weights(
              'model.safetensors',
              vaeTensors({
                vocab: vaeVocab.length,
                embed: 32,
                hidden: 64,
                latent: 32,
                dtype: 'F16',
              }),
              'vae:1.0.0',
            ),
            jsonFile('vocab.json', vaeVocab),
            textFile(
              'reference_set.smi',
              MOLECULES.filter((m) => m.group === 'drug')
                .map((m) => `${m.smiles}\t${m.name}\n`)
                .join(''),
            ),
          ],
        },
      ],
      {
        about:
          'Subscription includes 50,000 generated molecules per month through the hosted endpoint and the downloadable weights.',
        limitations:
          'Generates valid but not necessarily synthesisable molecules; pair with RetroTransformer. Sample files are scaled-down stand-ins.',
      },
    ),
  )

  items.push(
    defineItem(
      {
        kind: 'model',
        id: 'molforge/affinity-predictor-pro',
        title: 'Affinity Predictor Pro',
        summary:
          'Protein–ligand affinity model for kinase and GPCR programmes, sold with on-premise deployment and support.',
        owners: ['molforge'],
        tags: ['binding-affinity', 'kinase', 'gpcr', 'enterprise'],
        domain: 'drug-discovery',
        ...molforgeLicense,
        pricing: { model: 'enterprise', contact: 'mailto:sales@molforge.example.com' },
        library_name: 'pytorch',
        pipeline_tag: 'tabular-regression',
        hardware: { gpu: 'NVIDIA A10 or better', gpu_memory_gb: 16, memory_gb: 32 },
      },
      [
        {
          manifest: {
            version: '3.2.0',
            released: '2025-10-01',
            changelog: 'Adds GPCR class A head.',
          },
          files: [
            weights(
              'ligand_tower.safetensors',
              gnnTensors({ hidden: 48, layers: 3, tasks: 32, dtype: 'F16' }),
              'affinity:lig',
            ),
            weights(
              'protein_tower.safetensors',
              mlpTensors({ input: 1280, hidden: [48], heads: ['embedding'], dtype: 'F16' }),
              'affinity:prot',
            ),
            jsonFile('config.json', {
              protein_encoder: 'esm2_t33_650M (embeddings, not included)',
              ligand_encoder: 'GIN',
              fusion: 'bilinear',
              targets: ['kinase', 'gpcr-a'],
            }),
          ],
        },
      ],
      {
        about:
          'Two-tower model: protein language-model embeddings and a ligand GNN fused bilinearly.',
        limitations: 'Enterprise item; sample files are stand-ins.',
      },
    ),
  )

  items.push(...trainedItems(), ...chemAdapters(), ...chemPipelines())
  return items
}

function connectorFiles(
  name: string,
  version: string,
  endpoint: string,
  input: Record<string, unknown>,
  output: Record<string, unknown>,
  example: Record<string, unknown>,
): GeneratedFile[] {
  return [
    jsonFile('connector.json', {
      name,
      version,
      protocol: 'agora-connector/1',
      entry: 'index.mjs',
      endpoint,
    }),
    textFile('index.mjs', connectorSource(name, version)),
    jsonFile('input.schema.json', input),
    jsonFile('output.schema.json', output),
    jsonFile('examples/request.json', example),
  ]
}

const schemaObject = (properties: Record<string, unknown>, required: string[]) => ({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties,
  required,
  additionalProperties: false,
})

function adapterVersion(
  version: string,
  released: string,
  changelog: string,
  files: GeneratedFile[],
  deps: { name: string; version: string }[],
): SampleVersionDef {
  const parse = (path: string): Record<string, unknown> =>
    JSON.parse(new TextDecoder().decode(files.find((f) => f.path === path)?.bytes)) as Record<
      string,
      unknown
    >
  return {
    manifest: {
      version,
      released,
      changelog,
      input_schema: parse('input.schema.json'),
      output_schema: parse('output.schema.json'),
      dependencies: deps,
    },
    files,
  }
}

/** An adapter item whose card shows how to call its connector with the shipped example request. */
function connectorItem(
  item: AdapterItem,
  versions: SampleVersionDef[],
  card: CardText,
): SampleItemDef {
  const last = versions[versions.length - 1]
  const example = last?.files.find((f) => f.path === 'examples/request.json')
  const request = example ? new TextDecoder().decode(example.bytes).trim() : '{}'
  const env = (item.credentials ?? []).map((c) => c.name)
  const usage = [
    '```js',
    "import run from './index.mjs'",
    '',
    `const result = await run(${request}, {`,
    '  fetch,',
    `  env: { ${env.map((name) => `${name}: process.env.${name}`).join(', ')} },`,
    "  writeFile: (path, data) => import('node:fs/promises').then((fs) => fs.writeFile(path, data)),",
    '})',
    '```',
  ].join('\n')
  return defineItem(item, versions, { usage, ...card })
}

function chemAdapters(): SampleItemDef[] {
  const items: SampleItemDef[] = []
  const compoundOut = schemaObject(
    {
      compounds: {
        type: 'array',
        items: schemaObject(
          {
            id: { type: 'string' },
            name: { type: 'string' },
            smiles: { type: 'string' },
            activities: { type: 'array', items: { type: 'object' } },
            properties: { type: 'object' },
          },
          ['id', 'smiles'],
        ),
      },
    },
    ['compounds'],
  )
  const base: Omit<AdapterItem, 'id' | 'title' | 'summary' | 'tags' | 'protocol_version'> = {
    kind: 'adapter',
    owners: ['biodata-connect'],
    domain: 'cheminformatics',
    license: 'Apache-2.0',
    adapter_type: 'api',
  }
  const chemblIn = schemaObject(
    {
      target_chembl_id: { type: 'string', pattern: '^CHEMBL\\d+$' },
      min_pchembl: { type: 'number', default: 6 },
      limit: { type: 'integer', maximum: 10000 },
    },
    ['target_chembl_id'],
  )
  items.push(
    connectorItem(
      {
        ...base,
        id: 'biodata-connect/chembl-connector',
        title: 'ChEMBL activities connector',
        summary:
          'Pulls bioactivities for a target from the ChEMBL web services, page by page, grouped by compound as SMILES + pChEMBL records.',
        tags: ['chembl', 'bioactivity', 'connector', 'rest'],
        protocol_version: '1.2',
        rate_limits: { requests_per_minute: 60, concurrent: 4 },
        credentials: [
          {
            name: 'CHEMBL_BASE_URL',
            description: 'Override for a local ChEMBL mirror.',
            required: false,
          },
        ],
        links: { docs: 'https://chembl.gitbook.io/chembl-interface-documentation/web-services' },
      },
      [
        adapterVersion(
          '1.0.0',
          '2025-01-20',
          'First release.',
          connectorFiles(
            'chembl-connector',
            '1.0.0',
            'https://www.ebi.ac.uk/chembl/api/data/activity.json',
            chemblIn,
            compoundOut,
            { target_chembl_id: 'CHEMBL203', min_pchembl: 7, limit: 500 },
          ),
          [{ name: 'node', version: '>=20.0.0' }],
        ),
        adapterVersion(
          '1.1.0',
          '2025-09-02',
          'Retries 429 and 503 with backoff; honours Retry-After.',
          connectorFiles(
            'chembl-connector',
            '1.1.0',
            'https://www.ebi.ac.uk/chembl/api/data/activity.json',
            chemblIn,
            compoundOut,
            { target_chembl_id: 'CHEMBL203', min_pchembl: 7, limit: 500 },
          ),
          [{ name: 'node', version: '>=20.0.0' }],
        ),
      ],
      {
        about:
          'Maps `activity.json` pages to `{id, name, smiles, activities}` records. CHEMBL203 is EGFR.',
        limitations: 'ChEMBL rate-limits anonymous use; large pulls should use a local mirror.',
      },
    ),
  )
  const pubchemIn = schemaObject(
    {
      query: { type: 'string' },
      namespace: { enum: ['name', 'cid', 'smiles', 'inchikey'] },
      properties: { type: 'array', items: { type: 'string' } },
    },
    ['query', 'namespace'],
  )
  items.push(
    connectorItem(
      {
        ...base,
        id: 'biodata-connect/pubchem-connector',
        title: 'PubChem PUG REST connector',
        summary:
          "Looks up compounds and properties in PubChem by name, CID, SMILES or InChIKey, within PubChem's usage policy.",
        tags: ['pubchem', 'compounds', 'connector', 'rest'],
        protocol_version: '1.0',
        rate_limits: { requests_per_minute: 300, concurrent: 5 },
        links: { docs: 'https://pubchem.ncbi.nlm.nih.gov/docs/pug-rest' },
      },
      [
        adapterVersion(
          '1.0.0',
          '2025-02-11',
          'First release.',
          connectorFiles(
            'pubchem-connector',
            '1.0.0',
            'https://pubchem.ncbi.nlm.nih.gov/rest/pug',
            pubchemIn,
            compoundOut,
            {
              query: 'imatinib',
              namespace: 'name',
              properties: ['CanonicalSMILES', 'MolecularWeight'],
            },
          ),
          [{ name: 'node', version: '>=20.0.0' }],
        ),
      ],
      {
        about:
          "The rate limits declare PubChem's usage policy (at most 5 requests per second, 400 per minute), so the runner throttles calls to stay within it.",
        limitations: 'No bulk download; use PubChem FTP for millions of compounds.',
      },
    ),
  )
  const pdbIn = schemaObject(
    {
      pdb_id: { type: 'string', pattern: '^[0-9][A-Za-z0-9]{3}$' },
      format: { enum: ['pdb', 'cif'] },
    },
    ['pdb_id'],
  )
  items.push(
    connectorItem(
      {
        ...base,
        id: 'biodata-connect/rcsb-pdb-connector',
        title: 'RCSB PDB structure connector',
        summary:
          'Downloads structures and ligand metadata from the RCSB Protein Data Bank by PDB id.',
        tags: ['pdb', 'structures', 'connector'],
        domain: 'structural-biology',
        protocol_version: '1.0',
        rate_limits: { requests_per_minute: 120 },
        links: { docs: 'https://data.rcsb.org/' },
      },
      [
        adapterVersion(
          '1.0.0',
          '2025-03-03',
          'First release.',
          connectorFiles(
            'rcsb-pdb-connector',
            '1.0.0',
            'https://files.rcsb.org/download',
            pdbIn,
            schemaObject(
              { path: { type: 'string' }, ligands: { type: 'array', items: { type: 'string' } } },
              ['path'],
            ),
            { pdb_id: '1M17', format: 'pdb' },
          ),
          [{ name: 'node', version: '>=20.0.0' }],
        ),
      ],
      {
        about: '1M17 is EGFR with erlotinib.',
        limitations: 'mmCIF only for very large assemblies.',
      },
    ),
  )
  items.push(
    connectorItem(
      {
        ...base,
        id: 'biodata-connect/uniprot-connector',
        title: 'UniProt sequence connector',
        summary:
          'Fetches protein sequences and annotations from UniProtKB by accession or gene name.',
        tags: ['uniprot', 'proteins', 'sequences', 'connector'],
        domain: 'structural-biology',
        protocol_version: '1.0',
        rate_limits: { requests_per_minute: 200 },
      },
      [
        adapterVersion(
          '1.0.0',
          '2025-03-03',
          'First release.',
          connectorFiles(
            'uniprot-connector',
            '1.0.0',
            'https://rest.uniprot.org/uniprotkb',
            schemaObject(
              {
                accession: { type: 'string' },
                gene: { type: 'string' },
                organism: { type: 'integer', default: 9606 },
              },
              [],
            ),
            schemaObject({ accession: { type: 'string' }, sequence: { type: 'string' } }, [
              'accession',
              'sequence',
            ]),
            { accession: 'P00533' },
          ),
          [{ name: 'node', version: '>=20.0.0' }],
        ),
      ],
      { about: 'P00533 is human EGFR.', limitations: 'Returns the canonical isoform only.' },
    ),
  )
  items.push(
    connectorItem(
      {
        ...base,
        id: 'biodata-connect/eln-lims-sync',
        title: 'ELN/LIMS registry sync (Benchling-compatible)',
        summary:
          'Syncs registered compounds and assay results between a Benchling-style ELN/LIMS API and Agora pipelines.',
        tags: ['lims', 'eln', 'benchling', 'registry', 'connector'],
        protocol_version: '2.0',
        credentials: [
          {
            name: 'LIMS_TENANT_URL',
            description: 'Base URL of your tenant, e.g. https://acme.benchling.example.com',
            required: true,
          },
          {
            name: 'LIMS_API_KEY',
            description: 'API key of a service account with registry read/write.',
            required: true,
          },
        ],
        rate_limits: { requests_per_minute: 120, requests_per_day: 50000, concurrent: 2 },
      },
      [
        adapterVersion(
          '2.0.0',
          '2025-10-06',
          'Breaking: entity schemas are looked up by name, not id.',
          connectorFiles(
            'eln-lims-sync',
            '2.0.0',
            '{LIMS_TENANT_URL}/api/v2',
            schemaObject(
              {
                registry: { type: 'string', description: 'Registry id, e.g. src_a1b2c3' },
                schema_name: { type: 'string' },
                since: { type: 'string', format: 'date-time' },
              },
              ['registry', 'schema_name'],
            ),
            compoundOut,
            { registry: 'src_a1b2c3', schema_name: 'Compound', since: '2025-10-01T00:00:00Z' },
          ),
          [{ name: 'node', version: '>=20.0.0' }],
        ),
      ],
      {
        about:
          'Writes never delete: new results are appended as new entities and conflicts are reported.',
        limitations:
          'Tested against a mock tenant; check your schema mapping before production use.',
      },
    ),
  )
  items.push(
    connectorItem(
      {
        kind: 'adapter',
        id: 'molforge/docking-suite-bridge',
        title: 'Commercial docking suite bridge (Glide-style)',
        summary:
          'Runs docking jobs on a licensed commercial docking suite (Glide/Maestro-style CLI) from Agora pipelines and returns poses and scores.',
        owners: ['molforge'],
        tags: ['docking', 'commercial', 'bridge', 'hpc'],
        domain: 'drug-discovery',
        license: 'other',
        license_name: 'MolForge Commercial Software Licence',
        license_link: 'https://molforge.example.com/licence-software',
        pricing: { model: 'enterprise', contact: 'mailto:sales@molforge.example.com' },
        adapter_type: 'local',
        protocol_version: '1.0',
        credentials: [
          {
            name: 'SUITE_LICENSE_SERVER',
            description: "host:port of the suite's licence server.",
            required: true,
          },
          {
            name: 'SUITE_INSTALL_DIR',
            description: 'Installation folder of the suite.',
            required: true,
          },
        ],
        rate_limits: { concurrent: 8 },
      },
      [
        adapterVersion(
          '1.0.0',
          '2025-07-07',
          'First release.',
          connectorFiles(
            'docking-suite-bridge',
            '1.0.0',
            'local:$SUITE_INSTALL_DIR/bin/dock',
            schemaObject(
              {
                grid: { type: 'string' },
                ligands_sdf: { type: 'string' },
                precision: { enum: ['HTVS', 'SP', 'XP'] },
              },
              ['grid', 'ligands_sdf'],
            ),
            schemaObject(
              {
                poses_sdf: { type: 'string' },
                scores: { type: 'array', items: { type: 'number' } },
              },
              ['poses_sdf'],
            ),
            { grid: 'egfr_grid.zip', ligands_sdf: 'hits.sdf', precision: 'SP' },
          ),
          [],
        ),
      ],
      {
        about: 'Needs your own licence of the docking suite; the bridge only orchestrates it.',
        limitations: 'Linux only. Enterprise item.',
      },
    ),
  )
  items.push(
    connectorItem(
      {
        kind: 'adapter',
        id: 'molforge/retro-planner-api',
        title: 'Retrosynthesis planner API',
        summary:
          'Hosted multi-step retrosynthesis planning on top of RetroTransformer, billed per query.',
        owners: ['molforge'],
        tags: ['retrosynthesis', 'api', 'planning', 'commercial'],
        domain: 'drug-discovery',
        license: 'other',
        license_name: 'MolForge API Terms',
        license_link: 'https://molforge.example.com/api-terms',
        pricing: { model: 'per-query', price: 0.05, currency: 'usd', query_limit: 10000 },
        adapter_type: 'api',
        protocol_version: '1.0',
        credentials: [
          {
            name: 'MOLFORGE_API_KEY',
            required: true,
            description: 'Issued with your licence token.',
          },
        ],
        rate_limits: { requests_per_minute: 30, requests_per_day: 10000 },
      },
      [
        adapterVersion(
          '1.0.0',
          '2025-09-15',
          'First release.',
          connectorFiles(
            'retro-planner-api',
            '1.0.0',
            'https://api.molforge.example.com/v1/plan',
            schemaObject(
              {
                target_smiles: { type: 'string' },
                max_depth: { type: 'integer', default: 5 },
                stock: { enum: ['emolecules', 'enamine', 'custom'] },
              },
              ['target_smiles'],
            ),
            schemaObject({ routes: { type: 'array', items: { type: 'object' } } }, ['routes']),
            { target_smiles: 'CC(=O)NC1=CC=C(C=C1)O', max_depth: 3 },
          ),
          [{ name: 'node', version: '>=20.0.0' }],
        ),
      ],
      {
        about: 'Each call plans up to 10 routes to purchasable starting materials.',
        limitations: 'Per-query item: $0.05 per plan, up to 10,000 plans a day.',
      },
    ),
  )
  items.push(
    connectorItem(
      {
        kind: 'adapter',
        id: 'openchem-lab/admet-inference-server',
        title: 'ADMET inference server',
        summary:
          'Calls an inference server running openchem-lab/admet-multitask: POST SMILES, get six ADMET predictions back.',
        owners: ['openchem-lab'],
        tags: ['admet', 'serving', 'inference'],
        domain: 'drug-discovery',
        license: 'Apache-2.0',
        adapter_type: 'ml',
        protocol_version: '1.0',
        rate_limits: { concurrent: 16 },
        credentials: [
          {
            name: 'ADMET_SERVER_URL',
            description: 'URL of the /predict endpoint; default http://localhost:8080/predict.',
            required: false,
          },
        ],
        base_model: 'openchem-lab/admet-multitask',
      },
      [
        adapterVersion(
          '1.0.0',
          '2025-08-10',
          'First release.',
          connectorFiles(
            'admet-inference-server',
            '1.0.0',
            'http://localhost:8080/predict',
            schemaObject({ smiles: { type: 'array', items: { type: 'string' }, maxItems: 1000 } }, [
              'smiles',
            ]),
            schemaObject({ predictions: { type: 'array', items: { type: 'object' } } }, [
              'predictions',
            ]),
            { smiles: ['CC(=O)OC1=CC=CC=C1C(=O)O'] },
          ),
          [{ name: 'node', version: '>=20.0.0' }],
        ),
      ],
      {
        about:
          'Run the server next to your pipeline (it loads the model once and batches requests); this adapter is the client the pipeline steps call.',
        limitations: 'CPU only in this release.',
      },
    ),
  )
  return items
}

function pipelineFile(
  steps: { id: string; uses: string; version?: string; config?: Record<string, unknown> }[],
  name: string,
): GeneratedFile {
  return textFile(
    'pipeline.yaml',
    stringify(
      { name, steps: steps.map((s, i) => ({ ...s, needs: i === 0 ? [] : [steps[i - 1]?.id] })) },
      { lineWidth: 0 },
    ),
  )
}

function chemPipelines(): SampleItemDef[] {
  const items: SampleItemDef[] = []
  const hitSteps = (rescoreRange: string) => [
    {
      id: 'fetch',
      uses: 'adapters/biodata-connect/chembl-connector',
      version: '^1.0.0',
      config: { target_chembl_id: 'CHEMBL203', min_pchembl: 5 },
    },
    {
      id: 'prefilter',
      uses: 'openchem-lab/dockscore-gnn',
      version: rescoreRange,
      config: { keep_top_fraction: 0.05 },
    },
    {
      id: 'dock',
      uses: 'openchem-lab/vina-kinase-configs',
      version: '^1.1.0',
      config: { target: 'egfr' },
    },
    {
      id: 'admet',
      uses: 'openchem-lab/admet-multitask',
      version: '^2.0.0',
      config: { drop_if: { herg_block: 0.5 } },
    },
  ]
  const hit: PipelineItem = {
    kind: 'pipeline',
    id: 'openchem-lab/hit-identification',
    title: 'Hit identification for kinase targets',
    summary:
      'From a ChEMBL target to a docked, ADMET-filtered hit list: fetch, GNN pre-filter, Vina docking, ADMET filter.',
    owners: ['openchem-lab'],
    tags: ['virtual-screening', 'docking', 'admet', 'workflow'],
    domain: 'drug-discovery',
    license: 'Apache-2.0',
    use_case: 'Virtual screening of a kinase target to a ranked, ADMET-filtered hit list',
  }
  items.push(
    defineItem(
      hit,
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-05-15',
            changelog: 'First release.',
            steps: hitSteps('~1.0.0'),
            expected_runtime_s: 5400,
            success_rate: 0.92,
          },
          files: [pipelineFile(hitSteps('~1.0.0'), 'hit-identification')],
        },
        {
          manifest: {
            version: '1.1.0',
            released: '2025-08-12',
            changelog: 'Uses DockScore-GNN 1.2 (fixed normalisation) and ADMET multitask 2.x.',
            steps: hitSteps('^1.2.0'),
            expected_runtime_s: 4800,
            success_rate: 0.95,
          },
          files: [pipelineFile(hitSteps('^1.2.0'), 'hit-identification')],
        },
      ],
      {
        about:
          'Each step pins a semver range of a hub item, so the pipeline picks up compatible fixes (such as DockScore-GNN 1.2.0) without surprise breaking changes.',
        limitations:
          'Docking runs on CPU; budget about 1.5 hours per 100k molecules after pre-filtering.',
      },
    ),
  )
  const leadSteps = [
    {
      id: 'generate',
      uses: 'molforge/molgen-vae',
      version: '^1.0.0',
      config: { n: 5000, around: 'seed.smi' },
    },
    { id: 'admet', uses: 'openchem-lab/admet-multitask', version: '^2.1.0' },
    { id: 'affinity', uses: 'molforge/affinity-predictor-pro', version: '^3.0.0' },
    {
      id: 'route',
      uses: 'molforge/retro-transformer',
      version: '^1.1.0',
      config: { beam_size: 10 },
    },
  ]
  items.push(
    defineItem(
      {
        kind: 'pipeline',
        id: 'molforge/lead-optimization',
        title: 'Lead optimisation loop',
        summary:
          'Generate analogues around a lead, filter by ADMET, rank by predicted affinity, and check synthesisability.',
        owners: ['molforge'],
        tags: ['lead-optimization', 'generative', 'workflow', 'commercial'],
        domain: 'drug-discovery',
        license: 'Apache-2.0',
        use_case: 'Analogue generation and prioritisation around a lead series',
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-10-05',
            changelog: 'First release.',
            steps: leadSteps,
            expected_runtime_s: 2700,
            success_rate: 0.88,
          },
          files: [pipelineFile(leadSteps, 'lead-optimization')],
        },
      ],
      {
        about:
          'The pipeline definition is open source; three of its steps are paid items and need licences.',
        limitations:
          'Affinity predictions are only as good as the target class coverage of Affinity Predictor Pro.',
      },
    ),
  )
  const toxSteps = [
    { id: 'tox21', uses: 'openchem-lab/tox21-gcn', version: '^1.0.0' },
    { id: 'herg', uses: 'aiko-tanaka/herg-blocker-clf', version: '^1.0.0' },
    { id: 'admet', uses: 'openchem-lab/admet-multitask', version: '^2.0.0' },
    { id: 'report', uses: 'neuralzoo/tox21-mlp', version: '^1.0.0', config: { consensus: 'mean' } },
  ]
  items.push(
    defineItem(
      {
        kind: 'pipeline',
        id: 'moleval/toxicity-profiling',
        title: 'Toxicity profiling',
        summary:
          'Consensus toxicity profile of a compound set: Tox21 endpoints, hERG liability and general ADMET in one report.',
        owners: ['moleval'],
        tags: ['toxicity', 'herg', 'tox21', 'workflow'],
        domain: 'toxicology',
        license: 'CC-BY-4.0',
        use_case: 'Early safety triage of a compound set',
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-09-20',
            changelog: 'First release.',
            steps: toxSteps,
            expected_runtime_s: 300,
            success_rate: 0.99,
          },
          files: [pipelineFile(toxSteps, 'toxicity-profiling')],
        },
      ],
      {
        about: "Averages four models so no single model's blind spot decides.",
        limitations: 'All four models share training data; consensus overstates confidence.',
      },
    ),
  )
  return items
}
