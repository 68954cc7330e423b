import { AgoraError } from '#core/errors'

/**
 * A Llama-shaped causal language model in plain TypeScript: RMSNorm, rotary
 * position embeddings (Hugging Face's rotate-half layout), grouped-query
 * causal attention, a SwiGLU MLP and a byte-level tokenizer. It reads
 * Hugging Face checkpoint names and PEFT LoRA adapters, so the reference
 * LoRA runner runs real adapters of tiny models on a CPU without PyTorch.
 * Nothing here is fast: it recomputes the whole sequence for every token.
 */

/** A dense row-major tensor. */
export interface Tensor {
  shape: number[]
  data: Float32Array
}

/** The fields of a Hugging Face `config.json` the forward pass reads. */
export interface LlamaConfig {
  hidden_size: number
  intermediate_size: number
  num_hidden_layers: number
  num_attention_heads: number
  num_key_value_heads?: number
  vocab_size: number
  rms_norm_eps?: number
  rope_theta?: number
  tie_word_embeddings?: boolean
  bos_token_id?: number
  eos_token_id?: number
}

/** A LoRA on one linear module: y += scale · B(A x). */
export interface LoraPair {
  a: Tensor
  b: Tensor
  scale: number
}

export interface LlamaModel {
  config: LlamaConfig
  weights: Map<string, Tensor>
  /** LoRA pairs by module name (`model.layers.0.self_attn.q_proj`). */
  lora: Map<string, LoraPair>
}

/** Byte-level tokenizer: ids 0–255 are bytes, then BOS and EOS. */
export const BYTE_BOS = 256
export const BYTE_EOS = 257

const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 }

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1f
  const frac = h & 0x3ff
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024)
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY
  return sign * 2 ** (exp - 15) * (1 + frac / 1024)
}

/**
 * Reads every tensor of a safetensors file as float32 (F32, F16 and BF16
 * only). Offsets are checked against the data section.
 *
 * @example readSafetensors(bytes, 'model.safetensors').get('lm_head.weight')?.shape // [258, 32]
 */
export function readSafetensors(bytes: Uint8Array, file: string): Map<string, Tensor> {
  const bad = (why: string) =>
    new AgoraError('qa/bad-weights', `${file} is not a readable safetensors file: ${why}`, {
      hint: 'the runner reads F32, F16 and BF16 tensors from a safetensors file',
      file,
    })
  if (bytes.length < 8) throw bad('too short')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerLength = Number(view.getBigUint64(0, true))
  if (headerLength > bytes.length - 8) throw bad('header runs past the end')
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLength)).toString('utf8'))
  } catch {
    throw bad('header is not JSON')
  }
  const base = 8 + headerLength
  const out = new Map<string, Tensor>()
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue
    const size = DTYPE_BYTES[entry.dtype]
    if (!size) throw bad(`${name} is ${entry.dtype}`)
    const [start, end] = entry.data_offsets
    const count = entry.shape.reduce((a, b) => a * b, 1)
    if (end - start !== count * size || base + end > bytes.length) throw bad(`${name} offsets`)
    const data = new Float32Array(count)
    const at = bytes.byteOffset + base + start
    const raw = new DataView(bytes.buffer, at, end - start)
    for (let i = 0; i < count; i++) {
      if (entry.dtype === 'F32') data[i] = raw.getFloat32(i * 4, true)
      else if (entry.dtype === 'F16') data[i] = halfToFloat(raw.getUint16(i * 2, true))
      else {
        const word = new DataView(new ArrayBuffer(4))
        word.setUint32(0, raw.getUint16(i * 2, true) << 16, true)
        data[i] = word.getFloat32(0, true)
      }
    }
    out.set(name, { shape: [...entry.shape], data })
  }
  return out
}

/** The PEFT `adapter_config.json` fields a LoRA forward pass needs. */
export interface PeftLoraConfig {
  peft_type?: string
  r: number
  lora_alpha: number
  target_modules: string[]
  use_rslora?: boolean
  use_dora?: boolean
}

/**
 * Attaches a PEFT LoRA to a model: `base_model.model.<module>.lora_A.weight`
 * and `…lora_B.weight` pairs, scaled by alpha / r (alpha / √r with rsLoRA).
 * Every pair must name a linear module of the base with matching shapes.
 *
 * @example const tuned = attachLora(base, config, readSafetensors(bytes, 'adapter_model.safetensors'))
 */
