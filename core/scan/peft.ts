import type { Validated } from '#core/errors'
import { makeFinding } from './finding.ts'
import { isJsonObject, JsonSyntaxError, type JsonValue, parseStrictJson } from './strict-json.ts'
import type { Finding, TensorInfo } from './types.ts'

/** What a version manifest says about its LoRA, to be held against the files. */
export interface LoraManifestFields {
  base_model?: string | readonly string[]
  r?: number
  lora_alpha?: number
  target_modules?: readonly string[]
}

export interface PeftCheckInput {
  /** The bytes (or text) of adapter_config.json. */
  adapterConfig: Uint8Array | string
  /** The tensor table of adapter_model.safetensors (see `readSafetensorsHeader`). */
  weights: readonly Pick<TensorInfo, 'name' | 'shape'>[]
  manifest?: LoraManifestFields
  /** Paths shown in findings. */
  configFile?: string
  weightsFile?: string
}

/** One adapted module: its LoRA rank as the tensors have it. */
export interface PeftModule {
  module: string
  rank: number
}

export interface PeftAdapter {
  r: number
  loraAlpha: number | undefined
  targetModules: string[] | string | undefined
  baseModel: string | undefined
  modules: PeftModule[]
}

const LORA_WEIGHT = /^(.+)\.(lora_A|lora_B)(?:\.[^.]+)?\.weight$/
const LORA_EMBEDDING = /^(.+)\.(lora_embedding_A|lora_embedding_B)(?:\.[^.]+)?$/

/**
 * Holds a PEFT LoRA's adapter_config.json against its weights and its
 * manifest: every lora_A has its lora_B, ranks equal `r` (or the module's
 * `rank_pattern` entry) with A shaped [r, in] and B [out, r], every target
 * module has weights, and base model, `r` and `target_modules` agree with
 * the manifest. `rank_pattern` keys and string `target_modules` are
 * compared as literal suffixes, never compiled as regular expressions, so a
 * hostile config cannot stall the check.
 *
 * @example
 * const { value, issues } = checkPeftAdapter({
 *   adapterConfig: await readFile('adapter_config.json'),
 *   weights: (await readSafetensorsHeader(source)).tensors,
 *   manifest: { base_model: 'meta-llama/Llama-3.1-8B', r: 16, target_modules: ['q_proj', 'v_proj'] },
 * })
 */
