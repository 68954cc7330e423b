/**
 * The validate action's entry point: maps INPUT_* to validatePullRequest, and
 * the report to a JSON file, a job summary, annotations and step outputs.
 * Runs the pull request's own code with no secrets; its only trusted output
 * is what the report workflow re-checks.
 */
import * as nodeFs from 'node:fs'
import { appendFile, mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
import type { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { formatIssue, isAgoraError } from '#core/errors'
import {
  annotationsOf,
  formatAnnotation,
  openValidationStore,
  renderSummary,
  type ValidationReport,
  validatePullRequest,
} from '#core/github'

export interface ValidateIo {
  env: Record<string, string | undefined>
  stdout: Writable
  cwd: string
  fetch?: typeof globalThis.fetch
  now?: () => Date
}

/** Exit codes: the PR is fine, the PR has problems, the action could not run. */
export const EXIT_OK = 0
export const EXIT_PROBLEMS = 1
export const EXIT_FAILED = 2

const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(\[bot\])?$/
const REF = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$/

/**
 * Runs the action against `io.env` (GitHub's INPUT_* variables) and returns
 * the exit code.
 *
 * @example
 * process.exitCode = await runValidate({ env: process.env, stdout: process.stdout, cwd: process.cwd() })
 */
export async function runValidate(io: ValidateIo): Promise<number> {
  const { env, stdout } = io
  const input = (name: string) => (env[`INPUT_${name}`] ?? '').trim()
  const fail = (message: string) => {
    stdout.write(`${formatAnnotation({ severity: 'error', title: 'agora/validate', message })}\n`)
    return EXIT_FAILED
  }
  const base = input('BASE')
  const head = input('HEAD')
  const author = input('AUTHOR')
  const number = Number(input('PR_NUMBER'))
  const root = resolve(io.cwd, input('ROOT') || '.')
  const reportPath = resolve(io.cwd, input('REPORT_PATH') || 'agora-report.json')
  if (!REF.test(base) || !REF.test(head))
    return fail('inputs base and head must be commit ids or refs')
  if (!LOGIN.test(author)) return fail('input author must be a GitHub login')
  if (!Number.isInteger(number) || number < 1)
    return fail('input pr-number must be a positive integer')
  if (!isAbsolute(reportPath) || /[\r\n]/.test(reportPath))
    return fail('input report-path is not a usable path')

  let report: ValidationReport
  try {
    report = await validatePullRequest({
      fs: nodeFs,
      dir: root,
      base,
      head,
      author,
      number,
      openStore: (hub) =>
        openValidationStore(hub.storage, { root, env, fetch: io.fetch ?? globalThis.fetch }),
      now: io.now?.() ?? new Date(),
    })
  } catch (error) {
    if (isAgoraError(error)) return fail(formatIssue(error.toIssue()))
    return fail(
      `validation could not run: ${error instanceof Error ? error.message : String(error)}`,
    )
  }

  await writeAtomically(reportPath, `${JSON.stringify(report, null, 2)}\n`)
  if (env.GITHUB_STEP_SUMMARY) await appendFile(env.GITHUB_STEP_SUMMARY, renderSummary(report))
  for (const issue of report.issues) {
    if (issue.file) continue
    stdout.write(
      `${formatAnnotation({ severity: issue.severity, title: issue.code, message: issue.hint ? `${issue.message}\nhint: ${issue.hint}` : issue.message })}\n`,
    )
  }
  for (const a of annotationsOf(report)) {
    const severity =
      a.annotation_level === 'failure'
        ? 'error'
        : a.annotation_level === 'warning'
          ? 'warning'
          : 'note'
    stdout.write(
      `${formatAnnotation({
        severity,
        file: a.path,
        line: a.start_line,
        ...(a.start_column === undefined ? {} : { col: a.start_column }),
        ...(a.title === undefined ? {} : { title: a.title }),
        message: a.message,
      })}\n`,
    )
  }
  const errors = report.issues.filter((i) => i.severity === 'error').length
  if (env.GITHUB_OUTPUT) {
    await appendFile(
      env.GITHUB_OUTPUT,
      `ok=${report.ok}\nerrors=${errors}\nlabels=${report.labels.join(',')}\nreport-path=${reportPath}\n`,
    )
  }
  return report.ok ? EXIT_OK : EXIT_PROBLEMS
}

/** Temp file and rename, so a reader never sees half a report. */
async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const temp = `${path}.${process.pid}.tmp`
  try {
    await writeFile(temp, text)
    await rename(temp, path)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === nodeFs.realpathSync(process.argv[1])) {
  process.exitCode = await runValidate({
    env: process.env,
    stdout: process.stdout,
    cwd: process.cwd(),
  })
}
