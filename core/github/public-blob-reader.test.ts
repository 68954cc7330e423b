import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blobKey } from '#core/blobs'
import { isAgoraError } from '#core/errors'
import { createPublicBlobReader } from './public-blob-reader.ts'

const bytes = Buffer.from('agora public blob bytes, served over loopback')
const sha = createHash('sha256').update(bytes).digest('hex')

let server: Server
let base: string
const seen: string[] = []

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array))
  return Buffer.concat(chunks)
}

describe('core/github/public-blob-reader', () => {
  beforeAll(async () => {
    // A bucket's public endpoint in miniature: HEAD, GET and single Range requests.
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.range ?? ''}`.trim())
      if (req.url !== `/${blobKey(sha)}`) {
        res.writeHead(404).end()
        return
      }
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '')
      if (range) {
        const start = Number(range[1])
        const end = range[2] ? Number(range[2]) : bytes.length - 1
        const part = bytes.subarray(start, end + 1)
        res.writeHead(206, {
          'content-length': part.length,
          'content-range': `bytes ${start}-${end}/${bytes.length}`,
        })
        res.end(req.method === 'HEAD' ? undefined : part)
        return
      }
      res.writeHead(200, { 'content-length': bytes.length })
      res.end(req.method === 'HEAD' ? undefined : bytes)
    })
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  })

  afterAll(async () => {
    await new Promise((done) => server.close(done))
  })

  it('finds, sizes and reads a public blob, whole or by range', async () => {
    const store = createPublicBlobReader(base, { fetch })
    expect(await store.stat(sha)).toEqual({ sha256: sha, size: bytes.length })
    expect(await collect(await store.get(sha))).toEqual(bytes)
    expect((await collect(await store.get(sha, { start: 6, end: 11 }))).toString()).toBe('public')
    expect(await store.url(sha)).toBe(`${base}${blobKey(sha)}`)
    expect(seen).toContain(`GET /${blobKey(sha)} bytes=6-11`)
  })

  it('says a blob the bucket does not have is missing', async () => {
    const store = createPublicBlobReader(base, { fetch })
    expect(await store.stat('a'.repeat(64))).toBeUndefined()
  })

  it('refuses private blobs, writes, bad hashes and non-http URLs', async () => {
    const store = createPublicBlobReader(base, { fetch })
    const codeOf = async (p: Promise<unknown>) =>
      p.then(
        () => 'none',
        (e: unknown) => (isAgoraError(e) ? e.code : 'other'),
      )
    expect(await codeOf(store.stat(sha, { private: true }))).toBe('storage/private-unreadable')
    expect(await codeOf(store.get('../../etc/passwd'))).toBe('storage/bad-hash')
    expect(
      await codeOf(
        store.put(
          () => {
            throw new Error('unused')
          },
          { sha256: sha, size: 1 },
        ),
      ),
    ).toBe('storage/read-only')
    expect(() => createPublicBlobReader('file:///etc', { fetch })).toThrow(/not an http\(s\) URL/)
  })
})
