import { isIP, connect as netConnect, type Socket } from 'node:net'

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

/** What a connection's reads and events go to: the request using it, or the idle pool. */
interface ConnectionHandlers {
  read(n: number, buffer: Buffer): boolean
  end(): void
  close(hadError: boolean): void
  error(error: Error): void
}

/** A keep-alive connection, handed from one request to the next. */
interface Connection {
  socket: Socket
  /** Its read buffers: reused across reads, and across requests. */
  buffers: Buffer[]
  handlers: ConnectionHandlers
  /** While idle: closes it when it has waited too long. */
  timer?: NodeJS.Timeout
}

/** Idle connections kept per origin, at most; as many as a pull's default concurrency. */
const IDLE_PER_ORIGIN = 4
/** How long a connection stays idle before it is closed (servers close theirs after about 5 s). */
const IDLE_MS = 4_000

/**
 * Connections whose last answer was read to its exact end, by origin, for
 * the next request there: index documents and small files in a row skip a
 * TCP (and TLS) handshake each. An idle connection does not keep the
 * process alive, and is dropped on any byte or close from the server: a
 * server may not answer a request it was not sent.
 */
class IdleConnections {
  private readonly byOrigin = new Map<string, Connection[]>()
  private readonly idleMs: number

  constructor(idleMs: number) {
    this.idleMs = idleMs
  }

  /**
   * An idle connection to `origin`, once the event loop has read from it
   * again: bytes or a close that reached this machine before the request is
   * sent drop it there, instead of being read as the request's answer.
   */
  async take(origin: string): Promise<Connection | undefined> {
    for (;;) {
      const connection = this.byOrigin.get(origin)?.pop()
      if (!connection) return undefined
      this.forget(origin, connection)
      await polled()
      if (connection.socket.destroyed) continue
      connection.socket.ref()
      return connection
    }
  }

  put(origin: string, connection: Connection): void {
    const kept = this.byOrigin.get(origin) ?? []
    const { socket } = connection
    if (kept.length >= IDLE_PER_ORIGIN || socket.destroyed) {
      socket.destroy()
      return
    }
    const drop = () => {
      this.forget(origin, connection)
      socket.destroy()
    }
    connection.handlers = {
      read: () => {
        drop()
        return false
      },
      end: drop,
      close: drop,
      error: drop,
    }
    connection.timer = setTimeout(drop, this.idleMs).unref()
    kept.push(connection)
    this.byOrigin.set(origin, kept)
    socket.unref()
    socket.resume()
  }

  /** Takes `connection` out of the pool (if there) and stops its idle timer. */
  private forget(origin: string, connection: Connection): void {
    clearTimeout(connection.timer)
    const kept = this.byOrigin.get(origin) ?? []
    const at = kept.indexOf(connection)
    if (at >= 0) kept.splice(at, 1)
    if (kept.length === 0) this.byOrigin.delete(origin)
  }
}

/**
 * Resolves after the event loop's next poll for I/O: the first immediate
 * ends this turn (which may be past its poll), the second comes after the
 * next turn's.
 */
function polled(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)))
}

/** A kept connection closed before any byte of the answer: the request goes again on a new one. */
class StaleConnection extends Error {
  override name = 'StaleConnection'
}

/**
 * A GET over HTTP/1.1 (plain or TLS), reading the body into a few reused
 * 1 MiB buffers per connection; a connection is kept for the next request
 * to its origin (IdleConnections). Node's fetch and node:http allocate
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
 * A socketGet with a pool of its own, trusting the given certificate
 * authorities for TLS on top of the system's (tests use it with a
 * certificate of their own) and closing idle connections after `idleMs`.
 */
