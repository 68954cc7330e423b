import { compareGrades, type Grade } from './grade.ts'

/** What badges are computed from: one item's result on one benchmark. */
export interface BadgeRow {
  /** The evaluated item's key. */
  key: string
  verified: boolean
  grade?: Grade
}

export type Badge = 'verified' | 'top-rated'

/**
 * Keys of the items that are Top Rated on one benchmark: those holding the
 * best grade among verified results. Community grades never count (anyone
 * can type a score), F is never top rated, and items sharing the best grade
 * share the badge.
 *
 * @example topRated([{ key: 'a', verified: true, grade: 'B' }, { key: 'b', verified: false, grade: 'A' }]) // Set { 'a' }
 */
export function topRated(rows: readonly BadgeRow[]): Set<string> {
  let best: Grade | undefined
  for (const r of rows) {
    if (!r.verified || r.grade === undefined || r.grade === 'F') continue
    if (best === undefined || compareGrades(r.grade, best) < 0) best = r.grade
  }
  return new Set(rows.filter((r) => r.verified && r.grade === best).map((r) => r.key))
}

/**
 * The badges of one row: `verified` for a result the QA identity wrote
 * (`verified: true`; the change rules refuse it from anyone else), and
 * `top-rated` when the row is in `topRated`'s set.
 *
 * @example badgesOf({ key: 'a', verified: true, grade: 'A' }, new Set(['a'])) // ['verified', 'top-rated']
 */
export function badgesOf(row: BadgeRow, top: ReadonlySet<string>): Badge[] {
  const out: Badge[] = []
  if (row.verified) out.push('verified')
  if (row.verified && top.has(row.key)) out.push('top-rated')
  return out
}
