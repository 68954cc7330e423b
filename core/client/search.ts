import { AgoraError } from '#core/errors'
import type { SearchEntry, SearchIndex } from '#core/index-format'
import type { ItemRef } from '#core/names'
import { editDistance, KINDS, type Kind, kindPlural } from '#core/names'
import { isKnownKind, isValidId } from './documents.ts'

/** What results may be narrowed to; every given filter must hold. */
export interface SearchFilters {
  kind?: Kind | undefined
  /** Case-insensitive, each compared whole. */
  domain?: string | undefined
  owner?: string | undefined
  tag?: string | undefined
  license?: string | undefined
}

/** A search hit: the entry and how well it matched. */
export interface SearchHit {
  entry: SearchEntry
  score: number
}

/** Orders of `agora list`. */
export const LIST_SORTS = ['trending', 'newest', 'name', 'downloads', 'rating'] as const
export type ListSort = (typeof LIST_SORTS)[number]

/**
 * How much a query word counts by where it matched: the id and title say
 * what an item is, tags what it is about, the summary only mentions things.
 */
const FIELD_WEIGHTS = {
  id: 10,
  title: 8,
  tags: 5,
  facets: 4,
  owners: 4,
  summary: 2,
} as const
type Field = keyof typeof FIELD_WEIGHTS

/** How much a word counts by how it matched. */
const EXACT = 1
const PREFIX = 0.7
const TYPO = 0.5

/** Query words too common to require; dropped unless the query is nothing else. */
const STOP_WORDS = new Set(
  'a an and for in of on or the to with by from at is are as into'.split(' '),
)

/**
 * The lower-case words of a text: letters and digits, split at anything else.
 *
 * @example words('Tox-GNN: a model') // ['tox', 'gnn', 'a', 'model']
 */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
}

/**
 * The largest edit distance a query word may be off by and still match:
 * one from four letters, two from eight, none below.
 *
 * @example typoAllowance('tokenizer') // 2
 */
export function typoAllowance(word: string): number {
  return word.length >= 8 ? 2 : word.length >= 4 ? 1 : 0
}

/** How well one query word matches one indexed word: EXACT, PREFIX, TYPO or 0. */
function wordMatch(query: string, word: string): number {
  if (query === word) return EXACT
  // A one-letter stem would match most of the hub; it only matches whole words.
  if (query.length >= 2 && word.startsWith(query)) return PREFIX
  const allowed = typoAllowance(query)
  if (allowed === 0 || Math.abs(word.length - query.length) > allowed) return 0
  return editDistance(query, word) <= allowed ? TYPO : 0
}

/** An entry's words by field, worked out once per search. */
function fieldWords(entry: SearchEntry): Record<Field, string[]> {
  const [ns = '', name = ''] = entry.id.split('/')
  return {
    id: [ns, name, ...words(entry.id)],
    title: words(entry.title),
    tags: (entry.tags ?? []).flatMap((t) => [t.toLowerCase(), ...words(t)]),
    facets: [
      ...(entry.domains ?? []),
      ...(entry.tasks ?? []),
      ...(entry.formats ?? []),
      entry.license,
      entry.kind,
    ].flatMap((t) => [t.toLowerCase(), ...words(t)]),
    owners: entry.owners.map((o) => o.toLowerCase()),
    summary: words(entry.summary),
  }
}

/**
 * True when an entry passes every given filter.
 *
 * @example matchesFilters(entry, { kind: 'dataset', tag: 'toxicology' })
 */
export function matchesFilters(entry: SearchEntry, filters: SearchFilters): boolean {
  const has = (values: readonly string[] | undefined, wanted: string | undefined) =>
    wanted === undefined || (values ?? []).some((v) => v.toLowerCase() === wanted.toLowerCase())
  return (
    (filters.kind === undefined || entry.kind === filters.kind) &&
    has(entry.domains, filters.domain) &&
    has(entry.owners, filters.owner) &&
    has(entry.tags, filters.tag) &&
    has([entry.license], filters.license)
  )
}

/**
 * Ranks the index's items against a query. Every query word must match
 * (exactly, as a prefix of two letters or more, or within typoAllowance);
 * each scores its best field by FIELD_WEIGHTS, and a query that is the
 * item's whole id, name or title scores more. Ties go to the more active
 * item, then the id. A query with no words returns nothing. Taken-down
 * items are never returned.
 *
 * @example searchIndex(index, 'tox gnn', { kind: 'model' })[0].entry.id // 'acme/tox-gnn'
 */
export function searchIndex(
  index: Pick<SearchIndex, 'items'>,
  query: string,
  filters: SearchFilters = {},
): SearchHit[] {
  const all = words(query)
  const wanted = all.filter((w) => !STOP_WORDS.has(w))
  const terms = wanted.length > 0 ? wanted : all
  if (terms.length === 0) return []
  const phrase = all.join(' ')
  // Hub vocabularies repeat (tags, owners, title words): each word is compared once per term.
  const memo = terms.map(() => new Map<string, number>())
  const match = (t: number, word: string): number => {
    const seen = memo[t] as Map<string, number>
    let value = seen.get(word)
    if (value === undefined) {
      value = wordMatch(terms[t] as string, word)
      seen.set(word, value)
    }
    return value
  }
  const hits: SearchHit[] = []
  for (const entry of index.items) {
    if (entry.status === 'taken-down' || !matchesFilters(entry, filters)) continue
    const fields = fieldWords(entry)
    let score = 0
    for (let t = 0; t < terms.length; t++) {
      let best = 0
      for (const field of Object.keys(FIELD_WEIGHTS) as Field[]) {
        for (const word of fields[field]) {
          const value = FIELD_WEIGHTS[field] * match(t, word)
          if (value > best) best = value
        }
      }
      if (best === 0) {
        score = 0
        break
      }
      score += best
    }
    if (score === 0) continue
    const name = entry.id.split('/')[1] ?? ''
    if ([entry.id, name, words(name).join(' '), words(entry.title).join(' ')].includes(phrase))
      score += FIELD_WEIGHTS.id
    hits.push({ entry, score: Math.round(score * 100) / 100 })
  }
  return hits.sort(
    (a, b) =>
      b.score - a.score ||
      (b.entry.trending ?? 0) - (a.entry.trending ?? 0) ||
      compareIds(a.entry, b.entry),
  )
}

