/**
 * The QA action's entry point. `plan` reads the runner labels from
 * registry/agora.yaml; `run` finds the versions a change adds, runs the QA
 * pipeline (scan, load test, evaluation, stability, grade) and reports:
 * after merge (`mode: push`) it opens a pull request by the QA identity
 * with the verified results and opens an issue for failures; on a
 * maintainer's `qa:run` label (`mode: label`) it comments the report on
 * the pull request and writes nothing.
 */

import * as nodeFs from 'node:fs'
import { realpathSync } from 'node:fs'
import { appendFile } from 'node:fs/promises'
import type { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { Octokit } from '@octokit/rest'
import http from 'isomorphic-git/http/node'
import { formatIssue, isAgoraError } from '#core/errors'
import {
  commitToBranch,
  escapeMarkdown,
  formatAnnotation,
  openPullRequest,
  pushBranch,
} from '#core/github'
import type { BenchmarkItem, BenchmarkVersion } from '#core/manifest'
import { formatRef, parseKind } from '#core/names'
import {
  type ModelLoader,
  type ModelRuntime,
  onnxRuntime,
  planQa,
  type QaBenchmark,
  type QaOutcome,
  type QaTarget,
  qaResultFiles,
  runQa,
  targetLabel,
} from '#core/qa'
import { diffCommits, loadRegistry, resolveCommit } from '#core/registry'
import { createStore } from '#core/storage'

export interface QaIo {
  env: Record<string, string | undefined>
  stdout: Writable
  /** The checkout: trusted main after merge, the labelled head before. */
  cwd: string
  /** Injected in tests; otherwise made from GITHUB_TOKEN. */
  octokit?: Octokit
  /** Pushes the results branch; injected in tests, otherwise isomorphic-git over HTTPS. */
  push?: (options: { dir: string; branch: string; token: string | undefined }) => Promise<void>
  now?: Date
  loaders?: Record<string, ModelLoader>
  /** Runs models with an inference block; onnxruntime-node unless injected. */
  runtime?: ModelRuntime
}

export const EXIT_OK = 0
export const EXIT_FAILED = 1

const REPOSITORY = /^([A-Za-z0-9-]{1,39})\/([A-Za-z0-9._-]{1,100})$/
const SHA = /^[0-9a-f]{40}$/
const VERSION_FILE = /^registry\/([a-z]+)\/[^/]+\/([^/]+)\/([^/]+)\/versions\/([^/]+)\.yaml$/

/**
 * Runs the action against `io.env` and returns the exit code.
 *
 * @example process.exitCode = await runQaAction({ env: process.env, stdout: process.stdout, cwd: process.cwd() })
 */
export async function runQaAction(io: QaIo): Promise<number> {
  const { env, stdout } = io
  const fail = (message: string) => {
    stdout.write(`${formatAnnotation({ severity: 'error', title: 'agora/qa', message })}\n`)
    return EXIT_FAILED
  }
  try {
    if (env.INPUT_COMMAND === 'plan') return await plan(io)
    if (env.INPUT_COMMAND !== 'run') return fail('input command must be plan or run')
    return await run(io, fail)
  } catch (error) {
    if (isAgoraError(error)) return fail(formatIssue(error.toIssue()))
    throw error
  }
}

async function output(env: QaIo['env'], lines: string[]): Promise<void> {
  if (env.GITHUB_OUTPUT) await appendFile(env.GITHUB_OUTPUT, `${lines.join('\n')}\n`)
}

/** Writes the runner labels of agora.yaml as JSON outputs for `runs-on: ${{ fromJSON(…) }}`. */
async function plan(io: QaIo): Promise<number> {
  const { registry } = await loadRegistry(io.cwd, { items: [] })
  const runners = registry.hub.qa?.runners
  const cpu = runners?.cpu ?? ['ubuntu-24.04']
  const gpu = runners?.gpu ?? cpu
  io.stdout.write(`cpu runner: ${cpu.join(', ')}\ngpu runner: ${gpu.join(', ')}\n`)
  await output(io.env, [`cpu-runner=${JSON.stringify(cpu)}`, `gpu-runner=${JSON.stringify(gpu)}`])
  return EXIT_OK
}

async function run(io: QaIo, fail: (message: string) => number): Promise<number> {
  const { env, stdout, cwd } = io
  const repository = REPOSITORY.exec(env.GITHUB_REPOSITORY ?? '')
  const mode = env.INPUT_MODE
  const base = (env.INPUT_BASE ?? '').trim()
  const head = (env.INPUT_HEAD ?? '').trim()
  const pr = Number(env.INPUT_PR_NUMBER)
  if (!repository) return fail('GITHUB_REPOSITORY must be owner/name')
  if (mode !== 'push' && mode !== 'label') return fail('input mode must be push or label')
  if (!SHA.test(base) || !SHA.test(head)) return fail('inputs base and head must be commit SHAs')
  if (mode === 'label' && !(Number.isInteger(pr) && pr > 0))
    return fail('input pr-number must be the labelled pull request')
  const owner = repository[1] as string
  const repo = repository[2] as string

  const git = { fs: nodeFs, dir: cwd }
  const changes = await diffCommits(
    git,
    await resolveCommit(git, base),
    await resolveCommit(git, head),
  )
  const added: { kind: string; ns: string; name: string; version: string }[] = []
  for (const c of changes) {
    const m = c.status === 'added' ? VERSION_FILE.exec(c.path) : null
    const kind = m && parseKind(m[1] as string)
    if (m && kind)
      added.push({ kind, ns: m[2] as string, name: m[3] as string, version: m[4] as string })
  }
  if (added.length === 0) {
    stdout.write('no new versions: nothing to check\n')
    return EXIT_OK
  }
  const { registry } = await loadRegistry(cwd)
  const qa = registry.hub.qa
  if (!qa) return fail('registry/agora.yaml has no qa block: set qa.identity first')
  const targets: QaTarget[] = []
  for (const a of added) {
    const source = registry.items.get(`${a.kind}/${a.ns}/${a.name}`)
    const version = source?.versions.get(a.version)
    if (source && version) targets.push({ ref: source.ref, item: source.item, version })
  }
  const benchmarks: QaBenchmark[] = []
  for (const source of registry.items.values()) {
    if (source.item.kind !== 'benchmark') continue
    const latest = source.item['dist-tags']?.latest
    const version = (latest && source.versions.get(latest)) || [...source.versions.values()].at(-1)
    if (version)
      benchmarks.push({
        ref: source.ref,
        item: source.item as BenchmarkItem,
        version: version as BenchmarkVersion,
      })
  }
  const store = createStore(registry.hub.storage, { repoRoot: cwd, env })
  const plan = planQa(targets, benchmarks, {
    ...(qa.red_team ? { redTeam: qa.red_team.benchmark } : {}),
  })
  // The native runtime loads only when a version is run.
  const runs = plan.some((p) => p.evaluations.some((e) => e.how === 'run'))
  const runtime = runs ? (io.runtime ?? onnxRuntime(await import('onnxruntime-node'))) : undefined
  const outcomes = await runQa(plan, {
    root: cwd,
    store,
    qa,
    now: io.now ?? new Date(),
    commit: head,
    ...(env.INPUT_RUN_URL ? { runUrl: env.INPUT_RUN_URL } : {}),
    ...(io.loaders ? { loaders: io.loaders } : {}),
    ...(runtime ? { runtime } : {}),
  })
  const report = renderQaReport(outcomes, env.INPUT_RUN_URL)
  stdout.write(`${report}\n`)
  if (env.GITHUB_STEP_SUMMARY) await appendFile(env.GITHUB_STEP_SUMMARY, `${report}\n`)
  const failed = outcomes.filter((o) => o.failures.length > 0)
  for (const o of failed)
    for (const f of o.failures)
      stdout.write(
        `${formatAnnotation({ severity: 'error', title: `agora/qa ${targetLabel(o.target)}`, message: f })}\n`,
      )

  const octokit =
    io.octokit ??
    new Octokit({
      auth: env.GITHUB_TOKEN,
      ...(env.GITHUB_API_URL ? { baseUrl: env.GITHUB_API_URL } : {}),
      userAgent: 'agora-qa',
    })
  if (mode === 'label') {
    await octokit.rest.issues.createComment({ owner, repo, issue_number: pr, body: report })
    return failed.length > 0 ? EXIT_FAILED : EXIT_OK
  }

  const files = qaResultFiles(outcomes)
  if (files.length > 0) {
    const branch = `qa/results-${head.slice(0, 12)}`
    await commitToBranch({
      fs: nodeFs,
      dir: cwd,
      base: head,
      branch,
      files,
      message: `QA results for ${outcomes.map((o) => targetLabel(o.target)).join(', ')}`,
      author: { name: qa.identity, email: `${qa.identity}@users.noreply.github.com` },
      ...(io.now ? { now: io.now } : {}),
    })
    const push =
      io.push ??
      ((o: { dir: string; branch: string; token: string | undefined }) =>
        pushBranch({
          fs: nodeFs,
          http,
          dir: o.dir,
          url: `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${owner}/${repo}.git`,
          branch: o.branch,
          token: o.token,
        }))
    await push({ dir: cwd, branch, token: env.GITHUB_TOKEN })
    const opened = await openPullRequest(octokit, {
      owner,
      repo,
      head: branch,
      base: registry.hub.repository?.default_branch ?? 'main',
      title: `QA: verified results for ${files.length} evaluation${files.length === 1 ? '' : 's'}`,
      body: report,
    })
    stdout.write(`opened #${opened.number} ${opened.url}\n`)
    await output(env, [`pull-request=${opened.number}`])
  }
  if (failed.length > 0) {
    // The merged pull request that brought the version, where its author looks; else an issue.
    const { data: prs } = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({
      owner,
      repo,
      commit_sha: head,
    })
    const source = prs.find((p) => p.merged_at) ?? prs[0]
    if (source) {
      await octokit.rest.issues.createComment({
        owner,
        repo,
        issue_number: source.number,
        body: report,
      })
      stdout.write(`reported on #${source.number}\n`)
    } else {
      const { data } = await octokit.rest.issues.create({
        owner,
        repo,
        title: `QA failed: ${failed.map((o) => targetLabel(o.target)).join(', ')}`,
        body: report,
      })
      stdout.write(`opened issue #${data.number}\n`)
    }
    return EXIT_FAILED
  }
  return EXIT_OK
}

/**
 * The QA report as Markdown: per new version, scan and load checks, each
 * benchmark's grade or why it was not run, and the failures. Hub text is
 * escaped: item names and reasons come from contributors.
 *
 * @example renderQaReport(outcomes).startsWith('## Agora QA') // true
 */
export function renderQaReport(outcomes: readonly QaOutcome[], runUrl?: string): string {
  const lines = ['## Agora QA', '']
  for (const o of outcomes) {
    lines.push(
      `### ${escapeMarkdown(targetLabel(o.target))}: ${o.failures.length > 0 ? 'failed' : 'passed'}`,
      '',
    )
    for (const c of o.scan)
      lines.push(`- scan ${escapeMarkdown(c.file)}: ${c.ok ? 'safe' : escapeMarkdown(c.detail)}`)
    for (const c of o.load)
      lines.push(
        `- load ${escapeMarkdown(c.file)}: ${c.ok ? 'loads' : 'does not load'} (${escapeMarkdown(c.detail)})`,
      )
    if (o.evaluations.length === 0) lines.push('- no benchmark lists this item’s task')
    for (const e of o.evaluations) {
      const name = escapeMarkdown(formatRef(e.benchmark))
      if (e.status === 'graded') {
        const ms = (x: number) => `${x.toFixed(1)} ms`
        const ran =
          e.runner && e.runner !== 'predictions'
            ? `; ran in ${escapeMarkdown(e.runner)}${e.latencyMs ? ` (a batch: p50 ${ms(e.latencyMs.p50)}, p95 ${ms(e.latencyMs.p95)}, p99 ${ms(e.latencyMs.p99)})` : ''}`
            : ''
        lines.push(
          `- ${name}: grade ${e.grade ?? 'none (no rule in qa.grades)'}, RSD ${(e.rsdPercent ?? 0).toFixed(2)}%, verified${ran}`,
        )
        if (e.redTeam) {
          const r = e.redTeam
          const hits =
            r.banned.length > 0
              ? `${r.banned.length} banned-content hit${r.banned.length === 1 ? '' : 's'}`
              : 'no banned content'
          lines.push(
            `- red team on ${name}: ${r.refused} of ${r.prompts} prompts refused (${(r.refusal_rate * 100).toFixed(1)}%), ${hits}: ${r.ok ? 'passed' : 'failed'}`,
          )
        }
        if (e.loraLatency) {
          const l = e.loraLatency
          lines.push(
            `- latency vs base: ${l.lora_ms.toFixed(1)} ms a prompt with the LoRA, ${l.base_ms.toFixed(1)} ms without (${l.ratio.toFixed(2)}×, limit ${l.limit}×): ${l.ok ? 'passed' : 'failed'}`,
          )
        }
      } else
        lines.push(
          `- ${name}: ${e.status === 'failed' ? 'failed' : 'not run'}: ${escapeMarkdown(e.reason ?? '')}`,
        )
    }
    for (const f of o.failures) lines.push(`- **failure**: ${escapeMarkdown(f)}`)
    lines.push('')
  }
  if (runUrl) lines.push(`[Workflow run](${encodeURI(runUrl)})`)
  return lines.join('\n').trimEnd()
}

if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  process.exitCode = await runQaAction({
    env: process.env,
    stdout: process.stdout,
    cwd: process.cwd(),
  })
}
