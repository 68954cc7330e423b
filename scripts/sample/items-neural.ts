import type { CollectionItem } from '#core/manifest'
import { defineItem, type SampleItemDef } from './build.ts'
import { bibtex } from './card.ts'
import { type NeuralNetwork, neuralModelFiles, parameterCount } from './neural.ts'

const MNIST: NeuralNetwork = {
  name: 'MnistConvNet',
  input: [28, 28, 1],
  layers: [
    { type: 'Conv2D', filters: 16, kernel: 3, activation: 'relu' },
    { type: 'MaxPooling2D', pool: 2 },
    { type: 'Conv2D', filters: 32, kernel: 3, activation: 'relu' },
    { type: 'MaxPooling2D', pool: 2 },
    { type: 'GlobalAveragePooling2D' },
    { type: 'Dense', units: 64, activation: 'relu' },
    { type: 'Dropout', rate: 0.3 },
    { type: 'Output', units: 10, activation: 'softmax' },
  ],
  loss: 'sparse_categorical_crossentropy',
  optimizer: 'Adam(learning_rate=0.001)',
  metrics: ['accuracy'],
  train: { epochs: 12, batch_size: 64, validation_split: 0.1 },
}

const MNIST_BN: NeuralNetwork = {
  ...MNIST,
  layers: [
    { type: 'Conv2D', filters: 16, kernel: 3, activation: 'relu' },
    { type: 'BatchNormalization' },
    { type: 'MaxPooling2D', pool: 2 },
    { type: 'Conv2D', filters: 32, kernel: 3, activation: 'relu' },
    { type: 'BatchNormalization' },
    { type: 'MaxPooling2D', pool: 2 },
    { type: 'GlobalAveragePooling2D' },
    { type: 'Dense', units: 64, activation: 'relu' },
    { type: 'Dropout', rate: 0.3 },
    { type: 'Output', units: 10, activation: 'softmax' },
  ],
}

const FASHION: NeuralNetwork = {
  ...MNIST_BN,
  name: 'FashionConvNet',
  train: { epochs: 20, batch_size: 64, validation_split: 0.1 },
}

const CIFAR: NeuralNetwork = {
  name: 'Cifar10ConvNet',
  input: [32, 32, 3],
  layers: [
    { type: 'Conv2D', filters: 32, kernel: 3, activation: 'relu', padding: 'same' },
    { type: 'BatchNormalization' },
    { type: 'MaxPooling2D', pool: 2 },
    { type: 'Conv2D', filters: 64, kernel: 3, activation: 'relu', padding: 'same' },
    { type: 'BatchNormalization' },
    { type: 'MaxPooling2D', pool: 2 },
    { type: 'GlobalAveragePooling2D' },
    { type: 'Dense', units: 128, activation: 'relu' },
    { type: 'Dropout', rate: 0.5 },
    { type: 'Output', units: 10, activation: 'softmax' },
  ],
  loss: 'sparse_categorical_crossentropy',
  optimizer: 'Adam(learning_rate=0.0005)',
  metrics: ['accuracy'],
  train: { epochs: 40, batch_size: 128, validation_split: 0.1 },
}

const SENTIMENT: NeuralNetwork = {
  name: 'SentimentLSTM',
  input: [200],
  layers: [
    { type: 'Embedding', inputDim: 2000, outputDim: 32 },
    { type: 'LSTM', units: 32 },
    { type: 'Dropout', rate: 0.4 },
    { type: 'Output', units: 1, activation: 'sigmoid' },
  ],
  loss: 'binary_crossentropy',
  optimizer: 'Adam(learning_rate=0.001)',
  metrics: ['accuracy'],
  train: { epochs: 8, batch_size: 32, validation_split: 0.2 },
}

const TOX_MLP: NeuralNetwork = {
  name: 'Tox21MLP',
  input: [1024],
  layers: [
    { type: 'Dense', units: 48, activation: 'relu' },
    { type: 'Dropout', rate: 0.25 },
    { type: 'Dense', units: 48, activation: 'relu' },
    { type: 'Output', units: 12, activation: 'sigmoid' },
  ],
  loss: 'binary_crossentropy',
  optimizer: 'Adam(learning_rate=0.001)',
  metrics: ['auc'],
  train: { epochs: 30, batch_size: 64, validation_split: 0.1 },
}

