import { execFile } from 'node:child_process'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import YAML from 'yaml'
import { validateDocument } from '#core/schema'
import { main } from '../agora.ts'
import { captureStream } from '../cli/capture.ts'
import { sampleArtifacts } from '../gen-sample.ts'
import { writeArtifactBlobs } from '../sample/write.ts'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const fixtures = fileURLToPath(new URL('../../core/qa/__fixtures__/eval/', import.meta.url))
const expected = JSON.parse(await readFile(join(fixtures, 'expected.json'), 'utf8')) as Record<
  string,
  Record<string, number>
>
const DOCKING = join(fixtures, 'docking-enrichment.csv')
const ADMET = join(fixtures, 'admet-suite.csv')
const RETRO = join(fixtures, 'retrosynthesis-topk.jsonl')
const GNN = 'registry/models/op/openchem-lab/dockscore-gnn'

let root: string
let env: Record<string, string>

async function run(...argv: string[]) {
  const stdout = captureStream()
  const stderr = captureStream()
  const code = await main(argv, { cwd: root, env, stdout, stderr, fetch: globalThis.fetch })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

/** A predictions file made from the docking fixture by editing its lines. */
async function edited(name: string, edit: (lines: string[]) => string[]): Promise<string> {
  const lines = (await readFile(DOCKING, 'utf8')).trimEnd().split('\n')
  const path = join(root, name)
  await writeFile(path, `${edit(lines).join('\n')}\n`)
  return path
}

beforeAll(async () => {
  // A small hub checkout in Git: the sample's agora.yaml, benchmarks and two
  // models, and a blob store holding only the benchmarks' files.
  root = await mkdtemp(join(tmpdir(), 'agora-eval-'))
  for (const p of [
    'registry/agora.yaml',
    'registry/benchmarks/mo/moleval',
    GNN,
    'registry/models/op/openchem-lab/tox21-gcn',
    'registry/models/mo/molforge/retro-transformer',
  ]) {
    await cp(join(repoRoot, p), join(root, p), { recursive: true })
  }
  const git = (...args: string[]) => promisify(execFile)('git', args, { cwd: root })
  await git('init', '-q')
  await git('add', '.')
  await git('-c', 'user.name=t', '-c', 'user.email=t@example.org', 'commit', '-qm', 'hub')
  const store = join(root, 'store')
  await writeArtifactBlobs(
    sampleArtifacts().filter((a) => a.ref.kind === 'benchmark'),
    store,
  )
  env = { AGORA_STORE_DIR: store }
}, 120_000)

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('scripts/commands/eval', () => {
  it('scores docking predictions as RDKit and scikit-learn do, whatever the row order', async () => {
    const result = await run(
      'eval',
      'openchem-lab/dockscore-gnn',
      '--benchmark',
      'moleval/docking-enrichment',
      '--predictions',
      DOCKING,
      '--json',
    )
    expect(result.code).toBe(0)
    const out = JSON.parse(result.stdout)
    expect(out).toMatchObject({
      ok: true,
      item: 'openchem-lab/dockscore-gnn@1.2.0',
      benchmark: 'benchmarks/moleval/docking-enrichment@1.0.0',
      rows: 55,
      written: null,
    })
    const want = expected['docking-enrichment'] as Record<string, number>
    expect(Object.keys(out.metrics).sort()).toEqual(Object.keys(want).sort())
    for (const [k, v] of Object.entries(want))
      expect(Math.abs(out.metrics[k] - v)).toBeLessThanOrEqual(1e-9)
  })

  it('averages the Tox21 endpoints with missing labels masked and one-class tasks left out', async () => {
    const result = await run(
      'eval',
      'openchem-lab/tox21-gcn@1.0.0',
      '--benchmark',
      'moleval/admet-suite@1.0.0',
      '--predictions',
      ADMET,
      '--json',
    )
    expect(result.code).toBe(0)
    const out = JSON.parse(result.stdout)
    for (const [k, v] of Object.entries(expected['admet-suite'] as Record<string, number>)) {
      expect(Math.abs(out.metrics[k] - v)).toBeLessThanOrEqual(1e-9)
    }
    const tasks = expected['admet-suite-tasks'] as Record<string, number>
    expect(Object.keys(out.tasks.tox21_mean_auroc)).toEqual(Object.keys(tasks))
    for (const [k, v] of Object.entries(tasks)) {
      expect(Math.abs(out.tasks.tox21_mean_auroc[k] - v)).toBeLessThanOrEqual(1e-9)
    }
    expect(out.skipped).toEqual({ tox21_mean_auroc: expected['admet-suite-skipped'] })
  })

  it('scores ranked retrosynthesis predictions by top-k exact match on canonical reactant sets', async () => {
    // The fixture places each of the 22 held-out reactions' reactants at a
    // known rank: 10 at rank 1 (six of them in another spelling: Kekulé,
    // other atom order, reactants swapped), 4 at rank 2, 2 at rank 5, 2 at
    // rank 7, 1 at rank 10, 1 at rank 11 and 2 not at all; those 2 rank an
    // unparseable SMILES first. So top-1 = 10/22, top-5 = 16/22,
    // top-10 = 19/22 and validity = 20/22, in %.
    const result = await run(
      'eval',
      'molforge/retro-transformer',
      '--benchmark',
      'moleval/retrosynthesis-topk',
      '--predictions',
      RETRO,
      '--json',
      '--write',
    )
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const out = JSON.parse(result.stdout)
    expect(out).toMatchObject({
      ok: true,
      benchmark: 'benchmarks/moleval/retrosynthesis-topk@1.1.0',
      rows: 22,
    })
    const want = { top1: 10 / 22, top5: 16 / 22, top10: 19 / 22, validity: 20 / 22 }
    expect(Object.keys(out.metrics).sort()).toEqual(Object.keys(want).sort())
    for (const [k, v] of Object.entries(want))
      expect(Math.abs(out.metrics[k] - 100 * v)).toBeLessThanOrEqual(1e-9)
    const file =
      'registry/models/mo/molforge/retro-transformer/results/moleval/retrosynthesis-topk.yaml'
    const text = await readFile(join(root, file), 'utf8')
    expect(validateDocument('result', Buffer.from(text), file).issues).toEqual([])
    expect(YAML.parse(text)).toMatchObject({ benchmark_version: '1.1.0', scores: out.metrics })
  })

  it('prints the metrics with direction and unit', async () => {
    const result = await run(
      'eval',
      'openchem-lab/tox21-gcn',
      '--benchmark',
      'moleval/admet-suite',
      '--predictions',
      ADMET,
    )
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(
      'openchem-lab/tox21-gcn@1.0.0 on benchmarks/moleval/admet-suite@1.0.0 (114 test rows)',
    )
    expect(result.stdout).toMatch(/solubility_rmse\s+0\.792055 log mol\/L {2}↓/)
    expect(result.stdout).toContain('(task NR-AhR left out: one class in its labels)')
  })

  it('--write writes a valid result with provenance, atomically', async () => {
    const result = await run(
      'eval',
      'openchem-lab/dockscore-gnn',
      '--benchmark',
      'moleval/docking-enrichment',
      '--predictions',
      DOCKING,
      '--write',
      '--json',
    )
    expect(result.code).toBe(0)
    const path = `${GNN}/results/moleval/docking-enrichment.yaml`
    expect(JSON.parse(result.stdout).written).toBe(path)
    const text = await readFile(join(root, path), 'utf8')
    expect(
      text.startsWith(
        '# yaml-language-server: $schema=../../../../../../schemas/result.schema.json\n',
      ),
    ).toBe(true)
    expect(validateDocument('result', Buffer.from(text), path).issues).toEqual([])
    const doc = YAML.parse(text)
    const sha = (p: string) =>
      promisify(execFile)('sha256sum', [p]).then((r) => r.stdout.split(' ')[0])
    const { stdout: head } = await promisify(execFile)('git', ['rev-parse', 'HEAD'], { cwd: root })
    expect(doc).toMatchObject({
      benchmark: 'benchmarks/moleval/docking-enrichment',
      benchmark_version: '1.0.0',
      version: '1.2.0',
      source: { name: 'agora eval' },
      provenance: {
        runner: 'predictions',
        benchmark: {
          ref: 'benchmarks/moleval/docking-enrichment',
          version: '1.0.0',
          manifest_sha256: await sha(
            join(root, 'registry/benchmarks/mo/moleval/docking-enrichment/versions/1.0.0.yaml'),
          ),
        },
        item: {
          ref: 'models/openchem-lab/dockscore-gnn',
          version: '1.2.0',
          manifest_sha256: await sha(join(root, GNN, 'versions/1.2.0.yaml')),
        },
        predictions_sha256: await sha(DOCKING),
        commit: head.trim(),
      },
    })
    expect(doc.verified).toBeUndefined()
    expect(
      Math.abs(doc.scores.auroc - (expected['docking-enrichment']?.auroc as number)),
    ).toBeLessThanOrEqual(1e-9)
  })

  it('names the line of a row without an id and exits 1', async () => {
    const path = await edited('no-id.csv', (l) =>
      l.map((line, i) => (i === 3 ? `,${line.split(',')[1]}` : line)),
    )
    const result = await run(
      'eval',
      'openchem-lab/dockscore-gnn',
      '--benchmark',
      'moleval/docking-enrichment',
      '--predictions',
      path,
    )
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('no-id.csv:4:1  qa/missing-id  the row has no name')
    expect(result.stdout).toContain('qa/missing-prediction  no prediction for test id')
  })

  it('reports a test id without a prediction with its test-set line', async () => {
    const path = await edited('missing.csv', (l) =>
      l.filter((line) => !line.startsWith('gefitinib,')),
    )
    const result = await run(
      'eval',
      'openchem-lab/dockscore-gnn',
      '--benchmark',
      'moleval/docking-enrichment',
      '--predictions',
      path,
      '--json',
    )
    expect(result.code).toBe(1)
    const out = JSON.parse(result.stdout)
    expect(out.ok).toBe(false)
    expect(out.issues).toEqual([
      expect.objectContaining({
        code: 'qa/missing-prediction',
        file: 'missing.csv',
        message: expect.stringMatching(
          /^no prediction for test id "gefitinib" \(line \d+ of registry\/benchmarks\/mo\/moleval\/docking-enrichment@1\.0\.0:labels\.csv\)$/,
        ),
      }),
    ])
  })

  it('reports duplicate, extra and non-numeric rows with their lines', async () => {
    const path = await edited('bad.csv', (l) => [
      ...l.slice(0, 2),
      l[1] as string,
      'not-a-molecule,-7.5',
      `${(l[2] as string).split(',')[0]},strong`,
      ...l.slice(3),
    ])
    const result = await run(
      'eval',
      'openchem-lab/dockscore-gnn',
      '--benchmark',
      'moleval/docking-enrichment',
      '--predictions',
      path,
      '--json',
    )
    expect(result.code).toBe(1)
    const issues = JSON.parse(result.stdout).issues as {
      code: string
      line?: number
      message: string
    }[]
    expect(issues.map((i) => [i.code, i.line])).toEqual([
      ['qa/duplicate-id', 3],
      ['qa/extra-id', 4],
      ['qa/not-numeric', 5],
    ])
    expect(issues[0]?.message).toMatch(/is predicted again \(first on line 2\)/)
  })

  it('refuses a non-numeric score with its line', async () => {
    const path = await edited('text.csv', (l) =>
      l.map((line, i) => (i === 5 ? `${line.split(',')[0]},strong` : line)),
    )
    const result = await run(
      'eval',
      'openchem-lab/dockscore-gnn',
      '--benchmark',
      'moleval/docking-enrichment',
      '--predictions',
      path,
    )
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(
      /text\.csv:6:1 {2}qa\/not-numeric {2}score of id "[^"]+" is "strong", not a number/,
    )
  })

  it('exits 2 for a benchmark version without a contract', async () => {
    const result = await run(
      'eval',
      'openchem-lab/dockscore-gnn',
      '--benchmark',
      'moleval/retrosynthesis-topk@1.0.0',
      '--predictions',
      DOCKING,
    )
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('qa/no-contract')
  })
})
