import { KINDS, type Kind, kindPlural } from '../../core/names/kinds.ts'

/**
 * Above this many item pages, search is split into one Pagefind index per
 * kind. Pagefind's indexer holds the whole index in memory, about 40 KB per
 * page (3.9 GB at 100,000 items); split, it holds one kind at a time. Below
 * it one index serves every page: each index a visitor loads costs its own
 * copy of the 60 KB search engine, so the all-kinds search stays one index
 * for as long as memory allows. `AGORA_SEARCH_SPLIT_ABOVE` overrides it.
 */
export const SPLIT_ABOVE = Number(process.env['AGORA_SEARCH_SPLIT_ABOVE'] ?? 30_000)

/** Where a listing's search reads from: index folders (the first is primary) and sort orders. */
export interface SearchSource {
  /** Site paths of Pagefind index folders, with trailing slash. */
  indexes: string[]
  /** Site path of the folder holding `<sort>.json` orders for these indexes. */
  sort: string
}

/** Whether a hub with these item counts gets one index per kind. */
export function splitSearch(counts: ReadonlyMap<Kind, number>, above = SPLIT_ABOVE): boolean {
  let total = 0
  for (const n of counts.values()) total += n
  return total > above
}

/**
 * The indexes a listing searches: the one index, or, split, its own kind's
 * index (kind listings) or every kind's, largest first (all kinds).
 *
 * @example searchSource(new Map([['model', 10]]), 'model') // { indexes: ['/pagefind/'], sort: '/pagefind/sort/' }
 */
export function searchSource(
  counts: ReadonlyMap<Kind, number>,
  scope?: Kind,
  splitAbove = SPLIT_ABOVE,
): SearchSource {
  if (!splitSearch(counts, splitAbove)) return { indexes: ['/pagefind/'], sort: '/pagefind/sort/' }
  if (scope) {
    const base = `/pagefind/${kindPlural(scope)}/`
    return { indexes: [base], sort: `${base}sort/` }
  }
  const kinds = KINDS.filter((k) => (counts.get(k) ?? 0) > 0).sort(
    (a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0),
  )
  return { indexes: kinds.map((k) => `/pagefind/${kindPlural(k)}/`), sort: '/pagefind/sort/' }
}
