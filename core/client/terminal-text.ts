/**
 * Characters a terminal may act on rather than show: C0 and C1 controls
 * (ESC starts every colour, cursor and title sequence; U+009B is a one-byte
 * CSI), bidirectional overrides and isolates that reorder what is shown,
 * zero-width characters and the line and paragraph separators.
 */
const OTHERS = '\\u007f-\\u009f\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2069\\u061c\\ufeff'
// Tab and line feed are kept in the first; only tab in the second.
const UNSAFE = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f${OTHERS}]`, 'g')
const UNSAFE_WITH_BREAKS = new RegExp(`[\\u0000-\\u0008\\u000a-\\u001f${OTHERS}]`, 'g')

function escapeChar(char: string): string {
  const code = char.codePointAt(0) as number
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`
}

/**
 * Makes text from a hub (a yank reason, a title, an error message quoting a
 * document) safe to print: every control, bidi-override and zero-width
 * character is shown escaped (`\x1b`, `\u202e`), so an escape sequence in a
 * reason cannot repaint the terminal or fake a line of output. Tabs stay;
 * line breaks stay only with `keepNewlines`, for text that is ours and
 * several lines long (an issue and its hint).
 *
 * @example sanitizeForTerminal('ok\u001b[2J') // 'ok\\x1b[2J'
 * @example sanitizeForTerminal('a\nb') // 'a\\x0ab'
 */
export function sanitizeForTerminal(
  text: string,
  options: { keepNewlines?: boolean } = {},
): string {
  const pattern = options.keepNewlines ? UNSAFE : UNSAFE_WITH_BREAKS
  // \r is escaped even with keepNewlines: it would move the cursor back over a line.
  return text.replace(pattern, escapeChar)
}

/**
 * JSON text with the characters JSON.stringify leaves raw (C1 controls,
 * bidi overrides, zero-width) written as `\uXXXX` escapes: the same data,
 * harmless when the JSON is printed to a terminal.
 *
 * @example escapeJsonForTerminal(JSON.stringify({ reason: 'a\u202eb' })) // '{"reason":"a\\u202eb"}'
 */
export function escapeJsonForTerminal(json: string): string {
  return json.replace(
    UNSAFE,
    (char) => `\\u${(char.codePointAt(0) as number).toString(16).padStart(4, '0')}`,
  )
}
