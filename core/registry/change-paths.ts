import { type ItemRef, kindPlural, parseKind, shardOf } from '#core/names'

/** Where the registry lives inside a hub repository. */
export const REGISTRY_DIR = 'registry'

/** What a repository path belongs to, as far as change rules care. */
export type PathArea =
  | {
      area: 'item'
      ref: ItemRef
      /** Repository-relative item folder. */
      dir: string
      /** Path inside the item folder, such as `versions/1.0.0.yaml`. */
      rest: string
      /** The version a `versions/<v>.yaml` file holds. */
      version?: string
    }
  | { area: 'owner'; ns: string }
  | { area: 'hub' }
  | { area: 'outside' }
  | { area: 'misplaced'; reason: string }

/**
 * Sorts a repository path into item file, owner file, hub file (agora.yaml,
 * schemas, anything else at the registry's top), a misplaced file (inside a
 * kind or owners folder but not where a document can be), or outside the
 * registry.
 *
 * @example
 * classifyPath('registry/models/ac/acme/tox/versions/1.0.0.yaml')
 * // { area: 'item', ref: { kind: 'model', ns: 'acme', name: 'tox' },
 * //   dir: 'registry/models/ac/acme/tox', rest: 'versions/1.0.0.yaml', version: '1.0.0' }
 */
export function classifyPath(path: string): PathArea {
  const parts = path.split('/')
  if (parts[0] !== REGISTRY_DIR || parts.length < 2) return { area: 'outside' }
  const top = parts[1] as string
  if (top === 'owners') {
    const file = parts[2]
    if (parts.length === 3 && file?.endsWith('.yaml') && file.length > 5) {
      return { area: 'owner', ns: file.slice(0, -5) }
    }
    return { area: 'misplaced', reason: 'owner files are registry/owners/<namespace>.yaml' }
  }
  const kind = parseKind(top)
  // Only the plural folder (`models/`) holds items; a file named like a kind is a hub file.
  if (!kind || top !== kindPlural(kind) || parts.length === 2) return { area: 'hub' }
  if (parts.length < 6) {
    return {
      area: 'misplaced',
      reason: `item files live in registry/${top}/<shard>/<namespace>/<name>/`,
    }
  }
  const [, , shard, ns, name] = parts as [string, string, string, string, string]
  if (shard !== shardOf(ns)) {
    return {
      area: 'misplaced',
      reason: `namespace "${ns}" belongs in shard folder "${shardOf(ns)}", not "${shard}"`,
    }
  }
  const rest = parts.slice(5).join('/')
  const dir = parts.slice(0, 5).join('/')
  const ref: ItemRef = { kind, ns, name }
  const version =
    parts.length === 7 && parts[5] === 'versions' && rest.endsWith('.yaml')
      ? (parts[6] as string).slice(0, -5)
      : undefined
  return version ? { area: 'item', ref, dir, rest, version } : { area: 'item', ref, dir, rest }
}

/**
 * Repository-relative path of an owner file.
 *
 * @example ownerFile('acme') // 'registry/owners/acme.yaml'
 */
export function ownerFile(ns: string): string {
  return `${REGISTRY_DIR}/owners/${ns}.yaml`
}
