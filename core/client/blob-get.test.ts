import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { isNetworkError } from '#core/blobs'
import {
  body,
  closeServers,
  consumeSlowly,
  http,
  listen,
  raw,
  servers,
  signal,
} from './__fixtures__/loopback.ts'
import { blobGetFor, createSocketGet, fetchGet, socketGet } from './blob-get.ts'

const fixtures = join(import.meta.dirname, '__fixtures__')
afterEach(closeServers)

const random = (n: number) => {
  const bytes = Buffer.alloc(n)
  for (let i = 0; i < n; i++) bytes[i] = (i * 2654435761) >>> 24
  return bytes
}

describe.each([
  ['socketGet', socketGet],
  ['fetchGet', fetchGet(globalThis.fetch)],
] as const)('%s', (_name, get) => {
  it('reads a Content-Length body across many reads, byte for byte', async () => {
    const data = random(5 * 1024 * 1024 + 17)
    const url = await http((_req, res) => {
      res.writeHead(200, { 'content-length': data.length })
      // Several writes, so the body spans reads of different sizes.
      for (let i = 0; i < data.length; i += 300_001) res.write(data.subarray(i, i + 300_001))
      res.end()
    })
    const { answer, bytes } = await body(get, `${url}/blob`)
    expect(answer.status).toBe(200)
    expect(answer.header('Content-Length')).toBe(String(data.length))
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(
      createHash('sha256').update(data).digest('hex'),
    )
  })

  it('reads a chunked body and a body that ends with the connection', async () => {
    const data = random(2 * 1024 * 1024 + 3)
    const chunked = await http((_req, res) => {
      res.writeHead(200)
      for (let i = 0; i < data.length; i += 70_000) res.write(data.subarray(i, i + 70_000))
      res.end()
    })
    expect((await body(get, chunked)).bytes.equals(data)).toBe(true)
    const closing = await raw((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n')
      socket.end(data)
    })
    expect((await body(get, closing)).bytes.equals(data)).toBe(true)
  })

  it('sends the request headers and follows a relative redirect', async () => {
    const seen: (string | undefined)[] = []
    const url = await http((req, res) => {
      seen.push(req.headers.range, req.headers.accept)
      if (req.url === '/old') {
        res.writeHead(302, { location: '/new?x=1' })
        return void res.end('moved')
      }
      res.writeHead(206, { 'content-range': 'bytes 2-4/5', 'content-length': 3 })
      res.end(`${req.url}`.slice(0, 3))
    })
    const { answer, bytes } = await body(get, `${url}/old`, {
      range: 'bytes=2-',
      Accept: 'application/octet-stream',
    })
    expect(answer.status).toBe(206)
    expect(answer.header('content-range')).toBe('bytes 2-4/5')
    expect(bytes.toString()).toBe('/ne')
    const asked = ['bytes=2-', 'application/octet-stream']
    expect(seen).toEqual([...asked, ...asked])
  })

  it('gives a status answer and its headers without reading the body', async () => {
    const url = await http((_req, res) => {
      res.writeHead(503, 'Slow Down', { 'retry-after': '7', 'content-length': 4 })
      res.end('busy')
    })
    const answer = await get(url, { headers: {}, signal: signal() })
    expect([answer.status, answer.statusText, answer.header('retry-after')]).toEqual([
      503,
      'Slow Down',
      '7',
    ])
    await answer.cancel()
  })

  it('reports a body cut before its Content-Length as a broken connection', async () => {
    const url = await raw((socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n')
      socket.end(Buffer.alloc(400, 1))
    })
    const answer = await get(url, { headers: {}, signal: signal() })
    let received = 0
    const error = await answer
      .consume((chunk) => {
        received += chunk.byteLength
        return undefined
      })
      .catch((e: unknown) => e)
    expect(received).toBe(400)
    expect(isNetworkError(error) || (error as Error).message === 'terminated').toBe(true)
  })

  it('stops reading when the sink fails, and rejects with its error', async () => {
    const url = await http((_req, res) => {
      res.writeHead(200, { 'content-length': 8 * 1024 * 1024 })
      res.end(Buffer.alloc(8 * 1024 * 1024))
    })
    const answer = await get(url, { headers: {}, signal: signal() })
    let calls = 0
    const error = await answer
      .consume(() => {
        calls++
        return Promise.reject(new Error('disk full'))
      })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ message: 'disk full' })
    expect(calls).toBeLessThan(8)
  })

  it('holds the body while four chunks are still with the sink', async () => {
    const size = 12 * 1024 * 1024
    const url = await http((_req, res) => {
      res.writeHead(200, { 'content-length': size })
      res.end(Buffer.alloc(size, 7))
    })
    const answer = await get(url, { headers: {}, signal: signal() })
    const { total, most } = await consumeSlowly(answer, (done) => setTimeout(done, 2))
    expect(total).toBe(size)
    expect(most).toBeLessThanOrEqual(4)
  })

  it('aborts on the signal while the body waits', async () => {
    const url = await raw((socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n12345')
    })
    const controller = new AbortController()
    const answer = await get(url, { headers: {}, signal: controller.signal })
    const reading = answer.consume(() => {
      controller.abort(new Error('stalled'))
      return undefined
    })
    await expect(reading).rejects.toThrow()
  })
})

