import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildTar,
  buildZip,
  concat,
  EVIL_PICKLE_P0,
  EVIL_PICKLE_P4,
  gguf,
  latin1,
  npy,
  onnxModel,
  pb,
  safetensors,
  TORCH_STATE_PICKLE,
  torchZip,
  u32,
  u64,
} from './__fixtures__/build.ts'
import { bytesSource, type ScanOptions, type ScanResult, scanFile, scanPath } from './index.ts'

const scan = (path: string, bytes: Uint8Array, options?: ScanOptions): Promise<ScanResult> =>
  scanFile(bytesSource(path, bytes), options)
const codes = (result: ScanResult): string[] => result.findings.map((f) => f.code)

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agora-scan-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('core/scan/scan-file', () => {
  describe('pickles', () => {
    it('flags a protocol 0 __reduce__ pickle importing os.system', async () => {
      const result = await scan('model.pkl', EVIL_PICKLE_P0)
      expect(result.format).toBe('pickle')
      expect(result.verdict).toBe('unsafe')
      expect(result.verifiedFormat).toBe(false)
      expect(result.imports).toEqual([{ module: 'os', name: 'system', allowed: false }])
      const finding = result.findings.find((f) => f.code === 'scan/pickle-dangerous-import')
      expect(finding?.message).toBe('pickle imports os.system, which can run code when loaded')
      expect(finding?.hint).toMatch(/safetensors/)
      expect(codes(result)).toContain('scan/unsafe-format')
    })

    it('resolves STACK_GLOBAL operands through the memo (protocol 4)', async () => {
      const result = await scan('model.pkl', EVIL_PICKLE_P4)
      expect(result.verdict).toBe('unsafe')
      expect(result.imports?.map((i) => `${i.module}.${i.name}`)).toEqual(['posix.system'])
    })

    it('finds the pickle by its bytes when it is named .bin, on disk', async () => {
      const path = join(dir, 'pytorch_model.bin')
      await writeFile(path, EVIL_PICKLE_P4)
      const result = await scanPath(path)
      expect(result).toMatchObject({ path, format: 'pickle', verdict: 'unsafe' })
    })

    it('finds a protocol 0 pickle named .txt that has no magic number', async () => {
      const result = await scan('notes.txt', EVIL_PICKLE_P0)
      expect(result.format).toBe('pickle')
      expect(result.verdict).toBe('unsafe')
    })

    it('names disallowed but not known-dangerous imports separately', async () => {
      const result = await scan('x.pkl', latin1('csklearn.linear_model\nLogisticRegression\n)R.'))
      expect(codes(result)).toContain('scan/pickle-disallowed-import')
      expect(result.findings[0]?.message).toContain('sklearn.linear_model.LogisticRegression')
      expect(result.verdict).toBe('unsafe')
    })

    it('accepts globals a hub allows explicitly, still as an unsafe format', async () => {
      const result = await scan('x.pkl', latin1('csklearn.linear_model\nLogisticRegression\n)R.'), {
        allowGlobals: ['sklearn.linear_model.LogisticRegression'],
      })
      expect(result.verdict).toBe('safe')
      expect(codes(result)).toEqual(['scan/unsafe-format'])
    })

    it('flags builtins such as eval and getattr as dangerous', async () => {
      const result = await scan(
        'x.pkl',
        latin1("c__builtin__\ngetattr\n(c__builtin__\neval\nS'x'\ntR."),
      )
      expect(result.imports?.map((i) => i.name)).toEqual(['getattr', 'eval'])
      expect(codes(result).filter((c) => c === 'scan/pickle-dangerous-import')).toHaveLength(2)
    })

    it('flags STACK_GLOBAL with computed operands as unresolved', async () => {
      // The module name is a bytes object, not a literal string.
      const bytes = concat([0x80, 0x04, 0x43, 2], 'os', [0x8c, 6], 'system', [0x93], '.')
      const result = await scan('x.pkl', bytes)
      expect(codes(result)).toContain('scan/pickle-unresolved-global')
      expect(result.verdict).toBe('unsafe')
    })

    it('flags imports through copyreg extension codes', async () => {
      const result = await scan('x.pkl', concat([0x80, 0x02, 0x82, 0x01], ')R.'))
      expect(codes(result)).toContain('scan/pickle-extension')
      expect(result.verdict).toBe('unsafe')
    })

    it('fails closed on a truncated pickle', async () => {
      const result = await scan('x.pkl', TORCH_STATE_PICKLE.subarray(0, 40))
      expect(codes(result)).toContain('scan/pickle-malformed')
      expect(result.verdict).toBe('error')
    })

    it('still reports imports before the point where a pickle breaks', async () => {
      const result = await scan('x.pkl', concat(EVIL_PICKLE_P0.subarray(0, -1), [0xff]))
      expect(result.verdict).toBe('unsafe')
      expect(codes(result)).toEqual(
        expect.arrayContaining(['scan/pickle-dangerous-import', 'scan/pickle-malformed']),
      )
    })

    it('refuses to read a pickle past the inspection limit', async () => {
      const big = concat([0x80, 0x02, 0x42], [0, 0, 1, 0], new Uint8Array(65536), '.')
      const result = await scan('x.pkl', big, { maxPickleBytes: 1000 })
      expect(codes(result)).toContain('scan/too-large')
      expect(result.verdict).toBe('error')
    })

    it('walks every pickle of a legacy torch file', async () => {
      const magic = concat(
        [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19],
        '.',
      )
      const protocol = concat([0x80, 0x02], 'M\xe9\x03.')
      const info = concat([0x80, 0x02], '}.')
      const result = await scan(
        'old.pt',
        concat(magic, protocol, info, EVIL_PICKLE_P4, new Uint8Array(32)),
      )
      expect(result.format).toBe('pytorch-legacy')
      expect(result.verdict).toBe('unsafe')
    })
  })

  describe('zip-based torch files', () => {
    it('passes a torch zip whose only imports are tensor rebuilders, as an unsafe format', async () => {
      const result = await scan('model.pt', torchZip(TORCH_STATE_PICKLE))
      expect(result.format).toBe('pytorch-zip')
      expect(result.verdict).toBe('safe')
      expect(result.verifiedFormat).toBe(false)
      expect(result.imports?.map((i) => `${i.module}.${i.name}`)).toEqual([
        'torch._utils._rebuild_tensor_v2',
        'torch.FloatStorage',
        'collections.OrderedDict',
      ])
      expect(result.findings).toEqual([
        expect.objectContaining({ code: 'scan/unsafe-format', severity: 'warning' }),
      ])
    })

    it('finds the malicious pickle inside archive/data.pkl', async () => {
      const result = await scan('model.pt', torchZip(EVIL_PICKLE_P4))
      expect(result.verdict).toBe('unsafe')
      expect(result.imports?.[0]).toMatchObject({
        module: 'posix',
        name: 'system',
        entry: 'archive/data.pkl',
      })
      expect(result.findings[0]?.message).toMatch(
        /^archive\/data\.pkl: pickle imports posix\.system/,
      )
    })

    it('scans pickles in entries with non-standard names, found by magic', async () => {
      const bytes = buildZip([
        { name: 'archive/data.pkl', data: TORCH_STATE_PICKLE },
        { name: 'archive/extra/payload', data: EVIL_PICKLE_P4, method: 8 },
      ])
      const result = await scan('weights.zip', bytes)
      expect(result.verdict).toBe('unsafe')
      expect(result.imports?.find((i) => !i.allowed)?.entry).toBe('archive/extra/payload')
    })

    it('inspects an entry whose CRC is wrong', async () => {
      const bytes = buildZip([
        { name: 'archive/data.pkl', data: EVIL_PICKLE_P0, method: 8, crc: 0x12345678 },
      ])
      const result = await scan('model.pt', bytes)
      expect(codes(result)).toEqual(
        expect.arrayContaining(['scan/zip-bad-crc', 'scan/pickle-dangerous-import']),
      )
      expect(result.verdict).toBe('unsafe')
    })

    it('reads entries whose sizes are only in a data descriptor', async () => {
      const bytes = buildZip([
        { name: 'archive/data.pkl', data: EVIL_PICKLE_P4, method: 8, descriptor: true },
        { name: 'archive/version', data: '3\n', descriptor: true },
      ])
      const result = await scan('streamed.pt', bytes)
      expect(result.verdict).toBe('unsafe')
      expect(codes(result)).toEqual(['scan/pickle-dangerous-import', 'scan/unsafe-format'])
    })

    it('ignores tensor bytes that merely start like a pickle', async () => {
      const bytes = buildZip([
        { name: 'archive/data.pkl', data: TORCH_STATE_PICKLE },
        { name: 'archive/data/0', data: Uint8Array.from([0x80, 0x02, 0xff, 0xfe]) },
      ])
      expect((await scan('m.pt', bytes)).verdict).toBe('safe')
    })
  })

  describe('zip archives', () => {
    const cases: [string, Parameters<typeof buildZip>[0], string][] = [
      ['a ../ entry', [{ name: '../evil.sh', data: 'x' }], 'scan/zip-unsafe-path'],
      ['an absolute entry', [{ name: '/etc/cron.d/x', data: 'x' }], 'scan/zip-unsafe-path'],
      ['a backslash entry', [{ name: 'a\\..\\b', data: 'x' }], 'scan/zip-unsafe-path'],
      [
        'a symlink entry',
        [{ name: 'link', data: '/etc/passwd', mode: 0o120777 }],
        'scan/zip-symlink',
      ],
      [
        'duplicate names',
        [
          { name: 'a', data: '1' },
          { name: 'a', data: '2' },
        ],
        'scan/zip-duplicate-entry',
      ],
      [
        'a local header that disagrees',
        [{ name: 'a.txt', localName: 'b.pkl', data: 'x' }],
        'scan/zip-header-mismatch',
      ],
    ]
    for (const [what, specs, code] of cases) {
      it(`refuses ${what} before extraction`, async () => {
        const result = await scan('data.zip', buildZip(specs))
        expect(codes(result)).toContain(code)
        expect(result.verdict).toBe('unsafe')
      })
    }

    it('refuses a zip bomb by ratio without inflating it', async () => {
      const bytes = buildZip([
        { name: 'zeros.bin', data: new Uint8Array(20 * 1024 * 1024), method: 8 },
      ])
      const result = await scan('bomb.zip', bytes)
      expect(codes(result)).toContain('scan/zip-bomb')
      expect(result.findings.find((f) => f.code === 'scan/zip-bomb')?.message).toMatch(
        /expands \d+:1/,
      )
      expect(result.verdict).toBe('unsafe')
    })

    it('refuses an archive whose entries add up past the size cap', async () => {
      const bytes = buildZip([{ name: 'a.txt', data: 'hello', declaredSize: 4000 }])
      const result = await scan('big.zip', bytes, { maxZipUncompressed: 1000 })
      expect(codes(result)).toContain('scan/zip-bomb')
    })

    it('refuses an entry that inflates past its declared size', async () => {
      const bytes = buildZip([
        { name: 'archive/data.pkl', data: EVIL_PICKLE_P0, method: 8, declaredSize: 5 },
      ])
      const result = await scan('m.pt', bytes)
      expect(codes(result)).toContain('scan/zip-bomb')
    })

    it('refuses overlapping entries (the overlapping-file bomb)', async () => {
      const bytes = buildZip(
        [
          { name: 'a', data: 'aaaa' },
          { name: 'b', data: 'bbbb' },
        ],
        { overlapLast: true },
      )
      const result = await scan('o.zip', bytes)
      expect(codes(result)).toContain('scan/zip-overlap')
    })

    it('refuses archives with more entries than the cap', async () => {
      const specs = Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, data: 'x' }))
      const result = await scan('many.zip', buildZip(specs), { maxZipEntries: 4 })
      expect(codes(result)).toEqual(['scan/zip-too-many-entries'])
    })

    it('fails closed on a truncated archive', async () => {
      const bytes = torchZip(TORCH_STATE_PICKLE)
      const result = await scan('cut.pt', bytes.subarray(0, bytes.length - 30))
      expect(codes(result)).toContain('scan/zip-malformed')
      expect(result.verdict).toBe('error')
    })

    it('reports encrypted and unknown-method entries it cannot inspect', async () => {
      const bytes = buildZip([{ name: 'x.pkl', data: 'abc', method: 12 }])
      const result = await scan('x.zip', bytes)
      expect(codes(result)).toContain('scan/zip-unsupported-method')
      const encrypted = buildZip([{ name: 'y.bin', data: 'abc' }])
      encrypted[6] = 0x01 // local header flags
      const cd = encrypted.length - 22 - (46 + 5)
      encrypted[cd + 8] = 0x01
      expect(codes(await scan('y.zip', encrypted))).toContain('scan/zip-encrypted')
    })

    it('scans archives inside archives, and refuses them nested too deep', async () => {
      const inner = buildZip([{ name: 'evil.pkl', data: EVIL_PICKLE_P0 }])
      const zip = await scan('outer.zip', buildZip([{ name: 'inner.zip', data: inner, method: 8 }]))
      expect(zip).toMatchObject({ verdict: 'unsafe' })
      expect(zip.findings.map((f) => [f.code, f.message])).toContainEqual([
        'scan/pickle-dangerous-import',
        'inner.zip: evil.pkl: pickle imports os.system, which can run code when loaded',
      ])
      expect(zip.imports).toEqual([
        { module: 'os', name: 'system', allowed: false, entry: 'inner.zip' },
      ])
      const tar = await scan(
        'outer.tar',
        buildTar([
          { name: 'x.tgz', data: gzipSync('x') },
          { name: 'y.tar', data: buildTar([{ name: 'a', data: 'b' }]) },
        ]),
      )
      expect(tar).toMatchObject({ verdict: 'safe', findings: [] })
      let deep = buildZip([{ name: 'a.txt', data: 'a' }])
      for (let level = 0; level < 5; level++)
        deep = buildZip([{ name: `l${level}.zip`, data: deep }])
      const refused = await scan('deep.zip', deep)
      expect(refused.verdict).toBe('error')
      expect(codes(refused)).toEqual(['scan/nested-archive'])
    })

    it('passes a plain archive of data files', async () => {
      const bytes = buildZip([
        { name: 'train.csv', data: 'a,b\n1,2\n', method: 8 },
        { name: 'README.md', data: '# data' },
      ])
      expect(await scan('data.zip', bytes)).toMatchObject({
        format: 'zip',
        verdict: 'safe',
        findings: [],
      })
    })
  })

  describe('safetensors that start like a pickle', () => {
    it('reads a header of 640 bytes (0x80 0x02 …) as safetensors, not as a pickle', async () => {
      const tensors = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }
      const json = JSON.stringify(tensors)
      const padded = `${json}${' '.repeat(640 - json.length)}`
      const bytes = safetensors(padded, 8)
      expect([bytes[0], bytes[1]]).toEqual([0x80, 0x02])
      const result = await scan('model.safetensors', bytes)
      expect(result.format).toBe('safetensors')
      expect(result.verdict).toBe('safe')
    })

    it('flags imports a pickle reader would reach inside a safetensors-looking header', async () => {
      // PROTO 2, then BINSTRING whose 4-byte length (3) skips past the "{" of the header.
      const bytes = concat([0x80, 0x02, 0x54, 0x03, 0, 0, 0, 0x20], '{"', 'cos\nsystem\n', [0x2e])
      const result = await scan('model.safetensors', bytes)
      expect(result.format).toBe('safetensors')
      expect(codes(result)).toContain('scan/pickle-dangerous-import')
      expect(result.verdict).toBe('unsafe')
    })
  })

  describe('other model formats', () => {
    it('notes TorchScript archives, whose code runs on torch.jit.load', async () => {
      const bytes = buildZip([
        { name: 'archive/data.pkl', data: TORCH_STATE_PICKLE },
        { name: 'archive/constants.pkl', data: concat([0x80, 0x02], ').') },
        { name: 'archive/code/__torch__/model.py', data: 'def forward(self, x):\n  return x\n' },
      ])
      const result = await scan('model.pt', bytes)
      expect(result).toMatchObject({ format: 'pytorch-zip', verdict: 'safe' })
      expect(codes(result)).toEqual(['scan/torchscript', 'scan/unsafe-format'])
    })

    it('flags Keras Lambda layers in .keras archives and .h5 files', async () => {
      const config = JSON.stringify({
        class_name: 'Functional',
        config: { layers: [{ class_name: 'Lambda', config: { function: 'YmFk' } }] },
      })
      const keras = await scan(
        'model.keras',
        buildZip([
          { name: 'config.json', data: config, method: 8 },
          { name: 'model.weights.h5', data: 'x' },
        ]),
      )
      expect(codes(keras)).toEqual(['scan/keras-lambda'])
      expect(keras.verdict).toBe('unsafe')
      const hdf5 = (body: string) => concat([0x89], 'HDF\r\n\x1a\n', new Uint8Array(3000), body)
      const h5 = await scan('model.h5', hdf5('{"class_name": "TFOpLambda", "config": {}}'))
      expect(h5).toMatchObject({ format: 'hdf5', verdict: 'unsafe' })
      expect(h5.findings[0]?.message).toBe(
        'the HDF5 model config declares a Keras TFOpLambda layer',
      )
      expect(await scan('data.h5', hdf5('{"class_name": "Dense"}'))).toMatchObject({
        format: 'hdf5',
        verdict: 'safe',
        findings: [],
      })
    })

    it('opens gzip streams holding pickles, as joblib writes them', async () => {
      const evil = await scan('model.joblib', gzipSync(EVIL_PICKLE_P4))
      expect(evil).toMatchObject({ format: 'gzip', verdict: 'unsafe' })
      expect(codes(evil)).toEqual(['scan/pickle-dangerous-import', 'scan/unsafe-format'])
      const zlib = await scan('model.joblib', deflateSync(EVIL_PICKLE_P0))
      expect(zlib).toMatchObject({ format: 'zlib', verdict: 'unsafe' })
      expect(await scan('notes.txt', new TextEncoder().encode('x^2 + 1\n'))).toMatchObject({
        format: 'text',
      })
      const text = await scan('data.csv.gz', gzipSync('a,b\n1,2\n'))
      expect(text).toMatchObject({ format: 'gzip', verdict: 'safe', findings: [] })
      const bomb = concat([0x80, 0x02, 0x42], u32(4_000_000), new Uint8Array(4_000_000), '.')
      expect(
        codes(await scan('big.pkl.gz', gzipSync(bomb), { maxPickleBytes: 1_000_000 })),
      ).toEqual(['scan/too-large'])
    })
  })

  describe('tar archives', () => {
    it('scans pickles inside and lists their imports', async () => {
      const tar = buildTar([
        { name: 'model/data.pkl', data: EVIL_PICKLE_P0 },
        { name: 'README.md', data: '# x' },
      ])
      const result = await scan('model.tar', tar)
      expect(result.format).toBe('tar')
      expect(result.verdict).toBe('unsafe')
      expect(result.imports?.[0]).toMatchObject({
        module: 'os',
        name: 'system',
        entry: 'model/data.pkl',
      })
    })

    it('refuses escaping members, pax paths and links before reading', async () => {
      expect(codes(await scan('a.tar', buildTar([{ name: '../../x', data: 'x' }])))).toEqual([
        'scan/zip-unsafe-path',
      ])
      expect(
        codes(await scan('a.tar', buildTar([{ name: 'ok', pax: '/etc/cron.d/x', data: 'x' }]))),
      ).toEqual(['scan/zip-unsafe-path'])
      expect(codes(await scan('a.tar', buildTar([{ name: 'l', type: '2' }])))).toEqual([
        'scan/zip-symlink',
      ])
    })

    it("fails closed on torch's pre-1.0 tar layout and on truncated archives", async () => {
      const legacy = buildTar([
        { name: 'sys_info', data: concat([0x80, 0x02], '}.') },
        { name: 'pickle', data: TORCH_STATE_PICKLE },
        { name: 'storages', data: concat([0x80, 0x02], 'K\x01.') },
      ])
      const result = await scan('old.pt', legacy)
      expect(codes(result)).toEqual(['scan/legacy-torch-tar', 'scan/unsafe-format'])
      expect(result.verdict).toBe('error')
      const cut = buildTar([{ name: 'a.txt', data: 'x'.repeat(2000) }]).subarray(0, 1024)
      expect(codes(await scan('a.tar', cut))).toEqual(['scan/tar-malformed'])
    })

    it('passes a tar of data files', async () => {
      expect(await scan('d.tar', buildTar([{ name: 'train.csv', data: 'a,b\n' }]))).toMatchObject({
        format: 'tar',
        verdict: 'safe',
        findings: [],
      })
    })
  })

  describe('safetensors', () => {
    const tensor = { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }
    it('returns the tensor table and metadata of a valid file', async () => {
      const header = {
        __metadata__: { format: 'pt' },
        'a.weight': tensor,
        'b.bias': { dtype: 'BF16', shape: [3], data_offsets: [16, 22] },
      }
      const result = await scan('model.safetensors', safetensors(header, 22))
      expect(result).toMatchObject({
        format: 'safetensors',
        verdict: 'safe',
        verifiedFormat: true,
        findings: [],
      })
      expect(result.metadata).toEqual({ format: 'pt' })
      expect(result.tensors).toEqual([
        { name: 'a.weight', dtype: 'F32', shape: [2, 2], params: 4, offsets: [0, 16] },
        { name: 'b.bias', dtype: 'BF16', shape: [3], params: 3, offsets: [16, 22] },
      ])
    })

    it('finds a safetensors file named .txt', async () => {
      const result = await scan('weights.txt', safetensors({ t: tensor }, 16))
      expect(result).toMatchObject({ format: 'safetensors', verdict: 'safe' })
    })

    const broken: [string, Uint8Array, string][] = [
      [
        'a header past the end',
        safetensors({ t: tensor }, 16).subarray(0, 30),
        'scan/safetensors-truncated',
      ],
      [
        'data past the end of the file',
        safetensors({ t: tensor }, 8),
        'scan/safetensors-truncated',
      ],
      [
        'a huge header length',
        safetensors({ t: tensor }, 16, 200_000_000n),
        'scan/safetensors-header-too-large',
      ],
      [
        'overlapping offsets',
        safetensors({ a: tensor, b: { ...tensor, data_offsets: [8, 24] } }, 24),
        'scan/safetensors-bad-offsets',
      ],
      [
        'a gap between tensors',
        safetensors({ a: { ...tensor, data_offsets: [4, 20] } }, 20),
        'scan/safetensors-bad-offsets',
      ],
      [
        'duplicate keys',
        safetensors(`{"t":${JSON.stringify(tensor)},"t":${JSON.stringify(tensor)}}`, 16),
        'scan/safetensors-duplicate-key',
      ],
      ['trailing bytes', safetensors({ t: tensor }, 20), 'scan/safetensors-trailing-bytes'],
      [
        'non-string metadata',
        safetensors({ __metadata__: { epochs: 3 }, t: tensor }, 16),
        'scan/safetensors-bad-metadata',
      ],
      [
        'a bad dtype',
        safetensors({ t: { ...tensor, dtype: 'F31' } }, 16),
        'scan/safetensors-bad-dtype',
      ],
      [
        'a shape that disagrees with its bytes',
        safetensors({ t: { ...tensor, shape: [2, 3] } }, 16),
        'scan/safetensors-size-mismatch',
      ],
      [
        'an unknown tensor field',
        safetensors({ t: { ...tensor, extra: 1 } }, 16),
        'scan/safetensors-bad-tensor',
      ],
      [
        'a shape written as floats',
        safetensors('{"t":{"dtype":"F32","shape":[2.0,2],"data_offsets":[0,16]}}', 16),
        'scan/safetensors-bad-tensor',
      ],
      ['a header that is not JSON', safetensors('{"t": [', 0), 'scan/safetensors-bad-header'],
      [
        'a header that is not UTF-8',
        concat(Uint8Array.of(3, 0, 0, 0, 0, 0, 0, 0), [0x7b, 0x22, 0xff]),
        'scan/safetensors-bad-header',
      ],
    ]
    for (const [what, bytes, code] of broken) {
      it(`fails closed on ${what}`, async () => {
        const result = await scanFile(bytesSource('model.safetensors', bytes))
        expect(codes(result)).toContain(code)
        expect(result.verdict).toBe('error')
        expect(result.verifiedFormat).toBe(false)
      })
    }

    it('reports a file shorter than its length prefix', async () => {
      const { readSafetensorsHeader } = await import('./safetensors.ts')
      const header = await readSafetensorsHeader(
        bytesSource('x.safetensors', Uint8Array.of(1, 2, 3)),
      )
      expect(header.findings.map((f) => f.code)).toEqual(['scan/safetensors-truncated'])
      expect(header.findings[0]?.message).toBe(
        'file is 3 bytes, shorter than the 8-byte header length',
      )
    })

    it('reads a small header with a single read of the source, whatever the file size', async () => {
      const bytes = safetensors({ t: tensor }, 16)
      const reads: [number, number][] = []
      const source = bytesSource('big.safetensors', bytes)
      const result = await scanFile({
        ...source,
        // Claims a terabyte: nothing past the header may be read.
        size: bytes.length + 2 ** 40 - 16,
        read: (start, end) => {
          reads.push([start, end])
          return source.read(start, end)
        },
      })
      expect(reads).toEqual([[0, 65536]])
      expect(codes(result)).toEqual(['scan/safetensors-trailing-bytes'])
    })

    it('computes sizes in BigInt so hostile shapes cannot overflow', async () => {
      const huge = { dtype: 'F64', shape: [2 ** 40, 2 ** 40, 2 ** 40], data_offsets: [0, 0] }
      const result = await scan('x.safetensors', safetensors({ t: huge }, 0))
      expect(result.findings[0]?.message).toContain('10633823966279326983230456482242756608 bytes')
    })

    it('warns when a pickle hides behind a .safetensors name', async () => {
      const result = await scan('model.safetensors', EVIL_PICKLE_P4)
      expect(codes(result)).toContain('scan/extension-mismatch')
      expect(result.verdict).toBe('unsafe')
    })
  })

  describe('GGUF', () => {
    const meta = {
      'general.architecture': { type: 'string', value: 'llama' },
      'general.alignment': { type: 'u32', value: 32 },
      'tokenizer.ggml.tokens': { type: 'strings', value: ['<s>', '</s>', 'a'] },
      'tokenizer.ggml.token_type': { type: 'i32s', value: [1, 1, 1] },
      'general.quantized': { type: 'bool', value: true },
      'tokenizer.chat_template': {
        type: 'string',
        value: "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{% endfor %}",
      },
    } as const
    const tensors = [
      { name: 'tok_embd.weight', dims: [4, 2], type: 0, offset: 0 },
      { name: 'blk.0.ffn.weight', dims: [32, 1], type: 8, offset: 32 },
    ]

    it('passes a valid file and returns its scalar metadata', async () => {
      const result = await scan('model.gguf', gguf(meta, tensors, 32 + 34))
      expect(result).toMatchObject({
        format: 'gguf',
        verdict: 'safe',
        verifiedFormat: true,
        findings: [],
      })
      expect(result.metadata?.['general.architecture']).toBe('llama')
      expect(result.metadata?.['general.quantized']).toBe('true')
      expect(result.tensors).toEqual([
        { name: 'tok_embd.weight', dtype: 'F32', shape: [4, 2], params: 8, offsets: [0, 32] },
        { name: 'blk.0.ffn.weight', dtype: 'Q8_0', shape: [32, 1], params: 32, offsets: [32, 66] },
      ])
    })

    it('flags a chat template reaching into Python internals', async () => {
      const evil = "{{ cycler.__init__.__globals__.os.popen('id').read() }}"
      const result = await scan(
        'm.gguf',
        gguf({ ...meta, 'tokenizer.chat_template': { type: 'string', value: evil } }, tensors, 66),
      )
      expect(codes(result)).toEqual(['scan/gguf-template-injection'])
      expect(result.verdict).toBe('unsafe')
    })

    it('flags attr() tricks that build dunder names from pieces', async () => {
      const evil = "{{ ''|attr('_' ~ '_class_' ~ '_') }}"
      const result = await scan(
        'm.gguf',
        gguf({ 'tokenizer.chat_template.tool_use': { type: 'string', value: evil } }, [], 0),
      )
      expect(codes(result)).toEqual(['scan/gguf-template-injection'])
    })

    it('refuses a bad magic and an unknown version', async () => {
      const { scanGguf } = await import('./gguf.ts')
      const bad = await scanGguf(
        bytesSource('m.gguf', gguf(meta, tensors, 66, { magic: 'GGML' })),
        { maxTensors: 10, maxKeys: 10 },
      )
      expect(bad.findings.map((f) => f.code)).toEqual(['scan/gguf-bad-magic'])
      expect((await scan('m.gguf', gguf(meta, tensors, 66, { magic: 'GGML' }))).format).toBe(
        'unknown',
      )
      const old = await scan('m.gguf', gguf(meta, tensors, 66, { version: 1 }))
      expect(codes(old)).toEqual(['scan/gguf-bad-version'])
      expect(old.verdict).toBe('error')
    })

    it('refuses counts over the caps before reading them', async () => {
      const result = await scan('m.gguf', gguf(meta, tensors, 66), { maxGgufKeys: 3 })
      expect(codes(result)).toEqual(['scan/gguf-too-many'])
    })

    it('refuses metadata arrays claiming more elements than any vocabulary', async () => {
      const key = 'tokenizer.ggml.tokens'
      const bytes = concat(
        'GGUF',
        u32(3),
        u64(0),
        u64(1),
        u64(key.length),
        key,
        u32(9),
        u32(8),
        u64(20_000_000),
      )
      const result = await scan('m.gguf', bytes)
      expect(codes(result)).toEqual(['scan/gguf-too-many'])
      expect(result.findings[0]?.message).toBe('metadata arrays hold more than 16000000 elements')
    })

    it('refuses tensor data past the end of the file', async () => {
      const result = await scan('m.gguf', gguf(meta, tensors, 40))
      expect(codes(result)).toEqual(['scan/gguf-out-of-bounds'])
    })

    it('fails closed on a truncated header and unknown types', async () => {
      const bytes = gguf(meta, tensors, 66)
      expect(codes(await scan('m.gguf', bytes.subarray(0, 60)))).toEqual(['scan/gguf-malformed'])
      const unknownType = gguf(meta, [{ name: 't', dims: [4], type: 31, offset: 0 }], 32)
      expect(codes(await scan('m.gguf', unknownType))).toEqual(['scan/gguf-malformed'])
    })
  })

  describe('ONNX', () => {
    it('passes a minimal valid model', async () => {
      const result = await scan('model.onnx', onnxModel())
      expect(result).toMatchObject({
        format: 'onnx',
        verdict: 'safe',
        verifiedFormat: false,
        findings: [],
      })
    })

    it('lists external data and refuses locations that escape the item', async () => {
      const result = await scan(
        'model.onnx',
        onnxModel({ external: ['weights.bin', '../../etc/passwd', '/abs'] }),
      )
      expect(result.externalData).toEqual(['weights.bin', '../../etc/passwd', '/abs'])
      expect(codes(result)).toEqual([
        'scan/onnx-external-data-escape',
        'scan/onnx-external-data-escape',
      ])
      expect(result.verdict).toBe('unsafe')
    })

    it('follows training graphs and functions to their tensors', async () => {
      const escaping = pb.bytes(
        5,
        concat(
          pb.bytes(8, 'w'),
          pb.bytes(13, concat(pb.bytes(1, 'location'), pb.bytes(2, '../w.bin'))),
        ),
      )
      const training = pb.bytes(20, pb.bytes(2, escaping))
      const constant = pb.bytes(
        5,
        concat(
          pb.bytes(1, 'value'),
          pb.bytes(
            5,
            concat(pb.bytes(13, concat(pb.bytes(1, 'location'), pb.bytes(2, '/abs.bin')))),
          ),
        ),
      )
      const fn = pb.bytes(
        25,
        concat(pb.bytes(1, 'f'), pb.bytes(7, concat(pb.bytes(4, 'Constant'), constant))),
      )
      const result = await scan('m.onnx', concat(onnxModel(), training, fn))
      expect(result.externalData).toEqual(['../w.bin', '/abs.bin'])
      expect(result.verdict).toBe('unsafe')
    })

    it('requires a graph, an opset import and a known IR version', async () => {
      expect(codes(await scan('m.onnx', onnxModel({ graph: false })))).toEqual([
        'scan/onnx-no-graph',
      ])
      expect(codes(await scan('m.onnx', onnxModel({ opset: false })))).toEqual([
        'scan/onnx-no-opset',
      ])
      const { scanOnnx } = await import('./onnx.ts')
      const bad = await scanOnnx(bytesSource('m.onnx', onnxModel({ irVersion: 99 })))
      expect(bad.findings.map((f) => f.code)).toEqual(['scan/onnx-bad-ir-version'])
    })

    it('fails closed on a truncated model', async () => {
      const bytes = onnxModel({ external: ['w.bin'] })
      const result = await scan('m.onnx', bytes.subarray(0, bytes.length - 10))
      expect(codes(result)).toContain('scan/onnx-malformed')
      expect(result.verdict).toBe('error')
    })

    it('refuses models over the size limit', async () => {
      const result = await scan('m.onnx', onnxModel(), { maxOnnxBytes: 10 })
      expect(codes(result)).toEqual(['scan/too-large'])
    })
  })

  describe('numpy', () => {
    it('scans the pickle body of an object-dtype .npy', async () => {
      const result = await scan('arr.npy', npy("'|O'", EVIL_PICKLE_P4))
      expect(result.format).toBe('npy')
      expect(result.verdict).toBe('unsafe')
      expect(codes(result)).toEqual(['scan/pickle-dangerous-import', 'scan/unsafe-format'])
    })

    it('finds object fields in structured dtypes and inside .npz archives', async () => {
      const structured = npy("[('id', '<i4'), ('obj', '|O')]", EVIL_PICKLE_P0)
      const result = await scan(
        'arrays.npz',
        buildZip([{ name: 'a.npy', data: structured, method: 8 }]),
      )
      expect(result.verdict).toBe('unsafe')
      expect(result.imports?.[0]?.entry).toBe('a.npy')
    })

    it('passes a numeric array without reading its body', async () => {
      const result = await scan('arr.npy', npy("'<f4'", new Uint8Array(4)))
      expect(result).toMatchObject({ format: 'npy', verdict: 'safe', findings: [] })
    })

    it('fails closed on a corrupt header', async () => {
      const bytes = npy("'<f4'", new Uint8Array(4))
      bytes[6] = 9
      expect(codes(await scan('arr.npy', bytes))).toEqual(['scan/npy-malformed'])
    })
  })

  describe('other formats', () => {
    it('recognises UTF-8 text whatever its name', async () => {
      for (const [name, text] of [
        ['train.csv', 'smiles,label\nCCO,1\n'],
        ['data.jsonl', '{"a":1}\n{"a":2}\n'],
        ['README.md', '# Tox21 ✓\n'],
        ['mol.sdf', 'benzene\n  RDKit\n\n  6  6  0\nM  END\n$$$$\n'],
        ['config.yaml', 'cfg:\n  lr: 0.1\n'],
      ]) {
        expect(await scan(name as string, new TextEncoder().encode(text))).toMatchObject({
          format: 'text',
          verdict: 'safe',
          findings: [],
        })
      }
    })

    it('does not mistake text starting with pickle opcodes for a pickle', async () => {
      const result = await scan(
        'cats.csv',
        new TextEncoder().encode('cat,dog\n1,2\nI like cats\n.'),
      )
      expect(result.format).toBe('text')
    })

    it('warns on unknown binary formats, and fails them under strict', async () => {
      const bytes = Uint8Array.of(0, 1, 2, 3, 0xfe, 0xff)
      const loose = await scan('blob.dat', bytes)
      expect(loose).toMatchObject({ format: 'unknown', verdict: 'safe' })
      expect(codes(loose)).toEqual(['scan/unknown-format'])
      expect((await scan('blob.dat', bytes, { strict: true })).verdict).toBe('error')
      expect(codes(await scan('x.gz', Uint8Array.of(0x1f, 0x8b, 8, 0)))).toEqual([
        'scan/stream-corrupt',
      ])
    })

    it('reports a file that cannot be read as an error', async () => {
      const result = await scanPath(join(dir, 'does-not-exist.safetensors'))
      expect(result).toMatchObject({ verdict: 'error', format: 'unknown' })
      expect(result.findings[0]).toMatchObject({
        code: 'scan/read-failed',
        message: 'could not open the file: ENOENT',
      })
      const failing = await scanFile({
        path: 'flaky.bin',
        size: 100,
        read: () => Promise.reject(new Error('connection reset')),
        stream: () => {
          throw new Error('unused')
        },
      })
      expect(failing.findings[0]?.message).toBe('could not read the file: connection reset')
    })

    it('passes empty files and known image and parquet data', async () => {
      expect((await scan('empty', new Uint8Array(0))).format).toBe('empty')
      expect((await scan('a.parquet', latin1('PAR1....PAR1'))).format).toBe('parquet')
    })
  })
})

describe('core/scan/zip (deflate sanity)', () => {
  it('round-trips a deflated pickle entry', async () => {
    const bytes = buildZip([{ name: 'archive/data.pkl', data: TORCH_STATE_PICKLE, method: 8 }])
    expect(deflateRawSync(TORCH_STATE_PICKLE).length).toBeGreaterThan(0)
    expect((await scan('m.pt', bytes)).verdict).toBe('safe')
  })
})
