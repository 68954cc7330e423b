/** A file read by byte ranges: what hyparquet reads Parquet from. */
export interface RangeReader {
  byteLength: number
  slice(start: number, end?: number): Promise<ArrayBuffer>
  /** Bytes received so far, over all requests. */
  readonly fetched: number
  /** Requests made so far. */
  readonly requests: number
}

export interface RangeReaderOptions {
  fetch: typeof globalThis.fetch
  /**
   * A server that ignores Range answers 200 with the whole file: read it only
   * when the file is at most this many bytes, else refuse.
   */
  wholeFileMax: number
  /** Bytes received at most over all requests; a read past it is refused. */
  budget: number
}

async function readCapped(response: Response, max: number): Promise<Uint8Array | undefined> {
  const reader = response.body?.getReader()
  if (!reader) throw new Error('no response body')
  const parts: Uint8Array[] = []
  let length = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    length += value.length
    if (length > max) {
      await reader.cancel().catch(() => undefined)
      return undefined
    }
    parts.push(value)
  }
  const bytes = new Uint8Array(length)
  let at = 0
  for (const part of parts) {
    bytes.set(part, at)
    at += part.length
  }
  return bytes
}

/** A byte count for a message: KiB below 1 MiB, else MiB with one decimal. */
export function formatPreviewBytes(n: number): string {
  return n < 1024 * 1024 ? `${Math.ceil(n / 1024)} KiB` : `${(n / (1024 * 1024)).toFixed(1)} MiB`
}

/**
 * An AsyncBuffer over HTTP: each `slice` is one Range request. A server
 * that ignores Range (200) is read whole only for a file of at most
 * `wholeFileMax` bytes, then served from memory; for a larger file the
 * download is cancelled and the read refused, as is any read that would
 * take the bytes received past `budget`. `size` is the file's size from
 * its manifest; a 206 whose Content-Range total disagrees is refused.
 *
 * @example const file = rangeReader('/blobs/sha256/ab/ab…', 4096, { fetch, wholeFileMax: 1 << 20, budget: 8 << 20 })
 */
export function rangeReader(url: string, size: number, options: RangeReaderOptions): RangeReader {
  let whole: Uint8Array | undefined
  let fetched = 0
  let requests = 0
  const refuseOver = (bytes: number): void => {
    if (fetched + bytes > options.budget) {
      throw new Error(
        `reading the first rows needs more than the ${formatPreviewBytes(options.budget)} the preview reads; download the file instead`,
      )
    }
  }
  const copy = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer as ArrayBuffer
  return {
    byteLength: size,
    get fetched() {
      return fetched
    },
    get requests() {
      return requests
    },
    async slice(start: number, end = size): Promise<ArrayBuffer> {
      if (start < 0 || end > size || start > end) {
        throw new Error(`bytes ${start}–${end} are outside the ${size}-byte file`)
      }
      if (whole) return copy(whole.subarray(start, end))
      if (start === end) return new ArrayBuffer(0)
      refuseOver(end - start)
      requests += 1
      const response = await options.fetch(url, { headers: { Range: `bytes=${start}-${end - 1}` } })
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      if (response.status === 206) {
        const total = /\/(\d+)\s*$/.exec(response.headers.get('content-range') ?? '')?.[1]
        if (total !== undefined && Number(total) !== size) {
          await response.body?.cancel().catch(() => undefined)
          throw new Error(`the server says the file has ${total} bytes, the manifest ${size}`)
        }
        const bytes = await readCapped(response, end - start)
        if (!bytes || bytes.length !== end - start) {
          throw new Error(`the server did not send bytes ${start}–${end - 1} as asked`)
        }
        fetched += bytes.length
        return copy(bytes)
      }
      // 200: the server ignored the Range and sends the whole file.
      if (size > options.wholeFileMax || fetched + size > options.budget) {
        await response.body?.cancel().catch(() => undefined)
        throw new Error(
          `the server ignores Range requests, and the file (${formatPreviewBytes(size)}) is larger than the ${formatPreviewBytes(options.wholeFileMax)} the preview downloads whole`,
        )
      }
      const bytes = await readCapped(response, Math.min(size, options.wholeFileMax))
      if (!bytes || bytes.length !== size) {
        throw new Error(`the server sent a file of another size than the manifest's ${size} bytes`)
      }
      fetched += bytes.length
      whole = bytes
      return copy(whole.subarray(start, end))
    },
  }
}
