import { qaError } from './errors.ts'
import { type MaskOptions, type MaybeNumber, selectRows } from './select.ts'

/**
 * Mean absolute error, `(1/n) Σ |ŷ_i − y_i|`.
 *
 * @example
 * mae([1, 2, 3], [1, 2, 5]) // 0.6666666666666666
 */
export function mae(
  truth: ArrayLike<MaybeNumber>,
  pred: ArrayLike<MaybeNumber>,
  options?: MaskOptions,
): number {
  const { truth: t, pred: p } = selectRows('mae', truth, pred, options)
  let sum = 0
  for (let i = 0; i < t.length; i++) sum += Math.abs((p[i] as number) - (t[i] as number))
  return sum / t.length
}

/**
 * Root mean squared error, `√((1/n) Σ (ŷ_i − y_i)²)`.
 *
 * @example
 * rmse([1, 2, 3], [1, 2, 5]) // 1.1547005383792515
 */
export function rmse(
  truth: ArrayLike<MaybeNumber>,
  pred: ArrayLike<MaybeNumber>,
  options?: MaskOptions,
): number {
  const { truth: t, pred: p } = selectRows('rmse', truth, pred, options)
  let sum = 0
  for (let i = 0; i < t.length; i++) {
    const d = (p[i] as number) - (t[i] as number)
    sum += d * d
  }
  return Math.sqrt(sum / t.length)
}

function mean(xs: Float64Array): number {
  let s = 0
  for (const x of xs) s += x
  return s / xs.length
}

/**
 * Coefficient of determination as scikit-learn's `r2_score` computes it:
 * `1 − Σ (y_i − ŷ_i)² / Σ (y_i − ȳ)²`; when the labels are constant it is
 * 1 for a perfect prediction and 0 otherwise (`force_finite`).
 *
 * @example
 * r2([1, 2, 3], [1, 2, 5]) // -1
 */
export function r2(
  truth: ArrayLike<MaybeNumber>,
  pred: ArrayLike<MaybeNumber>,
  options?: MaskOptions,
): number {
  const { truth: t, pred: p } = selectRows('r2', truth, pred, options)
  const m = mean(t)
  let res = 0
  let tot = 0
  for (let i = 0; i < t.length; i++) {
    const y = t[i] as number
    res += (y - (p[i] as number)) ** 2
    tot += (y - m) ** 2
  }
  if (tot === 0) return res === 0 ? 1 : 0
  return 1 - res / tot
}

function correlation(metric: string, x: Float64Array, y: Float64Array): number {
  if (x.length < 2)
    throw qaError('qa/empty', `${metric}: needs at least two labelled rows, got ${x.length}`)
  const mx = mean(x)
  const my = mean(y)
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < x.length; i++) {
    const dx = (x[i] as number) - mx
    const dy = (y[i] as number) - my
    sxy += dx * dy
    sxx += dx * dx
    syy += dy * dy
  }
  if (sxx === 0 || syy === 0)
    throw qaError(
      'qa/constant-input',
      `${metric}: ${sxx === 0 ? 'labels' : 'predictions'} are constant`,
    )
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx) / Math.sqrt(syy)))
}

/**
 * Pearson's r, `Σ (x−x̄)(y−ȳ) / √(Σ (x−x̄)² Σ (y−ȳ)²)`, clipped to [−1, 1]
 * as scipy does. Throws `qa/constant-input` when one side is constant (scipy
 * returns NaN with a warning).
 *
 * @example
 * pearson([1, 2, 3, 4], [1, 3, 2, 4]) // 0.8
 */
export function pearson(
  truth: ArrayLike<MaybeNumber>,
  pred: ArrayLike<MaybeNumber>,
  options?: MaskOptions,
): number {
  const { truth: t, pred: p } = selectRows('pearson', truth, pred, options)
  return correlation('pearson', t, p)
}

/**
 * Ranks from 1, tied values sharing the mean of the ranks they span
 * (scipy's `rankdata(method="average")`).
 *
 * @example
 * averageRanks(Float64Array.of(10, 20, 20, 5)) // Float64Array [2, 3.5, 3.5, 1]
 */
export function averageRanks(xs: Float64Array): Float64Array {
  const order = new Uint32Array(xs.length)
  for (let i = 0; i < order.length; i++) order[i] = i
  order.sort((a, b) => (xs[a] as number) - (xs[b] as number))
  const ranks = new Float64Array(xs.length)
  for (let i = 0; i < order.length; ) {
    let k = i
    const v = xs[order[i] as number]
    while (k < order.length && xs[order[k] as number] === v) k++
    const r = (i + 1 + k) / 2
    for (let j = i; j < k; j++) ranks[order[j] as number] = r
    i = k
  }
  return ranks
}

/**
 * Spearman's ρ: Pearson's r of the average ranks (ties share the mean rank),
 * as `scipy.stats.spearmanr` computes it.
 *
 * @example
 * spearman([1, 2, 3, 4], [10, 30, 20, 40]) // 0.8
 */
export function spearman(
  truth: ArrayLike<MaybeNumber>,
  pred: ArrayLike<MaybeNumber>,
  options?: MaskOptions,
): number {
  const { truth: t, pred: p } = selectRows('spearman', truth, pred, options)
  return correlation('spearman', averageRanks(t), averageRanks(p))
}
