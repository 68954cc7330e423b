import { describe, expect, it } from 'vitest'
import { concat, EVIL_PICKLE_P0, latin1, u64 } from './__fixtures__/build.ts'
import { PICKLE_NUMBER_PREFIXES } from './__fixtures__/corpus.ts'
import { bytesSource, type ScanResult, scanFile, walkPickle } from './index.ts'
import { isPickleFloat, pickleInt, pickleLong, pickleMemoKey } from './py-number.ts'

const scan = (path: string, bytes: Uint8Array): Promise<ScanResult> =>
  scanFile(bytesSource(path, bytes))
const codes = (result: ScanResult): string[] => result.findings.map((f) => f.code)

describe('core/scan/pickle (evasion)', () => {
  describe('protocol 0 numbers as CPython reads them', () => {
    // Each prefix pushes a number and POPs it, then the os.system pickle follows.
    const prefixes = PICKLE_NUMBER_PREFIXES
    for (const prefix of prefixes) {
      it(`walks past ${JSON.stringify(prefix)} to the import behind it`, async () => {
        const result = await scan('model.bin', concat(prefix, '0', EVIL_PICKLE_P0))
        expect(result.verdict).toBe('unsafe')
        expect(codes(result)).toContain('scan/pickle-dangerous-import')
      })
    }

    it('reads memo keys with underscores, spaces and CRLF', async () => {
      const bytes = latin1("cos\nsystem\np0_1\n0g 1\r\n(S'id'\ntR.")
      const walk = walkPickle(bytes, 0)
      expect(walk.complete).toBe(true)
      expect((await scan('x.bin', bytes)).verdict).toBe('unsafe')
    })

    it('parses like int() and float(), and refuses what neither loader takes', () => {
      expect(pickleInt('0x10')).toBe(16n)
      expect(pickleInt('010')).toBe(8n)
      expect(pickleInt('1_0')).toBe(10n)
      expect(pickleInt('1__0')).toBeUndefined()
      expect(pickleInt('0x')).toBeUndefined()
      expect(pickleInt('08')).toBeUndefined()
      expect(pickleLong('12L')).toBe(12n)
      expect(pickleLong('12LL')).toBeUndefined()
      expect(pickleMemoKey('007')).toBe(7n)
      expect(pickleMemoKey('0x7')).toBeUndefined()
      expect(isPickleFloat('Infinity')).toBe(true)
      expect(isPickleFloat('1e')).toBe(false)
      expect(isPickleFloat('1_')).toBe(false)
      expect(isPickleFloat('infinit')).toBe(false)
    })

    it('fails closed on a number no loader reads, in a file that is a pickle', async () => {
      const result = await scan('model.pkl', concat([0x80, 0x02], 'I1__0\n0N.'))
      expect(result.verdict).toBe('error')
      expect(codes(result)).toContain('scan/pickle-malformed')
    })
  })

  describe('escaped strings', () => {
    it('decodes STRING and UNICODE escapes before naming an import', async () => {
      for (const body of ["S'o\\x73'\nS'sys\\164em'\n", 'Vo\\u0073\nVsystem\n']) {
        const bytes = concat([0x80, 0x04], body, [0x93], 'N.')
        const result = await scan('m.pkl', bytes)
        expect(
          result.imports?.map((i) => `${i.module}.${i.name}`),
          body,
        ).toEqual(['os.system'])
        expect(codes(result), body).toContain('scan/pickle-dangerous-import')
      }
    })
  })

  describe('several pickles in one stream', () => {
    it('walks every pickle to the end of the file, not a fixed number', async () => {
      const benign = latin1('N.')
      const parts = Array.from({ length: 100 }, () => benign)
      const result = await scan('model.pkl', concat(...parts, EVIL_PICKLE_P0))
      expect(result.verdict).toBe('unsafe')
      expect(codes(result)).toContain('scan/pickle-dangerous-import')
    })

    it('reports bytes after the last STOP as scan/pickle-trailing-bytes', async () => {
      const result = await scan('model.pkl', concat([0x80, 0x04], 'N.', [0xff, 0x00, 0x01]))
      expect(result.verdict).toBe('error')
      expect(codes(result)).toContain('scan/pickle-trailing-bytes')
    })

    it('finds an import in a pickle that breaks after it, past the first', async () => {
      const result = await scan('model.pkl', concat('N.', 'cos\nsystem\n', [0xff]))
      expect(result.verdict).toBe('unsafe')
      expect(codes(result)).toEqual(
        expect.arrayContaining(['scan/pickle-dangerous-import', 'scan/pickle-trailing-bytes']),
      )
    })

    it('keeps a clean series of pickles safe but for the pickle warning', async () => {
      const result = await scan('model.pkl', concat([0x80, 0x04], 'N.', [0x80, 0x04], 'K\x01.'))
      expect(result.verdict).toBe('safe')
      expect(codes(result)).toEqual(['scan/unsafe-format'])
    })
  })

  describe('FRAME lengths', () => {
    it('accepts frames that hold whole opcodes', async () => {
      const bytes = concat([0x80, 0x04, 0x95], u64(2), 'N.')
      expect((await scan('m.pkl', bytes)).verdict).toBe('safe')
    })

    it('flags an opcode running past the end of its frame', async () => {
      const bytes = concat([0x80, 0x04, 0x95], u64(3), [0x8c, 5], 'posix', [0x30], 'N.')
      const result = await scan('m.pkl', bytes)
      expect(codes(result)).toContain('scan/pickle-frame-mismatch')
      expect(result.verdict).toBe('unsafe')
    })

    it('flags a frame that starts inside another', async () => {
      const bytes = concat([0x80, 0x04, 0x95], u64(11), [0x95], u64(2), 'N.')
      const result = await scan('m.pkl', bytes)
      expect(codes(result)).toContain('scan/pickle-frame-mismatch')
      expect(result.verdict).not.toBe('safe')
    })
  })
})
