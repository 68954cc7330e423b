import type { Kind } from '#core/names'

/**
 * One item as `agora search` and `agora list` see it: what a result row and
 * the filters need, nothing a download needs (that stays in the item file).
 * Empty lists and unknown figures are left out to keep the file small.
 */
export interface SearchEntry {
  kind: Kind
  /** `ns/name`. */
  id: string
  title: string
  summary: string
  owners: string[]
  license: string
  domains?: string[]
  tags?: string[]
  /** Tasks (pipeline_tag, task_categories, task, use_case). */
  tasks?: string[]
  /** Frameworks and file formats: library_name, dataset format, extensions of the latest files. */
  formats?: string[]
  /** The version `dist-tags.latest` names, else the newest stable one. */
  latest?: string
  /** Release date of the first and of the newest version (as the manifests write them). */
  created?: string
  updated?: string
  /** The catalog's activity score (recent releases and results); absent when 0. */
  trending?: number
  /** Download count and rating, for hubs whose catalog records them; this one records neither. */
  downloads?: number
  rating?: number
  /** The item's state when it is not active (deprecated, flagged, taken-down). */
  status?: string
}

/** `index/search.json`: every item of the hub, one compact entry each, signed like the rest of the index. */
export interface SearchIndex {
  v: number
  hub: string
  commit?: string
  sequence?: number
  items: SearchEntry[]
}
