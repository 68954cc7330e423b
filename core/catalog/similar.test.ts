import { describe, expect, it } from 'vitest'
import { findSimilar, type SimilarityDoc } from './similar.ts'

describe('core/catalog/similar', () => {
  it('ranks documents sharing rare terms first and ignores ubiquitous ones', () => {
    const docs = [
      { id: 'gnn-a', terms: { graph: 3, neural: 2, toxicity: 2, common: 1 } },
      { id: 'gnn-b', terms: { graph: 2, neural: 2, toxicity: 1, common: 1 } },
      { id: 'lora-a', terms: { lora: 3, legal: 2, common: 1 } },
      { id: 'lora-b', terms: { lora: 2, legal: 3, contracts: 1, common: 1 } },
      { id: 'lonely', terms: { common: 1 } },
    ]
    const similar = findSimilar(docs, { k: 2 })
    expect(similar.get('gnn-a')?.[0]).toBe('gnn-b')
    expect(similar.get('lora-b')?.[0]).toBe('lora-a')
    // `common` is in every document: zero IDF, so it links nothing.
    expect(similar.get('lonely')).toEqual([])
  })

  it('keeps at most k neighbours and never the document itself', () => {
    const docs: SimilarityDoc[] = Array.from({ length: 20 }, (_, i) => ({
      id: `d${i}`,
      terms: { shared: 1, [`own${i % 4}`]: 2 },
    }))
    docs.push({ id: 'other', terms: { elsewhere: 1 } })
    const similar = findSimilar(docs, { k: 3 })
    for (const [id, list] of similar) {
      expect(list.length).toBeLessThanOrEqual(3)
      expect(list).not.toContain(id)
    }
    expect(similar.get('d0')).toEqual(['d12', 'd16', 'd4'])
  })

  it('bounds work with champion lists yet still finds strong neighbours', () => {
    const docs = Array.from({ length: 2000 }, (_, i) => ({
      id: `x${i}`,
      terms: { [`topic${i % 50}`]: 3, [`sub${i % 400}`]: 1 },
    }))
    const similar = findSimilar(docs, { k: 5, postingLimit: 16 })
    const near = similar.get('x7') ?? []
    expect(near.length).toBe(5)
    for (const id of near) expect(Number(id.slice(1)) % 50).toBe(7)
  })
})
