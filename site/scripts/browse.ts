import { inlineCode } from '../lib/inline-code.ts'
import type { SearchSource } from '../lib/search-indexes.ts'
import {
  loadPagefind,
  type Pagefind,
  type PagefindResultData,
  type PagefindSearch,
} from './pagefind.ts'

const PAGE_SIZE = 24
const FACETS = [
  'kind',
  'domain',
  'task',
  'license',
  'baseModel',
  'framework',
  'price',
  'tags',
] as const
const SORT_KEYS = new Set(['trending', 'newest', 'name'])
const orders = new Map<string, Promise<Map<string, number>>>()

/**
 * A sort order written by the build beside the search index (page ids,
 * first to last), fetched once and only when a view is sorted: keeping
 * orders out of Pagefind's own metadata keeps the first query small.
 */
function loadOrder(folder: string, key: string): Promise<Map<string, number>> {
  let order = orders.get(key)
  if (!order) {
    order = fetch(new URL(`${folder}${key}.json`, location.href)).then(async (response) => {
      if (!response.ok) throw new Error(`sort order ${key}: HTTP ${response.status}`)
      const ids = (await response.json()) as string[]
      return new Map(ids.map((id, rank) => [id, rank]))
    })
    orders.set(key, order)
    // A failed fetch is not remembered, so the next sort tries again.
    order.catch(() => orders.delete(key))
  }
  return order
}

/** Pagefind filters for a state, leaving out one facet group (to count that group's values). */
function filtersOf(
  state: State,
  scopeKind: string | undefined,
  without?: string,
): Record<string, unknown> {
  const filters: Record<string, unknown> = {}
  if (scopeKind) filters['kind'] = scopeKind
  for (const [key, values] of state.filters) if (key !== without) filters[key] = { any: values }
  return filters
}

/**
 * Each facet value's count: the results there would be with that value
 * ticked. Values of one group combine with "any", so a ticked group's
 * counts come from the search without that group; an unticked group's
 * come from the current results.
 */
async function facetCounts(
  pagefind: Pagefind,
  state: State,
  scopeKind: string | undefined,
  current: PagefindSearch,
): Promise<Record<string, Record<string, number>>> {
  const counts: Record<string, Record<string, number>> = { ...current.filters }
  await Promise.all(
    [...state.filters.keys()].map(async (key) => {
      const wider = await pagefind.search(state.q || null, {
        filters: filtersOf(state, scopeKind, key),
      })
      counts[key] = wider.filters[key] ?? {}
    }),
  )
  return counts
}

const unmatched = new Map<string, Promise<boolean>>()

/**
 * Whether a query word matches only one-letter words. When no indexed word
 * starts with a search word, Pagefind falls back to the longest indexed word
 * that the search word starts with: for `xyzzy` that is the `x` of
 * `batch X`, for `apple` the article `a`. Such one-letter words are real
 * page text (variables, articles, digits), so they stay in the index and
 * excerpts; a word whose only match is one of them is a word that matched
 * nothing. The fallback is all or nothing, so one result tells.
 */
function matchesOnlyOneLetter(pagefind: Pagefind, word: string): Promise<boolean> {
  if ([...word].length < 2) return Promise.resolve(false)
  let answer = unmatched.get(word)
  if (!answer) {
    answer = (async () => {
      const first = (await pagefind.search(word)).results[0]
      if (!first) return false
      const data = await first.data()
      const words = data.content.split(/\s+/)
      const hits = data.locations.map(
        (at) => [...(words[at] ?? '').replace(/[^\p{L}\p{N}]/gu, '')].length,
      )
      return hits.length > 0 && hits.every((length) => length <= 1)
    })()
    unmatched.set(word, answer)
  }
  return answer
}

interface State {
  q: string
  sort: string | undefined
  page: number
  filters: Map<string, string[]>
}

function readState(): State {
  const params = new URLSearchParams(location.search)
  const filters = new Map<string, string[]>()
  for (const key of FACETS) {
    const values = params.getAll(key).filter(Boolean)
    if (values.length) filters.set(key, values)
  }
  const sort = params.get('sort') ?? undefined
  return {
    q: params.get('q')?.trim() ?? '',
    sort: sort && SORT_KEYS.has(sort) ? sort : undefined,
    page: Math.max(1, Number(params.get('page')) || 1),
    filters,
  }
}

