import { constants, gunzipSync, inflateSync } from 'node:zlib'
import { makeFinding } from './finding.ts'
import { readNpyHeader } from './npy.ts'
import { hasPickleMagic, scanPickleBytes, walkPickle } from './pickle.ts'
import {
  type FormatScan,
  LEGACY_PICKLES,
  type Options,
  unknownFinding,
  unsafeFormat,
} from './scan-context.ts'
import type { ScanSource } from './types.ts'

/**
 * Walks a raw pickle or a legacy torch file (its five pickles), read up to
 * the pickle size limit; a pickle cut by the limit is `scan/too-large`.
 *
 * @example const { imports } = await scanPickleFile(source, 'pickle', resolveOptions({}))
 */
export async function scanPickleFile(
  source: ScanSource,
  format: 'pickle' | 'pytorch-legacy',
  options: Options,
): Promise<FormatScan> {
  const bytes = await source.read(0, Math.min(source.size, options.maxPickleBytes))
  const scan = scanPickleBytes(bytes, {
    file: source.path,
    ...(format === 'pytorch-legacy' ? { maxPickles: LEGACY_PICKLES } : { toEnd: true }),
    allowGlobals: options.allow,
  })
  const findings = scan.findings
  const first = scan.pickles[0]
  const cut = bytes.length < source.size
  if (cut && ((first && !first.complete && first.atEnd) || format === 'pickle')) {
    // The cap cut the stream, not a defect of the file: say so instead of
    // "malformed" or "trailing bytes"; what lies past the cap was never walked.
    for (let i = findings.length - 1; i >= 0; i--) {
      const code = findings[i]?.code
      if (code === 'scan/pickle-malformed' || code === 'scan/pickle-trailing-bytes')
        findings.splice(i, 1)
    }
    findings.push(
      makeFinding(
        source.path,
        'scan/too-large',
        `pickle runs past the first ${bytes.length} bytes, the limit for inspection`,
      ),
    )
  }
  findings.push(
    unsafeFormat(
      source.path,
      format === 'pickle' ? 'a pickle' : 'a legacy PyTorch file (a series of pickles)',
    ),
  )
  return { format, findings, imports: scan.imports }
}

/**
 * Reads a `.npy` header and, for object dtypes only, walks the pickled body.
 *
 * @example const { findings } = await scanNpyFile(source, resolveOptions({}))
 */
export async function scanNpyFile(source: ScanSource, options: Options): Promise<FormatScan> {
  const head = await source.read(0, Math.min(source.size, 64 * 1024))
  const header = readNpyHeader(head, source.path)
  if (header.findings.length > 0 || !header.objectDtype)
    return { format: 'npy', findings: header.findings }
  if (source.size > options.maxPickleBytes) {
    return {
      format: 'npy',
      findings: [
        makeFinding(
          source.path,
          'scan/too-large',
          `object array of ${source.size} bytes is over the limit of ${options.maxPickleBytes} for inspection`,
        ),
      ],
    }
  }
  const bytes = await source.read(0, source.size)
  const scan = scanPickleBytes(bytes, {
    file: source.path,
    start: header.dataOffset,
    toEnd: true,
    allowGlobals: options.allow,
  })
  return {
    format: 'npy',
    findings: [
      ...scan.findings,
      unsafeFormat(source.path, `an object array (dtype ${header.descr}) whose body is a pickle`),
    ],
    imports: scan.imports,
  }
}

/** Decompresses a gzip or zlib stream, no further than `max` bytes (more throws a RangeError). */
function decompress(format: 'gzip' | 'zlib', bytes: Uint8Array, max?: number): Uint8Array {
  const options =
    max === undefined ? { finishFlush: constants.Z_SYNC_FLUSH } : { maxOutputLength: max }
  return format === 'gzip' ? gunzipSync(bytes, options) : inflateSync(bytes, options)
}

/**
 * What a gzip or zlib stream's first 4 KiB inflate to (at most about 4 MiB,
 * whatever the ratio); empty when they do not inflate.
 *
 * @example const head = await compressedHead(source, 'gzip')
 */
export async function compressedHead(
  source: ScanSource,
  format: 'gzip' | 'zlib',
): Promise<Uint8Array> {
  try {
    return decompress(format, await source.read(0, Math.min(source.size, 4096)))
  } catch {
    return new Uint8Array(0)
  }
}

/**
 * Whether bytes open a pickle: binary pickles by their PROTO magic, protocol
 * 0/1 pickles (no magic) when they walk to STOP or import a plausible global.
 *
 * @example opensPickle(Uint8Array.of(0x80, 0x04)) // true
 */
export function opensPickle(bytes: Uint8Array): boolean {
  if (hasPickleMagic(bytes)) return true
  const walk = walkPickle(bytes, 0)
  const identifier = /^[A-Za-z_][\w.]*$/
  return (
    walk.complete || walk.imports.some((i) => identifier.test(i.module) && identifier.test(i.name))
  )
}

/**
 * Gzip and zlib streams are opened far enough to see what they hold: a
 * pickle inside (as joblib writes them) is walked like any other, anything
 * else is left as an uninspected format.
 *
 * @example const { imports } = await scanCompressed(source, 'zlib', resolveOptions({}))
 */
export async function scanCompressed(
  source: ScanSource,
  format: 'gzip' | 'zlib',
  options: Options,
): Promise<FormatScan> {
  const file = source.path
  if (!opensPickle(await compressedHead(source, format))) {
    return {
      format,
      findings: [
        unknownFinding(
          file,
          `${format} data that is not a pickle (its contents are not inspected)`,
          options,
        ),
      ],
    }
  }
  let bytes: Uint8Array
  try {
    bytes = decompress(format, await source.read(0, source.size), options.maxPickleBytes)
  } catch (error) {
    const tooLarge =
      error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
    return {
      format,
      findings: [
        tooLarge
          ? makeFinding(
              file,
              'scan/too-large',
              `the compressed pickle expands past ${options.maxPickleBytes} bytes, the limit for inspection`,
            )
          : makeFinding(
              file,
              'scan/pickle-malformed',
              `the ${format} stream around the pickle is corrupt: ${(error as Error).message}`,
            ),
      ],
    }
  }
  const scan = scanPickleBytes(bytes, {
    file,
    toEnd: true,
    allowGlobals: options.allow,
  })
  return {
    format,
    findings: [...scan.findings, unsafeFormat(file, `a ${format}-compressed pickle`)],
    imports: scan.imports,
  }
}

/**
 * A zlib header (RFC 1950: deflate, a window the format allows, check bits
 * right). Text can match it by chance, so callers also require the stream
 * to inflate.
 *
 * @example looksLikeZlib(Uint8Array.of(0x78, 0x9c)) // true
 */
export function looksLikeZlib(head: Uint8Array): boolean {
  const [cmf = 0, flg = 0] = head
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0
}
