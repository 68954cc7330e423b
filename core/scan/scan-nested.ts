import {
  constants,
  createGunzip,
  createInflate,
  createZstdDecompress,
  gunzipSync,
  inflateSync,
  zstdDecompressSync,
} from 'node:zlib'
import { detectFormat } from './detect.ts'
import { makeFinding } from './finding.ts'
import { walkPickle } from './pickle.ts'
import { type FormatScan, MiB, type Options, unknownFinding } from './scan-context.ts'
import { bytesSource } from './source.ts'
import type { Finding, ScanFormat, ScanSource } from './types.ts'

/** Archives and streams are opened this many levels deep; deeper is refused. */
export const MAX_NESTING = 4

/** Streams node can decompress, and so scan inside. */
export type Decompressible = 'gzip' | 'zlib' | 'zstd'

/** Compressed formats and archives whose contents Agora cannot read. */
const UNSUPPORTED = new Set<ScanFormat>(['bz2', 'xz', 'lzma', '7z', 'lz4'])

/** Formats whose contents are another file, scanned by recursion. */
const CONTAINERS = new Set<ScanFormat>(['zip', 'tar', 'gzip', 'zstd', 'zlib', ...UNSUPPORTED])

/**
 * A zlib header (RFC 1950: deflate, a window the format allows, check bits
 * right) whose first bytes also inflate: text can match the header by chance.
 *
 * @example isZlibStream(deflateSync('x')) // true
 */