function writeState(state: State): void {
  const params = new URLSearchParams()
  if (state.q) params.set('q', state.q)
  if (state.sort) params.set('sort', state.sort)
  for (const [key, values] of state.filters) for (const v of values) params.append(key, v)
  if (state.page > 1) params.set('page', String(state.page))
  const query = params.toString()
  history.replaceState(null, '', query ? `${location.pathname}?${query}` : location.pathname)
}

function isActive(state: State): boolean {
  return Boolean(state.q || state.sort || state.filters.size || state.page > 1)
}

function text(tag: string, content: string, className?: string): HTMLElement {
  const el = document.createElement(tag)
  el.textContent = content
  if (className) el.className = className
  return el
}

/** A result card built with DOM calls, never innerHTML, except Pagefind's own escaped excerpt. */
function renderCard(data: PagefindResultData, excerpt: boolean): HTMLLIElement {
  const li = document.createElement('li')
  li.className = 'card'
  // The same markup as ItemCard.astro, so both look alike.
  const h = document.createElement('h2')
  h.className = 'card-title'
  const a = document.createElement('a')
  a.href = data.url
  a.textContent = data.meta['title'] ?? data.url
  h.append(a)
  li.append(h, text('span', data.meta['id'] ?? '', 'id'))
  const p = document.createElement('p')
  if (excerpt && data.excerpt) {
    // Pagefind escapes page text and adds only <mark>; keep nothing else.
    p.innerHTML = data.excerpt.replace(/<(?!\/?mark>)[^>]*>/g, '')
  } else {
    // As InlineText.astro renders a summary: backticks mark code.
    for (const part of inlineCode(data.meta['summary'] ?? ''))
      p.append(part.code ? text('code', part.text) : part.text)
  }
  li.append(p)
  const meta = document.createElement('ul')
  meta.className = 'meta'
  const kind = text('span', data.meta['kind'] ?? '', 'badge kind')
  const items: HTMLElement[] = [kind]
  if (data.meta['status']) items.push(text('span', data.meta['status'], 'badge warn'))
  items.push(text('span', data.meta['version'] ? `v${data.meta['version']}` : 'no versions'))
  items.push(text('span', data.meta['updated'] || 'undated'))
  for (const item of items) {
    const entry = document.createElement('li')
    entry.append(item)
    meta.append(entry)
  }
  li.append(meta)
  return li
}

/**
 * Turns a static listing page into an interactive search: the query, the
 * facet checkboxes and the sort links drive Pagefind (filters and sorts
 * precomputed at index time); the static cards and pagination stay for
 * visitors without JavaScript and until the visitor asks for more.
 *
 * @example initBrowse()
 */
