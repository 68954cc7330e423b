/**
 * Words too common in any catalog to tell items apart; dropping them keeps
 * similarity about what an item is, not how cards are written.
 */
const STOP_WORDS = new Set(
  (
    'a an and are as at be been but by can for from has have in into is it its of on or that the this ' +
    'to was were which will with we you your our not no use used using can may also more most than ' +
    'these those such their they them there here then when where who how what all any each other ' +
    'model models dataset datasets version versions file files item items license mit apache'
  ).split(' '),
)

/**
 * Lower-cased word tokens of a text, stop words and very short or numeric
 * tokens dropped.
 *
 * @example tokenize('The Tox21 GNN, trained on SMILES') // ['tox21', 'gnn', 'trained', 'smiles']
 */
export function tokenize(text: string): string[] {
  const out: string[] = []
  for (const match of text.toLowerCase().matchAll(/[\p{L}\p{N}][\p{L}\p{N}_-]*/gu)) {
    const word = match[0].replace(/[-_]+$/, '')
    if (word.length < 2 || word.length > 40 || STOP_WORDS.has(word) || /^\d+$/.test(word)) continue
    out.push(word)
  }
  return out
}

/**
 * Term frequencies of weighted text parts, keeping the `limit` strongest
 * terms so every entry stays small however long its README is.
 *
 * @example termFrequencies([['gnn tox', 3], ['a gnn for tox21', 1]], 10)
 * // { gnn: 4, tox: 3, tox21: 1 }
 */
export function termFrequencies(
  parts: readonly (readonly [string, number])[],
  limit: number,
): Record<string, number> {
  const counts = new Map<string, number>()
  for (const [text, weight] of parts) {
    for (const token of tokenize(text)) counts.set(token, (counts.get(token) ?? 0) + weight)
  }
  const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit)
  return Object.fromEntries(top)
}
