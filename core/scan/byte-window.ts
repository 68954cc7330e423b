import type { ScanSource } from './types.ts'

/**
 * Raised when a parser asks for bytes past the end of the source.
 *
 * @example
 * await new ByteWindow(source).bytes(source.size, 1) // throws EndOfSource
 */
export class EndOfSource extends Error {
  constructor(position: number, length: number, size: number) {
    super(`needs ${length} bytes at offset ${position} but the file ends at ${size}`)
    this.name = 'EndOfSource'
  }
}

/**
 * Buffered random access over a {@link ScanSource}: parsers that read many
 * small fields (GGUF metadata, protobuf tags, zip headers) get them from one
 * cached window instead of one read each.
 *
 * @example
 * const window = new ByteWindow(source)
 * const magic = await window.bytes(0, 4)
 */
export class ByteWindow {
  readonly source: ScanSource
  readonly #windowSize: number
  #start = 0
  #buffer: Uint8Array = new Uint8Array(0)

  constructor(source: ScanSource, windowSize = 1 << 20) {
    this.source = source
    this.#windowSize = windowSize
  }

  get size(): number {
    return this.source.size
  }

  /** Exactly `length` bytes at `position`, or {@link EndOfSource}. */
  async bytes(position: number, length: number): Promise<Uint8Array> {
    if (position < 0 || length < 0 || position + length > this.source.size) {
      throw new EndOfSource(position, length, this.source.size)
    }
    const offset = position - this.#start
    if (offset >= 0 && offset + length <= this.#buffer.length) {
      return this.#buffer.subarray(offset, offset + length)
    }
    if (length > this.#windowSize) return this.#readExact(position, length)
    const end = Math.min(this.source.size, position + this.#windowSize)
    this.#buffer = await this.#readExact(position, end - position)
    this.#start = position
    return this.#buffer.subarray(0, length)
  }

  async #readExact(position: number, length: number): Promise<Uint8Array> {
    const bytes = await this.source.read(position, position + length)
    if (bytes.length < length) throw new EndOfSource(position, length, this.source.size)
    return bytes
  }
}

/**
 * A DataView over exactly the given bytes.
 *
 * @example viewOf(new Uint8Array([1, 0])).getUint16(0, true) // 1
 */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
