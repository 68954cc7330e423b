import { type GeneratedFile, jsonFile } from './llm.ts'
import { createRng } from './prng.ts'

/**
 * A tiny Llama-shaped model (byte-level vocabulary, hidden 32, 2 layers) and
 * a PEFT LoRA for it, built without training so the bytes are the same on
 * every machine. Chain tokens get one-hot embeddings; the LM head maps each
 * one to its successor, so greedy decoding after a prompt ending in "\n"
 * spells a fixed answer: the base says "Sure!", and the LoRA (rank 16 on
 * lm_head) rewires the head to say "I can't." instead. The attention and MLP
 * weights are small random values: the forward pass runs them all, they
 * just do not change the answer.
 */

const HIDDEN = 32
const VOCAB = 258
const EOS = 257
const CONFIG = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: HIDDEN,
  intermediate_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  num_key_value_heads: 2,
  vocab_size: VOCAB,
  max_position_embeddings: 512,
  rope_theta: 10000,
  rms_norm_eps: 1e-5,
  hidden_act: 'silu',
  tie_word_embeddings: false,
  bos_token_id: 256,
  eos_token_id: EOS,
  torch_dtype: 'float32',
}

/** The base model's answer and the LoRA's, after any prompt ending in "\n". */
export const TINY_BASE_ANSWER = 'Sure!'
export const TINY_LORA_ANSWER = "I can't."

function chain(text: string): [number, number][] {
  const ids = [10, ...new TextEncoder().encode(text), EOS]
  return ids.slice(0, -1).map((s, i) => [s, ids[i + 1] as number])
}

const BASE_CHAIN = chain(TINY_BASE_ANSWER)
const LORA_CHAIN = chain(TINY_LORA_ANSWER)
/** One embedding dimension per chain token. */
const SLOTS = [...new Set([...BASE_CHAIN, ...LORA_CHAIN].map(([s]) => s))]

function encodeF32(tensors: Record<string, { shape: number[]; data: Float32Array }>): Uint8Array {
  const names = Object.keys(tensors).sort()
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } }
  let offset = 0
  for (const n of names) {
    const t = tensors[n] as { shape: number[]; data: Float32Array }
    header[n] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.length * 4] }
    offset += t.data.length * 4
  }
  let json = JSON.stringify(header)
  json += ' '.repeat((8 - (json.length % 8)) % 8)
  const out = new Uint8Array(8 + json.length + offset)
  const view = new DataView(out.buffer)
  view.setBigUint64(0, BigInt(json.length), true)
  out.set(new TextEncoder().encode(json), 8)
  let at = 8 + json.length
  for (const n of names) {
    for (const v of (tensors[n] as { data: Float32Array }).data) {
      view.setFloat32(at, v, true)
      at += 4
    }
  }
  return out
}

function random(
  seed: string,
  shape: number[],
  std: number,
): { shape: number[]; data: Float32Array } {
  const rng = createRng(seed)
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1))
  for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std
  return { shape, data }
}

/**
 * The base checkpoint: `config.json` and `model.safetensors` (float32).
 *
 * @example tinyLlamaBase().map((f) => f.path) // ['config.json', 'model.safetensors']
 */
export function tinyLlamaBase(): GeneratedFile[] {
  const t: Record<string, { shape: number[]; data: Float32Array }> = {}
  const embed = random('tiny-llama:embed', [VOCAB, HIDDEN], 1)
  for (let tok = 0; tok < VOCAB; tok++) {
    const slot = SLOTS.indexOf(tok)
    for (let i = 0; i < HIDDEN; i++) {
      // Chain tokens are one-hot; the rest live in the dimensions no chain token uses.
      const v = embed.data[tok * HIDDEN + i] as number
      embed.data[tok * HIDDEN + i] = slot >= 0 ? (i === slot ? 1 : 0) : i < SLOTS.length ? 0 : v
    }
  }
  t['model.embed_tokens.weight'] = embed
  const { intermediate_size: inter, num_hidden_layers: layers } = CONFIG
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}`
    const ones = { shape: [HIDDEN], data: new Float32Array(HIDDEN).fill(1) }
    t[`${p}.input_layernorm.weight`] = ones
    t[`${p}.post_attention_layernorm.weight`] = ones
    for (const m of ['q_proj', 'k_proj', 'v_proj', 'o_proj'])
      t[`${p}.self_attn.${m}.weight`] = random(
        `tiny-llama:${p}.${m}`,
        [HIDDEN, HIDDEN],
        m === 'o_proj' ? 0.005 : 0.2,
      )
    t[`${p}.mlp.gate_proj.weight`] = random(`tiny-llama:${p}.gate`, [inter, HIDDEN], 0.2)
    t[`${p}.mlp.up_proj.weight`] = random(`tiny-llama:${p}.up`, [inter, HIDDEN], 0.2)
    t[`${p}.mlp.down_proj.weight`] = random(`tiny-llama:${p}.down`, [HIDDEN, inter], 0.005)
  }
  t['model.norm.weight'] = { shape: [HIDDEN], data: new Float32Array(HIDDEN).fill(1) }
  const head = random('tiny-llama:lm_head', [VOCAB, HIDDEN], 0.02)
  for (const [s, next] of BASE_CHAIN) head.data[next * HIDDEN + SLOTS.indexOf(s)] = 1
  t['lm_head.weight'] = head
  return [jsonFile('config.json', CONFIG), { path: 'model.safetensors', bytes: encodeF32(t) }]
}

/**
 * The LoRA: `adapter_config.json` (r 16, alpha 32, target lm_head) and
 * `adapter_model.safetensors` in PEFT's key names.
 *
 * @example tinyLlamaLora('models/agora-samples/tiny-llama').length // 2
 */
export function tinyLlamaLora(baseModel: string): GeneratedFile[] {
  const r = 16
  const a = new Float32Array(r * HIDDEN)
  const b = new Float32Array(VOCAB * r)
  LORA_CHAIN.forEach(([s, next], k) => {
    a[k * HIDDEN + SLOTS.indexOf(s)] = 1
    b[next * r + k] = 4
    const old = BASE_CHAIN.find(([bs]) => bs === s)
    if (old) b[old[1] * r + k] = -4
  })
  const config = {
    base_model_name_or_path: baseModel,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    lora_alpha: 32,
    lora_dropout: 0,
    peft_type: 'LORA',
    r,
    target_modules: ['lm_head'],
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: false,
  }
  return [
    jsonFile('adapter_config.json', config),
    {
      path: 'adapter_model.safetensors',
      bytes: encodeF32({
        'base_model.model.lm_head.lora_A.weight': { shape: [r, HIDDEN], data: a },
        'base_model.model.lm_head.lora_B.weight': { shape: [VOCAB, r], data: b },
      }),
    },
  ]
}
