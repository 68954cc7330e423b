import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { parquetMetadata, parquetRead } from 'hyparquet'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  headLines,
  PARQUET_TAIL_BYTES,
  PARQUET_VALUES_MAX,
  PREVIEW_COLUMNS,
  PREVIEW_ROWS,
  parquetCellText,
  parseDelimited,
  rangeReader,
  readParquetHead,
} from '#core/preview'
import { sampleArtifacts } from '../../scripts/gen-sample.ts'
import { PARQUET_CREATED_BY, parquetFile } from '../../scripts/sample/parquet.ts'
import { craftParquet, dataPage, dictionaryPage, int32 } from './__fixtures__/craft-parquet.ts'

/** What a loopback server was asked: one line per request, its Range header or `none`. */
interface Served {
  url: string
  asked: string[]
  close(): Promise<void>
}

/** Serves `files` by path on loopback; `ignoreRange` answers every GET 200 with the whole file. */
async function serve(files: Record<string, Uint8Array>, ignoreRange = false): Promise<Served> {
  const asked: string[] = []
  const server: Server = createServer((req, res) => {
    const bytes = files[req.url ?? '']
    const range = req.headers.range
    asked.push(range ?? 'none')
    if (!bytes) {
      res.writeHead(404).end()
      return
    }
    const m = /^bytes=(\d+)-(\d+)$/.exec(range ?? '')
    if (ignoreRange || !m) {
      res.writeHead(200, { 'content-length': bytes.length }).end(bytes)
      return
    }
    const start = Number(m[1])
    const end = Math.min(Number(m[2]), bytes.length - 1)
    res
      .writeHead(206, {
        'content-range': `bytes ${start}-${end}/${bytes.length}`,
        'content-length': end - start + 1,
      })
      .end(bytes.subarray(start, end + 1))
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    asked,
    close: () => new Promise((ok) => server.close(() => ok())),
  }
}

const OPTIONS = { fetch, wholeFileMax: 256 * 1024, budget: 4 * 1024 * 1024 }

/** A text that Snappy cannot shrink much, with markup. */
const note = (k: number): string =>
  `<b>${k}</b> ${createHash('sha256').update(String(k)).digest('hex')}`

/** A Parquet file of `n` rows in row groups of 500, with markup in a text column. */
function largeParquet(n: number, codec?: 'GZIP'): Uint8Array {
  const ids = Array.from({ length: n }, (_, k) => k)
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'id', type: 'INT32', data: ids },
      { name: 'note', type: 'STRING', data: ids.map(note) },
    ],
    rowGroupSize: 500,
    ...(codec ? { codec, compressors: { GZIP: (b: Uint8Array) => gzipSync(b) } } : {}),
  })
  return new Uint8Array(buffer)
}

let server: Served
let herg: { csv: Uint8Array; parquet: Uint8Array }
const large = largeParquet(5000)

beforeAll(async () => {
  const artifact = sampleArtifacts().find(
    (a) => a.ref.name === 'herg-inhibition' && a.files.some((f) => f.path === 'herg.parquet'),
  )
  const file = (path: string): Uint8Array => {
    const found = artifact?.files.find((f) => f.path === path)
    if (!found) throw new Error(`sample herg-inhibition has no ${path}`)
    return found.bytes
  }
  herg = { csv: file('herg.csv'), parquet: file('herg.parquet') }
  server = await serve({
    '/herg.parquet': herg.parquet,
    '/large.parquet': large,
    '/gzip.parquet': largeParquet(600, 'GZIP'),
    '/text.csv': new TextEncoder().encode('not,parquet\n1,2\n'),
  })
})

afterAll(async () => {
  await server?.close()
})

