import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import {
  buildTar,
  buildZip,
  EVIL_PICKLE_P4,
  gguf,
  npy,
  onnxModel,
  safetensors,
  TORCH_STATE_PICKLE,
  torchZip,
} from './__fixtures__/build.ts'
import { bytesSource, scanFile } from './index.ts'

/** A small deterministic PRNG (mulberry32), so a failure names a reproducible seed. */
function prng(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const SEEDS: [string, Uint8Array][] = [
  [
    'model.safetensors',
    safetensors(
      { __metadata__: { a: 'b' }, t: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } },
      16,
    ),
  ],
  ['model.pt', torchZip(TORCH_STATE_PICKLE)],
  ['evil.pkl', EVIL_PICKLE_P4],
  [
    'm.gguf',
    gguf(
      {
        'general.name': { type: 'string', value: 'x' },
        'a.tokens': { type: 'strings', value: ['a', 'b'] },
      },
      [{ name: 't', dims: [8], type: 0, offset: 0 }],
      32,
    ),
  ],
  ['m.onnx', onnxModel({ external: ['w.bin'] })],
  ['a.npy', npy("'|O'", TORCH_STATE_PICKLE)],
  [
    'd.zip',
    buildZip([
      { name: 'a.pkl', data: TORCH_STATE_PICKLE, method: 8 },
      { name: 'b.txt', data: 'hello' },
    ]),
  ],
  ['d.tar', buildTar([{ name: 'x/data.pkl', data: TORCH_STATE_PICKLE }])],
  ['m.joblib', gzipSync(TORCH_STATE_PICKLE)],
  ['m.keras', buildZip([{ name: 'config.json', data: '{"class_name": "Dense"}', method: 8 }])],
]

describe('core/scan (mutated files)', () => {
  // Hostile files are corrupted ones too: whatever the bytes, a scan ends with a verdict and never throws.
  for (const [name, bytes] of SEEDS) {
    it(`returns a verdict for 150 corruptions of ${name}`, async () => {
      const random = prng(bytes.length)
      for (let round = 0; round < 150; round++) {
        const copy = new Uint8Array(bytes)
        const flips = 1 + Math.floor(random() * 4)
        for (let f = 0; f < flips; f++)
          copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256)
        const cut = random() < 0.3 ? Math.floor(random() * copy.length) : copy.length
        const result = await scanFile(bytesSource(name, copy.subarray(0, cut)))
        expect(['safe', 'unsafe', 'error'], `${name} round ${round}`).toContain(result.verdict)
        const unexpected = result.findings.filter((f) => f.code === 'scan/read-failed')
        expect(
          unexpected.map((f) => f.message),
          `${name} round ${round}`,
        ).toEqual([])
      }
    })
  }
})
