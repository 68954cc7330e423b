import type { Octokit } from '@octokit/rest'
import { AgoraError } from '#core/errors'
import { COMMENT_MARKER } from './render-comment.ts'

/** The login comments made with a workflow's GITHUB_TOKEN appear under. */
export const ACTIONS_BOT_LOGIN = 'github-actions[bot]'

/** Pages of 100 comments read while looking for the sticky one. */
const MAX_PAGES = 30

export interface StickyCommentOptions {
  owner: string
  repo: string
  issueNumber: number
  body: string
  /** Only a comment by this login counts, so nobody can plant a marker and have the bot edit theirs. */
  botLogin?: string
  marker?: string
}

export type StickyResult = { id: number; action: 'created' | 'updated' | 'unchanged' }

/**
 * Keeps one bot comment per pull request: finds the comment the bot wrote with
 * the hidden marker and edits it in place, or creates it the first time.
 *
 * @example
 * await upsertStickyComment(octokit, { owner, repo, issueNumber: 7, body: renderComment(report) })
 * // { id: 99, action: 'updated' }
 */
export async function upsertStickyComment(
  octokit: Octokit,
  options: StickyCommentOptions,
): Promise<StickyResult> {
  const { owner, repo, issueNumber, body } = options
  const marker = options.marker ?? COMMENT_MARKER
  const botLogin = options.botLogin ?? ACTIONS_BOT_LOGIN
  if (!body.includes(marker)) {
    throw new AgoraError(
      'github/comment-without-marker',
      'the sticky comment body lacks its marker',
      {
        hint: `start the body with ${marker} so the next run finds it`,
      },
    )
  }
  try {
    let existing: { id: number; body?: string | undefined } | undefined
    for (let page = 1; page <= MAX_PAGES && !existing; page++) {
      const { data } = await octokit.rest.issues.listComments({
        owner,
        repo,
        issue_number: issueNumber,
        per_page: 100,
        page,
      })
      existing = data.find((c) => c.user?.login === botLogin && c.body?.includes(marker) === true)
      if (data.length < 100) break
    }
    if (existing?.body === body) return { id: existing.id, action: 'unchanged' }
    if (existing) {
      await octokit.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body })
      return { id: existing.id, action: 'updated' }
    }
    const created = await octokit.rest.issues.createComment({
      owner,
      repo,
      issue_number: issueNumber,
      body,
    })
    return { id: created.data.id, action: 'created' }
  } catch (error) {
    throw new AgoraError(
      'github/comment-failed',
      `could not write the report comment on ${owner}/${repo}#${issueNumber}`,
      {
        hint: 'the report workflow needs `permissions: pull-requests: write` and `issues: write`',
        cause: error,
      },
    )
  }
}
