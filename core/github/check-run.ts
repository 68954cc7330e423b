import type { Octokit } from '@octokit/rest'
import { AgoraError } from '#core/errors'
import { truncate } from './escape-markdown.ts'
import type { Label } from './labels.ts'
import { COMMENT_MARKER, renderComment } from './render-comment.ts'
import type { ValidationReport } from './report-schema.ts'

/** The API takes at most this many annotations per create or update call. */
export const ANNOTATIONS_PER_CALL = 50

/** Annotations beyond this are left to the summary; a check run shows at most a page of them anyway. */
export const MAX_ANNOTATIONS = 1000

export type AnnotationLevel = 'notice' | 'warning' | 'failure'
export type CheckConclusion = 'success' | 'failure' | 'neutral'

/** One check-run annotation, as the API takes it. */
export interface CheckAnnotation {
  path: string
  start_line: number
  end_line: number
  start_column?: number
  end_column?: number
  annotation_level: AnnotationLevel
  message: string
  title?: string
}

export interface PostCheckRunOptions {
  owner: string
  repo: string
  /** The commit the check belongs to: the event's head SHA, never the report's word alone. */
  headSha: string
  report: ValidationReport
  labels: readonly Label[]
  /** False when the pull request changes validation code: the conclusion is then neutral. */
  trusted: boolean
  name?: string
  detailsUrl?: string
}

const LEVEL = { error: 'failure', warning: 'warning', note: 'notice' } as const

/**
 * The annotations of a report: issues at their file and line, failed scans
 * and blob checks at the version manifest that lists the file. Pure.
 *
 * @example annotationsOf(report)[0] // { path: 'registry/…/1.0.0.yaml', start_line: 4, … }
 */
export function annotationsOf(report: ValidationReport): CheckAnnotation[] {
  const out: CheckAnnotation[] = []
  for (const issue of report.issues) {
    if (!issue.file) continue
    const line = issue.line ?? 1
    out.push({
      path: issue.file,
      start_line: line,
      end_line: line,
      ...(issue.line !== undefined && issue.col !== undefined
        ? { start_column: issue.col, end_column: issue.col }
        : {}),
      annotation_level: LEVEL[issue.severity],
      title: truncate(issue.code, 255),
      message: truncate(issue.hint ? `${issue.message}\nhint: ${issue.hint}` : issue.message, 4000),
    })
  }
  for (const scan of report.scans) {
    if (scan.verdict === 'safe') continue
    const first = scan.findings[0]
    out.push({
      path: scan.manifest,
      start_line: 1,
      end_line: 1,
      annotation_level: 'failure',
      title: truncate(first?.code ?? `scan/${scan.verdict}`, 255),
      message: truncate(
        `${scan.path} (${scan.format}) is ${scan.verdict}: ${scan.findings.map((f) => f.message).join('; ') || 'the scanner could not read it'}`,
        4000,
      ),
    })
  }
  for (const blob of report.blobs) {
    if (blob.status === 'ok') continue
    out.push({
      path: blob.manifest,
      start_line: 1,
      end_line: 1,
      annotation_level: 'failure',
      title: `storage/${blob.status}`,
      message: truncate(
        `${blob.path} (sha256 ${blob.sha256}): ${blob.message ?? blob.status}`,
        4000,
      ),
    })
  }
  // A path GitHub cannot place would fail the whole check run; such problems stay in the summary.
  return out.filter((a) => isRepositoryPath(a.path)).slice(0, MAX_ANNOTATIONS)
}

/**
 * True for a plain repository-relative path: no leading slash, no `.` or `..`
 * segments, no control characters.
 *
 * @example isRepositoryPath('registry/owners/acme.yaml') // true
 * @example isRepositoryPath('../etc/passwd') // false
 */
export function isRepositoryPath(path: string): boolean {
  return (
    path.length > 0 &&
    path.length <= 512 &&
    !/[\p{Cc}\\]/u.test(path) &&
    path.split('/').every((part) => part !== '' && part !== '.' && part !== '..')
  )
}

/** `2 errors, 1 unsafe file` — what failed, counted. */
function failureTitle(report: ValidationReport): string {
  const count = (n: number, one: string, many: string) =>
    n === 0 ? [] : [`${n} ${n === 1 ? one : many}`]
  const parts = [
    ...count(report.issues.filter((i) => i.severity === 'error').length, 'error', 'errors'),
    ...count(
      report.scans.filter((s) => s.verdict !== 'safe').length,
      'unsafe file',
      'unsafe files',
    ),
    ...count(
      report.blobs.filter((b) => b.status !== 'ok').length,
      'missing or altered blob',
      'missing or altered blobs',
    ),
  ]
  return parts.join(', ') || 'Failed'
}

/** Success, failure, or neutral when the result cannot be trusted. */
export function conclusionOf(labels: readonly Label[], trusted: boolean): CheckConclusion {
  if (!trusted) return 'neutral'
  return labels.includes('validation-passed') ? 'success' : 'failure'
}

/**
 * Creates a completed check run on the head commit with the report as its
 * summary and its annotations, sending them 50 per call as the API requires.
 *
 * @example
 * await postCheckRun(octokit, { owner, repo, headSha, report, labels, trusted: true })
 * // { id: 42, conclusion: 'success', annotations: 0 }
 */
export async function postCheckRun(
  octokit: Octokit,
  options: PostCheckRunOptions,
): Promise<{ id: number; conclusion: CheckConclusion; annotations: number }> {
  const { owner, repo, report } = options
  const conclusion = conclusionOf(options.labels, options.trusted)
  const annotations = annotationsOf(report)
  const title = !options.trusted
    ? 'Not trusted: the pull request changes validation code'
    : conclusion === 'success'
      ? 'Passed'
      : failureTitle(report)
  const summary = renderComment(report, { labels: options.labels, trusted: options.trusted })
    .slice(COMMENT_MARKER.length)
    .trimStart()
  const batches: CheckAnnotation[][] = []
  for (let i = 0; i < annotations.length; i += ANNOTATIONS_PER_CALL) {
    batches.push(annotations.slice(i, i + ANNOTATIONS_PER_CALL))
  }
  try {
    const created = await octokit.rest.checks.create({
      owner,
      repo,
      name: options.name ?? 'Agora validation',
      head_sha: options.headSha,
      status: 'completed',
      conclusion,
      completed_at: new Date().toISOString(),
      ...(options.detailsUrl ? { details_url: options.detailsUrl } : {}),
      output: { title, summary, ...(batches[0] ? { annotations: batches[0] } : {}) },
    })
    const id = created.data.id
    for (const batch of batches.slice(1)) {
      await octokit.rest.checks.update({
        owner,
        repo,
        check_run_id: id,
        output: { title, summary, annotations: batch },
      })
    }
    return { id, conclusion, annotations: annotations.length }
  } catch (error) {
    throw new AgoraError(
      'github/check-run-failed',
      `could not post the check run on ${owner}/${repo}@${options.headSha.slice(0, 12)}`,
      {
        hint: 'the report workflow needs `permissions: checks: write`',
        cause: error,
      },
    )
  }
}
