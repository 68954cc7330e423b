import { float16Bits } from './half.ts'
import { createRng } from './prng.ts'
import { elementCount } from './safetensors.ts'

/** GGUF metadata value types (gguf.h `gguf_type`). */
const T = { UINT32: 4, FLOAT32: 6, STRING: 8, UINT64: 10 } as const
/** ggml tensor types written here. */
const GGML = { F32: 0, Q4_0: 2, Q8_0: 8 } as const
const ALIGNMENT = 32
const Q8_BLOCK = 32
const Q8_BLOCK_BYTES = 34
const Q4_BLOCK_BYTES = 18

export type GgufValue = string | { u32: number } | { f32: number }

export interface GgufTensorSpec {
  name: string
  /** Shape in PyTorch order (outermost first); GGUF stores it reversed. */
  shape: number[]
  type: 'F32' | 'Q4_0' | 'Q8_0'
  std?: number
  fill?: number
}

class ByteWriter {
  private chunks: Uint8Array[] = []
  length = 0
  bytes(b: Uint8Array): void {
    this.chunks.push(b)
    this.length += b.length
  }
  private view(n: number, set: (v: DataView) => void): void {
    const b = new Uint8Array(n)
    set(new DataView(b.buffer))
    this.bytes(b)
  }
  u32(v: number): void {
    this.view(4, (d) => d.setUint32(0, v, true))
  }
  u64(v: number): void {
    this.view(8, (d) => d.setBigUint64(0, BigInt(v), true))
  }
  f32(v: number): void {
    this.view(4, (d) => d.setFloat32(0, v, true))
  }
  str(s: string): void {
    const b = new TextEncoder().encode(s)
    this.u64(b.length)
    this.bytes(b)
  }
  pad(to: number): void {
    const n = (to - (this.length % to)) % to
    if (n) this.bytes(new Uint8Array(n))
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length)
    let at = 0
    for (const c of this.chunks) {
      out.set(c, at)
      at += c.length
    }
    return out
  }
}

function tensorBytes(t: GgufTensorSpec, seed: string): Uint8Array {
  const rng = createRng(`${seed}:${t.name}`)
  const n = elementCount(t.shape)
  const values = new Float32Array(n)
  for (let i = 0; i < n; i++) values[i] = t.fill ?? rng.normal() * (t.std ?? 0.02)
  if (t.type === 'F32') {
    const out = new Uint8Array(n * 4)
    const view = new DataView(out.buffer)
    for (let i = 0; i < n; i++) view.setFloat32(i * 4, values[i] ?? 0, true)
    return out
  }
  if (n % Q8_BLOCK !== 0) throw new Error(`${t.name}: ${t.type} needs a multiple of 32 elements`)
  if (t.type === 'Q4_0') return quantizeQ4(values)
  const out = new Uint8Array((n / Q8_BLOCK) * Q8_BLOCK_BYTES)
  const view = new DataView(out.buffer)
  for (let b = 0; b < n / Q8_BLOCK; b++) {
    let amax = 0
    for (let i = 0; i < Q8_BLOCK; i++)
      amax = Math.max(amax, Math.abs(values[b * Q8_BLOCK + i] ?? 0))
    const d = amax / 127
    const base = b * Q8_BLOCK_BYTES
    view.setUint16(base, float16Bits(d), true)
    for (let i = 0; i < Q8_BLOCK; i++) {
      const q = d === 0 ? 0 : Math.round((values[b * Q8_BLOCK + i] ?? 0) / d)
      view.setInt8(base + 2 + i, q)
    }
  }
  return out
}

/**
 * ggml's Q4_0: per block of 32, an f16 scale d = max / -8 (max being the
 * value of largest magnitude) and 16 bytes whose low nibbles hold elements
 * 0–15 and high nibbles elements 16–31, each stored as round(x / d) + 8.
 */
function quantizeQ4(values: Float32Array): Uint8Array {
  const blocks = values.length / Q8_BLOCK
  const out = new Uint8Array(blocks * Q4_BLOCK_BYTES)
  const view = new DataView(out.buffer)
  for (let b = 0; b < blocks; b++) {
    let max = 0
    for (let i = 0; i < Q8_BLOCK; i++) {
      const v = values[b * Q8_BLOCK + i] ?? 0
      if (Math.abs(v) > Math.abs(max)) max = v
    }
    const d = max / -8
    const id = d === 0 ? 0 : 1 / d
    const base = b * Q4_BLOCK_BYTES
    view.setUint16(base, float16Bits(d), true)
    for (let j = 0; j < 16; j++) {
      const lo = Math.min(15, Math.floor((values[b * Q8_BLOCK + j] ?? 0) * id + 8.5))
      const hi = Math.min(15, Math.floor((values[b * Q8_BLOCK + 16 + j] ?? 0) * id + 8.5))
      out[base + 2 + j] = lo | (hi << 4)
    }
  }
  return out
}

