import { describe, expect, it } from 'vitest'
import { describeItem } from './describe.ts'
import type { LoadedItem } from './resolve.ts'

const hash = 'a'.repeat(64)
const loaded = (extra: Partial<LoadedItem> = {}): LoadedItem => ({
  ref: { kind: 'model', ns: 'acme', name: 'tox' },
  entry: {
    v: 1,
    kind: 'model',
    id: 'acme/tox',
    'dist-tags': { latest: '1.10.0' },
    status: { state: 'taken-down', reason: 'licence dispute' },
    versions: {
      '1.9.0': { files: [{ path: 'a.bin', size: 3, sha256: hash }] },
      '1.10.0': { files: [{ path: 'b.bin', size: 4, sha256: hash, private: true }] },
    },
  },
  warnings: [],
  source: 'http://127.0.0.1:1',
  ...extra,
})

describe('core/client/describe', () => {
  it('orders versions by semver and describes a taken-down item instead of refusing it', () => {
    const info = describeItem(loaded())
    expect(info.versions.map((v) => v.version)).toEqual(['1.10.0', '1.9.0'])
    expect(info.status).toEqual({ state: 'taken-down', reason: 'licence dispute' })
    expect(info.selected).toEqual({
      version: '1.10.0',
      files: [{ path: 'b.bin', size: 4, sha256: hash, private: true }],
      totalSize: 4,
    })
  })

  it('refuses a version on a collection with client/bad-spec', () => {
    const collection = loaded({
      ref: { kind: 'collection', ns: 'c', name: 'kit' },
      wanted: '1.0.0',
      entry: { v: 1, kind: 'collection', id: 'c/kit', 'dist-tags': {}, versions: {}, members: [] },
    })
    expect(() => describeItem(collection)).toThrow(
      expect.objectContaining({ code: 'client/bad-spec' }),
    )
    expect(describeItem({ ...collection, wanted: undefined }).members).toEqual([])
  })

  it('refuses an unsafe file path from a hostile index', () => {
    const bad = loaded()
    ;(bad.entry.versions['1.10.0'] as { files: { path: string }[] }).files[0] = {
      path: '../escape',
      size: 1,
      sha256: hash,
    } as never
    expect(() => describeItem(bad)).toThrow(expect.objectContaining({ code: 'client/unsafe-path' }))
  })
})
