import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import * as nodeFs from 'node:fs'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import YAML from 'yaml'
import { gradeResult } from '#core/qa'
import { checkChanges } from '#core/registry'
import { validateDocument } from '#core/schema'
import { createGitHubStub } from '../../core/github/testing/github-stub.ts'
import { main } from '../../scripts/agora.ts'
import { captureStream } from '../../scripts/cli/capture.ts'
import { sampleArtifacts } from '../../scripts/gen-sample.ts'
import { writeArtifactBlobs } from '../../scripts/sample/write.ts'
import { EXIT_FAILED, EXIT_OK, runQaAction } from './main.ts'

// A QA run end to end: a hub checkout in a temp Git repository (the
// sample's agora.yaml, the moleval benchmarks and its ONNX hERG model), a
// blob store with their files, and a change that adds a version of the
// model. Version 1.1.0 (from 1.0.0, no inference block) is evaluated
// through the predictions it ships; version 2.1.0 (from 2.0.0, with its
// inference block) is run in onnxruntime-node.
const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const fixtures = fileURLToPath(new URL('../../core/qa/__fixtures__/eval/', import.meta.url))
const expected = JSON.parse(await readFile(join(fixtures, 'expected.json'), 'utf8')) as Record<
  string,
  Record<string, number>
>
const MODEL = 'registry/models/mo/moleval/herg-logreg-onnx'
const RESULT = `${MODEL}/results/moleval/admet-suite.yaml`
const REPO = '/repos/acme/hub'
const NOW = new Date('2026-03-01T12:00:00Z')

let root: string
let store: string
let base: string

const sh = (cwd: string, ...args: string[]) =>
  promisify(execFile)('git', args, { cwd }).then((r) => r.stdout.trim())
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

function capture() {
  const out: string[] = []
  const stdout = new Writable({
    write(chunk, _encoding, done) {
      out.push(String(chunk))
      done()
    },
  })
  // The report escapes Markdown; `plain` reads it as a person would.
  const text = () => out.join('')
  return { out, stdout, text, plain: () => plainText(text()) }
}

const plainText = (markdown: string) => markdown.replace(/&#8203;/g, '').replace(/\\(.)/g, '$1')

async function putBlob(bytes: Uint8Array): Promise<{ size: number; sha256: string }> {
  const hash = sha256(bytes)
  const dir = join(store, 'blobs/sha256', hash.slice(0, 2))
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, hash), bytes)
  return { size: bytes.length, sha256: hash }
}

/** Commits a version of the model (1.1.0 from 1.0.0 by default) with these extra files and returns the head commit. */
async function addVersion(
  extra: { path: string; size: number; sha256: string }[],
  from = '1.0.0',
  version = '1.1.0',
  fields: Record<string, unknown> = {},
) {
  const v1 = YAML.parse(await readFile(join(root, MODEL, `versions/${from}.yaml`), 'utf8'))
  const v2 = { ...v1, version, released: '2026-02-28', files: [...v1.files, ...extra], ...fields }
  await writeFile(
    join(root, MODEL, `versions/${version}.yaml`),
    `# yaml-language-server: $schema=../../../../../schemas/version.schema.json\n${YAML.stringify(v2)}`,
  )
  const itemFile = join(root, MODEL, 'item.yaml')
  const item = (await readFile(itemFile, 'utf8')).replace('latest: 1.0.0', 'latest: 1.1.0')
  await writeFile(itemFile, item)
  await sh(root, 'add', '.')
  await sh(root, '-c', 'user.name=m', '-c', 'user.email=m@example.org', 'commit', '-qm', 'v1.1.0')
  return sh(root, 'rev-parse', 'HEAD')
}

