/** The data formats the preview reads, by file name. */
export type PreviewFormat = 'csv' | 'tsv' | 'jsonl' | 'parquet'

/** A parsed head of a data file: column names and the first rows, all text. */
export interface PreviewTable {
  columns: string[]
  rows: string[][]
  /** More rows follow in the file than `rows` holds. */
  more: boolean
  /** Columns left out after the first PREVIEW_COLUMNS; absent when none were. */
  moreColumns?: number
}

/** How many bytes the preview asks for: enough for the first rows of any table. */
export const PREVIEW_BYTES = 64 * 1024

/** Rows shown at most. */
export const PREVIEW_ROWS = 20

/** Columns shown at most: a file with thousands would fill the page with empty cells. */
export const PREVIEW_COLUMNS = 100

/**
 * A table cut to its first `max` columns, saying how many were left out.
 *
 * @example capColumns({ columns: ['a', 'b'], rows: [['1', '2']], more: false }, 1)
 * // { columns: ['a'], rows: [['1']], more: false, moreColumns: 1 }
 */
export function capColumns(table: PreviewTable, max: number = PREVIEW_COLUMNS): PreviewTable {
  if (table.columns.length <= max) return table
  return {
    columns: table.columns.slice(0, max),
    rows: table.rows.map((row) => row.slice(0, max)),
    more: table.more,
    moreColumns: table.columns.length - max,
  }
}

/** Column names that hold SMILES, drawn as molecules. */
const SMILES_COLUMNS = new Set(['smiles', 'SMILES', 'canonical_smiles'])

/**
 * The preview format of a file from its name (`.csv`, `.tsv`, `.jsonl`,
 * `.ndjson`, `.parquet`), or undefined for a file the preview does not read.
 *
 * @example previewFormat('data/train.jsonl') // 'jsonl'
 */
export function previewFormat(path: string): PreviewFormat | undefined {
  const lower = path.toLowerCase()
  if (lower.endsWith('.csv')) return 'csv'
  if (lower.endsWith('.tsv')) return 'tsv'
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl'
  if (lower.endsWith('.parquet')) return 'parquet'
  return undefined
}

/**
 * Whether a column holds SMILES, by its header (`smiles`, `SMILES`,
 * `canonical_smiles`).
 *
 * @example isSmilesColumn('canonical_smiles') // true
 */
export function isSmilesColumn(name: string): boolean {
  return SMILES_COLUMNS.has(name.trim())
}

/**
 * The complete lines of the first bytes of a file: a head that stops inside
 * a line (`complete` false) is cut after its last line feed, so no row is
 * shown half read. The cut is made on bytes, before decoding, so it never
 * splits a UTF-8 character. Invalid UTF-8 becomes U+FFFD.
 *
 * @example headLines(new TextEncoder().encode('a,b\n1,2\n3,'), false) // 'a,b\n1,2\n'
 */
export function headLines(bytes: Uint8Array, complete: boolean): string {
  let end = bytes.length
  if (!complete) {
    end = bytes.lastIndexOf(0x0a) + 1
  }
  const text = new TextDecoder('utf-8').decode(bytes.subarray(0, end))
  // A byte order mark is not part of the first column's name.
  return text.startsWith('\uFEFF') ? text.slice(1) : text
}