export function checkPeftAdapter(
  input: PeftCheckInput,
): Validated<PeftAdapter> & { issues: Finding[] } {
  const configFile = input.configFile ?? 'adapter_config.json'
  const weightsFile = input.weightsFile ?? 'adapter_model.safetensors'
  const issues: Finding[] = []
  const badConfig = (message: string): Validated<PeftAdapter> & { issues: Finding[] } => ({
    value: undefined,
    issues: [makeFinding(configFile, 'scan/peft-bad-config', message)],
  })

  let config: JsonValue
  try {
    const text =
      typeof input.adapterConfig === 'string'
        ? input.adapterConfig
        : new TextDecoder('utf-8', { fatal: true }).decode(input.adapterConfig)
    config = parseStrictJson(text).value
  } catch (error) {
    return badConfig(
      `adapter_config.json is not JSON: ${error instanceof JsonSyntaxError ? error.message : 'not valid UTF-8'}`,
    )
  }
  if (!isJsonObject(config)) return badConfig('adapter_config.json is not a JSON object')
  const peftType = config.peft_type
  if (peftType !== undefined && peftType !== 'LORA') {
    return badConfig(`peft_type is ${JSON.stringify(peftType)}; only LORA adapters are checked`)
  }
  const r = config.r
  if (typeof r !== 'number' || !Number.isSafeInteger(r) || r <= 0) {
    return badConfig(`r is ${JSON.stringify(r)}, not a positive integer`)
  }
  const rankPattern = isJsonObject(config.rank_pattern) ? config.rank_pattern : {}
  const targets = config.target_modules
  const targetModules = Array.isArray(targets)
    ? targets.filter((t): t is string => typeof t === 'string')
    : typeof targets === 'string'
      ? targets
      : undefined
  const baseModel =
    typeof config.base_model_name_or_path === 'string' ? config.base_model_name_or_path : undefined
  const loraAlpha = typeof config.lora_alpha === 'number' ? config.lora_alpha : undefined

  const pairs = new Map<string, { a?: readonly number[]; b?: readonly number[] }>()
  for (const tensor of input.weights) {
    const match = LORA_WEIGHT.exec(tensor.name) ?? LORA_EMBEDDING.exec(tensor.name)
    if (!match) continue
    const module = match[1] as string
    const pair = pairs.get(module) ?? {}
    if ((match[2] as string).endsWith('A')) pair.a = tensor.shape
    else pair.b = tensor.shape
    pairs.set(module, pair)
  }
  if (pairs.size === 0) {
    issues.push(
      makeFinding(
        weightsFile,
        'scan/peft-no-lora-tensors',
        input.weights.length === 1
          ? 'the one tensor is not a lora_A or lora_B weight'
          : `none of the ${input.weights.length} tensors is a lora_A or lora_B weight`,
      ),
    )
  }

  const modules: PeftModule[] = []
  for (const [module, { a, b }] of pairs) {
    if (!a || !b) {
      issues.push(
        makeFinding(
          weightsFile,
          'scan/peft-unpaired',
          `${module} has lora_${a ? 'A' : 'B'} but no lora_${a ? 'B' : 'A'}`,
        ),
      )
      continue
    }
    const expected = rankFor(module, rankPattern) ?? r
    const rankA = a[0]
    const rankB = b[1]
    modules.push({ module, rank: rankA ?? 0 })
    if (rankA !== expected || rankB !== expected) {
      issues.push(
        makeFinding(
          weightsFile,
          'scan/peft-rank-mismatch',
          `${module} has lora_A [${a.join(', ')}] and lora_B [${b.join(', ')}], so rank ${rankA === rankB ? rankA : `${rankA}/${rankB}`}; adapter_config.json says ${expected}`,
        ),
      )
    }
  }

  if (Array.isArray(targetModules) && pairs.size > 0) {
    const names = [...pairs.keys()]
    for (const target of targetModules) {
      if (!names.some((m) => m === target || m.endsWith(`.${target}`))) {
        issues.push(
          makeFinding(
            configFile,
            'scan/peft-target-missing',
            `target module "${target}" has no lora_A/lora_B weights`,
          ),
        )
      }
    }
  }

  const manifest = input.manifest
  if (manifest?.base_model !== undefined && baseModel !== undefined) {
    const wanted = (
      typeof manifest.base_model === 'string' ? [manifest.base_model] : manifest.base_model
    ).map(normalizeModelId)
    if (!wanted.includes(normalizeModelId(baseModel))) {
      issues.push(
        makeFinding(
          configFile,
          'scan/peft-base-model-mismatch',
          `base_model_name_or_path is "${baseModel}" but the item's base_model is ${[
            manifest.base_model,
          ]
            .flat()
            .map((m) => `"${m}"`)
            .join(' or ')}`,
        ),
      )
    }
  }
  if (manifest?.r !== undefined && manifest.r !== r) {
    issues.push(
      makeFinding(
        configFile,
        'scan/peft-manifest-mismatch',
        `the manifest says r: ${manifest.r}, adapter_config.json says ${r}`,
      ),
    )
  }
  if (
    manifest?.lora_alpha !== undefined &&
    loraAlpha !== undefined &&
    manifest.lora_alpha !== loraAlpha
  ) {
    issues.push(
      makeFinding(
        configFile,
        'scan/peft-manifest-mismatch',
        `the manifest says lora_alpha: ${manifest.lora_alpha}, adapter_config.json says ${loraAlpha}`,
      ),
    )
  }
  if (manifest?.target_modules !== undefined && Array.isArray(targetModules)) {
    const a = [...new Set(manifest.target_modules)].sort()
    const b = [...new Set(targetModules)].sort()
    if (a.join('\0') !== b.join('\0')) {
      issues.push(
        makeFinding(
          configFile,
          'scan/peft-manifest-mismatch',
          `the manifest targets [${a.join(', ')}], adapter_config.json targets [${b.join(', ')}]`,
        ),
      )
    }
  }

  return { value: { r, loraAlpha, targetModules, baseModel, modules }, issues }
}

function rankFor(module: string, pattern: Record<string, JsonValue>): number | undefined {
  for (const [key, value] of Object.entries(pattern)) {
    if ((module === key || module.endsWith(`.${key}`)) && typeof value === 'number') return value
  }
  return undefined
}

/** `models/acme/llama@1.0.0`, `acme/llama`, `Acme/Llama` (and `hf:acme/llama` for `acme/llama`) name the same model. */
function normalizeModelId(id: string): string {
  return id
    .trim()
    .toLowerCase()
    .replace(/^hf:/, '')
    .replace(/^models\//, '')
    .replace(/@.*$/, '')
}
