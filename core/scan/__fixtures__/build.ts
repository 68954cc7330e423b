/**
 * Builders for scan test files. Hostile files are made byte by byte here
 * rather than committed as binaries, so each test shows what it feeds in.
 */
import { crc32, deflateRawSync } from 'node:zlib'

const enc = new TextEncoder()

export function concat(...parts: (Uint8Array | string | number[])[]): Uint8Array {
  const arrays = parts.map((p) => (typeof p === 'string' ? latin1(p) : p instanceof Uint8Array ? p : Uint8Array.from(p)))
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0))
  let at = 0
  for (const a of arrays) {
    out.set(a, at)
    at += a.length
  }
  return out
}

/** Bytes of a string, one per character (the pickle tests need raw opcodes). */
export function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff)
}

export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n, true)
  return b
}
export function u64(n: number | bigint): Uint8Array {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true)
  return b
}
function u16(n: number): Uint8Array {
  const b = new Uint8Array(2)
  new DataView(b.buffer).setUint16(0, n, true)
  return b
}

/** `pickle.dumps` of a `__reduce__` returning `(os.system, ('echo pwned',))`, protocol 0. */
export const EVIL_PICKLE_P0 = latin1("cos\nsystem\n(S'echo pwned'\ntR.")

/**
 * Protocol 4 with STACK_GLOBAL whose module and name come back from the memo
 * after being popped, so only a scanner that tracks the memo sees posix.system.
 */
export const EVIL_PICKLE_P4 = concat(
  [0x80, 0x04],
  [0x8c, 5],
  'posix',
  [0x94],
  [0x8c, 6],
  'system',
  [0x94],
  '00', // POP POP
  [0x68, 0, 0x68, 1], // BINGET 0, BINGET 1
  [0x93], // STACK_GLOBAL
  [0x8c, 2],
  'id',
  [0x85], // TUPLE1
  'R.',
)

/** A state dict `{'weight': tensor}` as torch.save pickles it: only allowed globals. */
export const TORCH_STATE_PICKLE = concat(
  [0x80, 0x02],
  '}(',
  [0x58],
  u32(6),
  'weight',
  'ctorch._utils\n_rebuild_tensor_v2\n',
  '((',
  [0x58],
  u32(7),
  'storage',
  'ctorch\nFloatStorage\n',
  [0x58],
  u32(1),
  '0',
  [0x58],
  u32(3),
  'cpu',
  'K\x04tQ', // numel, TUPLE, BINPERSID
  'K\x00K\x04',
  [0x85],
  'K\x01',
  [0x85],
  [0x89],
  'ccollections\nOrderedDict\n)R',
  'tRu.',
)

export interface ZipSpec {
  name: string
  data: Uint8Array | string
  /** 0 stored, 8 deflate. */
  method?: number
  crc?: number
  /** Unix mode for the external attributes, e.g. 0o120777 for a symlink. */
  mode?: number
  localName?: string
  /** Size written to the central directory instead of the real one. */
  declaredSize?: number
  /** Zeros in the local header and a data descriptor after the bytes, as streaming writers do. */
  descriptor?: boolean
}

