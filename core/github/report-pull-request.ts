import type { Octokit } from '@octokit/rest'
import { AgoraError } from '#core/errors'
import { type CheckConclusion, postCheckRun } from './check-run.ts'
import { decideLabels, type Label } from './labels.ts'
import { renderComment } from './render-comment.ts'
import type { ValidationReport } from './report-schema.ts'
import { type StickyResult, upsertStickyComment } from './sticky-comment.ts'
import { syncLabels } from './sync-labels.ts'

/** Files a pull request may list before it is read as too large to trust. */
const MAX_PR_FILES = 3000

export interface ReportPullRequestOptions {
  owner: string
  repo: string
  /** A report already read with parseReport. */
  report: ValidationReport
  /** `github.event.workflow_run.head_sha`: the commit the validate run checked. */
  headSha: string
  botLogin?: string
  /** Link to the validate run, from trusted event data. */
  runUrl?: string
}

export interface ReportPullRequestResult {
  pullNumber: number
  trusted: boolean
  labels: Label[]
  checkRun: { id: number; conclusion: CheckConclusion; annotations: number }
  comment: StickyResult
  added: Label[]
  removed: Label[]
}

/**
 * True for a path the validation only reads as data: registry items and
 * owners. The validate workflow runs the pull request's own workflow and
 * action code, so a change anywhere else (or to the schemas and hub settings
 * the validators load) means the report came from code the author chose.
 *
 * @example isRegistryDataPath('registry/models/ac/acme/x/versions/1.0.0.yaml') // true
 * @example isRegistryDataPath('actions/validate/main.ts') // false
 */
export function isRegistryDataPath(path: string): boolean {
  return (
    path.startsWith('registry/') &&
    !path.startsWith('registry/schemas/') &&
    path !== 'registry/agora.yaml' &&
    !path.split('/').some((part) => part === '..' || part === '')
  )
}

/**
 * The privileged half of validation: checks that the report is about the
 * commit the workflow run checked and the pull request that commit heads, then
 * posts the check run, the sticky comment and the labels. Trusts nothing in the
 * report it can check through the API instead: the pull request, its author
 * and its files come from GitHub, and the labels are decided here.
 *
 * @example
 * const { value } = parseReport(text)
 * await reportPullRequest(octokit, { owner, repo, report: value, headSha: event.workflow_run.head_sha })
 */
export async function reportPullRequest(
  octokit: Octokit,
  options: ReportPullRequestOptions,
): Promise<ReportPullRequestResult> {
  const { owner, repo, report, headSha } = options
  const number = report.pullRequest.number
  if (report.pullRequest.headSha !== headSha) {
    throw new AgoraError(
      'github/head-sha-mismatch',
      `the report is about commit ${report.pullRequest.headSha.slice(0, 12)}, but the workflow run checked ${headSha.slice(0, 12)}`,
      {
        hint: 'a report is posted only for the commit its run validated; re-run the validate workflow',
      },
    )
  }
  const pr = await read(`pull request #${number}`, () =>
    octokit.rest.pulls.get({ owner, repo, pull_number: number }),
  )
  if (pr.data.head.sha !== headSha) {
    throw new AgoraError(
      'github/stale-report',
      `pull request #${number} now heads ${pr.data.head.sha.slice(0, 12)}, not ${headSha.slice(0, 12)} that the report is about`,
      { hint: 'a newer push has its own validate run, which reports for itself' },
    )
  }
  if (pr.data.user?.login !== report.pullRequest.author) {
    throw new AgoraError(
      'github/author-mismatch',
      `the report names author ${report.pullRequest.author}, but pull request #${number} is by ${pr.data.user?.login ?? 'nobody'}`,
      { hint: 'the validate workflow passes github.event.pull_request.user.login as the author' },
    )
  }
  const files = await listFiles(octokit, owner, repo, number)
  // Every file must be accounted for: a listing cut short could hide a workflow change.
  const trusted =
    files !== undefined &&
    files.count === pr.data.changed_files &&
    files.names.every(isRegistryDataPath)
  const labels = decideLabels(report, { trusted })

  const checkRun = await postCheckRun(octokit, {
    owner,
    repo,
    headSha,
    report,
    labels,
    trusted,
    ...(options.runUrl ? { detailsUrl: options.runUrl } : {}),
  })
  const comment = await upsertStickyComment(octokit, {
    owner,
    repo,
    issueNumber: number,
    body: renderComment(report, {
      labels,
      trusted,
      ...(options.runUrl ? { runUrl: options.runUrl } : {}),
    }),
    ...(options.botLogin ? { botLogin: options.botLogin } : {}),
  })
  const { added, removed } = await syncLabels(octokit, {
    owner,
    repo,
    issueNumber: number,
    labels,
    current: pr.data.labels.map((l) => l.name),
  })
  return { pullNumber: number, trusted, labels, checkRun, comment, added, removed }
}

/** The pull request's file names (and names renamed from) from the API, or undefined past MAX_PR_FILES. */
async function listFiles(
  octokit: Octokit,
  owner: string,
  repo: string,
  number: number,
): Promise<{ count: number; names: string[] } | undefined> {
  const names: string[] = []
  let count = 0
  for (let page = 1; count < MAX_PR_FILES; page++) {
    const { data } = await read(`the files of pull request #${number}`, () =>
      octokit.rest.pulls.listFiles({ owner, repo, pull_number: number, per_page: 100, page }),
    )
    for (const file of data) {
      count++
      names.push(file.filename)
      // A rename moves a file out of somewhere as well as into somewhere.
      if (file.previous_filename) names.push(file.previous_filename)
    }
    if (data.length < 100) return { count, names }
  }
  return undefined
}

async function read<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw new AgoraError('github/read-failed', `could not read ${what} from GitHub`, {
      hint: 'the report workflow needs `permissions: pull-requests: read` or write',
      cause: error,
    })
  }
}