function env(head: string, extra: Record<string, string> = {}) {
  return {
    GITHUB_REPOSITORY: 'acme/hub',
    INPUT_COMMAND: 'run',
    INPUT_MODE: 'push',
    INPUT_BASE: base,
    INPUT_HEAD: head,
    INPUT_RUN_URL: 'https://github.com/acme/hub/actions/runs/1',
    AGORA_STORE_DIR: store,
    ...extra,
  }
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'agora-qa-'))
  for (const p of [
    'registry/agora.yaml',
    'registry/owners/moleval.yaml',
    'registry/benchmarks/mo/moleval',
    MODEL,
  ])
    await cp(join(repoRoot, p), join(root, p), { recursive: true })
  // The model lists the ADMET suite's task, so QA evaluates it there.
  const itemFile = join(root, MODEL, 'item.yaml')
  const item = await readFile(itemFile, 'utf8')
  await writeFile(
    itemFile,
    item.replace('pipeline_tag: tabular-classification', 'pipeline_tag: property-prediction'),
  )
  await sh(root, 'init', '-q', '-b', 'main')
  await sh(root, 'add', '.')
  await sh(root, '-c', 'user.name=m', '-c', 'user.email=m@example.org', 'commit', '-qm', 'hub')
  base = await sh(root, 'rev-parse', 'HEAD')
  store = join(root, '.store')
  await writeArtifactBlobs(
    sampleArtifacts().filter(
      (a) =>
        a.ref.kind === 'benchmark' || (a.ref.ns === 'moleval' && a.ref.name === 'herg-logreg-onnx'),
    ),
    store,
  )
}, 120_000)

afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('actions/qa/main', () => {
  it('plans no pool when a change adds no version, and names the pools of agora.yaml', async () => {
    const out = join(root, 'out.txt')
    const io = capture()
    const code = await runQaAction({
      env: { INPUT_COMMAND: 'plan', INPUT_BASE: base, INPUT_HEAD: base, GITHUB_OUTPUT: out },
      stdout: io.stdout,
      cwd: root,
    })
    expect(code).toBe(EXIT_OK)
    expect(io.text()).toBe(
      [
        'pool cpu: runs-on ubuntu-24.04',
        'pool gpu: runs-on self-hosted, linux, gpu',
        'pool a10g: runs-on self-hosted, linux, gpu, a10g',
        'no new versions: nothing to check',
        '',
      ].join('\n'),
    )
    expect(await readFile(out, 'utf8')).toBe('matrix={"include":[]}\npools=[]\n')
  })

  it('refuses runner labels outside A-Za-z0-9._- in agora.yaml before it plans', async () => {
    const hubFile = join(root, 'registry/agora.yaml')
    const hub = YAML.parse(await readFile(hubFile, 'utf8'))
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, not a template
    hub.qa.gpu_pools[0].labels.push('gpu,${{ secrets.X }}')
    const text = YAML.stringify(hub)
    await writeFile(hubFile, text)
    // The line the error must name: where the bad label is written.
    const line = text.split('\n').findIndex((l) => l.includes('secrets.X')) + 1
    const out = join(root, 'out.txt')
    const io = capture()
    const code = await runQaAction({
      env: { INPUT_COMMAND: 'plan', INPUT_BASE: base, INPUT_HEAD: base, GITHUB_OUTPUT: out },
      stdout: io.stdout,
      cwd: root,
    })
    expect(code).toBe(EXIT_FAILED)
    expect(io.text()).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, not a template
      '::error title=agora/qa::registry/agora.yaml:LINE:11  schema/pattern  qa.gpu_pools[0].labels[4] "gpu,${{ secrets.X }}" does not have the expected form%0A  hint: write the value in the form shown in docs/manifest.md\n'.replace(
        'LINE',
        String(line),
      ),
    )
    expect(nodeFs.existsSync(out)).toBe(false)
  })

  it('scans, loads, evaluates three times, grades and opens a pull request with verified results', async () => {
    const predictions = await putBlob(await readFile(join(fixtures, 'admet-suite.csv')))
    const head = await addVersion([{ path: 'predictions/moleval/admet-suite.csv', ...predictions }])
    const gh = createGitHubStub().expect({
      method: 'POST',
      path: `${REPO}/pulls`,
      response: { number: 12, html_url: 'https://github.com/acme/hub/pull/12' },
    })
    const pushed: string[] = []
    const io = capture()
    const code = await runQaAction({
      env: env(head),
      stdout: io.stdout,
      cwd: root,
      octokit: gh.octokit,
      now: NOW,
      push: async ({ branch }) => {
        pushed.push(branch)
      },
    })
    expect(io.text()).not.toContain('::error')
    expect(code).toBe(EXIT_OK)
    gh.assertDone()
    const branch = `qa/results-${head.slice(0, 12)}`
    expect(pushed).toEqual([branch])
    // The ONNX file really loaded in onnxruntime-node.
    expect(io.plain()).toMatch(/load model\.onnx: loads \(onnxruntime: inputs X; outputs Y\)/)
    const body = gh.calls[0]?.body as { head: string; base: string; body: string; title: string }
    expect(body).toMatchObject({ head: branch, base: 'main' })
    expect(plainText(body.body)).toMatch(
      /benchmarks\/moleval\/admet-suite: grade [ABCF], RSD 0\.00%, verified/,
    )

    const text = await sh(root, 'show', `${branch}:${RESULT}`)
    const doc = YAML.parse(text)
    expect(validateDocument('result', Buffer.from(text), RESULT).issues).toEqual([])
    expect(doc).toMatchObject({
      benchmark: 'benchmarks/moleval/admet-suite',
      version: '1.1.0',
      verified: true,
      date: '2026-03-01',
      source: { name: 'Agora QA', url: 'https://github.com/acme/hub/actions/runs/1' },
      stability: { runs: 3, rsd_percent: 0 },
      provenance: { runner: 'predictions', commit: head, predictions_sha256: predictions.sha256 },
    })
    expect(doc.provenance.latency_ms).toBeUndefined()
    for (const [k, v] of Object.entries(expected['admet-suite'] as Record<string, number>))
      expect(Math.abs(doc.scores[k] - v)).toBeLessThanOrEqual(1e-9)
    const bench = YAML.parse(
      await readFile(join(root, 'registry/benchmarks/mo/moleval/admet-suite/item.yaml'), 'utf8'),
    )
    const hub = YAML.parse(await readFile(join(root, 'registry/agora.yaml'), 'utf8'))
    expect(doc.grade).toBe(gradeResult(doc.scores, bench, 'moleval/admet-suite', hub.qa).grade)
    expect(doc.grade).toMatch(/^[ABCF]$/)

    // The change rules accept the results from the QA identity, and only from it.
    const qaHead = await sh(root, 'rev-parse', branch)
    const byQa = await checkChanges({
      fs: nodeFs,
      dir: root,
      base: head,
      head: qaHead,
      author: 'agora-qa-bot',
    })
    expect(byQa.issues.filter((i) => i.severity === 'error')).toEqual([])
    const byOther = await checkChanges({
      fs: nodeFs,
      dir: root,
      base: head,
      head: qaHead,
      author: 'mallory',
    })
    expect(byOther.issues.map((i) => i.code)).toContain('change/verified-by-non-qa')
  }, 120_000)

  it('runs a model with an inference block in onnxruntime-node and scores it as agora eval --run does', async () => {
    // It ships predictions too; QA runs the model all the same.
    const predictions = await putBlob(await readFile(join(fixtures, 'admet-suite.csv')))
    const head = await addVersion(
      [{ path: 'predictions/moleval/admet-suite.csv', ...predictions }],
      '2.0.0',
      '2.1.0',
    )
    const gh = createGitHubStub().expect({
      method: 'POST',
      path: `${REPO}/pulls`,
      response: { number: 13, html_url: 'https://github.com/acme/hub/pull/13' },
    })
    const io = capture()
    const code = await runQaAction({
      env: env(head),
      stdout: io.stdout,
      cwd: root,
      octokit: gh.octokit,
      now: NOW,
      push: async () => {},
    })
    expect(io.text()).not.toContain('::error')
    expect(code).toBe(EXIT_OK)
    gh.assertDone()
    expect(io.plain()).toMatch(
      /benchmarks\/moleval\/admet-suite: grade [ABCF], RSD 0\.00%, verified; ran in onnxruntime-node \S+ \(a batch: p50 [\d.]+ ms, p95 [\d.]+ ms, p99 [\d.]+ ms\)/,
    )

    const text = await sh(root, 'show', `qa/results-${head.slice(0, 12)}:${RESULT}`)
    expect(validateDocument('result', Buffer.from(text), RESULT).issues).toEqual([])
    const doc = YAML.parse(text)
    const model = YAML.parse(await readFile(join(root, MODEL, 'versions/2.1.0.yaml'), 'utf8'))
    expect(doc).toMatchObject({
      version: '2.1.0',
      verified: true,
      stability: { runs: 3, rsd_percent: 0 },
      provenance: { runner: expect.stringMatching(/^onnxruntime-node /), commit: head },
    })
    expect(doc.provenance.model_sha256).toBe(model.files[0].sha256)
    expect(doc.provenance.predictions_sha256).not.toBe(predictions.sha256)
    expect(Object.keys(doc.provenance.latency_ms)).toEqual(['p50', 'p95', 'p99'])
    expect(doc.provenance.batch_size).toBeGreaterThan(0)
    // The sample's 2.0.0 result (from agora eval --run) moves into history.
    expect(doc.history).toEqual([
      expect.objectContaining({ version: '2.0.0', scores: { herg_auroc: 0.9857142857142858 } }),
    ])

    // agora eval --run on the same version scores exactly as QA did.
    const stdout = captureStream()
    const stderr = captureStream()
    const cli = await main(
      [
        'eval',
        'moleval/herg-logreg-onnx@2.1.0',
        '--benchmark',
        'moleval/admet-suite',
        '--run',
        '--json',
      ],
      { cwd: root, env: { AGORA_STORE_DIR: store }, stdout, stderr, fetch: globalThis.fetch },
    )
    expect(stderr.text()).toBe('')
    expect(cli).toBe(0)
    const report = JSON.parse(stdout.text())
    expect(doc.scores).toEqual(report.metrics)
    expect(doc.provenance.predictions_sha256).toBe(report.predictions_sha256)
  }, 120_000)

  it('records "not run" with the reason when an ONNX model has no inference block and ships no predictions', async () => {
    const head = await addVersion([])
    const gh = createGitHubStub()
    const io = capture()
    const code = await runQaAction({
      env: env(head),
      stdout: io.stdout,
      cwd: root,
      octokit: gh.octokit,
      now: NOW,
      push: async () => {
        throw new Error('nothing to push')
      },
    })
    expect(code).toBe(EXIT_OK)
    gh.assertDone()
    expect(io.plain()).toContain(
      'benchmarks/moleval/admet-suite: not run: model.onnx has no inference block to run it by: add an inference block (docs/evaluation.md), or ship predictions/moleval/admet-suite.csv with the version',
    )
  }, 120_000)

  it('checks exactly the versions added between base and head, as a dispatch after a merge names them', async () => {
    // Two merges: 1.1.0, then 1.2.0. QA of the second merge sees only 1.2.0.
    const first = await addVersion([])
    const second = await addVersion([], '1.0.0', '1.2.0')
    const report = async (from: string, to: string) => {
      const gh = createGitHubStub()
      const io = capture()
      const code = await runQaAction({
        env: env(to, { INPUT_BASE: from }),
        stdout: io.stdout,
        cwd: root,
        octokit: gh.octokit,
        now: NOW,
      })
      expect(code).toBe(EXIT_OK)
      gh.assertDone()
      return [...io.plain().matchAll(/^### (\S+):/gm)].map((m) => m[1])
    }
    expect(await report(first, second)).toEqual(['models/moleval/herg-logreg-onnx@1.2.0'])
    expect(await report(base, first)).toEqual(['models/moleval/herg-logreg-onnx@1.1.0'])
    expect(await report(second, second)).toEqual([])
  }, 120_000)

  it('reports a failing version on the pull request that merged it, else in an issue', async () => {
    const head = await addVersion([
      { path: 'weights.bin', size: 4, sha256: sha256(new TextEncoder().encode('gone')) },
    ])
    const run = async (gh: ReturnType<typeof createGitHubStub>) => {
      const io = capture()
      const code = await runQaAction({
        env: env(head),
        stdout: io.stdout,
        cwd: root,
        octokit: gh.octokit,
        now: NOW,
      })
      expect(code).toBe(EXIT_FAILED)
      gh.assertDone()
      expect(io.text()).toMatch(
        /::error title=agora\/qa models\/moleval\/herg-logreg-onnx@1\.1\.0::weights\.bin: not in the blob store/,
      )
      return gh.calls.at(-1)?.body as { title?: string; body: string }
    }
    const merged = await run(
      createGitHubStub()
        .expect({
          method: 'GET',
          path: `${REPO}/commits/${head}/pulls`,
          response: [{ number: 5, merged_at: '2026-02-28T10:00:00Z' }],
        })
        .expect({ method: 'POST', path: `${REPO}/issues/5/comments`, response: { id: 1 } }),
    )
    expect(plainText(merged.body)).toContain('weights.bin: not in the blob store')
    const issue = await run(
      createGitHubStub()
        .expect({ method: 'GET', path: `${REPO}/commits/${head}/pulls`, response: [] })
        .expect({ method: 'POST', path: `${REPO}/issues`, response: { number: 30 } }),
    )
    expect(issue.title).toBe('QA failed: models/moleval/herg-logreg-onnx@1.1.0')
    expect(plainText(issue.body)).toContain('**failure**: weights.bin: not in the blob store')
  }, 120_000)

  it('comments the report on the labelled pull request and writes nothing', async () => {
    const predictions = await putBlob(await readFile(join(fixtures, 'admet-suite.csv')))
    const head = await addVersion([{ path: 'predictions/moleval/admet-suite.csv', ...predictions }])
    const gh = createGitHubStub().expect({
      method: 'POST',
      path: `${REPO}/issues/7/comments`,
      response: { id: 1 },
    })
    const io = capture()
    const code = await runQaAction({
      env: env(head, { INPUT_MODE: 'label', INPUT_PR_NUMBER: '7' }),
      stdout: io.stdout,
      cwd: root,
      octokit: gh.octokit,
      now: NOW,
    })
    expect(code).toBe(EXIT_OK)
    gh.assertDone()
    const comment = gh.calls[0]?.body as { body: string }
    expect(plainText(comment.body)).toMatch(/admet-suite: grade [ABCF]/)
    expect(await sh(root, 'branch', '--list', 'qa/*')).toBe('')
  }, 120_000)

  /**
   * A hub whose agora.yaml sends the runner `admet-a10g` to the a10g pool,
   * and a change adding 1.1.0 (predictions: the cpu pool) and 1.2.0 (that
   * runner: the a10g pool). The runner copies the predictions the fixture
   * holds, as a GPU runner would write its own.
   */
  async function twoPoolChange(): Promise<string> {
    await cp(join(fixtures, 'admet-suite.csv'), join(root, 'admet-suite.csv'))
    await writeFile(
      join(root, 'runner.mjs'),
      [
        "import { readFileSync, writeFileSync } from 'node:fs'",
        'const [source, jobPath] = process.argv.slice(2)',
        "const job = JSON.parse(readFileSync(jobPath, 'utf8'))",
        "const text = readFileSync(source, 'utf8')",
        'writeFileSync(job.output.path, text)',
        "const rows = text.trim().split('\\n').length - 1",
        "console.log(JSON.stringify({ type: 'progress', done: rows, total: rows }))",
        '',
      ].join('\n'),
    )
    const hubFile = join(root, 'registry/agora.yaml')
    const hub = YAML.parse(await readFile(hubFile, 'utf8'))
    hub.qa.command_runners['admet-a10g'] = {
      command: ['node', 'runner.mjs', 'admet-suite.csv'],
      pool: 'a10g',
    }
    await writeFile(hubFile, YAML.stringify(hub))
    const predictions = await putBlob(await readFile(join(fixtures, 'admet-suite.csv')))
    await addVersion([{ path: 'predictions/moleval/admet-suite.csv', ...predictions }])
    return addVersion([], '1.0.0', '1.2.0', { runner: { use: 'admet-a10g' } })
  }

  async function runPool(head: string, pool: string, results: string) {
    const gh = createGitHubStub()
    const io = capture()
    const code = await runQaAction({
      env: env(head, { INPUT_POOL: pool, INPUT_RESULTS: results }),
      stdout: io.stdout,
      cwd: root,
      octokit: gh.octokit,
      now: NOW,
      push: async () => {
        throw new Error('a pool pushes nothing')
      },
    })
    // A pool's job only hands its outcomes on: no GitHub call.
    gh.assertDone()
    expect(io.text()).not.toContain('::error')
    expect(code).toBe(EXIT_OK)
    return [...io.plain().matchAll(/^### (\S+):/gm)].map((m) => m[1])
  }

  it('plans a pool per runner pool, QAs each pool’s versions there and gathers one pull request', async () => {
    const head = await twoPoolChange()
    const out = join(root, 'out.txt')
    const planned = await runQaAction({
      env: { INPUT_COMMAND: 'plan', INPUT_BASE: base, INPUT_HEAD: head, GITHUB_OUTPUT: out },
      stdout: capture().stdout,
      cwd: root,
    })
    expect(planned).toBe(EXIT_OK)
    const outputs = Object.fromEntries(
      (await readFile(out, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), JSON.parse(l.slice(l.indexOf('=') + 1))]),
    )
    expect(outputs).toEqual({
      matrix: {
        include: [
          { pool: 'cpu', runs_on: '["ubuntu-24.04"]' },
          { pool: 'a10g', runs_on: '["self-hosted","linux","gpu","a10g"]' },
        ],
      },
      pools: ['cpu', 'a10g'],
    })
    // runs-on: ${{ fromJSON(matrix.runs_on) }}
    expect(JSON.parse(outputs.matrix.include[1].runs_on)).toEqual([
      'self-hosted',
      'linux',
      'gpu',
      'a10g',
    ])

    const results = join(root, '.qa-results')
    const checked: Record<string, (string | undefined)[]> = {}
    for (const { pool } of outputs.matrix.include as { pool: string }[])
      checked[pool] = await runPool(head, pool, results)
    expect(checked).toEqual({
      cpu: ['models/moleval/herg-logreg-onnx@1.1.0'],
      a10g: ['models/moleval/herg-logreg-onnx@1.2.0'],
    })

    const gh = createGitHubStub().expect({
      method: 'POST',
      path: `${REPO}/pulls`,
      response: { number: 21, html_url: 'https://github.com/acme/hub/pull/21' },
    })
    const pushed: string[] = []
    const io = capture()
    const code = await runQaAction({
      env: env(head, {
        INPUT_COMMAND: 'gather',
        INPUT_POOLS: JSON.stringify(outputs.pools),
        INPUT_RESULTS: results,
      }),
      stdout: io.stdout,
      cwd: root,
      octokit: gh.octokit,
      now: NOW,
      push: async ({ branch }) => {
        pushed.push(branch)
      },
    })
    expect(io.text()).not.toContain('::error')
    expect(code).toBe(EXIT_OK)
    gh.assertDone()
    const branch = `qa/results-${head.slice(0, 12)}`
    expect(pushed).toEqual([branch])
    const body = plainText((gh.calls[0]?.body as { body: string } | undefined)?.body ?? '')
    expect([...body.matchAll(/^### (\S+): (\w+)/gm)].map((m) => `${m[1]} ${m[2]}`)).toEqual([
      'models/moleval/herg-logreg-onnx@1.1.0 passed',
      'models/moleval/herg-logreg-onnx@1.2.0 passed',
    ])
    expect(body).toMatch(/admet-suite: grade [ABCF], RSD 0\.00%, verified; ran in /)
    // Both versions score the same benchmark: the result holds the later one, and its runner.
    const text = await sh(root, 'show', `${branch}:${RESULT}`)
    expect(validateDocument('result', Buffer.from(text), RESULT).issues).toEqual([])
    expect(YAML.parse(text)).toMatchObject({ version: '1.2.0', verified: true })
  }, 120_000)

  it('reports a pool that gave no results, and still opens the others’ pull request', async () => {
    const head = await twoPoolChange()
    const results = join(root, '.qa-results')
    await runPool(head, 'cpu', results)
    const gh = createGitHubStub()
      .expect({
        method: 'POST',
        path: `${REPO}/pulls`,
        response: { number: 22, html_url: 'https://github.com/acme/hub/pull/22' },
      })
      .expect({ method: 'GET', path: `${REPO}/commits/${head}/pulls`, response: [] })
      .expect({ method: 'POST', path: `${REPO}/issues`, response: { number: 31 } })
    const io = capture()
    const code = await runQaAction({
      env: env(head, {
        INPUT_COMMAND: 'gather',
        INPUT_POOLS: '["cpu","a10g"]',
        INPUT_RESULTS: results,
      }),
      stdout: io.stdout,
      cwd: root,
      octokit: gh.octokit,
      now: NOW,
      push: async () => {},
    })
    expect(code).toBe(EXIT_FAILED)
    gh.assertDone()
    expect(io.text()).toContain('::error title=agora/qa::no results from the a10g pool')
    const issue = gh.calls.at(-1)?.body as { title: string; body: string }
    expect(issue.title).toBe('QA failed: the a10g pool')
    expect(plainText(issue.body)).toContain(
      '**No results from the a10g pool**: its job failed or was cancelled, so models/moleval/herg-logreg-onnx@1.2.0 is not checked; see the workflow run.',
    )
    const text = await sh(root, 'show', `qa/results-${head.slice(0, 12)}:${RESULT}`)
    expect(YAML.parse(text)).toMatchObject({ version: '1.1.0' })
  }, 120_000)

  it('refuses pools other than the plan’s, and a pool’s results for another commit, version or item', async () => {
    const head = await twoPoolChange()
    const results = join(root, '.qa-results')
    await runPool(head, 'cpu', results)
    const file = join(results, 'cpu.json')
    const good = JSON.parse(await readFile(file, 'utf8'))
    let pools = '["cpu"]'
    const gather = async () => {
      const io = capture()
      const code = await runQaAction({
        env: env(head, { INPUT_COMMAND: 'gather', INPUT_POOLS: pools, INPUT_RESULTS: results }),
        stdout: io.stdout,
        cwd: root,
        octokit: createGitHubStub().octokit,
      })
      expect(code).toBe(EXIT_FAILED)
      return io.text()
    }
    await writeFile(file, JSON.stringify({ ...good, head: base }))
    expect(await gather()).toBe(
      `::error title=agora/qa::input pools ["cpu"] is not the plan at head (["cpu","a10g"])\n`,
    )
    pools = '["cpu","a10g"]'
    expect(await gather()).toBe(
      `::error title=agora/qa::cpu.json is not the results of pool cpu at ${head}\n`,
    )
    // The cpu pool's file vouches for the a10g pool's version.
    await writeFile(
      file,
      JSON.stringify({
        ...good,
        outcomes: [
          ...good.outcomes,
          {
            ...good.outcomes[0],
            target: { ...good.outcomes[0].target, version: { version: '1.2.0', files: [] } },
          },
        ],
      }),
    )
    expect(await gather()).toBe(
      '::error title=agora/qa::cpu.json has results for models/moleval/herg-logreg-onnx@1.1.0, models/moleval/herg-logreg-onnx@1.2.0; the plan puts models/moleval/herg-logreg-onnx@1.1.0 in pool cpu\n',
    )
    good.outcomes[0].evaluations[0].resultPath = 'registry/agora.yaml'
    await writeFile(file, JSON.stringify(good))
    expect(await gather()).toBe(
      '::error title=agora/qa::cpu.json: result "registry/agora.yaml" is not under models/moleval/herg-logreg-onnx@1.1.0\n',
    )
  }, 120_000)

  it('refuses bad inputs with an annotation', async () => {
    const io = capture()
    const code = await runQaAction({
      env: { ...env(base), INPUT_BASE: 'main' },
      stdout: io.stdout,
      cwd: root,
    })
    expect(code).toBe(EXIT_FAILED)
    expect(io.text()).toBe('::error title=agora/qa::inputs base and head must be commit SHAs\n')
  })
})
