import { describe, expect, it } from 'vitest'
import { buildZip, concat, EVIL_PICKLE_P0, npy } from './__fixtures__/build.ts'
import { MALFORMED_DESCRS, OBJECT_DESCRS, PLAIN_DESCRS } from './__fixtures__/corpus.ts'
import { bytesSource, type ScanResult, scanFile } from './index.ts'
import { parsePyLiteral } from './py-literal.ts'

const scan = (path: string, bytes: Uint8Array): Promise<ScanResult> =>
  scanFile(bytesSource(path, bytes))
const codes = (result: ScanResult): string[] => result.findings.map((f) => f.code)
const EVIL_BODY = concat([0x80, 0x02], EVIL_PICKLE_P0)

describe('core/scan/npy (evasion)', () => {
  for (const descr of OBJECT_DESCRS) {
    it(`sees an object dtype in descr ${descr}`, async () => {
      const result = await scan('x.npy', npy(descr, EVIL_BODY))
      expect(result.verdict).toBe('unsafe')
      expect(codes(result)).toContain('scan/pickle-dangerous-import')
    })
  }

  for (const descr of MALFORMED_DESCRS) {
    it(`refuses descr ${descr} as scan/npy-malformed`, async () => {
      const result = await scan('x.npy', npy(descr, EVIL_BODY))
      expect(result.verdict).not.toBe('safe')
      expect(codes(result)).toContain('scan/npy-malformed')
    })
  }

  for (const descr of PLAIN_DESCRS) {
    it(`keeps descr ${descr} safe`, async () => {
      const result = await scan('x.npy', npy(descr, new Uint8Array(16)))
      expect(codes(result)).toEqual([])
      expect(result.verdict).toBe('safe')
    })
  }

  it('refuses a header with an extra or a repeated key', async () => {
    const header = "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }"
    const bytes = concat([0x93], 'NUMPY', [1, 0], [header.length + 1, 0], header, '\n')
    expect(codes(await scan('x.npy', bytes))).toContain('scan/npy-malformed')
  })

  it('finds an object dtype in a deflated .npz member', async () => {
    const npz = buildZip([
      { name: 'a.npy', data: npy("'<f4'", new Uint8Array(4)), method: 8 },
      { name: 'b.npy', data: npy("'\\x4f'", EVIL_BODY), method: 8 },
    ])
    const result = await scan('x.npz', npz)
    expect(result.verdict).toBe('unsafe')
  })

  it('reads Python literals as ast.literal_eval does', () => {
    expect(parsePyLiteral("'a' \"b\" r'\\x'")).toEqual({ t: 'str', v: 'ab\\x' })
    expect(parsePyLiteral('(3L, -2)')).toEqual({
      t: 'tuple',
      v: [
        { t: 'int', v: 3n },
        { t: 'int', v: -2n },
      ],
    })
    expect(() => parsePyLiteral('__import__("os")')).toThrow()
  })
})