const NEURAL_BASE = {
  kind: 'model' as const,
  owners: ['neuralzoo'],
  domain: 'neural-dsl',
  library_name: 'neural-dsl',
  links: {
    docs: 'https://neural-dsl.example.org/docs',
    code: 'https://code.example.org/neuralzoo/models',
  },
}

const compileNote =
  'Compile the source with the Neural CLI (`neural compile mnist_convnet.neural --backend tensorflow`) and load the exported weights; tensor names follow Keras layer naming (`conv2d_1.kernel`).'

/**
 * Neural DSL models and the hub's curated collections.
 *
 * @example neuralItems().find((d) => d.item.id === 'neuralzoo/mnist-convnet')
 */
export function neuralItems(): SampleItemDef[] {
  const items: SampleItemDef[] = [
    defineItem(
      {
        ...NEURAL_BASE,
        id: 'neuralzoo/mnist-convnet',
        title: 'MNIST ConvNet (Neural DSL)',
        summary:
          'A two-block convolutional classifier for handwritten digits, written in 14 lines of Neural DSL.',
        tags: ['neural-dsl', 'mnist', 'cnn', 'image-classification'],
        license: 'MIT',
        pipeline_tag: 'image-classification',
        datasets: ['hf:ylecun/mnist'],
        citation: bibtex(
          'neuralzoo2025mnist',
          'MNIST ConvNet in Neural DSL',
          'Neural DSL Model Zoo',
          2025,
          'http://127.0.0.1:4321/models/neuralzoo/mnist-convnet',
        ),
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-01-05',
            changelog: 'First release.',
            parameters: parameterCount(MNIST),
            metrics: [{ name: 'accuracy', value: 98.9, dataset: 'hf:ylecun/mnist', split: 'test' }],
          },
          files: neuralModelFiles(MNIST, 'mnist_convnet', 'nz:mnist:1.0.0', 'F32'),
        },
        {
          manifest: {
            version: '1.1.0',
            released: '2025-03-02',
            changelog: 'Batch normalisation after each convolution.',
            parameters: parameterCount(MNIST_BN),
            metrics: [{ name: 'accuracy', value: 99.2, dataset: 'hf:ylecun/mnist', split: 'test' }],
          },
          files: neuralModelFiles(MNIST_BN, 'mnist_convnet', 'nz:mnist:1.1.0', 'F32'),
        },
      ],
      {
        about:
          'The hello-world of the zoo: source and weights side by side, so the shapes in the weights file can be checked against the DSL.',
        usage: compileNote,
        limitations: 'Sample weights are random; re-train with `neural run` for real accuracy.',
      },
    ),
    defineItem(
      {
        ...NEURAL_BASE,
        id: 'neuralzoo/fashion-mnist-convnet',
        title: 'Fashion-MNIST ConvNet (Neural DSL)',
        summary: 'The MNIST ConvNet forked and re-trained for Fashion-MNIST clothing classes.',
        tags: ['neural-dsl', 'fashion-mnist', 'cnn'],
        license: 'MIT',
        pipeline_tag: 'image-classification',
        forked_from: 'neuralzoo/mnist-convnet',
        datasets: ['hf:zalando-datasets/fashion_mnist'],
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-03-10',
            changelog: 'Forked from mnist-convnet 1.1.0; 20 epochs.',
            parameters: parameterCount(FASHION),
            metrics: [{ name: 'accuracy', value: 91.4, split: 'test' }],
          },
          files: neuralModelFiles(FASHION, 'fashion_convnet', 'nz:fashion', 'F32'),
        },
      ],
      {
        about: 'Same architecture as its parent, longer training.',
        usage: compileNote,
        limitations: 'Sample weights are random.',
      },
    ),
    defineItem(
      {
        ...NEURAL_BASE,
        id: 'neuralzoo/cifar10-convnet',
        title: 'CIFAR-10 ConvNet (Neural DSL)',
        summary: 'A compact ConvNet with batch norm for CIFAR-10, about 30k parameters.',
        tags: ['neural-dsl', 'cifar10', 'cnn'],
        license: 'Apache-2.0',
        pipeline_tag: 'image-classification',
        domain: 'vision',
        datasets: ['hf:uoft-cs/cifar10'],
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-02-12',
            changelog: 'First release.',
            parameters: parameterCount(CIFAR),
            metrics: [
              { name: 'accuracy', value: 78.3, dataset: 'hf:uoft-cs/cifar10', split: 'test' },
            ],
          },
          files: neuralModelFiles(CIFAR, 'cifar10_convnet', 'nz:cifar', 'F32'),
        },
      ],
      {
        about: 'Padding "same" keeps spatial size through each convolution.',
        usage: compileNote,
        limitations: 'Sample weights are random.',
      },
    ),
    defineItem(
      {
        ...NEURAL_BASE,
        id: 'neuralzoo/sentiment-lstm',
        title: 'Sentiment LSTM (Neural DSL)',
        summary: 'Binary review sentiment with an embedding and a single LSTM layer.',
        tags: ['neural-dsl', 'lstm', 'sentiment', 'text-classification'],
        license: 'MIT',
        pipeline_tag: 'text-classification',
        language: ['en'],
        datasets: ['hf:stanfordnlp/imdb'],
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-02-25',
            changelog: 'First release.',
            parameters: parameterCount(SENTIMENT),
            metrics: [
              { name: 'accuracy', value: 86.1, dataset: 'hf:stanfordnlp/imdb', split: 'test' },
            ],
          },
          files: neuralModelFiles(SENTIMENT, 'sentiment_lstm', 'nz:sentiment', 'F16'),
        },
      ],
      {
        about: 'Vocabulary of 2,000 tokens, sequences of 200.',
        usage: compileNote,
        limitations: 'Sample weights are random; no tokenizer is shipped.',
      },
    ),
    defineItem(
      {
        ...NEURAL_BASE,
        id: 'neuralzoo/tox21-mlp',
        title: 'Tox21 MLP (Neural DSL)',
        summary:
          'A fingerprint MLP for the 12 Tox21 endpoints, written in Neural DSL: the zoo meets drug discovery.',
        tags: ['neural-dsl', 'tox21', 'toxicity', 'mlp'],
        license: 'MIT',
        pipeline_tag: 'tabular-classification',
        datasets: ['datasets/moleval/tox21-mini'],
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-07-28',
            changelog: 'First release.',
            parameters: parameterCount(TOX_MLP),
            metrics: [
              {
                name: 'tox21_mean_auroc',
                value: 0.74,
                dataset: 'datasets/moleval/tox21-mini',
                split: 'test',
              },
            ],
          },
          files: neuralModelFiles(TOX_MLP, 'tox21_mlp', 'nz:tox21', 'F16'),
        },
      ],
      {
        about: 'Input is a 1024-bit ECFP4 fingerprint; twelve sigmoid outputs, one per endpoint.',
        usage: compileNote,
        limitations: 'Sample weights are random.',
      },
      [
        {
          benchmark: 'benchmarks/moleval/admet-suite',
          benchmark_version: '1.0.0',
          version: '1.0.0',
          scores: { tox21_mean_auroc: 0.74 },
          date: '2025-07-30',
          source: { name: 'self-reported', user: 'neuralzoo' },
          verified: false,
        },
      ],
    ),
  ]
  items.push(...collections())
  return items
}

