/** How a retried operation backs off. */
export interface RetryOptions {
  /** Attempts after the first one; default 4. */
  retries?: number
  /** First back-off ceiling in milliseconds; doubled each attempt; default 200. */
  baseDelayMs?: number
  /** Ceiling of any single back-off; default 10 000. */
  maxDelayMs?: number
  /** Decides whether an error is worth another attempt. */
  isRetryable: (error: unknown) => boolean
  /** A server's own wait (Retry-After) for an error, in milliseconds, when it gave one. */
  retryAfterMs?: (error: unknown) => number | undefined
  /** Told before each wait, for progress output and tests. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void
  signal?: AbortSignal
  /** Replaceable so tests need not wait; defaults to a timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** Replaceable so tests are deterministic; defaults to Math.random. */
  random?: () => number
}

/**
 * Runs `fn` until it succeeds, retrying errors `isRetryable` accepts with
 * exponential back-off and full jitter (AWS's recommendation: a random wait
 * in [0, min(max, base·2^n)]), so many clients hitting one throttled server
 * spread out instead of retrying in lock-step.
 *
 * @example
 * const body = await withRetry(() => fetchOnce(url), { isRetryable: isTransientHttpError })
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const retries = options.retries ?? 4
  const base = options.baseDelayMs ?? 200
  const max = options.maxDelayMs ?? 10_000
  const sleep = options.sleep ?? defaultSleep
  const random = options.random ?? Math.random
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (error) {
      if (attempt >= retries || options.signal?.aborted || !options.isRetryable(error)) throw error
      const ceiling = Math.min(max, base * 2 ** attempt)
      const told = options.retryAfterMs?.(error)
      const delayMs = told === undefined ? Math.floor(random() * ceiling) : Math.min(told, max)
      options.onRetry?.({ attempt: attempt + 1, delayMs, error })
      await sleep(delayMs, options.signal)
    }
  }
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Error codes of a connection that broke and is worth trying again. */
const TRANSIENT_NET_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
])

/**
 * True for network failures (reset, refused, timed out) anywhere in an
 * error's `cause` chain; fetch wraps them in a TypeError.
 *
 * @example isNetworkError(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } })) // true
 */
export function isNetworkError(error: unknown): boolean {
  return causeChain(error).some((e) => {
    const code = (e as { code?: unknown }).code
    return (
      (typeof code === 'string' && TRANSIENT_NET_CODES.has(code)) ||
      (e instanceof TypeError && e.message === 'fetch failed')
    )
  })
}

/**
 * An error and its `cause`s, outermost first, five at most (a cause chain
 * may loop).
 *
 * @example causeChain(new Error('a', { cause: new Error('b') })).length // 2
 */
export function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = []
  for (let e: unknown = error; e && chain.length < 5; e = (e as { cause?: unknown }).cause)
    chain.push(e)
  return chain
}

/**
 * HTTP statuses a client should retry: throttling (429, 503 SlowDown) and
 * server errors; never 4xx answers about the request itself.
 *
 * @example isRetryableStatus(503) // true
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501)
}
