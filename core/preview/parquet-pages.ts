import {
  type AsyncBuffer,
  type ColumnChunk,
  type PageHeader,
  type ParquetType,
  readOffsetIndex,
  type SchemaTree,
} from 'hyparquet'
import { parquetHeader } from 'hyparquet/src/column.js'
import { getMaxDefinitionLevel, getMaxRepetitionLevel, isFlatColumn } from 'hyparquet/src/schema.js'
import { readVarInt } from 'hyparquet/src/thrift.js'

/**
 * Values the first pages of one column may hold in all. hyparquet's work and
 * memory grow with the counts a page header states, and run-length encoding
 * lets a few bytes state billions: past this the preview refuses.
 */
export const PARQUET_VALUES_MAX = 4 * 1024 * 1024

/** Smallest bytes one PLAIN value of a type takes (booleans take a bit). */
const PLAIN_WIDTH: Record<ParquetType, number> = {
  BOOLEAN: 1 / 8,
  INT32: 4,
  INT64: 8,
  INT96: 12,
  FLOAT: 4,
  DOUBLE: 8,
  BYTE_ARRAY: 4,
  FIXED_LEN_BYTE_ARRAY: 1,
}

/** One column chunk's first pages, checked, as hyparquet will read them. */
export interface CheckedChunk {
  /** Where the chunk starts in the file (its dictionary page, else its first data page). */
  start: number
  /** The chunk's first pages, from `start`: every page header in them was checked. */
  bytes: Uint8Array
}

export interface ChunkContext {
  /** The column as a schema path from the root (hyparquet's getTreePath). */
  schemaPath: SchemaTree[]
  /** The rows of its row group. */
  groupRows: number
  /** Rows the preview keeps. */
  rowEnd: number
  /** Unpacks a compressed page (the bounded Snappy of parquet.ts); undefined: uncompressed. */
  decompress?: (input: Uint8Array, outputLength: number) => Uint8Array
  /** Values the pages read may hold in all; default PARQUET_VALUES_MAX. */
  valuesMax?: number
}

function damaged(column: string, what: string, cause?: unknown): Error {
  return new Error(`column ${column}: ${what}: the file is damaged`, { cause })
}

/** Minimum bits to store a level up to `max` (as hyparquet computes it). */
const bitWidth = (max: number): number => 32 - Math.clz32(max)

/**
 * Walks one run-length/bit-packed hybrid stream as hyparquet's decoder does,
 * without writing values: every run must fit the bytes and stay within the
 * `count` values the page states, for hyparquet loops as long as a run says
 * whatever the page holds.
 */
function checkHybrid(
  column: string,
  view: DataView,
  at: number,
  end: number,
  width: number,
  count: number,
): void {
  const reader = { view, offset: at }
  let seen = 0
  try {
    while (seen < count) {
      if (reader.offset >= end) throw damaged(column, 'a run-length stream ends early')
      const header = readVarInt(reader)
      if (header & 1) {
        const groups = header >> 1
        const values = groups << 3
        if (values < 0 || values - 8 >= count - seen) {
          throw damaged(
            column,
            `a bit-packed run claims ${values} values, past the page's ${count}`,
          )
        }
        reader.offset += groups * width
        seen += values
      } else {
        const values = header >>> 1
        if (values > count - seen) {
          throw damaged(column, `a run claims ${values} values, past the page's ${count}`)
        }
        reader.offset += (width + 7) >> 3
        seen += values
      }
      if (reader.offset > end) throw damaged(column, 'a run-length stream runs past its page')
    }
  } catch (error) {
    if (error instanceof RangeError) {
      throw damaged(column, 'a run-length stream runs past its page', error)
    }
    throw error
  }
}

/** A level stream of version 1 pages: its byte length (4 bytes), then the runs. */
function checkLevelsV1(
  column: string,
  view: DataView,
  at: number,
  max: number,
  count: number,
): number {
  if (!max) return at
  if (at + 4 > view.byteLength) throw damaged(column, 'a page ends before its levels')
  const length = view.getUint32(at, true)
  if (at + 4 + length > view.byteLength) throw damaged(column, 'levels run past their page')
  checkHybrid(column, view, at + 4, at + 4 + length, bitWidth(max), count)
  return at + 4 + length
}

