import { circularFingerprintBits, parseSmiles } from '#core/chem'
import type { DenseLayer } from './onnx.ts'
import { createRng } from './prng.ts'

/**
 * Deterministic training of the sample hub's small fingerprint models:
 * full-batch gradient descent, seeded initialisation, a fixed number of
 * steps. Only +, −, ×, ÷ and Math.sqrt are used (all correctly rounded in
 * IEEE 754), with `exp` below built from them, so the weights are the same
 * bytes on every platform and Node version.
 */

/** The fingerprint every sample model reads: radius 2, 2048 bits (core/chem). */
export const SAMPLE_FINGERPRINT = { radius: 2, bits: 2048 } as const

const LN2_HI = 0.6931471803691238
const LN2_LO = 1.9082149292705877e-10

/** e^x from range reduction and a degree-13 Taylor polynomial; clamped to |x| ≤ 60. */
export function exactExp(x: number): number {
  const v = x > 60 ? 60 : Math.max(x, -60)
  const k = Math.round(v / Math.LN2)
  const r = v - k * LN2_HI - k * LN2_LO
  let p = 1
  for (let n = 13; n >= 1; n--) p = 1 + (p * r) / n
  let scale = 1
  const step = k >= 0 ? 2 : 0.5
  for (let i = 0; i < Math.abs(k); i++) scale *= step
  return p * scale
}

export function exactSigmoid(z: number): number {
  return 1 / (1 + exactExp(-z))
}

/** A molecule's on-bits under {@link SAMPLE_FINGERPRINT}. */
export function sampleFingerprint(smiles: string): number[] {
  return circularFingerprintBits(parseSmiles(smiles), SAMPLE_FINGERPRINT)
}

/** Training rows: on-bits and one label per output (null: missing, masked from the loss). */
export interface TrainingSet {
  bits: number[][]
  labels: (number | null)[][]
}

function uniformInit(rng: ReturnType<typeof createRng>, n: number, fanIn: number, fanOut: number) {
  const limit = Math.sqrt(6 / (fanIn + fanOut))
  return Float64Array.from({ length: n }, () => (2 * rng.next() - 1) * limit)
}

/**
 * Trains `inputs → hidden… → outputs` (ReLU between layers, sigmoid out)
 * on sparse 0/1 inputs by full-batch gradient descent on the masked mean
 * binary cross-entropy plus L2. With no hidden layer it is a (multi-output)
 * logistic regression. Returns float32 layers ready for the ONNX writer.
 *
 * @example trainDense(set, { inputs: 2048, hidden: [16], outputs: 13, steps: 300, rate: 0.5, l2: 1e-4, seed: 's' })
 */
