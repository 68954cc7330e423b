import { PREVIEW_COLUMNS, PREVIEW_ROWS, type PreviewTable } from './head.ts'

export interface JsonLinesOptions {
  /** The text is the whole file; otherwise a last line without its line feed is dropped. */
  complete: boolean
  /** Rows kept at most; default PREVIEW_ROWS. */
  maxRows?: number
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return ''
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/**
 * Parses JSON Lines into a table: one row per line, the columns being the
 * keys of the objects in the order first seen (a line that is not an object
 * becomes a single `value` column). Strings are shown as they are, other
 * values as JSON. A line that is not JSON is an error naming its line.
 *
 * @example parseJsonLines('{"a":1,"b":"x"}\n', { complete: true })
 * // { columns: ['a', 'b'], rows: [['1', 'x']], more: false }
 */
export function parseJsonLines(text: string, options: JsonLinesOptions): PreviewTable {
  const max = options.maxRows ?? PREVIEW_ROWS
  const lines = text.split('\n')
  // The text after the last line feed: whole only when the text is the whole file.
  const last = lines.pop() ?? ''
  if (options.complete && last.trim() !== '') lines.push(last)
  const columns: string[] = []
  const seen = new Set<string>()
  const objects: Record<string, unknown>[] = []
  let more = !options.complete
  for (const [k, line] of lines.entries()) {
    if (line.trim() === '') continue
    if (objects.length === max) {
      more = true
      break
    }
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch (error) {
      throw new Error(
        `line ${k + 1} is not JSON (${error instanceof Error ? error.message : String(error)})`,
      )
    }
    const object =
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : { value }
    for (const key of Object.keys(object))
      if (!seen.has(key)) {
        seen.add(key)
        columns.push(key)
      }
    objects.push(object)
  }
  // Cut before the rows are built: each row has a cell per column.
  const shown = columns.slice(0, PREVIEW_COLUMNS)
  return {
    columns: shown,
    rows: objects.map((o) => shown.map((c) => cellText(Object.hasOwn(o, c) ? o[c] : undefined))),
    more,
    ...(columns.length > shown.length ? { moreColumns: columns.length - shown.length } : {}),
  }
}
