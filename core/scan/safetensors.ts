import { makeFinding } from './finding.ts'
import { isJsonObject, JsonSyntaxError, type JsonValue, parseStrictJson } from './strict-json.ts'
import type { Finding, ScanSource, TensorInfo } from './types.ts'

/** Bits per element of every dtype the safetensors format defines. */
export const SAFETENSORS_DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
}

/**
 * The reference reader allows headers up to 100 MB, but parsing that much
 * JSON costs tens of seconds and gigabytes; real headers (tens of thousands
 * of tensors at most) are a few MiB, so Agora stops at 16 MiB.
 */
export const DEFAULT_MAX_SAFETENSORS_HEADER = 16 * 1024 * 1024
/** More tensors than any real checkpoint holds in one file. */
export const MAX_SAFETENSORS_TENSORS = 200_000

export interface SafetensorsHeader {
  tensors: TensorInfo[]
  metadata: Record<string, string>
  findings: Finding[]
}

const TENSOR_KEYS = new Set(['dtype', 'shape', 'data_offsets'])

/**
 * Reads and checks a safetensors header: only the 8-byte length and the JSON
 * header are read, so a file of any size costs two small reads. Every rule of
 * the format is checked: length cap, UTF-8 JSON object, no duplicate keys,
 * string-only metadata, known dtypes, byte ranges sorted, contiguous from 0
 * and ending exactly at the end of the file, and each range equal to shape ×
 * dtype size (computed in BigInt, so hostile shapes cannot overflow).
 *
 * @example
 * const { tensors, findings } = await readSafetensorsHeader(await openPath('model.safetensors'))
 */
export async function readSafetensorsHeader(
  source: ScanSource,
  options: { maxHeader?: number } = {},
): Promise<SafetensorsHeader> {
  const file = source.path
  const empty = (finding: Finding): SafetensorsHeader => ({
    tensors: [],
    metadata: {},
    findings: [finding],
  })
  if (source.size < 8) {
    return empty(
      makeFinding(
        file,
        'scan/safetensors-truncated',
        `file is ${source.size} bytes, shorter than the 8-byte header length`,
      ),
    )
  }
  const prefix = await source.read(0, 8)
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true)
  const max = options.maxHeader ?? DEFAULT_MAX_SAFETENSORS_HEADER
  if (length > BigInt(max)) {
    return empty(
      makeFinding(
        file,
        'scan/safetensors-header-too-large',
        `header length ${length} is over the limit of ${max} bytes`,
      ),
    )
  }
  const headerLength = Number(length)
  if (8 + headerLength > source.size) {
    return empty(
      makeFinding(
        file,
        'scan/safetensors-truncated',
        `header of ${headerLength} bytes runs past the end of the ${source.size}-byte file`,
      ),
    )
  }
  const bytes = await source.read(8, 8 + headerLength)
  return checkSafetensorsHeader(bytes, source.size - 8 - headerLength, file)
}

/**
 * Checks header bytes (after the length prefix) against a data section of
 * `dataLength` bytes.
 *
 * @example checkSafetensorsHeader(new TextEncoder().encode('{}'), 0, 'empty.safetensors').findings // []
 */
export function checkSafetensorsHeader(
  bytes: Uint8Array,
  dataLength: number,
  file: string,
): SafetensorsHeader {
  const findings: Finding[] = []
  const tensors: TensorInfo[] = []
  const metadata: Record<string, string> = {}
  const bad = (message: string): SafetensorsHeader => ({
    tensors,
    metadata,
    findings: [makeFinding(file, 'scan/safetensors-bad-header', message)],
  })
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    return bad('header is not valid UTF-8')
  }
  if (!text.startsWith('{')) return bad('header does not start with "{"')
  let root: JsonValue
  let fractional: ReadonlySet<string>
  try {
    const parsed = parseStrictJson(text)
    root = parsed.value
    fractional = new Set(parsed.fractional)
    for (const key of parsed.duplicates) {
      findings.push(
        makeFinding(
          file,
          'scan/safetensors-duplicate-key',
          `header has the key "${key}" more than once`,
        ),
      )
    }
  } catch (error) {
    return bad(
      `header is not JSON: ${error instanceof JsonSyntaxError ? error.message : String(error)}`,
    )
  }
  if (!isJsonObject(root)) return bad('header is not a JSON object')
  const count = Object.keys(root).filter((key) => key !== '__metadata__').length
  if (count > MAX_SAFETENSORS_TENSORS) {
    findings.push(
      makeFinding(
        file,
        'scan/safetensors-too-many-tensors',
        `header lists ${count} tensors, over the limit of ${MAX_SAFETENSORS_TENSORS}`,
      ),
    )
    return { tensors, metadata, findings }
  }

  const ranges: { name: string; begin: number; end: number }[] = []
  for (const [name, entry] of Object.entries(root)) {
    if (name === '__metadata__') {
      checkMetadata(entry, metadata, findings, file)
      continue
    }
    const tensor = checkTensor(name, entry, findings, file, fractional)
    if (!tensor) continue
    tensors.push(tensor)
    ranges.push({ name, begin: tensor.offsets[0], end: tensor.offsets[1] })
  }
  checkRanges(ranges, dataLength, findings, file)
  return { tensors, metadata, findings }
}

