import { describe, expect, it } from 'vitest'
import { causeChain, isNetworkError, isRetryableStatus, withRetry } from './retry.ts'

describe('core/blobs/retry', () => {
  it('retries with exponential back-off and full jitter, then succeeds', async () => {
    const waits: number[] = []
    let calls = 0
    const value = await withRetry(
      async () => {
        calls++
        if (calls < 4) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' })
        return 'ok'
      },
      {
        isRetryable: isNetworkError,
        baseDelayMs: 100,
        random: () => 0.5,
        sleep: async (ms) => {
          waits.push(ms)
        },
      },
    )
    expect(value).toBe('ok')
    expect(waits).toEqual([50, 100, 200])
  })

  it('caps the wait, honours a server-given wait, and stops after the retries', async () => {
    const waits: number[] = []
    const failing = withRetry(
      async () => {
        throw new Error('503')
      },
      {
        isRetryable: () => true,
        retries: 3,
        baseDelayMs: 1000,
        maxDelayMs: 1500,
        random: () => 0.999,
        retryAfterMs: (error) =>
          (error as Error).message === '503' && waits.length === 0 ? 20 : undefined,
        sleep: async (ms) => {
          waits.push(ms)
        },
      },
    )
    await expect(failing).rejects.toThrow('503')
    expect(waits).toEqual([20, 1498, 1498])
  })

  it('does not retry what is not retryable', async () => {
    let calls = 0
    await expect(
      withRetry(
        async () => {
          calls++
          throw new Error('403')
        },
        { isRetryable: () => false, sleep: async () => {} },
      ),
    ).rejects.toThrow('403')
    expect(calls).toBe(1)
  })

  it('classifies statuses and network failures', () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true)
    expect([400, 401, 403, 404, 416, 501].some(isRetryableStatus)).toBe(false)
    expect(isNetworkError(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }))).toBe(
      true,
    )
    expect(isNetworkError(new Error('nope'))).toBe(false)
  })

  it('walks an error’s causes, at most five, even when they loop', () => {
    const inner = new Error('inner')
    expect(causeChain(new Error('outer', { cause: inner }))).toEqual([expect.any(Error), inner])
    const looping: { cause?: unknown } = {}
    looping.cause = looping
    expect(causeChain(looping)).toHaveLength(5)
    expect(causeChain(undefined)).toEqual([])
  })
})
