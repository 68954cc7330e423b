import { encodeGguf, type GgufTensorSpec } from './gguf.ts'
import { encodeSafetensors, type TensorSpec } from './safetensors.ts'

/**
 * Dimensions of a decoder-only transformer. The sample hub's base-model
 * mirrors use tiny stand-in dimensions with the real architecture's tensor
 * names; outside base models (`hf:`) use their published dimensions.
 */
export interface DecoderArch {
  modelType: 'mistral' | 'llama' | 'qwen2' | 'phi3'
  architectures: string
  hidden: number
  intermediate: number
  layers: number
  heads: number
  kvHeads: number
  vocab: number
  maxPositions: number
  ropeTheta: number
  tieEmbeddings: boolean
}

export interface GeneratedFile {
  path: string
  bytes: Uint8Array
}

const encoder = new TextEncoder()

/**
 * Pretty JSON with a trailing newline, as the Hub's tools write configs.
 *
 * @example jsonFile('config.json', { a: 1 }).path // 'config.json'
 */
export function jsonFile(path: string, value: unknown): GeneratedFile {
  return { path, bytes: encoder.encode(`${JSON.stringify(value, null, 2)}\n`) }
}

/**
 * A UTF-8 text file.
 *
 * @example textFile('conf.txt', 'seed = 42\n').bytes.length // 10
 */
export function textFile(path: string, text: string): GeneratedFile {
  return { path, bytes: encoder.encode(text) }
}

function headDim(a: DecoderArch): number {
  return a.hidden / a.heads
}

/**
 * In and out features of a projection module, as PEFT sees them.
 *
 * @example moduleShape(ARCHS.mistral, 'k_proj') // { in: 128, out: 64 }
 */
export function moduleShape(a: DecoderArch, module: string): { in: number; out: number } {
  const kv = a.kvHeads * headDim(a)
  switch (module) {
    case 'q_proj':
    case 'o_proj':
      return { in: a.hidden, out: a.hidden }
    case 'k_proj':
    case 'v_proj':
      return { in: a.hidden, out: kv }
    case 'qkv_proj':
      return { in: a.hidden, out: a.hidden + 2 * kv }
    case 'gate_proj':
    case 'up_proj':
      return { in: a.hidden, out: a.intermediate }
    case 'gate_up_proj':
      return { in: a.hidden, out: 2 * a.intermediate }
    case 'down_proj':
      return { in: a.intermediate, out: a.hidden }
    default:
      throw new Error(`unknown module ${module}`)
  }
}

function moduleParent(module: string): 'self_attn' | 'mlp' {
  return /^(gate|up|down|gate_up)_proj$/.test(module) ? 'mlp' : 'self_attn'
}

/** The tensors of a full checkpoint in Hugging Face naming. */
function checkpointTensors(a: DecoderArch): TensorSpec[] {
  const dtype = 'BF16'
  const t: TensorSpec[] = [{ name: 'model.embed_tokens.weight', dtype, shape: [a.vocab, a.hidden] }]
  const modules =
    a.modelType === 'phi3'
      ? ['qkv_proj', 'o_proj', 'gate_up_proj', 'down_proj']
      : ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']
  for (let l = 0; l < a.layers; l++) {
    const p = `model.layers.${l}`
    t.push({ name: `${p}.input_layernorm.weight`, dtype, shape: [a.hidden], fill: 1 })
    t.push({ name: `${p}.post_attention_layernorm.weight`, dtype, shape: [a.hidden], fill: 1 })
    for (const m of modules) {
      const s = moduleShape(a, m)
      t.push({ name: `${p}.${moduleParent(m)}.${m}.weight`, dtype, shape: [s.out, s.in] })
      if (a.modelType === 'qwen2' && /^[qkv]_proj$/.test(m)) {
        t.push({ name: `${p}.self_attn.${m}.bias`, dtype, shape: [s.out], fill: 0 })
      }
    }
  }
  t.push({ name: 'model.norm.weight', dtype, shape: [a.hidden], fill: 1 })
  if (!a.tieEmbeddings) t.push({ name: 'lm_head.weight', dtype, shape: [a.vocab, a.hidden] })
  return t
}

function hfConfig(a: DecoderArch, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    architectures: [a.architectures],
    model_type: a.modelType,
    hidden_size: a.hidden,
    intermediate_size: a.intermediate,
    num_hidden_layers: a.layers,
    num_attention_heads: a.heads,
    num_key_value_heads: a.kvHeads,
    vocab_size: a.vocab,
    max_position_embeddings: a.maxPositions,
    rope_theta: a.ropeTheta,
    rms_norm_eps: 1e-5,
    hidden_act: 'silu',
    tie_word_embeddings: a.tieEmbeddings,
    torch_dtype: 'bfloat16',
    ...extra,
  }
}

