// The files, not #core/registry: its index reads the disk and Git, and these
// rules also run in the Contribute form's browser bundle.
import type { Kind } from '#core/names'
import { checkName, type ItemSpec, parseRef } from '#core/names'

/** A reference to a model outside the hub, such as `hf:meta-llama/Llama-3.1-8B`; never resolved. */
export interface ExternalRef {
  external: 'hf'
  id: string
}

const HF_REF = /^hf:[A-Za-z0-9][A-Za-z0-9._-]*(?:\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/

/**
 * Parses a reference as manifests write it: `[kind/]ns/name[@version]` for
 * registry items, or `hf:org/name` for Hugging Face ones when `allowExternal`.
 * Undefined when it does not parse or its names break the naming rules.
 *
 * @example parseManifestRef('datasets/acme/tox21', 'model') // { kind: 'dataset', ns: 'acme', name: 'tox21' }
 * @example parseManifestRef('hf:meta-llama/Llama-3.1-8B', 'model', { allowExternal: true }) // { external: 'hf', id: 'meta-llama/Llama-3.1-8B' }
 */
export function parseManifestRef(
  text: string,
  defaultKind: Kind,
  options: { allowExternal?: boolean; allowVersion?: boolean } = {},
): ItemSpec | ExternalRef | undefined {
  if (text.startsWith('hf:')) {
    return options.allowExternal && HF_REF.test(text)
      ? { external: 'hf', id: text.slice(3) }
      : undefined
  }
  const spec = parseRef(text, defaultKind)
  if (!spec) return undefined
  if (spec.version !== undefined && !options.allowVersion) return undefined
  if (checkName(spec.ns, 'namespace').some((i) => i.code === 'naming/invalid')) return undefined
  if (checkName(spec.name, 'name').some((i) => i.code === 'naming/invalid')) return undefined
  return spec
}

/**
 * True for a parsed reference that points outside the hub.
 *
 * @example isExternalRef({ external: 'hf', id: 'gpt2' }) // true
 */
export function isExternalRef(ref: ItemSpec | ExternalRef): ref is ExternalRef {
  return 'external' in ref
}
