import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { isNetworkError } from '#core/blobs'
import {
  body,
  closeServers,
  consumeSlowly,
  http,
  listen,
  raw,
  signal,
} from './__fixtures__/loopback.ts'
import { type BlobGet, createSocketGet, fetchGet, socketGet } from './blob-get.ts'
import { downloadBlob } from './download.ts'
import { getText } from './http.ts'

afterEach(closeServers)

const readers = [
  ['socketGet', socketGet],
  ['fetchGet', fetchGet(globalThis.fetch)],
] as const

/** What a reader made of an answer: its status and body, or its refusal's code (fetch's is in the cause). */
async function outcome(get: BlobGet, url: string): Promise<string> {
  try {
    const { answer, bytes } = await body(get, url)
    return `${answer.status} ${bytes.toString('latin1')}`
  } catch (error) {
    const { code, cause } = error as { code?: unknown; cause?: { code?: unknown } }
    return `refused ${String(code ?? cause?.code ?? '')}`
  }
}

/** A server that sends these bytes to every request and closes; parts after the first come a little later. */
const answering = (...parts: string[]) =>
  raw(async (socket) => {
    for (const [i, part] of parts.entries()) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 50))
      socket.write(Buffer.from(part, 'latin1'))
    }
    socket.end()
  })

/** An answer whose head (status line to the blank line) is `size` bytes. */
const headOf = (size: number) => `${OK}x: ${'a'.repeat(size - 24)}\r\n\r\n`

const OK = 'HTTP/1.1 200 OK\r\n'
const CHUNKED = `${OK}transfer-encoding: chunked\r\n\r\n`

