import { DETECT_HEAD_BYTES, detectFormat, startsLikePickle } from './detect.ts'
import { makeFinding, ScanStop, verdictOf } from './finding.ts'
import { scanGguf } from './gguf.ts'
import { scanStreamForLambdas } from './keras.ts'
import { scanOnnx } from './onnx.ts'
import { scanPickleBytes, walkPickle } from './pickle.ts'
import { readSafetensorsHeader } from './safetensors.ts'
import { scanTar, scanZip } from './scan-archives.ts'
import {
  type FormatScan,
  MiB,
  type Options,
  resolveOptions,
  unknownFinding,
} from './scan-context.ts'
import { isZlibStream, scanCompressed, unsupportedFinding } from './scan-nested.ts'
import { scanNpyFile, scanPickleFile } from './scan-pickles.ts'
import { openPath } from './source.ts'
import type { ScanFormat, ScanOptions, ScanResult, ScanSource } from './types.ts'

/** How much of an unknown file is walked to tell a protocol 0/1 pickle from text. */
const SNIFF_BYTES = MiB

/** Names that promise a format whose loader cannot run code; a mismatch is worth a warning. */
const PROMISED: Readonly<Record<string, ScanFormat>> = {
  '.safetensors': 'safetensors',
  '.gguf': 'gguf',
  '.onnx': 'onnx',
}

/**
 * Scans one file: decides its format from its bytes, checks its structure,
 * and walks anything that could run code when loaded. Never throws for a
 * hostile or unreadable file: problems become findings, and anything that
 * cannot be checked makes the verdict `error` (fail closed).
 *
 * @example
 * const result = await scanFile(bytesSource('model.bin', bytes))
 * if (result.verdict !== 'safe') console.log(result.findings)
 */
export async function scanFile(source: ScanSource, options: ScanOptions = {}): Promise<ScanResult> {
  const resolved = { ...resolveOptions(options), scanInner: scanByFormat }
  let scanned: FormatScan
  try {
    scanned = await scanByFormat(source, resolved)
  } catch (error) {
    const finding =
      error instanceof ScanStop
        ? error.finding
        : makeFinding(
            source.path,
            'scan/read-failed',
            `could not read the file: ${error instanceof Error ? error.message : String(error)}`,
          )
    scanned = { format: 'unknown', findings: [finding] }
  }
  const extension = /\.[^./]+$/.exec(source.path)?.[0]?.toLowerCase() ?? ''
  const promised = PROMISED[extension]
  if (promised && promised !== scanned.format) {
    scanned.findings.push(
      makeFinding(
        source.path,
        'scan/extension-mismatch',
        `the name says ${promised} but the bytes are ${scanned.format}`,
      ),
    )
  }
  const verdict = verdictOf(scanned.findings)
  return {
    path: source.path,
    ...scanned,
    verdict,
    verifiedFormat:
      verdict === 'safe' && (scanned.format === 'safetensors' || scanned.format === 'gguf'),
  }
}

/**
 * Scans a file on disk; see {@link scanFile}. A file that cannot be opened
 * gives verdict `error` with `scan/read-failed`. `displayPath` is the name
 * findings and the result carry (e.g. the path as the user typed it).
 *
 * @example const result = await scanPath('downloads/model.safetensors')
 */
export async function scanPath(
  path: string,
  options: ScanOptions & { displayPath?: string } = {},
): Promise<ScanResult> {
  const shown = options.displayPath ?? path
  let source: Awaited<ReturnType<typeof openPath>>
  try {
    source = await openPath(path)
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code ??
      (error instanceof Error ? error.message : String(error))
    const findings = [makeFinding(shown, 'scan/read-failed', `could not open the file: ${reason}`)]
    return { path: shown, format: 'unknown', verdict: 'error', verifiedFormat: false, findings }
  }
  try {
    return await scanFile({ ...source, path: shown }, options)
  } finally {
    await source.close()
  }
}

/**
 * The first bytes are read once, generously: most headers (safetensors JSON,
 * GGUF metadata of small models, .npy) then come from memory, which saves a
 * round trip per read when the source is a remote store.
 */
const HEAD_CACHE_BYTES = 64 * 1024

