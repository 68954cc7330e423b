import type { SearchSource } from '../lib/search-indexes.ts'
import { loadPagefind, type PagefindResultData } from './pagefind.ts'

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
  const h = document.createElement('h2')
  const a = document.createElement('a')
  a.href = data.url
  a.textContent = data.meta['title'] ?? data.url
  h.append(a)
  li.append(h, text('span', data.meta['id'] ?? '', 'id'))
  const p = document.createElement('p')
  if (excerpt && data.excerpt) {
    // Pagefind escapes page text and adds only <mark>; keep nothing else.
    p.innerHTML = data.excerpt.replace(/<(?!\/?mark>)[^>]*>/g, '')
  } else p.textContent = data.meta['summary'] ?? ''
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
    const filters: Record<string, unknown> = {}
    if (scopeKind) filters['kind'] = scopeKind
    for (const [key, values] of state.filters) filters[key] = { any: values }
    const sortKey = state.sort ?? (state.q ? undefined : 'trending')
    const [search, order] = await Promise.all([
      pagefind.search(state.q || null, { filters }),
      // Without its order file (a failed fetch) the results stay in Pagefind's order.
      sortKey ? loadOrder(sortFolder, sortKey).catch(() => undefined) : undefined,
    ])
    if (mine !== generation) return
    const last = order?.size ?? 0
    const ranked = order
      ? [...search.results].sort((a, b) => (order.get(a.id) ?? last) - (order.get(b.id) ?? last))
      : search.results
    const total = ranked.length
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE))
    state.page = Math.min(state.page, pages)
    const slice = ranked.slice((state.page - 1) * PAGE_SIZE, state.page * PAGE_SIZE)
    const data = await Promise.all(slice.map((r) => r.data()))
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
      if (box && count) count.textContent = String(search.filters[box.name]?.[box.value] ?? 0)
    }
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
