import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { main } from '../../scripts/agora.ts'
import { captureStream } from '../../scripts/cli/capture.ts'
import { startTestHub, type TestHub } from './__fixtures__/test-hub.ts'
import { readLockfile } from './lockfile.ts'
import type { PullEvent, PullOptions } from './pull.ts'
import { pull } from './pull.ts'
import { pullCollection } from './pull-collection.ts'

const offlineFetch = (() => {
  throw new Error('no network in offline mode')
}) as unknown as typeof fetch

describe('core/client/pull-collection', () => {
  let hub: TestHub
  let work: string
  beforeAll(async () => {
    hub = await startTestHub(
      {
        'acme/tox': { '1.0.0': { 'model.bin': 'tox one' }, '2.0.0': { 'model.bin': 'tox two' } },
        'datasets/acme/tox21': {
          '1.0.0': { 'train.csv': 'a,b\n1,2\n' },
          '1.1.0': { 'train.csv': 'a,b\n1,2\n3,4\n' },
          '2.0.0': { 'train.csv': 'c\n' },
        },
        'pipelines/acme/prep': { '0.3.0': { 'pipeline.json': '{}' } },
      },
      {
        'curators/kit': ['acme/tox@1.0.0', 'datasets/acme/tox21@^1.0.0', 'pipelines/acme/prep'],
        'curators/outer': ['collections/curators/kit', 'acme/tox@1.0.0'],
        'curators/deep': ['collections/curators/outer'],
        'curators/loop-a': ['collections/curators/loop-b'],
        'curators/loop-b': ['collections/curators/loop-a'],
        'curators/clash': ['collections/curators/kit', 'acme/tox@2.0.0'],
        'curators/broken': ['acme/tox', 'acme/missing'],
      },
    )
  })
  afterAll(async () => {
    await hub?.close()
  })
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'agora-pull-collection-'))
  })
  afterEach(async () => {
    await rm(work, { recursive: true, force: true })
  })
  const options = (extra: Partial<PullOptions> = {}): PullOptions => ({
    fetch: globalThis.fetch,
    indexUrl: hub.url,
    publicKey: hub.publicKey,
    cacheDir: join(work, 'cache'),
    lockFile: join(work, 'agora.lock'),
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
    ...extra,
  })
  const lockPath = () => join(work, 'agora.lock')

  it('pulls every member as the collection pins it: a version, a range, the latest', async () => {
    const events: PullEvent[] = []
    const result = await pullCollection(
      'collections/curators/kit',
      options({ to: join(work, 'to'), onEvent: (e) => events.push(e) }),
    )
    expect(
      result.members.map((m) => `${m.ref.kind}/${m.ref.ns}/${m.ref.name}@${m.version}`),
    ).toEqual(['model/acme/tox@1.0.0', 'dataset/acme/tox21@1.1.0', 'pipeline/acme/prep@0.3.0'])
    expect(
      events.filter((e) => e.type === 'member').map((e) => e.type === 'member' && e.index),
    ).toEqual([0, 1, 2])
    expect(await readFile(join(work, 'to', 'models', 'acme', 'tox', 'model.bin'), 'utf8')).toBe(
      'tox one',
    )
    expect(await readFile(join(work, 'to', 'datasets', 'acme', 'tox21', 'train.csv'), 'utf8')).toBe(
      'a,b\n1,2\n3,4\n',
    )
    expect(existsSync(join(work, 'to', 'pipelines', 'acme', 'prep', 'pipeline.json'))).toBe(true)
    expect(result.lockChanged).toBe(true)
  })

  it('never writes a member through a link planted between --to and its folder', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'agora-outside-'))
    try {
      for (const planted of ['models', 'datasets/acme', 'pipelines/acme/prep']) {
        const to = await mkdtemp(join(work, 'to-'))
        await mkdir(join(to, planted, '..'), { recursive: true })
        await symlink(outside, join(to, planted))
        const error = await pullCollection('collections/curators/kit', options({ to })).catch(
          (e) => e,
        )
        expect(error, planted).toMatchObject({ code: 'client/unsafe-path' })
        expect(await readdir(outside)).toEqual([])
      }
      expect(existsSync(lockPath())).toBe(false)
    } finally {
      await rm(outside, { recursive: true, force: true })
    }
  })

  it('records each member and the collection in agora.lock', async () => {
    await pullCollection('collections/curators/kit', options())
    const lock = await readLockfile(lockPath())
    expect(Object.keys(lock.items).sort()).toEqual([
      'dataset/acme/tox21',
      'model/acme/tox',
      'pipeline/acme/prep',
    ])
    expect(lock.items['dataset/acme/tox21']?.version).toBe('1.1.0')
    expect(lock.collections).toEqual({
      'collection/curators/kit': {
        commit: 'c'.repeat(40),
        members: [
          { item: 'dataset/acme/tox21', version: '1.1.0' },
          { item: 'model/acme/tox', version: '1.0.0' },
          { item: 'pipeline/acme/prep', version: '0.3.0' },
        ],
      },
    })
  })

  it('replays the lock with --locked, and refuses a lock the members no longer match', async () => {
    await expect(
      pullCollection('collections/curators/kit', options({ locked: true })),
    ).rejects.toMatchObject({ code: 'client/not-locked' })
    await pullCollection('collections/curators/kit', options())
    const before = await readFile(lockPath(), 'utf8')
    const replay = await pullCollection('collections/curators/kit', options({ locked: true }))
    expect(replay.members.map((m) => m.version)).toEqual(['1.1.0', '1.0.0', '0.3.0'])
    expect(replay.lockChanged).toBe(false)
    // Someone pulls a member at another version: the collection's lock no longer holds.
    await pull('datasets/acme/tox21@2.0.0', options())
    await expect(
      pullCollection('collections/curators/kit', options({ locked: true })),
    ).rejects.toMatchObject({
      code: 'client/lock-mismatch',
      message: expect.stringContaining(
        'collections/curators/kit: member datasets/acme/tox21@1.1.0',
      ),
    })
    expect(before).not.toBe(await readFile(lockPath(), 'utf8'))
  })

  it('replays --offline from the lock and from the cached collection document', async () => {
    await expect(
      pullCollection('collections/curators/kit', options({ offline: true, fetch: offlineFetch })),
    ).rejects.toMatchObject({ code: 'client/offline-missing' })
    await pullCollection('collections/curators/kit', options())
    const fromLock = await pullCollection(
      'collections/curators/kit',
      options({ offline: true, fetch: offlineFetch, to: join(work, 'to') }),
    )
    expect(fromLock.members.map((m) => m.version)).toEqual(['1.1.0', '1.0.0', '0.3.0'])
    expect(fromLock.downloadedBytes).toBe(0)
    const fromCache = await pullCollection(
      'collections/curators/kit',
      options({ offline: true, fetch: offlineFetch, lockFile: undefined }),
    )
    expect(fromCache.members.map((m) => m.version)).toEqual(['1.0.0', '1.1.0', '0.3.0'])
  })

  it('takes in a collection of items one level deep', async () => {
    const result = await pullCollection('collections/curators/outer', options())
    expect(result.members.map((m) => `${m.ref.name}@${m.version}`)).toEqual([
      'tox@1.0.0',
      'tox21@1.1.0',
      'prep@0.3.0',
    ])
  })

  it.each([
    [
      'collections/curators/deep',
      'client/collection-too-deep',
      'collections/curators/deep -> collections/curators/outer -> collections/curators/kit',
    ],
    [
      'collections/curators/loop-a',
      'client/collection-cycle',
      'collections/curators/loop-a -> collections/curators/loop-b -> collections/curators/loop-a',
    ],
    [
      'collections/curators/clash',
      'client/collection-conflict',
      'acme/tox twice, pinned to 1.0.0 and 2.0.0',
    ],
  ])('refuses %s (%s) before downloading anything', async (spec, code, words) => {
    const error = await pullCollection(spec, options()).catch((e) => e)
    expect(error).toMatchObject({ code, message: expect.stringContaining(words) })
    expect(existsSync(join(work, 'cache', 'models--acme--tox'))).toBe(false)
    expect(existsSync(lockPath())).toBe(false)
  })

  it('fails on a member that fails, naming it, and leaves agora.lock as it was', async () => {
    await pull('pipelines/acme/prep', options())
    const before = await readFile(lockPath(), 'utf8')
    const error = await pullCollection('collections/curators/broken', options()).catch((e) => e)
    expect(error.message).toMatch(/^collections\/curators\/broken: member acme\/missing: /)
    expect(await readFile(lockPath(), 'utf8')).toBe(before)
  })

  it('refuses a version on a collection and a collection given to pull()', async () => {
    await expect(pullCollection('collections/curators/kit@1.0.0', options())).rejects.toMatchObject(
      { code: 'client/bad-spec', message: expect.stringContaining('collections have no versions') },
    )
    await expect(pull('collections/curators/kit', options())).rejects.toMatchObject({
      code: 'client/is-collection',
    })
    await expect(pullCollection('acme/tox', options())).rejects.toMatchObject({
      code: 'client/not-a-collection',
    })
  })

  describe('agora pull collections/<ns>/<name>', () => {
    async function cli(argv: string[]) {
      const stdout = captureStream()
      const stderr = captureStream()
      const code = await main(argv, { cwd: work, env: {}, stdout, stderr, fetch: globalThis.fetch })
      return { code, stdout: stdout.text(), stderr: stderr.text() }
    }
    const args = (...extra: string[]) => [
      'pull',
      'collections/curators/kit',
      '--index',
      hub.url,
      '--key',
      hub.publicKey,
      '--cache',
      join(work, 'cache'),
      ...extra,
    ]

    it('reports every member with --json', async () => {
      const { code, stdout } = await cli(args('--json', '--to', 'kit'))
      expect(code).toBe(0)
      const report = JSON.parse(stdout)
      expect(report).toMatchObject({
        ok: true,
        collection: 'collections/curators/kit',
        lock_changed: true,
        warnings: [],
      })
      expect(
        report.members.map((m: { item: string; version: string }) => `${m.item}@${m.version}`),
      ).toEqual(['acme/tox@1.0.0', 'datasets/acme/tox21@1.1.0', 'pipelines/acme/prep@0.3.0'])
      expect(report.members[1].files[0].location).toBe(
        join(work, 'kit', 'datasets', 'acme', 'tox21', 'train.csv'),
      )
      expect(report.downloaded_bytes).toBeGreaterThan(0)
    })

    it('prints a line per member and a summary', async () => {
      const { code, stderr, stdout } = await cli(args())
      expect(code).toBe(0)
      const text = stdout + stderr
      expect(text).toContain('[1/3] acme/tox@1.0.0')
      expect(text).toContain('[2/3] datasets/acme/tox21@^1.0.0')
      expect(text).toContain('pulled datasets/acme/tox21@1.1.0: 1 file')
      expect(text).toContain('pulled collections/curators/kit: 3 members, 3 files')
    })

    it('exits 2 naming the member that failed', async () => {
      const { code, stdout } = await cli([
        ...args('--json').filter((a) => a !== 'collections/curators/kit'),
        'collections/curators/broken',
      ])
      expect(code).toBe(2)
      expect(JSON.parse(stdout).error.message).toContain(
        'collections/curators/broken: member acme/missing',
      )
    })
  })
})
