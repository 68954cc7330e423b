import { type Kind, kindPlural, parseKind } from './kinds.ts'

/** An item's identity: its kind, namespace and name. */
export interface ItemRef {
  kind: Kind
  ns: string
  name: string
}

/** A reference as written by a user, possibly pinned to a version or tag. */
export interface ItemSpec extends ItemRef {
  /** A semver, a semver range or a dist-tag; undefined means `latest`. */
  version?: string
}

/**
 * The shard folder of a namespace: its first two characters, so no folder
 * grows past a few thousand entries at a million items.
 *
 * @example shardOf('acme') // 'ac'
 */
export function shardOf(ns: string): string {
  return ns.slice(0, 2)
}

/**
 * The one place that computes an item's folder, relative to the registry root.
 *
 * @example itemDir({ kind: 'lora', ns: 'acme', name: 'legal-7b' }) // 'loras/ac/acme/legal-7b'
 */
export function itemDir(ref: ItemRef): string {
  return `${kindPlural(ref.kind)}/${shardOf(ref.ns)}/${ref.ns}/${ref.name}`
}

/** Path of a version file, relative to the registry root. */
export function versionPath(ref: ItemRef, version: string): string {
  return `${itemDir(ref)}/versions/${version}.yaml`
}

/** Path of an owner file, relative to the registry root. */
export function ownerPath(ns: string): string {
  return `owners/${ns}.yaml`
}

/**
 * The canonical string of a reference: `ns/name` for models, `<kind>s/ns/name`
 * otherwise.
 *
 * @example formatRef({ kind: 'dataset', ns: 'acme', name: 'tox21' }) // 'datasets/acme/tox21'
 */
export function formatRef(ref: ItemRef): string {
  return ref.kind === 'model'
    ? `${ref.ns}/${ref.name}`
    : `${kindPlural(ref.kind)}/${ref.ns}/${ref.name}`
}

/** Always-qualified key used for maps: `model/acme/tox-gnn`. */
export function refKey(ref: ItemRef): string {
  return `${ref.kind}/${ref.ns}/${ref.name}`
}

/**
 * Parses `[kind/]ns/name[@version]`. The kind may be singular or plural and
 * defaults to `defaultKind` (models). Returns undefined when it does not parse;
 * naming rules are checked elsewhere.
 *
 * @example parseRef('datasets/acme/tox21@1.0.0')
 * // { kind: 'dataset', ns: 'acme', name: 'tox21', version: '1.0.0' }
 */
export function parseRef(text: string, defaultKind: Kind = 'model'): ItemSpec | undefined {
  const at = text.indexOf('@')
  const body = at === -1 ? text : text.slice(0, at)
  const version = at === -1 ? undefined : text.slice(at + 1)
  if (version === '') return undefined
  const parts = body.split('/')
  let kind: Kind | undefined = defaultKind
  if (parts.length === 3) kind = parseKind(parts.shift() as string)
  if (!kind || parts.length !== 2) return undefined
  const [ns, name] = parts as [string, string]
  if (!ns || !name) return undefined
  return version === undefined ? { kind, ns, name } : { kind, ns, name, version }
}