export function createSocketGet(options: { ca?: string[]; idleMs?: number } = {}): BlobGet {
  const idle = new IdleConnections(options.idleMs ?? IDLE_MS)
  return async (url, init) => {
    let target = new URL(url)
    let headers = init.headers
    for (let hops = 0; ; hops++) {
      if ((target.protocol !== 'http:' && target.protocol !== 'https:') || proxied()) {
        return fetchGet(globalThis.fetch)(target.href, { ...init, headers })
      }
      const request = { ...init, headers }
      // A kept connection the server closed meanwhile fails before any answer
      // byte: the GET goes again on a new one, as fetch's keep-alive does.
      const answer = await getOnce(target, request, options.ca, idle).catch((error: unknown) => {
        if (error instanceof StaleConnection)
          return getOnce(target, request, options.ca, idle, true)
        throw error
      })
      const location = answer.header('location')
      if (!REDIRECTS.has(answer.status) || location === null) return answer
      await answer.cancel()
      if (hops >= MAX_REDIRECTS) {
        throw new BadAnswerError(
          `${url}: more than ${MAX_REDIRECTS} redirects`,
          'ERR_TOO_MANY_REDIRECTS',
        )
      }
      const next = redirectTarget(location, target)
      if (next.origin !== target.origin) headers = withoutCredentials(headers)
      target = next
    }
  }
}

/**
 * Where a redirect leads, refused (as fetch refuses it) when it is not an
 * http(s) URL, and (more strictly than fetch) when it leaves https for plain
 * http, where anyone on the way could read or cut the transfer.
 */
function redirectTarget(location: string, from: URL): URL {
  const to = URL.parse(location, from)
  if (!to || (to.protocol !== 'http:' && to.protocol !== 'https:')) {
    throw new BadAnswerError(
      `${from.href}: redirects to ${JSON.stringify(location.slice(0, 200))}, not an http(s) URL`,
      'ERR_INVALID_REDIRECT',
    )
  }
  if (from.protocol === 'https:' && to.protocol === 'http:') {
    throw new BadAnswerError(
      `${from.href}: redirects from https to plain http (${to.href})`,
      'ERR_REDIRECT_DOWNGRADE',
    )
  }
  return to
}

/** Request headers only the first origin may see; fetch drops them on a redirect elsewhere too. */
const CREDENTIALS = new Set(['authorization', 'cookie', 'proxy-authorization'])

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !CREDENTIALS.has(name.toLowerCase())),
  )
}

/** Whether Node's fetch would go through a proxy from the environment. */
function proxied(): boolean {
  return Boolean(process.env.NODE_USE_ENV_PROXY) || process.execArgv.includes('--use-env-proxy')
}

/** An error the retry rules see as a broken connection. */
function connectionError(message: string): Error {
  return Object.assign(new Error(message), { code: 'ECONNRESET' })
}

/**
 * An answer this reader refuses: it breaks HTTP/1.1 framing (the code is
 * llhttp's, as fetch's cause would carry), or its redirect may not be
 * followed. Not retried: the same server would answer the same.
 */
export class BadAnswerError extends Error {
  override name = 'BadAnswerError'
  readonly code: string

  constructor(message: string, code: string) {
    super(message)
    this.code = code
  }
}