describe('socketGet refuses what is not HTTP/1.1 as a client must', () => {
  it.each([
    ['a status line that is not HTTP', 'HELLO THERE\r\n\r\n', 'HPE_INVALID_CONSTANT'],
    [
      'two different content-lengths',
      'HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\nabcd',
      'HPE_UNEXPECTED_CONTENT_LENGTH',
    ],
    [
      'a content-length that is not a number',
      'HTTP/1.1 200 OK\r\ncontent-length: -3\r\n\r\n',
      'HPE_INVALID_CONTENT_LENGTH',
    ],
    [
      'a transfer-encoding it does not read',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n',
      'HPE_INVALID_TRANSFER_ENCODING',
    ],
    [
      'a header line without a name',
      'HTTP/1.1 200 OK\r\n: nothing\r\n\r\n',
      'HPE_INVALID_HEADER_TOKEN',
    ],
    ['a head over 64 KiB', `HTTP/1.1 200 OK\r\nx: ${'a'.repeat(70_000)}`, 'HPE_HEADER_OVERFLOW'],
  ])('%s', async (_what, answer, code) => {
    const url = await raw((socket) => socket.write(answer))
    await expect(socketGet(url, { headers: {}, signal: signal() })).rejects.toMatchObject({ code })
  })

  it.each([
    ['a malformed chunk size', 'zz\r\nabc\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
    ['a chunk longer than its size', '3\r\nabcdef\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
    ['an endless chunk-size line', `1${'0'.repeat(5000)}`, 'HPE_CHUNK_EXTENSIONS_OVERFLOW'],
  ])('a chunked body with %s', async (_what, chunks, code) => {
    const url = await raw((socket) =>
      socket.write(`HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${chunks}`),
    )
    const answer = await socketGet(url, { headers: {}, signal: signal() })
    await expect(answer.consume(() => undefined)).rejects.toMatchObject({ code })
  })

  it('skips an interim 100 answer and reads the real one', async () => {
    const url = await raw((socket) => {
      socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')
    })
    expect((await body(socketGet, url)).bytes.toString()).toBe('ok')
  })

  it('gives up after 20 redirects', async () => {
    const url = await http((_req, res) => {
      res.writeHead(302, { location: '/again' })
      res.end()
    })
    await expect(socketGet(url, { headers: {}, signal: signal() })).rejects.toMatchObject({
      code: 'ERR_TOO_MANY_REDIRECTS',
    })
  })

  it('refuses a request header that would split the request', async () => {
    const url = await http((_req, res) => res.end())
    await expect(
      socketGet(url, { headers: { range: 'bytes=0-\r\nx-evil: 1' }, signal: signal() }),
    ).rejects.toThrow(/line break/)
  })

  it('reports a refused connection as a transient network error', async () => {
    const url = await http((_req, res) => res.end())
    servers.pop()?.close()
    await new Promise((resolve) => setTimeout(resolve, 50))
    const error = await socketGet(url, { headers: {}, signal: signal() }).catch((e: unknown) => e)
    expect(isNetworkError(error)).toBe(true)
  })

  it('ends a running consume() when the answer is cancelled', async () => {
    const url = await http((_req, res) => {
      res.writeHead(200, { 'content-length': 10 })
      res.write('12345')
    })
    const answer = await socketGet(url, { headers: {}, signal: signal() })
    let first: () => void = () => undefined
    const received = new Promise<void>((done) => {
      first = done
    })
    const reading = answer.consume(() => {
      first()
      return undefined
    })
    await received
    await answer.cancel()
    await expect(reading).rejects.toThrow(/cancelled while it was read/)
  })

  it('speaks TLS, checking the certificate against the trusted authorities', async () => {
    const key = readFileSync(join(fixtures, 'tls-localhost.key'), 'utf8')
    const cert = readFileSync(join(fixtures, 'tls-localhost.crt'), 'utf8')
    const data = random(3 * 1024 * 1024)
    const url = await listen(
      createHttpsServer({ key, cert }, (_req, res) => {
        res.writeHead(200, { 'content-length': data.length })
        res.end(data)
      }),
      'https',
    )
    const trusting = createSocketGet({ ca: [cert] })
    expect((await body(trusting, url.replace('127.0.0.1', 'localhost'))).bytes.equals(data)).toBe(
      true,
    )
    // The system's authorities alone do not know this certificate.
    await expect(socketGet(url, { headers: {}, signal: signal() })).rejects.toMatchObject({
      code: expect.stringMatching(/CERT|SELF_SIGNED/),
    })
  })
})

describe('blobGetFor', () => {
  it('reads with sockets for Node’s own fetch and through an injected fetch as given', async () => {
    expect(blobGetFor(globalThis.fetch)).toBe(socketGet)
    const calls: string[] = []
    const injected = (async (url: string | URL | Request) => {
      calls.push(String(url))
      return new Response('hi', { status: 200 })
    }) as typeof globalThis.fetch
    const { bytes } = await body(blobGetFor(injected), 'http://hub.invalid/blob')
    expect(bytes.toString()).toBe('hi')
    expect(calls).toEqual(['http://hub.invalid/blob'])
  })
})

describe('socketGet start-up', () => {
  it('loads TLS only for its first https: connection', async () => {
    // A child process: this one has TLS loaded by the tests above.
    const module = join(import.meta.dirname, 'blob-get.ts')
    const script = `
      import { createServer } from 'node:net'
      const { socketGet } = await import(${JSON.stringify(module)})
      const tls = () => process.moduleLoadList.includes('NativeModule tls')
      const server = createServer((socket) => {
        socket.once('data', () => socket.end('HTTP/1.1 200 OK\\r\\ncontent-length: 5\\r\\n\\r\\nplain'))
        socket.on('error', () => {})
      })
      await new Promise((done) => server.listen(0, '127.0.0.1', done))
      const port = server.address().port
      const signal = new AbortController().signal
      const plain = await socketGet('http://127.0.0.1:' + port + '/blob', { headers: {}, signal })
      const chunks = []
      await plain.consume((chunk) => { chunks.push(Buffer.from(chunk)) })
      console.log(Buffer.concat(chunks).toString(), tls())
      // The same server, spoken to in TLS: the handshake fails, after TLS has loaded.
      await socketGet('https://127.0.0.1:' + port + '/blob', { headers: {}, signal }).catch(() => {})
      console.log(tls())
      process.exit(0)
    `
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script],
      { timeout: 20_000 },
    )
    expect(stdout).toBe('plain false\ntrue\n')
  })
})