/** A zip written field by field, so tests can make every kind of broken archive. */
export function buildZip(specs: ZipSpec[], options: { overlapLast?: boolean } = {}): Uint8Array {
  const locals: Uint8Array[] = []
  const centrals: Uint8Array[] = []
  let offset = 0
  let previousOffset = 0
  specs.forEach((spec, index) => {
    const data = typeof spec.data === 'string' ? enc.encode(spec.data) : spec.data
    const method = spec.method ?? 0
    const body = method === 8 ? deflateRawSync(data) : data
    const crc = spec.crc ?? crc32(data)
    const name = enc.encode(spec.name)
    const localName = enc.encode(spec.localName ?? spec.name)
    const streamed = spec.descriptor === true
    const local = concat(
      u32(0x04034b50),
      u16(20),
      u16(streamed ? 0x0808 : 0x0800),
      u16(method),
      u16(0),
      u16(0),
      u32(streamed ? 0 : crc),
      u32(streamed ? 0 : body.length),
      u32(streamed ? 0 : data.length),
      u16(localName.length),
      u16(0),
      localName,
      body,
      streamed ? concat(u32(0x08074b50), u32(crc), u32(body.length), u32(data.length)) : new Uint8Array(0),
    )
    const localOffset = options.overlapLast && index === specs.length - 1 ? previousOffset : offset
    const central = concat(
      u32(0x02014b50),
      u16(spec.mode === undefined ? 20 : (3 << 8) | 20),
      u16(20),
      u16(streamed ? 0x0808 : 0x0800),
      u16(method),
      u16(0),
      u16(0),
      u32(crc),
      u32(body.length),
      u32(spec.declaredSize ?? data.length),
      u16(name.length),
      u16(0),
      u16(0),
      u16(0),
      u16(0),
      u32(spec.mode === undefined ? 0 : (spec.mode << 16) >>> 0),
      u32(localOffset),
      name,
    )
    previousOffset = offset
    locals.push(local)
    centrals.push(central)
    offset += local.length
  })
  const directory = concat(...centrals)
  const end = concat(
    u32(0x06054b50),
    u16(0),
    u16(0),
    u16(specs.length),
    u16(specs.length),
    u32(directory.length),
    u32(offset),
    u16(0),
  )
  return concat(...locals, directory, end)
}

/** A torch.save zip: `archive/data.pkl` plus the files around it. */
export function torchZip(pickle: Uint8Array, pickleName = 'archive/data.pkl'): Uint8Array {
  return buildZip([
    { name: pickleName, data: pickle },
    { name: 'archive/byteorder', data: 'little' },
    { name: 'archive/data/0', data: new Uint8Array(16) },
    { name: 'archive/version', data: '3\n' },
    { name: 'archive/.data/serialization_id', data: '0123456789' },
  ])
}

/** A safetensors file from a header (object or raw JSON text) and a data section. */
export function safetensors(header: object | string, dataLength: number, lengthOverride?: bigint): Uint8Array {
  const json = enc.encode(typeof header === 'string' ? header : JSON.stringify(header))
  return concat(u64(lengthOverride ?? BigInt(json.length)), json, new Uint8Array(dataLength))
}

/** An .npy file with the given dtype and body. */
export function npy(descr: string, body: Uint8Array): Uint8Array {
  let header = `{'descr': ${descr}, 'fortran_order': False, 'shape': (1,), }`
  header += ' '.repeat(63 - ((10 + header.length) % 64))
  header += '\n'
  return concat([0x93], 'NUMPY', [1, 0], u16(header.length), header, body)
}

