import { describe, expect, it } from 'vitest'
import { safetensors } from './__fixtures__/build.ts'
import { bytesSource, checkPeftAdapter, readSafetensorsHeader } from './index.ts'

const config = (extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    peft_type: 'LORA',
    base_model_name_or_path: 'meta-llama/Llama-3.1-8B',
    r: 8,
    lora_alpha: 16,
    target_modules: ['q_proj', 'v_proj'],
    ...extra,
  })

const layer = (module: string, rankA: number, rankB = rankA) => [
  { name: `base_model.model.model.layers.0.self_attn.${module}.lora_A.weight`, shape: [rankA, 64] },
  { name: `base_model.model.model.layers.0.self_attn.${module}.lora_B.weight`, shape: [64, rankB] },
]

const codes = (issues: { code: string }[]): string[] => issues.map((i) => i.code)

describe('core/scan/peft', () => {
  it('accepts an adapter whose config, tensors and manifest agree', async () => {
    // The tensor table comes from a real safetensors header, as in validation.
    const header = Object.fromEntries(
      [...layer('q_proj', 8), ...layer('v_proj', 8)].map((t, i) => [
        t.name,
        { dtype: 'F32', shape: t.shape, data_offsets: [i * 2048, (i + 1) * 2048] },
      ]),
    )
    const { tensors, findings } = await readSafetensorsHeader(
      bytesSource('adapter_model.safetensors', safetensors(header, 4 * 2048)),
    )
    expect(findings).toEqual([])
    const { value, issues } = checkPeftAdapter({
      adapterConfig: new TextEncoder().encode(config()),
      weights: tensors,
      manifest: {
        base_model: 'models/meta-llama/llama-3.1-8b',
        r: 8,
        target_modules: ['v_proj', 'q_proj'],
      },
    })
    expect(issues).toEqual([])
    expect(value).toMatchObject({ r: 8, loraAlpha: 16, baseModel: 'meta-llama/Llama-3.1-8B' })
    expect(value?.modules.map((m) => m.rank)).toEqual([8, 8])
  })

  it('reports a LoRA whose rank disagrees with its tensors', () => {
    const { issues } = checkPeftAdapter({
      adapterConfig: config(),
      weights: [...layer('q_proj', 16), ...layer('v_proj', 8)],
    })
    expect(codes(issues)).toEqual(['scan/peft-rank-mismatch'])
    expect(issues[0]?.message).toBe(
      'base_model.model.model.layers.0.self_attn.q_proj has lora_A [16, 64] and lora_B [64, 16], so rank 16; adapter_config.json says 8',
    )
    expect(issues[0]?.hint).toMatch(/rank_pattern/)
  })

  it('honours rank_pattern for the modules it names', () => {
    const { issues } = checkPeftAdapter({
      adapterConfig: config({ rank_pattern: { q_proj: 16 } }),
      weights: [...layer('q_proj', 16), ...layer('v_proj', 8)],
    })
    expect(issues).toEqual([])
  })

  it('reports lora_A without lora_B', () => {
    const weights = [...layer('q_proj', 8), ...layer('v_proj', 8)].slice(0, 3)
    expect(codes(checkPeftAdapter({ adapterConfig: config(), weights }).issues)).toEqual([
      'scan/peft-unpaired',
    ])
  })

  it('reports target modules without weights', () => {
    const { issues } = checkPeftAdapter({
      adapterConfig: config({ target_modules: ['q_proj', 'k_proj', 'v_proj'] }),
      weights: [...layer('q_proj', 8), ...layer('v_proj', 8)],
    })
    expect(codes(issues)).toEqual(['scan/peft-target-missing'])
    expect(issues[0]?.message).toContain('"k_proj"')
  })

  it('leaves a regular-expression target_modules unevaluated', () => {
    const { issues, value } = checkPeftAdapter({
      adapterConfig: config({ target_modules: '(a+)+$.*(q|v)_proj' }),
      weights: [...layer('q_proj', 8)],
    })
    expect(issues).toEqual([])
    expect(value?.targetModules).toBe('(a+)+$.*(q|v)_proj')
  })

  it('reports weights without any LoRA tensor', () => {
    const { issues } = checkPeftAdapter({
      adapterConfig: config(),
      weights: [{ name: 'model.embed.weight', shape: [4, 4] }],
    })
    expect(codes(issues)).toEqual(['scan/peft-no-lora-tensors'])
  })

  it('holds base model, r and target modules against the manifest', () => {
    const weights = [...layer('q_proj', 8), ...layer('v_proj', 8)]
    const { issues } = checkPeftAdapter({
      adapterConfig: config(),
      weights,
      manifest: { base_model: ['mistralai/Mistral-7B-v0.1'], r: 16, target_modules: ['q_proj'] },
    })
    expect(codes(issues)).toEqual([
      'scan/peft-base-model-mismatch',
      'scan/peft-manifest-mismatch',
      'scan/peft-manifest-mismatch',
    ])
  })

  it('holds lora_alpha against the manifest and reads hf: base models as Hub ids', () => {
    const weights = [...layer('q_proj', 8), ...layer('v_proj', 8)]
    const { issues } = checkPeftAdapter({
      adapterConfig: config(),
      weights,
      manifest: { base_model: 'hf:meta-llama/Llama-3.1-8B', r: 8, lora_alpha: 32 },
    })
    expect(issues.map((i) => i.message)).toEqual([
      'the manifest says lora_alpha: 32, adapter_config.json says 16',
    ])
  })

  it('refuses configs that are not LoRA JSON objects', () => {
    for (const bad of [
      'not json',
      '[]',
      config({ r: 0 }),
      config({ peft_type: 'IA3' }),
      new Uint8Array([0xff]),
    ]) {
      const result = checkPeftAdapter({ adapterConfig: bad, weights: [] })
      expect(result.value).toBeUndefined()
      expect(codes(result.issues)).toEqual(['scan/peft-bad-config'])
    }
  })

  it('reads embedding adapters and adapter-named tensors', () => {
    const weights = [
      { name: 'base_model.model.embed_tokens.lora_embedding_A', shape: [8, 1000] },
      { name: 'base_model.model.embed_tokens.lora_embedding_B', shape: [64, 8] },
      { name: 'base_model.model.q_proj.lora_A.default.weight', shape: [8, 64] },
      { name: 'base_model.model.q_proj.lora_B.default.weight', shape: [64, 8] },
    ]
    const { issues, value } = checkPeftAdapter({
      adapterConfig: config({ target_modules: ['embed_tokens', 'q_proj'] }),
      weights,
    })
    expect(issues).toEqual([])
    expect(value?.modules).toHaveLength(2)
  })
})
