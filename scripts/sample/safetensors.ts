import { float16Bits } from './half.ts'
import { createRng } from './prng.ts'

/** The dtypes the sample hub writes; names as in the safetensors format. */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'I8' | 'I64'

const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, I8: 1, I64: 8 }

/** One tensor to write. Values come from the seeded PRNG unless `fill` is set. */
export interface TensorSpec {
  name: string
  dtype: SafetensorsDtype
  shape: number[]
  /** Standard deviation of the pseudo-random values (default 0.02, a common init scale). */
  std?: number
  /** A constant value for every element, as for norm weights (1) or biases (0). */
  fill?: number
}

/** A tensor as described in a safetensors header. */
export interface SafetensorsEntry {
  name: string
  dtype: string
  shape: number[]
  data_offsets: [number, number]
}

export interface SafetensorsHeader {
  /** Byte length of the JSON header (the first 8 bytes, little-endian). */
  headerLength: number
  metadata: Record<string, string>
  tensors: SafetensorsEntry[]
  /** Length of the data section that follows the header. */
  dataLength: number
}

/**
 * The number of elements of a shape; a scalar (empty shape) has one.
 *
 * @example elementCount([16, 128]) // 2048
 */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}

/** Rounds a float32 to bfloat16 bits, nearest-even, as torch does. */
function toBf16Bits(value: number, scratch: DataView): number {
  scratch.setFloat32(0, value, true)
  const bits = scratch.getUint32(0, true)
  const rounded = bits + 0x7fff + ((bits >>> 16) & 1)
  return (rounded >>> 16) & 0xffff
}

/**
 * Encodes tensors as a safetensors file: an 8-byte little-endian header
 * length, a JSON header (`__metadata__` string map, then each tensor's dtype,
 * shape and contiguous `data_offsets`), padded with spaces to 8 bytes, then
 * the raw little-endian data in header order. Tensors are laid out sorted by
 * name so the same specs always give the same bytes.
 *
 * @example
 * const bytes = encodeSafetensors(
 *   [{ name: 'dense.weight', dtype: 'F32', shape: [4, 8] }],
 *   { seed: 'demo', metadata: { format: 'pt' } },
 * )
 */
export function encodeSafetensors(
  tensors: readonly TensorSpec[],
  options: { seed: string; metadata?: Record<string, string> },
): Uint8Array {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const header: Record<string, unknown> = { __metadata__: options.metadata ?? { format: 'pt' } }
  let offset = 0
  for (const t of sorted) {
    if (t.name in header) throw new Error(`duplicate tensor name ${t.name}`)
    const size = elementCount(t.shape) * DTYPE_BYTES[t.dtype]
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] }
    offset += size
  }
  let json = JSON.stringify(header)
  let pad = (8 - ((8 + Buffer.byteLength(json)) % 8)) % 8
  // A header length whose first byte is 0x80 makes the file start like a
  // pickle PROTO opcode (0x80 0x02…), which trips format sniffers; the spec
  // allows trailing spaces, so pad past such lengths.
  if (((Buffer.byteLength(json) + pad) & 0xff) === 0x80) pad += 8
  json += ' '.repeat(pad)
  const headerBytes = new TextEncoder().encode(json)
  const out = new Uint8Array(8 + headerBytes.length + offset)
  const view = new DataView(out.buffer)
  view.setBigUint64(0, BigInt(headerBytes.length), true)
  out.set(headerBytes, 8)
  const scratch = new DataView(new ArrayBuffer(4))
  let at = 8 + headerBytes.length
  for (const t of sorted) {
    const rng = createRng(`${options.seed}:${t.name}`)
    const std = t.std ?? 0.02
    const n = elementCount(t.shape)
    for (let i = 0; i < n; i++) {
      const value = t.fill ?? rng.normal() * std
      switch (t.dtype) {
        case 'F32':
          view.setFloat32(at, value, true)
          break
        case 'F16':
          view.setUint16(at, float16Bits(value), true)
          break
        case 'BF16':
          view.setUint16(at, toBf16Bits(value, scratch), true)
          break
        case 'I8':
          // Symmetric int8 quantisation of the same distribution: std maps to ~40.
          view.setInt8(at, Math.max(-127, Math.min(127, Math.round((value / std) * 40))))
          break
        case 'I64':
          view.setBigInt64(at, BigInt(Math.trunc(t.fill ?? i)), true)
          break
      }
      at += DTYPE_BYTES[t.dtype]
    }
  }
  return out
}

/**
 * Parses and checks a safetensors header: length within the file, JSON with
 * string-only `__metadata__`, offsets contiguous from 0, each tensor's byte
 * size equal to its shape times its dtype width, and the data section exactly
 * covered. Throws with a precise message on the first problem.
 *
 * @example readSafetensorsHeader(bytes).tensors.map((t) => t.name)
 */
export function readSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  if (bytes.length < 8) throw new Error('file shorter than the 8-byte header length')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerLength = Number(view.getBigUint64(0, true))
  if (8 + headerLength > bytes.length) throw new Error(`header length ${headerLength} exceeds file`)
  const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)))
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('header is not a JSON object')
  }
  const metadata: Record<string, string> = {}
  const tensors: SafetensorsEntry[] = []
  for (const [name, value] of Object.entries(parsed)) {
    if (name === '__metadata__') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new Error(`__metadata__.${k} is not a string`)
        metadata[k] = v
      }
      continue
    }
    const entry = value as SafetensorsEntry
    const width = DTYPE_BYTES[entry.dtype as SafetensorsDtype]
    if (width === undefined) throw new Error(`${name}: unknown dtype ${entry.dtype}`)
    const [start, end] = entry.data_offsets
    if (end - start !== elementCount(entry.shape) * width) {
      throw new Error(`${name}: data_offsets ${start}-${end} do not match shape ${entry.shape}`)
    }
    tensors.push({ name, dtype: entry.dtype, shape: entry.shape, data_offsets: [start, end] })
  }
  const byStart = [...tensors].sort((a, b) => a.data_offsets[0] - b.data_offsets[0])
  let expected = 0
  for (const t of byStart) {
    if (t.data_offsets[0] !== expected)
      throw new Error(`${t.name}: data not contiguous at ${expected}`)
    expected = t.data_offsets[1]
  }
  const dataLength = bytes.length - 8 - headerLength
  if (expected !== dataLength) {
    throw new Error(`tensors cover ${expected} bytes but the data section has ${dataLength}`)
  }
  return { headerLength, metadata, tensors, dataLength }
}
