import { constants, crc32, inflateRawSync } from 'node:zlib'
import { ByteWindow, EndOfSource, viewOf } from './byte-window.ts'
import { makeFinding, ScanStop, stop } from './finding.ts'
import type { Finding, ScanSource } from './types.ts'

/** One entry as the central directory describes it; local headers are only cross-checked. */
export interface ZipEntry {
  name: string
  method: number
  flags: number
  crc32: number
  compressedSize: number
  size: number
  localOffset: number
  /** Where the entry's bytes start, after its local header. */
  dataOffset: number
  isDirectory: boolean
  /** A Unix symbolic link, from the external attributes. */
  isSymlink: boolean
}

export interface ZipDirectory {
  entries: ZipEntry[]
  findings: Finding[]
}

export interface ZipLimits {
  maxEntries: number
  maxUncompressed: number
  maxRatio: number
}

const EOCD = 0x06054b50
const EOCD64 = 0x06064b50
const EOCD64_LOCATOR = 0x07064b50
const CENTRAL = 0x02014b50
const LOCAL = 0x04034b50
const MiB = 1024 * 1024
/** Entries smaller than this may compress as well as they like: a ratio cap on a 1 KiB file of zeros would be noise. */
const RATIO_FLOOR = MiB
const MAX_CENTRAL_DIRECTORY = 512 * MiB
const utf8 = new TextDecoder('utf-8')

/**
 * Reads a zip's central directory itself rather than trusting local headers:
 * entries are found even when CRCs are wrong or flag bits odd, data
 * descriptors and zip64 are handled, and archives with escaping paths,
 * symlinks, duplicate names, overlapping entries (the overlapping-file zip
 * bomb), local headers that disagree, too many entries or too high a
 * compression ratio are reported before a single entry is inflated.
 *
 * @example
 * const { entries, findings } = await readZipDirectory(source, { maxEntries: 1e5, maxUncompressed: 2 ** 38, maxRatio: 100 })
 */
export async function readZipDirectory(
  source: ScanSource,
  limits: ZipLimits,
): Promise<ZipDirectory> {
  const file = source.path
  const window = new ByteWindow(source)
  const findings: Finding[] = []
  try {
    const { count, cdOffset, cdSize } = await findEndOfDirectory(window, file)
    if (count > limits.maxEntries) {
      return {
        entries: [],
        findings: [
          makeFinding(
            file,
            'scan/zip-too-many-entries',
            `archive has ${count} entries, over the limit of ${limits.maxEntries}`,
          ),
        ],
      }
    }
    if (cdSize > MAX_CENTRAL_DIRECTORY) {
      stop(
        file,
        'scan/too-large',
        `central directory of ${cdSize} bytes is over the limit of ${MAX_CENTRAL_DIRECTORY}`,
      )
    }
    if (cdOffset + cdSize > source.size) {
      stop(
        file,
        'scan/zip-malformed',
        `central directory [${cdOffset}, ${cdOffset + cdSize}) runs past the end of the file`,
      )
    }
    const directory = await window.bytes(cdOffset, cdSize)
    const entries = parseCentralDirectory(directory, count, file)
    checkEntries(entries, findings, limits, source.size, file)
    await checkLocalHeaders(source, entries, cdOffset, findings, file)
    return { entries, findings }
  } catch (error) {
    if (error instanceof ScanStop) return { entries: [], findings: [...findings, error.finding] }
    if (error instanceof EndOfSource) {
      return {
        entries: [],
        findings: [
          ...findings,
          makeFinding(file, 'scan/zip-malformed', `archive is truncated: ${error.message}`),
        ],
      }
    }
    throw error
  }
}

