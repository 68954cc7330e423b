import {
  causeChain,
  isNetworkError,
  isRetryableStatus,
  type RetryOptions,
  withRetry,
} from '#core/blobs'
import { AgoraError } from '#core/errors'
import { BadAnswerError, type BlobAnswer, blobGetFor } from './blob-get.ts'

/** Back-off settings a caller may tune; what is retried is the client's own rule. */
export type ClientRetryOptions = Omit<RetryOptions, 'isRetryable' | 'retryAfterMs'>

/** An HTTP answer the client may retry: throttled or a server error. */
export class HttpStatusError extends Error {
  readonly status: number
  readonly url: string
  readonly retryAfterMs: number | undefined

  constructor(url: string, status: number, statusText: string, retryAfter: string | null) {
    super(`GET ${url} answered ${status}${statusText ? ` ${statusText}` : ''}`)
    this.name = 'HttpStatusError'
    this.status = status
    this.url = url
    this.retryAfterMs = parseRetryAfter(retryAfter)
  }
}

/**
 * The HttpStatusError of an answer that is not a success, its body
 * dropped.
 *
 * @example if (answer.status !== 200) throw await statusError(answer, url)
 */
export async function statusError(answer: BlobAnswer, url: string): Promise<HttpStatusError> {
  await answer.cancel()
  return new HttpStatusError(url, answer.status, answer.statusText, answer.header('retry-after'))
}

/**
 * Seconds or an HTTP date, as Retry-After allows, in milliseconds.
 *
 * @example parseRetryAfter('2') // 2000
 */
export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

/**
 * True for failures worth another attempt: broken connections, 408, 429 and 5xx.
 *
 * @example isTransient(new HttpStatusError('u', 503, 'Slow Down', null)) // true
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof HttpStatusError) return isRetryableStatus(error.status)
  if (error instanceof AgoraError) return false
  if ((error as { name?: unknown } | undefined)?.name === 'AbortError') return false
  return isNetworkError(error)
}

/**
 * The retry options every client request uses.
 *
 * @example await withRetry(() => fetchOnce(url), clientRetry({ retries: 3 }, signal))
 */
export function clientRetry(
  options: ClientRetryOptions | undefined,
  signal?: AbortSignal,
): RetryOptions {
  return {
    ...options,
    isRetryable: isTransient,
    retryAfterMs: (error) => (error instanceof HttpStatusError ? error.retryAfterMs : undefined),
    ...(signal ? { signal } : {}),
  }
}

/** The most bytes an index document (config.json, an item file, a manifest) may have: 32 MiB. */
export const MAX_DOCUMENT_BYTES = 32 * 1024 * 1024

/** How long a response may send nothing before it is given up: 30 s. */
export const DEFAULT_STALL_TIMEOUT_MS = 30_000

/** A watchdog that aborts a request when no byte arrived for `ms`. */
export interface StallGuard {
  /** Abort signal for fetch: fires on a stall or when the caller's signal does. */
  readonly signal: AbortSignal
  /** Call on every chunk: the server is still talking. */
  touch(): void
  /** Stop watching (the request is over). */
  clear(): void
  /** The `client/stalled` error when the watchdog fired, else the error given. */
  explain(error: unknown): unknown
}

/**
 * Starts a stall watchdog for one request: a server that sends headers and
 * then nothing, or stops halfway, fails with `client/stalled` after `ms`
 * without a byte instead of holding the pull forever.
 *
 * @example
 * const guard = stallGuard(30_000, url, signal)
 * try { const answer = await fetch(url, { signal: guard.signal }) … } finally { guard.clear() }
 */
