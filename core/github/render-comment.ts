import { plural } from '#core/errors'
import { codeSpan, escapeMarkdown } from './escape-markdown.ts'
import { decideLabels, type Label } from './labels.ts'
import type { ReportIssue, ValidationReport } from './report-schema.ts'

/** Hidden marker that finds the sticky comment among a pull request's comments. */
export const COMMENT_MARKER = '<!-- agora-report -->'

/** GitHub refuses comment and check-run output bodies longer than this. */
export const MAX_BODY_CHARS = 65_536

/** Rows shown per table; the rest are counted, and the check run lists them all. */
const MAX_ROWS = 50

export interface RenderOptions {
  /** Labels to show; decided from the report when not given. */
  labels?: readonly Label[]
  /** False when the pull request changes the validation code itself (see decideLabels). */
  trusted?: boolean
  /** Link to the workflow run, built by the caller from trusted event data. */
  runUrl?: string
}

const SEVERITY_ICON = { error: '❌', warning: '⚠️', note: 'ℹ️' } as const

/**
 * The sticky pull-request comment: verdict, labels and what happens next,
 * items changed, problems, scans and blob checks. Pure; every string from the
 * report is escaped, and the body fits GitHub's limit.
 *
 * @example
 * const body = renderComment(report, { labels: decideLabels(report) })
 * body.startsWith(COMMENT_MARKER) // true
 */
export function renderComment(report: ValidationReport, options: RenderOptions = {}): string {
  const trusted = options.trusted ?? true
  const labels = options.labels ?? decideLabels(report, { trusted })
  const passed = labels.includes('validation-passed')
  const pr = report.pullRequest
  const lines: string[] = [
    COMMENT_MARKER,
    `### ${passed ? '✅ Agora validation passed' : '❌ Agora validation failed'}`,
    '',
    `Commit ${codeSpan(pr.headSha.slice(0, 12))} against base ${codeSpan(pr.baseSha.slice(0, 12))}, ` +
      `${plural(report.changes.filesChanged, 'file')} changed` +
      (options.runUrl && /^https:\/\/[^\s()<>]+$/.test(options.runUrl)
        ? ` ([workflow run](${options.runUrl}))`
        : '') +
      '.',
    '',
    `**Labels:** ${labels.map((l) => codeSpan(l)).join(' ') || 'none'}`,
    '',
    nextStep(labels, trusted),
  ]
  lines.push(...renderDetails(report, MAX_ROWS))
  return fitBody(lines.join('\n'))
}

/**
 * The job summary the validate action writes to `GITHUB_STEP_SUMMARY`: the
 * same tables as the comment, without the marker.
 *
 * @example await appendFile(process.env.GITHUB_STEP_SUMMARY, renderSummary(report))
 */
export function renderSummary(report: ValidationReport): string {
  const labels = report.labels
  const errors = report.issues.filter((i) => i.severity === 'error').length
  const lines = [
    `## Agora validation: ${report.ok ? 'passed' : 'failed'}`,
    '',
    `${plural(errors, 'error')}, ${plural(report.issues.length - errors, 'other issue')}; ` +
      `labels the report workflow will set: ${labels.map((l) => codeSpan(l)).join(' ') || 'none'}`,
  ]
  lines.push(...renderDetails(report, 200))
  return `${fitBody(lines.join('\n'))}\n`
}

function nextStep(labels: readonly Label[], trusted: boolean): string {
  if (!trusted) {
    return '> [!WARNING]\n> This pull request changes files the validation runs on (outside `registry/` items, or its schemas and settings), so this result is not trusted. A maintainer must review it.'
  }
  if (labels.includes('validation-failed')) {
    return 'Fix the problems below and push again; this comment updates itself.'
  }
  if (labels.includes('auto-merge')) {
    return 'This is an owner’s version bump that passed every check: it merges without review.'
  }
  const reasons: string[] = []
  if (labels.includes('new-namespace')) reasons.push('it creates a namespace')
  if (labels.includes('ownership-change')) reasons.push('it changes ownership')
  return reasons.length > 0
    ? `A maintainer reviews this pull request because ${reasons.join(' and ')}.`
    : 'A maintainer reviews this pull request.'
}