export function attachLora(
  model: LlamaModel,
  config: PeftLoraConfig,
  tensors: Map<string, Tensor>,
  file = 'adapter_model.safetensors',
): LlamaModel {
  const refuse = (why: string) =>
    new AgoraError('qa/bad-adapter', `${file}: ${why}`, {
      hint: 'a PEFT LoRA for this base: adapter_config.json (peft_type LORA, r, lora_alpha) and base_model.model.<module>.lora_A/B.weight tensors',
      file,
    })
  if ((config.peft_type ?? 'LORA') !== 'LORA' || config.use_dora) {
    throw refuse(
      `peft_type ${config.peft_type}${config.use_dora ? ' with DoRA' : ''} is not a plain LoRA`,
    )
  }
  if (!(config.r > 0)) throw refuse(`r is ${config.r}`)
  const scale = config.use_rslora
    ? config.lora_alpha / Math.sqrt(config.r)
    : config.lora_alpha / config.r
  const lora = new Map<string, LoraPair>()
  for (const [name, a] of tensors) {
    const m = /^base_model\.model\.(.+)\.lora_A(?:\.default)?\.weight$/.exec(name)
    if (!m) {
      if (!/\.lora_B(?:\.default)?\.weight$/.test(name)) throw refuse(`unexpected tensor ${name}`)
      continue
    }
    const module = m[1] as string
    const b = tensors.get(name.replace('.lora_A', '.lora_B'))
    const w = model.weights.get(`${module}.weight`)
    if (!b) throw refuse(`${name} has no lora_B`)
    if (!w) throw refuse(`the base has no module ${module}`)
    const [out, inp] = w.shape as [number, number]
    if (a.shape[1] !== inp || b.shape[0] !== out || a.shape[0] !== b.shape[1]) {
      throw refuse(
        `${module}: A ${JSON.stringify(a.shape)} and B ${JSON.stringify(b.shape)} do not fit [${out}, ${inp}]`,
      )
    }
    lora.set(module, { a, b, scale })
  }
  if (lora.size === 0) throw refuse('no LoRA tensors')
  return { ...model, lora }
}

/**
 * The model with every LoRA folded into its base weight (W + scale·B·A), for
 * checking that the adapter path and the merged weights agree.
 *
 * @example forward(mergeLora(tuned), tokens) // equals forward(tuned, tokens)
 */
export function mergeLora(model: LlamaModel): LlamaModel {
  const weights = new Map(model.weights)
  for (const [module, { a, b, scale }] of model.lora) {
    const w = model.weights.get(`${module}.weight`) as Tensor
    const [out, inp] = w.shape as [number, number]
    const r = a.shape[0] as number
    const data = Float32Array.from(w.data)
    for (let o = 0; o < out; o++)
      for (let i = 0; i < inp; i++) {
        let s = 0
        for (let k = 0; k < r; k++)
          s += (b.data[o * r + k] as number) * (a.data[k * inp + i] as number)
        data[o * inp + i] = (data[o * inp + i] as number) + scale * s
      }
    weights.set(`${module}.weight`, { shape: w.shape, data })
  }
  return { ...model, weights, lora: new Map() }
}

function weight(model: LlamaModel, name: string): Tensor {
  const w = model.weights.get(name)
  if (!w) {
    throw new AgoraError('qa/bad-weights', `the checkpoint has no tensor ${name}`, {
      hint: 'a Llama checkpoint in Hugging Face naming (model.layers.N.self_attn.q_proj.weight …)',
    })
  }
  return w
}

/** x · Wᵀ for one row, plus the module's LoRA when it has one. */
function linear(model: LlamaModel, module: string, x: Float64Array): Float64Array {
  const w = weight(model, `${module}.weight`)
  const [out, inp] = w.shape as [number, number]
  const y = new Float64Array(out)
  for (let o = 0; o < out; o++) {
    let s = 0
    for (let i = 0; i < inp; i++) s += (w.data[o * inp + i] as number) * (x[i] as number)
    y[o] = s
  }
  const pair = model.lora.get(module)
  if (pair) {
    const r = pair.a.shape[0] as number
    const ax = new Float64Array(r)
    for (let k = 0; k < r; k++) {
      let s = 0
      for (let i = 0; i < inp; i++) s += (pair.a.data[k * inp + i] as number) * (x[i] as number)
      ax[k] = s
    }
    for (let o = 0; o < out; o++) {
      let s = 0
      for (let k = 0; k < r; k++) s += (pair.b.data[o * r + k] as number) * (ax[k] as number)
      y[o] = (y[o] as number) + pair.scale * s
    }
  }
  return y
}

/**
 * RMSNorm: x / √(mean(x²) + ε) · w.
 *
 * @example rmsNorm(Float64Array.of(3, 4), Float32Array.of(1, 1), 0) // ≈ [0.8485, 1.1314]
 */
export function rmsNorm(x: Float64Array, w: Float32Array, eps: number): Float64Array {
  let ss = 0
  for (const v of x) ss += v * v
  const inv = 1 / Math.sqrt(ss / x.length + eps)
  return x.map((v, i) => v * inv * (w[i] as number))
}

/**
 * Rotary position embedding of one head vector at a position, in Hugging
 * Face's rotate-half layout: element i pairs with i + d/2, angle
 * pos · θ^(−2i/d).
 *
 * @example applyRotary(Float64Array.of(1, 0), 1, 10000) // [cos 1, sin 1]
 */
export function applyRotary(v: Float64Array, pos: number, theta: number): Float64Array {
  const d = v.length
  const half = d / 2
  const out = new Float64Array(d)
  for (let i = 0; i < half; i++) {
    const angle = pos * theta ** (-(2 * i) / d)
    const c = Math.cos(angle)
    const s = Math.sin(angle)
    const a = v[i] as number
    const b = v[i + half] as number
    out[i] = a * c - b * s
    out[i + half] = b * c + a * s
  }
  return out
}