export function initBrowse(): void {
  const root = document.querySelector<HTMLElement>('[data-browse]')
  const form = root?.querySelector<HTMLFormElement>('form[data-facets]')
  const list = root?.querySelector<HTMLUListElement>('[data-results]') ?? null
  const status = root?.querySelector<HTMLElement>('[data-status]')
  const staticPager = root?.querySelector<HTMLElement>('[data-static-pagination]')
  const clientPager = root?.querySelector<HTMLElement>('[data-client-pagination]')
  const headingCount = document.querySelector<HTMLElement>('[data-total]')
  if (!root || !form || !status || !clientPager) return
  const scopeKind = root.dataset['kind'] || undefined
  const source = JSON.parse(root.dataset['search'] ?? 'null') as SearchSource | null
  const indexes = source?.indexes ?? ['/pagefind/']
  const sortFolder = source?.sort ?? '/pagefind/sort/'
  let results = list
  form.hidden = false
  root.querySelector<HTMLElement>('[data-static-filters]')?.setAttribute('hidden', '')

  const state = readState()
  const input = form.querySelector<HTMLInputElement>('input[name="q"]')
  const header = document.querySelector<HTMLInputElement>('#site-search')
  if (input) input.value = state.q
  if (header) header.value = state.q
  for (const box of form.querySelectorAll<HTMLInputElement>('input[type="checkbox"]')) {
    box.checked = state.filters.get(box.name)?.includes(box.value) ?? false
  }

  let generation = 0
  const run = async (): Promise<void> => {
    const mine = ++generation
    writeState(state)
    if (!isActive(state)) {
      // Back to the static page's own content.
      location.reload()
      return
    }
    status.textContent = 'Searching…'
    const pagefind = await loadPagefind(indexes)
    const sortKey = state.sort ?? (state.q ? undefined : 'trending')
    const words = state.q.split(/\s+/).filter(Boolean)
    const [search, order, junk] = await Promise.all([
      pagefind.search(state.q || null, { filters: filtersOf(state, scopeKind) }),
      // Without its order file (a failed fetch) the results stay in Pagefind's order.
      sortKey ? loadOrder(sortFolder, sortKey).catch(() => undefined) : undefined,
      Promise.all(words.map((w) => matchesOnlyOneLetter(pagefind, w))),
    ])
    if (mine !== generation) return
    // Pagefind needs every word to match; one that matched nothing means no results.
    const nothing = junk.includes(true)
    const found = nothing ? [] : search.results
    const last = order?.size ?? 0
    const ranked = order
      ? [...found].sort((a, b) => (order.get(a.id) ?? last) - (order.get(b.id) ?? last))
      : found
    const total = ranked.length
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE))
    state.page = Math.min(state.page, pages)
    const slice = ranked.slice((state.page - 1) * PAGE_SIZE, state.page * PAGE_SIZE)
    const [data, counts] = await Promise.all([
      Promise.all(slice.map((r) => r.data())),
      nothing
        ? ({} as Record<string, Record<string, number>>)
        : facetCounts(pagefind, state, scopeKind, search),
    ])
    if (mine !== generation) return
    if (!results) {
      results = document.createElement('ul')
      results.className = 'cards'
      status.after(results)
    }
    results.replaceChildren(...data.map((d) => renderCard(d, Boolean(state.q))))
    const first = total === 0 ? 0 : (state.page - 1) * PAGE_SIZE + 1
    status.textContent =
      total === 0
        ? `No matching items${state.q ? ` for “${state.q}”` : ''}.`
        : `Showing ${first}–${first + data.length - 1} of ${total}${state.q ? ` for “${state.q}”` : ''}.`
    for (const label of form.querySelectorAll<HTMLLabelElement>('label')) {
      const box = label.querySelector('input')
      const count = label.querySelector('[data-count]')
      if (box && count) count.textContent = String(counts[box.name]?.[box.value] ?? 0)
    }
    if (headingCount) headingCount.textContent = `(${total})`
    for (const link of root.querySelectorAll<HTMLAnchorElement>('[data-sort-link]')) {
      if (link.dataset['sortLink'] === (state.sort ?? (state.q ? '' : 'trending')))
        link.setAttribute('aria-current', 'true')
      else link.removeAttribute('aria-current')
    }
    if (staticPager) staticPager.hidden = true
    clientPager.hidden = pages <= 1
    const pager = document.createElement('ul')
    pager.className = 'pagination'
    for (const [label, page] of [
      ['Previous', state.page - 1],
      [`${state.page} / ${pages}`, 0],
      ['Next', state.page + 1],
    ] as const) {
      const li = document.createElement('li')
      if (page === 0 || page < 1 || page > pages) li.append(text('span', label))
      else {
        const b = text('button', label, 'secondary')
        b.addEventListener('click', () => {
          state.page = page
          void run().then(() => status.scrollIntoView({ block: 'start' }))
        })
        li.append(b)
      }
      pager.append(li)
    }
    clientPager.replaceChildren(pager)
  }

  let timer: ReturnType<typeof setTimeout> | undefined
  input?.addEventListener('input', () => {
    clearTimeout(timer)
    timer = setTimeout(() => {
      state.q = input.value.trim()
      state.page = 1
      void run()
    }, 200)
  })
  input?.addEventListener('focus', () => void loadPagefind(indexes), { once: true })
  form.addEventListener('submit', (event) => event.preventDefault())
  form.addEventListener('change', (event) => {
    const box = event.target
    if (!(box instanceof HTMLInputElement) || box.type !== 'checkbox') return
    const values = new Set(state.filters.get(box.name) ?? [])
    if (box.checked) values.add(box.value)
    else values.delete(box.value)
    if (values.size) state.filters.set(box.name, [...values])
    else state.filters.delete(box.name)
    state.page = 1
    void run()
  })
  form.addEventListener('reset', () => {
    state.filters.clear()
    state.q = ''
    state.page = 1
    setTimeout(() => void run())
  })
  for (const link of root.querySelectorAll<HTMLAnchorElement>('[data-sort-link]')) {
    link.addEventListener('click', (event) => {
      if (!isActive(state)) return
      event.preventDefault()
      state.sort = link.dataset['sortLink']
      state.page = 1
      void run()
    })
  }
  if (isActive(state)) void run()
}
