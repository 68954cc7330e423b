import type { CatalogEntry } from './types.ts'

export type SortKey = 'trending' | 'downloads' | 'rating' | 'newest' | 'name'

export interface SortOption {
  key: SortKey
  label: string
  /** False when the hub records nothing to sort by; the reason says so. */
  available: boolean
  reason?: string
}

/**
 * The listing sorts. Downloads and ratings are listed but unavailable: the
 * registry records neither, and inventing numbers would mislead.
 */
export const SORTS: readonly SortOption[] = [
  { key: 'trending', label: 'Trending', available: true },
  { key: 'newest', label: 'Newest', available: true },
  { key: 'name', label: 'Name', available: true },
  {
    key: 'downloads',
    label: 'Downloads',
    available: false,
    reason: 'this hub records no download counts',
  },
  { key: 'rating', label: 'Rating', available: false, reason: 'this hub records no ratings' },
]

/** Entries on one static listing page. */
export const PAGE_SIZE = 24

const COMPARE: Record<SortKey, (a: CatalogEntry, b: CatalogEntry) => number> = {
  trending: (a, b) =>
    b.trending - a.trending ||
    (b.updated ?? '').localeCompare(a.updated ?? '') ||
    a.key.localeCompare(b.key),
  newest: (a, b) => (b.updated ?? '').localeCompare(a.updated ?? '') || a.key.localeCompare(b.key),
  name: (a, b) => a.item.title.localeCompare(b.item.title, 'en') || a.key.localeCompare(b.key),
  downloads: (a, b) => a.key.localeCompare(b.key),
  rating: (a, b) => a.key.localeCompare(b.key),
}

/**
 * A sorted copy of entries.
 *
 * @example sortEntries(entries, 'name').map((e) => e.item.title) // alphabetical
 */
export function sortEntries(entries: readonly CatalogEntry[], key: SortKey): CatalogEntry[] {
  return [...entries].sort(COMPARE[key])
}

export interface Page<T> {
  /** 1-based. */
  page: number
  pages: number
  total: number
  items: T[]
}

/**
 * Splits a list into fixed-size pages; an empty list still has one page so
 * its listing renders an empty state rather than a 404.
 *
 * @example paginate([1, 2, 3], 2).map((p) => p.items) // [[1, 2], [3]]
 */
export function paginate<T>(items: readonly T[], size: number = PAGE_SIZE): Page<T>[] {
  const pages = Math.max(1, Math.ceil(items.length / size))
  return Array.from({ length: pages }, (_, i) => ({
    page: i + 1,
    pages,
    total: items.length,
    items: items.slice(i * size, (i + 1) * size),
  }))
}

/**
 * URL of page `n` of a listing whose first page is `base` (`/models/`).
 *
 * @example pageUrl('/models/', 2) // '/models/page/2/'
 */
export function pageUrl(base: string, n: number): string {
  return n <= 1 ? base : `${base}page/${n}/`
}
