import type { Issue } from '#core/errors'

/** One data row of a table, its cells by column, and the 1-based line it starts on. */
export interface TableRow {
  line: number
  cells: Record<string, string | number | boolean | null>
}

export interface Table {
  columns: string[]
  rows: TableRow[]
}

/**
 * Reads a CSV (RFC 4180: header row, quoted fields may hold commas, quotes
 * and line breaks) or JSON Lines text into rows with their line numbers.
 * Problems come back as issues on `file`; the rows read so far are kept.
 *
 * @example
 * readTable('id,score\na,0.5\n', 'csv', 'pred.csv').value?.rows[0]
 * // { line: 2, cells: { id: 'a', score: '0.5' } }
 */
export function readTable(
  text: string,
  format: 'csv' | 'jsonl',
  file: string,
): { value: Table | undefined; issues: Issue[] } {
  return format === 'csv' ? readCsv(text, file) : readJsonl(text, file)
}

function issue(file: string, line: number, message: string, hint: string): Issue {
  return { code: 'qa/bad-table', severity: 'error', message, hint, file, line }
}

function splitCsv(text: string): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = []
  let fields: string[] = []
  let field = ''
  let quoted = false
  let line = 1
  let start = 1
  let any = false
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string
    if (quoted) {
      if (c === '"' && src[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else {
        if (c === '\n') line++
        field += c
      }
      continue
    }
    if (c === '"') {
      quoted = true
      any = true
    } else if (c === ',') {
      fields.push(field)
      field = ''
      any = true
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++
      if (any || field !== '') records.push({ line: start, fields: [...fields, field] })
      fields = []
      field = ''
      any = false
      line++
      start = line
    } else {
      field += c
      any = true
    }
  }
  if (any || field !== '') records.push({ line: start, fields: [...fields, field] })
  return records
}

function readCsv(text: string, file: string): { value: Table | undefined; issues: Issue[] } {
  const [header, ...records] = splitCsv(text)
  if (!header)
    return {
      value: undefined,
      issues: [issue(file, 1, 'the file is empty', 'write a header row, then one row per test id')],
    }
  const columns = header.fields.map((f) => f.trim())
  const issues: Issue[] = []
  const rows: TableRow[] = []
  for (const r of records) {
    if (r.fields.length !== columns.length) {
      issues.push(
        issue(
          file,
          r.line,
          `row has ${r.fields.length} fields, the header has ${columns.length}`,
          'quote fields that contain commas',
        ),
      )
      continue
    }
    const cells: TableRow['cells'] = {}
    columns.forEach((c, i) => {
      cells[c] = r.fields[i] as string
    })
    rows.push({ line: r.line, cells })
  }
  return { value: { columns, rows }, issues }
}

function readJsonl(text: string, file: string): { value: Table | undefined; issues: Issue[] } {
  const issues: Issue[] = []
  const rows: TableRow[] = []
  const columns = new Set<string>()
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return
    let value: unknown
    try {
      value = JSON.parse(raw)
    } catch {
      issues.push(
        issue(file, i + 1, 'the line is not valid JSON', 'write one JSON object per line'),
      )
      return
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      issues.push(
        issue(file, i + 1, 'the line is not a JSON object', 'write one JSON object per line'),
      )
      return
    }
    const cells: TableRow['cells'] = {}
    for (const [k, v] of Object.entries(value)) {
      columns.add(k)
      cells[k] =
        typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null
          ? v
          : JSON.stringify(v)
    }
    rows.push({ line: i + 1, cells })
  })
  return { value: { columns: [...columns], rows }, issues }
}
