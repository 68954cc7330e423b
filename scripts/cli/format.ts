import { formatIssue, type Issue, plural, sortIssues } from '#core/errors'

/** Counts of a list of issues by severity, and how many files they touch. */
export interface IssueSummary {
  errors: number
  warnings: number
  notes: number
  files: number
}

/**
 * Renders issues the way every command prints them: sorted by file and line,
 * one `file:line:col  code  message` block each with its `hint:` line.
 *
 * @example
 * formatIssues([{ code: 'schema/required', severity: 'error', message: 'summary is missing',
 *   file: 'registry/models/ac/acme/x/item.yaml', line: 1, col: 1, hint: 'add summary' }])
 * // registry/models/ac/acme/x/item.yaml:1:1  schema/required  summary is missing
 * //   hint: add summary
 */
export function formatIssues(issues: readonly Issue[]): string {
  return sortIssues(issues)
    .map((issue) => formatIssue({ ...issue, message: withSeverity(issue) }))
    .join('\n')
}

/** Errors read as plain messages; warnings and notes say so, since they do not fail a run. */
function withSeverity(issue: Issue): string {
  return issue.severity === 'error' ? issue.message : `${issue.severity}: ${issue.message}`
}

/**
 * Counts issues by severity and distinct file.
 *
 * @example summarizeIssues([]) // { errors: 0, warnings: 0, notes: 0, files: 0 }
 */
export function summarizeIssues(issues: readonly Issue[]): IssueSummary {
  const files = new Set<string>()
  let errors = 0
  let warnings = 0
  let notes = 0
  for (const issue of issues) {
    if (issue.severity === 'error') errors++
    else if (issue.severity === 'warning') warnings++
    else notes++
    if (issue.file) files.add(issue.file)
  }
  return { errors, warnings, notes, files: files.size }
}

/**
 * The last line of a validation run: `✔ 64 items, 0 problems` when clean,
 * `✔ 64 items, 1 warning in 1 file` when only warnings or notes,
 * `✖ 3 errors, 1 warning in 2 files` when anything fails.
 *
 * @example formatSummary({ errors: 0, warnings: 0, notes: 0, files: 0 }, { items: 64 })
 * // '✔ 64 items, 0 problems'
 */
export function formatSummary(summary: IssueSummary, scope: { items?: number } = {}): string {
  const items = scope.items === undefined ? '' : `${plural(scope.items, 'item')}, `
  const counts = [
    summary.errors > 0 ? plural(summary.errors, 'error') : '',
    summary.warnings > 0 ? plural(summary.warnings, 'warning') : '',
    summary.notes > 0 ? plural(summary.notes, 'note') : '',
  ].filter(Boolean)
  if (counts.length === 0) return `✔ ${items}0 problems`
  const where = summary.files > 0 ? ` in ${plural(summary.files, 'file')}` : ''
  if (summary.errors === 0) return `✔ ${items}${counts.join(', ')}${where}`
  return `✖ ${counts.join(', ')}${where}`
}

// One plural helper for the CLI and core; re-exported for the commands.
export { plural }

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']

/**
 * Bytes in binary units with three significant digits, as download tools show them.
 *
 * @example formatBytes(1536) // '1.50 KiB'
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?'
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024
    unit++
  }
  if (unit === 0) return `${value} B`
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ${BYTE_UNITS[unit]}`
}

/**
 * A duration in whole seconds as `42s`, `3m05s` or `2h07m`.
 *
 * @example formatDuration(185) // '3m05s'
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?'
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}
