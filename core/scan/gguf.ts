import { ByteWindow, EndOfSource, viewOf } from './byte-window.ts'
import { makeFinding, ScanStop, stop } from './finding.ts'
import type { Finding, ScanSource, TensorInfo } from './types.ts'

/** Block size (elements) and bytes per block of every ggml tensor type GGUF files use. */
const GGML_TYPES: Readonly<Record<number, { name: string; block: number; bytes: number }>> = {
  0: { name: 'F32', block: 1, bytes: 4 },
  1: { name: 'F16', block: 1, bytes: 2 },
  2: { name: 'Q4_0', block: 32, bytes: 18 },
  3: { name: 'Q4_1', block: 32, bytes: 20 },
  6: { name: 'Q5_0', block: 32, bytes: 22 },
  7: { name: 'Q5_1', block: 32, bytes: 24 },
  8: { name: 'Q8_0', block: 32, bytes: 34 },
  9: { name: 'Q8_1', block: 32, bytes: 36 },
  10: { name: 'Q2_K', block: 256, bytes: 84 },
  11: { name: 'Q3_K', block: 256, bytes: 110 },
  12: { name: 'Q4_K', block: 256, bytes: 144 },
  13: { name: 'Q5_K', block: 256, bytes: 176 },
  14: { name: 'Q6_K', block: 256, bytes: 210 },
  15: { name: 'Q8_K', block: 256, bytes: 292 },
  16: { name: 'IQ2_XXS', block: 256, bytes: 66 },
  17: { name: 'IQ2_XS', block: 256, bytes: 74 },
  18: { name: 'IQ3_XXS', block: 256, bytes: 98 },
  19: { name: 'IQ1_S', block: 256, bytes: 50 },
  20: { name: 'IQ4_NL', block: 32, bytes: 18 },
  21: { name: 'IQ3_S', block: 256, bytes: 110 },
  22: { name: 'IQ2_S', block: 256, bytes: 82 },
  23: { name: 'IQ4_XS', block: 256, bytes: 136 },
  24: { name: 'I8', block: 1, bytes: 1 },
  25: { name: 'I16', block: 1, bytes: 2 },
  26: { name: 'I32', block: 1, bytes: 4 },
  27: { name: 'I64', block: 1, bytes: 8 },
  28: { name: 'F64', block: 1, bytes: 8 },
  29: { name: 'IQ1_M', block: 256, bytes: 56 },
  30: { name: 'BF16', block: 1, bytes: 2 },
  34: { name: 'TQ1_0', block: 256, bytes: 54 },
  35: { name: 'TQ2_0', block: 256, bytes: 66 },
  39: { name: 'MXFP4', block: 32, bytes: 17 },
}

/** Bytes of each fixed-size GGUF metadata value type; 8 (string) and 9 (array) vary. */
const VALUE_SIZES: Readonly<Record<number, number>> = {
  0: 1,
  1: 1,
  2: 2,
  3: 2,
  4: 4,
  5: 4,
  6: 4,
  7: 1,
  10: 8,
  11: 8,
  12: 8,
}
const STRING = 8
const ARRAY = 9
const MAX_STRING = 64 * 1024 * 1024
const MAX_DIMS = 8
/** Array elements across all metadata; real vocabularies hold a few hundred thousand. */
const MAX_ARRAY_ELEMENTS = 16_000_000n
/** Metadata strings longer than this are checked but not copied into the result. */
const MAX_KEPT_STRING = 64 * 1024

/**
 * Jinja constructs that reach from a chat template into Python internals, the
 * known sandbox escapes (SSTI): dunder attributes, `mro`, `attr()` with a
 * built string, escaped underscores, and the globals templates can walk from.
 */