function checkMetadata(
  entry: JsonValue | undefined,
  into: Record<string, string>,
  findings: Finding[],
  file: string,
): void {
  if (!isJsonObject(entry)) {
    findings.push(
      makeFinding(file, 'scan/safetensors-bad-metadata', '__metadata__ is not an object'),
    )
    return
  }
  for (const [key, value] of Object.entries(entry)) {
    if (typeof value === 'string') {
      Object.defineProperty(into, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      })
    } else {
      findings.push(
        makeFinding(
          file,
          'scan/safetensors-bad-metadata',
          `__metadata__.${key} is ${describe(value)}, not a string`,
        ),
      )
    }
  }
}

function checkTensor(
  name: string,
  entry: JsonValue | undefined,
  findings: Finding[],
  file: string,
  fractional: ReadonlySet<string>,
): TensorInfo | undefined {
  const bad = (message: string): undefined => {
    findings.push(makeFinding(file, 'scan/safetensors-bad-tensor', `tensor "${name}": ${message}`))
    return undefined
  }
  if (!isJsonObject(entry)) return bad(`is ${describe(entry)}, not an object`)
  const extra = Object.keys(entry).filter((k) => !TENSOR_KEYS.has(k))
  if (extra.length > 0)
    return bad(`has unknown field${extra.length > 1 ? 's' : ''} ${extra.join(', ')}`)
  const { dtype, shape, data_offsets: offsets } = entry
  if (typeof dtype !== 'string') return bad('dtype is missing or not a string')
  const bits = SAFETENSORS_DTYPE_BITS[dtype]
  if (bits === undefined || !Object.hasOwn(SAFETENSORS_DTYPE_BITS, dtype)) {
    findings.push(
      makeFinding(
        file,
        'scan/safetensors-bad-dtype',
        `tensor "${name}" has unknown dtype "${dtype}"`,
      ),
    )
    return undefined
  }
  // The reference reader wants integers: `2.0` is refused there even though its value is whole.
  const written = (field: string, list: readonly unknown[]): boolean =>
    list.some((_, i) => fractional.has(`${name}.${field}[${i}]`))
  if (!Array.isArray(shape) || !shape.every(isCount) || written('shape', shape)) {
    return bad('shape is not a list of non-negative integers')
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every(isCount) ||
    written('data_offsets', offsets)
  ) {
    return bad('data_offsets is not [begin, end] of non-negative integers')
  }
  const [begin, end] = offsets as [number, number]
  if (end < begin) {
    findings.push(
      makeFinding(
        file,
        'scan/safetensors-bad-offsets',
        `tensor "${name}" ends (${end}) before it begins (${begin})`,
      ),
    )
    return undefined
  }
  const dims = shape as number[]
  const elements = dims.reduce((product, d) => product * BigInt(d), 1n)
  const totalBits = elements * BigInt(bits)
  const expected = totalBits / 8n
  if (totalBits % 8n !== 0n || expected !== BigInt(end - begin)) {
    findings.push(
      makeFinding(
        file,
        'scan/safetensors-size-mismatch',
        `tensor "${name}" is ${dtype}[${dims.join(', ')}], ${totalBits % 8n === 0n ? `${expected} bytes` : `${totalBits} bits`}, but its byte range holds ${end - begin}`,
      ),
    )
  }
  return { name, dtype, shape: dims, params: Number(elements), offsets: [begin, end] }
}

function checkRanges(
  ranges: { name: string; begin: number; end: number }[],
  dataLength: number,
  findings: Finding[],
  file: string,
): void {
  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end)
  let cursor = 0
  let previous = ''
  for (const range of ranges) {
    if (range.begin < cursor) {
      findings.push(
        makeFinding(
          file,
          'scan/safetensors-bad-offsets',
          `tensor "${range.name}" [${range.begin}, ${range.end}) overlaps "${previous}" which ends at ${cursor}`,
        ),
      )
    } else if (range.begin > cursor) {
      findings.push(
        makeFinding(
          file,
          'scan/safetensors-bad-offsets',
          `bytes [${cursor}, ${range.begin}) before tensor "${range.name}" belong to no tensor`,
        ),
      )
    }
    if (range.end >= cursor) {
      cursor = range.end
      previous = range.name
    }
  }
  if (cursor > dataLength) {
    findings.push(
      makeFinding(
        file,
        'scan/safetensors-truncated',
        `tensor "${previous}" ends at byte ${cursor} of the data section, which holds only ${dataLength}`,
      ),
    )
  } else if (cursor < dataLength) {
    findings.push(
      makeFinding(
        file,
        'scan/safetensors-trailing-bytes',
        `${dataLength - cursor} bytes follow the last tensor`,
      ),
    )
  }
}

function isCount(value: JsonValue): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function describe(value: JsonValue | undefined): string {
  if (value === undefined) return 'missing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}`
}