function renderDetails(report: ValidationReport, maxRows: number): string[] {
  const out: string[] = []
  const { items } = report.changes
  if (items.length > 0) {
    out.push(
      '',
      '#### Items',
      '',
      '| item | change | versions added | files |',
      '| --- | --- | --- | --- |',
    )
    for (const item of items.slice(0, maxRows)) {
      const change = item.added
        ? 'new item'
        : item.deletedFiles.length > 0
          ? 'edit, deletes files'
          : 'edit'
      const files = item.addedFiles.length + item.modifiedFiles.length + item.deletedFiles.length
      out.push(
        `| ${codeSpan(item.ref)} | ${change} | ${item.addedVersions.map((v) => codeSpan(v, 60)).join(' ') || '–'} | ${files} |`,
      )
    }
    out.push(...more(items.length, maxRows))
  }
  const lists: [string, readonly string[]][] = [
    ['New namespaces', report.changes.newNamespaces],
    ['Ownership changes', report.changes.ownershipChanges],
    ['Changed outside registry items', report.changes.outsideRegistry],
  ]
  for (const [title, values] of lists) {
    if (values.length === 0) continue
    const shown = values
      .slice(0, maxRows)
      .map((v) => codeSpan(v))
      .join(', ')
    out.push(
      '',
      `**${title}:** ${shown}${values.length > maxRows ? ` and ${values.length - maxRows} more` : ''}`,
    )
  }
  if (report.issues.length > 0) {
    out.push('', '#### Problems', '', '| | where | code | message |', '| --- | --- | --- | --- |')
    for (const issue of report.issues.slice(0, maxRows)) out.push(issueRow(issue))
    out.push(...more(report.issues.length, maxRows))
  }
  if (report.scans.length > 0) {
    out.push(
      '',
      '#### File scans',
      '',
      '| file | format | verdict | findings |',
      '| --- | --- | --- | --- |',
    )
    const ordered = [...report.scans].sort((a, b) => rank(a.verdict) - rank(b.verdict))
    for (const scan of ordered.slice(0, maxRows)) {
      const findings = scan.findings
        .slice(0, 3)
        .map((f) => `${codeSpan(f.code, 80)} ${escapeMarkdown(f.message, 200)}`)
        .join('<br>')
      out.push(
        `| ${codeSpan(scan.path)} | ${codeSpan(scan.format, 40)}${scan.verifiedFormat ? '' : ' (unverified)'} | ${scan.verdict === 'safe' ? '✅ safe' : scan.verdict === 'unsafe' ? '❌ unsafe' : '❌ error'} | ${findings || '–'} |`,
      )
    }
    out.push(...more(report.scans.length, maxRows))
  }
  const badBlobs = report.blobs.filter((b) => b.status !== 'ok')
  if (report.blobs.length > 0) {
    const okCount = report.blobs.length - badBlobs.length
    out.push(
      '',
      `#### Stored files`,
      '',
      `${okCount} of ${report.blobs.length} listed files are in storage with the size and hash they claim.`,
    )
    if (badBlobs.length > 0) {
      out.push('', '| file | manifest | problem |', '| --- | --- | --- |')
      for (const blob of badBlobs.slice(0, maxRows)) {
        out.push(
          `| ${codeSpan(blob.path)} | ${codeSpan(blob.manifest)} | ${codeSpan(blob.status, 20)} ${blob.message ? escapeMarkdown(blob.message, 300) : ''} |`,
        )
      }
      out.push(...more(badBlobs.length, maxRows))
    }
  }
  if (report.truncated)
    out.push('', '_The report was cut to its size limits; fix the problems shown and push again._')
  return out
}

function issueRow(issue: ReportIssue): string {
  const where = issue.file
    ? codeSpan(`${issue.file}${issue.line ? `:${issue.line}:${issue.col ?? 1}` : ''}`)
    : '–'
  const hint = issue.hint ? `<br>hint: ${escapeMarkdown(issue.hint, 500)}` : ''
  return `| ${SEVERITY_ICON[issue.severity]} | ${where} | ${codeSpan(issue.code, 100)} | ${escapeMarkdown(issue.message, 800)}${hint} |`
}

function more(total: number, shown: number): string[] {
  return total > shown ? ['', `… and ${total - shown} more, listed in the check run.`] : []
}

function rank(verdict: 'safe' | 'unsafe' | 'error'): number {
  return verdict === 'safe' ? 2 : verdict === 'error' ? 1 : 0
}

/** Cuts a body to GitHub's limit at a line break, saying so. */
function fitBody(body: string): string {
  if (body.length <= MAX_BODY_CHARS) return body
  const note = '\n\n_Cut to fit GitHub’s comment size; the check run lists every problem._'
  const cut = body.lastIndexOf('\n', MAX_BODY_CHARS - note.length)
  return `${body.slice(0, cut > 0 ? cut : MAX_BODY_CHARS - note.length)}${note}`
}
