import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  accuracy,
  averagePrecision,
  balancedAccuracy,
  bedroc,
  brier,
  enrichmentFactor,
  exactMatch,
  f1,
  keywordAccuracy,
  latencyPercentiles,
  logLoss,
  mae,
  mcc,
  pearson,
  percentile,
  precisionAtK,
  r2,
  recallAtK,
  rmse,
  rocAuc,
  spearman,
  topKExactMatch,
} from './index.ts'

interface Case {
  metric: string
  name: string
  input: string
  args: Inputs & {
    fraction?: number
    alpha?: number
    k?: number
    q?: number
  }
  expected: number
}

interface Inputs {
  truth?: (number | null)[]
  score?: number[]
  pred?: number[]
  mask?: boolean[]
  values?: number[]
}

const reference = JSON.parse(
  readFileSync(new URL('./__fixtures__/reference.json', import.meta.url), 'utf8'),
) as {
  versions: Record<string, string>
  inputs: Record<string, Inputs>
  cases: Case[]
}

function compute({ metric, input, args: scalars }: Case): number {
  const args = { ...reference.inputs[input], ...scalars }
  const t = args.truth ?? []
  const s = args.score ?? args.pred ?? []
  const o = { mask: args.mask }
  switch (metric) {
    case 'roc_auc':
      return rocAuc(t, s, o)
    case 'average_precision':
      return averagePrecision(t, s, o)
    case 'brier':
      return brier(t, s, o)
    case 'log_loss':
      return logLoss(t, s, o)
    case 'accuracy':
      return accuracy(t, s, o)
    case 'balanced_accuracy':
      return balancedAccuracy(t, s, o)
    case 'mcc':
      return mcc(t, s, o)
    case 'f1_binary':
      return f1(t, s, { ...o, average: 'binary' })
    case 'f1_macro':
      return f1(t, s, { ...o, average: 'macro' })
    case 'f1_micro':
      return f1(t, s, { ...o, average: 'micro' })
    case 'mae':
      return mae(t, s, o)
    case 'rmse':
      return rmse(t, s, o)
    case 'r2':
      return r2(t, s, o)
    case 'pearson':
      return pearson(t, s, o)
    case 'spearman':
      return spearman(t, s, o)
    case 'enrichment_factor':
      return enrichmentFactor(t, s, args.fraction as number, o)
    case 'bedroc':
      return bedroc(t, s, { ...o, alpha: args.alpha as number })
    case 'precision_at_k':
      return precisionAtK(t, s, args.k as number, o)
    case 'recall_at_k':
      return recallAtK(t, s, args.k as number, o)
    case 'percentile':
      return percentile(args.values as number[], args.q as number)
    default:
      throw new Error(`no metric ${metric} in the test`)
  }
}

describe('core/qa metrics against scikit-learn, scipy, numpy and RDKit', () => {
  it('names the reference versions', () => {
    expect(Object.keys(reference.versions).sort()).toEqual([
      'numpy',
      'rdkit',
      'scikit-learn',
      'scipy',
    ])
  })

  it('covers every metric with several cases', () => {
    const counts = new Map<string, number>()
    for (const c of reference.cases) counts.set(c.metric, (counts.get(c.metric) ?? 0) + 1)
    for (const n of counts.values()) expect(n).toBeGreaterThanOrEqual(4)
    expect(counts.size).toBe(20)
  })

  it.each(reference.cases.map((c) => [`${c.metric} ${c.name}`, c] as const))('%s', (_, c) => {
    expect(Math.abs(compute(c) - c.expected)).toBeLessThanOrEqual(1e-9)
  })
})

