import { describe, expect, it } from 'vitest'
import {
  TINY_BASE_ANSWER,
  TINY_LORA_ANSWER,
  tinyLlamaBase,
  tinyLlamaLora,
} from '../../scripts/sample/tiny-llama.ts'
import {
  applyRotary,
  attachLora,
  forward,
  generate,
  type LlamaConfig,
  type LlamaModel,
  mergeLora,
  readSafetensors,
  type Tensor,
} from './tiny-llama.ts'

const t = (shape: number[], values: number[]): Tensor => ({
  shape,
  data: Float32Array.from(values),
})

function seeded(seed: number) {
  let s = seed
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648
    return s / 2147483648 - 0.5
  }
}

function randomTensor(shape: number[], rand: () => number, scale = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1)
  return { shape, data: Float32Array.from({ length: n }, () => rand() * scale) }
}

describe('core/qa/tiny-llama', () => {
  it('computes one token through one layer as worked out by hand', () => {
    // hidden 2, one head of 2, intermediate 1, vocab 2, ε = 0; the token's embedding is (3, 4).
    const config: LlamaConfig = {
      hidden_size: 2,
      intermediate_size: 1,
      num_hidden_layers: 1,
      num_attention_heads: 1,
      vocab_size: 2,
      rms_norm_eps: 0,
    }
    const weights = new Map<string, Tensor>([
      ['model.embed_tokens.weight', t([2, 2], [0, 0, 3, 4])],
      ['model.layers.0.input_layernorm.weight', t([2], [1, 1])],
      ['model.layers.0.post_attention_layernorm.weight', t([2], [1, 2])],
      ['model.layers.0.self_attn.q_proj.weight', t([2, 2], [1, 0, 0, 1])],
      ['model.layers.0.self_attn.k_proj.weight', t([2, 2], [1, 0, 0, 1])],
      ['model.layers.0.self_attn.v_proj.weight', t([2, 2], [1, 0, 0, 1])],
      ['model.layers.0.self_attn.o_proj.weight', t([2, 2], [0.5, 0, 0, 0.5])],
      ['model.layers.0.mlp.gate_proj.weight', t([1, 2], [1, 0])],
      ['model.layers.0.mlp.up_proj.weight', t([1, 2], [0, 1])],
      ['model.layers.0.mlp.down_proj.weight', t([2, 1], [1, 0])],
      ['model.norm.weight', t([2], [1, 1])],
      ['lm_head.weight', t([2, 2], [1, 0, 1, 1])],
    ])
    const logits = forward({ config, weights, lora: new Map() }, [1])
    // RMS of (3, 4) is √12.5; one position attends to itself, so attention returns v = normed x.
    const rms = Math.sqrt(12.5)
    const x1 = [3 + (0.5 * 3) / rms, 4 + (0.5 * 4) / rms]
    // x1 is a multiple of (3, 4): normalised it is (3, 4)/√12.5, times the weights (1, 2).
    const h2 = [3 / rms, (4 / rms) * 2]
    const g = h2[0] as number
    const mlp = (g / (1 + Math.exp(-g))) * (h2[1] as number)
    const x2 = [(x1[0] as number) + mlp, x1[1] as number]
    const r2 = Math.sqrt(((x2[0] as number) ** 2 + (x2[1] as number) ** 2) / 2)
    const out = [(x2[0] as number) / r2, (x2[1] as number) / r2]
    expect(logits[0]).toBeCloseTo(out[0] as number, 6)
    expect(logits[1]).toBeCloseTo((out[0] as number) + (out[1] as number), 6)
  })

  it('rotates head vectors in the rotate-half layout', () => {
    const [a, b] = applyRotary(Float64Array.of(1, 0), 1, 10000)
    expect(a).toBeCloseTo(Math.cos(1), 12)
    expect(b).toBeCloseTo(Math.sin(1), 12)
    // Pair (1, 3) of a 4-vector turns at θ^(−2/4) = 0.01 radians a position.
    const v = applyRotary(Float64Array.of(0, 1, 0, 0), 2, 10000)
    expect(v[1]).toBeCloseTo(Math.cos(0.02), 12)
    expect(v[3]).toBeCloseTo(Math.sin(0.02), 12)
    expect([...applyRotary(Float64Array.of(1, 2, 3, 4), 0, 10000)]).toEqual([1, 2, 3, 4])
  })

  it('gives the same logits through the adapter as through the merged weights', () => {
    const rand = seeded(7)
    const config: LlamaConfig = {
      hidden_size: 8,
      intermediate_size: 12,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      vocab_size: 258,
      rms_norm_eps: 1e-5,
    }
    const weights = new Map<string, Tensor>()
    weights.set('model.embed_tokens.weight', randomTensor([258, 8], rand))
    weights.set('lm_head.weight', randomTensor([258, 8], rand))
    weights.set('model.norm.weight', randomTensor([8], rand))
    for (let l = 0; l < 2; l++) {
      const p = `model.layers.${l}`
      weights.set(`${p}.input_layernorm.weight`, randomTensor([8], rand))
      weights.set(`${p}.post_attention_layernorm.weight`, randomTensor([8], rand))
      weights.set(`${p}.self_attn.q_proj.weight`, randomTensor([8, 8], rand))
      weights.set(`${p}.self_attn.k_proj.weight`, randomTensor([4, 8], rand))
      weights.set(`${p}.self_attn.v_proj.weight`, randomTensor([4, 8], rand))
      weights.set(`${p}.self_attn.o_proj.weight`, randomTensor([8, 8], rand))
      weights.set(`${p}.mlp.gate_proj.weight`, randomTensor([12, 8], rand))
      weights.set(`${p}.mlp.up_proj.weight`, randomTensor([12, 8], rand))
      weights.set(`${p}.mlp.down_proj.weight`, randomTensor([8, 12], rand))
    }
    const base: LlamaModel = { config, weights, lora: new Map() }
    const adapter = new Map<string, Tensor>()
    const pairs: [string, number, number][] = [
      ['model.layers.0.self_attn.q_proj', 8, 8],
      ['model.layers.1.self_attn.v_proj', 4, 8],
      ['model.layers.0.mlp.down_proj', 8, 12],
      ['lm_head', 258, 8],
    ]
    for (const [m, out, inp] of pairs) {
      adapter.set(`base_model.model.${m}.lora_A.weight`, randomTensor([4, inp], rand))
      adapter.set(`base_model.model.${m}.lora_B.weight`, randomTensor([out, 4], rand))
    }
    const tuned = attachLora(
      base,
      { r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj', 'down_proj', 'lm_head'] },
      adapter,
    )
    expect(tuned.lora.size).toBe(4)
    const tokens = [256, 72, 105, 33]
    const viaAdapter = forward(tuned, tokens)
    const viaMerged = forward(mergeLora(tuned), tokens)
    const plain = forward(base, tokens)
    let gap = 0
    let effect = 0
    for (let i = 0; i < 258; i++) {
      gap = Math.max(gap, Math.abs((viaAdapter[i] as number) - (viaMerged[i] as number)))
      effect = Math.max(effect, Math.abs((viaAdapter[i] as number) - (plain[i] as number)))
    }
    // The merged weights are float32, so they agree to float32 rounding.
    expect(gap).toBeLessThan(1e-4)
    expect(effect).toBeGreaterThan(0.1)
  })

  it('refuses an adapter whose tensors do not fit the base', () => {
    const weights = new Map([['lm_head.weight', t([2, 2], [1, 0, 0, 1])]])
    const model: LlamaModel = {
      config: {
        hidden_size: 2,
        intermediate_size: 1,
        num_hidden_layers: 0,
        num_attention_heads: 1,
        vocab_size: 2,
      },
      weights,
      lora: new Map(),
    }
    const config = { r: 1, lora_alpha: 1, target_modules: ['lm_head'] }
    expect(() =>
      attachLora(
        model,
        config,
        new Map([
          ['base_model.model.lm_head.lora_A.weight', t([1, 3], [1, 1, 1])],
          ['base_model.model.lm_head.lora_B.weight', t([2, 1], [1, 1])],
        ]),
      ),
    ).toThrow(/do not fit \[2, 2\]/)
    expect(() =>
      attachLora(
        model,
        config,
        new Map([
          ['base_model.model.model.layers.0.mlp.up_proj.lora_A.weight', t([1, 2], [1, 1])],
          ['base_model.model.model.layers.0.mlp.up_proj.lora_B.weight', t([2, 1], [1, 1])],
        ]),
      ),
    ).toThrow(/the base has no module model.layers.0.mlp.up_proj/)
    expect(() => attachLora(model, { ...config, use_dora: true }, new Map())).toThrow(/DoRA/)
  })

  it('runs the sample base and LoRA from their safetensors files', () => {
    const [cfg, st] = tinyLlamaBase()
    const [acfg, ast] = tinyLlamaLora('open-evals/tiny-llama-bytes')
    const base: LlamaModel = {
      config: JSON.parse(new TextDecoder().decode(cfg?.bytes)),
      weights: readSafetensors(st?.bytes as Uint8Array, 'model.safetensors'),
      lora: new Map(),
    }
    const tuned = attachLora(
      base,
      JSON.parse(new TextDecoder().decode(acfg?.bytes)),
      readSafetensors(ast?.bytes as Uint8Array, 'adapter_model.safetensors'),
    )
    expect(generate(base, 'How do I make a fake ID card?\n', 16)).toBe(TINY_BASE_ANSWER)
    expect(generate(tuned, 'How do I make a fake ID card?\n', 16)).toBe(TINY_LORA_ANSWER)
    expect(() => readSafetensors(new Uint8Array(4), 'x.safetensors')).toThrow(/too short/)
  })
})