function withHead(source: ScanSource, head: Uint8Array): ScanSource {
  return {
    ...source,
    read: (start, end) =>
      end <= head.length ? Promise.resolve(head.subarray(start, end)) : source.read(start, end),
  }
}

async function scanByFormat(original: ScanSource, options: Options): Promise<FormatScan> {
  const cached = await original.read(0, Math.min(original.size, HEAD_CACHE_BYTES))
  const source = withHead(original, cached)
  const file = source.path
  const head = cached.subarray(0, DETECT_HEAD_BYTES)
  const format = detectFormat(head)
  switch (format) {
    case 'empty':
    case 'parquet':
    case 'png':
    case 'jpeg':
      return { format, findings: [] }
    case 'safetensors': {
      const header = await readSafetensorsHeader(
        source,
        options.maxSafetensorsHeader === undefined
          ? {}
          : { maxHeader: options.maxSafetensorsHeader },
      )
      // A file that also starts like a pickle could be loaded by torch.load as
      // one: walk the header bytes as a pickle too and keep any import it reaches.
      const polyglot = startsLikePickle(head)
        ? scanPickleBytes(cached, { file }).findings.filter((f) => f.unsafe)
        : []
      return {
        format,
        findings: [...header.findings, ...polyglot],
        tensors: header.tensors,
        metadata: header.metadata,
      }
    }
    case 'gguf': {
      const gguf = await scanGguf(source, {
        maxTensors: options.maxGgufTensors,
        maxKeys: options.maxGgufKeys,
      })
      return { format, findings: gguf.findings, metadata: gguf.metadata, tensors: gguf.tensors }
    }
    case 'onnx': {
      if (source.size > options.maxOnnxBytes) {
        return {
          format,
          findings: [
            makeFinding(
              file,
              'scan/too-large',
              `ONNX file of ${source.size} bytes is over the limit of ${options.maxOnnxBytes}`,
            ),
          ],
        }
      }
      const onnx = await scanOnnx(source)
      return { format, findings: onnx.findings, externalData: onnx.externalData }
    }
    case 'pickle':
    case 'pytorch-legacy':
      return scanPickleFile(source, format, options)
    case 'npy':
      return scanNpyFile(source, options)
    case 'zip':
      return scanZip(source, options)
    case 'tar':
      return scanTar(source, options)
    case 'gzip':
    case 'zstd':
      return scanCompressed(source, format, options)
    case 'bz2':
    case 'xz':
    case 'lzma':
    case '7z':
    case 'lz4':
      return { format, findings: [unsupportedFinding(file, format)] }
    case 'hdf5':
      return { format, findings: await scanStreamForLambdas(source) }
    default:
      return scanUnknown(source, head, options)
  }
}

async function scanUnknown(
  source: ScanSource,
  head: Uint8Array,
  options: Options,
): Promise<FormatScan> {
  const file = source.path
  if (isZlibStream(await source.read(0, Math.min(source.size, 4096))))
    return scanCompressed(source, 'zlib', options)
  const sniff = await source.read(0, Math.min(source.size, SNIFF_BYTES))
  const walk = walkPickle(sniff, 0)
  const identifier = /^[A-Za-z_][\w.]*$/
  const imports = walk.imports.some((i) => identifier.test(i.module) && identifier.test(i.name))
  const walkedAll = !walk.complete && walk.atEnd === true && sniff.length < source.size
  if (walk.complete || imports || walkedAll) return scanPickleFile(source, 'pickle', options)
  if (!head.includes(0) && (await isUtf8Text(source))) return { format: 'text', findings: [] }
  return {
    format: 'unknown',
    findings: [unknownFinding(file, 'a binary format Agora does not recognise', options)],
  }
}

/** Streams the whole file through a strict UTF-8 decoder; NUL bytes mean binary. */
async function isUtf8Text(source: ScanSource): Promise<boolean> {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  const stream = source.stream()
  try {
    for await (const chunk of stream) {
      const bytes = chunk as Uint8Array
      if (bytes.includes(0)) return false
      decoder.decode(bytes, { stream: true })
    }
    decoder.decode()
    return true
  } catch {
    return false
  } finally {
    stream.destroy()
  }
}