/**
 * The index's items that pass the filters, in a listing order: trending
 * (activity, then newest), newest (latest release), name (title), or
 * downloads and rating where the hub records them. Taken-down items are left out.
 *
 * @example listIndex(index, { owner: 'acme' }, 'newest')[0].updated // the newest release
 */
export function listIndex(
  index: Pick<SearchIndex, 'items'>,
  filters: SearchFilters,
  sort: ListSort,
): SearchEntry[] {
  const entries = index.items.filter((e) => e.status !== 'taken-down' && matchesFilters(e, filters))
  const newest = (a: SearchEntry, b: SearchEntry) =>
    (b.updated ?? '').localeCompare(a.updated ?? '')
  const compare: Record<ListSort, (a: SearchEntry, b: SearchEntry) => number> = {
    trending: (a, b) => (b.trending ?? 0) - (a.trending ?? 0) || newest(a, b),
    newest,
    name: (a, b) => a.title.localeCompare(b.title, 'en'),
    downloads: (a, b) => (b.downloads ?? -1) - (a.downloads ?? -1),
    rating: (a, b) => (b.rating ?? -1) - (a.rating ?? -1),
  }
  return entries.sort((a, b) => compare[sort](a, b) || compareIds(a, b))
}

function compareIds(a: SearchEntry, b: SearchEntry): number {
  const ka = `${a.kind}/${a.id}`
  const kb = `${b.kind}/${b.id}`
  return ka < kb ? -1 : ka > kb ? 1 : 0
}

/**
 * The ids in the index closest to one it does not have, best first, as
 * `<kind>s/<ns>/<name>`: the same id under another kind, the same name under
 * another namespace, ids within a small edit distance, and longer names the
 * wanted one begins. For the "did you mean" of an unknown item.
 *
 * @example closestIds(index, { kind: 'model', ns: 'acme', name: 'tox-gn' }) // ['models/acme/tox-gnn']
 */
export function closestIds(index: Pick<SearchIndex, 'items'>, ref: ItemRef, limit = 3): string[] {
  const wanted = `${ref.ns}/${ref.name}`
  const allowed = Math.max(2, Math.floor(wanted.length / 5))
  const near: { text: string; distance: number }[] = []
  for (const entry of index.items) {
    if (entry.status === 'taken-down') continue
    const [ns = '', name = ''] = entry.id.split('/')
    if (entry.kind === ref.kind && entry.id === wanted) continue
    let distance = editDistance(wanted, entry.id)
    if (name === ref.name || (ns === ref.ns && ref.name.length >= 3 && name.startsWith(ref.name)))
      distance = Math.min(distance, 1)
    if (distance > allowed) continue
    // Another kind counts half an edit, except for the very same id: the likeliest slip of all.
    const otherKind = entry.kind !== ref.kind && distance > 0
    near.push({
      text: `${kindPlural(entry.kind)}/${entry.id}`,
      distance: distance + (otherKind ? 0.5 : 0),
    })
  }
  return near
    .sort((a, b) => a.distance - b.distance || (a.text < b.text ? -1 : 1))
    .slice(0, limit)
    .map((n) => n.text)
}

function invalid(where: string, what: string): AgoraError {
  return new AgoraError('client/invalid-document', `${where}: ${what}`, {
    file: where,
    hint: 'the search document breaks the index rules; it may be hostile. Report it to the hub',
  })
}

/**
 * Checks a search document from the hub before anything in it is used:
 * an items list whose entries have a known kind, an id in the registry
 * alphabet, and text fields that are text. Throws `client/invalid-document`.
 *
 * @example checkSearchIndex(openDocument<SearchIndex>(text, { file: url, publicKey }), url)
 */
export function checkSearchIndex(index: SearchIndex, where: string): SearchIndex {
  if (!Array.isArray(index.items)) throw invalid(where, 'items is not a list')
  const text = (v: unknown) => typeof v === 'string'
  const texts = (v: unknown) => v === undefined || (Array.isArray(v) && v.every(text))
  const optional = (v: unknown) => v === undefined || text(v)
  const figure = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isFinite(v))
  for (const [i, entry] of index.items.entries()) {
    const at = `item ${i + 1}`
    if (typeof entry !== 'object' || entry === null) throw invalid(where, `${at} is not an object`)
    if (!isKnownKind(entry.kind))
      throw invalid(
        where,
        `${at} has unknown kind "${String(entry.kind)}"; this agora knows ${KINDS.join(', ')}`,
      )
    if (!isValidId(entry.id))
      throw invalid(where, `${at}: "${String(entry.id)}" is not an ns/name id`)
    const ok =
      text(entry.title) &&
      text(entry.summary) &&
      text(entry.license) &&
      Array.isArray(entry.owners) &&
      entry.owners.every(text) &&
      [entry.domains, entry.tags, entry.tasks, entry.formats].every(texts) &&
      [entry.latest, entry.created, entry.updated, entry.status].every(optional) &&
      [entry.trending, entry.downloads, entry.rating].every(figure)
    if (!ok) throw invalid(where, `${at} (${entry.id}) has a field of the wrong type`)
  }
  return index
}
