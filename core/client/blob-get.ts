import { isIP, connect as netConnect, type Socket } from 'node:net'
import { rootCertificates, connect as tlsConnect } from 'node:tls'

/**
 * One answer to a blob GET: status and headers, then a body given chunk by
 * chunk to a sink. The body of a blob is gigabytes, so how it is read is the
 * pull's cost: see socketGet.
 */
export interface BlobAnswer {
  readonly status: number
  readonly statusText: string
  /** A header's value (several joined by ", "), or null; names in any case. */
  header(name: string): string | null
  /**
   * Gives the body to `sink` in order, chunk by chunk. `sink` returns a
   * promise that settles when it is done with the chunk (written to disk,
   * say): the chunk's memory may be reused after that, and only a bounded
   * number of chunks are out at once, so a slow sink slows the transfer
   * instead of filling memory. Resolves at the body's end; rejects when the
   * connection is cut early (code ECONNRESET, after the bytes that came were
   * given to `sink`), when `sink` rejects, or on the request's signal.
   */
  consume(sink: (chunk: Uint8Array) => Promise<void> | undefined): Promise<void>
  /** Drops the body unread and frees the connection. */
  cancel(): Promise<void>
}

export interface BlobGetInit {
  headers: Record<string, string>
  signal: AbortSignal
}

/** A GET that answers with a BlobAnswer; redirects are followed. */
export type BlobGet = (url: string, init: BlobGetInit) => Promise<BlobAnswer>

/** How many chunks a sink may hold at once before the body waits for it. */
const IN_FLIGHT = 4

/**
 * The GET a download uses with `fetch`: Node's own fetch is replaced by
 * socketGet (same answers, a third of the CPU for a large body); an injected
 * fetch (a test's, a proxy's) is used as given.
 *
 * @example const get = blobGetFor(options.fetch)
 */
export function blobGetFor(fetch: typeof globalThis.fetch): BlobGet {
  return fetch === globalThis.fetch ? socketGet : fetchGet(fetch)
}

/**
 * A BlobGet over `fetch`.
 *
 * @example const answer = await fetchGet(fetch)(url, { headers: {}, signal })
 */
export function fetchGet(fetch: typeof globalThis.fetch): BlobGet {
  return async (url, init) => {
    const answer = await fetch(url, init)
    return {
      status: answer.status,
      statusText: answer.statusText,
      header: (name) => answer.headers.get(name),
      async consume(sink) {
        if (!answer.body) return
        const reader = answer.body.getReader()
        const out = new Set<Promise<void>>()
        let failure: { error: unknown } | undefined
        try {
          for (;;) {
            const { done, value } = await reader.read()
            if (done) break
            const pending = sink(value)
            if (pending) {
              const tracked: Promise<void> = pending.then(
                () => void out.delete(tracked),
                (error: unknown) => {
                  out.delete(tracked)
                  failure ??= { error }
                },
              )
              out.add(tracked)
              if (out.size >= IN_FLIGHT) await Promise.race(out)
            }
            if (failure) throw failure.error
          }
          await Promise.all(out)
          if (failure) throw failure.error
        } catch (error) {
          await reader.cancel().catch(() => undefined)
          await Promise.all(out)
          throw error
        }
      },
      async cancel() {
        await answer.body?.cancel().catch(() => undefined)
      },
    }
  }
}

/** Bytes per socket read, and so per chunk given to the sink. */
const CHUNK = 1 << 20
/** The most a response head (status line and headers) may take. */
const MAX_HEAD = 64 * 1024
/** The most a chunk-size line of a chunked body may take. */
const MAX_CHUNK_LINE = 4096
const MAX_REDIRECTS = 20
const REDIRECTS = new Set([301, 302, 303, 307, 308])

/**
 * A GET over HTTP/1.1 on its own connection (plain or TLS), reading the
 * body into a few reused 1 MiB buffers. Node's fetch and node:http allocate
 * a buffer per read and pass each through stream machinery: receiving 1 GiB
 * costs about 3 CPU-seconds there and about 1 here, and the pull is
 * CPU-bound. Content-Length, chunked and close-delimited bodies are read;
 * redirects are followed as fetch follows them; with Node's proxy support
 * on (NODE_USE_ENV_PROXY) the request goes through fetch instead.
 *
 * @example const answer = await socketGet('http://127.0.0.1:4321/blobs/ab/cd…', { headers: {}, signal })
 */
