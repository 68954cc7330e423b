import { qaError } from './errors.ts'
import { countBinary, type MaskOptions, type MaybeNumber, selectRows } from './select.ts'

/** How F1 combines classes: `binary` scores class 1 only. */
export type F1Average = 'binary' | 'macro' | 'micro'

interface Confusion {
  classes: number[]
  /** counts[i][j]: rows of true class i predicted as class j. */
  counts: number[][]
  n: number
}

function confusion(
  metric: string,
  truth: ArrayLike<MaybeNumber>,
  pred: ArrayLike<MaybeNumber>,
  options?: MaskOptions,
): Confusion {
  const { truth: t, pred: p } = selectRows(metric, truth, pred, options)
  const set = new Set<number>()
  for (const v of t) set.add(v)
  for (const v of p) set.add(v)
  const classes = [...set].sort((a, b) => a - b)
  const index = new Map(classes.map((c, i) => [c, i]))
  const counts = classes.map(() => classes.map(() => 0))
  for (let i = 0; i < t.length; i++) {
    const row = counts[index.get(t[i] as number) as number] as number[]
    const j = index.get(p[i] as number) as number
    row[j] = (row[j] as number) + 1
  }
  return { classes, counts, n: t.length }
}

function cell(c: Confusion, i: number, j: number): number {
  return (c.counts[i] as number[])[j] as number
}

/**
 * Accuracy: the share of rows whose predicted class equals the label,
 * `(1/n) Σ [ŷ_i = y_i]`.
 *
 * @example
 * accuracy([0, 1, 1, 0], [0, 1, 0, 0]) // 0.75
 */
export function accuracy(
  truth: ArrayLike<MaybeNumber>,
  pred: ArrayLike<MaybeNumber>,
  options?: MaskOptions,
): number {
  const { truth: t, pred: p } = selectRows('accuracy', truth, pred, options)
  let hit = 0
  for (let i = 0; i < t.length; i++) if (t[i] === p[i]) hit++
  return hit / t.length
}

/**
 * Balanced accuracy as scikit-learn computes it: the mean recall over the
 * classes present in the labels, `(1/|C|) Σ_c TP_c / (TP_c + FN_c)`; classes
 * only predicted, never labelled, are left out (scikit-learn warns).
 *
 * @example
 * balancedAccuracy([0, 0, 0, 1], [0, 0, 1, 1]) // 0.8333333333333333
 */
export function balancedAccuracy(
  truth: ArrayLike<MaybeNumber>,
  pred: ArrayLike<MaybeNumber>,
  options?: MaskOptions,
): number {
  const c = confusion('balanced_accuracy', truth, pred, options)
  let sum = 0
  let present = 0
  c.classes.forEach((_, i) => {
    const support = (c.counts[i] as number[]).reduce((a, b) => a + b, 0)
    if (support === 0) return
    sum += cell(c, i, i) / support
    present++
  })
  return sum / present
}

/**
 * F1, the harmonic mean of precision and recall, `2TP / (2TP + FP + FN)`;
 * 0 where the denominator is 0 (scikit-learn's `zero_division` default).
 * `binary` scores class 1; `macro` averages the per-class F1 over every class
 * seen in labels or predictions; `micro` pools TP, FP and FN over classes
 * (equal to accuracy for single-label data).
 *
 * @example
 * f1([0, 1, 1, 0], [0, 1, 0, 1]) // 0.5
 * f1([0, 1, 2, 2], [0, 2, 2, 2], { average: 'macro' }) // 0.6
 */
export function f1(
  truth: ArrayLike<MaybeNumber>,
  pred: ArrayLike<MaybeNumber>,
  options: MaskOptions & { average?: F1Average } = {},
): number {
  const average = options.average ?? 'binary'
  const c = confusion(`f1_${average}`, truth, pred, options)
  const parts = c.classes.map((_, i) => {
    let fp = 0
    let fn = 0
    for (let j = 0; j < c.classes.length; j++) {
      if (j === i) continue
      fn += cell(c, i, j)
      fp += cell(c, j, i)
    }
    return { tp: cell(c, i, i), fp, fn }
  })
  const score = ({ tp, fp, fn }: { tp: number; fp: number; fn: number }) => {
    const d = 2 * tp + fp + fn
    return d === 0 ? 0 : (2 * tp) / d
  }
  if (average === 'binary') {
    for (const v of c.classes) {
      if (v !== 0 && v !== 1)
        throw qaError('qa/not-binary', `f1_binary: class ${v} seen; use average macro or micro`)
    }
    const i = c.classes.indexOf(1)
    return i < 0 ? 0 : score(parts[i] as { tp: number; fp: number; fn: number })
  }
  if (average === 'macro') return parts.reduce((a, p) => a + score(p), 0) / parts.length
  if (average === 'micro') {
    return score(
      parts.reduce((a, p) => ({ tp: a.tp + p.tp, fp: a.fp + p.fp, fn: a.fn + p.fn }), {
        tp: 0,
        fp: 0,
        fn: 0,
      }),
    )
  }
  throw qaError(
    'qa/bad-argument',
    `f1: average must be binary, macro or micro, not ${String(average)}`,
  )
}

