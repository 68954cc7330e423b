/**
 * A count with its noun, singular for exactly one: every message that counts
 * things says `1 file`, `2 files`, never `1 files` or `file(s)`. Give the
 * plural form when adding `s` is wrong.
 *
 * @example plural(1, 'file') // '1 file'
 * @example plural(3, 'entry', 'entries') // '3 entries'
 */
export function plural(count: number, word: string, words = `${word}s`): string {
  return `${count} ${count === 1 ? word : words}`
}
