import { type Issue, sortIssues } from '#core/errors'
import { formatRef, type ItemRef } from '#core/names'
import { truncate } from './escape-markdown.ts'
import { decideLabels } from './labels.ts'
import {
  type BlobStatus,
  REPORT_LIMITS,
  REPORT_VERSION,
  type ReportBlob,
  type ReportChanges,
  type ReportFinding,
  type ReportIssue,
  type ReportScan,
  type ScanVerdict,
  type ValidationReport,
} from './report-schema.ts'

/** The parts of the registry's ChangeSet a report summarises. */
export interface ChangeSetSummary {
  files: readonly unknown[]
  items: readonly {
    ref: ItemRef
    status: 'added' | 'modified' | 'deleted'
    added: readonly string[]
    modified: readonly string[]
    deleted: readonly string[]
    addedVersions: readonly string[]
  }[]
  newNamespaces: readonly string[]
  ownershipChanges: readonly { subject: string }[]
  hubFiles: readonly string[]
  outsideRegistry: readonly string[]
  onlyAddsVersions: boolean
}

/** A scan of one added file, as the scanner returned it. */
export interface ScanInput {
  manifest: string
  sha256: string
  result: {
    path: string
    format: string
    verdict: ScanVerdict
    verifiedFormat: boolean
    findings: readonly Issue[]
  }
}

/** A blob check of one listed file. */
export interface BlobInput {
  path: string
  manifest: string
  sha256: string
  size: number
  status: BlobStatus
  message?: string
}

export interface BuildReportInput {
  pullRequest: { number: number; author: string; baseSha: string; headSha: string }
  issues: readonly Issue[]
  changes: ChangeSetSummary
  scans?: readonly ScanInput[]
  blobs?: readonly BlobInput[]
  /** When the report is made; the caller passes the clock so the function stays pure. */
  now: Date
}

const L = REPORT_LIMITS

/**
 * Assembles the report from the validators' results: issues sorted, every
 * string and list cut to the caps parseReport enforces (saying so in
 * `truncated`), `ok` and the labels derived. Pure.
 *
 * @example
 * const report = buildReport({ pullRequest, issues, changes, scans, blobs, now: new Date() })
 * report.labels // ['validation-passed', 'auto-merge']
 */
export function buildReport(input: BuildReportInput): ValidationReport {
  let truncated = false
  const cap = <T>(list: readonly T[], max: number): T[] => {
    if (list.length > max) truncated = true
    return list.slice(0, max)
  }
  const text = (value: string, max: number): string => {
    if (Array.from(value).length > max) truncated = true
    return truncate(value, max)
  }
  const paths = (list: readonly string[]) => cap(list, L.list).map((p) => text(p, L.path))

  // Errors are kept first when the list is cut, so the verdict survives the cap.
  const errorsFirst = [
    ...input.issues.filter((i) => i.severity === 'error'),
    ...input.issues.filter((i) => i.severity !== 'error'),
  ]
  const issues: ReportIssue[] = sortIssues(cap(errorsFirst, L.issues)).map((issue) => ({
    code: text(issue.code, L.code),
    severity: issue.severity,
    message: text(issue.message, L.message),
    ...(issue.hint === undefined ? {} : { hint: text(issue.hint, L.hint) }),
    ...(issue.file === undefined ? {} : { file: text(issue.file, L.path) }),
    ...(isPosition(issue.line) ? { line: issue.line } : {}),
    ...(isPosition(issue.line) && isPosition(issue.col) ? { col: issue.col } : {}),
  }))

  const scans: ReportScan[] = cap(input.scans ?? [], L.scans).map(
    ({ manifest, sha256, result }) => ({
      path: text(result.path, L.path),
      manifest: text(manifest, L.path),
      sha256,
      format: text(result.format, L.code),
      verdict: result.verdict,
      verifiedFormat: result.verifiedFormat,
      findings: cap(result.findings, L.findings).map(
        (f): ReportFinding => ({
          code: text(f.code, L.code),
          severity: f.severity,
          message: text(f.message, L.message),
        }),
      ),
    }),
  )

  const blobs: ReportBlob[] = cap(input.blobs ?? [], L.blobs).map((b) => ({
    path: text(b.path, L.path),
    manifest: text(b.manifest, L.path),
    sha256: b.sha256,
    size: b.size,
    status: b.status,
    ...(b.message === undefined ? {} : { message: text(b.message, L.message) }),
  }))

  const c = input.changes
  const changes: ReportChanges = {
    items: cap(c.items, L.items).map((item) => ({
      ref: text(formatRef(item.ref), L.ref),
      added: item.status === 'added',
      addedVersions: cap(item.addedVersions, L.list).map((v) => text(v, L.code)),
      addedFiles: paths(item.added),
      modifiedFiles: paths(item.modified),
      deletedFiles: paths(item.deleted),
    })),
    newNamespaces: cap(c.newNamespaces, L.list).map((ns) => text(ns, L.ref)),
    ownershipChanges: cap([...new Set(c.ownershipChanges.map((o) => o.subject))], L.list).map((s) =>
      text(s, L.ref),
    ),
    outsideRegistry: paths([...c.outsideRegistry, ...c.hubFiles]),
    onlyAddsVersions: c.onlyAddsVersions,
    filesChanged: c.files.length,
  }

  const ok =
    !input.issues.some((i) => i.severity === 'error') &&
    (input.scans ?? []).every((s) => s.result.verdict === 'safe') &&
    (input.blobs ?? []).every((b) => b.status === 'ok')

  const report: ValidationReport = {
    version: REPORT_VERSION,
    createdAt: input.now.toISOString(),
    pullRequest: { ...input.pullRequest },
    ok,
    issues,
    scans,
    blobs,
    changes,
    labels: [],
    truncated,
  }
  report.labels = decideLabels(report)
  return report
}

function isPosition(value: number | undefined): value is number {
  return value !== undefined && Number.isInteger(value) && value > 0 && value <= 10_000_000
}