export type GgufValue =
  | { type: 'string'; value: string }
  | { type: 'u32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'strings'; value: readonly string[] }
  | { type: 'i32s'; value: readonly number[] }

function ggufString(text: string): Uint8Array {
  const bytes = enc.encode(text)
  return concat(u64(bytes.length), bytes)
}

function ggufValue(v: GgufValue): Uint8Array {
  switch (v.type) {
    case 'string':
      return concat(u32(8), ggufString(v.value))
    case 'u32':
      return concat(u32(4), u32(v.value))
    case 'f32': {
      const b = new Uint8Array(4)
      new DataView(b.buffer).setFloat32(0, v.value, true)
      return concat(u32(6), b)
    }
    case 'bool':
      return concat(u32(7), [v.value ? 1 : 0])
    case 'strings':
      return concat(u32(9), u32(8), u64(v.value.length), ...v.value.map(ggufString))
    case 'i32s':
      return concat(u32(9), u32(5), u64(v.value.length), ...v.value.map((n) => u32(n >>> 0)))
  }
}

export interface GgufTensorSpec {
  name: string
  dims: number[]
  /** ggml type id; 0 is F32. */
  type: number
  offset: number
}

/** A GGUF file: header, metadata, tensor infos, aligned data of `dataLength` bytes. */
export function gguf(
  metadata: Record<string, GgufValue>,
  tensors: GgufTensorSpec[],
  dataLength: number,
  options: { magic?: string; version?: number } = {},
): Uint8Array {
  const head = concat(
    options.magic ?? 'GGUF',
    u32(options.version ?? 3),
    u64(tensors.length),
    u64(Object.keys(metadata).length),
    ...Object.entries(metadata).map(([k, v]) => concat(ggufString(k), ggufValue(v))),
    ...tensors.map((t) => concat(ggufString(t.name), u32(t.dims.length), ...t.dims.map(u64), u32(t.type), u64(t.offset))),
  )
  const padding = (32 - (head.length % 32)) % 32
  return concat(head, new Uint8Array(padding + dataLength))
}

/** Protobuf wire format, enough to write ONNX models. */
export const pb = {
  varint(n: number | bigint): Uint8Array {
    let v = BigInt(n)
    const out: number[] = []
    do {
      let byte = Number(v & 0x7fn)
      v >>= 7n
      if (v > 0n) byte |= 0x80
      out.push(byte)
    } while (v > 0n)
    return Uint8Array.from(out)
  },
  int(field: number, n: number | bigint): Uint8Array {
    return concat(pb.varint((field << 3) | 0), pb.varint(n))
  },
  bytes(field: number, value: Uint8Array | string): Uint8Array {
    const data = typeof value === 'string' ? enc.encode(value) : value
    return concat(pb.varint((field << 3) | 2), pb.varint(data.length), data)
  },
}

/** An ONNX ModelProto with one Identity node and optional external-data initializers. */
export function onnxModel(options: { irVersion?: number; graph?: boolean; opset?: boolean; external?: string[] } = {}): Uint8Array {
  const initializers = (options.external ?? []).map((location) =>
    pb.bytes(
      5,
      concat(
        pb.int(1, 4),
        pb.int(2, 1),
        pb.bytes(8, 'w'),
        pb.bytes(13, concat(pb.bytes(1, 'location'), pb.bytes(2, location))),
        pb.int(14, 1),
      ),
    ),
  )
  const node = pb.bytes(1, concat(pb.bytes(1, 'x'), pb.bytes(2, 'y'), pb.bytes(4, 'Identity')))
  const graph = concat(node, pb.bytes(2, 'g'), ...initializers)
  return concat(
    pb.int(1, options.irVersion ?? 8),
    pb.bytes(2, 'agora-test'),
    options.graph === false ? new Uint8Array(0) : pb.bytes(7, graph),
    options.opset === false ? new Uint8Array(0) : pb.bytes(8, concat(pb.bytes(1, ''), pb.int(2, 17))),
  )
}

/** A POSIX tar archive; `type` is the typeflag ('0' file, '2' symlink). */
export function buildTar(members: { name: string; data?: Uint8Array | string; type?: string; pax?: string }[]): Uint8Array {
  const blocks: Uint8Array[] = []
  const header = (name: string, size: number, type: string): Uint8Array => {
    const h = new Uint8Array(512)
    h.set(enc.encode(name).subarray(0, 100), 0)
    h.set(enc.encode('0000644\0'), 100)
    h.set(enc.encode('0000000\0'), 108)
    h.set(enc.encode('0000000\0'), 116)
    h.set(enc.encode(`${size.toString(8).padStart(11, '0')}\0`), 124)
    h.set(enc.encode('00000000000\0'), 136)
    h.set(enc.encode(type), 156)
    h.set(enc.encode('ustar\0'), 257)
    h.set(enc.encode('00'), 263)
    h.set(enc.encode('        '), 148)
    const sum = h.reduce((a, b) => a + b, 0)
    h.set(enc.encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148)
    return h
  }
  const pad = (n: number) => new Uint8Array((512 - (n % 512)) % 512)
  for (const m of members) {
    if (m.pax !== undefined) {
      const body = `path=${m.pax}\n`
      const record = enc.encode(`${body.length + String(body.length + 3).length + 1} ${body}`)
      blocks.push(header('PaxHeader', record.length, 'x'), record, pad(record.length))
    }
    const data = typeof m.data === 'string' ? enc.encode(m.data) : (m.data ?? new Uint8Array(0))
    blocks.push(header(m.name, data.length, m.type ?? '0'), data, pad(data.length))
  }
  blocks.push(new Uint8Array(1024))
  return concat(...blocks)
}
