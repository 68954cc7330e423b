import { createReadStream, promises as fsp } from 'node:fs'
import { Readable } from 'node:stream'
import type { ScanSource } from './types.ts'

/** A {@link ScanSource} over an open file, to be closed when the scan is done. */
export interface OpenedSource extends ScanSource {
  close(): Promise<void>
}

/**
 * Opens a file on disk for scanning. Reads are positioned (`pread`), so
 * scanners never share a file offset.
 *
 * @example
 * const source = await openPath('model.safetensors')
 * try { await scanFile(source) } finally { await source.close() }
 */
export async function openPath(path: string): Promise<OpenedSource> {
  const handle = await fsp.open(path, 'r')
  try {
    const stat = await handle.stat()
    if (!stat.isFile()) throw new Error(`${path} is not a regular file`)
    return {
      path,
      size: stat.size,
      async read(start, end) {
        const length = Math.max(0, Math.min(end, stat.size) - start)
        const buffer = new Uint8Array(length)
        let done = 0
        while (done < length) {
          const { bytesRead } = await handle.read(buffer, done, length - done, start + done)
          if (bytesRead === 0) break
          done += bytesRead
        }
        return done === length ? buffer : buffer.subarray(0, done)
      },
      stream() {
        return createReadStream(path, { highWaterMark: 1024 * 1024 })
      },
      close: () => handle.close(),
    }
  } catch (error) {
    await handle.close()
    throw error
  }
}

/**
 * A {@link ScanSource} over bytes in memory: archive entries, uploads held in
 * memory, tests.
 *
 * @example await scanFile(bytesSource('adapter.safetensors', bytes))
 */
export function bytesSource(path: string, bytes: Uint8Array): ScanSource {
  return {
    path,
    size: bytes.length,
    read: async (start, end) =>
      bytes.subarray(Math.min(start, bytes.length), Math.min(end, bytes.length)),
    stream: () => Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]),
  }
}

/**
 * A window `[start, start + length)` of another source, read on demand: a
 * stored zip entry or a tar member scanned as a file of its own without
 * copying it into memory.
 *
 * @example await scanFile(sliceSource(tarSource, member.offset, member.size))
 */
export function sliceSource(source: ScanSource, start: number, length: number): ScanSource {
  const size = Math.max(0, Math.min(length, source.size - start))
  const chunk = 1024 * 1024
  return {
    path: source.path,
    size,
    read: (from, to) => source.read(start + Math.min(from, size), start + Math.min(to, size)),
    stream: () =>
      Readable.from(
        (async function* () {
          for (let at = 0; at < size; at += chunk) {
            const bytes = await source.read(start + at, start + Math.min(size, at + chunk))
            yield Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
          }
        })(),
      ),
  }
}
