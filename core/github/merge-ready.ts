import type { Octokit } from '@octokit/rest'
import { AgoraError } from '#core/errors'
import type { Label } from './labels.ts'

/** Labels that stop an automatic merge even when `auto-merge` is set (a maintainer may add them). */
const BLOCKING: readonly Label[] = [
  'validation-failed',
  'needs-review',
  'new-namespace',
  'ownership-change',
  'author-not-authorized',
  'scan-failed',
  'blob-missing',
  'immutability-breach',
  'outside-registry',
]

export interface MergeReadyOptions {
  owner: string
  repo: string
  /** The check run the report workflow posts; it must have passed on the exact head commit. */
  checkName?: string
  /** The GitHub App that must have made that check: Actions itself for the report workflow. */
  appSlug?: string
  mergeMethod?: 'merge' | 'squash' | 'rebase'
  /** Pull requests looked at per run. */
  limit?: number
}

/** What one merge changed on the base branch: the commits before and after it. */
export interface MergedChange {
  number: number
  /** The base branch's commit just before the merge. */
  base: string
  /** The commit the merge made (the last one, for a rebase). */
  head: string
}

export interface MergeOutcome {
  merged: number[]
  /** Per merged pull request, the range of commits it added, for QA of exactly that change. */
  changes: MergedChange[]
  skipped: { number: number; reason: string }[]
}

/**
 * Merges the open pull requests labelled `auto-merge` whose head commit has a
 * passing "Agora validation" check made by the report workflow, pinning the
 * merge to that commit (`sha`) so a push after the check cannot slip in. A
 * pull request also carrying a blocking label, or whose check is missing,
 * failed or older than its head, is skipped and said why.
 *
 * @example
 * await mergeReadyPullRequests(octokit, { owner: 'acme', repo: 'hub' })
 * // { merged: [12], skipped: [{ number: 14, reason: 'no passing Agora validation check on 3f2a…' }] }
 */
export async function mergeReadyPullRequests(
  octokit: Octokit,
  options: MergeReadyOptions,
): Promise<MergeOutcome> {
  const { owner, repo } = options
  const checkName = options.checkName ?? 'Agora validation'
  const appSlug = options.appSlug ?? 'github-actions'
  const outcome: MergeOutcome = { merged: [], changes: [], skipped: [] }
  try {
    const { data: issues } = await octokit.rest.issues.listForRepo({
      owner,
      repo,
      state: 'open',
      labels: 'auto-merge',
      sort: 'created',
      direction: 'asc',
      per_page: Math.min(options.limit ?? 30, 100),
    })
    for (const issue of issues) {
      if (!issue.pull_request) continue
      const number = issue.number
      const { data: pr } = await octokit.rest.pulls.get({ owner, repo, pull_number: number })
      const labels = pr.labels.map((l) => l.name)
      const blocking = BLOCKING.filter((label) => labels.includes(label))
      if (!labels.includes('auto-merge') || blocking.length > 0) {
        outcome.skipped.push({
          number,
          reason: `labelled ${blocking.join(', ') || 'without auto-merge'}`,
        })
        continue
      }
      if (pr.draft) {
        outcome.skipped.push({ number, reason: 'draft' })
        continue
      }
      const head = pr.head.sha
      const { data: checks } = await octokit.rest.checks.listForRef({
        owner,
        repo,
        ref: head,
        check_name: checkName,
        filter: 'latest',
        per_page: 10,
      })
      const passed = checks.check_runs.some(
        (run) =>
          run.head_sha === head &&
          run.status === 'completed' &&
          run.conclusion === 'success' &&
          run.app?.slug === appSlug,
      )
      if (!passed) {
        outcome.skipped.push({
          number,
          reason: `no passing ${checkName} check on ${head.slice(0, 12)}`,
        })
        continue
      }
      const method = options.mergeMethod ?? 'squash'
      let merged: string
      try {
        const { data } = await octokit.rest.pulls.merge({
          owner,
          repo,
          pull_number: number,
          sha: head,
          merge_method: method,
        })
        merged = data.sha
        outcome.merged.push(number)
      } catch (error) {
        // 405 (not mergeable, e.g. a conflict or a rule) and 409 (head moved) are the pull request's state, not ours.
        const status = statusOf(error)
        if (status !== 405 && status !== 409) throw error
        outcome.skipped.push({ number, reason: `GitHub refused the merge (${status})` })
        continue
      }
      // A squash or merge commit's first parent is the branch before it; a
      // rebase adds one commit per pull-request commit.
      const steps = method === 'rebase' ? Math.max(1, pr.commits) : 1
      const base = await firstParentAncestor(octokit, { owner, repo, sha: merged, steps })
      outcome.changes.push({ number, base, head: merged })
    }
    return outcome
  } catch (error) {
    throw new AgoraError(
      'github/merge-failed',
      `could not merge labelled pull requests of ${owner}/${repo}`,
      {
        hint: 'the auto-merge workflow needs `contents: write`, `pull-requests: write` and `checks: read`, and rules that let Actions merge',
        cause: error,
      },
    )
  }
}

/** The commit `steps` first parents before `sha`, read through the Git database API. */
async function firstParentAncestor(
  octokit: Octokit,
  options: { owner: string; repo: string; sha: string; steps: number },
): Promise<string> {
  let sha = options.sha
  for (let k = 0; k < options.steps; k++) {
    const { data } = await octokit.rest.git.getCommit({
      owner: options.owner,
      repo: options.repo,
      commit_sha: sha,
    })
    const parent = data.parents[0]?.sha
    if (!parent) break
    sha = parent
  }
  return sha
}

/**
 * Starts a workflow by `workflow_dispatch`, with the workflow's `inputs`
 * if it takes any. Merges made with a workflow's token start no `push`
 * workflows, so the site deploy and QA of merged versions are started this way.
 *
 * @example await dispatchWorkflow(octokit, { owner, repo, workflow: 'deploy.yml', ref: 'main' })
 * @example await dispatchWorkflow(octokit, { owner, repo, workflow: 'qa.yml', ref: 'main', inputs: { base, head } })
 */
export async function dispatchWorkflow(
  octokit: Octokit,
  options: {
    owner: string
    repo: string
    workflow: string
    ref: string
    inputs?: Record<string, string>
  },
): Promise<void> {
  const { owner, repo, workflow, ref, inputs } = options
  try {
    await octokit.rest.actions.createWorkflowDispatch({
      owner,
      repo,
      workflow_id: workflow,
      ref,
      ...(inputs ? { inputs } : {}),
    })
  } catch (error) {
    throw new AgoraError(
      'github/dispatch-failed',
      `could not start ${workflow} on ${owner}/${repo}@${ref}`,
      {
        hint: 'the workflow needs `on: workflow_dispatch` and the job `permissions: actions: write`',
        cause: error,
      },
    )
  }
}

function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' &&
    error !== null &&
    'status' in error &&
    typeof error.status === 'number'
    ? error.status
    : undefined
}
