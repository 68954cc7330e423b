import { deflateSync, gzipSync, zstdCompressSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import {
  buildTar,
  buildZip,
  concat,
  EVIL_PICKLE_P0,
  EVIL_PICKLE_P4,
  npy,
  TORCH_STATE_PICKLE,
  u64,
} from './__fixtures__/build.ts'
import { UNSUPPORTED_STREAMS } from './__fixtures__/corpus.ts'
import { bytesSource, type ScanOptions, type ScanResult, scanFile } from './index.ts'

const scan = (path: string, bytes: Uint8Array, options?: ScanOptions): Promise<ScanResult> =>
  scanFile(bytesSource(path, bytes), options)
const codes = (result: ScanResult): string[] => result.findings.map((f) => f.code)

describe('core/scan (containers)', () => {
  it('opens gzip, zlib and zstd streams and scans what they hold', async () => {
    for (const [name, bytes] of [
      ['model.pkl.gz', gzipSync(EVIL_PICKLE_P0)],
      ['model.joblib', deflateSync(EVIL_PICKLE_P4)],
      ['model.pkl.zst', zstdCompressSync(EVIL_PICKLE_P0)],
      ['model.bin', gzipSync(gzipSync(EVIL_PICKLE_P0))],
    ] as const) {
      const result = await scan(name, bytes)
      expect(result.verdict, name).toBe('unsafe')
      expect(codes(result), name).toContain('scan/pickle-dangerous-import')
    }
    const clean = await scan('state.pkl.zst', zstdCompressSync(TORCH_STATE_PICKLE))
    expect(clean).toMatchObject({ format: 'zstd', verdict: 'safe' })
  })

  it('scans a zip, a tar or a gzip inside a zip or a tar', async () => {
    const evilZip = buildZip([{ name: 'data.pkl', data: EVIL_PICKLE_P0 }])
    const cases: [string, Uint8Array][] = [
      ['outer.zip', buildZip([{ name: 'inner.zip', data: evilZip, method: 8 }])],
      ['outer.zip', buildZip([{ name: 'm.pkl.gz', data: gzipSync(EVIL_PICKLE_P0) }])],
      [
        'outer.zip',
        buildZip([{ name: 'm.tar', data: buildTar([{ name: 'x.pkl', data: EVIL_PICKLE_P0 }]) }]),
      ],
      ['model.tar.gz', gzipSync(buildTar([{ name: 'model/data.pkl', data: EVIL_PICKLE_P0 }]))],
      ['outer.tar', buildTar([{ name: 'w.zip', data: evilZip }])],
      ['outer.tar', buildTar([{ name: 'anything', data: zstdCompressSync(EVIL_PICKLE_P4) }])],
    ]
    for (const [name, bytes] of cases) {
      const result = await scan(name, bytes)
      expect(result.verdict, name).toBe('unsafe')
    }
  })

  it('scans a zip entry named like a folder that holds bytes', async () => {
    // Python's zipfile (and so np.load of an .npz) reads such an entry's bytes like any other.
    for (const [name, data] of [
      ['data.pkl/', EVIL_PICKLE_P0],
      ['archive/', EVIL_PICKLE_P4],
      ['x.npy/', npy("'|O'", EVIL_PICKLE_P4)],
    ] as const) {
      for (const method of [0, 8] as const) {
        const result = await scan('o.zip', buildZip([{ name, data, method }]))
        expect(result.verdict, `${name} ${method}`).toBe('unsafe')
      }
    }
    const folder = await scan('o.zip', buildZip([{ name: 'weights/', data: '' }]))
    expect(folder.verdict).toBe('safe')
  })

  it('refuses a tar member that extractors would read past differently', async () => {
    // Python's tarfile reads the next header straight after a folder, link or device
    // header, whatever size it claims: bytes hidden there are members to it.
    const hidden = buildTar([{ name: 'evil.pkl', data: EVIL_PICKLE_P0 }]).subarray(0, -1024)
    for (const [name, type] of [
      ['weights', '5'],
      ['weights/', '\0'],
      ['link', '1'],
      ['link', '2'],
      ['tty', '3'],
      ['disk', '4'],
      ['pipe', '6'],
    ] as const) {
      const result = await scan('o.tar', buildTar([{ name, type, data: hidden }]))
      expect(result.verdict, `${name} ${type}`).not.toBe('safe')
      expect(codes(result), `${name} ${type}`).toContain('scan/tar-malformed')
    }
    const folder = await scan('o.tar', buildTar([{ name: 'weights', type: '5' }]))
    expect(folder.verdict).toBe('safe')
  })

  it('scans tar members of a type extractors take for a regular file', async () => {
    for (const type of ['Z', 'S', '\0']) {
      const result = await scan(
        'o.tar',
        buildTar([{ name: 'weights', type, data: EVIL_PICKLE_P0 }]),
      )
      expect(result.verdict, type).toBe('unsafe')
    }
  })

  it('walks protocol 0 pickles in entries with no pickle name or magic', async () => {
    const zip = await scan('o.zip', buildZip([{ name: 'model', data: EVIL_PICKLE_P0, method: 8 }]))
    expect(zip.verdict).toBe('unsafe')
    const tar = await scan('o.tar', buildTar([{ name: 'weights', data: EVIL_PICKLE_P0 }]))
    expect(tar.verdict).toBe('unsafe')
    const text = await scan('o.zip', buildZip([{ name: 'notes', data: 'I like cats\n' }]))
    expect(text.verdict).toBe('safe')
  })

  it('refuses streams node cannot decompress as scan/unsupported-compression', async () => {
    for (const [name, bytes] of Object.entries(UNSUPPORTED_STREAMS)) {
      const result = await scan(name, bytes)
      expect(result.verdict, name).toBe('error')
      expect(codes(result), name).toEqual(['scan/unsupported-compression'])
    }
    const inZip = await scan(
      'outer.zip',
      buildZip([{ name: 'm.bz2', data: UNSUPPORTED_STREAMS['model.pkl.bz2'] as Uint8Array }]),
    )
    expect(codes(inZip)).toEqual(['scan/unsupported-compression'])
  })

  it('caps expansion by ratio (scan/compression-bomb) and by total size (scan/too-large)', async () => {
    const zeros = gzipSync(new Uint8Array(80 * 1024 * 1024))
    const bomb = await scan('zeros.gz', zeros)
    expect(codes(bomb)).toEqual(['scan/compression-bomb'])
    expect(bomb.verdict).toBe('unsafe')
    const pickleBomb = gzipSync(
      concat([0x80, 0x04, 0x8e], u64(4 * 1024 * 1024), new Uint8Array(4 * 1024 * 1024), '.'),
    )
    expect(codes(await scan('bomb.pkl.gz', pickleBomb))).toEqual(['scan/compression-bomb'])
    const pickle = gzipSync(concat([0x80, 0x04], 'N.'.repeat(100_000)))
    expect(codes(await scan('big.pkl.gz', pickle, { maxPickleBytes: 100_000 }))).toEqual([
      'scan/too-large',
    ])
  })

  it('streams data that cannot hold code, whatever its size, without buffering it', async () => {
    const csv = gzipSync(new TextEncoder().encode('a,b\n'.repeat(200_000)))
    const text = await scan('big.csv.gz', csv, { maxPickleBytes: 100_000 })
    expect(text).toMatchObject({ format: 'gzip', verdict: 'safe', findings: [] })
    const small = { maxPickleBytes: 1000 }
    const inZip = await scan('d.zip', buildZip([{ name: 'big.csv.gz', data: csv }]), small)
    expect(inZip).toMatchObject({ verdict: 'safe', findings: [] })
    const inTar = await scan('d.tar', buildTar([{ name: 'big.csv.gz', data: csv }]), small)
    expect(inTar).toMatchObject({ verdict: 'safe', findings: [] })
    const binary = zstdCompressSync(Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) % 251))
    expect(codes(await scan('blob.zst', binary))).toEqual(['scan/unknown-format'])
  })

  it('scans what a corrupt stream holds before the damage', async () => {
    const gz = gzipSync(EVIL_PICKLE_P0)
    const cut = gz.subarray(0, gz.length - 4)
    const result = await scan('model.pkl.gz', cut)
    expect(codes(result)).toEqual(
      expect.arrayContaining(['scan/stream-corrupt', 'scan/pickle-dangerous-import']),
    )
  })
})
