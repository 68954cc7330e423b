import type { Octokit } from '@octokit/rest'
import { AgoraError } from '#core/errors'
import { isAgoraLabel, type Label } from './labels.ts'

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

function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' &&
    error !== null &&
    'status' in error &&
    typeof error.status === 'number'
    ? error.status
    : undefined
}
