import type { CatalogEntry, Facets } from '#core/catalog'

export type FacetKey = keyof Facets

/** The filter sidebar's groups, in order, with the labels visitors see. */
export const FACET_GROUPS: readonly { key: FacetKey; label: string }[] = [
  { key: 'kind', label: 'Kind' },
  { key: 'domain', label: 'Domain' },
  { key: 'task', label: 'Task' },
  { key: 'license', label: 'Licence' },
  { key: 'baseModel', label: 'Base model' },
  { key: 'framework', label: 'Framework or format' },
  { key: 'price', label: 'Price' },
  { key: 'tags', label: 'Tags' },
]

/**
 * Values of one facet of an entry, as a list.
 *
 * @example facetValues(entry, 'tags') // ['gnn', 'toxicology']
 */
export function facetValues(entry: CatalogEntry, key: FacetKey): string[] {
  const value = entry.facets[key]
  return Array.isArray(value) ? value : [value]
}

/**
 * Value counts per facet over a set of entries, the most common first,
 * capped so a 10k-item listing page stays small.
 *
 * @example countFacets(entries, 30).get('kind') // [['model', 42], ['dataset', 12]]
 */
export function countFacets(
  entries: readonly CatalogEntry[],
  limit: number,
): Map<FacetKey, [string, number][]> {
  const out = new Map<FacetKey, [string, number][]>()
  for (const { key } of FACET_GROUPS) {
    const counts = new Map<string, number>()
    for (const e of entries)
      for (const v of facetValues(e, key)) counts.set(v, (counts.get(v) ?? 0) + 1)
    out.set(
      key,
      [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, limit),
    )
  }
  return out
}

/**
 * A filter value made safe for Pagefind's `key:value, …` attribute syntax.
 *
 * @example filterValue('a:b, c') // 'a b  c'
 */
export function filterValue(value: string): string {
  return value.replace(/[,:]/g, ' ').trim()
}
