import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { promisify } from 'node:util'
import { AgoraError, hasErrors } from '#core/errors'
import type { HubConfig } from '#core/manifest'
import { formatRef, isValidName, parseRef } from '#core/names'
import {
  type InferenceReport,
  onnxRuntime,
  resultDocument,
  runEvaluation,
  writeResult,
} from '#core/qa'
import { validateDocument } from '#core/schema'
import { createStore } from '#core/storage'
import { parseCommandArgs } from '../cli/args.ts'
import { createReporter } from '../cli/reporter.ts'
import { findRepoRoot } from '../cli/root.ts'
import { type Command, EXIT_OK, EXIT_PROBLEMS } from './context.ts'

const help = `Usage: agora eval <[kind/]ns/name[@version]> --benchmark <ns/name[@version]> (--predictions FILE | --run) [options]

Scores a predictions file against a benchmark version's labelled test set,
by the contract in the version's evaluation block: every metric of the
benchmark (a metric over several tasks is their mean), in the benchmark's
units. The test set is read from the blob store and checked against its
SHA-256. The predictions must name every test id exactly once, with a number
for every task (for a retrosynthesis task, the ranked reactant sets, compared
as canonical SMILES); each missing, duplicate, extra or unreadable row is
reported with its line.

Options:
  --benchmark REF     the benchmark, ns/name or benchmarks/ns/name, with
                      @version or @tag (default: its latest)
  --predictions FILE  CSV (header row) or JSON Lines, as the contract says
  --run               run the model instead: its version's inference block
                      says how to featurise the test set (a fingerprint of
                      a SMILES column, or numeric columns), which ONNX file,
                      input and output to use, and which output column
                      scores which task; runs on onnxruntime-node (CPU) in
                      large batches and reports latency and throughput.
                      Metrics over tasks the model does not predict are
                      left out. A version with a runner block runs with
                      the hub's command runner it names instead
                      (docs/runners.md), only with --allow-runner
  --allow-runner      let --run execute the command runner that
                      registry/agora.yaml (qa.command_runners) defines for
                      the version: a program from this checkout
  --write             write registry/<item>/results/<bench-ns>/<bench>.yaml
                      with the scores and their provenance (not verified)
  --root DIR          hub repository root (default: nearest folder holding
                      registry/agora.yaml)
  --json              print { ok, metrics, tasks, … } and nothing else
  -h, --help          show this help

Exit status: 0 scored, 1 the predictions have problems, 2 could not run
(unknown item, benchmark without a contract, test set not in the store).

Examples:
  agora eval openchem-lab/dockscore-gnn --benchmark moleval/docking-enrichment --predictions scores.csv
  agora eval acme/tox-gnn@1.2.0 --benchmark moleval/admet-suite@1.0.0 --predictions p.csv --json --write
  agora eval moleval/herg-logreg-onnx --benchmark moleval/admet-suite --run --write
  agora eval loras/agora-samples/tiny-refusal-lora --benchmark agora-samples/red-team-mini --run --allow-runner
`

/** What `--json` prints when the predictions scored. */
export interface EvalReport {
  ok: true
  item: string
  benchmark: string
  metrics: Record<string, number>
  tasks: Record<string, Record<string, number>>
  skipped: Record<string, string[]>
  rows: number
  predictions_sha256: string
  written: string | null
  /** With --run: the runtime, featurisation and inference timings. */
  inference?: InferenceReport
}

async function readHub(root: string): Promise<HubConfig> {
  const { value, issues } = validateDocument(
    'hub',
    await readFile(join(root, 'registry', 'agora.yaml')),
    'registry/agora.yaml',
  )
  if (!value || hasErrors(issues)) {
    throw new AgoraError('qa/bad-hub', 'registry/agora.yaml is not valid', {
      file: 'registry/agora.yaml',
      hint: 'run "agora validate" and fix agora.yaml first',
    })
  }
  return value
}

/** HEAD of the checkout, or undefined outside Git: provenance, not a requirement. */
async function headCommit(root: string): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)('git', ['rev-parse', 'HEAD'], { cwd: root })
    const commit = stdout.trim()
    return /^[0-9a-f]{40}$/.test(commit) ? commit : undefined
  } catch {
    return undefined
  }
}

function parseSpec(text: string, kind: 'model' | 'benchmark', option: string) {
  const spec = parseRef(text, kind)
  if (!spec || !isValidName(spec.ns) || !isValidName(spec.name)) {
    throw new AgoraError('cli/bad-argument', `agora eval: ${option} "${text}" is not a reference`, {
      hint:
        kind === 'benchmark'
          ? 'write ns/name[@version], e.g. moleval/admet-suite@1.0.0'
          : 'write [kind/]ns/name[@version], e.g. acme/tox-gnn@1.0.0',
    })
  }
  return spec
}

