import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { blobKey } from '#core/blobs'
import { cleanStaleTemps, createFsStore } from './fs-store.ts'

const sha = (bytes: string) => createHash('sha256').update(bytes).digest('hex')
const HOST =
  hostname()
    .replace(/[^A-Za-z0-9-]/g, '-')
    .slice(0, 63) || 'host'
const HASH = sha('some blob')

/** The id of a process that has exited (and was reaped), so it is dead on this host. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''])
  await new Promise((done) => child.on('exit', done))
  return child.pid as number
}

describe('core/storage/fs-store temp files', () => {
  let dir: string
  let shard: string
  let sleeper: ReturnType<typeof spawn> | undefined
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-fs-temp-'))
    shard = join(dir, 'blobs/sha256', HASH.slice(0, 2))
    await mkdir(shard, { recursive: true })
  })
  afterEach(async () => {
    if (sleeper?.pid) process.kill(sleeper.pid)
    sleeper = undefined
    await rm(dir, { recursive: true, force: true })
  })

  const temp = async (name: string, ageMs = 0) => {
    const path = join(shard, name)
    await writeFile(path, 'partial')
    const when = new Date(Date.now() - ageMs)
    await utimes(path, when, when)
    return name
  }

  it('names a temp file after its host and process while it is written', async () => {
    const seen: string[] = []
    const store = createFsStore({ dir })
    const bytes = 'weights'
    await store.put(
      () =>
        Readable.from(
          (async function* () {
            seen.push(...(await readdir(join(dir, 'blobs/sha256', sha(bytes).slice(0, 2)))))
            yield Buffer.from(bytes)
          })(),
        ),
      { sha256: sha(bytes), size: bytes.length },
    )
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatch(
      new RegExp(`^${sha(bytes)}\\.${HOST}\\.${process.pid}\\.[0-9a-f]+\\.tmp$`),
    )
  })

  it('removes the temp file of a dead process of this host, however recent', async () => {
    const name = await temp(`${HASH}.${HOST}.${await deadPid()}.abcdef.tmp`)
    expect(await cleanStaleTemps(dir)).toEqual([`blobs/sha256/${HASH.slice(0, 2)}/${name}`])
    expect(await readdir(shard)).toEqual([])
  })

  it('keeps the recent temp file of a live process, and of another host', async () => {
    sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'])
    const live = await temp(`${HASH}.${HOST}.${sleeper.pid}.abcdef.tmp`)
    const mine = await temp(`${HASH}.${HOST}.${process.pid}.abcdef.tmp`)
    const other = await temp(`${HASH}.other-host.1.abcdef.tmp`)
    expect(await cleanStaleTemps(dir)).toEqual([])
    expect((await readdir(shard)).sort()).toEqual([live, mine, other].sort())
  })

  it.each([
    ['another host', `${HASH}.other-host.1.abcdef.tmp`],
    ['a live process', `${HASH}.${HOST}.${process.pid}.abcdef.tmp`],
    ['the older unnamed form', `${HASH}.abcdef012345.tmp`],
  ])('removes a temp file of %s untouched for over an hour', async (_name, file) => {
    await temp(file, 2 * 60 * 60 * 1000)
    expect(await cleanStaleTemps(dir)).toHaveLength(1)
    expect(await readdir(shard)).toEqual([])
  })

  it('leaves blobs and files that are not its temp files', async () => {
    await temp(HASH, 3 * 60 * 60 * 1000)
    await temp('notes.tmp', 3 * 60 * 60 * 1000)
    expect(await cleanStaleTemps(dir)).toEqual([])
    expect((await readdir(shard)).sort()).toEqual([HASH, 'notes.tmp'].sort())
  })

  it('the next put cleans what a killed publish left, public and private', async () => {
    const dead = await deadPid()
    const left = await temp(`${HASH}.${HOST}.${dead}.abcdef.tmp`)
    const privateShard = join(dir, 'private/blobs/sha256', HASH.slice(0, 2))
    await mkdir(privateShard, { recursive: true })
    await writeFile(join(privateShard, `${HASH}.${HOST}.${dead}.012345.tmp`), 'partial')
    const store = createFsStore({ dir })
    const bytes = 'another blob'
    await store.put(() => Readable.from([Buffer.from(bytes)]), {
      sha256: sha(bytes),
      size: bytes.length,
    })
    expect(await readdir(shard)).not.toContain(left)
    expect(await readdir(privateShard)).toEqual([])
    expect(await readdir(join(dir, 'blobs/sha256', sha(bytes).slice(0, 2)))).toEqual([
      blobKey(sha(bytes)).split('/').at(-1),
    ])
  })

  it('a missing store folder has nothing to clean', async () => {
    expect(await cleanStaleTemps(join(dir, 'absent'))).toEqual([])
  })
})
