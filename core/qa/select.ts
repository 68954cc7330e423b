import { qaError } from './errors.ts'

/** A label that may be missing: `null`, `undefined` and NaN are skipped. */
export type MaybeNumber = number | null | undefined

/** Options every metric takes: `mask[i] === false` leaves row i out. */
export interface MaskOptions {
  mask?: ArrayLike<boolean> | undefined
}

/** The rows a metric sees once the mask and missing labels are taken out. */
export interface Selected {
  truth: Float64Array
  pred: Float64Array
}

function isMissing(v: MaybeNumber): boolean {
  return v === null || v === undefined || Number.isNaN(v)
}

/**
 * Checks lengths, drops masked rows and rows whose label is missing, and
 * refuses non-finite predictions on the rows that remain (a missing
 * prediction for a labelled row is an error, not a skip).
 *
 * @example
 * selectRows('mae', [1, null, 3], [1, 2, 4], { mask: [true, true, false] })
 * // { truth: Float64Array [1], pred: Float64Array [1] }
 */
export function selectRows(
  metric: string,
  truth: ArrayLike<MaybeNumber>,
  pred: ArrayLike<MaybeNumber>,
  options: MaskOptions = {},
): Selected {
  const { mask } = options
  if (truth.length !== pred.length) {
    throw qaError(
      'qa/length-mismatch',
      `${metric}: ${truth.length} labels but ${pred.length} predictions`,
    )
  }
  if (mask && mask.length !== truth.length) {
    throw qaError(
      'qa/length-mismatch',
      `${metric}: ${truth.length} labels but a mask of ${mask.length}`,
    )
  }
  let n = 0
  const keep = new Uint8Array(truth.length)
  for (let i = 0; i < truth.length; i++) {
    if ((mask && !mask[i]) || isMissing(truth[i])) continue
    const p = pred[i]
    if (typeof p !== 'number' || !Number.isFinite(p)) {
      throw qaError(
        'qa/not-finite',
        `${metric}: prediction ${i} is ${String(p)}, not a finite number`,
      )
    }
    keep[i] = 1
    n++
  }
  if (n === 0) throw qaError('qa/empty', `${metric}: no labelled rows`)
  const t = new Float64Array(n)
  const p = new Float64Array(n)
  for (let i = 0, j = 0; i < truth.length; i++) {
    if (!keep[i]) continue
    t[j] = truth[i] as number
    p[j] = pred[i] as number
    j++
  }
  return { truth: t, pred: p }
}

/** Refuses labels other than 0 and 1; returns the count of positives. */
export function countBinary(metric: string, truth: Float64Array): number {
  let pos = 0
  for (let i = 0; i < truth.length; i++) {
    const v = truth[i] as number
    if (v === 1) pos++
    else if (v !== 0) {
      throw qaError('qa/not-binary', `${metric}: label ${i} is ${v}, expected 0 or 1`)
    }
  }
  return pos
}

/** Both classes present, as scikit-learn requires for ROC AUC. */
export function requireBothClasses(metric: string, pos: number, n: number): void {
  if (pos === 0 || pos === n) {
    throw qaError(
      'qa/one-class',
      `${metric}: only one class present in the labels (${pos} positive of ${n}); the score is not defined in that case`,
    )
  }
}
