import type { PageHeader } from 'hyparquet'
import { ByteWriter } from 'hyparquet-writer'
import { writePageHeader } from 'hyparquet-writer/src/datapage.js'
import { writeMetadata } from 'hyparquet-writer/src/metadata.js'

/** One page of a crafted column chunk: its header as written, then its bytes. */
export interface CraftedPage {
  header: PageHeader
  data: Uint8Array
}

export interface CraftedParquet {
  /** The column's pages, in order (a dictionary page first if any). */
  pages: CraftedPage[]
  /** INT32 by default. */
  type?: 'INT32' | 'BYTE_ARRAY'
  /** REQUIRED by default; OPTIONAL adds definition levels. */
  repetition?: 'REQUIRED' | 'OPTIONAL'
  /** The row group's (and the file's) num_rows. */
  rows: number
  /** The column chunk's num_values; the sum of the data pages' by default. */
  chunkValues?: number
}

/**
 * An uncompressed Parquet file of one column whose page headers and counts
 * say whatever the test wants, so hostile files can be written without a
 * writer that refuses them.
 *
 * @example craftParquet({ rows: 1, pages: [dataPage(1, 'PLAIN', int32(7))] })
 */
export function craftParquet(spec: CraftedParquet): Uint8Array {
  const writer = new ByteWriter()
  writer.appendBytes(new TextEncoder().encode('PAR1'))
  const start = writer.offset
  let values = 0
  for (const page of spec.pages) {
    // hyparquet-writer brings its own hyparquet, whose types lag behind.
    writePageHeader(writer, page.header as Parameters<typeof writePageHeader>[1])
    writer.appendBytes(page.data)
    values += page.header.data_page_header?.num_values ?? 0
    values += page.header.data_page_header_v2?.num_values ?? 0
  }
  const size = writer.offset - start
  const dictionary = spec.pages[0]?.header.type === 'DICTIONARY_PAGE'
  const type = spec.type ?? 'INT32'
  const footerAt = writer.offset
  writeMetadata(writer, {
    version: 2,
    schema: [
      { name: 'root', num_children: 1 },
      { name: 'v', type, repetition_type: spec.repetition ?? 'REQUIRED' },
    ],
    num_rows: BigInt(spec.rows),
    row_groups: [
      {
        columns: [
          {
            file_offset: BigInt(start),
            meta_data: {
              type,
              encodings: ['PLAIN', 'RLE', ...(dictionary ? (['RLE_DICTIONARY'] as const) : [])],
              path_in_schema: ['v'],
              codec: 'UNCOMPRESSED',
              num_values: BigInt(spec.chunkValues ?? values),
              total_uncompressed_size: BigInt(size),
              total_compressed_size: BigInt(size),
              data_page_offset: BigInt(start),
              ...(dictionary ? { dictionary_page_offset: BigInt(start) } : {}),
            },
          },
        ],
        total_byte_size: BigInt(size),
        num_rows: BigInt(spec.rows),
      },
    ],
    created_by: 'agora crafted test file',
    metadata_length: 0,
  })
  writer.appendUint32(writer.offset - footerAt)
  writer.appendBytes(new TextEncoder().encode('PAR1'))
  return new Uint8Array(writer.getBuffer())
}

/** A version 1 data page of `numValues` values; its sizes are those of `data`. */
export function dataPage(
  numValues: number,
  encoding: 'PLAIN' | 'RLE_DICTIONARY',
  data: Uint8Array,
): CraftedPage {
  return {
    header: {
      type: 'DATA_PAGE',
      uncompressed_page_size: data.length,
      compressed_page_size: data.length,
      data_page_header: {
        num_values: numValues,
        encoding,
        definition_level_encoding: 'RLE',
        repetition_level_encoding: 'RLE',
      },
    },
    data,
  }
}

/** A dictionary page that claims `numValues` entries; its sizes are those of `data`. */
export function dictionaryPage(numValues: number, data: Uint8Array): CraftedPage {
  return {
    header: {
      type: 'DICTIONARY_PAGE',
      uncompressed_page_size: data.length,
      compressed_page_size: data.length,
      dictionary_page_header: { num_values: numValues, encoding: 'PLAIN' },
    },
    data,
  }
}

/** Little-endian INT32 values, as PLAIN writes them. */
export function int32(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4)
  const view = new DataView(out.buffer)
  values.forEach((v, k) => view.setInt32(k * 4, v, true))
  return out
}
