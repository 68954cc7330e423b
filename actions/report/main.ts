/**
 * The report action's entry point, in the privileged workflow_run job: reads
 * the validate run's report strictly as data and posts it. Never runs or
 * reads pull-request code; everything it trusts comes from the event and the API.
 */
import { constants, realpathSync } from 'node:fs'
import { appendFile, open } from 'node:fs/promises'
import type { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { Octokit } from '@octokit/rest'
import { formatIssue, isAgoraError } from '#core/errors'
import { formatAnnotation, MAX_REPORT_BYTES, parseReport, reportPullRequest } from '#core/github'

export interface ReportIo {
  env: Record<string, string | undefined>
  stdout: Writable
  /** Injected in tests; otherwise made from GITHUB_TOKEN. */
  octokit?: Octokit
}

export const EXIT_OK = 0
export const EXIT_REFUSED = 1

const SHA = /^[0-9a-f]{40}$/
const REPOSITORY = /^([A-Za-z0-9-]{1,39})\/([A-Za-z0-9._-]{1,100})$/

/**
 * Runs the action against `io.env` and returns the exit code.
 *
 * @example
 * process.exitCode = await runReport({ env: process.env, stdout: process.stdout })
 */
export async function runReport(io: ReportIo): Promise<number> {
  const { env, stdout } = io
  const say = (severity: 'error' | 'warning' | 'note', message: string) =>
    stdout.write(`${formatAnnotation({ severity, title: 'agora/report', message })}\n`)
  const headSha = (env.INPUT_HEAD_SHA ?? '').trim()
  const repository = REPOSITORY.exec(env.GITHUB_REPOSITORY ?? '')
  const runUrl = (env.INPUT_RUN_URL ?? '').trim()
  const path = (env.INPUT_REPORT_PATH ?? '').trim()
  if (!SHA.test(headSha))
    return refuse(say, 'input head-sha must be github.event.workflow_run.head_sha')
  if (!repository) return refuse(say, 'GITHUB_REPOSITORY must be owner/name')
  if (!path) return refuse(say, 'input report-path is required')

  let text: Buffer
  try {
    text = await readCapped(path)
  } catch (error) {
    return refuse(
      say,
      `could not read the report: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
  const { value: report, issues } = parseReport(text, 'agora-report.json')
  if (!report) return refuse(say, issues.map(formatIssue).join('\n'))

  const octokit =
    io.octokit ??
    new Octokit({
      auth: env.GITHUB_TOKEN,
      ...(env.GITHUB_API_URL ? { baseUrl: env.GITHUB_API_URL } : {}),
      userAgent: 'agora-report',
    })
  try {
    const result = await reportPullRequest(octokit, {
      owner: repository[1] as string,
      repo: repository[2] as string,
      report,
      headSha,
      ...(/^https:\/\/\S+$/.test(runUrl) ? { runUrl } : {}),
      ...(env.INPUT_BOT_LOGIN ? { botLogin: env.INPUT_BOT_LOGIN } : {}),
    })
    stdout.write(
      `pull request #${result.pullNumber}: check ${result.checkRun.conclusion}, comment ${result.comment.action}, labels ${result.labels.join(', ')}\n`,
    )
    if (env.GITHUB_OUTPUT) {
      await appendFile(
        env.GITHUB_OUTPUT,
        `labels=${result.labels.join(',')}\nconclusion=${result.checkRun.conclusion}\n`,
      )
    }
    return EXIT_OK
  } catch (error) {
    if (isAgoraError(error) && error.code === 'github/stale-report') {
      // A newer push has its own validate run, which reports for itself.
      say('warning', formatIssue(error.toIssue()))
      return EXIT_OK
    }
    if (isAgoraError(error)) return refuse(say, formatIssue(error.toIssue()))
    throw error
  }
}

function refuse(say: (severity: 'error', message: string) => void, message: string): number {
  say('error', message)
  return EXIT_REFUSED
}

/**
 * Reads the downloaded artifact without following a link out of it, and
 * never more than a report may hold.
 */
async function readCapped(path: string): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW)
  try {
    const stat = await handle.stat()
    if (!stat.isFile()) throw new Error(`${path} is not a regular file`)
    if (stat.size > MAX_REPORT_BYTES)
      throw new Error(`${path} is ${stat.size} bytes, over the ${MAX_REPORT_BYTES}-byte cap`)
    const buffer = Buffer.alloc(stat.size)
    const { bytesRead } = await handle.read(buffer, 0, stat.size, 0)
    return buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  process.exitCode = await runReport({ env: process.env, stdout: process.stdout })
}