/** Checks the dictionary indices (or RLE booleans) of a page's values, as hyparquet reads them. */
function checkValues(
  column: string,
  encoding: string | undefined,
  type: ParquetType | undefined,
  view: DataView,
  at: number,
  count: number,
  v2: boolean,
): void {
  const rle = encoding === 'RLE'
  if (!rle && encoding !== 'RLE_DICTIONARY' && encoding !== 'PLAIN_DICTIONARY') return
  // hyparquet reads RLE as booleans behind a 4-byte length (any type in version 2 pages).
  if (rle && (type === 'BOOLEAN' || v2)) {
    if (at + 4 > view.byteLength) throw damaged(column, 'a page ends before its values')
    const length = view.getUint32(at, true)
    checkHybrid(column, view, at + 4, Math.min(at + 4 + length, view.byteLength), 1, count)
    return
  }
  if (at >= view.byteLength) {
    if (count > 0) throw damaged(column, 'a page ends before its values')
    return
  }
  const width = view.getUint8(at)
  if (width > 32) throw damaged(column, `dictionary indices of ${width} bits`)
  // Version 1 decodes width 0 as zeroes, one per value, without reading runs.
  if (width || v2) checkHybrid(column, view, at + 1, view.byteLength, width, count)
}

/** Checks what a data page states before hyparquet decodes it; returns its value count. */
function checkDataPage(
  column: string,
  header: PageHeader,
  data: Uint8Array,
  context: ChunkContext,
): number {
  const { schemaPath } = context
  const type = schemaPath[schemaPath.length - 1]?.element.type
  const maxRep = getMaxRepetitionLevel(schemaPath)
  const maxDef = getMaxDefinitionLevel(schemaPath)
  const v1 = header.data_page_header
  if (header.type === 'DATA_PAGE' && v1) {
    const count = Number(v1.num_values)
    if (!(count >= 0)) throw damaged(column, `a page claims ${count} values`)
    const page = context.decompress
      ? context.decompress(data, Number(header.uncompressed_page_size))
      : data
    const view = new DataView(page.buffer, page.byteOffset, page.byteLength)
    let at = checkLevelsV1(column, view, 0, maxRep, count)
    at = checkLevelsV1(column, view, at, maxDef, count)
    checkValues(column, v1.encoding, type, view, at, count, false)
    return count
  }
  const v2 = header.data_page_header_v2
  if (header.type === 'DATA_PAGE_V2' && v2) {
    const count = Number(v2.num_values)
    const repLength = Number(v2.repetition_levels_byte_length)
    const defLength = Number(v2.definition_levels_byte_length)
    if (!(count >= 0) || !(v2.num_nulls <= count) || !(v2.num_rows <= count)) {
      throw damaged(
        column,
        `a page claims ${count} values, ${v2.num_nulls} nulls, ${v2.num_rows} rows`,
      )
    }
    if (!(repLength >= 0 && defLength >= 0 && repLength + defLength <= data.length)) {
      throw damaged(column, 'the levels of a page are longer than the page')
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
    if (maxRep) checkHybrid(column, view, 0, repLength, bitWidth(maxRep), count)
    if (maxDef) checkHybrid(column, view, repLength, repLength + defLength, bitWidth(maxDef), count)
    let values = data.subarray(repLength + defLength)
    const size = Number(header.uncompressed_page_size) - repLength - defLength
    if (context.decompress && v2.is_compressed !== false && size) {
      values = context.decompress(values, size)
    }
    const valuesView = new DataView(values.buffer, values.byteOffset, values.byteLength)
    checkValues(column, v2.encoding, type, valuesView, 0, count - v2.num_nulls, true)
    return count
  }
  throw damaged(column, `a ${header.type} page has no header for its kind`)
}

/**
 * Reads the first pages of one column chunk (through its offset index when
 * the file has one) and checks every page header in them before hyparquet
 * decodes a byte: the counts a header states against the chunk, the row
 * group and `valuesMax`, a dictionary's count against its bytes, and every
 * run of its run-length streams against the page's count. hyparquet's loops
 * run as long as these counts say, so a file of a few bytes could otherwise
 * keep the visitor's tab busy for minutes. Returns the pages hyparquet needs
 * for the first `rowEnd` rows, and no more.
 *
 * @example const { start, bytes } = await readCheckedChunk(file, chunk, context)
 */
export async function readCheckedChunk(
  file: AsyncBuffer,
  chunk: ColumnChunk,
  context: ChunkContext,
): Promise<CheckedChunk> {
  const meta = chunk.meta_data
  if (!meta) throw new Error('a column chunk has no metadata: the file is damaged')
  const column = meta.path_in_schema.join('.')
  const valuesMax = context.valuesMax ?? PARQUET_VALUES_MAX
  const flat = isFlatColumn(context.schemaPath)
  const chunkValues = Number(meta.num_values)
  if (flat && chunkValues > context.groupRows) {
    throw damaged(
      column,
      `its column chunk claims ${chunkValues} values, more than the ${context.groupRows} rows of its row group`,
    )
  }
  const start = Number(meta.dictionary_page_offset || meta.data_page_offset)
  const end = start + Number(meta.total_compressed_size)
  if (!(start >= 0 && end >= start && end <= file.byteLength)) {
    throw damaged(column, 'its column chunk lies outside the file')
  }
  let until = end
  if (chunk.offset_index_offset !== undefined && chunk.offset_index_length) {
    const at = Number(chunk.offset_index_offset)
    const index = await file.slice(at, at + chunk.offset_index_length)
    let pages: ReturnType<typeof readOffsetIndex>['page_locations']
    try {
      pages = readOffsetIndex({ view: new DataView(index), offset: 0 }).page_locations
      if (!Array.isArray(pages)) throw new TypeError('no page locations')
    } catch (error) {
      throw damaged(column, 'its offset index cannot be read', error)
    }
    const last = pages.findLast((p) => Number(p.first_row_index) < context.rowEnd)
    if (last) until = Number(last.offset) + last.compressed_page_size
    if (!(until > start && until <= end)) {
      throw damaged(column, 'its offset index points outside its column chunk')
    }
  }
  const bytes = new Uint8Array(await file.slice(start, until))
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const type = context.schemaPath[context.schemaPath.length - 1]?.element.type
  let offset = 0
  let values = 0
  // hyparquet reads a flat column until it has its rows, a nested one to the end.
  while (flat ? values < context.rowEnd : offset < bytes.length - 1) {
    if (offset >= bytes.length - 1) break
    const reader = { view, offset }
    let header: PageHeader
    try {
      header = parquetHeader(reader)
    } catch (error) {
      throw damaged(column, 'a page header cannot be read', error)
    }
    const size = Number(header.compressed_page_size)
    if (!(size >= 0 && reader.offset + size <= bytes.length)) {
      throw damaged(column, `a page of ${size} bytes runs past its column chunk`)
    }
    const data = bytes.subarray(reader.offset, reader.offset + size)
    if (header.type === 'DICTIONARY_PAGE') {
      const count = Number(header.dictionary_page_header?.num_values)
      const pageBytes = Number(header.uncompressed_page_size)
      const width =
        type === 'FIXED_LEN_BYTE_ARRAY'
          ? (context.schemaPath.at(-1)?.element.type_length ?? 1)
          : PLAIN_WIDTH[type ?? 'BOOLEAN']
      if (!(count >= 0) || count * width > pageBytes) {
        throw damaged(column, `a dictionary page claims ${count} values in ${pageBytes} bytes`)
      }
      if (count > valuesMax) {
        throw new Error(
          `column ${column} has a dictionary of ${count} values, more than the ${valuesMax} the preview reads; download the file instead`,
        )
      }
    } else if (header.type === 'DATA_PAGE' || header.type === 'DATA_PAGE_V2') {
      const count = Number(
        header.data_page_header?.num_values ?? header.data_page_header_v2?.num_values,
      )
      if (values + count > chunkValues) {
        throw damaged(
          column,
          `its pages claim ${values + count} values, more than the ${chunkValues} of its column chunk`,
        )
      }
      if (values + count > valuesMax) {
        throw new Error(
          `column ${column} holds ${values + count} values in its first pages, more than the ${valuesMax} the preview reads; download the file instead`,
        )
      }
      checkDataPage(column, header, data, context)
      values += count
    }
    offset = reader.offset + size
  }
  return { start, bytes: bytes.subarray(0, offset) }
}
