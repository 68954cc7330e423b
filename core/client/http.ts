import { AgoraError } from '#core/errors'
// Leaf modules, not the area barrels: `agora pull` must start fast, and the
// barrels also load ajv, isomorphic-git and the catalog renderers it never uses.
import {
  isNetworkError,
  isRetryableStatus,
  type RetryOptions,
  withRetry,
} from '../storage/retry.ts'

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
  } = {},
): Promise<GetTextResult> {
  try {
    return await withRetry(
      async () => {
        const headers: Record<string, string> = { accept: 'application/json, text/yaml, */*' }
        if (options.etag) headers['if-none-match'] = options.etag
        const answer = await fetch(url, {
          headers,
          ...(options.signal ? { signal: options.signal } : {}),
        })
        if (answer.status === 304) {
          await answer.body?.cancel()
          return { status: 304, text: undefined, etag: options.etag }
        }
        if (!answer.ok) {
          await answer.body?.cancel()
          throw new HttpStatusError(
            url,
            answer.status,
            answer.statusText,
            answer.headers.get('retry-after'),
          )
        }
        return {
          status: 200,
          text: await answer.text(),
          etag: answer.headers.get('etag') ?? undefined,
        }
      },
      clientRetry(options.retry, options.signal),
    )
  } catch (error) {
    throw httpError(error, url, options.what ?? 'the document')
  }
}

/**
 * Turns a failed request into an AgoraError saying what was fetched and what to check.
 *
 * @example throw httpError(error, url, 'the index configuration')
 */
export function httpError(error: unknown, url: string, what: string): unknown {
  if (error instanceof AgoraError) return error
  if (error instanceof HttpStatusError && (error.status === 404 || error.status === 410)) {
    return new AgoraError('client/not-found', `${what} is not at ${url} (${error.status})`, {
      hint: 'check the item id, kind and version, and that --index points at the hub',
      cause: error,
    })
  }
  if (error instanceof HttpStatusError && (error.status === 401 || error.status === 403)) {
    return new AgoraError('client/forbidden', `${url} refused access (${error.status})`, {
      hint: 'the file may be paid or private: get a licence and pull with its token',
      cause: error,
    })
  }
  // fetch says only "fetch failed"; the reason (refused, reset, DNS) is in its cause.
  const cause = (error as { cause?: { message?: unknown } } | undefined)?.cause?.message
  const detail = `${error instanceof Error ? error.message : String(error)}${typeof cause === 'string' && cause ? ` (${cause})` : ''}`
  return new AgoraError('client/http-failed', `cannot fetch ${what} from ${url}: ${detail}`, {
    hint: isTransient(error)
      ? 'the server kept failing after several retries; try again later or use --offline'
      : 'check the URL and that the server is reachable',
    cause: error,
  })
}