const silu = (x: number) => x / (1 + Math.exp(-x))

/**
 * The next-token logits after a sequence of token ids (the last position).
 *
 * @example forward(model, [BYTE_BOS, 72, 105]).length // vocab_size
 */
export function forward(model: LlamaModel, tokens: readonly number[]): Float64Array {
  const c = model.config
  const hidden = c.hidden_size
  const heads = c.num_attention_heads
  const kvHeads = c.num_key_value_heads ?? heads
  const dim = hidden / heads
  const eps = c.rms_norm_eps ?? 1e-6
  const theta = c.rope_theta ?? 10000
  const emb = weight(model, 'model.embed_tokens.weight')
  let xs = tokens.map((t) => {
    if (!Number.isInteger(t) || t < 0 || t >= c.vocab_size)
      throw new AgoraError('qa/bad-token', `token ${t} is outside the vocabulary`, {
        hint: `ids run from 0 to ${c.vocab_size - 1}`,
      })
    return Float64Array.from(emb.data.subarray(t * hidden, (t + 1) * hidden))
  })
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}`
    const normed = xs.map((x) => rmsNorm(x, weight(model, `${p}.input_layernorm.weight`).data, eps))
    const q = normed.map((h) => linear(model, `${p}.self_attn.q_proj`, h))
    const k = normed.map((h) => linear(model, `${p}.self_attn.k_proj`, h))
    const v = normed.map((h) => linear(model, `${p}.self_attn.v_proj`, h))
    const rq = q.map((row, pos) => {
      const out = new Float64Array(row.length)
      for (let h = 0; h < heads; h++)
        out.set(applyRotary(row.subarray(h * dim, (h + 1) * dim), pos, theta), h * dim)
      return out
    })
    const rk = k.map((row, pos) => {
      const out = new Float64Array(row.length)
      for (let h = 0; h < kvHeads; h++)
        out.set(applyRotary(row.subarray(h * dim, (h + 1) * dim), pos, theta), h * dim)
      return out
    })
    xs = xs.map((x, t) => {
      const attn = new Float64Array(hidden)
      for (let h = 0; h < heads; h++) {
        const kv = Math.floor(h / (heads / kvHeads))
        const scores = new Float64Array(t + 1)
        let max = Number.NEGATIVE_INFINITY
        for (let s = 0; s <= t; s++) {
          let dot = 0
          for (let i = 0; i < dim; i++)
            dot +=
              ((rq[t] as Float64Array)[h * dim + i] as number) *
              ((rk[s] as Float64Array)[kv * dim + i] as number)
          scores[s] = dot / Math.sqrt(dim)
          max = Math.max(max, scores[s] as number)
        }
        let sum = 0
        for (let s = 0; s <= t; s++) {
          scores[s] = Math.exp((scores[s] as number) - max)
          sum += scores[s] as number
        }
        for (let s = 0; s <= t; s++)
          for (let i = 0; i < dim; i++)
            attn[h * dim + i] =
              (attn[h * dim + i] as number) +
              ((scores[s] as number) / sum) * ((v[s] as Float64Array)[kv * dim + i] as number)
      }
      const o = linear(model, `${p}.self_attn.o_proj`, attn)
      const x1 = x.map((val, i) => val + (o[i] as number))
      const h2 = rmsNorm(x1, weight(model, `${p}.post_attention_layernorm.weight`).data, eps)
      const gate = linear(model, `${p}.mlp.gate_proj`, h2)
      const up = linear(model, `${p}.mlp.up_proj`, h2)
      const down = linear(
        model,
        `${p}.mlp.down_proj`,
        gate.map((g, i) => silu(g) * (up[i] as number)),
      )
      return x1.map((val, i) => val + (down[i] as number))
    })
  }
  const last = rmsNorm(
    xs[xs.length - 1] as Float64Array,
    weight(model, 'model.norm.weight').data,
    eps,
  )
  const head =
    model.weights.has('lm_head.weight') || !c.tie_word_embeddings ? 'lm_head' : 'model.embed_tokens'
  return linear(model, head, last)
}

/**
 * Greedy generation with the byte-level tokenizer: BOS, the prompt's UTF-8
 * bytes, then the most likely token until EOS or `maxNewTokens`. Bytes that
 * do not form valid UTF-8 decode to U+FFFD.
 *
 * @example generate(model, 'Hello', 16) // 'I can’t.'
 */
export function generate(model: LlamaModel, prompt: string, maxNewTokens: number): string {
  const eos = model.config.eos_token_id ?? BYTE_EOS
  const tokens = [model.config.bos_token_id ?? BYTE_BOS, ...new TextEncoder().encode(prompt)]
  const made: number[] = []
  for (let n = 0; n < maxNewTokens; n++) {
    const logits = forward(model, tokens)
    let best = 0
    for (let i = 1; i < logits.length; i++)
      if ((logits[i] as number) > (logits[best] as number)) best = i
    if (best === eos) break
    tokens.push(best)
    if (best < 256) made.push(best)
  }
  return new TextDecoder('utf-8').decode(Uint8Array.from(made))
}