/**
 * A sharded stand-in checkpoint: `config.json`, `generation_config.json`,
 * `model-0000k-of-0000n.safetensors` shards and `model.safetensors.index.json`
 * whose `weight_map` names the shard of every tensor and whose `total_size`
 * is the sum of the tensors' bytes, as transformers writes them.
 *
 * @example standInCheckpoint(arch, { seed: 'mistral', shards: 4, config: {} }).map((f) => f.path)
 */
export function standInCheckpoint(
  a: DecoderArch,
  /** `shards` sets the target shard size (total / shards); a tensor never straddles two. */
  options: { seed: string; shards: number; config: Record<string, unknown> },
): GeneratedFile[] {
  const tensors = checkpointTensors(a)
  const bytesOf = (t: TensorSpec): number => t.shape.reduce((x, y) => x * y, 1) * 2
  // Split by bytes in checkpoint order, as transformers' max_shard_size does:
  // a shard closes before the tensor that would push it past its share.
  const target = tensors.reduce((n, t) => n + bytesOf(t), 0) / options.shards
  const parts: TensorSpec[][] = [[]]
  let filled = 0
  for (const t of tensors) {
    if (filled > 0 && filled + bytesOf(t) > target) {
      parts.push([])
      filled = 0
    }
    parts[parts.length - 1]?.push(t)
    filled += bytesOf(t)
  }
  const files: GeneratedFile[] = []
  const weightMap: Record<string, string> = {}
  let totalSize = 0
  for (let s = 0; s < parts.length; s++) {
    const name = `model-${String(s + 1).padStart(5, '0')}-of-${String(parts.length).padStart(5, '0')}.safetensors`
    const part = parts[s] ?? []
    for (const t of part) {
      weightMap[t.name] = name
      totalSize += bytesOf(t)
    }
    files.push({
      path: name,
      bytes: encodeSafetensors(part, { seed: `${options.seed}:${s}`, metadata: { format: 'pt' } }),
    })
  }
  const sortedMap = Object.fromEntries(
    Object.entries(weightMap).sort(([x], [y]) => (x < y ? -1 : 1)),
  )
  return [
    jsonFile('config.json', hfConfig(a, options.config)),
    jsonFile('generation_config.json', {
      bos_token_id: 1,
      eos_token_id: 2,
      do_sample: true,
      temperature: 0.7,
      top_p: 0.9,
    }),
    ...files,
    jsonFile('model.safetensors.index.json', {
      metadata: { total_size: totalSize },
      weight_map: sortedMap,
    }),
  ]
}

/**
 * A Q4_0 or Q8_0 GGUF of a stand-in llama-family checkpoint, with llama.cpp's tensor
 * names and `<arch>.*` hyper-parameters.
 *
 * @example ggufStandIn(arch, 'Mistral 7B v0.3 (sample stand-in)', 'seed', 'model.gguf', 'Q4_0').path
 */
export function ggufStandIn(
  a: DecoderArch,
  name: string,
  seed: string,
  path: string,
  quant: 'Q4_0' | 'Q8_0',
): GeneratedFile {
  const arch = 'llama'
  const kv = a.kvHeads * headDim(a)
  const tensors: GgufTensorSpec[] = [
    { name: 'token_embd.weight', shape: [a.vocab, a.hidden], type: quant },
  ]
  for (let l = 0; l < a.layers; l++) {
    const b = `blk.${l}`
    tensors.push(
      { name: `${b}.attn_norm.weight`, shape: [a.hidden], type: 'F32', fill: 1 },
      { name: `${b}.attn_q.weight`, shape: [a.hidden, a.hidden], type: quant },
      { name: `${b}.attn_k.weight`, shape: [kv, a.hidden], type: quant },
      { name: `${b}.attn_v.weight`, shape: [kv, a.hidden], type: quant },
      { name: `${b}.attn_output.weight`, shape: [a.hidden, a.hidden], type: quant },
      { name: `${b}.ffn_norm.weight`, shape: [a.hidden], type: 'F32', fill: 1 },
      { name: `${b}.ffn_gate.weight`, shape: [a.intermediate, a.hidden], type: quant },
      { name: `${b}.ffn_up.weight`, shape: [a.intermediate, a.hidden], type: quant },
      { name: `${b}.ffn_down.weight`, shape: [a.hidden, a.intermediate], type: quant },
    )
  }
  tensors.push({ name: 'output_norm.weight', shape: [a.hidden], type: 'F32', fill: 1 })
  tensors.push({ name: 'output.weight', shape: [a.vocab, a.hidden], type: quant })
  const bytes = encodeGguf(
    {
      'general.architecture': arch,
      'general.name': name,
      // llama_ftype: 2 = MOSTLY_Q4_0, 7 = MOSTLY_Q8_0.
      'general.file_type': { u32: quant === 'Q4_0' ? 2 : 7 },
      'general.quantization_version': { u32: 2 },
      [`${arch}.context_length`]: { u32: a.maxPositions },
      [`${arch}.embedding_length`]: { u32: a.hidden },
      [`${arch}.block_count`]: { u32: a.layers },
      [`${arch}.feed_forward_length`]: { u32: a.intermediate },
      [`${arch}.attention.head_count`]: { u32: a.heads },
      [`${arch}.attention.head_count_kv`]: { u32: a.kvHeads },
      [`${arch}.rope.dimension_count`]: { u32: headDim(a) },
      [`${arch}.rope.freq_base`]: { f32: a.ropeTheta },
      [`${arch}.attention.layer_norm_rms_epsilon`]: { f32: 1e-5 },
    },
    tensors,
    seed,
  )
  return { path, bytes }
}

