import { describe, expect, it } from 'vitest'
import type { SearchEntry, SearchIndex } from '#core/index-format'
import { checkSearchIndex, closestIds, searchIndex, typoAllowance, words } from './search.ts'

const entry = (kind: SearchEntry['kind'], id: string, more: Partial<SearchEntry> = {}) =>
  ({
    kind,
    id,
    title: id.split('/')[1],
    summary: '',
    owners: [id.split('/')[0]],
    license: 'MIT',
    ...more,
  }) as SearchEntry

const index = {
  v: 1,
  hub: 'Test',
  items: [
    entry('model', 'acme/tox-gnn'),
    entry('dataset', 'acme/tox21'),
    entry('model', 'helix/tokenizer'),
    entry('model', 'acme/gone', { status: 'taken-down' }),
  ],
} satisfies SearchIndex

describe('core/client/search', () => {
  it('splits words and allows typos by length', () => {
    expect(words('Tox-GNN: a model')).toEqual(['tox', 'gnn', 'a', 'model'])
    expect([3, 4, 7, 8].map((n) => typoAllowance('x'.repeat(n)))).toEqual([0, 1, 1, 2])
  })

  it('a query of stop words alone still has to match; an empty one returns nothing', () => {
    expect(searchIndex(index, '')).toEqual([])
    expect(searchIndex(index, ' - ')).toEqual([])
    expect(searchIndex(index, 'the').map((h) => h.entry.id)).toEqual([])
  })

  it('suggests the same id under another kind, near ids and longer names, never taken-down ones', () => {
    expect(closestIds(index, { kind: 'model', ns: 'acme', name: 'tox21' })).toEqual([
      'datasets/acme/tox21',
    ])
    expect(closestIds(index, { kind: 'model', ns: 'acme', name: 'tox' })).toEqual([
      'models/acme/tox-gnn',
      'datasets/acme/tox21',
    ])
    expect(closestIds(index, { kind: 'model', ns: 'acme', name: 'gone' })).toEqual([])
    expect(closestIds(index, { kind: 'model', ns: 'zz', name: 'nothing-like-it' })).toEqual([])
  })

  it('refuses a search document with hostile shapes', () => {
    const bad = (items: unknown) => () =>
      checkSearchIndex({ v: 1, hub: 'x', items } as SearchIndex, 'search.json')
    expect(bad('nope')).toThrow(expect.objectContaining({ code: 'client/invalid-document' }))
    expect(bad([{ ...entry('model', 'acme/xy'), kind: 'virus' }])).toThrow(/unknown kind "virus"/)
    expect(bad([entry('model', '../../etc')])).toThrow(/is not an ns\/name id/)
    expect(bad([{ ...entry('model', 'acme/xy'), title: { toString: 1 } }])).toThrow(
      /item 1 \(acme\/xy\) has a field of the wrong type/,
    )
    expect(bad([{ ...entry('model', 'acme/xy'), trending: 'high' }])).toThrow(/wrong type/)
    expect(checkSearchIndex(index, 'search.json')).toBe(index)
  })
})
