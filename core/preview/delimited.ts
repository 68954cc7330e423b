import { capColumns, PREVIEW_ROWS, type PreviewTable } from './head.ts'

export interface DelimitedOptions {
  /** `,` for CSV, a tab for TSV. */
  delimiter: ',' | '\t'
  /** The text is the whole file; otherwise a record left open at the end is dropped. */
  complete: boolean
  /** Rows kept at most; default PREVIEW_ROWS. */
  maxRows?: number
}

/**
 * Parses CSV (RFC 4180: quoted fields may hold the delimiter, line breaks and
 * doubled quotes) or TSV into a header and rows. The first record is the
 * header; blank lines are skipped; CRLF and LF both end a record. When the
 * text is only the head of a file (`complete: false`), a record that is
 * still inside quotes at the end is dropped rather than shown cut.
 *
 * @example parseDelimited('name,smiles\nethanol,CCO\n', { delimiter: ',', complete: true })
 * // { columns: ['name', 'smiles'], rows: [['ethanol', 'CCO']], more: false }
 */
export function parseDelimited(text: string, options: DelimitedOptions): PreviewTable {
  const max = options.maxRows ?? PREVIEW_ROWS
  const records: string[][] = []
  let record: string[] = []
  let field = ''
  let quoted = false
  let i = 0
  const endRecord = (): void => {
    record.push(field)
    field = ''
    if (!(record.length === 1 && record[0] === '')) records.push(record)
    record = []
  }
  // The header, the rows shown, and one more to know that more follow.
  while (i < text.length && records.length < max + 2) {
    const ch = text.charAt(i)
    if (quoted) {
      if (ch === '"') {
        if (text.charAt(i + 1) === '"') {
          field += '"'
          i += 2
          continue
        }
        quoted = false
      } else {
        field += ch
      }
      i++
    } else if (ch === '"' && field === '') {
      quoted = true
      i++
    } else if (ch === options.delimiter) {
      record.push(field)
      field = ''
      i++
    } else if (ch === '\n' || ch === '\r') {
      endRecord()
      i += ch === '\r' && text.charAt(i + 1) === '\n' ? 2 : 1
    } else {
      field += ch
      i++
    }
  }
  const unfinished = field !== '' || record.length > 0 || quoted
  // A last record without its line break is whole only when the text is the whole file.
  if (i >= text.length && unfinished && options.complete && !quoted) endRecord()
  const [columns = [], ...rows] = records
  return capColumns({
    columns,
    rows: rows.slice(0, max),
    more: rows.length > max || i < text.length || !options.complete,
  })
}
