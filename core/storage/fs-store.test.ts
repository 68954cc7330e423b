import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { blobKey, hashFile } from '#core/blobs'
import { createFsStore, type StoreFs } from './fs-store.ts'

const sha = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex')

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort()
}

describe('core/storage/fs-store', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-fs-store-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('writes a blob under blobs/sha256/<aa>/<hash> and skips it the second time', async () => {
    const store = createFsStore({ dir })
    const bytes = Buffer.from('weights of a tiny model')
    const expected = { sha256: sha(bytes), size: bytes.length }
    let progressed = 0
    const first = await store.put(() => Readable.from([bytes]), expected, {
      onProgress: (n) => {
        progressed += n
      },
    })
    expect(first).toEqual({ uploaded: true, bytes: bytes.length })
    expect(progressed).toBe(bytes.length)
    expect(await readFile(join(dir, blobKey(expected.sha256)))).toEqual(bytes)
    expect(await store.stat(expected.sha256)).toEqual(expected)
    let opened = 0
    const second = await store.put(() => {
      opened++
      return Readable.from([bytes])
    }, expected)
    expect(second).toEqual({ uploaded: false, bytes: 0 })
    expect(opened).toBe(0)
    expect(await listFiles(dir)).toEqual([blobKey(expected.sha256)])
  })

  it('refuses bytes whose hash differs and leaves nothing behind', async () => {
    const store = createFsStore({ dir })
    const expected = { sha256: sha('the real bytes'), size: 14 }
    await expect(
      store.put(() => Readable.from([Buffer.from('other bytes!!!')]), expected),
    ).rejects.toMatchObject({
      code: 'storage/hash-mismatch',
      message: expect.stringContaining(
        `expected sha256 ${expected.sha256}, got ${sha('other bytes!!!')}`,
      ),
    })
    expect(await listFiles(dir)).toEqual([])
    expect(await store.stat(expected.sha256)).toBeUndefined()
  })

  it('refuses a short stream with a size mismatch', async () => {
    const store = createFsStore({ dir })
    await expect(
      store.put(() => Readable.from([Buffer.from('abc')]), { sha256: sha('abcd'), size: 4 }),
    ).rejects.toMatchObject({ code: 'storage/size-mismatch' })
    expect(await listFiles(dir)).toEqual([])
  })

  it('reports a full disk with a hint and leaves the store unchanged', async () => {
    const failing: StoreFs = {
      ...fs,
      createWriteStream: ((path: string) => {
        fs.writeFileSync(path, '')
        return new Writable({
          write(_chunk, _encoding, callback) {
            callback(
              Object.assign(new Error('ENOSPC: no space left on device, write'), {
                code: 'ENOSPC',
              }),
            )
          },
        })
      }) as unknown as StoreFs['createWriteStream'],
    }
    const store = createFsStore({ dir, fs: failing })
    const bytes = Buffer.from('x'.repeat(1000))
    const error = await store
      .put(() => Readable.from([bytes]), { sha256: sha(bytes), size: 1000 })
      .catch((e) => e)
    expect(error).toMatchObject({
      code: 'storage/write-failed',
      hint: expect.stringContaining('disk is full'),
    })
    expect(error.file).toBe(join(dir, blobKey(sha(bytes))))
    expect(await listFiles(dir)).toEqual([])
  })

  it('reports a permission problem with a hint', async () => {
    const denied: StoreFs = {
      ...fs,
      promises: {
        ...fs.promises,
        mkdir: async () => {
          throw Object.assign(new Error(`EACCES: permission denied, mkdir '${dir}/blobs'`), {
            code: 'EACCES',
          })
        },
      },
    }
    const store = createFsStore({ dir, fs: denied })
    await expect(
      store.put(() => Readable.from([Buffer.from('a')]), { sha256: sha('a'), size: 1 }),
    ).rejects.toMatchObject({
      code: 'storage/write-failed',
      hint: expect.stringContaining('not writable'),
    })
  })

  it('serves byte ranges, public URLs and keeps private blobs apart', async () => {
    const store = createFsStore({ dir, publicUrl: 'http://127.0.0.1:4321/' })
    const bytes = Buffer.from('0123456789')
    const info = { sha256: sha(bytes), size: 10 }
    await store.put(() => Readable.from([bytes]), info, { private: true })
    expect(await store.stat(info.sha256)).toBeUndefined()
    expect(await store.stat(info.sha256, { private: true })).toEqual(info)
    const chunks: Buffer[] = []
    for await (const c of await store.get(info.sha256, { private: true, start: 2, end: 5 }))
      chunks.push(c)
    expect(Buffer.concat(chunks).toString()).toBe('2345')
    expect(await store.url(info.sha256)).toBe(`http://127.0.0.1:4321/${blobKey(info.sha256)}`)
    expect(await store.url(info.sha256, { private: true })).toBeUndefined()
    await expect(store.get(sha('missing'))).rejects.toMatchObject({ code: 'storage/blob-missing' })
    await expect(store.stat('not-a-hash')).rejects.toMatchObject({ code: 'storage/bad-hash' })
  })

  it('hashes a file by streaming it', async () => {
    const path = join(dir, 'f.bin')
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 7, 7)
    fs.writeFileSync(path, bytes)
    expect(await hashFile(path)).toEqual({ sha256: sha(bytes), size: bytes.length })
  })
})
