import { describe, expect, it } from 'vitest'
import {
  BENIGN_KERAS_CONFIGS,
  EVIL_KERAS_CONFIGS,
  kerasArchive as keras,
  kerasH5 as h5,
} from './__fixtures__/corpus.ts'
import { bytesSource, type ScanResult, scanFile } from './index.ts'

const scan = (path: string, bytes: Uint8Array): Promise<ScanResult> =>
  scanFile(bytesSource(path, bytes))
const codes = (result: ScanResult): string[] => result.findings.map((f) => f.code)

describe('core/scan/keras (evasion)', () => {
  for (const config of EVIL_KERAS_CONFIGS) {
    it(`flags ${config.slice(0, 60)} in a .keras config and in an .h5 file`, async () => {
      for (const [name, bytes] of [
        ['m.keras', keras(config)],
        ['m.h5', h5(config)],
      ] as const) {
        const result = await scan(name, bytes)
        expect(result.verdict, name).toBe('unsafe')
        expect(codes(result), name).toEqual(
          expect.arrayContaining([expect.stringMatching(/^scan\/keras-(lambda|custom-object)$/)]),
        )
      }
    })
  }

  for (const config of BENIGN_KERAS_CONFIGS) {
    it(`keeps ${config.slice(0, 60)} safe`, async () => {
      expect(codes(await scan('m.keras', keras(config)))).toEqual([])
      expect(codes(await scan('m.h5', h5(config)))).toEqual([])
    })
  }

  it('names the finding for a module outside Keras', async () => {
    const result = await scan('m.keras', keras('{"module": "os", "class_name": "system"}'))
    expect(codes(result)).toEqual(['scan/keras-custom-object'])
    const lambda = await scan('m.keras', keras('{"class_name": "\\u004cambda"}'))
    expect(codes(lambda)).toEqual(['scan/keras-lambda'])
  })

  it('refuses a config that repeats a key or does not parse', async () => {
    const repeated = await scan('m.keras', keras('{"class_name": "Dense", "class_name": "Dense"}'))
    expect(codes(repeated)).toEqual(['scan/keras-malformed'])
    const broken = await scan('m.keras', keras('{"class_name": "Dense",'))
    expect(codes(broken)).toEqual(['scan/keras-malformed'])
  })
})
