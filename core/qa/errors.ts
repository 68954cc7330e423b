import { AgoraError } from '#core/errors'

/**
 * Stable codes of the problems metrics and evaluation runs raise. Each has a
 * default hint; a caller with more context (a file, a line) says more.
 */
export const QA_CODES = {
  'qa/empty': 'the metric needs at least one labelled row; check the mask and missing labels',
  'qa/length-mismatch': 'labels, predictions and mask must have one entry per row',
  'qa/one-class': 'the metric needs both classes among the labelled rows',
  'qa/not-binary': 'binary labels are 0 or 1 (true/false); map other classes first',
  'qa/not-finite':
    'predictions must be finite numbers; missing values belong in the labels or mask',
  'qa/bad-argument': 'see docs/evaluation.md for the arguments each metric takes',
  'qa/constant-input': 'correlation is undefined when one side is constant',
} as const

export type QaCode = keyof typeof QA_CODES

/** An AgoraError with the code's default hint unless one is given. */
export function qaError(code: QaCode, message: string, hint?: string): AgoraError {
  return new AgoraError(code, message, { hint: hint ?? QA_CODES[code] })
}
