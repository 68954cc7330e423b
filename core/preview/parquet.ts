import {
  type AsyncBuffer,
  type CompressionCodec,
  type Encoding,
  type FileMetaData,
  parquetMetadata,
  parquetRead,
  parquetSchema,
} from 'hyparquet'
import { PREVIEW_ROWS, type PreviewTable } from './head.ts'
import { formatPreviewBytes } from './range.ts'

/** Bytes read first from the end of a Parquet file: most footers fit, and little else comes with them. */
export const PARQUET_TAIL_BYTES = 16 * 1024

/** A footer (the file's metadata) larger than this is not read. */
export const PARQUET_FOOTER_MAX = 1024 * 1024

/** A server that ignores Range sends the whole file: read whole only up to this size. */
export const PARQUET_WHOLE_FILE_MAX = 2 * 1024 * 1024

/** Bytes the preview of one Parquet file receives at most (footer and first pages). */
export const PARQUET_READ_MAX = 8 * 1024 * 1024

/** The codecs hyparquet decodes without extra decompressors. */
const CODECS: ReadonlySet<CompressionCodec> = new Set(['UNCOMPRESSED', 'SNAPPY'])

/** The encodings hyparquet decodes (BIT_PACKED only for levels, as old writers used it). */
const ENCODINGS: ReadonlySet<Encoding> = new Set([
  'PLAIN',
  'PLAIN_DICTIONARY',
  'RLE_DICTIONARY',
  'RLE',
  'BIT_PACKED',
  'DELTA_BINARY_PACKED',
  'DELTA_LENGTH_BYTE_ARRAY',
  'DELTA_BYTE_ARRAY',
  'BYTE_STREAM_SPLIT',
  'ALP',
])

export interface ParquetHeadOptions {
  /** Rows kept at most; default PREVIEW_ROWS. */
  maxRows?: number
  /** Footer bytes read at most; default PARQUET_FOOTER_MAX. */
  footerMax?: number
}

/** The text of one Parquet value: strings as they are, others as JSON-like text. */
export function parquetCellText(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') {
    return String(value)
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString()
  if (value instanceof Uint8Array) return `(${value.length} bytes of binary)`
  return JSON.stringify(value, (_, v: unknown) =>
    typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? `(${v.length} bytes)` : v,
  )
}

/** Reads the footer: the last PARQUET_TAIL_BYTES, then the rest of the metadata if it is longer. */
async function readFooter(file: AsyncBuffer, footerMax: number): Promise<FileMetaData> {
  const size = file.byteLength
  if (size < 12) throw new Error(`not a Parquet file (${size} bytes is too short)`)
  const tailStart = Math.max(0, size - PARQUET_TAIL_BYTES)
  const tail = new Uint8Array(await file.slice(tailStart, size))
  const magic = new TextDecoder().decode(tail.subarray(tail.length - 4))
  if (magic === 'PARE') throw new Error('the Parquet footer is encrypted')
  if (magic !== 'PAR1') throw new Error('not a Parquet file (it does not end in PAR1)')
  const length = new DataView(tail.buffer, tail.byteOffset).getUint32(tail.length - 8, true)
  if (length > footerMax) {
    throw new Error(
      `its footer is ${formatPreviewBytes(length)}, more than the ${formatPreviewBytes(footerMax)} the preview reads; download the file instead`,
    )
  }
  if (length + 8 > size - 4) throw new Error('the Parquet footer is longer than the file')
  let footer = tail.subarray(Math.max(0, tail.length - length - 8))
  if (length + 8 > tail.length) {
    const start = size - length - 8
    const rest = new Uint8Array(await file.slice(start, tailStart))
    footer = new Uint8Array(length + 8)
    footer.set(rest, 0)
    footer.set(tail, rest.length)
  }
  return parquetMetadata(footer)
}

/** Refuses, before reading any column, a row group that uses what hyparquet does not decode. */
function checkSupported(metadata: FileMetaData): void {
  for (const chunk of metadata.row_groups[0]?.columns ?? []) {
    const meta = chunk.meta_data
    if (!meta) continue
    const column = meta.path_in_schema.join('.')
    if (!CODECS.has(meta.codec)) {
      throw new Error(
        `column ${column} is compressed with ${meta.codec}; the preview reads uncompressed and Snappy-compressed Parquet only`,
      )
    }
    const unknown = meta.encodings.find((e) => !ENCODINGS.has(e))
    if (unknown) {
      throw new Error(
        `column ${column} uses the ${unknown} encoding, which the preview does not read`,
      )
    }
  }
}

/**
 * Reads the first rows of a Parquet file: the footer from the end of the
 * file (refused past `footerMax`), then the pages of the first row group
 * that hold its first rows (through the offset index where the file has
 * one). Top-level columns are the table's columns; nested values are shown
 * as JSON. An unsupported codec or encoding is refused with its name.
 *
 * @example const table = await readParquetHead(rangeReader(url, size, options))
 */
export async function readParquetHead(
  file: AsyncBuffer,
  options: ParquetHeadOptions = {},
): Promise<PreviewTable> {
  const max = options.maxRows ?? PREVIEW_ROWS
  const metadata = await readFooter(file, options.footerMax ?? PARQUET_FOOTER_MAX)
  const columns = parquetSchema(metadata).children.map((c) => c.element.name)
  const total = Number(metadata.num_rows)
  const first = metadata.row_groups[0]
  const rowEnd = Math.min(max, Number(first?.num_rows ?? 0))
  if (rowEnd === 0) return { columns, rows: [], more: total > 0 }
  checkSupported(metadata)
  let rows: unknown[][] = []
  try {
    await parquetRead({
      file,
      metadata,
      rowStart: 0,
      rowEnd,
      useOffsetIndex: true,
      onComplete: (read) => {
        rows = read
      },
    })
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const unsupported = /unsupported (?:encoding|compression codec|page type): (\S+)/.exec(message)
    if (unsupported) {
      throw new Error(`the file uses ${unsupported[1]}, which the preview does not read`, {
        cause: error,
      })
    }
    throw error
  }
  return {
    columns,
    rows: rows.map((row) => columns.map((_, k) => parquetCellText(row[k]))),
    more: total > rows.length,
  }
}