export const socketGet: BlobGet = createSocketGet()

/**
 * A socketGet that trusts the given certificate authorities for TLS on top
 * of the system's (tests use it with a certificate of their own).
 */
export function createSocketGet(tls: { ca?: string[] } = {}): BlobGet {
  return async (url, init) => {
    let target = new URL(url)
    for (let hops = 0; ; hops++) {
      if ((target.protocol !== 'http:' && target.protocol !== 'https:') || proxied()) {
        return fetchGet(globalThis.fetch)(target.href, init)
      }
      const answer = await getOnce(target, init, tls.ca)
      const location = answer.header('location')
      if (!REDIRECTS.has(answer.status) || location === null) return answer
      await answer.cancel()
      if (hops >= MAX_REDIRECTS) {
        throw connectionError(
          `${url}: more than ${MAX_REDIRECTS} redirects`,
          'ERR_TOO_MANY_REDIRECTS',
        )
      }
      target = new URL(location, target)
    }
  }
}

/** Whether Node's fetch would go through a proxy from the environment. */
function proxied(): boolean {
  return Boolean(process.env.NODE_USE_ENV_PROXY) || process.execArgv.includes('--use-env-proxy')
}

/** An error the retry rules see as a broken connection. */
function connectionError(message: string, code = 'ECONNRESET'): Error {
  return Object.assign(new Error(message), { code })
}