async function findEndOfDirectory(
  window: ByteWindow,
  file: string,
): Promise<{ count: number; cdOffset: number; cdSize: number }> {
  const tailLength = Math.min(window.size, 22 + 0xffff)
  const tailStart = window.size - tailLength
  const tail = await window.bytes(tailStart, tailLength)
  const view = viewOf(tail)
  let at = -1
  for (let i = tail.length - 22; i >= 0; i--) {
    if (view.getUint32(i, true) === EOCD && i + 22 + view.getUint16(i + 20, true) <= tail.length) {
      at = i
      break
    }
  }
  if (at < 0) stop(file, 'scan/zip-malformed', 'no end-of-central-directory record')
  let count = view.getUint16(at + 10, true)
  let cdSize = view.getUint32(at + 12, true)
  let cdOffset = view.getUint32(at + 16, true)
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locatorAt = tailStart + at - 20
    const locator = viewOf(await window.bytes(locatorAt, 20))
    if (locator.getUint32(0, true) !== EOCD64_LOCATOR) {
      stop(file, 'scan/zip-malformed', 'zip64 sizes without a zip64 end-of-directory locator')
    }
    const recordAt = safeNumber(locator.getBigUint64(8, true), file)
    const record = viewOf(await window.bytes(recordAt, 56))
    if (record.getUint32(0, true) !== EOCD64)
      stop(file, 'scan/zip-malformed', 'bad zip64 end-of-directory record')
    count = safeNumber(record.getBigUint64(32, true), file)
    cdSize = safeNumber(record.getBigUint64(40, true), file)
    cdOffset = safeNumber(record.getBigUint64(48, true), file)
  }
  return { count, cdOffset, cdSize }
}

function parseCentralDirectory(directory: Uint8Array, count: number, file: string): ZipEntry[] {
  const view = viewOf(directory)
  const entries: ZipEntry[] = []
  let pos = 0
  for (let n = 0; n < count; n++) {
    if (pos + 46 > directory.length || view.getUint32(pos, true) !== CENTRAL) {
      stop(file, 'scan/zip-malformed', `central directory entry ${n} is missing or corrupt`)
    }
    const madeBy = view.getUint16(pos + 4, true)
    const flags = view.getUint16(pos + 8, true)
    const method = view.getUint16(pos + 10, true)
    const crc = view.getUint32(pos + 16, true)
    let compressedSize = view.getUint32(pos + 20, true)
    let size = view.getUint32(pos + 24, true)
    const nameLength = view.getUint16(pos + 28, true)
    const extraLength = view.getUint16(pos + 30, true)
    const commentLength = view.getUint16(pos + 32, true)
    const external = view.getUint32(pos + 38, true)
    let localOffset = view.getUint32(pos + 42, true)
    const end = pos + 46 + nameLength + extraLength + commentLength
    if (end > directory.length)
      stop(file, 'scan/zip-malformed', `central directory entry ${n} runs past the directory`)
    const name = utf8.decode(directory.subarray(pos + 46, pos + 46 + nameLength))
    const extra = viewOf(
      directory.subarray(pos + 46 + nameLength, pos + 46 + nameLength + extraLength),
    )
    for (let e = 0; e + 4 <= extra.byteLength; ) {
      const id = extra.getUint16(e, true)
      const length = extra.getUint16(e + 2, true)
      if (id === 0x0001) {
        let f = e + 4
        const next = (): number => {
          if (f + 8 > e + 4 + length || f + 8 > extra.byteLength) {
            stop(file, 'scan/zip-malformed', `entry "${name}" has a short zip64 extra field`)
          }
          const value = safeNumber(extra.getBigUint64(f, true), file)
          f += 8
          return value
        }
        if (size === 0xffffffff) size = next()
        if (compressedSize === 0xffffffff) compressedSize = next()
        if (localOffset === 0xffffffff) localOffset = next()
      }
      e += 4 + length
    }
    // Unix hosts keep the file type in the high half of the external attributes.
    const unixMode = madeBy >> 8 === 3 ? external >>> 16 : 0
    const isSymlink = (unixMode & 0o170000) === 0o120000
    entries.push({
      name,
      method,
      flags,
      crc32: crc,
      compressedSize,
      size,
      localOffset,
      dataOffset: -1,
      // A folder holds no bytes: an entry named like one that does is read by Python's
      // zipfile (np.load of an .npz included) like any file, so it is scanned as one.
      isDirectory: name.endsWith('/') && size === 0,
      isSymlink,
    })
    pos = end
  }
  return entries
}

