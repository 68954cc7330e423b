import {
  countBinary,
  type MaskOptions,
  type MaybeNumber,
  requireBothClasses,
  selectRows,
} from './select.ts'

/**
 * ROC AUC: the probability that a random positive scores above a random
 * negative, ties counting one half. This equals scikit-learn's
 * `roc_auc_score` (trapezoids over the ROC curve, where tied scores form one
 * diagonal step):
 *
 *   AUC = Σ_{p ∈ pos} ( #{n ∈ neg : s_n < s_p} + ½ #{n ∈ neg : s_n = s_p} ) / (|pos| · |neg|)
 *
 * Positives and negatives are sorted separately with the typed-array sort and
 * merged, so a million rows cost two native sorts and one pass. Counts are
 * whole or half numbers, exact in doubles up to 2^52. Throws `qa/one-class`
 * when the labelled rows hold one class only, as scikit-learn raises.
 *
 * @example
 * rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) // 0.75
 */
export function rocAuc(
  truth: ArrayLike<MaybeNumber>,
  score: ArrayLike<MaybeNumber>,
  options?: MaskOptions,
): number {
  const { truth: t, pred: s } = selectRows('roc_auc', truth, score, options)
  const nPos = countBinary('roc_auc', t)
  const nNeg = t.length - nPos
  requireBothClasses('roc_auc', nPos, t.length)
  const pos = new Float64Array(nPos)
  const neg = new Float64Array(nNeg)
  for (let i = 0, a = 0, b = 0; i < t.length; i++) {
    if (t[i] === 1) pos[a++] = s[i] as number
    else neg[b++] = s[i] as number
  }
  pos.sort()
  neg.sort()
  // Twice the count, so ties add 1 and the sum stays an integer.
  let twice = 0
  let below = 0
  let j = 0
  for (let i = 0; i < nPos; ) {
    const v = pos[i] as number
    let k = i
    while (k < nPos && pos[k] === v) k++
    while (j < nNeg && (neg[j] as number) < v) {
      j++
      below++
    }
    let equal = 0
    while (j + equal < nNeg && neg[j + equal] === v) equal++
    twice += (k - i) * (2 * below + equal)
    i = k
  }
  return twice / 2 / (nPos * nNeg)
}

/**
 * Average precision as scikit-learn's `average_precision_score` defines it:
 * the precision-recall curve over distinct score thresholds (tied scores are
 * one threshold), summed as a step function without interpolation:
 *
 *   AP = Σ_n (R_n − R_{n−1}) · P_n
 *
 * where P_n and R_n are precision and recall at the n-th threshold, from the
 * highest score down. Throws `qa/one-class` when there is no positive
 * (scikit-learn warns and returns 0 there, which a leaderboard would show as a
 * real score).
 *
 * @example
 * averagePrecision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) // 0.8333333333333333
 */
export function averagePrecision(
  truth: ArrayLike<MaybeNumber>,
  score: ArrayLike<MaybeNumber>,
  options?: MaskOptions,
): number {
  const { truth: t, pred: s } = selectRows('average_precision', truth, score, options)
  const nPos = countBinary('average_precision', t)
  if (nPos === 0) requireBothClasses('average_precision', nPos, t.length)
  const order = descendingOrder(s)
  let tp = 0
  let fp = 0
  let prevRecall = 0
  let ap = 0
  for (let i = 0; i < order.length; ) {
    const v = s[order[i] as number] as number
    while (i < order.length && s[order[i] as number] === v) {
      if (t[order[i] as number] === 1) tp++
      else fp++
      i++
    }
    const recall = tp / nPos
    ap += (recall - prevRecall) * (tp / (tp + fp))
    prevRecall = recall
  }
  return ap
}

/** PR AUC: another name for {@link averagePrecision}, the estimator scikit-learn recommends. */
export const prAuc = averagePrecision

/**
 * Row indices ordered by score, highest first; ties keep input order
 * (a stable sort), so results never depend on the engine's sort.
 */
export function descendingOrder(score: Float64Array): Uint32Array {
  const order = new Uint32Array(score.length)
  for (let i = 0; i < order.length; i++) order[i] = i
  order.sort((a, b) => (score[b] as number) - (score[a] as number) || a - b)
  return order
}
