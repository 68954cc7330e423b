import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { diffLocked, formatLockfile, readLockfile, writeLockfile } from './lockfile.ts'

describe('core/client/lockfile', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-lock-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('writes collections sorted beside the items, and only when there are any', async () => {
    const items = { 'model/acme/a': { version: '1.0.0', files: [] } }
    expect(formatLockfile({ lockfile: 1, items })).not.toContain('collections')
    const text = formatLockfile({
      lockfile: 1,
      items,
      collections: {
        'collection/cu/z': { members: [{ item: 'model/acme/a', version: '1.0.0' }] },
        'collection/cu/a': {
          commit: 'c'.repeat(40),
          members: [
            { item: 'model/acme/b', version: '2.0.0' },
            { item: 'dataset/acme/a', version: '1.0.0' },
          ],
        },
      },
    })
    const parsed = JSON.parse(text)
    expect(Object.keys(parsed.collections)).toEqual(['collection/cu/a', 'collection/cu/z'])
    expect(parsed.collections['collection/cu/a'].members[0].item).toBe('dataset/acme/a')
    const path = join(dir, 'agora.lock')
    await writeFile(path, text)
    expect((await readLockfile(path)).collections?.['collection/cu/z']?.members).toHaveLength(1)
    await writeFile(path, JSON.stringify({ ...parsed, collections: { '../x': { members: [] } } }))
    await expect(readLockfile(path)).rejects.toMatchObject({ code: 'client/lockfile-invalid' })
    await writeFile(path, JSON.stringify({ ...parsed, collections: [] }))
    await expect(readLockfile(path)).rejects.toMatchObject({ code: 'client/lockfile-invalid' })
  })

  it('writes sorted, stable JSON and rewrites only on change', async () => {
    const path = join(dir, 'agora.lock')
    const lock = {
      lockfile: 1,
      items: {
        'model/zeta/z': {
          version: '1.0.0',
          files: [{ path: 'b', size: 2, sha256: 'b'.repeat(64) }],
        },
        'dataset/acme/d': {
          version: '2.0.0',
          commit: 'c'.repeat(40),
          files: [
            { sha256: 'd'.repeat(64), size: 4, path: 'z.csv' },
            { path: 'a.csv', size: 1, sha256: 'a'.repeat(64) },
          ],
        },
      },
    }
    expect(await writeLockfile(path, lock)).toBe(true)
    const text = await readFile(path, 'utf8')
    expect(text).toBe(formatLockfile(lock))
    expect(Object.keys(JSON.parse(text).items)).toEqual(['dataset/acme/d', 'model/zeta/z'])
    expect(
      JSON.parse(text).items['dataset/acme/d'].files.map((f: { path: string }) => f.path),
    ).toEqual(['a.csv', 'z.csv'])
    const before = (await stat(path)).mtimeMs
    expect(await writeLockfile(path, await readLockfile(path))).toBe(false)
    expect((await stat(path)).mtimeMs).toBe(before)
  })

  it('reads a missing lock as empty and refuses a damaged one', async () => {
    expect(await readLockfile(join(dir, 'none.lock'))).toEqual({ lockfile: 1, items: {} })
    const bad = join(dir, 'bad.lock')
    await writeFile(bad, '{ nope')
    await expect(readLockfile(bad)).rejects.toMatchObject({
      code: 'client/lockfile-invalid',
      file: bad,
    })
    await writeFile(bad, '{"lockfile": 7, "items": {}}')
    await expect(readLockfile(bad)).rejects.toMatchObject({
      code: 'client/lockfile-invalid',
      hint: expect.stringContaining('upgrade'),
    })
    await writeFile(bad, '{"lockfile": 1, "items": {"acme/x": {}}}')
    await expect(readLockfile(bad)).rejects.toMatchObject({
      message: `${bad}: "acme/x" is not an item key`,
    })
  })

  it('names every difference between the lock and the index', () => {
    const ref = { kind: 'model' as const, ns: 'acme', name: 'x' }
    const locked = {
      version: '1.0.0',
      files: [
        { path: 'a', size: 1, sha256: 'a'.repeat(64) },
        { path: 'gone', size: 1, sha256: 'f'.repeat(64) },
      ],
    }
    expect(diffLocked(ref, locked, { version: '1.0.0', files: locked.files })).toEqual([])
    expect(
      diffLocked(ref, locked, {
        version: '1.0.1',
        files: [
          { path: 'a', size: 2, sha256: 'b'.repeat(64) },
          { path: 'new', size: 1, sha256: 'c'.repeat(64) },
        ],
      }),
    ).toEqual([
      'acme/x: version 1.0.0 is locked, 1.0.1 resolved',
      `acme/x: a: locked sha256 ${'a'.repeat(64)} (1 bytes), index says ${'b'.repeat(64)} (2 bytes)`,
      'acme/x: gone is locked but no longer listed',
      'acme/x: new is listed but not locked',
    ])
  })
})

describe('core/client/lockfile entries', () => {
  it.each([
    ['files that are not a list', { version: '1.0.0', files: 'x' }],
    ['no version', { files: [] }],
    ['a file that is not an object', { version: '1.0.0', files: [3] }],
    ['an entry that is not an object', 'model'],
  ])('refuses an item with %s, naming it, before a writer merges into it', async (_, entry) => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-lock-entry-'))
    try {
      const path = join(dir, 'agora.lock')
      await writeFile(path, JSON.stringify({ lockfile: 1, items: { 'model/acme/other': entry } }))
      await expect(readLockfile(path)).rejects.toMatchObject({
        code: 'client/lockfile-invalid',
        message: `${path}: "model/acme/other" is not a locked item`,
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
