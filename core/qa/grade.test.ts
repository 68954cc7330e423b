import { describe, expect, it } from 'vitest'
import { badgesOf, topRated } from './badges.ts'
import { compareGrades, gradeResult, type QaConfig, worstGrade } from './grade.ts'
import { findRegressions } from './regressions.ts'
import { checkLoraLatency, checkStability, relativeStdDev } from './stability.ts'

const docking = {
  metrics: [
    { name: 'ef1', higher_is_better: true },
    { name: 'auroc', higher_is_better: true },
    { name: 'rmse', higher_is_better: false },
  ],
  baselines: [
    { name: 'random', scores: { ef1: 1, auroc: 0.5, rmse: 2 } },
    { name: 'weight', scores: { ef1: 0, auroc: 0.64, rmse: 1.6 } },
  ],
}

const qa: QaConfig = {
  identity: 'agora-qa-bot',
  grades: {
    default: { baseline_ratio: { A: 1.4, B: 1.2, C: 1 } },
    benchmarks: { 'moleval/docking-enrichment': { ef1: { A: 20, B: 10, C: 5 } } },
  },
}

describe('core/qa/grade', () => {
  it('grades a metric with cuts against them, in its direction', () => {
    const g = (ef1: number) =>
      gradeResult({ ef1 }, docking, 'moleval/docking-enrichment', qa).metrics[0]
    expect([g(20)?.grade, g(19.9)?.grade, g(10)?.grade, g(5)?.grade, g(4.9)?.grade]).toEqual([
      'A',
      'B',
      'B',
      'C',
      'F',
    ])
    expect(g(20)?.rule).toBe('thresholds')
    const lower: QaConfig = {
      identity: 'q',
      grades: { benchmarks: { 'a/b': { rmse: { A: 0.5, B: 1, C: 1.5 } } } },
    }
    const r = (rmse: number) => gradeResult({ rmse }, docking, 'a/b', lower).grade
    expect([r(0.4), r(0.9), r(1.5), r(1.6)]).toEqual(['A', 'B', 'C', 'F'])
  })

  it('grades other metrics relative to the best positive baseline', () => {
    const res = gradeResult({ auroc: 0.9, rmse: 1.6 }, docking, 'moleval/docking-enrichment', qa)
    // auroc: best baseline 0.64, 0.9 / 0.64 = 1.406 → A; rmse: best (lowest) 1.6, 1.6 / 1.6 = 1 → C
    expect(res.metrics.map((m) => [m.metric, m.rule, m.baseline, m.grade])).toEqual([
      ['auroc', 'baseline', 0.64, 'A'],
      ['rmse', 'baseline', 1.6, 'C'],
    ])
    expect(res.grade).toBe('C')
  })

  it('leaves a result ungraded when no rule applies', () => {
    expect(gradeResult({ auroc: 0.9 }, docking, 'x/y', { identity: 'q' })).toEqual({
      metrics: [],
    })
    expect(gradeResult({ auroc: 0.9 }, docking, 'x/y', undefined).grade).toBeUndefined()
    expect(
      gradeResult({ auroc: 0.9 }, { metrics: docking.metrics }, 'x/y', qa).grade,
    ).toBeUndefined()
  })

  it('orders grades best first and picks the worst', () => {
    expect(['F', 'C', 'A', 'B'].sort((a, b) => compareGrades(a as 'A', b as 'A'))).toEqual([
      'A',
      'B',
      'C',
      'F',
    ])
    expect(worstGrade(['A', 'C', 'B'])).toBe('C')
    expect(worstGrade([])).toBeUndefined()
  })
})

describe('core/qa/stability', () => {
  it('computes the sample RSD in percent', () => {
    expect(relativeStdDev([0.81, 0.8, 0.79])).toBeCloseTo(1.25, 10)
    expect(relativeStdDev([1, 1, 1])).toBe(0)
    expect(relativeStdDev([0, 0])).toBe(0)
    expect(relativeStdDev([-1, 1])).toBe(Number.POSITIVE_INFINITY)
  })

  it('is stable strictly below the limit, 5% by default', () => {
    expect(checkStability([0.81, 0.8, 0.79])).toMatchObject({ runs: 3, stable: true })
    expect(checkStability([1, 1.1, 0.9]).stable).toBe(false) // RSD 10%
    expect(checkStability([1, 1.1, 0.9], 10).stable).toBe(false) // equal to the limit
    expect(checkStability([1, 1.1, 0.9], 10.01).stable).toBe(true)
  })

  it('refuses too few runs and non-finite values', () => {
    expect(() => relativeStdDev([1])).toThrow(/at least 2 runs/)
    expect(() => relativeStdDev([1, Number.NaN])).toThrow(/run 2 is NaN/)
  })

  it('limits a LoRA to 2× its base latency by default', () => {
    expect(checkLoraLatency(40, 20)).toEqual({ ratio: 2, limit: 2, ok: true })
    expect(checkLoraLatency(41, 20).ok).toBe(false)
    expect(checkLoraLatency(41, 20, 3).ok).toBe(true)
    expect(() => checkLoraLatency(1, 0)).toThrow(/latency must be positive/)
  })
})

describe('core/qa/badges', () => {
  it('gives Top Rated to the best verified grade only', () => {
    const rows = [
      { key: 'a', verified: true, grade: 'B' as const },
      { key: 'b', verified: false, grade: 'A' as const },
      { key: 'c', verified: true, grade: 'B' as const },
      { key: 'd', verified: true, grade: 'C' as const },
      { key: 'e', verified: true },
    ]
    const top = topRated(rows)
    expect([...top].sort()).toEqual(['a', 'c'])
    expect(badgesOf(rows[0] as (typeof rows)[0], top)).toEqual(['verified', 'top-rated'])
    expect(badgesOf(rows[1] as (typeof rows)[0], top)).toEqual([])
    expect(badgesOf(rows[3] as (typeof rows)[0], top)).toEqual(['verified'])
  })

  it('never gives Top Rated for F or community results', () => {
    expect(topRated([{ key: 'a', verified: true, grade: 'F' }]).size).toBe(0)
    expect(topRated([{ key: 'a', verified: false, grade: 'A' }]).size).toBe(0)
  })
})

describe('core/qa/regressions', () => {
  const metrics = [
    { name: 'auc', higher_is_better: true },
    { name: 'rmse', higher_is_better: false },
  ]
  it('flags a drop beyond the stability band against the previous version', () => {
    const found = findRegressions(
      [
        { version: '1.0.0', scores: { auc: 0.9, rmse: 1 } },
        { version: '1.1.0', scores: { auc: 0.86, rmse: 1.04 } }, // within 5%
        { version: '1.2.0', scores: { auc: 0.8, rmse: 1.2 } },
      ],
      metrics,
    )
    expect(found.map((r) => [r.metric, r.version, r.previous])).toEqual([
      ['auc', '1.2.0', '1.1.0'],
      ['rmse', '1.2.0', '1.1.0'],
    ])
    expect(found[0]?.dropPercent).toBeCloseTo((100 * 0.06) / 0.86, 10)
  })

  it('uses the configured band and ignores improvements', () => {
    const h = [
      { version: '1.0.0', scores: { auc: 0.9 } },
      { version: '2.0.0', scores: { auc: 0.86 } },
    ]
    expect(findRegressions(h, metrics, 5)).toEqual([])
    expect(findRegressions(h, metrics, 4)).toHaveLength(1)
    expect(findRegressions([...h].reverse(), metrics, 0)).toEqual([])
  })
})