describe('core/preview/parquet', () => {
  it('reads the sample Parquet file through Range requests: the same rows as its CSV', async () => {
    const file = rangeReader(`${server.url}/herg.parquet`, herg.parquet.length, OPTIONS)
    const asked = server.asked.length
    const table = await readParquetHead(file)
    const expected = parseDelimited(headLines(herg.csv, true), { delimiter: ',', complete: true })
    expect(table).toEqual(expected)
    expect(table.columns).toEqual(['mol_id', 'name', 'smiles', 'ic50_um', 'blocker'])
    expect(table.rows).toHaveLength(20)
    expect(table.more).toBe(true)
    const requests = server.asked.slice(asked)
    expect(requests.length).toBeGreaterThan(0)
    for (const range of requests) expect(range).toMatch(/^bytes=\d+-\d+$/)
  })

  it('reads only the footer and the first pages of a large file', async () => {
    const file = rangeReader(`${server.url}/large.parquet`, large.length, OPTIONS)
    const table = await readParquetHead(file)
    expect(table.columns).toEqual(['id', 'note'])
    expect(table.rows.map((r) => r[0])).toEqual(Array.from({ length: 20 }, (_, k) => String(k)))
    expect(table.rows[3]?.[1]).toBe(note(3))
    expect(table.more).toBe(true)
    expect(large.length).toBeGreaterThan(200_000)
    expect(file.fetched * 4).toBeLessThan(large.length)
  })

  it('reads a footer longer than its first read from the end with one more request', async () => {
    const ids = Array.from({ length: 3000 }, (_, k) => k)
    const bytes = new Uint8Array(
      parquetWriteBuffer({
        columnData: [{ name: 'id', type: 'INT32', data: ids }],
        rowGroupSize: 10,
      }),
    )
    const many = await serve({ '/many.parquet': bytes })
    try {
      const file = rangeReader(`${many.url}/many.parquet`, bytes.length, OPTIONS)
      const table = await readParquetHead(file)
      expect(table.rows.map((r) => r[0])).toEqual(Array.from({ length: 10 }, (_, k) => String(k)))
      expect(many.asked.slice(0, 2)).toEqual([
        `bytes=${bytes.length - PARQUET_TAIL_BYTES}-${bytes.length - 1}`,
        expect.stringMatching(/^bytes=\d+-\d+$/),
      ])
    } finally {
      await many.close()
    }
  })

  it('names a compression codec it cannot read, before reading any column', async () => {
    const file = rangeReader(
      `${server.url}/gzip.parquet`,
      largeParquet(600, 'GZIP').length,
      OPTIONS,
    )
    await expect(readParquetHead(file)).rejects.toThrow(
      'column id is compressed with GZIP; the preview reads uncompressed and Snappy-compressed Parquet only',
    )
    expect(file.requests).toBe(1)
  })

  it('refuses a footer larger than the cap, having read only the tail', async () => {
    const file = rangeReader(`${server.url}/large.parquet`, large.length, OPTIONS)
    await expect(readParquetHead(file, { footerMax: 64 })).rejects.toThrow(
      /^its footer is \d+ KiB, more than the 1 KiB the preview reads; download the file instead$/,
    )
    expect(file.requests).toBe(1)
  })

  it('refuses a page larger than the cap, and one that claims more than its Snappy data holds', async () => {
    const memory = (bytes: Uint8Array) => ({
      byteLength: bytes.length,
      slice: async (start: number, end?: number) => bytes.slice(start, end).buffer,
    })
    const big = new Uint8Array(
      parquetWriteBuffer({
        columnData: [{ name: 'text', type: 'STRING', data: ['a'.repeat(600_000)] }],
      }),
    )
    await expect(readParquetHead(memory(big), { pageMax: 256 * 1024 })).rejects.toThrow(
      /^a page unpacks to 586 KiB, more than the 256 KiB the preview reads; download the file instead$/,
    )
    expect((await readParquetHead(memory(big))).rows[0]?.[0]).toHaveLength(600_000)

    // A page header that says 8000 bytes for a few bytes of data (thrift
    // compact: field 1 type, then field 2 uncompressed_page_size, zigzag).
    const small = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'n', type: 'INT32', data: Array.from({ length: 60 }, (_, k) => k * 1_000_003) },
        ],
      }),
    )
    const meta = parquetMetadata(small.buffer as ArrayBuffer).row_groups[0]?.columns[0]?.meta_data
    let at = Number(meta?.dictionary_page_offset ?? meta?.data_page_offset)
    expect(small[at++]).toBe(0x15)
    while ((small[at++] as number) & 0x80);
    expect(small[at++]).toBe(0x15)
    const zigzag = (small[at] as number) | (((small[at + 1] as number) & 0x7f) << 7)
    expect((small[at] as number) & 0x80 && !((small[at + 1] as number) & 0x80)).toBeTruthy()
    expect(zigzag / 2).toBeLessThan(1000)
    small[at] = (16000 & 0x7f) | 0x80
    small[at + 1] = 16000 >> 7
    await expect(readParquetHead(memory(small))).rejects.toThrow(
      /^a page claims 8 KiB from \d+ KiB of Snappy data, more than Snappy can hold: the file is damaged$/,
    )
  })

  it('reads only the first 100 columns of a wide file, and checks only their codecs', async () => {
    const wide = new Uint8Array(
      parquetWriteBuffer({
        columnData: Array.from({ length: 150 }, (_, k) => ({
          name: `c${k}`,
          type: 'INT32' as const,
          data: [k],
          ...(k >= 100 ? { codec: 'GZIP' as const } : {}),
        })),
        compressors: { GZIP: (b: Uint8Array) => gzipSync(b) },
      }),
    )
    const table = await readParquetHead({
      byteLength: wide.length,
      slice: async (start: number, end?: number) => wide.slice(start, end).buffer,
    })
    expect(table.columns).toHaveLength(PREVIEW_COLUMNS)
    expect(table.rows).toEqual([Array.from({ length: PREVIEW_COLUMNS }, (_, k) => String(k))])
    expect(table.moreColumns).toBe(50)
  })

  it('says when a file is not Parquet', async () => {
    const file = rangeReader(`${server.url}/text.csv`, 16, OPTIONS)
    await expect(readParquetHead(file)).rejects.toThrow(
      'not a Parquet file (it does not end in PAR1)',
    )
  })

  it('shows values as text: numbers, big integers, dates, binary and nested values', () => {
    expect(
      [null, 'a<b>', 1.5, 10n, true, new Date(0), new Uint8Array(3), { a: [1n, 'x'] }].map(
        parquetCellText,
      ),
    ).toEqual([
      '',
      'a<b>',
      '1.5',
      '10',
      'true',
      '1970-01-01T00:00:00.000Z',
      '(3 bytes of binary)',
      '{"a":["1","x"]}',
    ])
  })
})

