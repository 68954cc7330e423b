import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { createServer as createNetServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { body, closeServers, listen, signal } from './__fixtures__/loopback.ts'
import { createSocketGet } from './blob-get.ts'

const fixtures = join(import.meta.dirname, '__fixtures__')
afterEach(closeServers)

/** A server counting the connections it accepted. */
function counted<T extends { on(event: 'connection', listener: () => void): unknown }>(server: T) {
  const seen = { connections: 0 }
  server.on('connection', () => {
    seen.connections++
  })
  return seen
}

/**
 * A raw server: `answer` is called for every request head it reads, with
 * the socket, the request's number on its connection and the connection's
 * number (both from 1).
 */
function rawServer(answer: (socket: Socket, request: number, connection: number) => void) {
  let connections = 0
  const server = createNetServer((socket) => {
    const connection = ++connections
    let request = 0
    let pending = ''
    socket.on('data', (data) => {
      pending += data.toString('latin1')
      while (pending.includes('\r\n\r\n')) {
        pending = pending.slice(pending.indexOf('\r\n\r\n') + 4)
        answer(socket, ++request, connection)
      }
    })
    socket.on('error', () => undefined)
  })
  return { server, seen: counted(server) }
}

const ok = (text: string, headers = '') =>
  `HTTP/1.1 200 OK\r\ncontent-length: ${text.length}\r\n${headers}\r\n${text}`

describe('socketGet keeps connections for the next request to the origin', () => {
  it('reads documents and blobs in a row over one connection, Content-Length or chunked', async () => {
    const server = createHttpServer((req, res) => {
      if (req.url === '/chunked') {
        res.write('chun')
        res.end('ked')
      } else res.end(`answer to ${req.url}`)
    })
    const seen = counted(server)
    const url = await listen(server)
    const get = createSocketGet()
    const texts: string[] = []
    for (const path of ['/index/config.json', '/chunked', '/items/a.json', '/blobs/ab/cd'])
      texts.push((await body(get, `${url}${path}`)).bytes.toString())
    expect(texts).toEqual([
      'answer to /index/config.json',
      'chunked',
      'answer to /items/a.json',
      'answer to /blobs/ab/cd',
    ])
    expect(seen.connections).toBe(1)
  })

  it('keeps the connection of an answer without a body that is dropped unread (a 304)', async () => {
    const server = createHttpServer((req, res) => {
      if (req.url === '/index/config.json') res.writeHead(304).end()
      else res.end('item')
    })
    const seen = counted(server)
    const url = await listen(server)
    const get = createSocketGet()
    const revalidated = await get(`${url}/index/config.json`, { headers: {}, signal: signal() })
    expect(revalidated.status).toBe(304)
    await revalidated.cancel()
    expect((await body(get, `${url}/items/a.json`)).bytes.toString()).toBe('item')
    expect(seen.connections).toBe(1)
  })

  it('keeps a TLS connection too', async () => {
    const key = readFileSync(join(fixtures, 'tls-localhost.key'), 'utf8')
    const cert = readFileSync(join(fixtures, 'tls-localhost.crt'), 'utf8')
    const server = createHttpsServer({ key, cert }, (req, res) => res.end(`tls ${req.url}`))
    const seen = counted(server)
    const url = (await listen(server, 'https')).replace('127.0.0.1', 'localhost')
    const get = createSocketGet({ ca: [cert] })
    expect((await body(get, `${url}/a`)).bytes.toString()).toBe('tls /a')
    expect((await body(get, `${url}/b`)).bytes.toString()).toBe('tls /b')
    expect(seen.connections).toBe(1)
  })

  it('sends the request again on a new connection when the server closed the kept one', async () => {
    // The first connection answers once, then resets on the next request: a
    // server's keep-alive timeout met the request on the way.
    const { server } = rawServer((socket, request, connection) => {
      if (connection === 1 && request === 2) socket.resetAndDestroy()
      else socket.write(ok(`from connection ${connection}`))
    })
    const url = await listen(server)
    const get = createSocketGet()
    expect((await body(get, `${url}/a`)).bytes.toString()).toBe('from connection 1')
    expect((await body(get, `${url}/b`)).bytes.toString()).toBe('from connection 2')
  })

  it('does not send it again when the kept connection broke after the answer began', async () => {
    const { server, seen } = rawServer((socket, request) => {
      if (request === 2) socket.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npart')
      else socket.write(ok('whole'))
    })
    const url = await listen(server)
    const get = createSocketGet()
    await body(get, `${url}/a`)
    await expect(body(get, `${url}/b`)).rejects.toMatchObject({ code: 'ECONNRESET' })
    expect(seen.connections).toBe(1)
  })

  it.each([
    ['the server says connection: close', () => ok('x', 'connection: close\r\n')],
    ['the answer is HTTP/1.0', () => 'HTTP/1.0 200 OK\r\ncontent-length: 1\r\n\r\nx'],
  ])('opens a new connection when %s', async (_what, answer) => {
    const { server, seen } = rawServer((socket) => socket.write(answer()))
    const url = await listen(server)
    const get = createSocketGet()
    await body(get, `${url}/a`)
    await body(get, `${url}/b`)
    expect(seen.connections).toBe(2)
  })

  it('opens a new connection after a body that ended with its connection', async () => {
    const { server, seen } = rawServer((socket) => {
      socket.end('HTTP/1.1 200 OK\r\n\r\nuntil the end')
    })
    const url = await listen(server)
    const get = createSocketGet()
    expect((await body(get, `${url}/a`)).bytes.toString()).toBe('until the end')
    expect((await body(get, `${url}/b`)).bytes.toString()).toBe('until the end')
    expect(seen.connections).toBe(2)
  })

  it.each([
    ['a Content-Length body', ok('real')],
    [
      'a chunked body',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\nreal\r\n0\r\n\r\n',
    ],
  ])('never takes bytes after %s as the next answer', async (_what, answer) => {
    // A second answer sent with the first, before any second request: on
    // the kept connection it would answer whatever is asked next.
    const { server, seen } = rawServer((socket) => socket.write(`${answer}${ok('EVIL')}`))
    const url = await listen(server)
    const get = createSocketGet()
    expect((await body(get, `${url}/a`)).bytes.toString()).toBe('real')
    expect((await body(get, `${url}/b`)).bytes.toString()).toBe('real')
    expect(seen.connections).toBe(2)
  })

  it('drops a kept connection that sends an answer nobody asked for', async () => {
    const sockets: Socket[] = []
    const { server, seen } = rawServer((socket, request) => {
      sockets.push(socket)
      socket.write(ok(`answer ${request}`))
    })
    const url = await listen(server)
    // Kept far longer than the test may take: only the unasked answer closes it.
    const get = createSocketGet({ idleMs: 600_000 })
    expect((await body(get, `${url}/a`)).bytes.toString()).toBe('answer 1')
    // The connection is idle now; an answer to nothing arrives on it.
    const first = sockets[0] as Socket
    const closed = new Promise((done) => first.once('close', done))
    first.write(ok('EVIL'))
    await closed
    expect((await body(get, `${url}/b`)).bytes.toString()).toBe('answer 1')
    expect(seen.connections).toBe(2)
  })

  it('never reads an answer that reached the client before the next request as its answer', async () => {
    const sockets: Socket[] = []
    const { server, seen } = rawServer((socket, request, connection) => {
      sockets.push(socket)
      socket.write(ok(`connection ${connection} request ${request}`))
    })
    const url = await listen(server)
    const get = createSocketGet({ idleMs: 600_000 })
    const first = await get(`${url}/a`, { headers: {}, signal: signal() })
    // The answer to nothing is on the client's side of the connection once
    // the first body is read, but not yet read by it: the next request is
    // sent in the same turn of the event loop.
    await first.consume(() => {
      ;(sockets[0] as Socket).write(ok('EVIL'))
      return undefined
    })
    expect((await body(get, `${url}/b`)).bytes.toString()).toBe('connection 2 request 1')
    expect(seen.connections).toBe(2)
  })

  it('closes a kept connection taken for a request aborted before it was sent', async () => {
    const sockets: Socket[] = []
    const { server } = rawServer((socket) => {
      sockets.push(socket)
      socket.write(ok('x'))
    })
    const url = await listen(server)
    const get = createSocketGet({ idleMs: 600_000 })
    await body(get, `${url}/a`)
    const closed = new Promise((done) => (sockets[0] as Socket).once('close', done))
    const controller = new AbortController()
    const aborted = get(`${url}/b`, { headers: {}, signal: controller.signal })
    controller.abort(new Error('stop'))
    await expect(aborted).rejects.toThrow('stop')
    await closed
    expect(sockets).toHaveLength(1)
  })

  it('gives a redirect’s connection up, and keeps the one whose answer was read', async () => {
    const server = createHttpServer((req, res) => {
      if (req.url === '/moved') res.writeHead(302, { location: '/here' }).end('see /here')
      else res.end('here')
    })
    const seen = counted(server)
    const url = await listen(server)
    const get = createSocketGet()
    expect((await body(get, `${url}/moved`)).bytes.toString()).toBe('here')
    expect((await body(get, `${url}/moved`)).bytes.toString()).toBe('here')
    // The redirect's answer is dropped unread (its connection closes); the target's is kept.
    expect(seen.connections).toBe(3)
  })

  it('keeps no idle connection alive in the process', async () => {
    const server = createHttpServer({ keepAliveTimeout: 60_000 }, (_req, res) => res.end('x'))
    const url = await listen(server)
    // A process of its own: what keeps its event loop alive after the GET.
    const script = `
      import { createSocketGet } from ${JSON.stringify(join(import.meta.dirname, 'blob-get.ts'))}
      const answer = await createSocketGet()(${JSON.stringify(`${url}/a`)}, { headers: {}, signal: AbortSignal.timeout(10000) })
      await answer.consume(() => undefined)
      await new Promise((next) => setImmediate(next))
      console.log(JSON.stringify(process.getActiveResourcesInfo()))
      process.exit(0)`
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (data) => {
      out += data
    })
    await new Promise((exited) => child.on('exit', exited))
    const resources = JSON.parse(out) as string[]
    expect(resources).not.toContain('TCPSocketWrap')
    expect(resources).not.toContain('Timeout')
  })
})