export interface LoraSpec {
  arch: DecoderArch
  /** The manifest's base model, written verbatim as base_model_name_or_path. */
  baseModel: string
  r: number
  alpha: number
  dropout: number
  targetModules: string[]
  /** Layers the sample file covers; all layers when undefined. */
  layers?: number[]
  dtype: 'F32' | 'F16'
  seed: string
}

/**
 * A PEFT LoRA adapter: `adapter_model.safetensors` holding one `lora_A`
 * ([r, in]) and one `lora_B` ([out, r]) per target module and layer, and an
 * `adapter_config.json` whose `r`, `lora_alpha`, `target_modules`,
 * `layers_to_transform` and `base_model_name_or_path` agree with them.
 *
 * @example loraAdapter(spec).map((f) => f.path) // ['adapter_config.json', 'adapter_model.safetensors']
 */
export function loraAdapter(spec: LoraSpec): GeneratedFile[] {
  const layers = spec.layers ?? Array.from({ length: spec.arch.layers }, (_, i) => i)
  const tensors: TensorSpec[] = []
  for (const l of layers) {
    for (const m of spec.targetModules) {
      const s = moduleShape(spec.arch, m)
      const p = `base_model.model.model.layers.${l}.${moduleParent(m)}.${m}`
      tensors.push({
        name: `${p}.lora_A.weight`,
        dtype: spec.dtype,
        shape: [spec.r, s.in],
        std: 0.01,
      })
      tensors.push({
        name: `${p}.lora_B.weight`,
        dtype: spec.dtype,
        shape: [s.out, spec.r],
        std: 0.002,
      })
    }
  }
  const config = {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: spec.baseModel,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: spec.layers ?? null,
    lora_alpha: spec.alpha,
    lora_dropout: spec.dropout,
    modules_to_save: null,
    peft_type: 'LORA',
    r: spec.r,
    rank_pattern: {},
    revision: null,
    target_modules: [...spec.targetModules].sort(),
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: false,
  }
  return [
    jsonFile('adapter_config.json', config),
    {
      path: 'adapter_model.safetensors',
      bytes: encodeSafetensors(tensors, { seed: spec.seed, metadata: { format: 'pt' } }),
    },
  ]
}

/** Stand-in dimensions shared by the hub's base-model mirrors. */
function standIn(
  modelType: DecoderArch['modelType'],
  architectures: string,
  extra: Partial<DecoderArch>,
): DecoderArch {
  return {
    modelType,
    architectures,
    hidden: 128,
    intermediate: 192,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    vocab: 256,
    maxPositions: 4096,
    ropeTheta: 10000,
    tieEmbeddings: false,
    ...extra,
  }
}

/** The sample hub's base models: stand-ins for mirrors, real dims for outside ones. */
export const ARCHS = {
  mistral: standIn('mistral', 'MistralForCausalLM', { ropeTheta: 1000000, maxPositions: 32768 }),
  llama31: standIn('llama', 'LlamaForCausalLM', { ropeTheta: 500000, maxPositions: 131072 }),
  qwenCoder: standIn('qwen2', 'Qwen2ForCausalLM', {
    ropeTheta: 1000000,
    kvHeads: 1,
    tieEmbeddings: true,
  }),
  phi3: standIn('phi3', 'Phi3ForCausalLM', { kvHeads: 4, maxPositions: 4096 }),
  /** hf:Qwen/Qwen2.5-7B-Instruct, published dimensions. */
  qwen7b: {
    modelType: 'qwen2',
    architectures: 'Qwen2ForCausalLM',
    hidden: 3584,
    intermediate: 18944,
    layers: 28,
    heads: 28,
    kvHeads: 4,
    vocab: 152064,
    maxPositions: 32768,
    ropeTheta: 1000000,
    tieEmbeddings: false,
  },
  /** hf:meta-llama/Llama-3.1-8B-Instruct, published dimensions. */
  llama8b: {
    modelType: 'llama',
    architectures: 'LlamaForCausalLM',
    hidden: 4096,
    intermediate: 14336,
    layers: 32,
    heads: 32,
    kvHeads: 8,
    vocab: 128256,
    maxPositions: 131072,
    ropeTheta: 500000,
    tieEmbeddings: false,
  },
} satisfies Record<string, DecoderArch>