describe('core/preview/range', () => {
  it('reads a small file whole from a server that ignores Range, once', async () => {
    const plain = await serve({ '/herg.parquet': herg.parquet }, true)
    try {
      const file = rangeReader(`${plain.url}/herg.parquet`, herg.parquet.length, OPTIONS)
      const table = await readParquetHead(file)
      expect(table.rows).toHaveLength(20)
      expect(file.requests).toBe(1)
      expect(file.fetched).toBe(herg.parquet.length)
    } finally {
      await plain.close()
    }
  })

  it('refuses a large file from a server that ignores Range, without downloading it', async () => {
    const plain = await serve({ '/large.parquet': large }, true)
    try {
      const file = rangeReader(`${plain.url}/large.parquet`, large.length, {
        ...OPTIONS,
        wholeFileMax: 64 * 1024,
      })
      await expect(readParquetHead(file)).rejects.toThrow(
        /^the server ignores Range requests, and the file \(\d+ KiB\) is larger than the 64 KiB the preview downloads whole$/,
      )
      expect(file.fetched).toBe(0)
    } finally {
      await plain.close()
    }
  })

  it('refuses reads past its budget and a size that disagrees with the manifest', async () => {
    const small = rangeReader(`${server.url}/large.parquet`, large.length, {
      ...OPTIONS,
      budget: 1024,
    })
    await expect(readParquetHead(small)).rejects.toThrow(
      'reading the first rows needs more than the 1 KiB the preview reads; download the file instead',
    )
    const wrong = rangeReader(`${server.url}/herg.parquet`, herg.parquet.length + 1, OPTIONS)
    await expect(wrong.slice(0, 4)).rejects.toThrow(
      `the server says the file has ${herg.parquet.length} bytes, the manifest ${herg.parquet.length + 1}`,
    )
  })

  it('writes the sample files deterministically, with a fixed created_by and no clock', () => {
    const columns = [{ name: 'smiles', type: 'STRING' as const }]
    const a = parquetFile('a.parquet', columns, [['CCO']])
    const b = parquetFile('a.parquet', columns, [['CCO']])
    expect(a.bytes).toEqual(b.bytes)
    expect(new TextDecoder().decode(a.bytes)).toContain(PARQUET_CREATED_BY)
  })
})

