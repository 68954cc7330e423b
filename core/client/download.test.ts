import { createHash, randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ClientFs } from './cache.ts'
import { downloadBlob } from './download.ts'

// Many reads long, and over the size from which blobs are hashed on the
// worker thread.
const body = randomBytes(9 * 1024 * 1024 + 17)
const expected = { sha256: createHash('sha256').update(body).digest('hex'), size: body.length }

describe('core/client/download', () => {
  let server: Server
  let url: string
  let work: string

  beforeAll(async () => {
    server = createServer((request, response) => {
      const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '')
      const start = range ? Number(range[1]) : 0
      response.writeHead(range ? 206 : 200, {
        'content-length': body.length - start,
        ...(range ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
      })
      response.end(body.subarray(start))
    })
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/blob`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((done) => server.close(done))
  })
  beforeEach(async () => {
    if (work) await rm(work, { recursive: true, force: true })
    work = await mkdtemp(join(tmpdir(), 'agora-download-'))
  })

  it('writes a body larger than the write buffer whole, counting every byte once', async () => {
    const target = join(work, 'blob')
    let told = 0
    const done = await downloadBlob({
      fetch: globalThis.fetch,
      url,
      target,
      expected,
      onProgress: (n) => {
        told += n
      },
    })
    expect(done).toEqual({ transferred: body.length, resumedFrom: 0 })
    expect(told).toBe(body.length)
    expect((await readFile(target)).equals(body)).toBe(true)
    expect(fs.existsSync(`${target}.partial`)).toBe(false)
  })

  it.each([
    ['Node’s fetch (read over sockets)', globalThis.fetch],
    ['an injected fetch', ((input, init) => globalThis.fetch(input, init)) as typeof fetch],
  ])(
    'checks the hash of a large blob read through %s, and keeps nothing on a mismatch',
    async (_what, fetch) => {
      const target = join(work, 'blob')
      expect((await downloadBlob({ fetch, url, target, expected })).transferred).toBe(body.length)
      expect((await readFile(target)).equals(body)).toBe(true)
      const other = join(work, 'other')
      const wrong = { ...expected, sha256: createHash('sha256').update('other').digest('hex') }
      const error = await downloadBlob({ fetch, url, target: other, expected: wrong }).catch(
        (e: unknown) => e,
      )
      expect(error).toMatchObject({ code: 'client/hash-mismatch' })
      expect((error as Error).message).toContain(expected.sha256)
      expect(fs.existsSync(other) || fs.existsSync(`${other}.partial`)).toBe(false)
    },
  )

  it('hashes the resumed prefix with the rest', async () => {
    const target = join(work, 'blob')
    await writeFile(`${target}.partial`, body.subarray(0, 1_000_000))
    const done = await downloadBlob({ fetch: globalThis.fetch, url, target, expected })
    expect(done).toEqual({ transferred: body.length - 1_000_000, resumedFrom: 1_000_000 })
    expect((await readFile(target)).equals(body)).toBe(true)
  })

  it('writes in pieces of at most 512 KiB, one at a time, however large the chunks come', async () => {
    // Chunks of 2 MiB, several waiting at once behind a slow disk: a stream
    // would join what waits into one large write (writev).
    const chunkFetch = (async () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            for (let at = 0; at < body.length; at += 2 * 1024 * 1024)
              controller.enqueue(new Uint8Array(body.subarray(at, at + 2 * 1024 * 1024)))
            controller.close()
          },
        }),
        { headers: { 'content-length': String(body.length) } },
      )) as unknown as typeof fetch
    const writes: number[] = []
    let joined = 0
    const recording: ClientFs = {
      ...fs,
      createWriteStream: ((path: string) => {
        fs.writeFileSync(path, '')
        return new Writable({
          write(chunk: Buffer, _encoding, callback) {
            writes.push(chunk.length)
            fs.appendFileSync(path, chunk)
            setTimeout(callback, 1)
          },
          writev(chunks, callback) {
            joined++
            for (const { chunk } of chunks) fs.appendFileSync(path, chunk as Buffer)
            setTimeout(callback, 1)
          },
        })
      }) as unknown as ClientFs['createWriteStream'],
    }
    const target = join(work, 'blob')
    await downloadBlob({ fetch: chunkFetch, url, target, expected, fs: recording })
    expect((await readFile(target)).equals(body)).toBe(true)
    expect(joined).toBe(0)
    expect(Math.max(...writes)).toBe(512 * 1024)
    expect(writes.reduce((a, b) => a + b, 0)).toBe(body.length)
  })

  it('resumes a connection cut while pieces are still being written', async () => {
    // The first answer stops once the client has bytes on disk, with more
    // chunks still waiting for their writes. Those are never written, and
    // the cut (a network error, retried) is what fails the first try, not
    // the writes that the closing file refuses.
    const target = join(work, 'blob')
    const ranges: (string | undefined)[] = []
    const cutting = createServer((request, response) => {
      ranges.push(request.headers.range)
      const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '')
      const start = range ? Number(range[1]) : 0
      response.writeHead(range ? 206 : 200, {
        'content-length': body.length - start,
        ...(range ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
      })
      if (ranges.length > 1) return void response.end(body.subarray(start))
      const cutWhenWritten = (): void => {
        const written = fs.existsSync(`${target}.partial`) && fs.statSync(`${target}.partial`).size
        if (written) response.destroy()
        else setTimeout(cutWhenWritten, 1)
      }
      response.write(body.subarray(0, 4 * 1024 * 1024), cutWhenWritten)
    })
    await new Promise<void>((done) => cutting.listen(0, '127.0.0.1', done))
    try {
      const done = await downloadBlob({
        fetch: globalThis.fetch,
        url: `http://127.0.0.1:${(cutting.address() as AddressInfo).port}/blob`,
        target,
        expected,
        retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 2 },
      })
      expect(ranges).toEqual([undefined, expect.stringMatching(/^bytes=[1-9]\d*-$/)])
      expect(done.transferred).toBeLessThan(2 * body.length)
      expect((await readFile(target)).equals(body)).toBe(true)
    } finally {
      cutting.closeAllConnections()
      await new Promise((done) => cutting.close(done))
    }
  })

  it('reports a disk that fails while the body waits for it, and keeps no blob', async () => {
    // A disk that takes a while per write, so the body backs up, then runs out of space.
    let writes = 0
    const failing: ClientFs = {
      ...fs,
      createWriteStream: ((path: string) => {
        fs.writeFileSync(path, '')
        return new Writable({
          highWaterMark: 64 * 1024,
          write(_chunk, _encoding, callback) {
            writes++
            setTimeout(() => {
              if (writes < 4) callback()
              else
                callback(
                  Object.assign(new Error('ENOSPC: no space left on device, write'), {
                    code: 'ENOSPC',
                    syscall: 'write',
                  }),
                )
            }, 5)
          },
        })
      }) as unknown as ClientFs['createWriteStream'],
    }
    const target = join(work, 'blob')
    const error = await downloadBlob({
      fetch: globalThis.fetch,
      url,
      target,
      expected,
      fs: failing,
      retry: { retries: 0 },
    }).catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: 'client/write-failed',
      hint: expect.stringContaining('disk is full'),
    })
    expect(writes).toBe(4)
    expect(fs.existsSync(target)).toBe(false)
    expect(fs.existsSync(`${target}.partial`)).toBe(false)
  })
})
