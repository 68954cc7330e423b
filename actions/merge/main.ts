/**
 * The merge action's entry point: merges the pull requests the report
 * workflow labelled `auto-merge` once their exact head passed the Agora
 * check, then starts QA of each merged change and the site deploy (merges
 * made with a workflow token start no push workflows). Never checks out or
 * runs pull-request code.
 */

import { realpathSync } from 'node:fs'
import { appendFile } from 'node:fs/promises'
import type { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { Octokit } from '@octokit/rest'
import { formatIssue, isAgoraError } from '#core/errors'
import { dispatchWorkflow, formatAnnotation, mergeReadyPullRequests } from '#core/github'

export interface MergeIo {
  env: Record<string, string | undefined>
  stdout: Writable
  /** Injected in tests; otherwise made from GITHUB_TOKEN. */
  octokit?: Octokit
}

export const EXIT_OK = 0
export const EXIT_FAILED = 1

const REPOSITORY = /^([A-Za-z0-9-]{1,39})\/([A-Za-z0-9._-]{1,100})$/
const METHODS = ['merge', 'squash', 'rebase'] as const
const WORKFLOW = /^[A-Za-z0-9._-]{1,100}\.ya?ml$/
const REF = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$/

/**
 * Runs the action against `io.env` and returns the exit code.
 *
 * @example process.exitCode = await runMerge({ env: process.env, stdout: process.stdout })
 */
export async function runMerge(io: MergeIo): Promise<number> {
  const { env, stdout } = io
  const fail = (message: string) => {
    stdout.write(`${formatAnnotation({ severity: 'error', title: 'agora/merge', message })}\n`)
    return EXIT_FAILED
  }
  const repository = REPOSITORY.exec(env.GITHUB_REPOSITORY ?? '')
  const method = (env.INPUT_MERGE_METHOD || 'squash') as (typeof METHODS)[number]
  const workflow = (env.INPUT_DEPLOY_WORKFLOW ?? '').trim()
  const qaWorkflow = (env.INPUT_QA_WORKFLOW ?? '').trim()
  const ref = (env.INPUT_REF ?? '').trim()
  if (!repository) return fail('GITHUB_REPOSITORY must be owner/name')
  if (!METHODS.includes(method))
    return fail(`input merge-method must be one of ${METHODS.join(', ')}`)
  if (workflow && !WORKFLOW.test(workflow))
    return fail('input deploy-workflow must be a workflow file name')
  if (qaWorkflow && !WORKFLOW.test(qaWorkflow))
    return fail('input qa-workflow must be a workflow file name')
  if ((workflow || qaWorkflow) && !REF.test(ref))
    return fail('input ref must name the branch the workflows run on')
  const owner = repository[1] as string
  const repo = repository[2] as string
  const octokit =
    io.octokit ??
    new Octokit({
      auth: env.GITHUB_TOKEN,
      ...(env.GITHUB_API_URL ? { baseUrl: env.GITHUB_API_URL } : {}),
      userAgent: 'agora-merge',
    })
  try {
    const outcome = await mergeReadyPullRequests(octokit, { owner, repo, mergeMethod: method })
    for (const number of outcome.merged) stdout.write(`merged #${number}\n`)
    for (const { number, reason } of outcome.skipped)
      stdout.write(`skipped #${number}: ${reason}\n`)
    // QA per merge, with the exact commits it added, so each version is checked once.
    if (qaWorkflow)
      for (const change of outcome.changes) {
        const inputs = { base: change.base, head: change.head }
        await dispatchWorkflow(octokit, { owner, repo, workflow: qaWorkflow, ref, inputs })
        stdout.write(`started ${qaWorkflow} for #${change.number} (${change.head.slice(0, 12)})\n`)
      }
    if (outcome.merged.length > 0 && workflow) {
      await dispatchWorkflow(octokit, { owner, repo, workflow, ref })
      stdout.write(`started ${workflow} on ${ref}\n`)
    }
    if (env.GITHUB_OUTPUT)
      await appendFile(env.GITHUB_OUTPUT, `merged=${outcome.merged.join(',')}\n`)
    return EXIT_OK
  } catch (error) {
    if (isAgoraError(error)) return fail(formatIssue(error.toIssue()))
    throw error
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  process.exitCode = await runMerge({ env: process.env, stdout: process.stdout })
}