type BodyFraming = { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' }

/** One request on one connection; its answer's body is read as it arrives. */
function getOnce(target: URL, init: BlobGetInit, ca: string[] | undefined): Promise<BlobAnswer> {
  const { signal } = init
  signal.throwIfAborted()
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1')
  const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80)
  // The caller's headers replace the defaults; the framing ones are this reader's own.
  const headers: Record<string, string> = { 'user-agent': 'agora', accept: '*/*' }
  for (const [name, value] of Object.entries(init.headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) {
      throw new TypeError(`the request header ${JSON.stringify(name)} holds a line break`)
    }
    headers[name.toLowerCase()] = value
  }
  Object.assign(headers, { host: target.host, 'accept-encoding': 'identity', connection: 'close' })
  const lines = [
    `GET ${target.pathname}${target.search} HTTP/1.1`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ]
  const request = `${lines.join('\r\n')}\r\n\r\n`

  return new Promise<BlobAnswer>((resolveHead, rejectHead) => {
    const pool: Buffer[] = []
    // Shared memory, so the hashing thread reads the chunks where they are.
    const take = () => pool.pop() ?? Buffer.from(new SharedArrayBuffer(CHUNK))
    let out = 0
    // Before the head is parsed its bytes collect here; after, what followed it.
    let head: Buffer | undefined = Buffer.alloc(0)
    let early: Buffer | undefined
    let framing: BodyFraming = { kind: 'close' }
    let settledHead = false
    let sink: ((chunk: Uint8Array) => Promise<void> | undefined) | undefined
    let finishBody: (() => void) | undefined
    let failBody: ((error: unknown) => void) | undefined
    let bodyDone = false
    let failure: unknown
    let paused = false
    const chunked = new ChunkedDecoder()

    const fail = (error: unknown) => {
      failure ??= error
      socket.destroy()
      if (!settledHead) {
        settledHead = true
        cleanUp()
        rejectHead(failure)
      } else failBody?.(failure)
    }
    const onAbort = () => fail(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    const cleanUp = () => signal.removeEventListener('abort', onAbort)

    const finish = () => {
      if (bodyDone) return
      bodyDone = true
      socket.destroy()
      finishBody?.()
    }

    /** Hands body bytes to the sink; `owned` goes back to the pool when the sink is done. */
    const deliver = (bytes: Buffer, owned: Buffer | undefined): void => {
      if (bytes.length === 0 || !sink) {
        if (owned) pool.push(owned)
        return
      }
      let pending: Promise<void> | undefined
      try {
        pending = sink(bytes)
      } catch (error) {
        fail(error)
        return
      }
      if (!pending) {
        if (owned) pool.push(owned)
        return
      }
      out++
      pending.then(
        () => {
          out--
          if (owned) pool.push(owned)
          if (bodyDone && out === 0) finishBody?.()
          if (paused && out < IN_FLIGHT && !socket.destroyed) {
            paused = false
            socket.resume()
          }
        },
        (error: unknown) => {
          out--
          fail(error)
        },
      )
    }

    /** Body bytes as they come off the wire; returns false when the sink is full. */
    const onBody = (bytes: Buffer, owned: Buffer | undefined): boolean => {
      if (framing.kind === 'length') {
        const n = Math.min(bytes.length, framing.left)
        framing.left -= n
        deliver(bytes.subarray(0, n), owned)
        if (framing.left === 0) finish()
      } else if (framing.kind === 'chunked') {
        // The parts are copied, so the read buffer is free at once (a chunked blob is rare).
        if (owned) pool.push(owned)
        let ended = false
        try {
          ended = chunked.feed(bytes, (part) => deliver(Buffer.from(part), undefined))
        } catch (error) {
          fail(error)
          return false
        }
        if (ended) finish()
      } else deliver(bytes, owned)
      if (out >= IN_FLIGHT) {
        paused = true
        return false
      }
      return true
    }

    const onHead = (bytes: Buffer): void => {
      head = Buffer.concat([head as Buffer, bytes])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) {
        if (head.length > MAX_HEAD) {
          fail(
            connectionError(
              `${target.href}: the response head is over ${MAX_HEAD} bytes`,
              'HPE_HEADER_OVERFLOW',
            ),
          )
        }
        return
      }
      const parsed = parseHead(head.subarray(0, end).toString('latin1'), target.href)
      const rest = head.subarray(end + 4)
      if (!(parsed instanceof Error) && parsed.status >= 100 && parsed.status < 200) {
        // An interim answer (100 Continue): the real head follows.
        head = Buffer.alloc(0)
        if (rest.length > 0) onHead(rest)
        return
      }
      const body = parsed instanceof Error ? parsed : framingOf(parsed, target.href)
      if (body instanceof Error) {
        fail(body)
        return
      }
      head = undefined
      framing = body
      early = Buffer.from(rest)
      socket.pause()
      paused = true
      settledHead = true
      resolveHead(answerOf(parsed as ParsedHead))
    }

    const answerOf = (parsed: ParsedHead): BlobAnswer => ({
      status: parsed.status,
      statusText: parsed.statusText,
      header: (name) => parsed.headers.get(name.toLowerCase()) ?? null,
      consume: (given) =>
        new Promise<void>((resolve, reject) => {
          if (sink) throw new TypeError('the body was already read')
          sink = given
          finishBody = () => {
            if (out === 0) {
              cleanUp()
              if (failure) reject(failure)
              else resolve()
            }
          }
          failBody = (error) => {
            cleanUp()
            reject(error)
          }
          if (failure) return failBody(failure)
          if (framing.kind === 'length' && framing.left === 0) return finish()
          const first = early as Buffer
          early = undefined
          if (first.length > 0) onBody(first, undefined)
          if (!bodyDone && !failure && out < IN_FLIGHT) {
            paused = false
            socket.resume()
          }
        }),
      async cancel() {
        bodyDone = true
        cleanUp()
        socket.destroy()
      },
    })

    const options = {
      host,
      port,
      onread: {
        buffer: take,
        callback: (n: number, buffer: Buffer): boolean => {
          if (failure || bodyDone) return false
          if (head) {
            onHead(buffer.subarray(0, n))
            pool.push(buffer)
            return !settledHead
          }
          return onBody(buffer.subarray(0, n), buffer)
        },
      },
    }
    const socket: Socket =
      target.protocol === 'https:'
        ? tlsConnect({
            ...options,
            ...(isIP(host) ? {} : { servername: host }),
            ...(ca ? { ca: [...rootCertificates, ...ca] } : {}),
            ALPNProtocols: ['http/1.1'],
          })
        : netConnect(options)
    socket.once(target.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      socket.write(request)
    })
    socket.on('error', (error) => fail(error))
    socket.on('end', () => {
      if (bodyDone || failure) return
      if (settledHead && framing.kind === 'close') return finish()
      fail(
        connectionError(
          settledHead
            ? `${target.href}: the connection closed before the body's end`
            : `${target.href}: the connection closed before an answer`,
        ),
      )
    })
    socket.on('close', (hadError) => {
      if (bodyDone || failure) return
      if (settledHead && framing.kind === 'close' && !hadError) return finish()
      fail(connectionError(`${target.href}: the connection closed`))
    })
  })
}