export function isZlibStream(head: Uint8Array): boolean {
  const [cmf = 0, flg = 0] = head
  if (!((cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0)) return false
  try {
    return inflateSync(head.subarray(0, 4096), { finishFlush: constants.Z_SYNC_FLUSH }).length > 0
  } catch {
    return false
  }
}

/**
 * The format of bytes found inside something else, zlib streams included
 * (they have no magic of their own, so detectFormat leaves them out).
 *
 * @example innerFormat(gzipSync('x')) // 'gzip'
 */
export function innerFormat(head: Uint8Array): ScanFormat {
  const format = detectFormat(head)
  if (format === 'unknown' && isZlibStream(head)) return 'zlib'
  return format
}

/**
 * Whether bytes of this format hold other bytes a loader would read.
 *
 * @example isContainer('gzip') // true
 */
export function isContainer(format: ScanFormat): boolean {
  return CONTAINERS.has(format)
}

/**
 * What to do with a container found at `depth`: a finding when it cannot be
 * opened (an unsupported compression, or nested too deep), else undefined.
 */
function refusal(file: string, format: ScanFormat, where: string, options: Options): Finding[] {
  if (UNSUPPORTED.has(format)) {
    return [
      makeFinding(
        file,
        'scan/unsupported-compression',
        `${where}${format} data, which Agora cannot decompress; nothing inside it was checked`,
      ),
    ]
  }
  if (options.depth >= MAX_NESTING) {
    return [
      makeFinding(
        file,
        'scan/nested-archive',
        `${where}${format} nested more than ${MAX_NESTING} levels deep; what it holds was not scanned`,
      ),
    ]
  }
  return []
}

/**
 * Scans the bytes of a container's member (an archive entry, a stream's
 * contents) as a file of its own, one level deeper, and prefixes what it
 * finds with where it was.
 *
 * @example const inner = await scanInside(bytes, 'model.zip', 'inner.zip: ', options)
 */
export async function scanInside(
  contents: Uint8Array | ScanSource,
  file: string,
  where: string,
  options: Options,
  entry?: string,
): Promise<FormatScan> {
  const source = contents instanceof Uint8Array ? bytesSource(file, contents) : contents
  const head = await source.read(0, Math.min(source.size, 512))
  const refused = refusal(file, innerFormat(head), where, options)
  if (refused.length > 0) return { format: 'unknown', findings: refused }
  const inner = await options.scanInner(source, {
    ...options,
    depth: options.depth + 1,
  })
  const findings = inner.findings.map((f) => ({ ...f, message: `${where}${f.message}` }))
  const imports = inner.imports?.map((i) => ({ ...i, ...(entry ? { entry } : {}) }))
  return { ...inner, findings, ...(imports ? { imports } : {}) }
}

function decompress(
  format: Decompressible,
  bytes: Uint8Array,
  max: number,
  partial = false,
): Uint8Array {
  const options = {
    maxOutputLength: max,
    ...(partial ? { finishFlush: constants.Z_SYNC_FLUSH } : {}),
  }
  if (format === 'gzip') return gunzipSync(bytes, options)
  if (format === 'zstd') return zstdDecompressSync(bytes, options)
  return inflateSync(bytes, options)
}

/**
 * Decompresses a gzip, zlib or zstd stream (joblib, pandas and torch users
 * write all three) and scans what it holds like any file, recursively. The
 * output is capped by the scan's remaining byte budget (`scan/too-large`)
 * and by `maxZipRatio` times the input, past 1 MiB for contents that are
 * buffered and 64 MiB for data that is streamed (`scan/compression-bomb`).
 *
 * @example const { findings } = await scanCompressed(source, 'gzip', options)
 */
export async function scanCompressed(
  source: ScanSource,
  format: Decompressible,
  options: Options,
): Promise<FormatScan> {
  const file = source.path
  const refused = refusal(file, format, '', options)
  if (refused.length > 0) return { format, findings: refused }
  // Streamed data costs no memory, so small repetitive files (a CSV of
  // zeros) are let through up to 64 MiB; buffered contents get 1 MiB.
  const streamCap = Math.max(64 * MiB, source.size * options.maxZipRatio)
  const streamed = await scanStreamed(source, format, streamCap, options)
  const ratioCap = Math.max(MiB, source.size * options.maxZipRatio)
  if (streamed) return streamed
  const budget = Math.min(options.budget.left, options.maxPickleBytes)
  if (source.size > budget) {
    return {
      format,
      findings: [
        makeFinding(
          file,
          'scan/too-large',
          `the ${format} stream of ${source.size} bytes is over the limit of ${budget} for inspection`,
        ),
      ],
    }
  }
  const compressed = await source.read(0, source.size)
  const max = Math.min(budget, ratioCap)
  let bytes: Uint8Array
  const findings: Finding[] = []
  try {
    bytes = decompress(format, compressed, max)
  } catch (error) {
    const tooLarge =
      error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
    if (tooLarge) {
      const finding =
        max < budget
          ? makeFinding(
              file,
              'scan/compression-bomb',
              `the ${format} stream of ${compressed.length} bytes expands past ${max} bytes (over ${options.maxZipRatio}:1)`,
            )
          : makeFinding(
              file,
              'scan/too-large',
              `the ${format} stream expands past ${max} bytes, the limit for inspection`,
            )
      return { format, findings: [finding] }
    }
    // A reader that unpickles while it decompresses runs what comes before
    // the damage, so that part is still scanned.
    findings.push(
      makeFinding(
        file,
        'scan/stream-corrupt',
        `the ${format} stream is corrupt or truncated: ${(error as Error).message}`,
      ),
    )
    try {
      bytes = decompress(format, compressed, max, true)
    } catch {
      bytes = new Uint8Array(0)
    }
  }
  options.budget.left -= bytes.length
  if (bytes.length === 0) return { format, findings }
  const inner = await scanInside(bytes, file, `inside the ${format} stream: `, options)
  return { ...inner, format, findings: [...findings, ...inner.findings] }
}

/**
 * The finding for a file that is itself an unsupported compressed stream or archive.
 *
 * @example unsupportedFinding('m.pkl.bz2', 'bz2')
 */
export function unsupportedFinding(file: string, format: ScanFormat): Finding {
  return makeFinding(
    file,
    'scan/unsupported-compression',
    `${format} data, which Agora cannot decompress; nothing inside it was checked`,
  )
}

/** Formats that, found inside a stream, need nothing but a look at every byte. */
const PLAIN_DATA = new Set<ScanFormat>(['unknown', 'text', 'parquet', 'png', 'jpeg', 'empty'])
const SNIFF_BYTES = MiB

function inflater(format: Decompressible) {
  if (format === 'gzip') return createGunzip()
  if (format === 'zstd') return createZstdDecompress()
  return createInflate()
}

/**
 * Streams that hold data rather than code (a `.csv.gz` of any size) are
 * decompressed chunk by chunk, never held in memory: every byte is seen,
 * the ratio cap still applies, and the result is text or an unknown binary
 * format. Returns undefined when the head looks like anything that could
 * hold code (a pickle, an archive, a model), which is then buffered and
 * scanned in full.
 */
async function scanStreamed(
  source: ScanSource,
  format: Decompressible,
  ratioCap: number,
  options: Options,
): Promise<FormatScan | undefined> {
  const file = source.path
  const input = source.stream()
  const output = inflater(format)
  input.on('error', (error) => output.destroy(error))
  input.pipe(output)
  const head: Uint8Array[] = []
  let headLength = 0
  let decided = false
  let total = 0
  let text = true
  const decoder = new TextDecoder('utf-8', { fatal: true })
  const decide = (): boolean => {
    decided = true
    const bytes = Buffer.concat(head)
    const inner = innerFormat(bytes.subarray(0, 512))
    if (!PLAIN_DATA.has(inner)) return false
    const walk = walkPickle(bytes, 0)
    const identifier = /^[A-Za-z_][\w.]*$/
    const pickle =
      walk.complete ||
      walk.imports.some((i) => identifier.test(i.module) && identifier.test(i.name)) ||
      (walk.atEnd === true && bytes.length >= SNIFF_BYTES)
    return !pickle
  }
  try {
    for await (const chunk of output as AsyncIterable<Buffer>) {
      total += chunk.length
      if (!decided) {
        head.push(chunk)
        headLength += chunk.length
        if (headLength >= SNIFF_BYTES && !decide()) return undefined
      }
      if (total > ratioCap) {
        return {
          format,
          findings: [
            makeFinding(
              file,
              'scan/compression-bomb',
              `the ${format} stream of ${source.size} bytes expands past ${ratioCap} bytes (over ${options.maxZipRatio}:1)`,
            ),
          ],
        }
      }
      if (text) {
        try {
          if (chunk.includes(0)) text = false
          else decoder.decode(chunk, { stream: true })
        } catch {
          text = false
        }
      }
    }
    if (!decided && !decide()) return undefined
    if (text) {
      try {
        decoder.decode()
      } catch {
        text = false
      }
    }
  } catch {
    // Corrupt streams take the buffered path, which scans what comes before the damage.
    return undefined
  } finally {
    input.destroy()
    output.destroy()
  }
  if (text || total === 0) return { format, findings: [] }
  const inner = innerFormat(Buffer.concat(head).subarray(0, 512))
  if (inner !== 'unknown') return { format, findings: [] }
  return {
    format,
    findings: [
      unknownFinding(file, `${format} data of a binary format Agora does not recognise`, options),
    ],
  }
}
