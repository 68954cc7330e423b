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
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { Octokit } from '@octokit/rest'
import http from 'isomorphic-git/http/node'
import { AgoraError, formatIssue, isAgoraError } from '#core/errors'
import {
  commitToBranch,
  escapeMarkdown,
  formatAnnotation,
  openPullRequest,
  pushBranch,
} from '#core/github'
import type { BenchmarkItem, BenchmarkVersion } from '#core/manifest'
import { formatRef, itemDir, parseKind } from '#core/names'
import {
  type ModelLoader,
  type ModelRuntime,
  onnxRuntime,
  planQa,
  type QaBenchmark,
  type QaConfig,
  type QaOutcome,
  type QaPlanEntry,
  type QaTarget,
  qaPools,
  qaResultFiles,
  runQa,
  splitQaPlan,
  targetLabel,
} from '#core/qa'
import { diffCommits, loadRegistry, type Registry, resolveCommit } from '#core/registry'
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
const POOL = /^[a-z0-9][a-z0-9-]{0,63}$/
const HUB_FILE = 'registry/agora.yaml'
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
    if (env.INPUT_COMMAND === 'plan') return await plan(io, fail)
    if (env.INPUT_COMMAND === 'gather') return await gather(io, fail)
    if (env.INPUT_COMMAND !== 'run') return fail('input command must be plan, run or gather')
    return await run(io, fail)
  } catch (error) {
    if (isAgoraError(error)) return fail(formatIssue(error.toIssue()))
    throw error
  }
}

async function output(env: QaIo['env'], lines: string[]): Promise<void> {
  if (env.GITHUB_OUTPUT) await appendFile(env.GITHUB_OUTPUT, `${lines.join('\n')}\n`)
}

type Fail = (message: string) => number

/** The commits of `INPUT_BASE` and `INPUT_HEAD`, or undefined when they are not SHAs. */
function commits(env: QaIo['env']): { base: string; head: string } | undefined {
  const base = (env.INPUT_BASE ?? '').trim()
  const head = (env.INPUT_HEAD ?? '').trim()
  return SHA.test(base) && SHA.test(head) ? { base, head } : undefined
}

/** The registry at the checkout and the QA plan of the versions added between base and head. */
async function planChange(
  cwd: string,
  base: string,
  head: string,
): Promise<{ registry: Registry; qa: QaConfig; plan: QaPlanEntry[] } | undefined> {
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
  if (added.length === 0) return undefined
  const { registry } = await loadRegistry(cwd)
  const qa = registry.hub.qa
  if (!qa)
    throw new AgoraError('qa/no-config', 'registry/agora.yaml has no qa block', {
      file: 'registry/agora.yaml',
      hint: 'set qa.identity first (docs/evaluation.md)',
    })
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
  const plan = planQa(targets, benchmarks, {
    qa,
    ...(qa.red_team ? { redTeam: qa.red_team.benchmark } : {}),
  })
  return { registry, qa, plan }
}

/**
 * Plans the QA run from the trusted checkout's agora.yaml: the pools that
 * have versions to check, as a job matrix (`matrix`: each pool's name and
 * its `runs-on` labels as JSON) and their names (`pools`). Without base and
 * head it only checks the pools.
 */
async function plan(io: QaIo, fail: Fail): Promise<number> {
  const { env, stdout } = io
  const { registry, issues } = await loadRegistry(io.cwd, { items: [] })
  // An agora.yaml the schema refuses loads as no hub at all: plan nothing on it.
  const hubIssues = issues.filter((i) => i.severity === 'error' && i.file === HUB_FILE)
  if (hubIssues.length > 0) {
    for (const i of hubIssues) fail(formatIssue(i))
    return EXIT_FAILED
  }
  const pools = qaPools(registry.hub.qa)
  for (const p of pools) stdout.write(`pool ${p.name}: runs-on ${p.labels.join(', ')}\n`)
  if (!env.INPUT_BASE && !env.INPUT_HEAD) return EXIT_OK
  const range = commits(env)
  if (!range) return fail('inputs base and head must be commit SHAs')
  const planned = await planChange(io.cwd, range.base, range.head)
  const split = planned ? splitQaPlan(planned.plan, planned.qa) : []
  if (split.length === 0) stdout.write('no new versions: nothing to check\n')
  for (const p of split)
    stdout.write(`${p.pool.name}: ${p.entries.map((e) => targetLabel(e.target)).join(', ')}\n`)
  const matrix = {
    include: split.map((p) => ({ pool: p.pool.name, runs_on: JSON.stringify(p.pool.labels) })),
  }
  await output(env, [
    `matrix=${JSON.stringify(matrix)}`,
    `pools=${JSON.stringify(split.map((p) => p.pool.name))}`,
  ])
  return EXIT_OK
}

