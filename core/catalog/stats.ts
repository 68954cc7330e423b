import { KINDS, type Kind } from '#core/names'
import type { CatalogEntry } from './types.ts'

export interface Series {
  label: string
  /** Cumulative count at the end of each month in `months`. */
  values: number[]
}

export interface CatalogStats {
  total: number
  byKind: Record<Kind, number>
  byDomain: Record<string, number>
  byLicense: { license: string; count: number }[]
  /** `YYYY-MM`, oldest first. */
  months: string[]
  kindsOverTime: Series[]
  domainsOverTime: Series[]
  versions: number
  files: number
  bytes: number
  results: number
  verifiedResults: number
  /** Items with no dated release, left out of the time series. */
  undated: number
}

function monthsBetween(first: string, last: string): string[] {
  const out: string[] = []
  let [y, m] = first.split('-').map(Number) as [number, number]
  const [ly, lm] = last.split('-').map(Number) as [number, number]
  while (y < ly || (y === ly && m <= lm)) {
    out.push(`${y}-${String(m).padStart(2, '0')}`)
    m += 1
    if (m > 12) {
      m = 1
      y += 1
    }
  }
  return out
}

function cumulative(months: readonly string[], firstMonths: readonly string[]): number[] {
  const counts = new Map<string, number>()
  for (const m of firstMonths) counts.set(m, (counts.get(m) ?? 0) + 1)
  let running = 0
  return months.map((m) => (running += counts.get(m) ?? 0))
}

/**
 * Counts for the stats page and `/api/stats.json`: items per kind, domain and
 * licence, cumulative items per kind and per domain by month of first
 * release, and version, file, byte and result totals.
 *
 * @example computeStats(entries).byKind.model // 42
 */
export function computeStats(entries: readonly CatalogEntry[]): CatalogStats {
  const byKind = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>
  const byDomain: Record<string, number> = {}
  const licenses = new Map<string, number>()
  let versions = 0
  let files = 0
  let bytes = 0
  let results = 0
  let verifiedResults = 0
  let undated = 0
  const dated: { month: string; kind: Kind; domain?: string }[] = []
  for (const e of entries) {
    byKind[e.ref.kind] += 1
    const domain = e.item.domain
    if (domain) byDomain[domain] = (byDomain[domain] ?? 0) + 1
    const license = e.facets.license[0] ?? 'unknown'
    licenses.set(license, (licenses.get(license) ?? 0) + 1)
    versions += e.counts.versions
    files += e.counts.files
    bytes += e.counts.bytes
    results += e.results.length
    verifiedResults += e.results.filter((r) => r.verified).length
    if (e.created && /^\d{4}-\d{2}/.test(e.created)) {
      dated.push(
        domain
          ? { month: e.created.slice(0, 7), kind: e.ref.kind, domain }
          : { month: e.created.slice(0, 7), kind: e.ref.kind },
      )
    } else undated += 1
  }
  const sortedMonths = dated.map((d) => d.month).sort()
  const months = sortedMonths.length
    ? monthsBetween(sortedMonths[0] as string, sortedMonths.at(-1) as string)
    : []
  const kindsOverTime = KINDS.filter((k) => byKind[k] > 0).map((k) => ({
    label: k,
    values: cumulative(
      months,
      dated.filter((d) => d.kind === k).map((d) => d.month),
    ),
  }))
  const domainsOverTime = Object.keys(byDomain)
    .sort()
    .map((domain) => ({
      label: domain,
      values: cumulative(
        months,
        dated.filter((d) => d.domain === domain).map((d) => d.month),
      ),
    }))
  return {
    total: entries.length,
    byKind,
    byDomain,
    byLicense: [...licenses]
      .map(([license, count]) => ({ license, count }))
      .sort((a, b) => b.count - a.count || a.license.localeCompare(b.license)),
    months,
    kindsOverTime,
    domainsOverTime,
    versions,
    files,
    bytes,
    results,
    verifiedResults,
    undated,
  }
}
