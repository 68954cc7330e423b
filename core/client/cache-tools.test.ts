import { chmod, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sha256, startTestHub, type TestHub } from './__fixtures__/test-hub.ts'
import { fingerprintPath, sealBlob } from './blob-check.ts'
import { blobCachePath, snapshotDir } from './cache.ts'
import { applyPrune, planPrune } from './cache-prune.ts'
import { parseItemDir, scanCache } from './cache-scan.ts'
import { verifyCache } from './cache-verify.ts'
import { type PullOptions, pull } from './pull.ts'
import { resolve } from './resolve.ts'

const tox = { kind: 'model' as const, ns: 'acme', name: 'tox' }
const other = { kind: 'model' as const, ns: 'acme', name: 'other' }
const config = Buffer.from('{"hidden": 64}')
const w1 = Buffer.from('weights one')
const w2 = Buffer.from('weights two, longer')
const o1 = Buffer.from('other weights')
const DAY = 86_400_000

describe('core/client cache tools', () => {
  let hub: TestHub
  let work: string
  let cache: string
  beforeAll(async () => {
    hub = await startTestHub({
      'acme/tox': {
        '1.0.0': { 'model.bin': w1, 'config.json': config },
        '2.0.0': { 'model.bin': w2, 'config.json': config },
      },
      'acme/other': { '0.1.0': { 'weights/o.bin': o1 } },
    })
  })
  afterAll(async () => {
    await hub?.close()
    await rm(work, { recursive: true, force: true })
  })
  const options = (): PullOptions => ({
    fetch: globalThis.fetch,
    indexUrl: hub.url,
    publicKey: hub.publicKey,
    cacheDir: cache,
    lockFile: undefined,
  })
  beforeEach(async () => {
    if (work) await rm(work, { recursive: true, force: true })
    work = await mkdtemp(join(tmpdir(), 'agora-cache-tools-'))
    cache = join(work, 'cache')
    await pull('acme/tox@1.0.0', options())
    await pull('acme/tox@2.0.0', options())
    await pull('acme/other@0.1.0', options())
  })
  const age = async (ref: typeof tox, version: string, days: number) => {
    const when = new Date(Date.now() - days * DAY)
    await utimes(snapshotDir(cache, ref, version), when, when)
  }

  describe('core/client/cache-scan', () => {
    it('lists items, versions, sizes and last use, skipping what is not an item', async () => {
      await age(tox, '1.0.0', 10)
      const scan = await scanCache(cache)
      expect(scan.items.map((i) => i.id)).toEqual(['acme/other', 'acme/tox'])
      const item = scan.items[1]
      expect(item?.versions.map((v) => [v.version, v.files, v.size])).toEqual([
        ['1.0.0', 2, w1.length + config.length],
        ['2.0.0', 2, w2.length + config.length],
      ])
      // config.json is shared: counted once on disk.
      expect(item?.size).toBe(w1.length + w2.length + config.length)
      expect(scan.size).toBe(w1.length + w2.length + config.length + o1.length)
      expect(Date.now() - (item?.versions[0]?.lastUsed.getTime() ?? 0)).toBeGreaterThan(9 * DAY)
      expect(Date.now() - (item?.lastUsed.getTime() ?? 0)).toBeLessThan(DAY)
      expect((await readdir(cache)).sort()).toContain('.locks')
    })

    it('reads item folder names, refusing foreign ones', () => {
      expect(parseItemDir('datasets--acme--tox21')).toEqual({
        kind: 'dataset',
        ns: 'acme',
        name: 'tox21',
      })
      expect(parseItemDir('.locks')).toBeUndefined()
      expect(parseItemDir('models--acme')).toBeUndefined()
      expect(parseItemDir('robots--acme--x')).toBeUndefined()
    })

    it('an empty or missing cache is empty', async () => {
      expect(await scanCache(join(work, 'nowhere'))).toMatchObject({ items: [], size: 0 })
    })

    it('an item only looked up dates from its index document, not 1970', async () => {
      await resolve('acme/other@0.1.0', { ...options(), cacheDir: join(work, 'looked-up') })
      const scan = await scanCache(join(work, 'looked-up'))
      expect(scan.items.map((i) => [i.id, i.versions.length, i.size])).toEqual([
        ['acme/other', 0, 0],
      ])
      expect(Date.now() - (scan.items[0]?.lastUsed.getTime() ?? 0)).toBeLessThan(DAY)
    })

    it('a pull refreshes the last use of the version it used', async () => {
      await age(tox, '1.0.0', 10)
      await pull('acme/tox@1.0.0', options())
      const scan = await scanCache(cache)
      expect(Date.now() - (scan.items[1]?.versions[0]?.lastUsed.getTime() ?? 0)).toBeLessThan(DAY)
    })
  })

  describe('core/client/cache-verify', () => {
    it('passes a clean cache and reseals every blob', async () => {
      await rm(fingerprintPath(blobCachePath(cache, tox, sha256(w1))))
      const result = await verifyCache(cache)
      expect(result).toEqual({
        checked: 4,
        bytes: w1.length + w2.length + config.length + o1.length,
        corrupt: [],
      })
      expect(await stat(fingerprintPath(blobCachePath(cache, tox, sha256(w1))))).toBeTruthy()
    })

    it('finds a flipped byte even when the fingerprint was forged, and --repair removes it', async () => {
      const blob = blobCachePath(cache, tox, sha256(w2))
      await chmod(blob, 0o644)
      await writeFile(blob, Buffer.from('weights two, LONGER'))
      // A fingerprint matching the edited file: a pull would trust it, verify must not.
      await sealBlob(blob, sha256(w2))
      const found = await verifyCache(cache)
      expect(found.corrupt).toEqual([
        expect.objectContaining({ item: 'acme/tox', sha256: sha256(w2), removed: false }),
      ])
      const repaired = await verifyCache(cache, { repair: true })
      expect(repaired.corrupt[0]?.removed).toBe(true)
      await expect(stat(blob)).rejects.toMatchObject({ code: 'ENOENT' })
      expect((await verifyCache(cache)).corrupt).toEqual([])
      hub.requests.length = 0
      await pull('acme/tox@2.0.0', options())
      expect(hub.requests.filter((r) => r.path.startsWith('/blobs/'))).toHaveLength(1)
    })

    it('reports progress over the total size', async () => {
      let total = 0
      let done = 0
      await verifyCache(cache, {
        onStart: (n) => {
          total = n
        },
        onProgress: (n) => {
          done += n
        },
      })
      expect(done).toBe(total)
      expect(total).toBeGreaterThan(0)
    })
  })

  describe('core/client/cache-prune', () => {
    it('removes a version and only the blobs no other version uses', async () => {
      const plan = planPrune(await scanCache(cache), { item: tox, version: '1.0.0' })
      expect(plan.snapshots.map((s) => `${s.item}@${s.version}`)).toEqual(['acme/tox@1.0.0'])
      expect(plan.blobs.map((b) => b.sha256)).toEqual([sha256(w1)])
      expect(plan.bytes).toBe(w1.length)
      expect(plan.items).toEqual([])
      await applyPrune(cache, plan)
      const scan = await scanCache(cache)
      expect(scan.items[1]?.versions.map((v) => v.version)).toEqual(['2.0.0'])
      expect(scan.items[1]?.blobs.map((b) => b.sha256).sort()).toEqual(
        [sha256(config), sha256(w2)].sort(),
      )
      await expect(stat(fingerprintPath(blobCachePath(cache, tox, sha256(w1))))).rejects.toThrow()
    })

    it('removes a whole item with its lock folder', async () => {
      const plan = planPrune(await scanCache(cache), { item: other })
      expect(plan.items.map((i) => i.item)).toEqual(['acme/other'])
      await applyPrune(cache, plan)
      expect((await readdir(cache)).sort()).toEqual(['.index', '.locks', 'models--acme--tox'])
      expect(await readdir(join(cache, '.locks'))).toEqual(['models--acme--tox'])
    })

    it('removes versions unused for longer than asked, and nothing when none are', async () => {
      await age(tox, '1.0.0', 40)
      await age(other, '0.1.0', 40)
      const now = await scanCache(cache)
      expect(planPrune(now, { olderThanMs: 50 * DAY })).toEqual({
        snapshots: [],
        blobs: [],
        items: [],
        bytes: 0,
      })
      const plan = planPrune(now, { olderThanMs: 30 * DAY })
      expect(plan.snapshots.map((s) => `${s.item}@${s.version}`)).toEqual([
        'acme/other@0.1.0',
        'acme/tox@1.0.0',
      ])
      expect(plan.bytes).toBe(o1.length + w1.length)
    })

    it('a dry run is a plan not applied: nothing moves', async () => {
      const before = await scanCache(cache)
      planPrune(before, { olderThanMs: 0, now: Date.now() + DAY })
      expect(await scanCache(cache)).toEqual(before)
    })

    it('says when the item or version asked for is not cached', async () => {
      const scan = await scanCache(cache)
      expect(() => planPrune(scan, { item: { ...tox, name: 'nope' } })).toThrow(
        expect.objectContaining({
          code: 'client/not-cached',
          message: 'acme/nope is not in the cache',
        }),
      )
      expect(() => planPrune(scan, { item: tox, version: '9.9.9' })).toThrow(
        expect.objectContaining({
          code: 'client/not-cached',
          message: 'acme/tox@9.9.9 is not in the cache',
          hint: 'run "agora cache ls" to see the cached versions',
        }),
      )
    })

    it('refuses to remove anything outside the cache', async () => {
      await expect(
        applyPrune(cache, {
          snapshots: [{ item: 'x', version: '1', dir: join(work, 'elsewhere') }],
          blobs: [],
          items: [],
          bytes: 0,
        }),
      ).rejects.toMatchObject({ code: 'client/unsafe-path' })
    })
  })
})
