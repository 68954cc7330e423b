/**
 * The shapes the static catalog is built from. An item is built once into a
 * catalog entry (what every page may show of it: cards, listings, lineage,
 * leaderboards, stats) and a detail (what only its own page and API file
 * show: every version with its files, the rendered card). Entries of the
 * whole hub stay in memory for a build; details are read one page at a time.
 */
import type {
  HubConfig,
  ItemManifest,
  OwnerManifest,
  ReadmeDoc,
  ResultManifest,
  VersionManifest,
} from '#core/manifest'
import type { ItemRef, Kind } from '#core/registry'

/**
 * One item as the registry loader returns it (structurally the registry's
 * `LoadedItem`), so the catalog depends on the data, not on how it was read.
 */
export interface SourceItem {
  ref: ItemRef
  dir: string
  item: ItemManifest
  readme?: ReadmeDoc | undefined
  versions: Map<string, VersionManifest>
  results: { file: string; value: ResultManifest }[]
}

/** A whole registry as the loader returns it. */
export interface SourceRegistry {
  root: string
  hub: HubConfig
  owners: Map<string, OwnerManifest>
  items: Map<string, SourceItem>
}

/** The values an item is filtered by, each a list so multi-valued fields fit. */
export interface Facets {
  kind: Kind
  domain: string[]
  task: string[]
  license: string[]
  baseModel: string[]
  framework: string[]
  price: string[]
  tags: string[]
}

/** One evaluation result of an item, with its benchmark resolved to a key. */
export interface CatalogResult {
  /** `refKey` of the benchmark when it parses, else the text as written. */
  benchmark: string
  benchmarkRef?: ItemRef
  version: string
  scores: Record<string, number>
  date: string
  verified: boolean
  source?: ResultManifest['source']
  /** The grade the QA workflow wrote with the result. */
  grade?: NonNullable<ResultManifest['grade']>
  /** Earlier versions' scores, oldest first. */
  history?: NonNullable<ResultManifest['history']>
}

/** A reference from this item to another (lineage, collections, pipelines). */
export interface CatalogLink {
  /** As written in the manifest. */
  text: string
  /** Resolved when it is a registry reference; `hf:` ids stay external. */
  ref?: ItemRef
  /** `refKey` of the target when it is a registry reference. */
  key?: string
  relation?: string
}

/** What any page may show of an item; the whole hub's entries stay in memory. */
export interface CatalogEntry {
  /** `refKey`: `model/acme/tox-gnn`. */
  key: string
  ref: ItemRef
  /** `formatRef`: what users type (`acme/tox-gnn`, `datasets/acme/tox21`). */
  refText: string
  /** Site path of the item page, with trailing slash. */
  path: string
  /** Registry folder relative to the repository root. */
  dir: string
  item: ItemManifest
  /** Release dates of the versions that have one, oldest first. */
  releases: string[]
  /** How many versions, files (all versions) and bytes (all versions) the item has. */
  counts: { versions: number; files: number; bytes: number }
  /** The version `dist-tags.latest` names, else the newest active one. */
  latest?: string
  /** Release date of the newest version (ISO date), if known. */
  updated?: string
  /** Release date of the first version (ISO date), if known. */
  created?: string
  results: CatalogResult[]
  /** Parent links: base models and the fork source. */
  parents: CatalogLink[]
  /** Collection members or pipeline steps, resolved. */
  members: CatalogLink[]
  facets: Facets
  /** Term frequencies of the item's text, top terms only, for similar items. */
  terms: Record<string, number>
  /** Total bytes of the latest version's files. */
  size: number
  /** Parameter count when a model version states it. */
  parameters?: number
  /**
   * Activity score: recent releases and evaluation results, decayed by age.
   * Not a download count: the hub records none.
   */
  trending: number
}

/** What only an item's own page and API file show: read from disk one page at a time. */
export interface CatalogDetail {
  /** Versions, newest first, with their files. */
  versions: VersionManifest[]
  /** The card rendered from Markdown and sanitised; empty when there is none. */
  readmeHtml: string
}

/** An item's entry and detail, as `buildEntry` returns them. */
export interface BuiltEntry {
  entry: CatalogEntry
  detail: CatalogDetail
}

/** An owner with the items it owns, for owner and org pages. */
export interface CatalogOwner {
  ns: string
  owner: OwnerManifest
}
