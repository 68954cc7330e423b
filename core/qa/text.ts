import { qaError } from './errors.ts'
import type { MaskOptions } from './select.ts'

function checkRows(metric: string, a: number, b: number, options: MaskOptions): number[] {
  if (a !== b)
    throw qaError('qa/length-mismatch', `${metric}: ${b} references but ${a} predictions`)
  const { mask } = options
  if (mask && mask.length !== a)
    throw qaError('qa/length-mismatch', `${metric}: ${a} rows but a mask of ${mask.length}`)
  const rows: number[] = []
  for (let i = 0; i < a; i++) if (!mask || mask[i]) rows.push(i)
  if (rows.length === 0) throw qaError('qa/empty', `${metric}: no rows to score`)
  return rows
}

/**
 * Top-k exact match: the share of rows where one of the first k ranked
 * candidates equals one of the accepted answers, compared as exact strings
 * (no SMILES canonicalisation: submit canonical SMILES, as the benchmark
 * asks). `(1/n) Σ [∃ j ≤ k: c_{i,j} ∈ A_i]`.
 *
 * @example
 * topKExactMatch([['CCO', 'CC'], ['N']], ['CC', 'O'], 2) // 0.5
 */
export function topKExactMatch(
  candidates: readonly (readonly string[])[],
  answers: readonly (string | readonly string[])[],
  k: number,
  options: MaskOptions = {},
): number {
  if (!Number.isInteger(k) || k < 1)
    throw qaError('qa/bad-argument', `top_k_exact_match: k must be a whole number ≥ 1, not ${k}`)
  const rows = checkRows('top_k_exact_match', candidates.length, answers.length, options)
  let hits = 0
  for (const i of rows) {
    const a = answers[i] as string | readonly string[]
    const accepted = new Set(typeof a === 'string' ? [a] : a)
    if ((candidates[i] as readonly string[]).slice(0, k).some((c) => accepted.has(c))) hits++
  }
  return hits / rows.length
}

/**
 * Exact match for prompt suites: the share of responses equal to their
 * reference. With `normalize`, both sides are NFC-normalised, trimmed,
 * lower-cased and runs of white space collapsed first.
 *
 * @example
 * exactMatch(['Paris', 'london '], ['Paris', 'London'], { normalize: true }) // 1
 */
export function exactMatch(
  responses: readonly string[],
  references: readonly string[],
  options: MaskOptions & { normalize?: boolean } = {},
): number {
  const rows = checkRows('exact_match', responses.length, references.length, options)
  const norm = options.normalize ? normalizeText : (s: string) => s
  let hits = 0
  for (const i of rows) if (norm(responses[i] as string) === norm(references[i] as string)) hits++
  return hits / rows.length
}

/** NFC, trimmed, lower case, white space runs collapsed to one space. */
export function normalizeText(s: string): string {
  return s.normalize('NFC').trim().toLowerCase().replace(/\s+/gu, ' ')
}

/**
 * Keyword accuracy for prompt suites: the share of responses that contain
 * every expected keyword (`all`, the default) or at least one (`any`), as
 * case-insensitive substrings after {@link normalizeText}.
 *
 * @example
 * keywordAccuracy(['The answer is 42.', 'No idea'], [['42'], ['paris']]) // 0.5
 */
export function keywordAccuracy(
  responses: readonly string[],
  keywords: readonly (readonly string[])[],
  options: MaskOptions & { require?: 'all' | 'any' } = {},
): number {
  const rows = checkRows('keyword_accuracy', responses.length, keywords.length, options)
  const mode = options.require ?? 'all'
  let hits = 0
  for (const i of rows) {
    const text = normalizeText(responses[i] as string)
    const words = (keywords[i] as readonly string[]).map(normalizeText)
    if (words.length === 0)
      throw qaError('qa/bad-argument', `keyword_accuracy: row ${i} has no keywords`)
    const found = words.map((w) => text.includes(w))
    if (mode === 'all' ? found.every(Boolean) : found.some(Boolean)) hits++
  }
  return hits / rows.length
}
