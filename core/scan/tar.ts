import { ByteWindow, EndOfSource } from './byte-window.ts'
import { makeFinding, ScanStop, stop } from './finding.ts'
import type { Finding, ScanSource } from './types.ts'
import { isUnsafeEntryPath, printable } from './zip.ts'

/** One member of a tar archive. */
export interface TarEntry {
  name: string
  /** Where its bytes start. */
  offset: number
  size: number
  /** '0' file, '5' directory, '1'/'2' links … (the header's typeflag). */
  type: string
}

const BLOCK = 512
const latin1 = new TextDecoder('latin1')
const utf8 = new TextDecoder('utf-8')

/**
 * True for a POSIX or GNU tar header: `ustar` at offset 257.
 *
 * @example isTarHeader(firstBlock) // true for files written by tar(1)
 */
export function isTarHeader(head: Uint8Array): boolean {
  return latin1.decode(head.subarray(257, 262)) === 'ustar'
}

/**
 * Lists a tar archive's members from their headers (GNU long names and pax
 * `path` records applied, since extractors use them), reporting members that
 * would escape the extraction folder or are links before anything is read.
 *
 * @example const { entries, findings } = await readTarEntries(source, 100_000)
 */
export async function readTarEntries(
  source: ScanSource,
  maxEntries: number,
): Promise<{ entries: TarEntry[]; findings: Finding[] }> {
  const file = source.path
  // Headers sit between members' bytes; a small window keeps large members from being read.
  const window = new ByteWindow(source, 64 * 1024)
  const entries: TarEntry[] = []
  const findings: Finding[] = []
  let pos = 0
  let longName: string | undefined
  try {
    while (pos + BLOCK <= source.size) {
      const header = await window.bytes(pos, BLOCK)
      if (header.every((b) => b === 0)) break
      if (!isTarHeader(header)) stop(file, 'scan/tar-malformed', `no tar header at offset ${pos}`)
      const size = octal(header.subarray(124, 136), file, pos)
      const type = String.fromCharCode(header[156] || 0x30)
      const dataOffset = pos + BLOCK
      if (dataOffset + size > source.size)
        stop(file, 'scan/tar-malformed', `member at offset ${pos} runs past the end`)
      pos = dataOffset + Math.ceil(size / BLOCK) * BLOCK
      if (type === 'L' || type === 'x') {
        const data = await window.bytes(dataOffset, Math.min(size, 64 * 1024))
        longName =
          type === 'L'
            ? utf8.decode(data).replace(/\0+$/, '')
            : (paxPath(utf8.decode(data)) ?? longName)
        continue
      }
      if (type === 'g' || type === 'K') continue
      const prefix = cString(header.subarray(345, 500))
      const base = cString(header.subarray(0, 100))
      const name = longName ?? (prefix ? `${prefix}/${base}` : base)
      longName = undefined
      // An old-style file named like a folder is one, as Python's tarfile reads it.
      const kind = header[156] === 0 && name.endsWith('/') ? '5' : type
      if (NOT_FILES.has(kind) && size > 0) {
        // tarfile reads the next header right after such a header, whatever size it
        // claims, so bytes it skips here would be members there (and the other way round).
        stop(
          file,
          'scan/tar-malformed',
          `member "${printable(name)}" is a ${NOT_FILES.get(kind)} yet claims ${size} bytes; extractors disagree on where the next member starts`,
        )
      }
      if (entries.length >= maxEntries) {
        stop(file, 'scan/zip-too-many-entries', `archive has more than ${maxEntries} members`)
      }
      entries.push({ name, offset: dataOffset, size, type: kind })
      if (isUnsafeEntryPath(name.replace(/^\.\//, ''))) {
        findings.push(
          makeFinding(
            file,
            'scan/zip-unsafe-path',
            `member "${printable(name)}" would be written outside the extraction folder`,
          ),
        )
      }
      if (type === '1' || type === '2') {
        findings.push(
          makeFinding(
            file,
            'scan/zip-symlink',
            `member "${printable(name)}" is a ${type === '2' ? 'symbolic' : 'hard'} link`,
          ),
        )
      }
    }
  } catch (error) {
    if (error instanceof ScanStop) findings.push(error.finding)
    else if (error instanceof EndOfSource)
      findings.push(
        makeFinding(file, 'scan/tar-malformed', `archive is truncated: ${error.message}`),
      )
    else throw error
  }
  return { entries, findings }
}

/** Typeflags of members that are not files: hard and symbolic links, devices, folders, FIFOs. */
export const NOT_FILES: ReadonlyMap<string, string> = new Map([
  ['1', 'hard link'],
  ['2', 'symbolic link'],
  ['3', 'character device'],
  ['4', 'block device'],
  ['5', 'folder'],
  ['6', 'FIFO'],
])

function octal(field: Uint8Array, file: string, at: number): number {
  // Sizes over 8 GiB use base-256 with the high bit set (a GNU extension).
  if ((field[0] ?? 0) & 0x80) {
    let value = 0n
    for (let i = 1; i < field.length; i++) value = (value << 8n) | BigInt(field[i] ?? 0)
    if (value > BigInt(Number.MAX_SAFE_INTEGER))
      stop(file, 'scan/tar-malformed', `member size at offset ${at} is out of range`)
    return Number(value)
  }
  const text = cString(field).trim()
  if (!/^[0-7]*$/.test(text))
    stop(
      file,
      'scan/tar-malformed',
      `member size "${printable(text)}" at offset ${at} is not octal`,
    )
  return text === '' ? 0 : Number.parseInt(text, 8)
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0)
  return utf8.decode(end < 0 ? bytes : bytes.subarray(0, end))
}

/** The `path` record of a pax extended header (`<len> path=<value>\n`). */
function paxPath(text: string): string | undefined {
  for (const record of text.split('\n')) {
    const match = /^\d+ path=(.*)$/.exec(record)
    if (match) return match[1]
  }
  return undefined
}
