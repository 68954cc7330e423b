/** How bad an issue is: errors fail validation, warnings and notes do not. */
export type Severity = 'error' | 'warning' | 'note'

/**
 * One problem found by a validator, as data. Validators return these rather
 * than throwing, so one run reports every problem at once.
 */
export interface Issue {
  /** Stable identifier such as `manifest/unknown-license`. */
  code: string
  severity: Severity
  message: string
  hint?: string
  /** Path relative to the repository root, with forward slashes. */
  file?: string
  line?: number
  col?: number
}

/** What every validator returns. */
export interface Validated<T> {
  value: T | undefined
  issues: Issue[]
}

/**
 * Renders an issue the way the terminal shows it:
 * `file:line:col  code  message` then an indented `hint:` line.
 *
 * @example
 * formatIssue({ code: 'manifest/unknown-license', severity: 'error',
 *   message: 'license "MITT" is not an SPDX id', file: 'registry/x/item.yaml', line: 7, col: 10,
 *   hint: 'use an SPDX identifier such as "MIT"' })
 * // registry/x/item.yaml:7:10  manifest/unknown-license  license "MITT" is not an SPDX id
 * //   hint: use an SPDX identifier such as "MIT"
 */
export function formatIssue(issue: Issue): string {
  const where = formatLocation(issue)
  const head = `${where ? `${where}  ` : ''}${issue.code}  ${issue.message}`
  return issue.hint ? `${head}\n  hint: ${issue.hint}` : head
}

/** `file:line:col`, as much of it as is known. */
export function formatLocation(issue: Pick<Issue, 'file' | 'line' | 'col'>): string {
  if (!issue.file) return ''
  if (issue.line === undefined) return issue.file
  return `${issue.file}:${issue.line}:${issue.col ?? 1}`
}

/** True when any issue is an error. */
export function hasErrors(issues: readonly Issue[]): boolean {
  return issues.some((i) => i.severity === 'error')
}

/** Orders issues by file, line, column, then code, so output is stable. */
export function sortIssues(issues: readonly Issue[]): Issue[] {
  return [...issues].sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.col ?? 0) - (b.col ?? 0) ||
      a.code.localeCompare(b.code),
  )
}