function repositoryOf(env: QaIo['env']): { owner: string; repo: string } | undefined {
  const m = REPOSITORY.exec(env.GITHUB_REPOSITORY ?? '')
  return m ? { owner: m[1] as string, repo: m[2] as string } : undefined
}

function octokitOf(io: QaIo): Octokit {
  return (
    io.octokit ??
    new Octokit({
      auth: io.env.GITHUB_TOKEN,
      ...(io.env.GITHUB_API_URL ? { baseUrl: io.env.GITHUB_API_URL } : {}),
      userAgent: 'agora-qa',
    })
  )
}

/** What a pool's job hands to the job that gathers the results. */
interface PoolResults {
  pool: string
  head: string
  outcomes: QaOutcome[]
}

async function run(io: QaIo, fail: Fail): Promise<number> {
  const { env, stdout, cwd } = io
  const repository = repositoryOf(env)
  const mode = env.INPUT_MODE
  const range = commits(env)
  const pr = Number(env.INPUT_PR_NUMBER)
  const pool = (env.INPUT_POOL ?? '').trim()
  const results = (env.INPUT_RESULTS ?? '').trim()
  if (!repository) return fail('GITHUB_REPOSITORY must be owner/name')
  if (mode !== 'push' && mode !== 'label') return fail('input mode must be push or label')
  if (!range) return fail('inputs base and head must be commit SHAs')
  if (mode === 'label' && !(Number.isInteger(pr) && pr > 0))
    return fail('input pr-number must be the labelled pull request')
  if (results && mode !== 'push') return fail('input results is for mode push only')
  if (pool && !POOL.test(pool)) return fail('input pool must be a pool name such as cpu or a10g')

  const planned = await planChange(cwd, range.base, range.head)
  if (pool) {
    const known = qaPools(planned?.qa ?? (await loadRegistry(cwd, { items: [] })).registry.hub.qa)
    if (!known.some((p) => p.name === pool))
      return fail(
        `input pool "${pool}" is not a pool of registry/agora.yaml (${known.map((p) => p.name).join(', ')})`,
      )
  }
  const entries = planned
    ? pool
      ? (splitQaPlan(planned.plan, planned.qa).find((p) => p.pool.name === pool)?.entries ?? [])
      : planned.plan
    : []
  if (!planned || entries.length === 0) {
    stdout.write(
      planned
        ? `no new versions in pool ${pool}: nothing to check\n`
        : 'no new versions: nothing to check\n',
    )
    if (results) await writePoolResults(cwd, results, { pool, head: range.head, outcomes: [] })
    return EXIT_OK
  }
  const { registry, qa } = planned
  const store = createStore(registry.hub.storage, { repoRoot: cwd, env })
  // The native runtime loads only when a version is run.
  const runs = entries.some((p) => p.evaluations.some((e) => e.how === 'run'))
  const runtime = runs ? (io.runtime ?? onnxRuntime(await import('onnxruntime-node'))) : undefined
  const outcomes = await runQa(entries, {
    root: cwd,
    store,
    qa,
    now: io.now ?? new Date(),
    commit: range.head,
    ...(env.INPUT_RUN_URL ? { runUrl: env.INPUT_RUN_URL } : {}),
    ...(io.loaders ? { loaders: io.loaders } : {}),
    ...(runtime ? { runtime } : {}),
  })
  const report = renderQaReport(outcomes, env.INPUT_RUN_URL)
  stdout.write(`${report}\n`)
  if (env.GITHUB_STEP_SUMMARY) await appendFile(env.GITHUB_STEP_SUMMARY, `${report}\n`)
  const failed = annotateFailures(stdout, outcomes)

  if (results) {
    // A pool's job: the job that gathers every pool's results reports them.
    await writePoolResults(cwd, results, { pool, head: range.head, outcomes })
    return failed ? EXIT_FAILED : EXIT_OK
  }
  if (mode === 'label') {
    await octokitOf(io).rest.issues.createComment({
      ...repository,
      issue_number: pr,
      body: report,
    })
    return failed ? EXIT_FAILED : EXIT_OK
  }
  return publish(io, { ...repository, head: range.head, registry, qa, outcomes, report })
}

