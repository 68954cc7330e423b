import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import semver from 'semver'
import { hasErrors } from '#core/errors'
import type { Kind } from '#core/names'
import { itemDir, versionPath } from '#core/names'
import { validateDocument } from '#core/schema'
import type { ItemCatalog } from './stripe-events.ts'

/**
 * An ItemCatalog over a registry checkout: the version's files from its
 * versions/<v>.yaml (the latest dist-tag, else the highest version, when
 * none is named) and the query limit and interval from item.yaml pricing.
 *
 * @example const catalog = registryCatalog('/srv/hub/registry')
 */
export function registryCatalog(registryDir: string): ItemCatalog {
  return async (item, version) => {
    const ref = { kind: item.kind as Kind, ns: item.ns, name: item.name }
    const dir = join(registryDir, itemDir(ref))
    const itemFile = join(dir, 'item.yaml')
    const itemText = await readFile(itemFile).catch(() => undefined)
    if (!itemText) return undefined
    const loaded = validateDocument('item', itemText, itemFile, { kind: ref.kind })
    if (!loaded.value || hasErrors(loaded.issues)) return undefined
    const manifest = loaded.value as {
      'dist-tags'?: Record<string, string>
      pricing?: { query_limit?: number; interval?: 'month' | 'year' }
    }
    let chosen = version ?? manifest['dist-tags']?.latest
    if (!chosen) {
      const names = await readdir(join(dir, 'versions')).catch(() => [] as string[])
      chosen = names
        .map((n) => n.replace(/\.yaml$/, ''))
        .filter((v) => semver.valid(v))
        .sort(semver.rcompare)[0]
    }
    if (!chosen || !semver.valid(chosen)) return undefined
    const file = join(registryDir, versionPath(ref, chosen))
    const text = await readFile(file).catch(() => undefined)
    if (!text) return undefined
    const parsed = validateDocument('version', text, file, { kind: ref.kind })
    if (!parsed.value || hasErrors(parsed.issues)) return undefined
    const files = (parsed.value as { files?: { sha256: string }[] }).files ?? []
    return {
      version: chosen,
      files: files.map((f) => f.sha256),
      queryLimit: manifest.pricing?.query_limit,
      interval: manifest.pricing?.interval,
    }
  }
}