/**
 * Matthews correlation coefficient in scikit-learn's multiclass form, with
 * t_k, p_k the true and predicted counts of class k, c the correct rows and
 * s all rows:
 *
 *   MCC = (c·s − Σ t_k p_k) / √((s² − Σ p_k²)(s² − Σ t_k²))
 *
 * and 0 when the denominator is 0. For two classes this is
 * (TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN)).
 *
 * @example
 * mcc([0, 1, 1, 0], [0, 1, 0, 0]) // 0.5773502691896258
 */
export function mcc(
  truth: ArrayLike<MaybeNumber>,
  pred: ArrayLike<MaybeNumber>,
  options?: MaskOptions,
): number {
  const c = confusion('mcc', truth, pred, options)
  const k = c.classes.length
  let correct = 0
  let tp = 0
  let pp = 0
  let tt = 0
  for (let i = 0; i < k; i++) {
    correct += cell(c, i, i)
    let ti = 0
    let pi = 0
    for (let j = 0; j < k; j++) {
      ti += cell(c, i, j)
      pi += cell(c, j, i)
    }
    tp += ti * pi
    pp += pi * pi
    tt += ti * ti
  }
  const s = c.n
  const covYtYp = correct * s - tp
  const covYpYp = s * s - pp
  const covYtYt = s * s - tt
  if (covYpYp * covYtYt === 0) return 0
  return covYtYp / Math.sqrt(covYtYt * covYpYp)
}

/** float64 machine epsilon, the clip scikit-learn applies to probabilities. */
export const LOG_LOSS_EPS = 2.220446049250313e-16

/**
 * Binary log loss (cross-entropy) as scikit-learn computes it with
 * `eps="auto"` (the default from 1.2; later releases keep the same clip):
 * probabilities are clipped to [ε, 1 − ε] with ε the float64 machine epsilon
 * (2.22e-16), then
 *
 *   L = −(1/n) Σ [ y log p + (1 − y) log(1 − p) ]
 *
 * Probabilities outside [0, 1] are refused.
 *
 * @example
 * logLoss([0, 1, 1], [0.1, 0.9, 0.8]) // 0.14462152754328741
 */
export function logLoss(
  truth: ArrayLike<MaybeNumber>,
  prob: ArrayLike<MaybeNumber>,
  options?: MaskOptions,
): number {
  const { truth: t, pred: p } = selectRows('log_loss', truth, prob, options)
  countBinary('log_loss', t)
  let sum = 0
  for (let i = 0; i < t.length; i++) {
    const raw = p[i] as number
    if (raw < 0 || raw > 1)
      throw qaError('qa/bad-argument', `log_loss: probability ${i} is ${raw}, outside [0, 1]`)
    const q = Math.min(Math.max(raw, LOG_LOSS_EPS), 1 - LOG_LOSS_EPS)
    sum += t[i] === 1 ? Math.log(q) : Math.log(1 - q)
  }
  return -sum / t.length
}

/**
 * Brier score: the mean squared difference between the probability of class
 * 1 and the 0/1 label, `(1/n) Σ (p_i − y_i)²`.
 *
 * @example
 * brier([0, 1, 1], [0.1, 0.9, 0.8]) // 0.02
 */
export function brier(
  truth: ArrayLike<MaybeNumber>,
  prob: ArrayLike<MaybeNumber>,
  options?: MaskOptions,
): number {
  const { truth: t, pred: p } = selectRows('brier', truth, prob, options)
  countBinary('brier', t)
  let sum = 0
  for (let i = 0; i < t.length; i++) {
    const d = (p[i] as number) - (t[i] as number)
    sum += d * d
  }
  return sum / t.length
}
