import type { BenchmarkItem } from '#core/manifest'
import type { SourceItem } from './types.ts'

/** The longest name the site puts in one path segment (file systems allow 255 bytes). */
const MAX_SEGMENT_BYTES = 200

/**
 * Why a name cannot be one path segment of a site URL (and one folder or
 * file name of the built site), or undefined when it can. `..` would climb
 * out of its folder, `.` would land on the parent's page, a slash adds a
 * level; `?`, `#`, `%`, backslashes, spaces and control characters mean
 * something else in a URL or a path; a leading dot is a hidden file that
 * servers refuse.
 *
 * @example segmentProblem('accuracy') // undefined
 * @example segmentProblem('..') // 'is "." or ".."'
 */
export function segmentProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'is not text'
  if (value === '') return 'is empty'
  if (value === '.' || value === '..') return 'is "." or ".."'
  if (value.startsWith('.')) return 'starts with a dot'
  if (value.endsWith('.')) return 'ends with a dot'
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (/[\u0000-\u0020\u007f-\u009f]/.test(value)) return 'contains spaces or control characters'
  if (/[/\\?#%]/.test(value)) return 'contains one of / \\ ? # %'
  if (Buffer.byteLength(value) > MAX_SEGMENT_BYTES) return `is over ${MAX_SEGMENT_BYTES} bytes`
  return undefined
}

/**
 * Whether a name can be one path segment of a site URL.
 *
 * @example isUrlSegment('f1') // true
 * @example isUrlSegment('a/b') // false
 */
export function isUrlSegment(value: unknown): value is string {
  return segmentProblem(value) === undefined
}

/** A name of an item that cannot become a URL segment, and the file that holds it. */
export interface SegmentIssue {
  /** Repository-relative file, e.g. `registry/benchmarks/ac/acme/b/item.yaml`. */
  file: string
  /** Field as written in the manifest, e.g. `metrics[0].name`. */
  field: string
  value: unknown
  problem: string
}

/**
 * Every name of an item that the site turns into a URL segment (namespace
 * and name: item pages; owners: owner pages; tags: tag pages; domain: domain
 * pages; benchmark metric names: leaderboard pages), checked with
 * `segmentProblem`. An item with any issue has no page the site can build;
 * the catalog skips it and reports these. Tasks and dataset splits are shown
 * and filtered on (query strings, encoded) but are no path segment, so free
 * text such as a pipeline's use case stays allowed there.
 *
 * @example itemSegmentIssues(source) // [{ file: '…/item.yaml', field: 'metrics[0].name', value: '..', problem: 'is "." or ".."' }]
 */
export function itemSegmentIssues(source: SourceItem): SegmentIssue[] {
  const issues: SegmentIssue[] = []
  const itemFile = `${source.dir}/item.yaml`
  const check = (file: string, field: string, value: unknown): void => {
    const problem = segmentProblem(value)
    if (problem) issues.push({ file, field, value, problem })
  }
  const { item } = source
  check(itemFile, 'namespace', source.ref.ns)
  check(itemFile, 'name', source.ref.name)
  for (const [i, ns] of (item.owners ?? []).entries()) check(itemFile, `owners[${i}]`, ns)
  for (const [i, tag] of (item.tags ?? []).entries()) check(itemFile, `tags[${i}]`, tag)
  if (item.domain !== undefined) check(itemFile, 'domain', item.domain)
  if (item.kind === 'benchmark') {
    for (const [i, m] of ((item as BenchmarkItem).metrics ?? []).entries()) {
      check(itemFile, `metrics[${i}].name`, m.name)
    }
  }
  return issues
}