export function stallGuard(ms: number, url: string, signal?: AbortSignal): StallGuard {
  const controller = new AbortController()
  const stalled = new AgoraError('client/stalled', `${url} sent nothing for ${formatSeconds(ms)}`, {
    hint: 'the server or the network is stuck; try again later, or give slow links more time with --stall-timeout (AGORA_STALL_TIMEOUT) in seconds',
  })
  let fired = false
  let timer: NodeJS.Timeout | undefined
  // `touch` runs on every chunk, so it only notes the time; the timer wakes
  // when the stall would be due and sleeps again for what is left.
  let last = performance.now()
  const wake = () => {
    const idle = performance.now() - last
    if (idle >= ms) {
      fired = true
      controller.abort(stalled)
      return
    }
    timer = setTimeout(wake, ms - idle)
    timer.unref?.()
  }
  const onAbort = () => controller.abort(signal?.reason)
  if (signal?.aborted) controller.abort(signal.reason)
  else signal?.addEventListener('abort', onAbort, { once: true })
  timer = setTimeout(wake, ms)
  timer.unref?.()
  return {
    signal: controller.signal,
    touch() {
      last = performance.now()
    },
    clear() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    },
    explain: (error) => (fired ? stalled : error),
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(3)} s`
}

/**
 * Reads a response body as UTF-8, refusing it once it passes `maxBytes`
 * (`client/document-too-large`) while it streams, so a hostile or broken
 * server cannot make the client hold an endless body in memory.
 */
async function readCapped(
  answer: BlobAnswer,
  url: string,
  what: string,
  maxBytes: number,
  guard: StallGuard,
): Promise<string> {
  const tooLarge = () =>
    new AgoraError(
      'client/document-too-large',
      `${what} at ${url} is larger than ${maxBytes} bytes`,
      {
        hint: 'an index document is never this large; the server is broken or hostile. Check --index',
      },
    )
  const declared = Number(answer.header('content-length') ?? Number.NaN)
  if (Number.isFinite(declared) && declared > maxBytes) {
    await answer.cancel()
    throw tooLarge()
  }
  const chunks: Buffer[] = []
  let total = 0
  try {
    await answer.consume((chunk) => {
      guard.touch()
      total += chunk.byteLength
      if (total > maxBytes) throw tooLarge()
      // A copy: the reader reuses the chunk's memory.
      chunks.push(Buffer.from(chunk))
      return undefined
    })
  } catch (error) {
    await answer.cancel()
    throw error
  }
  return Buffer.concat(chunks).toString('utf8')
}

export interface GetTextResult {
  status: 200 | 304
  text: string | undefined
  etag: string | undefined
}

/**
 * GETs a small document (index file, manifest) with retries, optionally
 * conditional on an ETag. 404 and 410 become `client/not-found`.
 *
 * @example const { text } = await getText(fetch, 'http://127.0.0.1:4321/index/config.json')
 */
export async function getText(
  fetch: typeof globalThis.fetch,
  url: string,
  options: {
    etag?: string | undefined
    retry?: ClientRetryOptions | undefined
    signal?: AbortSignal | undefined
    what?: string
    /** The hint of a 404 or 410, when the default (check the item id) does not fit. */
    notFoundHint?: string | undefined
    /** Refuse a body larger than this; default MAX_DOCUMENT_BYTES. */
    maxBytes?: number | undefined
    /** Give up when nothing arrives for this long; default DEFAULT_STALL_TIMEOUT_MS. */
    stallTimeoutMs?: number | undefined
  } = {},
): Promise<GetTextResult> {
  const what = options.what ?? 'the document'
  try {
    return await withRetry(
      async () => {
        const headers: Record<string, string> = { accept: 'application/json, text/yaml, */*' }
        if (options.etag) headers['if-none-match'] = options.etag
        const guard = stallGuard(
          options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS,
          url,
          options.signal,
        )
        try {
          return await fetchText(fetch, url, headers, what, options, guard)
        } catch (error) {
          throw guard.explain(error)
        } finally {
          guard.clear()
        }
      },
      clientRetry(options.retry, options.signal),
    )
  } catch (error) {
    throw httpError(error, url, what, options.notFoundHint)
  }
}

async function fetchText(
  fetch: typeof globalThis.fetch,
  url: string,
  headers: Record<string, string>,
  what: string,
  options: { etag?: string | undefined; maxBytes?: number | undefined },
  guard: StallGuard,
): Promise<GetTextResult> {
  const answer = await blobGetFor(fetch)(url, { headers, signal: guard.signal })
  guard.touch()
  if (answer.status === 304) {
    await answer.cancel()
    return { status: 304, text: undefined, etag: options.etag }
  }
  if (answer.status < 200 || answer.status > 299) throw await statusError(answer, url)
  return {
    status: 200,
    text: await readCapped(answer, url, what, options.maxBytes ?? MAX_DOCUMENT_BYTES, guard),
    etag: answer.header('etag') ?? undefined,
  }
}

/**
 * Turns a failed request into an AgoraError saying what was fetched and what to check.
 *
 * @example throw httpError(error, url, 'the index configuration')
 */
export function httpError(
  error: unknown,
  url: string,
  what: string,
  notFoundHint?: string,
): unknown {
  if (error instanceof AgoraError) return error
  if (error instanceof HttpStatusError && (error.status === 404 || error.status === 410)) {
    return new AgoraError('client/not-found', `${what} is not at ${url} (${error.status})`, {
      hint:
        notFoundHint ?? 'check the item id, kind and version, and that --index points at the hub',
      cause: error,
    })
  }
  if (error instanceof HttpStatusError && (error.status === 401 || error.status === 403)) {
    return new AgoraError('client/forbidden', `${url} refused access (${error.status})`, {
      hint: 'the file may be paid or private: get a licence and pull with its token',
      cause: error,
    })
  }
  if (error instanceof BadAnswerError) {
    return new AgoraError('client/bad-answer', `cannot fetch ${what}: ${error.message}`, {
      hint: 'the server’s answer breaks HTTP/1.1 or redirects where the client will not follow; the hub, or something between (on plain http), is broken or hostile. Nothing it sent was kept: report it to the hub',
      cause: error,
    })
  }
  // fetch says only "fetch failed"; the reason (refused, reset, DNS) is in its cause.
  const cause = (error as { cause?: { message?: unknown } } | undefined)?.cause?.message
  const detail = `${error instanceof Error ? error.message : String(error)}${typeof cause === 'string' && cause ? ` (${cause})` : ''}`
  return new AgoraError('client/http-failed', `cannot fetch ${what} from ${url}: ${detail}`, {
    hint: isRefused(error)
      ? `nothing answers at ${new URL(url).host}: check the address (--index) and that the hub’s server is running`
      : isTransient(error)
        ? 'the server kept failing after several retries; try again later or use --offline'
        : 'check the URL and that the server is reachable',
    cause: error,
  })
}

/** True when the connection itself was refused, somewhere in the cause chain: no server listens there. */
function isRefused(error: unknown): boolean {
  return causeChain(error).some((e) => (e as { code?: unknown }).code === 'ECONNREFUSED')
}
