/**
 * Manifest text split at backticks: odd parts are inline code, as in Markdown.
 * An unmatched backtick stays text.
 *
 * @example inlineCode('run `score.py` first') // [{ code: false, text: 'run ' }, { code: true, text: 'score.py' }, { code: false, text: ' first' }]
 */
export function inlineCode(text: string): { code: boolean; text: string }[] {
  const parts = text.split('`')
  if (parts.length % 2 === 0) {
    // An odd number of backticks: the last one opens nothing.
    const tail = parts.splice(-2).join('`')
    parts.push(tail)
  }
  return parts.map((part, i) => ({ code: i % 2 === 1, text: part })).filter((p) => p.text !== '')
}
