import { qaError } from './errors.ts'
import { descendingOrder } from './ranking-auc.ts'
import { countBinary, type MaskOptions, type MaybeNumber, selectRows } from './select.ts'

/**
 * The 0/1 labels in ranked order: highest score first, ties in input order
 * (a stable sort), which is the list RDKit's scoring functions expect.
 */
function rankedLabels(
  metric: string,
  truth: ArrayLike<MaybeNumber>,
  score: ArrayLike<MaybeNumber>,
  options?: MaskOptions,
) {
  const { truth: t, pred: s } = selectRows(metric, truth, score, options)
  const actives = countBinary(metric, t)
  const order = descendingOrder(s)
  const ranked = new Uint8Array(t.length)
  for (let i = 0; i < order.length; i++) ranked[i] = t[order[i] as number] as number
  return { ranked, actives }
}

function checkK(metric: string, k: number): void {
  if (!Number.isInteger(k) || k < 1)
    throw qaError('qa/bad-argument', `${metric}: k must be a whole number ≥ 1, not ${k}`)
}

function hitsInTop(ranked: Uint8Array, k: number): number {
  let hits = 0
  for (let i = 0; i < Math.min(k, ranked.length); i++) hits += ranked[i] as number
  return hits
}

/**
 * Precision at k: the share of actives among the k highest-scored rows,
 * `hits@k / k` (ties at the cut in input order; k larger than the list
 * counts the missing rows as misses).
 *
 * @example
 * precisionAtK([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1], 2) // 0.5
 */
export function precisionAtK(
  truth: ArrayLike<MaybeNumber>,
  score: ArrayLike<MaybeNumber>,
  k: number,
  options?: MaskOptions,
): number {
  checkK('precision_at_k', k)
  const { ranked } = rankedLabels('precision_at_k', truth, score, options)
  return hitsInTop(ranked, k) / k
}

/**
 * Recall at k: the share of all actives found among the k highest-scored
 * rows, `hits@k / actives`. Throws `qa/one-class` without actives.
 *
 * @example
 * recallAtK([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1], 2) // 0.5
 */
export function recallAtK(
  truth: ArrayLike<MaybeNumber>,
  score: ArrayLike<MaybeNumber>,
  k: number,
  options?: MaskOptions,
): number {
  checkK('recall_at_k', k)
  const { ranked, actives } = rankedLabels('recall_at_k', truth, score, options)
  if (actives === 0)
    throw qaError('qa/one-class', 'recall_at_k: no actives among the labelled rows')
  return hitsInTop(ranked, k) / actives
}

/**
 * Enrichment factor at a fraction x of the ranked list, as RDKit's
 * `CalcEnrichment` computes it: with n rows, A actives and
 * m = ⌈n·x⌉ rows kept,
 *
 *   EF_x = (hits in the top m / m) / (A / n)
 *
 * 0 when there is no active. `fraction` is in (0, 1]: 0.01 for EF1%.
 *
 * @example
 * enrichmentFactor([1, 0, 0, 0], [0.9, 0.5, 0.4, 0.1], 0.25) // 4
 */
export function enrichmentFactor(
  truth: ArrayLike<MaybeNumber>,
  score: ArrayLike<MaybeNumber>,
  fraction: number,
  options?: MaskOptions,
): number {
  if (!(fraction > 0 && fraction <= 1)) {
    throw qaError(
      'qa/bad-argument',
      `enrichment_factor: fraction must be in (0, 1], not ${fraction}`,
    )
  }
  const { ranked, actives } = rankedLabels('enrichment_factor', truth, score, options)
  if (actives === 0) return 0
  const n = ranked.length
  const m = Math.ceil(n * fraction)
  return (hitsInTop(ranked, m) * n) / (m * actives)
}

/**
 * BEDROC (Truchon & Bayly, 2007) exactly as RDKit's `CalcBEDROC` computes it,
 * with ranks r_i counted from 1 (best first), n rows, A actives and ratio R_a = A/n:
 *
 *   RIE = Σ_i e^{−α r_i / n} / ( A · (1/n) (1 − e^{−α}) / (e^{α/n} − 1) )
 *   RIE_max = (1 − e^{−α R_a}) / (R_a (1 − e^{−α}))
 *   RIE_min = (1 − e^{α R_a}) / (R_a (1 − e^{α}))
 *   BEDROC = (RIE − RIE_min) / (RIE_max − RIE_min)
 *
 * 1 when every row is active, 0 when none is. α defaults to 20.
 *
 * @example
 * bedroc([1, 0, 0, 0, 0], [0.9, 0.5, 0.4, 0.3, 0.1]) // 1
 */
export function bedroc(
  truth: ArrayLike<MaybeNumber>,
  score: ArrayLike<MaybeNumber>,
  options: MaskOptions & { alpha?: number } = {},
): number {
  const alpha = options.alpha ?? 20
  if (!(alpha > 0))
    throw qaError('qa/bad-argument', `bedroc: alpha must be greater than zero, not ${alpha}`)
  const { ranked, actives } = rankedLabels('bedroc', truth, score, options)
  if (actives === 0) return 0
  const n = ranked.length
  const denom = (1 / n) * ((1 - Math.exp(-alpha)) / (Math.exp(alpha / n) - 1))
  let sumExp = 0
  for (let i = 0; i < n; i++) if (ranked[i]) sumExp += Math.exp(-(alpha * (i + 1)) / n)
  const rie = sumExp / (actives * denom)
  const ratio = actives / n
  const rieMax = (1 - Math.exp(-alpha * ratio)) / (ratio * (1 - Math.exp(-alpha)))
  const rieMin = (1 - Math.exp(alpha * ratio)) / (ratio * (1 - Math.exp(alpha)))
  if (rieMax === rieMin) return 1
  return (rie - rieMin) / (rieMax - rieMin)
}
