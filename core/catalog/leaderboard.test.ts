import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import type { BenchmarkVersion } from '#core/manifest'
import { loadRegistry } from '#core/registry'
import { apiLeaderboard } from './api.ts'
import { type CatalogIndex, indexCatalog } from './catalog-index.ts'
import { buildEntry } from './entry.ts'
import { itemRegressions, scoreSeries, submissionGuide } from './leaderboard.ts'
import type { CatalogDetail } from './types.ts'

// The sample hub: its agora.yaml grades docking-enrichment (ef1 cuts, baseline ratio for the rest).
const SAMPLE = fileURLToPath(new URL('../../', import.meta.url))
const BENCH = 'benchmark/moleval/docking-enrichment'

let index: CatalogIndex
let details: Map<string, CatalogDetail>

beforeAll(async () => {
  const { registry } = await loadRegistry(SAMPLE)
  const built = [...registry.items.values()].map((s) => buildEntry(s))
  details = new Map(built.map((b) => [b.entry.key, b.detail]))
  index = indexCatalog(
    built.map((b) => b.entry),
    registry.hub,
    registry.owners,
  )
})

describe('core/catalog/leaderboard', () => {
  it('grades rows and gives Top Rated to the best verified grade only', () => {
    const rows = new Map((index.leaderboards.get(BENCH) ?? []).map((r) => [r.key, r]))
    // QA's stored grade, verified, best verified grade: Top Rated.
    expect(rows.get('model/openchem-lab/dockscore-gnn')).toMatchObject({
      grade: 'A',
      verified: true,
      badges: ['verified', 'top-rated'],
      kind: 'model',
    })
    // Verified, graded by the hub's rules (ef1 14.5 < 18 → B).
    expect(rows.get('model/openchem-lab/vina-kinase-configs')).toMatchObject({
      grade: 'B',
      badges: ['verified'],
    })
    // Self-reported A: graded, never a badge.
    expect(rows.get('model/aiko-tanaka/dockscore-gnn-kinase')).toMatchObject({
      grade: 'A',
      verified: false,
      badges: [],
    })
  })

  it('carries status, grade, badges, type and history in the JSON API', () => {
    const bench = index.byKey.get(BENCH)
    if (!bench) throw new Error('sample benchmark missing')
    const rows = apiLeaderboard(bench, index).rows
    expect(rows.find((r) => r.item === 'openchem-lab/dockscore-gnn')).toMatchObject({
      status: 'verified',
      grade: 'A',
      badges: ['verified', 'top-rated'],
      type: 'model',
      history: [{ version: '1.0.0' }, { version: '1.1.0' }],
    })
    expect(rows.find((r) => r.item === 'aiko-tanaka/dockscore-gnn-kinase')).toMatchObject({
      status: 'community',
      grade: 'A',
    })
  })

  it('draws each item’s score across its versions', () => {
    const series = scoreSeries(index.leaderboards.get(BENCH) ?? [], 'ef1')
    const gnn = series.find((s) => s.key === 'model/openchem-lab/dockscore-gnn')
    expect(gnn?.points.map((p) => [p.version, p.score])).toEqual([
      ['1.0.0', 12.4],
      ['1.1.0', 19.6],
      ['1.2.0', 18.2],
    ])
    expect(scoreSeries(index.leaderboards.get(BENCH) ?? [], 'nope')).toEqual([])
  })

  it('writes the how-to-submit guide from the evaluation block', () => {
    const bench = index.byKey.get(BENCH)
    if (!bench) throw new Error('sample benchmark missing')
    const version = details.get(BENCH)?.versions[0] as BenchmarkVersion
    expect(submissionGuide(bench, version)).toEqual({
      benchmark: 'moleval/docking-enrichment',
      version: '1.0.0',
      testSet: 'labels.csv',
      format: 'csv',
      idColumn: 'name',
      columns: ['score'],
      rankedColumns: [],
      higherIsBetter: false,
      metrics: [
        { name: 'ef1', function: 'enrichment_factor' },
        { name: 'bedroc20', function: 'bedroc' },
        { name: 'auroc', function: 'roc_auc' },
      ],
      command:
        'agora eval <ns>/<name> --benchmark moleval/docking-enrichment@1.0.0 --predictions predictions.csv --write',
      resultPath: 'results/moleval/docking-enrichment.yaml',
    })
    const { evaluation: _, ...bare } = version
    expect(submissionGuide(bench, bare)).toBeUndefined()
  })

  it('tells a retrosynthesis submitter that the predictions are ranked reactant sets', () => {
    const key = 'benchmark/moleval/retrosynthesis-topk'
    const bench = index.byKey.get(key)
    const version = details.get(key)?.versions.find((v) => v.version === '1.1.0')
    if (!bench || !version) throw new Error('sample benchmark missing')
    expect(submissionGuide(bench, version as BenchmarkVersion)).toMatchObject({
      format: 'jsonl',
      idColumn: 'reaction_id',
      columns: ['predictions'],
      rankedColumns: ['predictions'],
      command:
        'agora eval <ns>/<name> --benchmark moleval/retrosynthesis-topk@1.1.0 --predictions predictions.jsonl --write',
    })
  })

  it('flags a version that scores worse than the one before beyond the stability band', () => {
    const gnn = index.byKey.get('model/openchem-lab/dockscore-gnn')
    if (!gnn) throw new Error('sample item missing')
    // ef1 19.6 → 18.2 is 7.1% worse, past the 5% band; bedroc20 and auroc dropped less.
    expect(itemRegressions(gnn, index)).toEqual([
      {
        benchmark: BENCH,
        metric: 'ef1',
        version: '1.2.0',
        previous: '1.1.0',
        score: 18.2,
        previousScore: 19.6,
        dropPercent: expect.closeTo(7.14, 2),
      },
    ])
    const vina = index.byKey.get('model/openchem-lab/vina-kinase-configs')
    if (!vina) throw new Error('sample item missing')
    expect(itemRegressions(vina, index)).toEqual([])
  })
})
