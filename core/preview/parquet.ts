import {
  type AsyncBuffer,
  type CompressionCodec,
  type Encoding,
  type FileMetaData,
  parquetMetadata,
  parquetRead,
  parquetSchema,
  type RowGroup,
  snappyUncompress,
} from 'hyparquet'
import { getTreePath } from 'hyparquet/src/schema.js'
import { PREVIEW_COLUMNS, PREVIEW_ROWS, type PreviewTable } from './head.ts'
import { type CheckedChunk, readCheckedChunk } from './parquet-pages.ts'
import { formatPreviewBytes } from './range.ts'

/** Bytes read first from the end of a Parquet file: most footers fit, and little else comes with them. */
export const PARQUET_TAIL_BYTES = 16 * 1024

/** A footer (the file's metadata) larger than this is not read. */
export const PARQUET_FOOTER_MAX = 1024 * 1024

/** A server that ignores Range sends the whole file: read whole only up to this size. */
export const PARQUET_WHOLE_FILE_MAX = 2 * 1024 * 1024

/** Bytes the preview of one Parquet file receives at most (footer and first pages). */
export const PARQUET_READ_MAX = 8 * 1024 * 1024

/** A page that unpacks to more than this is not read: its size comes from the file, unchecked. */
export const PARQUET_PAGE_MAX = 32 * 1024 * 1024

/** Snappy turns 3 bytes into 64 at most (a copy with a two-byte offset). */
const SNAPPY_MAX_RATIO = 22

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
  /** Bytes one page may unpack to; default PARQUET_PAGE_MAX. */
  pageMax?: number
  /** Values the first pages of one column may hold; default PARQUET_VALUES_MAX. */
  valuesMax?: number
}

/**
 * Snappy for hyparquet that checks a page's stated size before allocating
 * it: a header may claim gigabytes for a few bytes of data.
 */
function boundedSnappy(pageMax: number): (input: Uint8Array, outputLength: number) => Uint8Array {
  return (input, outputLength) => {
    if (outputLength > pageMax) {
      throw new Error(
        `a page unpacks to ${formatPreviewBytes(outputLength)}, more than the ${formatPreviewBytes(pageMax)} the preview reads; download the file instead`,
      )
    }
    if (outputLength > input.length * SNAPPY_MAX_RATIO + 64) {
      throw new Error(
        `a page claims ${formatPreviewBytes(outputLength)} from ${formatPreviewBytes(input.length)} of Snappy data, more than Snappy can hold: the file is damaged`,
      )
    }
    const output = new Uint8Array(outputLength)
    snappyUncompress(input, output)
    return output
  }
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

/**
 * The checked first pages of each column as a file for hyparquet: a range
 * between two chunks (hyparquet joins near ones) reads as zeroes it skips.
 */
function checkedBuffer(byteLength: number, chunks: readonly CheckedChunk[]): AsyncBuffer {
  return {
    byteLength,
    slice(start, end = byteLength) {
      const out = new Uint8Array(end - start)
      for (const chunk of chunks) {
        const from = Math.max(start, chunk.start)
        const to = Math.min(end, chunk.start + chunk.bytes.length)
        if (from < to) {
          out.set(chunk.bytes.subarray(from - chunk.start, to - chunk.start), from - start)
        }
      }
      return out.buffer
    },
  }
}

/** Refuses, before reading any column, a shown column that uses what hyparquet does not decode. */
function checkSupported(metadata: FileMetaData, shown: readonly string[]): void {
  for (const chunk of metadata.row_groups[0]?.columns ?? []) {
    const meta = chunk.meta_data
    if (!meta || !shown.includes(meta.path_in_schema[0] as string)) continue
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
  const all = parquetSchema(metadata).children.map((c) => c.element.name)
  // Only the columns shown are read: a footer may list tens of thousands.
  const columns = all.slice(0, PREVIEW_COLUMNS)
  const cut = (table: PreviewTable): PreviewTable =>
    all.length > columns.length ? { ...table, moreColumns: all.length - columns.length } : table
  const total = Number(metadata.num_rows)
  const first = metadata.row_groups[0]
  const rowEnd = Math.min(max, Number(first?.num_rows ?? 0))
  if (!first || rowEnd === 0) return cut({ columns, rows: [], more: total > 0 })
  checkSupported(metadata, columns)
  const snappy = boundedSnappy(options.pageMax ?? PARQUET_PAGE_MAX)
  const tree = parquetSchema(metadata)
  const shown = first.columns.filter((c) =>
    columns.includes(c.meta_data?.path_in_schema[0] as string),
  )
  // hyparquet decodes only pages whose headers were checked: it gets their
  // bytes from memory, and a footer that ends each chunk after them.
  const checked = await Promise.all(
    shown.map((chunk) =>
      readCheckedChunk(file, chunk, {
        schemaPath: getTreePath(tree, chunk.meta_data?.path_in_schema ?? []),
        groupRows: Number(first.num_rows),
        rowEnd,
        ...(chunk.meta_data?.codec === 'SNAPPY' ? { decompress: snappy } : {}),
        ...(options.valuesMax ? { valuesMax: options.valuesMax } : {}),
      }),
    ),
  )
  const group: RowGroup = {
    ...first,
    columns: first.columns.map((chunk) => {
      const k = shown.indexOf(chunk)
      const meta = chunk.meta_data
      if (k < 0 || !meta) return chunk
      // Without its offset index, hyparquet reads the chunk as one run of pages.
      const { offset_index_offset: _, offset_index_length: __, ...rest } = chunk
      return {
        ...rest,
        meta_data: { ...meta, total_compressed_size: BigInt(checked[k]?.bytes.length ?? 0) },
      }
    }),
  }
  let rows: unknown[][] = []
  try {
    await parquetRead({
      file: checkedBuffer(file.byteLength, checked),
      metadata: { ...metadata, row_groups: [group] },
      rowStart: 0,
      rowEnd,
      columns,
      compressors: { SNAPPY: snappy },
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
  return cut({
    columns,
    rows: rows.map((row) => columns.map((_, k) => parquetCellText(row[k]))),
    more: total > rows.length,
  })
}