describe('core/qa metric inputs', () => {
  it('refuses a length mismatch', () => {
    expect(() => rocAuc([0, 1], [0.5])).toThrow(
      expect.objectContaining({ code: 'qa/length-mismatch' }),
    )
    expect(() => mae([1, 2], [1, 2], { mask: [true] })).toThrow(
      expect.objectContaining({ code: 'qa/length-mismatch' }),
    )
    expect(() => exactMatch(['a'], [])).toThrow(
      expect.objectContaining({ code: 'qa/length-mismatch' }),
    )
  })

  it('refuses one class for ROC AUC as scikit-learn does', () => {
    expect(() => rocAuc([1, 1, 1], [0.1, 0.2, 0.3])).toThrow(
      expect.objectContaining({
        code: 'qa/one-class',
        message: expect.stringContaining('only one class'),
      }),
    )
    // Masking away every negative leaves one class too.
    expect(() => rocAuc([0, 1, 1], [0.1, 0.2, 0.3], { mask: [false, true, true] })).toThrow(
      expect.objectContaining({ code: 'qa/one-class' }),
    )
    expect(() => averagePrecision([0, 0], [0.1, 0.2])).toThrow(
      expect.objectContaining({ code: 'qa/one-class' }),
    )
  })

  it('refuses empty input, also when every label is missing', () => {
    expect(() => accuracy([], [])).toThrow(expect.objectContaining({ code: 'qa/empty' }))
    expect(() => rmse([null, Number.NaN], [1, 2])).toThrow(
      expect.objectContaining({ code: 'qa/empty' }),
    )
    expect(() => percentile([], 50)).toThrow(expect.objectContaining({ code: 'qa/empty' }))
  })

  it('refuses non-binary labels, non-finite predictions and bad arguments', () => {
    expect(() => rocAuc([0, 2], [0.1, 0.2])).toThrow(
      expect.objectContaining({ code: 'qa/not-binary' }),
    )
    expect(() => rocAuc([0, 1], [0.1, Number.NaN])).toThrow(
      expect.objectContaining({ code: 'qa/not-finite' }),
    )
    expect(() => logLoss([0, 1], [0.1, 1.2])).toThrow(
      expect.objectContaining({ code: 'qa/bad-argument' }),
    )
    expect(() => precisionAtK([0, 1], [0.1, 0.2], 0)).toThrow(
      expect.objectContaining({ code: 'qa/bad-argument' }),
    )
    expect(() => enrichmentFactor([0, 1], [0.1, 0.2], 0)).toThrow(
      expect.objectContaining({ code: 'qa/bad-argument' }),
    )
    expect(() => pearson([1, 1, 1], [1, 2, 3])).toThrow(
      expect.objectContaining({ code: 'qa/constant-input' }),
    )
  })

  it('skips a missing prediction only where the label is missing or masked', () => {
    expect(mae([1, null, 3], [1, Number.NaN, 4])).toBe(0.5)
    expect(mae([1, 2, 3], [1, Number.NaN, 4], { mask: [true, false, true] })).toBe(0.5)
  })
})

describe('core/qa text and latency metrics', () => {
  it('top-k exact match compares exact strings within the first k', () => {
    const candidates = [['CCO', 'CC'], ['N', 'O'], ['c1ccccc1']]
    const answers = ['CC', ['O', 'OO'], 'C1=CC=CC=C1']
    expect(topKExactMatch(candidates, answers, 1)).toBe(0)
    expect(topKExactMatch(candidates, answers, 2)).toBeCloseTo(2 / 3, 15)
    expect(topKExactMatch(candidates, answers, 2, { mask: [true, false, true] })).toBe(0.5)
  })

  it('exact match is strict unless asked to normalise', () => {
    expect(exactMatch(['Paris', 'london '], ['Paris', 'London'])).toBe(0.5)
    expect(
      exactMatch(['Paris', ' london  city'], ['Paris', 'London city'], { normalize: true }),
    ).toBe(1)
  })

  it('keyword accuracy needs all keywords unless any is asked', () => {
    const responses = ['Warfarin raises the INR.', 'Bleeding risk']
    const keywords = [
      ['warfarin', 'inr'],
      ['bleeding', 'inr'],
    ]
    expect(keywordAccuracy(responses, keywords)).toBe(0.5)
    expect(keywordAccuracy(responses, keywords, { require: 'any' })).toBe(1)
  })

  it('latency percentiles use numpy linear interpolation', () => {
    expect(latencyPercentiles([1, 2, 3, 4, 100])).toEqual({
      p50: 3,
      p95: 80.79999999999998,
      p99: 96.16,
    })
    expect(percentile([5, 1], 100)).toBe(5)
  })
})
