import type { Octokit } from '@octokit/rest'
import { AgoraError } from '#core/errors'
import { isAgoraLabel, LABEL_INFO, type Label } from './labels.ts'

export interface SyncLabelsOptions {
  owner: string
  repo: string
  issueNumber: number
  /** The taxonomy labels the pull request should carry now. */
  labels: readonly Label[]
  /** Labels it carries, when the caller already has them (from the pull request itself). */
  current?: readonly string[]
}

/**
 * Makes the pull request's taxonomy labels equal `labels`: adds the missing
 * ones, removes stale ones of the taxonomy, and never touches other labels.
 *
 * @example
 * await syncLabels(octokit, { owner, repo, issueNumber: 7, labels: ['validation-passed', 'auto-merge'] })
 * // { added: ['auto-merge'], removed: ['validation-failed'] }
 */
export async function syncLabels(
  octokit: Octokit,
  options: SyncLabelsOptions,
): Promise<{ added: Label[]; removed: Label[] }> {
  const { owner, repo, issueNumber } = options
  try {
    const current =
      options.current ??
      (
        await octokit.rest.issues.listLabelsOnIssue({
          owner,
          repo,
          issue_number: issueNumber,
          per_page: 100,
        })
      ).data.map((l) => l.name)
    const want = new Set<string>(options.labels)
    const removed = current.filter((name): name is Label => isAgoraLabel(name) && !want.has(name))
    const added = options.labels.filter((name) => !current.includes(name))
    for (const name of removed) {
      try {
        await octokit.rest.issues.removeLabel({ owner, repo, issue_number: issueNumber, name })
      } catch (error) {
        // Someone removed it between our read and now; the outcome is the one we want.
        if (statusOf(error) !== 404) throw error
      }
    }
    if (added.length > 0) {
      await ensureLabels(octokit, { owner, repo, labels: added })
      await octokit.rest.issues.addLabels({
        owner,
        repo,
        issue_number: issueNumber,
        labels: [...added],
      })
    }
    return { added: [...added], removed }
  } catch (error) {
    throw new AgoraError(
      'github/labels-failed',
      `could not set labels on ${owner}/${repo}#${issueNumber}`,
      {
        hint: 'the report workflow needs `permissions: issues: write` and `pull-requests: write`',
        cause: error,
      },
    )
  }
}

/** Pages of 100 repository labels read before creating missing ones. */
const MAX_LABEL_PAGES = 10

/**
 * Creates the taxonomy labels a repository lacks, with their colour and
 * description, so a new hub's labels explain themselves (GitHub would
 * otherwise create bare grey ones on first use).
 *
 * @example await ensureLabels(octokit, { owner, repo, labels: ['auto-merge'] }) // ['auto-merge'] when it was missing
 */
export async function ensureLabels(
  octokit: Octokit,
  options: { owner: string; repo: string; labels: readonly Label[] },
): Promise<Label[]> {
  const { owner, repo } = options
  const existing = new Set<string>()
  for (let page = 1; page <= MAX_LABEL_PAGES; page++) {
    const { data } = await octokit.rest.issues.listLabelsForRepo({
      owner,
      repo,
      per_page: 100,
      page,
    })
    for (const label of data) existing.add(label.name)
    if (data.length < 100) break
  }
  const created: Label[] = []
  for (const name of options.labels) {
    if (existing.has(name)) continue
    try {
      await octokit.rest.issues.createLabel({ owner, repo, name, ...LABEL_INFO[name] })
      created.push(name)
    } catch (error) {
      // 422: created meanwhile by a concurrent run; the label exists, which is all we need.
      if (statusOf(error) !== 422) throw error
    }
  }
  return created
}

function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' &&
    error !== null &&
    'status' in error &&
    typeof error.status === 'number'
    ? error.status
    : undefined
}
