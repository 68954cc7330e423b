import type { ValidationReport } from './report-schema.ts'

/**
 * The fixed label taxonomy the report workflow manages. Labels outside it are
 * maintainers' own and are never touched.
 */
export const LABELS = [
  'validation-passed',
  'validation-failed',
  'needs-review',
  'new-namespace',
  'author-not-authorized',
  'ownership-change',
  'scan-failed',
  'blob-missing',
  'immutability-breach',
  'outside-registry',
  'auto-merge',
] as const

export type Label = (typeof LABELS)[number]

/** What each label means, for docs/contributing.md and for creating the labels. */
export const LABEL_INFO: Record<Label, { color: string; description: string }> = {
  'validation-passed': { color: '0e8a16', description: 'Agora validation found no errors' },
  'validation-failed': {
    color: 'b60205',
    description: 'Agora validation found errors; see the comment',
  },
  'needs-review': { color: 'fbca04', description: 'Waits for a maintainer' },
  'new-namespace': { color: '1d76db', description: 'Creates a namespace (owners/<ns>.yaml)' },
  'author-not-authorized': {
    color: 'b60205',
    description: 'The author does not own a changed item',
  },
  'ownership-change': { color: 'd93f0b', description: 'Changes who owns an item or namespace' },
  'scan-failed': { color: 'b60205', description: 'A file failed the safety scan' },
  'blob-missing': {
    color: 'b60205',
    description: 'A listed file is missing from storage or differs',
  },
  'immutability-breach': { color: 'b60205', description: 'Edits or deletes a merged version' },
  'outside-registry': { color: 'd93f0b', description: 'Changes files outside registry/ items' },
  'auto-merge': {
    color: '0e8a16',
    description: 'An owner’s passing version bump; merges without review',
  },
}

/**
 * Issue-code patterns that map to a label. Codes are stable (`area/kebab-case`),
 * so matching on the words is robust to the area the check lives in.
 */
const CODE_LABELS: readonly [RegExp, Label][] = [
  [/(not-authori[sz]ed|unauthori[sz]ed|not-owner|not-a-member)/, 'author-not-authorized'],
  [/(immutab|released-version-modified|deleted-version|deleted-item)/, 'immutability-breach'],
  [/(outside-registry|hub-file)/, 'outside-registry'],
  [/(^storage\/|blob)/, 'blob-missing'],
  [/^scan\//, 'scan-failed'],
]

export interface DecideOptions {
  /**
   * False when the pull request changes files the validation itself runs on
   * (anything outside registry/ items, or the schemas and hub settings): the
   * report then came from code the pull request chose and proves nothing.
   */
  trusted?: boolean
}

/**
 * The labels a report earns, in taxonomy order. Pure. Auto-merge only for a
 * passing, trusted, owner-authored change that adds versions to existing items
 * and nothing else; new namespaces and ownership changes always wait for a human.
 *
 * @example
 * decideLabels(report) // ['validation-passed', 'auto-merge']
 * decideLabels(report, { trusted: false }) // [..., 'needs-review', 'outside-registry']
 */
export function decideLabels(report: ValidationReport, options: DecideOptions = {}): Label[] {
  const trusted = options.trusted ?? true
  const labels = new Set<Label>()
  const { changes } = report
  const errors = report.issues.filter((i) => i.severity === 'error')

  for (const issue of errors) {
    for (const [pattern, label] of CODE_LABELS) if (pattern.test(issue.code)) labels.add(label)
  }
  if (report.scans.some((s) => s.verdict !== 'safe')) labels.add('scan-failed')
  if (report.blobs.some((b) => b.status !== 'ok')) labels.add('blob-missing')
  if (changes.newNamespaces.length > 0) labels.add('new-namespace')
  if (changes.ownershipChanges.length > 0) labels.add('ownership-change')
  if (changes.outsideRegistry.length > 0 || !trusted) labels.add('outside-registry')

  const passed =
    report.ok && errors.length === 0 && !labels.has('scan-failed') && !labels.has('blob-missing')
  labels.add(passed ? 'validation-passed' : 'validation-failed')

  const autoMerge =
    passed &&
    trusted &&
    changes.onlyAddsVersions &&
    changes.items.length > 0 &&
    changes.items.every((item) => !item.added && item.addedVersions.length > 0) &&
    !labels.has('new-namespace') &&
    !labels.has('ownership-change') &&
    !labels.has('outside-registry') &&
    !labels.has('author-not-authorized') &&
    !labels.has('immutability-breach')
  if (autoMerge) labels.add('auto-merge')
  const waitsForHuman =
    labels.has('new-namespace') || labels.has('ownership-change') || labels.has('outside-registry')
  if (waitsForHuman || (passed && !autoMerge)) labels.add('needs-review')

  return LABELS.filter((label) => labels.has(label))
}

/** True for a label of the taxonomy. */
export function isAgoraLabel(name: string): name is Label {
  return (LABELS as readonly string[]).includes(name)
}
