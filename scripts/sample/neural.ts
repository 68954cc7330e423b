import { type GeneratedFile, textFile } from './llm.ts'
import { encodeSafetensors, type TensorSpec } from './safetensors.ts'

/** One layer of a sequential Neural DSL network. */
export type NeuralLayer =
  | { type: 'Conv2D'; filters: number; kernel: number; activation: string; padding?: 'same' }
  | { type: 'MaxPooling2D'; pool: number }
  | { type: 'GlobalAveragePooling2D' }
  | { type: 'BatchNormalization' }
  | { type: 'Flatten' }
  | { type: 'Dense'; units: number; activation: string }
  | { type: 'Dropout'; rate: number }
  | { type: 'Embedding'; inputDim: number; outputDim: number }
  | { type: 'LSTM'; units: number }
  | { type: 'Output'; units: number; activation: string }

export interface NeuralNetwork {
  name: string
  input: number[]
  layers: NeuralLayer[]
  loss: string
  optimizer: string
  metrics: string[]
  train: { epochs: number; batch_size: number; validation_split: number }
}

function renderLayer(l: NeuralLayer): string {
  switch (l.type) {
    case 'Conv2D':
      return `Conv2D(filters=${l.filters}, kernel_size=(${l.kernel},${l.kernel}), activation="${l.activation}"${l.padding ? `, padding="${l.padding}"` : ''})`
    case 'MaxPooling2D':
      return `MaxPooling2D(pool_size=(${l.pool},${l.pool}))`
    case 'Dense':
      return `Dense(units=${l.units}, activation="${l.activation}")`
    case 'Dropout':
      return `Dropout(rate=${l.rate})`
    case 'Embedding':
      return `Embedding(input_dim=${l.inputDim}, output_dim=${l.outputDim})`
    case 'LSTM':
      return `LSTM(units=${l.units}, return_sequences=False)`
    case 'Output':
      return `Output(units=${l.units}, activation="${l.activation}")`
    default:
      return `${l.type}()`
  }
}

/**
 * The `.neural` source of a network in Neural DSL syntax
 * (`network Name { input: … layers: … loss: … optimizer: … train { … } }`).
 *
 * @example renderNeural(net).startsWith('network ') // true
 */
export function renderNeural(net: NeuralNetwork): string {
  const shape = net.input.length === 1 ? `(${net.input[0]},)` : `(${net.input.join(', ')})`
  return [
    `network ${net.name} {`,
    `  input: ${shape}`,
    '  layers:',
    ...net.layers.map((l) => `    ${renderLayer(l)}`),
    '',
    `  loss: "${net.loss}"`,
    `  optimizer: ${net.optimizer}`,
    `  metrics: [${net.metrics.map((m) => `"${m}"`).join(', ')}]`,
    '',
    '  train {',
    `    epochs: ${net.train.epochs}`,
    `    batch_size: ${net.train.batch_size}`,
    `    validation_split: ${net.train.validation_split}`,
    '  }',
    '}',
    '',
  ].join('\n')
}

/**
 * Propagates shapes through the layers (channels-last, Keras semantics) and
 * lists every trainable or stateful tensor with Keras-style names
 * (`conv2d_1.kernel`, `batch_normalization.moving_variance`, …), so the
 * exported weights match the source exactly.
 *
 * @example networkTensors(net).map((t) => t.name)
 */
export function networkTensors(net: NeuralNetwork, dtype: 'F32' | 'F16'): TensorSpec[] {
  let shape = [...net.input]
  const counts = new Map<string, number>()
  const nameOf = (base: string): string => {
    const n = counts.get(base) ?? 0
    counts.set(base, n + 1)
    return n === 0 ? base : `${base}_${n}`
  }
  const tensors: TensorSpec[] = []
  const last = (): number => shape[shape.length - 1] ?? 0
  for (const l of net.layers) {
    switch (l.type) {
      case 'Conv2D': {
        const name = nameOf('conv2d')
        tensors.push({
          name: `${name}.kernel`,
          dtype,
          shape: [l.kernel, l.kernel, last(), l.filters],
          std: 0.1,
        })
        tensors.push({ name: `${name}.bias`, dtype, shape: [l.filters], std: 0.01 })
        const shrink = l.padding === 'same' ? 0 : l.kernel - 1
        shape = [(shape[0] ?? 0) - shrink, (shape[1] ?? 0) - shrink, l.filters]
        break
      }
      case 'MaxPooling2D':
        shape = [Math.floor((shape[0] ?? 0) / l.pool), Math.floor((shape[1] ?? 0) / l.pool), last()]
        break
      case 'GlobalAveragePooling2D':
        shape = [last()]
        break
      case 'Flatten':
        shape = [shape.reduce((a, b) => a * b, 1)]
        break
      case 'BatchNormalization': {
        const name = nameOf('batch_normalization')
        tensors.push({ name: `${name}.gamma`, dtype, shape: [last()], fill: 1 })
        tensors.push({ name: `${name}.beta`, dtype, shape: [last()], fill: 0 })
        tensors.push({ name: `${name}.moving_mean`, dtype, shape: [last()], std: 0.05 })
        tensors.push({ name: `${name}.moving_variance`, dtype, shape: [last()], fill: 1 })
        break
      }
      case 'Dense':
      case 'Output': {
        const name = nameOf(l.type === 'Dense' ? 'dense' : 'output')
        tensors.push({ name: `${name}.kernel`, dtype, shape: [last(), l.units], std: 0.05 })
        tensors.push({ name: `${name}.bias`, dtype, shape: [l.units], std: 0.01 })
        shape = [l.units]
        break
      }
      case 'Dropout':
        break
      case 'Embedding': {
        const name = nameOf('embedding')
        tensors.push({
          name: `${name}.embeddings`,
          dtype,
          shape: [l.inputDim, l.outputDim],
          std: 0.05,
        })
        shape = [shape[0] ?? 0, l.outputDim]
        break
      }
      case 'LSTM': {
        const name = nameOf('lstm')
        tensors.push({ name: `${name}.kernel`, dtype, shape: [last(), 4 * l.units], std: 0.05 })
        tensors.push({
          name: `${name}.recurrent_kernel`,
          dtype,
          shape: [l.units, 4 * l.units],
          std: 0.05,
        })
        tensors.push({ name: `${name}.bias`, dtype, shape: [4 * l.units], std: 0.01 })
        shape = [l.units]
        break
      }
    }
  }
  return tensors
}

/**
 * The files of a Neural DSL model version: the `.neural` source and the
 * exported weights as safetensors, whose metadata names the source file.
 *
 * @example neuralModelFiles(net, 'mnist_convnet', 'seed').map((f) => f.path)
 */
export function neuralModelFiles(
  net: NeuralNetwork,
  stem: string,
  seed: string,
  dtype: 'F32' | 'F16',
): GeneratedFile[] {
  const tensors = networkTensors(net, dtype)
  const params = tensors.reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0)
  return [
    textFile(`${stem}.neural`, renderNeural(net)),
    {
      path: `${stem}.safetensors`,
      bytes: encodeSafetensors(tensors, {
        seed,
        metadata: {
          format: 'neural-dsl',
          source: `${stem}.neural`,
          network: net.name,
          backend: 'tensorflow',
          input_shape: net.input.join(','),
          parameters: String(params),
        },
      }),
    },
  ]
}

/**
 * Number of parameters (elements) of a network's tensors.
 *
 * @example parameterCount(net) // 7562 for the MNIST ConvNet 1.0.0
 */
export function parameterCount(net: NeuralNetwork): number {
  return networkTensors(net, 'F32').reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0)
}