type BodyFraming = { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' }

/**
 * One request, on an idle connection to the origin when `idle` has one
 * (unless `fresh`), else on a new one; its answer's body is read as it
 * arrives. A connection whose answer ended exactly where its framing said
 * goes back to `idle`.
 */
async function getOnce(
  target: URL,
  init: BlobGetInit,
  ca: string[] | undefined,
  idle: IdleConnections,
  fresh = false,
): Promise<BlobAnswer> {
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
  Object.assign(headers, { host: target.host, 'accept-encoding': 'identity' })
  const lines = [
    `GET ${target.pathname}${target.search} HTTP/1.1`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ]
  const request = `${lines.join('\r\n')}\r\n\r\n`

  const origin = `${target.protocol}//${target.host}`
  const kept = fresh ? undefined : await idle.take(origin)
  if (signal.aborted) kept?.socket.destroy()
  signal.throwIfAborted()

  return new Promise<BlobAnswer>((resolveHead, rejectHead) => {
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
    // Whether the server sent anything after the answer's end (the connection is not reused then).
    let extra = false
    let keepAlive = false
    const chunked = new ChunkedDecoder(target.href)

    // Once the answer is read, the connection belongs to the idle pool or the next request.
    const owns = () => connection.handlers === handlers
    const drop = () => {
      if (owns()) socket.destroy()
    }
    const fail = (error: unknown) => {
      failure ??= error
      drop()
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
      if (keepAlive && framing.kind !== 'close' && !extra && !failure) idle.put(origin, connection)
      else drop()
      finishBody?.()
    }

    const pool = kept?.buffers ?? []
    /** Hands body bytes to the sink; `owned` goes back to the pool when the sink is done. */
    const deliver = (bytes: Buffer, owned: Buffer | undefined): void => {
      // A sink that failed is not called again.
      if (bytes.length === 0 || !sink || failure) {
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
          if (paused && out < IN_FLIGHT && owns() && !socket.destroyed) {
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
        if (n < bytes.length) extra = true
        framing.left -= n
        deliver(bytes.subarray(0, n), owned)
        if (framing.left === 0) finish()
      } else if (framing.kind === 'chunked') {
        // The data moves to the front of the read (Buffer#copy allows the overlap),
        // so a body of many small chunks is still one chunk per read for the sink.
        let data = 0
        let ended = false
        try {
          ended = chunked.feed(bytes, (part) => {
            data += part.copy(bytes, data)
          })
        } catch (error) {
          if (owned) pool.push(owned)
          fail(error)
          return false
        }
        deliver(bytes.subarray(0, data), owned)
        if (chunked.after > 0) extra = true
        if (ended) finish()
      } else deliver(bytes, owned)
      if (out >= IN_FLIGHT) {
        paused = true
        return false
      }
      return true
    }

    // Bytes of interim answers already skipped: with the real head, at most MAX_HEAD.
    let interim = 0
    /** Collects the head across reads, skipping interim (1xx) answers. */
    const onHead = (bytes: Buffer): void => {
      // The end or a bare LF may straddle two reads; earlier bytes were searched already.
      let from = Math.max(0, (head as Buffer).length - 3)
      let collected = Buffer.concat([head as Buffer, bytes])
      for (;;) {
        const end = collected.indexOf('\r\n\r\n', from)
        if (interim + (end < 0 ? collected.length : end + 4) > MAX_HEAD) {
          fail(
            new BadAnswerError(
              `${target.href}: the response head is over ${MAX_HEAD} bytes`,
              'HPE_HEADER_OVERFLOW',
            ),
          )
          return
        }
        if (end < 0) {
          head = collected
          if (hasBareLf(collected, from)) fail(bareLfError(target.href))
          return
        }
        const parsed = parseHead(collected.subarray(0, end).toString('latin1'), target.href)
        if (parsed instanceof Error) {
          fail(parsed)
          return
        }
        if (parsed.status >= 200) {
          onAnswer(parsed, collected.subarray(end + 4))
          return
        }
        // An interim answer (100 Continue, 103 Early Hints): the real head follows.
        interim += end + 4
        collected = collected.subarray(end + 4)
        from = 0
      }
    }

    const onAnswer = (parsed: ParsedHead, rest: Buffer): void => {
      const body = framingOf(parsed, target.href)
      if (body instanceof Error) {
        fail(body)
        return
      }
      head = undefined
      framing = body
      keepAlive = parsed.keepAlive
      early = Buffer.from(rest)
      socket.pause()
      paused = true
      settledHead = true
      resolveHead(answerOf(parsed))
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
          const first = early as Buffer
          early = undefined
          if (framing.kind === 'length' && framing.left === 0) {
            extra = first.length > 0
            return finish()
          }
          if (first.length > 0) onBody(first, undefined)
          if (!bodyDone && !failure && out < IN_FLIGHT) {
            paused = false
            socket.resume()
          }
        }),
      async cancel() {
        cleanUp()
        // An answer without a body (a 304, say) is read whole already: its connection is kept.
        if (!sink && framing.kind === 'length' && framing.left === 0 && early?.length === 0) {
          return finish()
        }
        const reading = sink !== undefined && !bodyDone
        bodyDone = true
        drop()
        // A consume() still running ends too, with the reason.
        if (reading)
          failBody?.(new Error(`${target.href}: the body was cancelled while it was read`))
      },
    })

    // Before the first byte of an answer on a kept connection, a close or
    // reset means the server had closed it: the request goes again (StaleConnection).
    let answered = false
    const broken = (error: Error) =>
      fail(
        kept && !answered && !signal.aborted
          ? new StaleConnection(`${target.href}: a kept connection closed`, { cause: error })
          : error,
      )
    const handlers: ConnectionHandlers = {
      read: (n, buffer) => {
        answered = true
        if (failure || bodyDone) return false
        if (head) {
          onHead(buffer.subarray(0, n))
          pool.push(buffer)
          return !settledHead
        }
        const more = onBody(buffer.subarray(0, n), buffer)
        // Handed to the idle pool: it keeps reading, to notice the server closing it.
        return more || !owns()
      },
      error: broken,
      end: () => {
        if (bodyDone || failure) return
        if (settledHead && framing.kind === 'close') return finish()
        broken(
          connectionError(
            settledHead
              ? `${target.href}: the connection closed before the body's end`
              : `${target.href}: the connection closed before an answer`,
          ),
        )
      },
      close: (hadError) => {
        if (bodyDone || failure) return
        if (settledHead && framing.kind === 'close' && !hadError) return finish()
        broken(connectionError(`${target.href}: the connection closed`))
      },
    }
    const connection = kept ?? openConnection(target, host, port, ca, pool)
    const { socket } = connection
    connection.handlers = handlers
    if (kept) {
      socket.resume()
      socket.write(request)
    } else {
      socket.once(target.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
        socket.write(request)
      })
    }
  })
}

