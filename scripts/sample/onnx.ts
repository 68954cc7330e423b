import { createRng } from './prng.ts'

/** Protocol Buffers wire encoding, just what ONNX's ModelProto needs. */
class Proto {
  private parts: Uint8Array[] = []

  private varint(value: number): void {
    const bytes: number[] = []
    let v = BigInt(value)
    do {
      let byte = Number(v & 0x7fn)
      v >>= 7n
      if (v > 0n) byte |= 0x80
      bytes.push(byte)
    } while (v > 0n)
    this.parts.push(Uint8Array.from(bytes))
  }

  int(field: number, value: number): this {
    this.varint((field << 3) | 0)
    this.varint(value)
    return this
  }

  bytes(field: number, value: Uint8Array): this {
    this.varint((field << 3) | 2)
    this.varint(value.length)
    this.parts.push(value)
    return this
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value))
  }

  message(field: number, value: Proto): this {
    return this.bytes(field, value.finish())
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.parts.reduce((n, p) => n + p.length, 0))
    let at = 0
    for (const p of this.parts) {
      out.set(p, at)
      at += p.length
    }
    return out
  }
}

/** onnx.TensorProto.DataType.FLOAT */
const FLOAT = 1

function valueInfo(name: string, dims: (number | string)[]): Proto {
  const shape = new Proto()
  for (const d of dims)
    shape.message(1, typeof d === 'number' ? new Proto().int(1, d) : new Proto().string(2, d))
  const tensorType = new Proto().int(1, FLOAT).message(2, shape)
  return new Proto().string(1, name).message(2, new Proto().message(1, tensorType))
}

function initializer(name: string, dims: number[], seed: string, std: number): Proto {
  const rng = createRng(`${seed}:${name}`)
  const n = dims.reduce((a, b) => a * b, 1)
  const raw = new Uint8Array(n * 4)
  const view = new DataView(raw.buffer)
  for (let i = 0; i < n; i++) view.setFloat32(i * 4, rng.normal() * std, true)
  const t = new Proto()
  for (const d of dims) t.int(1, d)
  return t.int(2, FLOAT).string(8, name).bytes(9, raw)
}

function node(op: string, inputs: string[], output: string, index = 0): Proto {
  const p = new Proto()
  for (const i of inputs) p.string(1, i)
  return p.string(2, output).string(3, `${op.toLowerCase()}_${index}`).string(4, op)
}

function floatInitializer(name: string, dims: number[], values: Float32Array): Proto {
  const raw = new Uint8Array(values.length * 4)
  const view = new DataView(raw.buffer)
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] as number, true)
  const t = new Proto()
  for (const d of dims) t.int(1, d)
  return t.int(2, FLOAT).string(8, name).bytes(9, raw)
}

/** One dense layer: `weights` row-major [inputs, outputs], `bias` [outputs]. */
export interface DenseLayer {
  inputs: number
  outputs: number
  weights: Float32Array
  bias: Float32Array
}

/**
 * A valid ONNX model (IR 8, opset 17) of a stack of dense layers with
 * trained weights: `MatMul` + `Add` per layer, `Relu` between layers and
 * `Sigmoid` after the last, so `Y` [N, outputs] holds probabilities.
 *
 * @example encodeDenseOnnx({ name: 'herg', layers: [layer] }).length
 */
export function encodeDenseOnnx(o: { name: string; layers: DenseLayer[] }): Uint8Array {
  const graph = new Proto()
  let x = 'X'
  o.layers.forEach((_layer, k) => {
    const last = k === o.layers.length - 1
    graph.message(1, node('MatMul', [x, `W${k}`], `h${k}_mm`, k))
    graph.message(1, node('Add', [`h${k}_mm`, `B${k}`], last ? 'logit' : `h${k}_pre`, k))
    if (!last) graph.message(1, node('Relu', [`h${k}_pre`], `h${k}`, k))
    x = `h${k}`
  })
  graph.message(1, node('Sigmoid', ['logit'], 'Y'))
  graph.string(2, o.name)
  o.layers.forEach((layer, k) => {
    graph.message(5, floatInitializer(`W${k}`, [layer.inputs, layer.outputs], layer.weights))
    graph.message(5, floatInitializer(`B${k}`, [layer.outputs], layer.bias))
  })
  const first = o.layers[0] as DenseLayer
  const lastLayer = o.layers[o.layers.length - 1] as DenseLayer
  graph.message(11, valueInfo('X', ['N', first.inputs]))
  graph.message(12, valueInfo('Y', ['N', lastLayer.outputs]))
  return new Proto()
    .int(1, 8)
    .string(2, 'agora-sample')
    .string(3, '1.0')
    .message(7, graph)
    .message(8, new Proto().string(1, '').int(2, 17))
    .finish()
}

/**
 * A valid ONNX model (IR 8, opset 17) of a logistic regression over
 * `features` inputs: `Y = Sigmoid(MatMul(X, W) + B)`, with W and B as
 * float initializers in `raw_data`. Readable by onnx.load and onnxruntime.
 *
 * @example encodeLogisticRegressionOnnx({ features: 1024, name: 'herg', seed: 's' }).length
 */
export function encodeLogisticRegressionOnnx(o: {
  features: number
  name: string
  seed: string
}): Uint8Array {
  const graph = new Proto()
    .message(1, node('MatMul', ['X', 'W'], 'XW'))
    .message(1, node('Add', ['XW', 'B'], 'logit'))
    .message(1, node('Sigmoid', ['logit'], 'Y'))
    .string(2, o.name)
    .message(5, initializer('W', [o.features, 1], o.seed, 0.05))
    .message(5, initializer('B', [1], o.seed, 0.5))
    .message(11, valueInfo('X', ['N', o.features]))
    .message(12, valueInfo('Y', ['N', 1]))
  return new Proto()
    .int(1, 8)
    .string(2, 'agora-sample')
    .string(3, '1.0')
    .message(7, graph)
    .message(8, new Proto().string(1, '').int(2, 17))
    .finish()
}