function annotateFailures(stdout: Writable, outcomes: readonly QaOutcome[]): boolean {
  const failed = outcomes.filter((o) => o.failures.length > 0)
  for (const o of failed)
    for (const f of o.failures)
      stdout.write(
        `${formatAnnotation({ severity: 'error', title: `agora/qa ${targetLabel(o.target)}`, message: f })}\n`,
      )
  return failed.length > 0
}

async function writePoolResults(cwd: string, dir: string, results: PoolResults): Promise<void> {
  const path = resolve(cwd, dir, `${results.pool || 'all'}.json`)
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, `${JSON.stringify(results)}\n`)
}

/**
 * Gathers the results every pool's job wrote under `INPUT_RESULTS`
 * (`<pool>.json`, one per name in `INPUT_POOLS`, which must be the plan's)
 * and reports them as one QA run: one results pull request, one report of
 * failures. A pool without results (its job failed to start or was
 * cancelled) is a failure; a pool's file with other versions than the plan
 * gave it is refused.
 */
async function gather(io: QaIo, fail: Fail): Promise<number> {
  const { env, stdout, cwd } = io
  const repository = repositoryOf(env)
  const range = commits(env)
  const dir = (env.INPUT_RESULTS ?? '').trim()
  if (!repository) return fail('GITHUB_REPOSITORY must be owner/name')
  if (!range) return fail('inputs base and head must be commit SHAs')
  if (!dir) return fail('input results must name the folder with the pools’ results')
  let pools: unknown
  try {
    pools = JSON.parse(env.INPUT_POOLS ?? '')
  } catch {
    pools = undefined
  }
  if (!Array.isArray(pools) || !pools.every((p) => typeof p === 'string' && POOL.test(p)))
    return fail('input pools must be the JSON list of pool names the plan wrote')
  // The plan again, at the same commit: each pool's file must hold exactly
  // the versions planned for that pool, so a runner cannot vouch for others.
  const planned = await planChange(cwd, range.base, range.head)
  const split = planned ? splitQaPlan(planned.plan, planned.qa) : []
  const names = split.map((p) => p.pool.name)
  if (JSON.stringify(names) !== JSON.stringify(pools))
    return fail(
      `input pools ${JSON.stringify(pools)} is not the plan at head (${JSON.stringify(names)})`,
    )
  if (!planned) {
    stdout.write('no new versions: nothing to check\n')
    return EXIT_OK
  }
  const outcomes: QaOutcome[] = []
  const missing: { pool: string; versions: string[] }[] = []
  for (const { pool, entries } of split) {
    const versions = entries.map((e) => targetLabel(e.target))
    const file = resolve(cwd, dir, `${pool.name}.json`)
    const text = await readFile(file, 'utf8').catch(() => undefined)
    if (text === undefined) {
      missing.push({ pool: pool.name, versions })
      continue
    }
    const results = parsePoolResults(text)
    if (!results || results.pool !== pool.name || results.head !== range.head)
      return fail(`${pool.name}.json is not the results of pool ${pool.name} at ${range.head}`)
    const got = results.outcomes.map((o) => targetLabel(o.target))
    if (JSON.stringify(got) !== JSON.stringify(versions))
      return fail(
        `${pool.name}.json has results for ${got.join(', ') || 'no version'}; the plan puts ${versions.join(', ')} in pool ${pool.name}`,
      )
    for (const o of results.outcomes)
      for (const e of o.evaluations)
        if (e.resultPath && !isResultPath(o.target.ref, e.resultPath))
          return fail(
            `${pool.name}.json: result ${JSON.stringify(e.resultPath)} is not under ${targetLabel(o.target)}`,
          )
    outcomes.push(...results.outcomes)
  }
  let report = renderQaReport(outcomes, env.INPUT_RUN_URL)
  for (const m of missing)
    report += `\n\n**No results from the ${m.pool} pool**: its job failed or was cancelled, so ${m.versions.map((v) => escapeMarkdown(v)).join(', ')} ${m.versions.length === 1 ? 'is' : 'are'} not checked; see the workflow run.`
  stdout.write(`${report}\n`)
  if (env.GITHUB_STEP_SUMMARY) await appendFile(env.GITHUB_STEP_SUMMARY, `${report}\n`)
  annotateFailures(stdout, outcomes)
  for (const m of missing)
    stdout.write(
      `${formatAnnotation({ severity: 'error', title: 'agora/qa', message: `no results from the ${m.pool} pool` })}\n`,
    )
  return publish(io, {
    ...repository,
    head: range.head,
    registry: planned.registry,
    qa: planned.qa,
    outcomes,
    report,
    missing: missing.map((m) => m.pool),
  })
}

