import type { Issue } from '#core/errors'
import {
  checkPeftAdapter,
  type LoraManifestFields,
  openPath,
  readSafetensorsHeader,
} from '#core/scan'
import { readFileNoFollow } from '#core/storage'

/** adapter_config.json is a few hundred bytes; past this it is not one peft wrote. */
const MAX_CONFIG_BYTES = 1 << 20

/** What a LoRA's adapter_config.json gives its manifests. */
export interface LoraConfigFields {
  /** Version fields: `r`, `lora_alpha`, `target_modules`. */
  version: Record<string, unknown>
  /** `base_model_name_or_path` as it is written (a Hub id or a local path). */
  baseModel: string | undefined
}

/**
 * Reads a LoRA's `adapter_config.json` (beside `adapter_model.safetensors`,
 * whose tensors are held against it) from the folder being published, with
 * the PEFT check the pull-request scan runs. The manifest fields the author
 * gave (front matter, a draft version file, item.yaml's base_model) must
 * agree with it: each conflict is an error naming both values. Returns
 * undefined when the folder holds no adapter_config.json.
 *
 * @example
 * const lora = await readLoraConfig(files, { r: 16 }, 'registry/loras/…/versions/1.0.0.yaml', issues)
 * // lora.version -> { r: 16, lora_alpha: 32, target_modules: ['q_proj', 'v_proj'] }
 */
export async function readLoraConfig(
  files: readonly { path: string; source: string; size: number }[],
  given: LoraManifestFields,
  versionFile: string,
  issues: Issue[],
): Promise<LoraConfigFields | undefined> {
  const config = files
    .filter((f) => f.path === 'adapter_config.json' || f.path.endsWith('/adapter_config.json'))
    .sort((a, b) => a.path.length - b.path.length)[0]
  if (!config) return undefined
  if (config.size > MAX_CONFIG_BYTES) {
    issues.push({
      code: 'scan/peft-bad-config',
      severity: 'error',
      message: `${config.path} is ${config.size} bytes, not a peft adapter config`,
      hint: 'publish the adapter_config.json peft save_pretrained writes',
      file: versionFile,
    })
    return undefined
  }
  const dir = config.path.includes('/')
    ? config.path.slice(0, config.path.lastIndexOf('/') + 1)
    : ''
  const weightsFile = files.find((f) => f.path === `${dir}adapter_model.safetensors`)
  let weights: { name: string; shape: number[] }[] = []
  if (weightsFile) {
    const source = await openPath(weightsFile.source)
    try {
      weights = (await readSafetensorsHeader(source)).tensors
    } finally {
      await source.close()
    }
  }
  const checked = checkPeftAdapter({
    adapterConfig: await readFileNoFollow(config.source),
    weights,
    manifest: given,
    configFile: config.path,
    ...(weightsFile ? { weightsFile: weightsFile.path } : {}),
  })
  for (const finding of checked.issues) {
    // Without adapter_model.safetensors (e.g. a .bin the scan refuses anyway) there are no tensors to hold the config against.
    if (!weightsFile && finding.code === 'scan/peft-no-lora-tensors') continue
    const { unsafe: _unsafe, ...issue } = finding
    issues.push({ ...issue, message: `${finding.file}: ${finding.message}`, file: versionFile })
  }
  const adapter = checked.value
  if (!adapter) return undefined
  const version: Record<string, unknown> = { r: adapter.r }
  if (adapter.loraAlpha !== undefined) version.lora_alpha = adapter.loraAlpha
  if (Array.isArray(adapter.targetModules) && adapter.targetModules.length > 0)
    version.target_modules = [...new Set(adapter.targetModules)]
  return { version, baseModel: adapter.baseModel }
}

/**
 * The item's `base_model` for a `base_model_name_or_path`: a registry
 * model's `ns/name` when the hub has it, `hf:<org>/<name>` for another Hub
 * id, and undefined for a local path, which names nothing others can find.
 *
 * @example await baseModelRef('meta-llama/Llama-3.1-8B', async () => false) // 'hf:meta-llama/Llama-3.1-8B'
 */
export async function baseModelRef(
  nameOrPath: string,
  modelExists: (ns: string, name: string) => Promise<boolean>,
): Promise<string | undefined> {
  const match = /^([A-Za-z0-9][\w.-]*)\/([A-Za-z0-9][\w.-]*)$/.exec(nameOrPath.trim())
  if (!match) return undefined
  const [, ns, name] = match as unknown as [string, string, string]
  if (await modelExists(ns, name)) return `${ns}/${name}`
  return `hf:${ns}/${name}`
}
