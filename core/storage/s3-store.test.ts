import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { S3Client } from '@aws-sdk/client-s3'
import S3rver from 's3rver'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { blobKey } from '#core/blobs'
import { createS3Store } from './s3-store.ts'

const sha = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex')
const MiB = 1024 * 1024

/** An answer the proxy in front of s3rver gives instead of s3rver, `times` times. */
interface Fault {
  match: (method: string, url: string) => boolean
  status: number
  code: string
  times: number
}

describe('core/storage/s3-store', () => {
  let dir: string
  let s3: S3rver
  // A loopback proxy in front of s3rver records every request and injects throttling and 5xx.
  let proxy: Server
  let endpoint: string
  const seen: string[] = []
  let faults: Fault[] = []

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-s3-store-'))
    s3 = new S3rver({
      port: 0,
      address: '127.0.0.1',
      silent: true,
      directory: dir,
      configureBuckets: [{ name: 'agora', configs: [] }],
    })
    const { port } = (await s3.run()) as AddressInfo
    proxy = createServer((req, res) => {
      const method = req.method ?? 'GET'
      const url = req.url ?? '/'
      seen.push(
        `${method} ${url.split('?')[0]}${url.includes('partNumber') ? ' part' : ''}${url.includes('uploadId') && method === 'POST' ? ' complete' : ''}`,
      )
      const fault = faults.find((f) => f.times > 0 && f.match(method, url))
      if (fault) {
        fault.times--
        req.resume()
        req.on('end', () => {
          res.writeHead(fault.status, { 'content-type': 'application/xml' })
          res.end(
            `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code}</Code><Message>injected</Message></Error>`,
          )
        })
        return
      }
      const upstream = request(
        { host: '127.0.0.1', port, method, path: url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        },
      )
      req.pipe(upstream)
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    await new Promise((resolve) => proxy.close(resolve))
    await s3.close()
    await rm(dir, { recursive: true, force: true })
  })

  beforeEach(() => {
    seen.length = 0
    faults = []
  })

  const makeStore = (extra: Partial<Parameters<typeof createS3Store>[0]> = {}) =>
    createS3Store({
      client: new S3Client({
        endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        maxAttempts: 1,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      }),
      bucket: 'agora',
      privatePrefix: 'private/',
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      ...extra,
    })

  it('puts a small blob once and skips it after a HEAD the second time', async () => {
    const store = makeStore()
    const bytes = randomBytes(1000)
    const info = { sha256: sha(bytes), size: bytes.length }
    expect(await store.put(() => Readable.from([bytes]), info)).toEqual({
      uploaded: true,
      bytes: 1000,
    })
    expect(seen).toEqual([
      `HEAD /agora/${blobKey(info.sha256)}`,
      `PUT /agora/${blobKey(info.sha256)}`,
    ])
    seen.length = 0
    expect(await store.put(() => Readable.from([bytes]), info)).toEqual({
      uploaded: false,
      bytes: 0,
    })
    expect(seen).toEqual([`HEAD /agora/${blobKey(info.sha256)}`])
    const back: Buffer[] = []
    for await (const c of await store.get(info.sha256, { start: 10, end: 19 })) back.push(c)
    expect(Buffer.concat(back)).toEqual(bytes.subarray(10, 20))
  })

  it('uploads a large blob in parallel multipart parts', async () => {
    const store = makeStore({ multipartThreshold: 5 * MiB, partSize: 5 * MiB, concurrency: 3 })
    const bytes = randomBytes(12 * MiB + 3)
    const info = { sha256: sha(bytes), size: bytes.length }
    let progressed = 0
    const chunks = Array.from({ length: 13 }, (_, i) => bytes.subarray(i * MiB, (i + 1) * MiB))
    await store.put(() => Readable.from(chunks), info, {
      onProgress: (n) => {
        progressed += n
      },
    })
    expect(progressed).toBe(bytes.length)
    expect(seen.filter((s) => s.endsWith(' part'))).toHaveLength(3)
    expect(seen.filter((s) => s.endsWith(' complete'))).toHaveLength(1)
    expect(await store.stat(info.sha256)).toEqual(info)
  })

  it('aborts a multipart upload whose hash differs, so no object appears', async () => {
    const store = makeStore({ multipartThreshold: 5 * MiB, partSize: 5 * MiB })
    const bytes = randomBytes(11 * MiB)
    const claimed = { sha256: sha('something else'), size: bytes.length }
    await expect(store.put(() => Readable.from([bytes]), claimed)).rejects.toMatchObject({
      code: 'storage/hash-mismatch',
      message: expect.stringContaining(`got ${sha(bytes)}`),
    })
    expect(seen.some((s) => s.startsWith('DELETE '))).toBe(true)
    expect(seen.some((s) => s.endsWith(' complete'))).toBe(false)
    expect(await store.stat(claimed.sha256)).toBeUndefined()
  })

  it('never sends a small blob whose hash differs', async () => {
    const store = makeStore()
    const claimed = { sha256: sha('claimed'), size: 5 }
    await expect(
      store.put(() => Readable.from([Buffer.from('other')]), claimed),
    ).rejects.toMatchObject({
      code: 'storage/hash-mismatch',
      message: `blobs/sha256/${claimed.sha256.slice(0, 2)}/${claimed.sha256}: expected sha256 ${claimed.sha256}, got ${sha('other')}`,
    })
    expect(seen.filter((s) => s.startsWith('PUT'))).toEqual([])
  })

  it('retries 503 SlowDown and 500 with back-off', async () => {
    const store = makeStore({ multipartThreshold: 5 * MiB, partSize: 5 * MiB })
    faults = [
      { match: (m) => m === 'PUT', status: 503, code: 'SlowDown', times: 2 },
      {
        match: (m, u) => m === 'POST' && u.includes('uploadId'),
        status: 500,
        code: 'InternalError',
        times: 1,
      },
    ]
    const bytes = randomBytes(6 * MiB)
    const info = { sha256: sha(bytes), size: bytes.length }
    await store.put(() => Readable.from([bytes]), info)
    expect(faults.every((f) => f.times === 0)).toBe(true)
    expect(await store.stat(info.sha256)).toEqual(info)
  })

  it('gives up after the retries with a wrapped error and a hint', async () => {
    const store = makeStore({ retry: { retries: 2, baseDelayMs: 1 } })
    faults = [{ match: (m) => m === 'PUT', status: 503, code: 'SlowDown', times: 10 }]
    const bytes = Buffer.from('throttled')
    const error = await store
      .put(() => Readable.from([bytes]), { sha256: sha(bytes), size: 9 })
      .catch((e) => e)
    expect(error).toMatchObject({
      code: 'storage/s3-failed',
      hint: expect.stringContaining('retries'),
    })
    expect(error.message).toContain('503 SlowDown')
    expect(error.cause).toBeDefined()
    expect(seen.filter((s) => s.startsWith('PUT'))).toHaveLength(3)
  })

  it('does not retry an access error and says to check credentials', async () => {
    const store = makeStore()
    faults = [{ match: (m) => m === 'HEAD', status: 403, code: 'AccessDenied', times: 5 }]
    await expect(store.stat(sha('x'))).rejects.toMatchObject({
      code: 'storage/s3-failed',
      hint: expect.stringContaining('credentials'),
    })
    expect(seen).toHaveLength(1)
  })

  it('keeps private blobs under the private prefix and presigns their URLs', async () => {
    const store = makeStore({ publicUrl: 'https://cdn.example/agora' })
    const bytes = Buffer.from('paid weights')
    const info = { sha256: sha(bytes), size: bytes.length }
    await store.put(() => Readable.from([bytes]), info, { private: true })
    expect(seen).toContain(`PUT /agora/private/${blobKey(info.sha256)}`)
    expect(await store.stat(info.sha256)).toBeUndefined()
    expect(await store.url(info.sha256)).toBe(`https://cdn.example/agora/${blobKey(info.sha256)}`)
    const signed = await store.url(info.sha256, { private: true, expiresIn: 60 })
    expect(signed).toContain('X-Amz-Signature=')
    const answer = await fetch(signed as string)
    expect(answer.status).toBe(200)
    expect(Buffer.from(await answer.arrayBuffer())).toEqual(bytes)
  })
})