/** A varint as Parquet's run-length streams write run headers. */
function varint(n: number): number[] {
  const out: number[] = []
  let x = n
  while (x >= 0x80) {
    out.push((x & 0x7f) | 0x80)
    x = Math.floor(x / 128)
  }
  out.push(x)
  return out
}

/** Dictionary indices: bit width 1, then one run of `count` copies of index 1. */
const indexRun = (count: number): Uint8Array => new Uint8Array([1, ...varint(count * 2), 1])

/** Definition levels of a version 1 page: 4-byte length, then the runs. */
function levels(...runs: number[]): Uint8Array {
  const out = new Uint8Array(4 + runs.length)
  new DataView(out.buffer).setUint32(0, runs.length, true)
  out.set(runs, 4)
  return out
}

const memory = (bytes: Uint8Array) => ({
  byteLength: bytes.length,
  slice: async (start: number, end?: number) => bytes.slice(start, end).buffer,
})

/** Two billion: what a few bytes of run-length data can claim. */
const HUGE = 2 ** 31 - 1

describe('core/preview/parquet-pages', () => {
  const dictionary = dictionaryPage(2, int32(7, 8))

  it('reads crafted files whose counts are honest: the shapes below are valid Parquet', async () => {
    const honest = craftParquet({
      rows: 3,
      pages: [dictionary, dataPage(3, 'RLE_DICTIONARY', indexRun(3))],
    })
    expect((await readParquetHead(memory(honest))).rows).toEqual([['8'], ['8'], ['8']])
    const zeroWidth = craftParquet({
      rows: 3,
      pages: [dictionary, dataPage(3, 'RLE_DICTIONARY', new Uint8Array([0]))],
    })
    expect((await readParquetHead(memory(zeroWidth))).rows).toEqual([['7'], ['7'], ['7']])
    const optional = craftParquet({
      rows: 3,
      repetition: 'OPTIONAL',
      pages: [dataPage(3, 'PLAIN', new Uint8Array([...levels(6, 1), ...int32(1, 2, 3)]))],
    })
    expect((await readParquetHead(memory(optional))).rows).toEqual([['1'], ['2'], ['3']])
  })

  it('needs the checks: hyparquet alone decodes as many values as a run claims, whatever the page says', async () => {
    // A page of 20 values whose one run claims 1 Mi: hyparquet writes them
    // all. At two billion the same loop keeps a tab busy for minutes.
    const file = craftParquet({
      rows: 20,
      pages: [dictionary, dataPage(20, 'RLE_DICTIONARY', indexRun(1024 * 1024))],
    })
    const decoded: number[] = []
    await parquetRead({
      file: memory(file),
      rowEnd: 20,
      onPage: (page) => {
        decoded.push(page.columnData.length)
      },
    })
    expect(decoded).toEqual([1024 * 1024])
    await expect(readParquetHead(memory(file))).rejects.toThrow(
      `column v: a run claims ${1024 * 1024} values, past the page's 20: the file is damaged`,
    )
  })

  it('passes honest files of every level and run shape: booleans, nulls, lists, dictionaries', async () => {
    const n = 3000
    const bytes = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'flag', type: 'BOOLEAN', data: Array.from({ length: n }, (_, k) => k % 3 === 0) },
          {
            name: 'flag_rle',
            type: 'BOOLEAN',
            data: Array.from({ length: n }, (_, k) => k < 10),
            encoding: 'RLE',
          },
          {
            name: 'maybe',
            type: 'INT32',
            data: Array.from({ length: n }, (_, k) => (k % 4 ? k : null)),
          },
          { name: 'tag', type: 'STRING', data: Array.from({ length: n }, (_, k) => `t${k % 5}`) },
          { name: 'list', data: Array.from({ length: n }, (_, k) => (k % 2 ? [k, k + 1] : [])) },
        ],
      }),
    )
    const table = await readParquetHead(memory(bytes))
    expect(table.rows.slice(0, 4)).toEqual([
      ['true', 'true', '', 't0', '[]'],
      ['false', 'true', '1', 't1', '[1,2]'],
      ['false', 'true', '2', 't2', '[]'],
      ['true', 'true', '3', 't3', '[3,4]'],
    ])
    expect(table.rows[19]).toEqual(['false', 'false', '19', 't4', '[19,20]'])
  })

  it('reads through the offset index only the pages of the first rows, and refuses one that cannot be read', async () => {
    const ids = Array.from({ length: 100_000 }, (_, k) => k)
    const bytes = new Uint8Array(
      parquetWriteBuffer({
        columnData: [{ name: 'id', type: 'INT32', data: ids, encoding: 'PLAIN' }],
        rowGroupSize: 100_000,
        pageSize: 4096,
      }),
    )
    const chunk = parquetMetadata(bytes.buffer as ArrayBuffer).row_groups[0]?.columns[0]
    expect(chunk?.offset_index_offset).toBeDefined()
    let fetched = 0
    const counted = {
      byteLength: bytes.length,
      slice: async (start: number, end?: number) => {
        fetched += (end ?? bytes.length) - start
        return bytes.slice(start, end).buffer
      },
    }
    const table = await readParquetHead(counted)
    expect(table.rows.map((r) => r[0])).toEqual(Array.from({ length: 20 }, (_, k) => String(k)))
    expect(fetched * 10).toBeLessThan(bytes.length)

    const at = Number(chunk?.offset_index_offset)
    const broken = bytes.slice()
    broken.fill(0xff, at, at + Number(chunk?.offset_index_length))
    await expect(readParquetHead(memory(broken))).rejects.toThrow(
      'column id: its offset index cannot be read: the file is damaged',
    )
  })

  it('refuses a page that claims more values than its column chunk, before decoding it', async () => {
    const file = craftParquet({
      rows: 3,
      chunkValues: 3,
      pages: [dictionary, dataPage(HUGE, 'RLE_DICTIONARY', new Uint8Array([0]))],
    })
    await expect(readParquetHead(memory(file))).rejects.toThrow(
      `column v: its pages claim ${HUGE} values, more than the 3 of its column chunk: the file is damaged`,
    )
  })

  it('refuses a column chunk that claims more values than its row group has rows', async () => {
    const file = craftParquet({
      rows: 3,
      chunkValues: HUGE,
      pages: [dictionary, dataPage(HUGE, 'RLE_DICTIONARY', new Uint8Array([0]))],
    })
    await expect(readParquetHead(memory(file))).rejects.toThrow(
      `column v: its column chunk claims ${HUGE} values, more than the 3 rows of its row group: the file is damaged`,
    )
  })

  it('refuses a dictionary page that claims more values than its bytes hold', async () => {
    const file = craftParquet({
      rows: 3,
      pages: [dictionaryPage(HUGE, int32(7)), dataPage(3, 'RLE_DICTIONARY', indexRun(3))],
    })
    await expect(readParquetHead(memory(file))).rejects.toThrow(
      `column v: a dictionary page claims ${HUGE} values in 4 bytes: the file is damaged`,
    )
  })

  it('refuses values of bit width 0 beyond the values it decodes, even when every count agrees', async () => {
    const file = craftParquet({
      rows: HUGE,
      pages: [dictionary, dataPage(HUGE, 'RLE_DICTIONARY', new Uint8Array([0]))],
    })
    await expect(readParquetHead(memory(file))).rejects.toThrow(
      `column v holds ${HUGE} values in its first pages, more than the ${PARQUET_VALUES_MAX} the preview reads; download the file instead`,
    )
    // A real constant column of 5000 rows is read, unless the cap is lower.
    const constant = craftParquet({
      rows: 5000,
      pages: [dictionary, dataPage(5000, 'RLE_DICTIONARY', indexRun(5000))],
    })
    expect((await readParquetHead(memory(constant))).rows).toHaveLength(PREVIEW_ROWS)
    await expect(readParquetHead(memory(constant), { valuesMax: 1000 })).rejects.toThrow(
      'column v holds 5000 values in its first pages, more than the 1000 the preview reads; download the file instead',
    )
  })

  it('refuses a run longer than its page, in dictionary indices and in definition levels', async () => {
    const indices = craftParquet({
      rows: 20,
      pages: [dictionary, dataPage(20, 'RLE_DICTIONARY', indexRun(2 ** 30))],
    })
    await expect(readParquetHead(memory(indices))).rejects.toThrow(
      `column v: a run claims ${2 ** 30} values, past the page's 20: the file is damaged`,
    )
    const defined = craftParquet({
      rows: 20,
      repetition: 'OPTIONAL',
      pages: [
        dataPage(20, 'PLAIN', new Uint8Array([...levels(...varint(2 ** 30 * 2), 1), ...int32(1)])),
      ],
    })
    await expect(readParquetHead(memory(defined))).rejects.toThrow(
      `column v: a run claims ${2 ** 30} values, past the page's 20: the file is damaged`,
    )
    // A bit-packed header whose count overflows to a negative number.
    const negative = craftParquet({
      rows: 20,
      pages: [
        dictionary,
        dataPage(20, 'RLE_DICTIONARY', new Uint8Array([1, 0xff, 0xff, 0xff, 0xff, 0x0f])),
      ],
    })
    await expect(readParquetHead(memory(negative))).rejects.toThrow(
      "column v: a bit-packed run claims -8 values, past the page's 20: the file is damaged",
    )
  })

  it('checks version 2 pages: their counts, and runs of bit width 0', async () => {
    const v2 = (numValues: number, numRows: number, data: Uint8Array) => ({
      header: {
        type: 'DATA_PAGE_V2' as const,
        uncompressed_page_size: data.length,
        compressed_page_size: data.length,
        data_page_header_v2: {
          num_values: numValues,
          num_nulls: 0,
          num_rows: numRows,
          encoding: 'RLE_DICTIONARY' as const,
          definition_levels_byte_length: 0,
          repetition_levels_byte_length: 0,
          is_compressed: false,
        },
      },
      data,
    })
    const honest = craftParquet({
      rows: 3,
      pages: [dictionary, v2(3, 3, new Uint8Array([0, 6, 0]))],
    })
    expect((await readParquetHead(memory(honest))).rows).toEqual([['7'], ['7'], ['7']])
    const run = craftParquet({
      rows: 3,
      pages: [dictionary, v2(3, 3, new Uint8Array([0, ...varint(2 ** 31), 0]))],
    })
    await expect(readParquetHead(memory(run))).rejects.toThrow(
      `column v: a run claims ${2 ** 30} values, past the page's 3: the file is damaged`,
    )
    const rows = craftParquet({
      rows: 3,
      pages: [dictionary, v2(3, HUGE, new Uint8Array([0, 6, 0]))],
    })
    await expect(readParquetHead(memory(rows))).rejects.toThrow(
      `column v: a page claims 3 values, 0 nulls, ${HUGE} rows: the file is damaged`,
    )
  })
})
