/** One document for similarity: an id and its term frequencies. */
export interface SimilarityDoc {
  id: string
  terms: Record<string, number>
}

export interface SimilarOptions {
  /** Neighbours kept per document. */
  k?: number
  /** Strongest terms of each document used to look for neighbours. */
  queryTerms?: number
  /**
   * Longest posting list scanned per term ("champion list"): the documents
   * where the term weighs most. Bounds the work at N × queryTerms × this,
   * whatever the hub's size, instead of N².
   */
  postingLimit?: number
}

/**
 * The `k` most similar documents of every document, by TF-IDF cosine.
 * An inverted index over sparse vectors with champion lists keeps it near
 * linear: each document only meets documents that share one of its strongest
 * terms, and terms found everywhere carry no weight.
 *
 * @example
 * findSimilar([{ id: 'a', terms: { gnn: 2 } }, { id: 'b', terms: { gnn: 1 } }, { id: 'c', terms: { csv: 1 } }])
 * // Map { 'a' => ['b'], 'b' => ['a'], 'c' => [] }
 */
export function findSimilar(
  docs: readonly SimilarityDoc[],
  options: SimilarOptions = {},
): Map<string, string[]> {
  const k = options.k ?? 6
  const queryTerms = options.queryTerms ?? 12
  const postingLimit = options.postingLimit ?? 256
  const n = docs.length
  const df = new Map<string, number>()
  for (const doc of docs) for (const term in doc.terms) df.set(term, (df.get(term) ?? 0) + 1)

  // Sparse, L2-normalised TF-IDF vectors.
  const vectors: { term: string; w: number }[][] = docs.map((doc) => {
    const v: { term: string; w: number }[] = []
    let norm = 0
    for (const term in doc.terms) {
      const idf = Math.log((1 + n) / (1 + (df.get(term) ?? 0)))
      const w = (1 + Math.log(doc.terms[term] as number)) * idf
      if (w > 0) {
        v.push({ term, w })
        norm += w * w
      }
    }
    const len = Math.sqrt(norm) || 1
    for (const t of v) t.w /= len
    return v.sort((a, b) => b.w - a.w || (a.term < b.term ? -1 : 1))
  })

  const postings = new Map<string, { doc: number; w: number }[]>()
  vectors.forEach((v, doc) => {
    for (const { term, w } of v) {
      const list = postings.get(term)
      if (list) list.push({ doc, w })
      else postings.set(term, [{ doc, w }])
    }
  })
  for (const [term, list] of postings) {
    if (list.length > postingLimit) {
      postings.set(term, list.sort((a, b) => b.w - a.w || a.doc - b.doc).slice(0, postingLimit))
    }
  }

  const result = new Map<string, string[]>()
  const scores = new Float64Array(n)
  const touched: number[] = []
  vectors.forEach((v, doc) => {
    for (const { term, w } of v.slice(0, queryTerms)) {
      for (const p of postings.get(term) ?? []) {
        if (p.doc === doc) continue
        if (scores[p.doc] === 0) touched.push(p.doc)
        scores[p.doc] = (scores[p.doc] as number) + w * p.w
      }
    }
    const best = touched
      .filter((d) => (scores[d] as number) > 0)
      .sort(
        (a, b) =>
          (scores[b] as number) - (scores[a] as number) || (docs[a]!.id < docs[b]!.id ? -1 : 1),
      )
      .slice(0, k)
    result.set(
      docs[doc]!.id,
      best.map((d) => docs[d]!.id),
    )
    for (const d of touched) scores[d] = 0
    touched.length = 0
  })
  return result
}
