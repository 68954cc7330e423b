// Single semver functions: the package's index loads all 48 of its files on every start.
import semverRcompare from 'semver/functions/rcompare.js'
import type { IndexMember } from '#core/index-format'
import type { ItemStatus, Pricing, VersionStatus } from '#core/manifest'
import type { ItemRef } from '#core/names'
import { checkCollectionSpec, checkFiles, type LoadedItem, pickVersion } from './resolve.ts'

/** One version of an item as the index lists it. */
export interface VersionInfo {
  version: string
  released?: string | undefined
  status?: VersionStatus | undefined
  /** The dist-tags pointing at it. */
  tags: string[]
}

/** A file of the version a spec selects. */
export interface FileInfo {
  path: string
  size: number
  sha256: string
  private?: boolean
}

/**
 * What the hub's signed index says about an item: its card's title,
 * summary, owners, licence and tags (absent from indexes built before they
 * were added), and what a download needs.
 */
export interface ItemInfo {
  ref: ItemRef
  title?: string | undefined
  summary?: string | undefined
  owners?: string[] | undefined
  license?: string | undefined
  tags?: string[] | undefined
  status?: ItemStatus | undefined
  pricing?: Pricing | undefined
  distTags: Record<string, string>
  /** Newest first. */
  versions: VersionInfo[]
  /** The version the spec selects (latest by default) and its files; none for a collection. */
  selected?: {
    version: string
    status?: VersionStatus | undefined
    files: FileInfo[]
    totalSize: number
  }
  /** A collection's members, in the order it lists them. */
  members?: IndexMember[]
  commit?: string | undefined
  warnings: string[]
  source: string
}

/**
 * Turns a loaded index document into the summary `agora info` prints:
 * versions newest first with their tags and status, and the files of the
 * version the spec selects (a dist-tag, exact version or range, as pull
 * picks it). Throws `client/unknown-version` for a spec that selects nothing.
 *
 * @example
 * describeItem(await loadItem('acme/tox-gnn@^1', { fetch, indexUrl })).selected?.version // '1.4.2'
 */
export function describeItem(loaded: LoadedItem): ItemInfo {
  const { ref, entry } = loaded
  const distTags = { ...entry['dist-tags'] }
  const tagsOf = (version: string) =>
    Object.keys(distTags).filter((tag) => distTags[tag] === version)
  const versions = Object.keys(entry.versions)
    .sort(semverRcompare)
    .map((version) => {
      const v = entry.versions[version]
      return {
        version,
        ...(v?.released === undefined ? {} : { released: v.released }),
        ...(v?.status === undefined ? {} : { status: v.status }),
        tags: tagsOf(version),
      }
    })
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined)
  const list = (value: unknown) =>
    Array.isArray(value) && value.every((v) => typeof v === 'string')
      ? (value as string[])
      : undefined
  const card = {
    title: text(entry.title),
    summary: text(entry.summary),
    owners: list(entry.owners),
    license: text(entry.license),
    tags: list(entry.tags),
  }
  const info: ItemInfo = {
    ref,
    ...Object.fromEntries(Object.entries(card).filter(([, v]) => v !== undefined)),
    ...(entry.status === undefined ? {} : { status: entry.status }),
    ...(entry.pricing === undefined ? {} : { pricing: entry.pricing }),
    distTags,
    versions,
    commit: loaded.commit,
    warnings: loaded.warnings,
    source: loaded.source,
  }
  if (ref.kind === 'collection') {
    checkCollectionSpec({
      ...ref,
      ...(loaded.wanted === undefined ? {} : { version: loaded.wanted }),
    })
    return { ...info, members: entry.members ?? [] }
  }
  // The chosen version's status is shown beside it; pick's warnings would only repeat it.
  const version = pickVersion(ref, loaded.wanted, distTags, entry.versions, [])
  const chosen = entry.versions[version]
  const files: FileInfo[] = checkFiles(ref, version, chosen?.files ?? []).map((f) => ({
    path: f.path,
    size: f.size,
    sha256: f.sha256,
    ...(f.private ? { private: true } : {}),
  }))
  return {
    ...info,
    selected: {
      version,
      ...(chosen?.status === undefined ? {} : { status: chosen.status }),
      files,
      totalSize: files.reduce((n, f) => n + f.size, 0),
    },
  }
}
