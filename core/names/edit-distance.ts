/**
 * Edit distance, for "did you mean" hints on misspelt fields and licences and
 * for typos in search: insertions, deletions, substitutions and, as one edit,
 * two neighbouring letters swapped (the commonest typo), each character
 * edited once (optimal string alignment).
 *
 * @example editDistance('licence', 'license') // 1
 * @example editDistance('dokcing', 'docking') // 1
 */
export function editDistance(a: string, b: string): number {
  let before: number[] = []
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (before[j - 2] as number) + 1)
      }
      row.push(d)
    }
    before = prev
    prev = row
  }
  return prev[b.length] as number
}

/**
 * The candidate nearest to `word`, case aside, when it is at most
 * `maxDistance` edits away; of equally near ones, the first. The "did you
 * mean" of a misspelt field, licence, kind or option.
 *
 * @example closestName('licence', ['license', 'links'], 2) // 'license'
 */
export function closestName(
  word: string,
  candidates: Iterable<string>,
  maxDistance: number,
): string | undefined {
  let best: string | undefined
  let bestDistance = maxDistance + 1
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}
