import { describe, expect, it } from 'vitest'
import type { EvaluationContract } from '#core/manifest'
import { evaluatePredictions } from './evaluate.ts'
import { rmse, rocAuc } from './index.ts'
import { readTable } from './read-table.ts'

const benchmark = {
  metrics: [
    { name: 'auroc', higher_is_better: true },
    { name: 'acc', higher_is_better: true, unit: '%' },
    { name: 'rmse', higher_is_better: false },
  ],
}
const testSet = {
  file: 'labels.csv',
  text: 'id,a,b,y\nm1,1,0,0.5\nm2,0,,1.5\nm3,1,1,2.0\nm4,0,0,-1\n',
}

function contract(over: Partial<EvaluationContract> = {}): EvaluationContract {
  return {
    test_set: 'labels.csv',
    id_column: 'id',
    predictions: { format: 'jsonl' },
    tasks: [
      { name: 'a', label: 'a' },
      { name: 'b', label: 'b' },
      { name: 'y', label: 'y', prediction: 'y_hat' },
    ],
    metrics: [
      { name: 'auroc', function: 'roc_auc', tasks: ['a', 'b'] },
      { name: 'acc', function: 'accuracy', tasks: ['a'] },
      { name: 'rmse', function: 'rmse', tasks: ['y'] },
    ],
    ...over,
  }
}

const jsonl = [
  { id: 'm3', a: 0.9, b: 0.8, y_hat: 2 },
  { id: 'm1', a: 0.4, b: 0.3, y_hat: 0 },
  { id: 'm2', a: 0.2, b: 0.1, y_hat: 1 },
  { id: 'm4', a: 0.6, b: 0.2, y_hat: -1 },
]
  .map((r) => JSON.stringify(r))
  .join('\n')

describe('core/qa/evaluate', () => {
  it('scores JSON Lines predictions per task, masks missing labels and averages', () => {
    const { value, issues } = evaluatePredictions({
      benchmark,
      contract: contract(),
      testSet,
      predictions: { file: 'p.jsonl', text: jsonl },
    })
    expect(issues).toEqual([])
    const a = rocAuc([1, 0, 1, 0], [0.4, 0.2, 0.9, 0.6])
    const b = rocAuc([0, null, 1, 0], [0.3, 0.1, 0.8, 0.2])
    expect(value?.metrics.auroc).toBe((a + b) / 2)
    expect(value?.tasks.auroc).toEqual({ a, b })
    // A % unit scales by 100; accuracy thresholds the scores at 0.5.
    expect(value?.metrics.acc).toBe(50)
    expect(value?.metrics.rmse).toBe(rmse([0.5, 1.5, 2, -1], [0, 1, 2, -1]))
    expect(value?.rows).toBe(4)
  })

  it('names a JSON Lines line that does not parse', () => {
    const { value, issues } = evaluatePredictions({
      benchmark,
      contract: contract(),
      testSet,
      predictions: { file: 'p.jsonl', text: `${jsonl}\n{"id": "m5",` },
    })
    expect(value).toBeUndefined()
    expect(issues).toEqual([
      expect.objectContaining({ code: 'qa/bad-table', file: 'p.jsonl', line: 5 }),
    ])
  })

  it('refuses a metric the benchmark item does not define', () => {
    const { issues } = evaluatePredictions({
      benchmark,
      contract: contract({ metrics: [{ name: 'f1', function: 'f1_binary' }] }),
      testSet,
      predictions: { file: 'p.jsonl', text: jsonl },
    })
    expect(issues.map((i) => i.code)).toEqual(['qa/unknown-metric'])
  })

  it('reports a missing prediction column on the header line', () => {
    const { issues } = evaluatePredictions({
      benchmark,
      contract: contract({ predictions: { format: 'csv' } }),
      testSet,
      predictions: { file: 'p.csv', text: 'id,a,b\nm1,0.1,0.2\n' },
    })
    expect(issues).toEqual([
      expect.objectContaining({
        code: 'qa/missing-column',
        line: 1,
        message: 'the predictions have no column "y_hat"',
      }),
    ])
  })
})

describe('core/qa/read-table', () => {
  it('reads quoted CSV fields with commas, quotes and line breaks, keeping start lines', () => {
    const { value, issues } = readTable(
      '\uFEFFid,note\r\n"a,1","say ""hi"""\n"b","two\nlines"\nc,x\n',
      'csv',
      't.csv',
    )
    expect(issues).toEqual([])
    expect(value?.rows).toEqual([
      { line: 2, cells: { id: 'a,1', note: 'say "hi"' } },
      { line: 3, cells: { id: 'b', note: 'two\nlines' } },
      { line: 5, cells: { id: 'c', note: 'x' } },
    ])
  })

  it('names a row with the wrong number of fields', () => {
    const { issues } = readTable('id,score\na,1,2\n', 'csv', 't.csv')
    expect(issues).toEqual([expect.objectContaining({ code: 'qa/bad-table', line: 2 })])
  })
})
