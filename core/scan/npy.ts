import { viewOf } from './byte-window.ts'
import { makeFinding } from './finding.ts'
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
 * Reads a .npy header (versions 1-3). An object dtype (`O` anywhere in
 * `descr`, structured dtypes included) means the body is a pickle that
 * `numpy.load(allow_pickle=True)` would run.
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
  const descrMatch = /['"]descr['"]\s*:\s*/.exec(text)
  if (!text.trimStart().startsWith('{') || !descrMatch) return bad('header has no descr')
  // Only descr holds quoted values besides the three keys, so any quoted
  // type code in the header is part of the dtype, structured ones included.
  const quoted = [...text.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2] ?? '')
  const objectDtype = quoted.some((s) => /^[<>|=]?O\d*$/.test(s))
  const descr =
    text
      .slice(descrMatch.index + descrMatch[0].length)
      .split(/,\s*['"](?:fortran_order|shape)/)[0] ?? ''
  return { dataOffset, objectDtype, descr: descr.trim(), findings: [] }
}