const TEMPLATE_ESCAPES: readonly [RegExp, string][] = [
  [/__\w+__/, 'a dunder attribute'],
  [/\bmro\b/, 'mro'],
  [/\|\s*attr\s*\(|\battr\s*\(/, 'the attr() filter'],
  [/\\x5f|\\u005f|\\137/i, 'an escaped underscore'],
  [/\bos\s*\.|\bpopen\b|\bsubprocess\b|\bsystem\s*\(/, 'an OS call'],
  [/\b(?:lipsum|cycler|joiner|namespace)\s*\.\s*_/, 'a private attribute of a template global'],
  [/\bself\s*\.\s*_/, 'a private attribute of self'],
  [/\b(?:eval|exec|getattr|import)\s*\(/, 'an eval-like call'],
]

export interface GgufScan {
  version: number
  tensorCount: number
  metadata: Record<string, string>
  /** Tensor infos in file order; dtype is the ggml type (Q4_K, F16 …), shape in GGUF order (ne[0] first), offsets relative to the data section. */
  tensors: TensorInfo[]
  findings: Finding[]
}

export interface GgufLimits {
  maxTensors: number
  maxKeys: number
}

/**
 * Reads a GGUF header (versions 2 and 3): counts within caps, every metadata
 * key/value of every type (arrays included) readable, tensor infos of known
 * ggml types whose data lies aligned inside the file, and chat templates
 * free of constructs that escape Jinja's sandbox.
 *
 * @example
 * const { findings, metadata } = await scanGguf(source, { maxTensors: 1e6, maxKeys: 1e5 })
 */
export async function scanGguf(source: ScanSource, limits: GgufLimits): Promise<GgufScan> {
  const file = source.path
  const window = new ByteWindow(source)
  const findings: Finding[] = []
  const metadata: Record<string, string> = Object.create(null)
  const table: TensorInfo[] = []
  let version = 0
  let tensorCount = 0
  let pos = 0
  let elements = 0n
  const malformed = (message: string): never => stop(file, 'scan/gguf-malformed', message)
  const u32 = async (): Promise<number> => {
    const value = viewOf(await window.bytes(pos, 4)).getUint32(0, true)
    pos += 4
    return value
  }
  const u64 = async (): Promise<bigint> => {
    const value = viewOf(await window.bytes(pos, 8)).getBigUint64(0, true)
    pos += 8
    return value
  }
  const string = async (what: string): Promise<string> => {
    const length = await u64()
    if (length > BigInt(Math.min(MAX_STRING, source.size - pos))) {
      malformed(`${what} claims ${length} bytes at offset ${pos - 8}, past the end of the file`)
    }
    const bytes = await window.bytes(pos, Number(length))
    pos += Number(length)
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    } catch {
      return malformed(`${what} at offset ${pos - Number(length)} is not valid UTF-8`)
    }
  }
  /** Reads (or skips) one value; returns its text for scalars and strings. */
  const value = async (type: number, key: string, depth: number): Promise<string | undefined> => {
    if (type === STRING) return string(`the value of "${key}"`)
    if (type === ARRAY) {
      if (depth > 2) malformed(`"${key}" nests arrays too deep`)
      const elementType = await u32()
      const count = await u64()
      // Fixed-size elements are skipped in one step; only strings and arrays are walked one by one.
      if (VALUE_SIZES[elementType] === undefined) elements += count
      if (elements > MAX_ARRAY_ELEMENTS) {
        stop(
          file,
          'scan/gguf-too-many',
          `metadata arrays hold more than ${MAX_ARRAY_ELEMENTS} elements`,
        )
      }
      const size = VALUE_SIZES[elementType]
      if (size !== undefined) {
        const total = count * BigInt(size)
        if (total > BigInt(source.size - pos))
          malformed(`array "${key}" of ${count} elements runs past the end of the file`)
        pos += Number(total)
        return undefined
      }
      if (elementType !== STRING && elementType !== ARRAY)
        malformed(`array "${key}" has unknown element type ${elementType}`)
      // Every element takes at least 8 bytes, which bounds a hostile count by the file size.
      if (count * 8n > BigInt(source.size - pos))
        malformed(`array "${key}" of ${count} elements runs past the end of the file`)
      const templates = key.startsWith('tokenizer.chat_template')
      for (let i = 0n; i < count; i++) {
        const element = await value(elementType, key, depth + 1)
        if (templates && element !== undefined)
          checkTemplate(`${key}[${i}]`, element, findings, file)
      }
      return undefined
    }
    const size = VALUE_SIZES[type]
    if (size === undefined) return malformed(`"${key}" has unknown value type ${type}`)
    const view = viewOf(await window.bytes(pos, size))
    pos += size
    switch (type) {
      case 0:
        return String(view.getUint8(0))
      case 1:
        return String(view.getInt8(0))
      case 2:
        return String(view.getUint16(0, true))
      case 3:
        return String(view.getInt16(0, true))
      case 4:
        return String(view.getUint32(0, true))
      case 5:
        return String(view.getInt32(0, true))
      case 6:
        return String(view.getFloat32(0, true))
      case 7:
        return view.getUint8(0) === 0 ? 'false' : 'true'
      case 10:
        return String(view.getBigUint64(0, true))
      case 11:
        return String(view.getBigInt64(0, true))
      default:
        return String(view.getFloat64(0, true))
    }
  }

  try {
    const magic = await window.bytes(0, 4)
    if (String.fromCharCode(...magic) !== 'GGUF') {
      stop(file, 'scan/gguf-bad-magic', 'file does not start with "GGUF"')
    }
    pos = 4
    version = await u32()
    if (version !== 2 && version !== 3)
      stop(file, 'scan/gguf-bad-version', `GGUF version ${version} is not 2 or 3`)
    const tensors = await u64()
    const keys = await u64()
    if (tensors > BigInt(limits.maxTensors) || keys > BigInt(limits.maxKeys)) {
      stop(
        file,
        'scan/gguf-too-many',
        `header claims ${tensors} tensors and ${keys} metadata keys; the limits are ${limits.maxTensors} and ${limits.maxKeys}`,
      )
    }
    tensorCount = Number(tensors)
    let alignment = 32
    const seenKeys = new Set<string>()
    for (let i = 0; i < Number(keys); i++) {
      const key = await string(`metadata key ${i}`)
      if (seenKeys.has(key)) malformed(`metadata key "${key}" appears twice`)
      seenKeys.add(key)
      const type = await u32()
      const text = await value(type, key, 0)
      if (text === undefined) continue
      if (key.startsWith('tokenizer.chat_template')) checkTemplate(key, text, findings, file)
      if (key === 'general.alignment') {
        alignment = Number(text)
        if (type !== 4 || alignment === 0 || (alignment & (alignment - 1)) !== 0) {
          malformed(`general.alignment ${text} is not a power of two`)
        }
      }
      if (text.length <= MAX_KEPT_STRING) metadata[key] = text
    }
    const infos: { name: string; offset: bigint; bytes: bigint }[] = []
    const seenTensors = new Set<string>()
    for (let i = 0; i < tensorCount; i++) {
      const name = await string(`tensor name ${i}`)
      if (seenTensors.has(name)) malformed(`tensor "${name}" appears twice`)
      seenTensors.add(name)
      const dims = await u32()
      if (dims === 0 || dims > MAX_DIMS) malformed(`tensor "${name}" has ${dims} dimensions`)
      let elements = 1n
      let first = 0n
      const shape: bigint[] = []
      for (let d = 0; d < dims; d++) {
        const extent = await u64()
        if (d === 0) first = extent
        elements *= extent
        shape.push(extent)
      }
      const typeId = await u32()
      const type = GGML_TYPES[typeId]
      if (!type) malformed(`tensor "${name}" has unknown ggml type ${typeId}`)
      const offset = await u64()
      if (offset % BigInt(alignment) !== 0n)
        malformed(`tensor "${name}" offset ${offset} is not aligned to ${alignment}`)
      const block = BigInt(type?.block ?? 1)
      if (first % block !== 0n)
        malformed(
          `tensor "${name}" row of ${first} is not a multiple of the ${type?.name} block of ${block}`,
        )
      const bytes = (elements / block) * BigInt(type?.bytes ?? 0)
      infos.push({ name, offset, bytes })
      table.push({
        name,
        dtype: type?.name ?? String(typeId),
        shape: shape.map(Number),
        params: Number(elements),
        offsets: [Number(offset), Number(offset + bytes)],
      })
    }
    const dataStart = BigInt(Math.ceil(pos / alignment) * alignment)
    infos.sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0))
    let previous: { name: string; end: bigint } | undefined
    for (const info of infos) {
      const end = dataStart + info.offset + info.bytes
      if (end > BigInt(source.size)) {
        findings.push(
          makeFinding(
            file,
            'scan/gguf-out-of-bounds',
            `tensor "${info.name}" ends at byte ${end}, past the end of the ${source.size}-byte file`,
          ),
        )
      }
      if (previous && dataStart + info.offset < previous.end) {
        malformed(`tensor "${info.name}" overlaps "${previous.name}"`)
      }
      previous = { name: info.name, end }
    }
  } catch (error) {
    if (error instanceof ScanStop) findings.push(error.finding)
    else if (error instanceof EndOfSource)
      findings.push(
        makeFinding(file, 'scan/gguf-malformed', `header is truncated: ${error.message}`),
      )
    else throw error
  }
  return { version, tensorCount, metadata, tensors: table, findings }
}

function checkTemplate(key: string, template: string, findings: Finding[], file: string): void {
  for (const [pattern, what] of TEMPLATE_ESCAPES) {
    const match = pattern.exec(template)
    if (!match) continue
    findings.push(
      makeFinding(
        file,
        'scan/gguf-template-injection',
        `${key} uses ${what} (${JSON.stringify(match[0])}), which reaches into Python internals`,
      ),
    )
    return
  }
}
