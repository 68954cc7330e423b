import { execFile } from 'node:child_process'
import * as nodeFs from 'node:fs'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { acquireLock } from './cache.ts'
import { formatLockfile, readLockfile } from './lockfile.ts'
import { lockfileLockPath, updateLockfile } from './lockfile-update.ts'

const run = promisify(execFile)
const moduleUrl = new URL('./lockfile-update.ts', import.meta.url).href

const entry = (n: number) => ({
  version: `1.0.${n}`,
  files: [{ path: `f${n}.bin`, size: n, sha256: String(n % 10).repeat(64) }],
})

describe('core/client/lockfile-update', () => {
  let work: string
  let path: string
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'agora-lockupd-'))
    path = join(work, 'agora.lock')
  })
  afterEach(async () => {
    await rm(work, { recursive: true, force: true })
  })

  it('keeps every item when many writers in one process update at once', async () => {
    await Promise.all(
      Array.from({ length: 12 }, (_, n) =>
        updateLockfile(path, (lock) => {
          lock.items[`model/acme/item-${n}`] = entry(n)
        }),
      ),
    )
    const lock = await readLockfile(path)
    expect(Object.keys(lock.items)).toHaveLength(12)
    expect(await readdir(work)).toEqual(['agora.lock'])
  })

  it('keeps every item when six processes update at once', async () => {
    const script = `
      import { updateLockfile } from ${JSON.stringify(moduleUrl)}
      const [path, n] = process.argv.slice(-2)
      // Each writer holds its read a while, so unlocked writers would overlap.
      await updateLockfile(path, (lock) => {
        const until = Date.now() + 30
        while (Date.now() < until) {}
        lock.items['model/acme/item-' + n] = { version: '1.0.' + n, files: [] }
      })
    `
    await Promise.all(
      Array.from({ length: 6 }, (_, n) =>
        run(process.execPath, ['--input-type=module', '-e', script, '--', path, String(n)], {
          cwd: fileURLToPath(new URL('../..', import.meta.url)),
        }),
      ),
    )
    const lock = await readLockfile(path)
    expect(Object.keys(lock.items).sort()).toEqual(
      Array.from({ length: 6 }, (_, n) => `model/acme/item-${n}`),
    )
    expect(await readdir(work)).toEqual(['agora.lock'])
  }, 60_000)

  it('merges into what another writer wrote since, and replaces only its own item', async () => {
    await writeFile(
      path,
      formatLockfile({
        lockfile: 1,
        items: { 'model/acme/a': entry(1), 'model/acme/b': entry(2) },
      }),
    )
    await updateLockfile(path, (lock) => {
      lock.items['model/acme/b'] = entry(3)
    })
    const lock = await readLockfile(path)
    expect(lock.items).toEqual({ 'model/acme/a': entry(1), 'model/acme/b': entry(3) })
  })

  it('does not rewrite the file when nothing changed', async () => {
    await updateLockfile(path, (lock) => {
      lock.items['model/acme/a'] = entry(1)
    })
    const before = await stat(path)
    await new Promise((done) => setTimeout(done, 20))
    const changed = await updateLockfile(path, (lock) => {
      lock.items['model/acme/a'] = entry(1)
    })
    const after = await stat(path)
    expect(changed).toBe(false)
    expect(after.ino).toBe(before.ino)
    expect(after.mtimeMs).toBe(before.mtimeMs)
  })

  it('breaks a lock left by a writer that died, and waits for a live one', async () => {
    await writeFile(lockfileLockPath(path), `${hostname()} 999999999 dead`)
    expect(
      await updateLockfile(path, (lock) => {
        lock.items['model/acme/a'] = entry(1)
      }),
    ).toBe(true)
    await writeFile(lockfileLockPath(path), `${hostname()} ${process.pid} live`)
    let done = false
    const waiting = updateLockfile(path, (lock) => {
      lock.items['model/acme/b'] = entry(2)
    }).then(() => {
      done = true
    })
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(done).toBe(false)
    await rm(lockfileLockPath(path))
    await waiting
    expect(Object.keys((await readLockfile(path)).items)).toEqual(['model/acme/a', 'model/acme/b'])
  })

  it('lets one holder at a time through when many waiters find a dead writer’s lock', async () => {
    const lockPath = join(dirname(path), 'blob.lock')
    for (let round = 0; round < 5; round++) {
      await writeFile(lockPath, `${hostname()} 999999999 dead`)
      let holders = 0
      let most = 0
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          const held = await acquireLock(lockPath, { pollMs: 1 })
          holders++
          most = Math.max(most, holders)
          await new Promise((resolve) => setTimeout(resolve, 3))
          holders--
          await held.release()
        }),
      )
      expect(most).toBe(1)
      expect(existsSync(`${lockPath}.break`)).toBe(false)
    }
  })

  it('never removes a fresh lock that a slower waiter judged stale before it was taken', async () => {
    const lockPath = join(dirname(path), 'slow.lock')
    await writeFile(lockPath, `${hostname()} 999999999 dead`)
    // B looks at the dead writer's lock, then stalls before acting on what it saw.
    let first = true
    const slowFs = {
      ...nodeFs,
      promises: {
        ...nodeFs.promises,
        stat: (async (...args: Parameters<typeof nodeFs.promises.stat>) => {
          const info = await nodeFs.promises.stat(...args)
          if (first) {
            first = false
            await new Promise((resolve) => setTimeout(resolve, 100))
          }
          return info
        }) as typeof nodeFs.promises.stat,
      },
    }
    let holders = 0
    let most = 0
    const hold = async (options: Parameters<typeof acquireLock>[1]) => {
      const held = await acquireLock(lockPath, { pollMs: 5, ...options })
      holders++
      most = Math.max(most, holders)
      await new Promise((resolve) => setTimeout(resolve, 300))
      holders--
      await held.release()
    }
    const slow = hold({ fs: slowFs })
    await new Promise((resolve) => setTimeout(resolve, 20))
    await Promise.all([slow, hold({})])
    expect(most).toBe(1)
  })

  it('releases the lock when the change throws, and leaves the file as it was', async () => {
    await updateLockfile(path, (lock) => {
      lock.items['model/acme/a'] = entry(1)
    })
    const text = await readFile(path, 'utf8')
    await expect(
      updateLockfile(path, () => {
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(await readFile(path, 'utf8')).toBe(text)
    expect(await readdir(work)).toEqual(['agora.lock'])
  })
})