/** A new connection (TLS for https:) whose reads and events go to its current handlers. */
function openConnection(
  target: URL,
  host: string,
  port: number,
  ca: string[] | undefined,
  buffers: Buffer[],
): Connection {
  const options = {
    host,
    port,
    onread: {
      // Shared memory, so the hashing thread reads the chunks where they are.
      buffer: () => buffers.pop() ?? Buffer.from(new SharedArrayBuffer(CHUNK)),
      callback: (n: number, buffer: Buffer): boolean => connection.handlers.read(n, buffer),
    },
  }
  // TLS loads on the first https: connection: a pull from a plain-HTTP
  // mirror, and every command that never connects, starts without it.
  const tls = target.protocol === 'https:' ? process.getBuiltinModule('node:tls') : undefined
  const socket: Socket = tls
    ? tls.connect({
        ...options,
        ...(isIP(host) ? {} : { servername: host }),
        ...(ca ? { ca: [...tls.rootCertificates, ...ca] } : {}),
        ALPNProtocols: ['http/1.1'],
      })
    : netConnect(options)
  const connection: Connection = { socket, buffers, handlers: UNUSED }
  socket.on('error', (error) => connection.handlers.error(error))
  socket.on('end', () => connection.handlers.end())
  socket.on('close', (hadError) => connection.handlers.close(hadError))
  return connection
}

/** The handlers of a connection before its first request takes it. */
const UNUSED: ConnectionHandlers = {
  read: () => false,
  end: () => undefined,
  close: () => undefined,
  error: () => undefined,
}

interface ParsedHead {
  status: number
  statusText: string
  headers: Map<string, string>
  /** HTTP/1.1 without `connection: close`: the connection may carry another request. */
  keepAlive: boolean
}

/** A field line (RFC 9110 §5): a token, a colon, then only visible characters, spaces and tabs. */
const FIELD_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):([\t\x20-\x7e\x80-\xff]*)$/
const REASON = /^[\t\x20-\x7e\x80-\xff]*$/

function parseHead(text: string, url: string): ParsedHead | Error {
  const lines = text.split('\r\n')
  if (lines.some((line) => line.includes('\n'))) return bareLfError(url)
  const [statusLine = '', ...headerLines] = lines
  const match = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(statusLine)
  if (!match) return new BadAnswerError(`${url}: not an HTTP/1.1 answer`, 'HPE_INVALID_CONSTANT')
  const status = Number(match[2])
  const statusText = match[3] ?? ''
  const wrong =
    status < 100 || status > 599
      ? `status ${status} is not an HTTP status`
      : status === 101
        ? 'answered 101, a switch to another protocol that a GET never asks for'
        : !REASON.test(statusText)
          ? 'the status line holds control characters'
          : undefined
  if (wrong) return new BadAnswerError(`${url}: ${wrong}`, 'HPE_INVALID_STATUS')
  const headers = new Map<string, string>()
  for (const line of headerLines) {
    const field = FIELD_LINE.exec(line)
    if (!field) {
      return new BadAnswerError(
        `${url}: a malformed header line ${JSON.stringify(line.slice(0, 80))}`,
        'HPE_INVALID_HEADER_TOKEN',
      )
    }
    const name = (field[1] as string).toLowerCase()
    const value = trimSpaces(field[2] as string)
    const before = headers.get(name)
    if (name === 'content-length' && before !== undefined && before !== value) {
      return new BadAnswerError(
        `${url}: two different content-lengths`,
        'HPE_UNEXPECTED_CONTENT_LENGTH',
      )
    }
    headers.set(
      name,
      before === undefined || name === 'content-length' ? value : `${before}, ${value}`,
    )
  }
  const options = (headers.get('connection') ?? '').toLowerCase().split(',')
  const keepAlive = match[1] === '1' && !options.some((option) => option.trim() === 'close')
  return { status, statusText, headers, keepAlive }
}