function checkEntries(
  entries: ZipEntry[],
  findings: Finding[],
  limits: ZipLimits,
  fileSize: number,
  file: string,
): void {
  const seen = new Set<string>()
  let total = 0
  for (const entry of entries) {
    const name = entry.name
    if (isUnsafeEntryPath(name)) {
      findings.push(
        makeFinding(
          file,
          'scan/zip-unsafe-path',
          `entry "${printable(name)}" would be written outside the extraction folder`,
        ),
      )
    }
    if (entry.isSymlink) {
      findings.push(
        makeFinding(file, 'scan/zip-symlink', `entry "${printable(name)}" is a symbolic link`),
      )
    }
    if (seen.has(name)) {
      findings.push(
        makeFinding(
          file,
          'scan/zip-duplicate-entry',
          `entry "${printable(name)}" appears more than once`,
        ),
      )
    }
    seen.add(name)
    if (entry.flags & 0x1) {
      findings.push(
        makeFinding(file, 'scan/zip-encrypted', `entry "${printable(name)}" is encrypted`),
      )
    }
    total += entry.size
    const ratio = entry.size / Math.max(1, entry.compressedSize)
    if (entry.size > RATIO_FLOOR && ratio > limits.maxRatio) {
      findings.push(
        makeFinding(
          file,
          'scan/zip-bomb',
          `entry "${printable(name)}" expands ${Math.round(ratio)}:1 (${entry.compressedSize} to ${entry.size} bytes), over the limit of ${limits.maxRatio}:1`,
        ),
      )
    }
  }
  if (total > limits.maxUncompressed) {
    findings.push(
      makeFinding(
        file,
        'scan/zip-bomb',
        `entries expand to ${total} bytes, over the limit of ${limits.maxUncompressed}`,
      ),
    )
  } else if (total > RATIO_FLOOR && total / Math.max(1, fileSize) > limits.maxRatio) {
    findings.push(
      makeFinding(
        file,
        'scan/zip-bomb',
        `the ${fileSize}-byte archive expands to ${total} bytes, over the limit of ${limits.maxRatio}:1`,
      ),
    )
  }
}

/** Local headers read at once: each is a small ranged read, slow one by one against remote stores. */
const HEADER_READS_IN_FLIGHT = 16

async function checkLocalHeaders(
  source: ScanSource,
  entries: ZipEntry[],
  cdOffset: number,
  findings: Finding[],
  file: string,
): Promise<void> {
  const mismatches: (Finding | undefined)[] = new Array(entries.length)
  const checkOne = async (entry: ZipEntry, index: number): Promise<void> => {
    // One read covers the header, its name and a typical extra field; a longer extra needs no bytes of its own.
    const guess = 30 + entry.name.length * 4 + 256
    const bytes = await source.read(
      entry.localOffset,
      Math.min(source.size, entry.localOffset + guess),
    )
    if (bytes.length < 30 || viewOf(bytes).getUint32(0, true) !== LOCAL) {
      stop(
        file,
        'scan/zip-malformed',
        `entry "${printable(entry.name)}" has no local header at offset ${entry.localOffset}`,
      )
    }
    const header = viewOf(bytes)
    const nameLength = header.getUint16(26, true)
    const extraLength = header.getUint16(28, true)
    const nameBytes =
      30 + nameLength <= bytes.length
        ? bytes.subarray(30, 30 + nameLength)
        : await source.read(entry.localOffset + 30, entry.localOffset + 30 + nameLength)
    const localName = utf8.decode(nameBytes)
    const method = header.getUint16(8, true)
    if (localName !== entry.name || method !== entry.method) {
      mismatches[index] = makeFinding(
        file,
        'scan/zip-header-mismatch',
        `entry "${printable(entry.name)}" has local header name "${printable(localName)}" and method ${method}; the central directory says method ${entry.method}`,
      )
    }
    entry.dataOffset = entry.localOffset + 30 + nameLength + extraLength
    if (entry.dataOffset + entry.compressedSize > cdOffset) {
      stop(
        file,
        'scan/zip-malformed',
        `entry "${printable(entry.name)}" runs into the central directory`,
      )
    }
  }
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < entries.length) {
      const index = next++
      await checkOne(entries[index] as ZipEntry, index)
    }
  }
  await Promise.all(
    Array.from({ length: Math.min(HEADER_READS_IN_FLIGHT, entries.length) }, worker),
  )
  for (const finding of mismatches) if (finding) findings.push(finding)
  const ordered = [...entries].sort((a, b) => a.localOffset - b.localOffset)
  for (let i = 1; i < ordered.length; i++) {
    const before = ordered[i - 1] as ZipEntry
    const entry = ordered[i] as ZipEntry
    if (entry.localOffset < before.dataOffset + before.compressedSize) {
      findings.push(
        makeFinding(
          file,
          'scan/zip-overlap',
          `entry "${printable(entry.name)}" starts inside the bytes of "${printable(before.name)}"`,
        ),
      )
    }
  }
}

/**
 * True for entry names that escape the folder they are extracted into:
 * absolute paths, drive letters, backslashes, `..` segments, NUL bytes.
 *
 * @example isUnsafeEntryPath('../etc/passwd') // true
 * @example isUnsafeEntryPath('archive/data.pkl') // false
 */
