import { describe, expect, it } from 'vitest'
import { buildZip, concat } from './__fixtures__/build.ts'
import { bytesSource, type ScanResult, scanFile } from './index.ts'

const scan = (path: string, bytes: Uint8Array): Promise<ScanResult> =>
  scanFile(bytesSource(path, bytes))
const codes = (result: ScanResult): string[] => result.findings.map((f) => f.code)
const keras = (config: string): Uint8Array =>
  buildZip([
    { name: 'metadata.json', data: '{"keras_version": "3.4.1"}' },
    { name: 'config.json', data: config, method: 8 },
  ])
const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]
const h5 = (config: string): Uint8Array =>
  concat(HDF5_MAGIC, new Uint8Array(64), config, new Uint8Array(64))

/** Configs Keras would load into code: Lambda layers, foreign modules, custom objects. */
export const EVIL_KERAS_CONFIGS = [
  '{"class_name": "Lambda", "config": {}}',
  '{"class_name": "\\u004cambda", "config": {}}',
  '{"class\\u005fname": "Lambda", "config": {}}',
  '{"class_name": "TFOpLambda"}',
  '{"layers": [{"class_name": "__lambda__", "config": {"code": "4wEAAA"}}]}',
  '{"module": "os", "class_name": "system", "config": "id", "registered_name": null}',
  '{"module": "\\u006fs", "class_name": "system"}',
  '{"module": "keras.layers", "class_name": "Dense", "registered_name": "Custom>Evil"}',
  '{"module": "keras.config", "class_name": "enable_unsafe_deserialization"}',
  '{"module": "keras.utils", "class_name": "function", "config": "get_file"}',
]

/** Configs of plain Keras models. */
export const BENIGN_KERAS_CONFIGS = [
  '{"module": "keras", "class_name": "Sequential", "config": {"layers": [{"module": "keras.layers", "class_name": "Dense", "config": {"units": 4, "activation": "relu"}, "registered_name": null}]}, "registered_name": null}',
  '{"class_name": "Functional", "config": {"name": "model", "layers": [{"class_name": "InputLayer", "config": {}}]}}',
  '{"module": "keras.src.models.functional", "class_name": "Functional", "registered_name": "Functional"}',
]

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