/**
 * Encodes a GGUF v3 file: magic, version, counts, typed metadata, tensor
 * infos (dims innermost first), then 32-byte aligned tensor data. Q8_0
 * and Q4_0 tensors are quantised for real, in ggml's block layouts.
 *
 * @example
 * encodeGguf({ 'general.architecture': 'llama' }, [{ name: 'output_norm.weight', shape: [128], type: 'F32', fill: 1 }], 'demo')
 */
export function encodeGguf(
  metadata: Record<string, GgufValue>,
  tensors: readonly GgufTensorSpec[],
  seed: string,
): Uint8Array {
  const w = new ByteWriter()
  w.bytes(new TextEncoder().encode('GGUF'))
  w.u32(3)
  w.u64(tensors.length)
  w.u64(Object.keys(metadata).length)
  for (const [key, value] of Object.entries(metadata)) {
    w.str(key)
    if (typeof value === 'string') {
      w.u32(T.STRING)
      w.str(value)
    } else if ('u32' in value) {
      w.u32(T.UINT32)
      w.u32(value.u32)
    } else {
      w.u32(T.FLOAT32)
      w.f32(value.f32)
    }
  }
  const data = tensors.map((t) => tensorBytes(t, seed))
  let offset = 0
  tensors.forEach((t, i) => {
    w.str(t.name)
    w.u32(t.shape.length)
    for (const dim of [...t.shape].reverse()) w.u64(dim)
    w.u32(GGML[t.type])
    w.u64(offset)
    offset += data[i]?.length ?? 0
    offset += (ALIGNMENT - (offset % ALIGNMENT)) % ALIGNMENT
  })
  w.pad(ALIGNMENT)
  for (const d of data) {
    w.bytes(d)
    w.pad(ALIGNMENT)
  }
  return w.concat()
}

export interface GgufHeader {
  version: number
  metadata: Record<string, string | number>
  tensors: { name: string; dims: number[]; type: number; offset: number }[]
  /** Offset of the tensor data section (aligned). */
  dataOffset: number
}

/**
 * Reads the header of a GGUF file written by {@link encodeGguf} (string,
 * uint32, uint64 and float32 values), for tests and checks.
 *
 * @example readGgufHeader(bytes).metadata['general.architecture'] // 'llama'
 */
export function readGgufHeader(bytes: Uint8Array): GgufHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 0
  const u32 = (): number => {
    const v = view.getUint32(at, true)
    at += 4
    return v
  }
  const u64 = (): number => {
    const v = Number(view.getBigUint64(at, true))
    at += 8
    return v
  }
  const str = (): string => {
    const n = u64()
    const s = new TextDecoder().decode(bytes.subarray(at, at + n))
    at += n
    return s
  }
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== 'GGUF') throw new Error('bad GGUF magic')
  at = 4
  const version = u32()
  const tensorCount = u64()
  const kvCount = u64()
  const metadata: Record<string, string | number> = {}
  for (let i = 0; i < kvCount; i++) {
    const key = str()
    const type = u32()
    if (type === T.STRING) metadata[key] = str()
    else if (type === T.UINT32) metadata[key] = u32()
    else if (type === T.UINT64) metadata[key] = u64()
    else if (type === T.FLOAT32) {
      metadata[key] = view.getFloat32(at, true)
      at += 4
    } else throw new Error(`${key}: unsupported GGUF value type ${type}`)
  }
  const tensors: GgufHeader['tensors'] = []
  for (let i = 0; i < tensorCount; i++) {
    const name = str()
    const nDims = u32()
    const dims: number[] = []
    for (let d = 0; d < nDims; d++) dims.push(u64())
    tensors.push({ name, dims, type: u32(), offset: u64() })
  }
  const dataOffset = at + ((ALIGNMENT - (at % ALIGNMENT)) % ALIGNMENT)
  return { version, metadata, tensors, dataOffset }
}
