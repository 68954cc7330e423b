import { describe, expect, it } from 'vitest'
import {
  headLines,
  isSmilesColumn,
  PREVIEW_COLUMNS,
  parseDelimited,
  parseJsonLines,
  previewFormat,
} from '#core/preview'

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

describe('core/preview/head', () => {
  it('cuts a partial head after its last line feed, on bytes, so no character is split', () => {
    const text = 'name,note\nα,ü\nβ,€'
    const all = bytes(text)
    // Stop one byte into the three-byte euro sign.
    const cut = all.subarray(0, all.length - 2)
    expect(headLines(cut, false)).toBe('name,note\nα,ü\n')
    expect(headLines(all, true)).toBe(text)
  })

  it('drops a byte order mark and reads a head with no line feed as empty', () => {
    expect(headLines(bytes('\uFEFFa,b\n'), true)).toBe('a,b\n')
    expect(headLines(bytes('a,b,c'), false)).toBe('')
  })

  it('knows the formats it previews and the SMILES column names', () => {
    expect(
      ['a.csv', 'B.TSV', 'x/train.jsonl', 'y.ndjson', 'z.Parquet', 'm.sdf'].map(previewFormat),
    ).toEqual(['csv', 'tsv', 'jsonl', 'jsonl', 'parquet', undefined])
    expect(
      ['smiles', 'SMILES', 'canonical_smiles', 'rxn_smiles', 'name'].map(isSmilesColumn),
    ).toEqual([true, true, true, false, false])
  })
})

describe('core/preview/delimited', () => {
  it('reads RFC 4180 quoting: delimiters, line breaks and doubled quotes inside fields', () => {
    const text = 'id,text\r\n1,"a, b"\r\n2,"line\nbreak"\r\n3,"say ""hi"""\r\n'
    expect(parseDelimited(text, { delimiter: ',', complete: true })).toEqual({
      columns: ['id', 'text'],
      rows: [
        ['1', 'a, b'],
        ['2', 'line\nbreak'],
        ['3', 'say "hi"'],
      ],
      more: false,
    })
  })

  it('keeps a last record without a line break only when the text is the whole file', () => {
    expect(parseDelimited('a\n1\n2', { delimiter: ',', complete: true }).rows).toEqual([
      ['1'],
      ['2'],
    ])
    const head = parseDelimited('a,b\n1,"open\n', { delimiter: ',', complete: false })
    expect(head).toEqual({ columns: ['a', 'b'], rows: [], more: true })
  })

  it('reads TSV and skips blank lines', () => {
    expect(parseDelimited('a\tb\n\n1\t2\n', { delimiter: '\t', complete: true })).toEqual({
      columns: ['a', 'b'],
      rows: [['1', '2']],
      more: false,
    })
  })

  it('stops after the rows it shows and says more follow', () => {
    const text = `n\n${Array.from({ length: 50 }, (_, k) => k).join('\n')}\n`
    const table = parseDelimited(text, { delimiter: ',', complete: true, maxRows: 3 })
    expect(table.rows).toEqual([['0'], ['1'], ['2']])
    expect(table.more).toBe(true)
    expect(
      parseDelimited('n\n1\n2\n3\n', { delimiter: ',', complete: true, maxRows: 3 }).more,
    ).toBe(false)
  })

  it('shows the first 100 columns of a wide file and counts the rest', () => {
    const header = Array.from({ length: 30_000 }, (_, k) => `c${k}`).join(',')
    const table = parseDelimited(`${header}\n${'1,'.repeat(29_999)}1\n`, {
      delimiter: ',',
      complete: true,
    })
    expect(table.columns).toHaveLength(PREVIEW_COLUMNS)
    expect(table.columns.at(-1)).toBe('c99')
    expect(table.rows[0]).toHaveLength(PREVIEW_COLUMNS)
    expect(table.moreColumns).toBe(30_000 - PREVIEW_COLUMNS)
  })

  it('keeps markup as text', () => {
    const table = parseDelimited('x\n"<img src=x onerror=alert(1)>"\n', {
      delimiter: ',',
      complete: true,
    })
    expect(table.rows).toEqual([['<img src=x onerror=alert(1)>']])
  })
})

describe('core/preview/jsonl', () => {
  it('makes columns from the keys in the order first seen, strings as they are, others as JSON', () => {
    const text = '{"q":"2+2?","a":4}\n{"q":"tags","meta":{"x":[1]},"a":null}\n'
    expect(parseJsonLines(text, { complete: true })).toEqual({
      columns: ['q', 'a', 'meta'],
      rows: [
        ['2+2?', '4', ''],
        ['tags', '', '{"x":[1]}'],
      ],
      more: false,
    })
  })

  it('drops a cut last line of a head and puts non-objects in a value column', () => {
    expect(parseJsonLines('1\n"two"\n{"cut', { complete: false })).toEqual({
      columns: ['value'],
      rows: [['1'], ['two']],
      more: true,
    })
  })

  it('names the line that is not JSON', () => {
    expect(() => parseJsonLines('{"a":1}\n{oops}\n', { complete: true })).toThrow(
      /^line 2 is not JSON/,
    )
  })

  it('shows the first 100 keys of lines with thousands and counts the rest', () => {
    const line = (from: number) =>
      JSON.stringify(
        Object.fromEntries(Array.from({ length: 5000 }, (_, k) => [`k${from + k}`, k])),
      )
    const table = parseJsonLines(`${line(0)}\n${line(5000)}\n`, { complete: true })
    expect(table.columns).toHaveLength(PREVIEW_COLUMNS)
    expect(table.rows.map((r) => r.length)).toEqual([PREVIEW_COLUMNS, PREVIEW_COLUMNS])
    expect(table.moreColumns).toBe(10_000 - PREVIEW_COLUMNS)
  })

  it('stops after the rows it shows', () => {
    const text = Array.from({ length: 30 }, (_, k) => JSON.stringify({ k })).join('\n')
    const table = parseJsonLines(text, { complete: true, maxRows: 5 })
    expect(table.rows).toHaveLength(5)
    expect(table.more).toBe(true)
  })
})
