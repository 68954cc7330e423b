import { describe, expect, it } from 'vitest'
import type { EvaluationContract } from '#core/manifest'
import { evaluatePredictions } from './evaluate.ts'
import { rmse, rocAuc, topKExactMatch } from './index.ts'
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

describe('core/qa/evaluate retrosynthesis', () => {
  const retroBenchmark = {
    metrics: [
      { name: 'top1', higher_is_better: true, unit: '%' },
      { name: 'top5', higher_is_better: true, unit: '%' },
      { name: 'top10', higher_is_better: true, unit: '%' },
      { name: 'validity', higher_is_better: true, unit: '%' },
    ],
  }
  const retroContract = (format: 'csv' | 'jsonl' = 'jsonl'): EvaluationContract => ({
    test_set: 'test.csv',
    id_column: 'id',
    predictions: { format },
    tasks: [{ name: 'retro', label: 'reactants', prediction: 'predictions' }],
    metrics: [
      { name: 'top1', function: 'top_k_exact_match', k: 1 },
      { name: 'top5', function: 'top_k_exact_match', k: 5 },
      { name: 'top10', function: 'top_k_exact_match', k: 10 },
      { name: 'validity', function: 'smiles_validity' },
    ],
  })
  // r4 has no accepted answer: a missing label, left out.
  const retroTest = {
    file: 'test.csv',
    text: [
      'id,product,reactants',
      'r1,CC(=O)NCc1ccccc1,CC(=O)O.NCc1ccccc1',
      'r2,c1ccc(cc1)-c1ccccc1,Brc1ccccc1.OB(O)c1ccccc1',
      'r3,CC(=O)OCC,CC(=O)Cl.OCC',
      'r4,CC,',
      'r5,CNC(=O)c1ccccc1,C1=CC=CC=C1C(=O)O.NC',
      '',
    ].join('\n'),
  }
  const retroPredictions = [
    // Reordered, Kekulé and another atom order: a match at rank 1.
    { id: 'r1', predictions: ['NCC1=CC=CC=C1.OC(C)=O'] },
    // Lists of SMILES, reactants swapped: rank 2.
    { id: 'r2', predictions: [['CC'], ['c1ccc(cc1)B(O)O', 'Brc1ccccc1']] },
    // Rank 6: only top-10 counts it.
    { id: 'r3', predictions: ['C', 'CC', 'CCC', 'CCCC', 'CCCCC', 'OCC.ClC(C)=O'] },
    { id: 'r4', predictions: ['C'] },
    // The first candidate does not parse: rank 2, and not valid.
    { id: 'r5', predictions: ['C1CC(', 'OC(=O)c1ccccc1.CN'] },
  ]
  const asJsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n')

  it('scores top-k exact match on canonical reactant sets, in any order, and validity of the first', () => {
    const { value, issues } = evaluatePredictions({
      benchmark: retroBenchmark,
      contract: retroContract(),
      testSet: retroTest,
      predictions: { file: 'p.jsonl', text: asJsonl(retroPredictions) },
    })
    expect(issues).toEqual([])
    // Four labelled rows: hits at ranks 1, 2, 6 and 2; first candidates valid in r1, r2, r3.
    expect(value?.metrics).toEqual({ top1: 25, top5: 75, top10: 100, validity: 75 })
    expect(value?.rows).toBe(5)
  })

  it('reads CSV candidates separated by spaces, and gives the same scores', () => {
    const csv = [
      'id,predictions',
      ...retroPredictions.map(
        (r) =>
          `${r.id},${r.predictions.map((c) => (Array.isArray(c) ? c.join('.') : c)).join(' ')}`,
      ),
    ].join('\n')
    const { value, issues } = evaluatePredictions({
      benchmark: retroBenchmark,
      contract: retroContract('csv'),
      testSet: retroTest,
      predictions: { file: 'p.csv', text: csv },
    })
    expect(issues).toEqual([])
    expect(value?.metrics).toEqual({ top1: 25, top5: 75, top10: 100, validity: 75 })
  })

  it('compares canonical forms, not strings: as exact text the same ranks would score less', () => {
    const labels = ['CC(=O)O.NCc1ccccc1', 'Brc1ccccc1.OB(O)c1ccccc1', 'CC(=O)Cl.OCC']
    const ranked = retroPredictions
      .slice(0, 3)
      .map((r) => r.predictions.map((c) => (Array.isArray(c) ? c.join('.') : c)))
    expect(topKExactMatch(ranked, labels, 1)).toBe(0)
    expect(topKExactMatch(ranked, labels, 10)).toBe(0)
  })

  it('reports candidates it cannot read with their line, and a contract mixing kinds of task', () => {
    const bad = asJsonl([
      ...retroPredictions.slice(0, 4),
      { id: 'r5', predictions: [{ smiles: 'CC' }] },
    ])
    const { value, issues } = evaluatePredictions({
      benchmark: retroBenchmark,
      contract: retroContract(),
      testSet: retroTest,
      predictions: { file: 'p.jsonl', text: bad },
    })
    expect(value).toBeUndefined()
    expect(issues.map((i) => [i.code, i.file, i.line, i.message])).toEqual([
      [
        'qa/bad-candidates',
        'p.jsonl',
        5,
        'predictions of id "r5": candidate 1 is neither a SMILES string nor a list of SMILES strings',
      ],
    ])
    const mixed = retroContract()
    mixed.metrics.push({ name: 'top1', function: 'accuracy', tasks: ['retro'] })
    expect(() =>
      evaluatePredictions({
        benchmark: retroBenchmark,
        contract: mixed,
        testSet: retroTest,
        predictions: { file: 'p.jsonl', text: asJsonl(retroPredictions) },
      }),
    ).toThrow(/scored both as ranked reactant sets and as numbers/)
  })
})