function collection(
  item: Omit<CollectionItem, 'kind' | 'owners' | 'license'>,
  about: string,
): SampleItemDef {
  return defineItem({ kind: 'collection', owners: ['curators'], license: 'CC0-1.0', ...item }, [], {
    about: `${about}\n\n${item.items.map((e) => `- \`${e.ref}\`${e.note ? `: ${e.note}` : ''}`).join('\n')}`,
    limitations: 'A curated list; each item keeps its own licence and pricing.',
  })
}

function collections(): SampleItemDef[] {
  return [
    collection(
      {
        id: 'curators/admet-starter-kit',
        title: 'ADMET starter kit',
        summary:
          'Everything to profile a compound set for toxicity and ADMET: data, models, a benchmark and a ready pipeline.',
        tags: ['admet', 'toxicity', 'starter-kit'],
        domain: 'drug-discovery',
        items: [
          { ref: 'datasets/moleval/tox21-mini@2.0.0', note: 'training data with a fixed split' },
          { ref: 'datasets/moleval/herg-inhibition' },
          { ref: 'openchem-lab/admet-multitask', note: 'one model, six endpoints' },
          { ref: 'aiko-tanaka/herg-blocker-clf' },
          { ref: 'benchmarks/moleval/admet-suite', note: 'compare your model here' },
          { ref: 'pipelines/moleval/toxicity-profiling' },
        ],
      },
      'Start here if you are new to ADMET modelling.',
    ),
    collection(
      {
        id: 'curators/docking-toolkit',
        title: 'Docking toolkit',
        summary:
          'Receptors, configs, decoy sets, a fast GNN pre-filter and the enrichment benchmark for structure-based screening.',
        tags: ['docking', 'virtual-screening'],
        domain: 'drug-discovery',
        items: [
          { ref: 'openchem-lab/vina-kinase-configs' },
          { ref: 'openchem-lab/dockscore-gnn@1.2.0', note: 'pin 1.2.0: 1.1.0 was yanked' },
          { ref: 'datasets/openchem-lab/egfr-dude-mini' },
          { ref: 'datasets/openchem-lab/kinase-pockets' },
          { ref: 'benchmarks/moleval/docking-enrichment' },
          { ref: 'pipelines/openchem-lab/hit-identification' },
        ],
      },
      'A structure-based screening stack built from open items.',
    ),
    collection(
      {
        id: 'curators/legal-loras',
        title: 'Legal LoRAs',
        summary:
          'Adapters for contract review, case-law summaries, GDPR checks and legal entity extraction, with their base models.',
        tags: ['legal', 'lora'],
        domain: 'legal',
        items: [
          { ref: 'loras/lexica-ai/contract-review-mistral-7b', note: 'paid' },
          { ref: 'loras/lexica-ai/case-law-summarizer-llama-3.1-8b', note: 'subscription' },
          { ref: 'loras/lexica-ai/gdpr-compliance-qwen2.5-7b' },
          { ref: 'loras/lexica-ai/legal-ner-phi-3-mini' },
          { ref: 'open-weights/mistral-7b-v0.3' },
          { ref: 'benchmarks/open-evals/contract-clause-qa' },
        ],
      },
      'Legal adapters on open base models.',
    ),
    collection(
      {
        id: 'curators/clinical-nlp',
        title: 'Clinical NLP',
        summary:
          'Medical LoRAs and a full fine-tune, with the synthetic training data and the evaluation they report on.',
        tags: ['medical', 'clinical', 'lora'],
        domain: 'medical',
        items: [
          { ref: 'loras/medtune/clinical-notes-mistral-7b@1.0.1' },
          { ref: 'loras/medtune/radiology-report-llama-3.1-8b' },
          { ref: 'loras/medtune/pubmed-qa-phi-3-mini' },
          { ref: 'loras/medtune/icd10-coder-llama-3.1-8b' },
          { ref: 'medtune/clinical-mistral-7b' },
          { ref: 'datasets/medtune/clinical-vignettes-synthetic' },
          { ref: 'benchmarks/open-evals/clinical-vignettes-eval' },
        ],
      },
      'None of these is a medical device.',
    ),
    collection(
      {
        id: 'curators/neural-dsl-zoo',
        title: 'Neural DSL zoo',
        summary: 'Every Neural DSL model on the hub: vision, text and a Tox21 model.',
        tags: ['neural-dsl'],
        domain: 'neural-dsl',
        items: [
          { ref: 'neuralzoo/mnist-convnet' },
          { ref: 'neuralzoo/fashion-mnist-convnet' },
          { ref: 'neuralzoo/cifar10-convnet' },
          { ref: 'neuralzoo/sentiment-lstm' },
          { ref: 'neuralzoo/tox21-mlp' },
        ],
      },
      'Source and weights side by side.',
    ),
  ]
}
