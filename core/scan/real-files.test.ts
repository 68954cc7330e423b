import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { scanPath } from './index.ts'

// Written by CPython's pickle and numpy (__fixtures__/python/make.py) and by the
// reference safetensors, gguf and onnx packages (__fixtures__/python/make_models.py).
const dir = fileURLToPath(new URL('./__fixtures__/python/', import.meta.url))
const scan = (name: string) => scanPath(join(dir, name), { displayPath: name })

describe('core/scan (files written by the reference tools)', () => {
  for (const protocol of [0, 1, 2, 3, 4, 5]) {
    it(`finds os.system in a __reduce__ pickle of protocol ${protocol}`, async () => {
      const result = await scan(`evil-p${protocol}.pkl`)
      expect(result.format).toBe('pickle')
      expect(result.verdict).toBe('unsafe')
      // CPython pickles os.system under the name of the platform's module.
      expect(result.imports?.map((i) => `${i.module}.${i.name}`)).toEqual(['posix.system'])
    })

    it(`passes a state dict of protocol ${protocol} as an unsafe format`, async () => {
      const result = await scan(`state-p${protocol}.pkl`)
      expect(result.verdict).toBe('safe')
      expect(result.imports?.every((i) => i.allowed)).toBe(true)
      expect(result.imports?.map((i) => i.name)).toContain('OrderedDict')
      expect(result.findings.map((f) => f.code)).toEqual(['scan/unsafe-format'])
    })
  }

  it('passes a numeric .npy without warnings', async () => {
    expect(await scan('floats.npy')).toMatchObject({ format: 'npy', verdict: 'safe', findings: [] })
  })

  it('walks the pickle of an object .npy: numpy reconstruction only', async () => {
    const result = await scan('objects.npy')
    expect(result.verdict).toBe('safe')
    expect(result.imports?.map((i) => i.name).sort()).toEqual(['_reconstruct', 'dtype', 'ndarray'])
    expect(result.findings.map((f) => f.code)).toEqual(['scan/unsafe-format'])
  })

  it('reads .npz archives written by Python zipfile, stored and deflated', async () => {
    expect(await scan('arrays.npz')).toMatchObject({ format: 'zip', verdict: 'safe', findings: [] })
    expect(await scan('compressed.npz')).toMatchObject({
      format: 'zip',
      verdict: 'safe',
      findings: [],
    })
  })

  it('verifies a safetensors file written by safetensors.numpy, header padding included', async () => {
    const result = await scan('reference.safetensors')
    expect(result).toMatchObject({
      format: 'safetensors',
      verdict: 'safe',
      verifiedFormat: true,
      findings: [],
    })
    expect(result.metadata).toEqual({ format: 'np', note: 'written by safetensors.numpy' })
    expect(result.tensors?.map((t) => [t.name, t.dtype, t.shape])).toEqual(
      expect.arrayContaining([
        ['embed.weight', 'F32', [3, 4]],
        ['norm.bias', 'F16', [5]],
        ['mask', 'BOOL', [2]],
        ['empty', 'I64', [0, 3]],
      ]),
    )
  })

  it('verifies a GGUF file written by gguf.GGUFWriter, every value type included', async () => {
    const result = await scan('reference.gguf')
    expect(result).toMatchObject({
      format: 'gguf',
      verdict: 'safe',
      verifiedFormat: true,
      findings: [],
    })
    expect(result.metadata).toMatchObject({
      'general.architecture': 'llama',
      'general.name': 'agora-test',
      'test.i32': '-7',
      'test.f32': '0.5',
      'test.bool': 'true',
      'test.u64': '1099511627776',
      'test.f64': '0.25',
    })
    expect(result.tensors?.map((t) => [t.name, t.dtype, t.shape])).toEqual([
      ['token_embd.weight', 'F32', [32, 4]],
      ['output_norm.weight', 'F16', [32]],
      ['blk.0.attn_q.weight', 'Q8_0', [64, 2]],
    ])
  })

  it('reads an ONNX model saved with external data by onnx.save_model', async () => {
    const result = await scan('reference.onnx')
    expect(result).toMatchObject({
      format: 'onnx',
      verdict: 'safe',
      verifiedFormat: false,
      findings: [],
    })
    expect(result.externalData).toEqual(['reference.onnx.data'])
  })

  it('finds external data escaping the item from a constant inside an If branch', async () => {
    const result = await scan('escape-subgraph.onnx')
    expect(result.verdict).toBe('unsafe')
    expect(result.externalData).toEqual(['../../../etc/passwd', 'reference.onnx.data'])
  })
})