/** Strips spaces and tabs from both ends; String#trim would strip a no-break space too. */
function trimSpaces(value: string): string {
  let start = 0
  let end = value.length
  while (start < end && (value[start] === ' ' || value[start] === '\t')) start++
  while (end > start && (value[end - 1] === ' ' || value[end - 1] === '\t')) end--
  return value.slice(start, end)
}

/** Whether an LF from `from` on lacks the CR before it. */
function hasBareLf(bytes: Buffer, from: number): boolean {
  for (let i = bytes.indexOf(10, from); i >= 0; i = bytes.indexOf(10, i + 1)) {
    if (bytes[i - 1] !== 13) return true
  }
  return false
}

/** A line ended by LF alone: a parser that takes it as a line end and one that does not see different answers. */
function bareLfError(url: string): BadAnswerError {
  return new BadAnswerError(`${url}: a line of the answer ends in a bare LF`, 'HPE_CR_EXPECTED')
}

/** How the body of an answer ends: after a length, a last chunk, or when the connection closes. */
function framingOf(head: ParsedHead, url: string): BodyFraming | Error {
  if (head.status === 204 || head.status === 304) return { kind: 'length', left: 0 }
  const encoding = head.headers.get('transfer-encoding')
  const length = head.headers.get('content-length')
  if (encoding !== undefined) {
    if (length !== undefined) {
      // RFC 9112 §6.3: a sign of an answer smuggled inside another; fetch refuses it too.
      return new BadAnswerError(
        `${url}: both a content-length and a transfer-encoding`,
        'HPE_UNEXPECTED_CONTENT_LENGTH',
      )
    }
    if (encoding.trim().toLowerCase() === 'chunked') return { kind: 'chunked' }
    return new BadAnswerError(
      `${url}: transfer-encoding ${encoding} is not read`,
      'HPE_INVALID_TRANSFER_ENCODING',
    )
  }
  if (length === undefined) return { kind: 'close' }
  if (!/^\d+$/.test(length) || !Number.isSafeInteger(Number(length))) {
    return new BadAnswerError(
      `${url}: content-length ${JSON.stringify(length)} is not a number`,
      'HPE_INVALID_CONTENT_LENGTH',
    )
  }
  return { kind: 'length', left: Number(length) }
}

/** Decodes a chunked body across reads: sizes, data, CRLFs and trailers. */
class ChunkedDecoder {
  private readonly url: string
  private state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size'
  private line = ''
  private left = 0
  /** Bytes the last feed held after the body's end. */
  after = 0

  constructor(url: string) {
    this.url = url
  }

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
        throw new BadAnswerError(
          `${this.url}: a chunked body line is too long`,
          'HPE_CHUNK_EXTENSIONS_OVERFLOW',
        )
      i = end
      if (newline < 0) break
      i++
      if (!this.line.endsWith('\r')) throw bareLfError(this.url)
      const line = this.line.slice(0, -1)
      this.line = ''
      if (this.state === 'size') {
        // Leading zeros are allowed (fetch reads them); 12 digits are 256 TiB.
        const size = /^0*([0-9a-fA-F]{1,12})(?:;.*)?$/.exec(line)
        if (!size)
          throw new BadAnswerError(`${this.url}: a malformed chunk size`, 'HPE_INVALID_CHUNK_SIZE')
        this.left = Number.parseInt(size[1] as string, 16)
        this.state = this.left === 0 ? 'trailer' : 'data'
      } else if (this.state === 'data-end') {
        if (line !== '')
          throw new BadAnswerError(
            `${this.url}: a chunk did not end where its size said`,
            'HPE_INVALID_CHUNK_SIZE',
          )
        this.state = 'size'
      } else if (line === '') this.state = 'done'
    }
    if (this.state === 'done') this.after = bytes.length - i
    return this.state === 'done'
  }
}