interface ParsedHead {
  status: number
  statusText: string
  headers: Map<string, string>
}

function parseHead(text: string, url: string): ParsedHead | Error {
  const [statusLine = '', ...headerLines] = text.split('\r\n')
  const match = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine)
  if (!match) return connectionError(`${url}: not an HTTP/1.1 answer`, 'HPE_INVALID_CONSTANT')
  const headers = new Map<string, string>()
  for (const line of headerLines) {
    const colon = line.indexOf(':')
    if (colon <= 0 || /[\s]/.test(line.slice(0, colon))) {
      return connectionError(`${url}: a malformed header line`, 'HPE_INVALID_HEADER_TOKEN')
    }
    const name = line.slice(0, colon).toLowerCase()
    const value = line.slice(colon + 1).trim()
    const before = headers.get(name)
    if (name === 'content-length' && before !== undefined && before !== value) {
      return connectionError(
        `${url}: two different content-lengths`,
        'HPE_UNEXPECTED_CONTENT_LENGTH',
      )
    }
    headers.set(
      name,
      before === undefined || name === 'content-length' ? value : `${before}, ${value}`,
    )
  }
  return { status: Number(match[1]), statusText: match[2] ?? '', headers }
}

/** How the body of an answer ends: after a length, a last chunk, or when the connection closes. */
function framingOf(head: ParsedHead, url: string): BodyFraming | Error {
  if (head.status === 204 || head.status === 304) return { kind: 'length', left: 0 }
  const encoding = head.headers.get('transfer-encoding')
  if (encoding !== undefined) {
    if (encoding.trim().toLowerCase() === 'chunked') return { kind: 'chunked' }
    return connectionError(
      `${url}: transfer-encoding ${encoding} is not read`,
      'HPE_INVALID_TRANSFER_ENCODING',
    )
  }
  const length = head.headers.get('content-length')
  if (length === undefined) return { kind: 'close' }
  if (!/^\d{1,16}$/.test(length)) {
    return connectionError(
      `${url}: content-length ${JSON.stringify(length)} is not a number`,
      'HPE_INVALID_CONTENT_LENGTH',
    )
  }
  return { kind: 'length', left: Number(length) }
}

/** Decodes a chunked body across reads: sizes, data, CRLFs and trailers. */
class ChunkedDecoder {
  private state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size'
  private line = ''
  private left = 0

  /** Feeds wire bytes; `part` gets each data span. Returns true at the body's end. */
  feed(bytes: Buffer, part: (data: Buffer) => void): boolean {
    let i = 0
    while (i < bytes.length && this.state !== 'done') {
      if (this.state === 'data') {
        const n = Math.min(this.left, bytes.length - i)
        part(bytes.subarray(i, i + n))
        i += n
        this.left -= n
        if (this.left === 0) this.state = 'data-end'
        continue
      }
      const newline = bytes.indexOf(10, i)
      const end = newline < 0 ? bytes.length : newline
      this.line += bytes.subarray(i, end).toString('latin1')
      if (this.line.length > MAX_CHUNK_LINE)
        throw connectionError('a chunked body line is too long', 'HPE_CHUNK_EXTENSIONS_OVERFLOW')
      i = end
      if (newline < 0) break
      i++
      const line = this.line.replace(/\r$/, '')
      this.line = ''
      if (this.state === 'size') {
        const size = /^([0-9a-fA-F]{1,12})(?:;.*)?$/.exec(line)
        if (!size) throw connectionError('a malformed chunk size', 'HPE_INVALID_CHUNK_SIZE')
        this.left = Number.parseInt(size[1] as string, 16)
        this.state = this.left === 0 ? 'trailer' : 'data'
      } else if (this.state === 'data-end') {
        if (line !== '')
          throw connectionError('a chunk did not end where its size said', 'HPE_INVALID_CHUNK_SIZE')
        this.state = 'size'
      } else if (line === '') this.state = 'done'
    }
    return this.state === 'done'
  }
}