export function isUnsafeEntryPath(name: string): boolean {
  if (name === '' || name.startsWith('/') || /^[A-Za-z]:/.test(name)) return true
  if (name.includes('\\') || name.includes('\0')) return true
  return name.split('/').some((segment) => segment === '..')
}

/**
 * Up to `length` leading bytes of an entry, for sniffing its format, without
 * inflating the rest of it.
 *
 * @example const head = await readZipEntryHead(source, entry, 8)
 */
export async function readZipEntryHead(
  source: ScanSource,
  entry: ZipEntry,
  length: number,
): Promise<Uint8Array> {
  if (entry.compressedSize === 0) return new Uint8Array(0)
  if (entry.method === 0) {
    return source.read(entry.dataOffset, entry.dataOffset + Math.min(length, entry.compressedSize))
  }
  if (entry.method !== 8) return new Uint8Array(0)
  // 1 KiB of deflate inflates to at most ~1 MiB, so sniffing never costs much.
  const compressed = await source.read(
    entry.dataOffset,
    entry.dataOffset + Math.min(1024, entry.compressedSize),
  )
  try {
    return inflateRawSync(compressed, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, length)
  } catch {
    return new Uint8Array(0)
  }
}

/**
 * An entry's bytes, inflated no further than its declared size (a lying size
 * is reported as a bomb, not followed), with its CRC-32 checked but not
 * enforced: a bad CRC is reported while the bytes are still inspected.
 *
 * @example const { bytes, findings } = await readZipEntry(source, entry, 256 * 2 ** 20)
 */
export async function readZipEntry(
  source: ScanSource,
  entry: ZipEntry,
  maxBytes: number,
): Promise<{ bytes: Uint8Array | undefined; findings: Finding[] }> {
  const file = source.path
  const name = printable(entry.name)
  if (entry.size > maxBytes) {
    return {
      bytes: undefined,
      findings: [
        makeFinding(
          file,
          'scan/too-large',
          `entry "${name}" is ${entry.size} bytes, over the limit of ${maxBytes} for inspection`,
        ),
      ],
    }
  }
  if (entry.flags & 0x1) return { bytes: undefined, findings: [] }
  const compressed = await source.read(entry.dataOffset, entry.dataOffset + entry.compressedSize)
  if (compressed.length < entry.compressedSize) {
    return {
      bytes: undefined,
      findings: [makeFinding(file, 'scan/zip-malformed', `entry "${name}" is truncated`)],
    }
  }
  let bytes: Uint8Array
  if (entry.method === 0) {
    bytes = compressed
  } else if (entry.method === 8) {
    try {
      bytes = inflateRawSync(compressed, { maxOutputLength: Math.max(1, entry.size) })
    } catch (error) {
      const tooLarge =
        error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
      return {
        bytes: undefined,
        findings: [
          tooLarge
            ? makeFinding(
                file,
                'scan/zip-bomb',
                `entry "${name}" inflates past its declared ${entry.size} bytes`,
              )
            : makeFinding(
                file,
                'scan/zip-malformed',
                `entry "${name}" does not inflate: ${(error as Error).message}`,
              ),
        ],
      }
    }
  } else {
    return {
      bytes: undefined,
      findings: [
        makeFinding(
          file,
          'scan/zip-unsupported-method',
          `entry "${name}" uses compression method ${entry.method}`,
        ),
      ],
    }
  }
  const findings: Finding[] = []
  if (bytes.length !== entry.size) {
    findings.push(
      makeFinding(
        file,
        'scan/zip-header-mismatch',
        `entry "${name}" holds ${bytes.length} bytes; the central directory says ${entry.size}`,
      ),
    )
  }
  const actual = crc32(bytes)
  if (actual !== entry.crc32) {
    findings.push(
      makeFinding(
        file,
        'scan/zip-bad-crc',
        `entry "${name}" has CRC-32 ${hex(actual)}, the directory says ${hex(entry.crc32)}; inspected anyway`,
      ),
    )
  }
  return { bytes, findings }
}

function safeNumber(value: bigint, file: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    stop(file, 'scan/zip-malformed', `zip64 value ${value} is out of range`)
  return Number(value)
}

function hex(value: number): string {
  return value.toString(16).padStart(8, '0')
}

/**
 * Entry names are hostile: show control characters escaped.
 *
 * @example printable('a\nb') // 'a\\nb'
 */
export function printable(name: string): string {
  return JSON.stringify(name).slice(1, -1)
}
