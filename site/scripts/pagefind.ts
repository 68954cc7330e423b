/** The part of Pagefind's browser API the catalog uses. */
export interface PagefindResultData {
  url: string
  excerpt: string
  /** The page's indexed text; `locations` index its whitespace-separated words. */
  content: string
  locations: number[]
  meta: Record<string, string | undefined>
  filters: Record<string, string[]>
}

export interface PagefindSearch {
  results: { id: string; data(): Promise<PagefindResultData> }[]
  filters: Record<string, Record<string, number>>
  unfilteredResultCount: number
}

export interface Pagefind {
  options(options: Record<string, unknown>): Promise<void>
  init(): Promise<void>
  mergeIndex(url: string, options?: Record<string, unknown>): Promise<void>
  preload(term: string): Promise<void>
  filters(): Promise<Record<string, Record<string, number>>>
  search(
    term: string | null,
    options?: { filters?: Record<string, unknown>; sort?: Record<string, 'asc' | 'desc'> },
  ): Promise<PagefindSearch>
}

let loading: Promise<Pagefind> | undefined

/**
 * Loads Pagefind once, on first need: pages that are only read never pay
 * for the search engine. `indexes` are the index folders to search (site
 * paths, as `searchSource` gives them): the first one's engine searches
 * the others too, merged.
 *
 * @example const pagefind = await loadPagefind(['/pagefind/'])
 */
export function loadPagefind(indexes: readonly string[]): Promise<Pagefind> {
  loading ??= (async () => {
    const [primary = '/pagefind/', ...others] = indexes
    // A URL built at run time keeps the bundler from resolving a file that
    // only exists after the build's Pagefind step.
    const url = new URL(`${primary}pagefind.js`, location.href).href
    const pagefind = (await import(/* @vite-ignore */ url)) as Pagefind
    // In the page's own thread rather than Pagefind's Web Worker: a search
    // over the catalog takes milliseconds of WebAssembly, and the worker
    // script would add 12 KB (gzip) to every visitor's first query.
    await pagefind.options({ excerptLength: 24, noWorker: true })
    await pagefind.init()
    for (const other of others) await pagefind.mergeIndex(new URL(other, location.href).href)
    // Pagefind loads a filter's index only when a search uses that filter, and
    // counts only loaded filters: without this every other facet counts 0.
    await pagefind.filters()
    return pagefind
  })()
  return loading
}
