import { createHash } from 'node:crypto'
import * as nodeFs from 'node:fs'
import { Transform, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { BlobInfo } from './blob-store.ts'

/** A lower-case hex SHA-256: what every manifest and key uses. */
export const SHA256_PATTERN = /^[0-9a-f]{64}$/

/**
 * A pass-through stream that hashes and counts the bytes flowing through it,
 * so a file is read once whether it is being uploaded, copied or checked.
 *
 * @example
 * const meter = new HashingStream()
 * await pipeline(createReadStream(path), meter, destination)
 * meter.digest() // { sha256: '…', size: 1234 }
 */
export class HashingStream extends Transform {
  readonly #hash = createHash('sha256')
  readonly #onData: ((bytes: number) => void) | undefined
  #size = 0
  #digest: string | undefined

  /** `onData` is told the size of every chunk, for progress bars. */
  constructor(options: { onData?: (bytes: number) => void } = {}) {
    super({ highWaterMark: 1 << 20 })
    this.#onData = options.onData
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk)
    this.#size += chunk.length
    this.#onData?.(chunk.length)
    callback(null, chunk)
  }

  /** Bytes seen so far. */
  get size(): number {
    return this.#size
  }

  /** Hash and size of everything seen; call once the stream has ended. */
  digest(): BlobInfo {
    const sha256 = this.#digest ?? this.#hash.digest('hex')
    this.#digest = sha256
    return { sha256, size: this.#size }
  }
}

/**
 * Hashes a file by streaming it (constant memory whatever its size).
 *
 * @example
 * await hashFile('model.safetensors') // { sha256: '9f86…', size: 5368709120 }
 */
export async function hashFile(
  path: string,
  options: {
    fs?: Pick<typeof nodeFs, 'createReadStream'>
    onProgress?: (bytes: number) => void
  } = {},
): Promise<BlobInfo> {
  const fs = options.fs ?? nodeFs
  const hash = createHash('sha256')
  let size = 0
  await pipeline(fs.createReadStream(path, { highWaterMark: 1 << 20 }), async (source) => {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      hash.update(chunk)
      size += chunk.length
      options.onProgress?.(chunk.length)
    }
  })
  return { sha256: hash.digest('hex'), size }
}