function parsePoolResults(text: string): PoolResults | undefined {
  try {
    const value = JSON.parse(text) as Partial<PoolResults> | null
    if (
      value &&
      typeof value.pool === 'string' &&
      typeof value.head === 'string' &&
      Array.isArray(value.outcomes)
    )
      return value as PoolResults
  } catch {
    // Reported by the caller as results that are not a pool's.
  }
  return undefined
}

/** A result file a QA run may write for an item: `<item folder>/results/<bench-ns>/<bench>.yaml`. */
function isResultPath(ref: QaOutcome['target']['ref'], path: string): boolean {
  const prefix = `registry/${itemDir(ref)}/results/`
  return (
    path.startsWith(prefix) &&
    /^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*\.yaml$/.test(path.slice(prefix.length))
  )
}

/**
 * After merge: commits the verified results on `qa/results-<commit>` and
 * opens a pull request by the QA identity; reports failures on the pull
 * request that merged the versions, else in an issue.
 */
async function publish(
  io: QaIo,
  o: {
    owner: string
    repo: string
    head: string
    registry: Registry
    qa: QaConfig
    outcomes: QaOutcome[]
    report: string
    missing?: string[]
  },
): Promise<number> {
  const { env, stdout, cwd } = io
  const { owner, repo, head, qa, outcomes, report } = o
  const octokit = octokitOf(io)
  const failed = outcomes.filter((x) => x.failures.length > 0)
  const files = qaResultFiles(outcomes)
  if (files.length > 0) {
    const branch = `qa/results-${head.slice(0, 12)}`
    await commitToBranch({
      fs: nodeFs,
      dir: cwd,
      base: head,
      branch,
      files,
      message: `QA results for ${outcomes.map((x) => targetLabel(x.target)).join(', ')}`,
      author: { name: qa.identity, email: `${qa.identity}@users.noreply.github.com` },
      ...(io.now ? { now: io.now } : {}),
    })
    const push =
      io.push ??
      ((p: { dir: string; branch: string; token: string | undefined }) =>
        pushBranch({
          fs: nodeFs,
          http,
          dir: p.dir,
          url: `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${owner}/${repo}.git`,
          branch: p.branch,
          token: p.token,
        }))
    await push({ dir: cwd, branch, token: env.GITHUB_TOKEN })
    const opened = await openPullRequest(octokit, {
      owner,
      repo,
      head: branch,
      base: o.registry.hub.repository?.default_branch ?? 'main',
      title: `QA: verified results for ${files.length} evaluation${files.length === 1 ? '' : 's'}`,
      body: report,
    })
    stdout.write(`opened #${opened.number} ${opened.url}\n`)
    await output(env, [`pull-request=${opened.number}`])
  }
  if (failed.length > 0 || (o.missing?.length ?? 0) > 0) {
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
      const what = [
        ...failed.map((x) => targetLabel(x.target)),
        ...(o.missing ?? []).map((p) => `the ${p} pool`),
      ]
      const { data } = await octokit.rest.issues.create({
        owner,
        repo,
        title: `QA failed: ${what.join(', ')}`,
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
