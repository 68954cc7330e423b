import { describe, expect, it } from 'vitest'
import { validateDocument } from '#core/schema'

const benchmark = (metric: string, task = 'binary-classification', score = 'roc_auc') =>
  [
    'kind: benchmark',
    'id: acme/tox-bench',
    'title: Tox bench',
    'summary: A benchmark.',
    'owners: [acme]',
    'license: MIT',
    `task: ${JSON.stringify(task)}`,
    'metrics:',
    `  - { name: ${JSON.stringify(metric)}, higher_is_better: true }`,
    'baselines:',
    `  - { name: random, scores: { ${JSON.stringify(score)}: 0.5 } }`,
  ].join('\n')
const issues = (type: 'item' | 'version' | 'result', source: string, kind?: 'dataset') =>
  validateDocument(type, source, 'x.yaml', kind ? { kind } : {}).issues.map(
    (i) => `${i.code}@${i.line} ${i.message}`,
  )

describe('core/manifest URL segments', () => {
  it('accepts names in the id alphabet', () => {
    expect(issues('item', benchmark('roc_auc'))).toEqual([])
    expect(issues('item', benchmark('pass.at-1'))).toEqual([])
  })

  it.each(['..', '.', 'a/b', 'ROC', '-x', 'x-', 'a b', '%2e%2e', 'x'.repeat(65)])(
    'refuses the benchmark metric name %j',
    (name) => {
      expect(issues('item', benchmark(name))).toEqual([
        `schema/pattern@9 metrics[0].name ${JSON.stringify(name)} does not have the expected form`,
      ])
    },
  )

  it('refuses a benchmark task and a baseline score key outside the id alphabet', () => {
    expect(issues('item', benchmark('roc_auc', '../x'))).toEqual([
      'schema/pattern@7 task "../x" does not have the expected form',
    ])
    expect(issues('item', benchmark('roc_auc', 'binary-classification', '..'))).toEqual([
      'schema/pattern@11 key ".." of baselines[0].scores does not have the expected form',
    ])
  })

  it('refuses result score keys and dataset split names outside the id alphabet', () => {
    const result = (key: string) =>
      `benchmark: acme/tox-bench\nversion: 1.0.0\nscores:\n  ${JSON.stringify(key)}: 0.5\ndate: 2026-01-01\n`
    expect(issues('result', result('roc_auc'))).toEqual([])
    expect(issues('result', result('..'))).toEqual([
      'schema/pattern@4 key ".." of scores does not have the expected form',
    ])
    expect(issues('result', result('ROC-AUC'))).toHaveLength(1)
    const split = (name: string) =>
      `version: 1.0.0\nfiles: []\nnum_datapoints: 1\nsplits:\n  - { name: ${JSON.stringify(name)}, num_rows: 1 }\n`
    expect(issues('version', split('train'), 'dataset')).toEqual([])
    expect(issues('version', split('.'), 'dataset')).toEqual([
      'schema/pattern@5 splits[0].name "." does not have the expected form',
    ])
  })

  it('refuses tags that cannot be a URL once lower-cased, and accepts upper-case ones', () => {
    const item = (tags: string) =>
      `kind: model\nid: acme/x-model\ntitle: X\nsummary: X.\nowners: [acme]\nlicense: MIT\ntags: ${tags}\n`
    expect(issues('item', item('[GNN, " tox ", drug-discovery]'))).toEqual([])
    expect(issues('item', item('["..", "c++", "a/b"]'))).toEqual([
      'manifest/invalid-segment@7 tag ".." cannot be part of a URL',
      'manifest/invalid-segment@7 tag "c++" cannot be part of a URL',
      'manifest/invalid-segment@7 tag "a/b" cannot be part of a URL',
    ])
  })
})
