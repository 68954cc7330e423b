import { viewOf } from './byte-window.ts'
import { makeFinding } from './finding.ts'
import { parsePyLiteral, type PyValue } from './py-literal.ts'
import type { Finding } from './types.ts'

export interface NpyHeader {
  /** Where the array body starts. */
  dataOffset: number
  /** The dtype holds Python objects, so the body is a pickle. */
  objectDtype: boolean
  descr: string
  findings: Finding[]
}

/** `\x93NUMPY`, the first bytes of every .npy file. */
export const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]

/**
 * Reads a .npy header (versions 1-3) as the Python literal numpy reads it.
 * An object dtype (by any spelling numpy accepts, in a structured or
 * subarray dtype at any depth) means the body is a pickle that
 * `numpy.load(allow_pickle=True)` would run; a header or descr it cannot
 * read is `scan/npy-malformed`, never safe.
 *
 * @example readNpyHeader(bytes, 'x.npy').objectDtype // true for descr '|O'
 */
export function readNpyHeader(bytes: Uint8Array, file: string, entry?: string): NpyHeader {
  const where = entry ? `${entry}: ` : ''
  const bad = (message: string): NpyHeader => ({
    dataOffset: bytes.length,
    objectDtype: false,
    descr: '',
    findings: [makeFinding(file, 'scan/npy-malformed', `${where}${message}`)],
  })
  if (!NPY_MAGIC.every((b, i) => bytes[i] === b)) return bad('missing the \\x93NUMPY magic')
  const major = bytes[6]
  if (bytes.length < 10 || (major !== 1 && major !== 2 && major !== 3))
    return bad(`unknown .npy version ${major}`)
  const view = viewOf(bytes)
  const lengthAt = major === 1 ? 10 : 12
  if (bytes.length < lengthAt) return bad('header is truncated')
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true)
  const dataOffset = lengthAt + headerLength
  if (dataOffset > bytes.length) return bad(`header of ${headerLength} bytes runs past the end`)
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(lengthAt, dataOffset),
  )
  // numpy reads the header with ast.literal_eval, so it is read here as a
  // Python literal too: escapes, prefixes and joined strings all decoded.
  let header: PyValue
  try {
    header = parsePyLiteral(text)
  } catch (error) {
    return bad(`header is not a Python literal: ${(error as Error).message}`)
  }
  if (header.t !== 'dict') return bad('header is not a dict')
  const keys = header.v.map(([k]) => (k.t === 'str' ? k.v : '?'))
  const expected = ['descr', 'fortran_order', 'shape']
  if (keys.length !== 3 || !expected.every((k) => keys.includes(k)))
    return bad(`header keys are ${JSON.stringify(keys)}, not descr, fortran_order and shape`)
  const descr = header.v.find(([k]) => k.t === 'str' && k.v === 'descr')?.[1] as PyValue
  const kind = classifyDtype(descr, 0)
  if (kind === 'unknown') return bad(`descr ${renderPy(descr)} is not a dtype Agora can read`)
  return { dataOffset, objectDtype: kind === 'object', descr: renderPy(descr), findings: [] }
}

type DtypeKind = 'plain' | 'object' | 'unknown'

const PLAIN_TYPE =
  /^(?:[?bBhHiIlLqQpPnNefdgFDGSUVacmM]|[biufcSUVamM]\d+|(?:u?int|float|complex|bool|str|bytes|void|datetime|timedelta|unicode|string)\d*_?|half|single|double|longdouble|byte|ubyte|short|ushort|intc|uintc|intp|uintp|long|ulong|longlong|ulonglong|csingle|cdouble|clongdouble)$/
const DTYPE_ITEM =
  /^\s*(?:\(\s*\d+\s*(?:,\s*\d+\s*)*,?\s*\)|\d+)?\s*[<>|=]?([A-Za-z?_][A-Za-z_0-9]*)(?:\[\w*\])?\s*$/

/**
 * Whether a descr (as numpy's descr_to_dtype reads it: a string, a
 * (base, shape) tuple, or a list of fields) holds Python objects anywhere.
 */
function classifyDtype(descr: PyValue, depth: number): DtypeKind {
  if (depth > 32) return 'unknown'
  if (descr.t === 'str') {
    const kinds = descr.v.split(',').map((item): DtypeKind => {
      const type = DTYPE_ITEM.exec(item)?.[1]
      if (type === undefined) return /o/i.test(item) ? 'object' : 'unknown'
      if (/^o/i.test(type)) return 'object'
      return PLAIN_TYPE.test(type) ? 'plain' : 'unknown'
    })
    return worst(kinds)
  }
  if (descr.t === 'tuple') {
    const [base, shape] = descr.v
    if (descr.v.length !== 2 || !base || !shape || !isShape(shape)) return 'unknown'
    return classifyDtype(base, depth + 1)
  }
  if (descr.t === 'list') {
    return worst(
      descr.v.map((field): DtypeKind => {
        if ((field.t !== 'tuple' && field.t !== 'list') || field.v.length < 2 || field.v.length > 3)
          return 'unknown'
        const [name, type, shape] = field.v as [PyValue, PyValue, PyValue | undefined]
        const named =
          name.t === 'str' ||
          (name.t === 'tuple' && name.v.length === 2 && name.v.every((n) => n.t === 'str'))
        if (!named || (shape && !isShape(shape))) return 'unknown'
        return classifyDtype(type, depth + 1)
      }),
    )
  }
  return 'unknown'
}

function worst(kinds: DtypeKind[]): DtypeKind {
  if (kinds.includes('object')) return 'object'
  return kinds.includes('unknown') ? 'unknown' : 'plain'
}

function isShape(value: PyValue): boolean {
  return value.t === 'int' || (value.t === 'tuple' && value.v.every((v) => v.t === 'int'))
}

function renderPy(value: PyValue): string {
  switch (value.t) {
    case 'str':
    case 'bytes':
      return `${value.t === 'bytes' ? 'b' : ''}${JSON.stringify(value.v).replace(/^"|"$/g, "'")}`
    case 'int':
      return String(value.v)
    case 'float':
      return String(value.v)
    case 'bool':
      return value.v ? 'True' : 'False'
    case 'none':
      return 'None'
    case 'list':
      return `[${value.v.map(renderPy).join(', ')}]`
    case 'tuple':
      return `(${value.v.map(renderPy).join(', ')}${value.v.length === 1 ? ',' : ''})`
    case 'dict':
      return `{${value.v.map(([k, v]) => `${renderPy(k)}: ${renderPy(v)}`).join(', ')}}`
  }
}