describe('core/client/blob-get against a hostile hub', () => {
  // What fetch refuses, the socket reader refuses too (with llhttp's code), and
  // it may be stricter; `fetch` says what Node's fetch does with the same bytes.
  it.each([
    [
      'a content-length with a sign',
      `${OK}content-length: +3\r\n\r\nabc`,
      'HPE_INVALID_CONTENT_LENGTH',
      'refuses',
    ],
    [
      'a content-length in hex',
      `${OK}content-length: 0x3\r\n\r\nabc`,
      'HPE_INVALID_CONTENT_LENGTH',
      'refuses',
    ],
    [
      'a content-length list',
      `${OK}content-length: 3, 3\r\n\r\nabc`,
      'HPE_INVALID_CONTENT_LENGTH',
      'refuses',
    ],
    [
      'a content-length after a no-break space',
      `${OK}content-length: \xa03\r\n\r\nabc`,
      'HPE_INVALID_CONTENT_LENGTH',
      'refuses',
    ],
    [
      'a content-length past 2^53',
      `${OK}content-length: 9007199254740993\r\n\r\nabc`,
      'HPE_INVALID_CONTENT_LENGTH',
      'refuses',
    ],
    [
      'a content-length beside chunked',
      `${OK}content-length: 3\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
      'HPE_UNEXPECTED_CONTENT_LENGTH',
      'refuses',
    ],
    [
      'chunked applied twice',
      `${OK}transfer-encoding: chunked, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
      'HPE_INVALID_TRANSFER_ENCODING',
      'accepts',
    ],
    [
      'transfer-encoding identity',
      `${OK}transfer-encoding: identity\r\n\r\nabc`,
      'HPE_INVALID_TRANSFER_ENCODING',
      'accepts',
    ],
    [
      'a folded header line',
      `${OK}x-a: 1\r\n  folded\r\ncontent-length: 3\r\n\r\nabc`,
      'HPE_INVALID_HEADER_TOKEN',
      'refuses',
    ],
    [
      'a head in bare LFs',
      'HTTP/1.1 200 OK\ncontent-length: 3\n\nabc',
      'HPE_CR_EXPECTED',
      'refuses',
    ],
    [
      'a bare LF hiding a header',
      `${OK}x-a: 1\ncontent-length: 3\r\n\r\nabc`,
      'HPE_CR_EXPECTED',
      'refuses',
    ],
    [
      'a bare LF smuggling a location',
      'HTTP/1.1 302 Found\r\nx-a: 1\nlocation: http://127.0.0.1:9/\r\ncontent-length: 0\r\n\r\n',
      'HPE_CR_EXPECTED',
      'refuses',
    ],
    [
      'a NUL in a header value',
      `${OK}x-a: a\0b\r\ncontent-length: 3\r\n\r\nabc`,
      'HPE_INVALID_HEADER_TOKEN',
      'refuses',
    ],
    [
      'a bare CR in a header value',
      `${OK}x-a: a\rb\r\ncontent-length: 3\r\n\r\nabc`,
      'HPE_INVALID_HEADER_TOKEN',
      'refuses',
    ],
    [
      'a header name that is not a token',
      `${OK}x(a): 1\r\ncontent-length: 3\r\n\r\nabc`,
      'HPE_INVALID_HEADER_TOKEN',
      'refuses',
    ],
    [
      'a header line without a colon',
      `${OK}nocolon\r\ncontent-length: 3\r\n\r\nabc`,
      'HPE_INVALID_HEADER_TOKEN',
      'refuses',
    ],
    [
      'an escape sequence in the reason',
      'HTTP/1.1 200 \x1b[31mOK\r\ncontent-length: 3\r\n\r\nabc',
      'HPE_INVALID_STATUS',
      'accepts',
    ],
    [
      'a status below 100',
      'HTTP/1.1 099 OK\r\ncontent-length: 3\r\n\r\nabc',
      'HPE_INVALID_STATUS',
      'refuses',
    ],
    [
      'a status above 599',
      'HTTP/1.1 999 OK\r\ncontent-length: 3\r\n\r\nabc',
      'HPE_INVALID_STATUS',
      'accepts',
    ],
    [
      'a two-digit status',
      'HTTP/1.1 20 OK\r\ncontent-length: 3\r\n\r\nabc',
      'HPE_INVALID_CONSTANT',
      'refuses',
    ],
    ['no status line', '\r\ncontent-length: 3\r\n\r\nabc', 'HPE_INVALID_CONSTANT', 'refuses'],
    [
      'an HTTP/2 status line',
      'HTTP/2 200 OK\r\ncontent-length: 3\r\n\r\nabc',
      'HPE_INVALID_CONSTANT',
      'refuses',
    ],
    [
      'a switch to another protocol',
      `HTTP/1.1 101 Switching Protocols\r\nupgrade: x\r\n\r\n${OK}content-length: 3\r\n\r\nabc`,
      'HPE_INVALID_STATUS',
      'refuses',
    ],
    [
      'interim answers without end',
      `${'HTTP/1.1 100 Continue\r\n\r\n'.repeat(50_000)}${OK}content-length: 3\r\n\r\nabc`,
      'HPE_HEADER_OVERFLOW',
      'refuses',
    ],
    ['a head of 64 KiB and a byte', `${headOf(65_537)}abc`, 'HPE_HEADER_OVERFLOW', 'refuses'],
  ])('refuses %s', async (_what, bytes, code, fetch) => {
    const url = await answering(bytes)
    expect(await outcome(socketGet, url)).toBe(`refused ${code}`)
    const fetched = await outcome(fetchGet(globalThis.fetch), url)
    expect(fetched.startsWith('refused')).toBe(fetch === 'refuses')
  })

  it.each([
    [
      'a size with a space before its extension',
      '3 ;a=b\r\nabc\r\n0\r\n\r\n',
      'HPE_INVALID_CHUNK_SIZE',
    ],
    ['a size with trailing spaces', '3  \r\nabc\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
    ['a size in 0x', '0x3\r\nabc\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
    ['a negative size', '-3\r\nabc\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
    ['a size past 2^53', 'fffffffffffffff\r\nabc\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
    ['lines ending in a bare LF', '3\nabc\n0\n\n', 'HPE_CR_EXPECTED'],
    ['data running past its size', '3\r\nabc\rX0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
  ])('refuses a chunked body with %s, as fetch does', async (_what, chunks, code) => {
    const url = await answering(`${CHUNKED}${chunks}`)
    expect(await outcome(socketGet, url)).toBe(`refused ${code}`)
    expect(await outcome(fetchGet(globalThis.fetch), url)).toMatch(/^refused/)
  })

  it('reads a head of exactly 64 KiB', async () => {
    const url = await answering(`${headOf(65_536)}abc`)
    expect(await outcome(socketGet, url)).toBe('200 abc')
  })

  it.each([
    [
      'leading zeros on a chunk size',
      `${CHUNKED}${'0'.repeat(40)}3\r\nabc\r\n0\r\n\r\n`,
      '200 abc',
    ],
    ['a chunk extension', `${CHUNKED}3;a=b\r\nabc\r\n0;x\r\n\r\n`, '200 abc'],
    [
      'Chunked in capitals',
      `${OK}transfer-encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
      '200 abc',
    ],
    ['trailer fields after the last chunk', `${CHUNKED}3\r\nabc\r\n0\r\nx-t: 1\r\n\r\n`, '200 abc'],
    [
      'an answer after the last chunk (not body, not read)',
      `${CHUNKED}3\r\nabc\r\n0\r\n\r\n${OK}content-length: 3\r\n\r\nxyz`,
      '200 abc',
    ],
    ['bytes past the content-length (dropped)', `${OK}content-length: 3\r\n\r\nabcdef`, '200 abc'],
    [
      'a 204 with a body (dropped)',
      'HTTP/1.1 204 No Content\r\ncontent-length: 3\r\n\r\nabc',
      '204 ',
    ],
    [
      'an early-hints answer first',
      `HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n${OK}content-length: 3\r\n\r\nabc`,
      '200 abc',
    ],
    ['an HTTP/1.0 answer', 'HTTP/1.0 200 OK\r\ncontent-length: 3\r\n\r\nabc', '200 abc'],
  ])('reads %s as fetch does', async (_what, bytes, read) => {
    const url = await answering(bytes)
    for (const [, get] of readers) expect(await outcome(get, url)).toBe(read)
  })

  it.each([
    ['a body shorter than its content-length', `${OK}content-length: 6\r\n\r\nabc`],
    ['a chunked body without its last chunk', `${CHUNKED}3\r\nabc\r\n`],
    ['a chunked body without its final CRLF', `${CHUNKED}3\r\nabc\r\n0\r\n`],
    ['a head cut before its end', `${OK}content-length: 3\r\n`],
  ])('reports %s, then the connection closed, as broken (to be resumed)', async (_what, bytes) => {
    const url = await answering(bytes)
    const error = await body(socketGet, url).catch((e: unknown) => e)
    expect(isNetworkError(error)).toBe(true)
    expect(await outcome(fetchGet(globalThis.fetch), url)).toMatch(/^refused/)
  })

  it.each(readers)('%s reads an answer sent a few bytes at a time', async (_name, get) => {
    const answer = Buffer.from(`${CHUNKED}5\r\nhello\r\n1;x=y\r\n \r\n5\r\nworld\r\n0\r\n\r\n`)
    const url = await raw(async (socket) => {
      socket.setNoDelay(true)
      for (let i = 0; i < answer.length; i += 3) {
        socket.write(answer.subarray(i, i + 3))
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
      socket.end()
    })
    expect((await body(get, url)).bytes.toString()).toBe('hello world')
  })

  it.each(readers)(
    '%s holds a chunked body of small chunks while four are with the sink',
    async (_name, get) => {
      const chunks = Array.from(
        { length: 4000 },
        (_, i) => `400\r\n${String(i % 10).repeat(1024)}\r\n`,
      )
      const url = await raw((socket) => socket.end(`${CHUNKED}${chunks.join('')}0\r\n\r\n`))
      const answer = await get(url, { headers: {}, signal: signal() })
      const { total, most } = await consumeSlowly(answer, (done) => setImmediate(done))
      expect(total).toBe(4000 * 1024)
      expect(most).toBeLessThanOrEqual(4)
    },
  )

  it.each(readers)('%s never calls a sink again once it threw', async (_name, get) => {
    const chunks = Array.from({ length: 50 }, () => '3\r\nabc\r\n').join('')
    const url = await raw((socket) => socket.end(`${CHUNKED}${chunks}0\r\n\r\n`))
    const answer = await get(url, { headers: {}, signal: signal() })
    let calls = 0
    const reading = answer.consume(() => {
      calls++
      throw new Error('too large')
    })
    await expect(reading).rejects.toThrow('too large')
    expect(calls).toBe(1)
  })
})

describe('core/client/blob-get redirects from a hostile hub', () => {
  it.each(readers)(
    '%s drops credentials on a redirect to another origin, as fetch does',
    async (_name, get) => {
      const seen: Record<string, string | string[] | undefined>[] = []
      const other = await http((request, response) => {
        seen.push(request.headers)
        response.end('there')
      })
      const first = await http((_request, response) => {
        response.writeHead(302, { location: `${other.replace('127.0.0.1', 'localhost')}/blob` })
        response.end()
      })
      const headers = {
        authorization: 'Bearer s',
        cookie: 'c=1',
        'proxy-authorization': 'p',
        range: 'bytes=0-',
      }
      expect((await body(get, first, headers)).bytes.toString()).toBe('there')
      expect(seen).toHaveLength(1)
      expect(seen[0]).toMatchObject({ range: 'bytes=0-' })
      expect(Object.keys(seen[0] ?? {})).not.toContain('authorization')
      expect(Object.keys(seen[0] ?? {})).not.toContain('cookie')
      expect(Object.keys(seen[0] ?? {})).not.toContain('proxy-authorization')
    },
  )

  it.each([
    'data:application/octet-stream,abc',
    'file:///etc/hostname',
    'javascript:alert(1)',
    'ftp://127.0.0.1/blob',
    'http://[::1',
  ])('refuses a redirect to %s, as fetch does, for good', async (location) => {
    const url = await http((_request, response) => {
      response.writeHead(302, { location })
      response.end()
    })
    const error = await body(socketGet, url).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ERR_INVALID_REDIRECT' })
    expect(isNetworkError(error)).toBe(false)
    expect(await outcome(fetchGet(globalThis.fetch), url)).toMatch(/^refused/)
  })

  it('refuses a redirect from https to plain http, where fetch would follow it', async () => {
    const fixtures = join(import.meta.dirname, '__fixtures__')
    const cert = readFileSync(join(fixtures, 'tls-localhost.crt'), 'utf8')
    const key = readFileSync(join(fixtures, 'tls-localhost.key'), 'utf8')
    let plainAsked = false
    const plain = await http((_request, response) => {
      plainAsked = true
      response.end('in the clear')
    })
    const secure = await listen(
      createHttpsServer({ key, cert }, (_request, response) => {
        response.writeHead(302, { location: `${plain}/blob` })
        response.end()
      }),
      'https',
    )
    const error = await body(
      createSocketGet({ ca: [cert] }),
      secure.replace('127.0.0.1', 'localhost'),
    ).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ERR_REDIRECT_DOWNGRADE' })
    expect(plainAsked).toBe(false)
  })
})

describe('core/client/blob-get answers that reach the cache', () => {
  const blob = Buffer.from('hostile hub, honest bytes')
  const expected = { sha256: createHash('sha256').update(blob).digest('hex'), size: blob.length }

  async function download(url: string) {
    const work = await mkdtemp(join(tmpdir(), 'agora-blob-get-'))
    const target = join(work, 'blob')
    try {
      const error = await downloadBlob({
        fetch: globalThis.fetch,
        url,
        target,
        expected,
        retry: { retries: 2, baseDelayMs: 1 },
      }).then(
        () => undefined,
        (e: unknown) => e,
      )
      const kept = existsSync(target) ? await readFile(target) : undefined
      return { error, kept, partial: existsSync(`${target}.partial`) }
    } finally {
      await rm(work, { recursive: true, force: true })
    }
  }

  it.each([
    [
      'a chunked body broken after its first bytes',
      `${CHUNKED}5\r\n${blob.subarray(0, 5)}\r\n`,
      'zz\r\n',
    ],
    [
      'a redirect to a data: URL of the bytes',
      `HTTP/1.1 302 Found\r\nlocation: data:,${blob}\r\ncontent-length: 0\r\n\r\n`,
    ],
    [
      'a content-length beside chunked',
      `${OK}content-length: ${blob.length}\r\ntransfer-encoding: chunked\r\n\r\n`,
    ],
  ])('refuses %s with a coded error and a hint, keeping nothing', async (_what, ...parts) => {
    const { error, kept, partial } = await download(await answering(...parts))
    expect(error).toMatchObject({
      code: 'client/bad-answer',
      message: expect.stringMatching(
        /^cannot fetch blob [0-9a-f]{64}: http:\/\/127\.0\.0\.1:\d+\/: /,
      ),
      hint: expect.stringContaining('Nothing it sent was kept: report it to the hub'),
    })
    expect([kept, partial]).toEqual([undefined, false])
  })

  it('resumes a body cut short instead of sealing it, and seals the whole', async () => {
    const asked: (string | undefined)[] = []
    const url = await listen(
      createHttpServer((request, response) => {
        asked.push(request.headers.range)
        if (asked.length === 1) {
          response.writeHead(200, { 'content-length': blob.length })
          response.write(blob.subarray(0, 10))
          setTimeout(() => response.socket?.destroy(), 20)
          return
        }
        const start = Number(/^bytes=(\d+)-$/.exec(request.headers.range ?? '')?.[1] ?? 0)
        response.writeHead(206, {
          'content-length': blob.length - start,
          'content-range': `bytes ${start}-${blob.length - 1}/${blob.length}`,
        })
        response.end(blob.subarray(start))
      }),
    )
    const { error, kept, partial } = await download(`${url}/blob`)
    expect(error).toBeUndefined()
    expect(kept?.equals(blob)).toBe(true)
    expect(partial).toBe(false)
    expect(asked).toEqual([undefined, 'bytes=10-'])
  })

  it('gives up on a head that trickles in a byte at a time (the stall guard)', async () => {
    const url = await raw((socket) => {
      const head = `${OK}x: ${'a'.repeat(10_000)}`
      let i = 0
      const timer = setInterval(() => {
        if (socket.destroyed || i >= head.length) return clearInterval(timer)
        socket.write(head[i++] as string)
      }, 10)
      socket.on('close', () => clearInterval(timer))
    })
    await expect(
      getText(globalThis.fetch, url, { stallTimeoutMs: 300, retry: { retries: 0 } }),
    ).rejects.toMatchObject({ code: 'client/stalled' })
  })
})
