import * as fs from 'node:fs'
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sha256, startTestHub, type TestHub } from './__fixtures__/test-hub.ts'
import { fingerprintPath } from './blob-check.ts'
import { blobCachePath, type ClientFs, snapshotDir } from './cache.ts'
import { type PullOptions, pull } from './pull.ts'

const ref = { kind: 'model' as const, ns: 'acme', name: 'tox' }
const weights = Buffer.from('weights: the original bytes of the model')
const config = Buffer.from('{"hidden": 64}')
const weights2 = Buffer.from('weights: the bytes of version two, longer')
const offlineFetch = (() => {
  throw new Error('no network in offline mode')
}) as unknown as typeof fetch

describe('core/client/pull (cache integrity and --to)', () => {
  let hub: TestHub
  let work: string
  let cache: string
  beforeAll(async () => {
    hub = await startTestHub({
      'acme/tox': {
        '1.0.0': { 'model.bin': weights, 'config.json': config },
        '2.0.0': { 'model.bin': weights2, 'config.json': config },
      },
    })
  })
  afterAll(async () => {
    await hub?.close()
  })
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'agora-pull-cache-'))
    cache = join(work, 'cache')
    hub.requests.length = 0
  })
  afterEach(async () => {
    await rm(work, { recursive: true, force: true })
  })

  const options = (extra: Partial<PullOptions> = {}): PullOptions => ({
    fetch: globalThis.fetch,
    indexUrl: hub.url,
    publicKey: hub.publicKey,
    cacheDir: cache,
    lockFile: join(work, 'agora.lock'),
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
    ...extra,
  })
  const blob = (bytes: Buffer) => blobCachePath(cache, ref, sha256(bytes))
  const blobFetches = () => hub.requests.filter((r) => r.path.startsWith('/blobs/')).length
  /** Same length, other bytes: what an edit in place looks like. */
  const flipped = (bytes: Buffer) => Buffer.from(bytes.map((b, i) => (i === 3 ? b ^ 1 : b)))

  describe('the cache does not trust itself', () => {
    it('keeps verified blobs read-only with a fingerprint beside them', async () => {
      await pull('acme/tox@1.0.0', options())
      expect((await stat(blob(weights))).mode & 0o777).toBe(0o444)
      const fingerprint = JSON.parse(await readFile(fingerprintPath(blob(weights)), 'utf8'))
      expect(fingerprint).toMatchObject({
        sha256: sha256(weights),
        size: weights.length,
        ino: String((await stat(blob(weights), { bigint: true })).ino),
      })
    })

    it('does not read an unchanged blob again on the next pull', async () => {
      await pull('acme/tox@1.0.0', options())
      const reads: string[] = []
      const counting: ClientFs = {
        ...fs,
        createReadStream: ((path: string, o: unknown) => {
          reads.push(path)
          return fs.createReadStream(path, o as never)
        }) as ClientFs['createReadStream'],
      }
      const again = await pull('acme/tox@1.0.0', options({ fs: counting }))
      expect(again.files.every((f) => f.cached)).toBe(true)
      expect(reads).toEqual([])
    })

    it('a flipped byte in a blob: refused offline with a hint, fetched again online', async () => {
      await pull('acme/tox@1.0.0', options())
      await chmod(blob(weights), 0o644)
      await writeFile(blob(weights), flipped(weights))
      const error = await pull(
        'acme/tox@1.0.0',
        options({ offline: true, fetch: offlineFetch }),
      ).catch((e) => e)
      expect(error).toMatchObject({
        code: 'client/cache-corrupt',
        message: 'acme/tox@1.0.0: the cached model.bin no longer matches its SHA-256',
        hint: expect.stringContaining('agora cache verify --repair'),
      })
      hub.requests.length = 0
      const again = await pull('acme/tox@1.0.0', options())
      expect(blobFetches()).toBe(1)
      expect(again.warnings).toEqual([
        'acme/tox@1.0.0: the cached model.bin no longer matches its SHA-256; fetching again',
      ])
      expect(await readFile(join(again.snapshot, 'model.bin'))).toEqual(weights)
      expect((await stat(blob(weights))).mode & 0o777).toBe(0o444)
    })

    it('a link planted at a blob is replaced by the bytes, and its target left alone', async () => {
      await pull('acme/tox@1.0.0', options())
      const outside = join(work, 'outside-weights.bin')
      await writeFile(outside, weights)
      await chmod(outside, 0o640)
      await rm(blob(weights), { force: true })
      await rm(`${blob(weights)}.verified`, { force: true })
      await symlink(outside, blob(weights))
      hub.requests.length = 0
      const again = await pull('acme/tox@1.0.0', options())
      expect(blobFetches()).toBe(1)
      expect((await lstat(blob(weights))).isSymbolicLink()).toBe(false)
      expect(await readFile(join(again.snapshot, 'model.bin'))).toEqual(weights)
      expect((await stat(outside)).mode & 0o777).toBe(0o640)
    })

    it('an edit through an opt-in hard link is noticed, and the cache heals', async () => {
      await pull('acme/tox@1.0.0', options({ to: join(work, 'out'), link: 'hardlink' }))
      const placed = join(work, 'out/model.bin')
      expect((await stat(placed)).ino).toBe((await stat(blob(weights))).ino)
      // Read-only, as the blob is: an edit takes a deliberate chmod (or root).
      expect((await stat(placed)).mode & 0o777).toBe(0o444)
      await writeFile(placed, flipped(weights))
      hub.requests.length = 0
      const again = await pull('acme/tox@1.0.0', options())
      expect(blobFetches()).toBe(1)
      expect(await readFile(join(again.snapshot, 'model.bin'))).toEqual(weights)
      // The user's edited file is theirs now, apart from the cache.
      expect(await readFile(placed)).toEqual(flipped(weights))
    })

    it('a blob whose size changed is fetched again', async () => {
      await pull('acme/tox@1.0.0', options())
      await writeFile(blob(config), '{}')
      hub.requests.length = 0
      const again = await pull('acme/tox@1.0.0', options())
      expect(blobFetches()).toBe(1)
      expect(await readFile(join(again.snapshot, 'config.json'))).toEqual(config)
    })

    it('a blob only touched (same bytes) is hashed once and kept', async () => {
      await pull('acme/tox@1.0.0', options())
      await utimes(blob(weights), new Date(), new Date(Date.now() + 5000))
      hub.requests.length = 0
      const again = await pull('acme/tox@1.0.0', options({ offline: true, fetch: offlineFetch }))
      expect(again.warnings).toEqual([])
      expect(hub.requests).toEqual([])
    })
  })

  describe('--to', () => {
    it('places writable copies by default: an edit never reaches the cache', async () => {
      await pull('acme/tox@1.0.0', options({ to: join(work, 'out') }))
      const placed = join(work, 'out/model.bin')
      expect((await stat(placed)).nlink).toBe(1)
      expect((await stat(placed)).mode & 0o200).toBe(0o200)
      await writeFile(placed, flipped(weights))
      const again = await pull('acme/tox@1.0.0', options({ offline: true, fetch: offlineFetch }))
      expect(await readFile(join(again.snapshot, 'model.bin'))).toEqual(weights)
      expect(await readFile(blob(weights))).toEqual(weights)
    })

    it('refuses to overwrite other files of the same name, naming each one', async () => {
      const out = join(work, 'out')
      await mkdir(out, { recursive: true })
      await writeFile(join(out, 'model.bin'), 'my own notes')
      await writeFile(join(out, 'config.json'), '{"mine": true}')
      const error = await pull('acme/tox@1.0.0', options({ to: out })).catch((e) => e)
      expect(error).toMatchObject({
        code: 'client/target-exists',
        file: out,
        message: '2 files already there with other content: config.json, model.bin',
        hint: 'move or rename them, pull into another folder with --to, or pass --force to overwrite them',
      })
      expect(await readFile(join(out, 'model.bin'), 'utf8')).toBe('my own notes')
      expect(blobFetches()).toBe(0)
    })

    it('refuses a file as --to, even with --force, before fetching a blob', async () => {
      const notes = join(work, 'notes.txt')
      await writeFile(notes, 'my own notes')
      for (const force of [false, true]) {
        await expect(pull('acme/tox@1.0.0', options({ to: notes, force }))).rejects.toMatchObject({
          code: 'client/target-not-folder',
          file: notes,
        })
      }
      expect(await readFile(notes, 'utf8')).toBe('my own notes')
      expect(blobFetches()).toBe(0)
    })

    it('refuses a same-size file with other bytes, and a folder in the way', async () => {
      const out = join(work, 'out')
      await mkdir(join(out, 'config.json'), { recursive: true })
      await writeFile(join(out, 'model.bin'), flipped(weights))
      await expect(pull('acme/tox@1.0.0', options({ to: out }))).rejects.toMatchObject({
        code: 'client/target-exists',
        message: expect.stringContaining('config.json (a folder), model.bin'),
      })
    })

    it('accepts identical files already there, and overwrites others with --force', async () => {
      const out = join(work, 'out')
      await mkdir(out, { recursive: true })
      await writeFile(join(out, 'config.json'), config)
      await writeFile(join(out, 'model.bin'), 'mine')
      await expect(pull('acme/tox@1.0.0', options({ to: out }))).rejects.toMatchObject({
        message: expect.stringMatching(/1 file already there with other content: model\.bin$/),
      })
      await pull('acme/tox@1.0.0', options({ to: out, force: true }))
      expect(await readFile(join(out, 'model.bin'))).toEqual(weights)
      await pull('acme/tox@1.0.0', options({ to: out }))
    })

    it('updates files an earlier pull placed, but not ones edited since', async () => {
      const out = join(work, 'out')
      await pull('acme/tox@1.0.0', options({ to: out }))
      await pull('acme/tox@2.0.0', options({ to: out }))
      expect(await readFile(join(out, 'model.bin'))).toEqual(weights2)
      await writeFile(join(out, 'model.bin'), flipped(weights2))
      await expect(pull('acme/tox@1.0.0', options({ to: out }))).rejects.toMatchObject({
        code: 'client/target-exists',
        message: expect.stringContaining(': model.bin'),
      })
      expect(await readFile(join(snapshotDir(cache, ref, '2.0.0'), 'model.bin'))).toEqual(weights2)
    })
  })
})
