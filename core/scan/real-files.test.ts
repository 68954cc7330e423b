import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { scanPath } from './index.ts'

// Written by CPython's pickle and numpy (see __fixtures__/python/make.py).
const dir = fileURLToPath(new URL('./__fixtures__/python/', import.meta.url))
const scan = (name: string) => scanPath(join(dir, name), { displayPath: name })

describe('core/scan (files written by CPython and numpy)', () => {
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
})