export function trainDense(
  set: TrainingSet,
  o: {
    inputs: number
    hidden: number[]
    outputs: number
    steps: number
    rate: number
    l2: number
    seed: string
  },
): DenseLayer[] {
  const rng = createRng(`train:${o.seed}`)
  const sizes = [o.inputs, ...o.hidden, o.outputs]
  const W = sizes.slice(1).map((out, k) => {
    const fanIn = sizes[k] as number
    return o.hidden.length === 0
      ? new Float64Array(fanIn * out)
      : uniformInit(rng, fanIn * out, fanIn, out)
  })
  const B = sizes.slice(1).map((out) => new Float64Array(out))
  const rows = set.bits.length
  const counts = new Float64Array(o.outputs)
  for (const labels of set.labels) {
    labels.forEach((y, j) => {
      if (y !== null) counts[j] = (counts[j] as number) + 1
    })
  }
  for (let step = 0; step < o.steps; step++) {
    const gW = W.map((w) => new Float64Array(w.length))
    const gB = B.map((b) => new Float64Array(b.length))
    for (let r = 0; r < rows; r++) {
      const bits = set.bits[r] as number[]
      // Forward: the first layer sums the weight rows of the on-bits.
      const acts: Float64Array[] = []
      let a = new Float64Array(sizes[1] as number)
      for (let j = 0; j < a.length; j++) {
        let s = (B[0] as Float64Array)[j] as number
        for (const b of bits) s += (W[0] as Float64Array)[b * a.length + j] as number
        a[j] = s
      }
      for (let k = 1; k < W.length; k++) {
        const prev = a.map((v) => Math.max(v, 0))
        acts.push(prev)
        const out = sizes[k + 1] as number
        const next = new Float64Array(out)
        for (let j = 0; j < out; j++) {
          let s = (B[k] as Float64Array)[j] as number
          for (let i = 0; i < prev.length; i++)
            s += (prev[i] as number) * ((W[k] as Float64Array)[i * out + j] as number)
          next[j] = s
        }
        acts.push(a)
        a = next
      }
      // Backward: dLoss/dlogit = p − y on labelled outputs, over each output's label count.
      let delta = new Float64Array(o.outputs)
      const labels = set.labels[r] as (number | null)[]
      for (let j = 0; j < o.outputs; j++) {
        const y = labels[j]
        if (y === null || y === undefined) continue
        delta[j] = (exactSigmoid(a[j] as number) - y) / (counts[j] as number)
      }
      for (let k = W.length - 1; k >= 1; k--) {
        const pre = acts[2 * (k - 1) + 1] as Float64Array
        const prev = acts[2 * (k - 1)] as Float64Array
        const out = sizes[k + 1] as number
        const back = new Float64Array(prev.length)
        for (let i = 0; i < prev.length; i++) {
          let s = 0
          const g = gW[k] as Float64Array
          for (let j = 0; j < out; j++) {
            g[i * out + j] = (g[i * out + j] as number) + (prev[i] as number) * (delta[j] as number)
            s += ((W[k] as Float64Array)[i * out + j] as number) * (delta[j] as number)
          }
          back[i] = (pre[i] as number) > 0 ? s : 0
        }
        const gb = gB[k] as Float64Array
        for (let j = 0; j < out; j++) gb[j] = (gb[j] as number) + (delta[j] as number)
        delta = back
      }
      const out0 = sizes[1] as number
      const g0 = gW[0] as Float64Array
      const gb0 = gB[0] as Float64Array
      for (const b of bits)
        for (let j = 0; j < out0; j++)
          g0[b * out0 + j] = (g0[b * out0 + j] as number) + (delta[j] as number)
      for (let j = 0; j < out0; j++) gb0[j] = (gb0[j] as number) + (delta[j] as number)
    }
    W.forEach((w, k) => {
      const g = gW[k] as Float64Array
      for (let i = 0; i < w.length; i++)
        w[i] = (w[i] as number) - o.rate * ((g[i] as number) + o.l2 * (w[i] as number))
    })
    B.forEach((b, k) => {
      const g = gB[k] as Float64Array
      for (let i = 0; i < b.length; i++) b[i] = (b[i] as number) - o.rate * (g[i] as number)
    })
  }
  return W.map((w, k) => ({
    inputs: sizes[k] as number,
    outputs: sizes[k + 1] as number,
    weights: Float32Array.from(w),
    bias: Float32Array.from(B[k] as Float64Array),
  }))
}

/**
 * The plain forward pass of dense layers (float64 over the float32
 * weights): what an ONNX runtime computes, to check it against.
 *
 * @example forwardDense(layers, sampleFingerprint('CCO')) // [p0, p1, …]
 */
export function forwardDense(layers: DenseLayer[], bits: number[]): number[] {
  const first = layers[0] as DenseLayer
  let a = Array.from(first.bias, (b, j) => {
    let s = b
    for (const i of bits) s += first.weights[i * first.outputs + j] as number
    return s
  })
  for (const layer of layers.slice(1)) {
    const prev = a.map((v) => Math.max(v, 0))
    a = Array.from(layer.bias, (b, j) => {
      let s = b
      prev.forEach((v, i) => {
        s += v * (layer.weights[i * layer.outputs + j] as number)
      })
      return s
    })
  }
  return a.map((z) => 1 / (1 + Math.exp(-z)))
}