const command: Command = {
  summary: 'score a predictions file against a benchmark version',
  help,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      'eval',
      ctx.argv,
      {
        benchmark: { type: 'string' },
        predictions: { type: 'string' },
        run: { type: 'boolean' },
        'allow-runner': { type: 'boolean' },
        write: { type: 'boolean' },
        root: { type: 'string' },
        json: { type: 'boolean' },
      },
      { positionals: { min: 1, max: 1 } },
    )
    const report = createReporter(ctx, values.json === true)
    if (!values.benchmark || (!values.predictions && !values.run)) {
      throw new AgoraError(
        'cli/bad-argument',
        'agora eval needs --benchmark REF and either --predictions FILE or --run',
        {
          hint: 'e.g. agora eval acme/tox-gnn --benchmark moleval/admet-suite --predictions p.csv',
        },
      )
    }
    if (values.predictions && values.run) {
      throw new AgoraError(
        'cli/bad-argument',
        'agora eval takes --predictions or --run, not both',
        {
          hint: '--run makes the predictions by running the model',
        },
      )
    }
    const item = parseSpec(positionals[0] as string, 'model', 'item')
    const benchmark = parseSpec(values.benchmark, 'benchmark', '--benchmark')
    const root = await findRepoRoot(ctx.cwd, values.root)
    let predictions: { file: string; bytes: Uint8Array } | undefined
    let shownPath = 'the model run'
    if (values.predictions) {
      const path = resolve(ctx.cwd, values.predictions)
      const shown = relative(ctx.cwd, path) || values.predictions
      shownPath = shown
      const bytes = await readFile(path).catch((cause: unknown) => {
        throw new AgoraError('qa/no-predictions', `cannot read ${shown}`, {
          hint: 'pass the path of a CSV or JSON Lines predictions file',
          cause,
        })
      })
      predictions = { file: shown, bytes }
    }
    const hub = await readHub(root)
    const store = createStore(hub.storage, { repoRoot: root, env: ctx.env })
    // The native runtime loads only for --run.
    const run = values.run
      ? {
          runtime: onnxRuntime(await import('onnxruntime-node')),
          runners: hub.qa?.command_runners ?? {},
          allowRunner: values['allow-runner'] === true,
        }
      : undefined
    const { value, issues } = await runEvaluation({
      root,
      store,
      item,
      benchmark,
      ...(predictions ? { predictions } : {}),
      ...(run ? { run } : {}),
    })
    if (!value) {
      report.issues(issues)
      report.info(
        `✖ ${shownPath}: ${issues.length} problem${issues.length === 1 ? '' : 's'}; nothing scored`,
      )
      report.result({ ok: false, issues })
      return EXIT_PROBLEMS
    }
    let written: string | null = null
    if (values.write) {
      const result = resultDocument(value, { time: new Date(), commit: await headCommit(root) })
      await writeResult(root, value.resultPath, result)
      written = value.resultPath
    }
    const itemShown = `${formatRef(value.item.ref)}@${value.item.version}`
    const benchShown = `${formatRef(value.benchmark.ref)}@${value.benchmark.version}`
    const definitions = new Map(value.benchmark.item.metrics.map((m) => [m.name, m]))
    report.info(`${itemShown} on ${benchShown} (${value.evaluation.rows} test rows)`)
    for (const [name, score] of Object.entries(value.evaluation.metrics)) {
      const d = definitions.get(name)
      const arrow = d?.higher_is_better === false ? '↓' : '↑'
      report.info(
        `  ${name.padEnd(24)} ${String(Number(score.toPrecision(6))).padStart(10)}${d?.unit ? ` ${d.unit}` : ''}  ${arrow}`,
      )
      for (const task of value.evaluation.skipped[name] ?? [])
        report.info(`    (task ${task} left out: one class in its labels)`)
    }
    const inf = value.inference
    if (inf) {
      const ms = (x: number) => `${x.toFixed(1)} ms`
      report.info(
        `  ${inf.runner}: ${inf.rows} rows in ${inf.batches} batch${inf.batches === 1 ? '' : 'es'} of ≤${inf.batch_size}; featurise ${ms(inf.featurisation_ms)}, load ${ms(inf.load_ms)}, infer ${ms(inf.inference_ms)} (p50 ${ms(inf.latency_ms.p50)}, p95 ${ms(inf.latency_ms.p95)}, p99 ${ms(inf.latency_ms.p99)} a batch; ${Math.round(inf.throughput_rows_per_s)} rows/s)`,
      )
    }
    if (written) report.info(`✔ wrote ${written}`)
    const out: EvalReport = {
      ok: true,
      item: itemShown,
      benchmark: benchShown,
      metrics: value.evaluation.metrics,
      tasks: value.evaluation.tasks,
      skipped: value.evaluation.skipped,
      rows: value.evaluation.rows,
      predictions_sha256: value.predictionsSha256,
      written,
      ...(inf ? { inference: inf } : {}),
    }
    report.result(out)
    return EXIT_OK
  },
}

export default command
