import { constants, gunzipSync, inflateSync } from 'node:zlib'
import { DETECT_HEAD_BYTES, detectFormat } from './detect.ts'
import { makeFinding, ScanStop, verdictOf } from './finding.ts'
import { scanGguf } from './gguf.ts'
import { NPY_MAGIC, readNpyHeader } from './npy.ts'
import { scanOnnx } from './onnx.ts'
import { hasPickleMagic, type PickleScan, scanPickleBytes, walkPickle } from './pickle.ts'
import { readSafetensorsHeader } from './safetensors.ts'
import { openPath } from './source.ts'
import { readTarEntries } from './tar.ts'
import type {
  Finding,
  PickleImport,
  ScanFormat,
  ScanOptions,
  ScanResult,
  ScanSource,
} from './types.ts'
import { readZipDirectory, readZipEntry, readZipEntryHead } from './zip.ts'

const MiB = 1024 * 1024
const GiB = 1024 * MiB
const DEFAULTS = {
  maxPickleBytes: 256 * MiB,
  maxZipEntries: 100_000,
  maxZipUncompressed: 256 * GiB,
  maxZipRatio: 100,
  maxGgufTensors: 1_000_000,
  maxGgufKeys: 100_000,
  maxOnnxBytes: 2 * GiB,
}
/** How much of an unknown file is walked to tell a protocol 0/1 pickle from text. */
const SNIFF_BYTES = MiB
/** Pickles a legacy torch file holds: magic, protocol, sys info, data, storage keys. */
const LEGACY_PICKLES = 5
/** Pickles walked in a raw pickle file; loaders that call pickle.load in a loop read several. */
const RAW_PICKLES = 64

type Options = Required<Omit<ScanOptions, 'allowGlobals' | 'strict' | 'maxSafetensorsHeader'>> &
  Pick<ScanOptions, 'maxSafetensorsHeader' | 'strict'> & { allow: ReadonlySet<string> }

/** What a format's scanner finds; scanFile adds the path, verdict and verifiedFormat. */
type FormatScan = Omit<ScanResult, 'path' | 'verdict' | 'verifiedFormat'>

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
  const resolved: Options = {
    ...DEFAULTS,
    ...stripUndefined(options),
    allow: new Set(options.allowGlobals ?? []),
  }
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

async function scanByFormat(source: ScanSource, options: Options): Promise<FormatScan> {
  const file = source.path
  const head = await source.read(0, Math.min(source.size, DETECT_HEAD_BYTES))
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
      return {
        format,
        findings: header.findings,
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
      return scanCompressed(source, 'gzip', options)
    case 'hdf5':
      return { format, findings: await scanStreamForLambdas(source) }
    default:
      return scanUnknown(source, head, options)
  }
}

async function scanPickleFile(
  source: ScanSource,
  format: 'pickle' | 'pytorch-legacy',
  options: Options,
): Promise<FormatScan> {
  const bytes = await source.read(0, Math.min(source.size, options.maxPickleBytes))
  const scan = scanPickleBytes(bytes, {
    file: source.path,
    maxPickles: format === 'pytorch-legacy' ? LEGACY_PICKLES : RAW_PICKLES,
    allowGlobals: options.allow,
  })
  const findings = scan.findings
  const first = scan.pickles[0]
  if (first && !first.complete && first.atEnd && bytes.length < source.size) {
    // The cap cut the pickle, not a defect of the file: say so instead of "malformed".
    const at = findings.findIndex((f) => f.code === 'scan/pickle-malformed')
    const tooLarge = makeFinding(
      source.path,
      'scan/too-large',
      `pickle runs past the first ${bytes.length} bytes, the limit for inspection`,
    )
    if (at >= 0) findings.splice(at, 1, tooLarge)
    else findings.push(tooLarge)
  }
  findings.push(
    unsafeFormat(
      source.path,
      format === 'pickle' ? 'a pickle' : 'a legacy PyTorch file (a series of pickles)',
    ),
  )
  return { format, findings, imports: scan.imports }
}

async function scanNpyFile(source: ScanSource, options: Options): Promise<FormatScan> {
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

async function scanZip(source: ScanSource, options: Options): Promise<FormatScan> {
  const file = source.path
  const directory = await readZipDirectory(source, {
    maxEntries: options.maxZipEntries,
    maxUncompressed: options.maxZipUncompressed,
    maxRatio: options.maxZipRatio,
  })
  const findings: Finding[] = [...directory.findings]
  const torch = directory.entries.some((e) => /(?:^|\/)(?:data|constants)\.pkl$/.test(e.name))
  const format = torch ? 'pytorch-zip' : 'zip'
  // An archive that is unsafe or unreadable as a whole is refused before any entry is inflated.
  if (findings.some((f) => f.unsafe || f.code === 'scan/zip-malformed')) return { format, findings }
  const code = directory.entries.filter((e) => /(?:^|\/)code\/.+\.py$/.test(e.name))
  if (torch && code.length > 0) {
    findings.push(
      makeFinding(
        file,
        'scan/torchscript',
        `TorchScript archive with ${code.length} code file${code.length > 1 ? 's' : ''} (e.g. ${code[0]?.name})`,
      ),
    )
  }
  const imports: PickleImport[] = []
  let pickles = 0
  for (const entry of directory.entries) {
    if (entry.isDirectory || entry.isSymlink || entry.flags & 0x1) continue
    if (/(?:^|\/)config\.json$/.test(entry.name)) {
      // A .keras archive: its config.json names every layer.
      const read = await readZipEntry(source, entry, KERAS_CONFIG_BYTES)
      findings.push(...read.findings)
      if (read.bytes) findings.push(...kerasLambdas(latin1.decode(read.bytes), file, entry.name))
      continue
    }
    const named = /\.(?:pkl|pickle)$/i.test(entry.name)
    let head = await readZipEntryHead(source, entry, 512)
    const npy = NPY_MAGIC.every((b, i) => head[i] === b)
    // A .npy header may be up to 64 KiB; read that much only for .npy entries.
    if (npy) head = await readZipEntryHead(source, entry, 12 + 0xffff)
    if (isArchive(head)) findings.push(nestedArchive(file, entry.name, options))
    if (!named && !npy && !hasPickleMagic(head)) continue
    let scan: PickleScan | undefined
    if (npy) {
      const header = readNpyHeader(head, file, entry.name)
      findings.push(...header.findings)
      if (!header.objectDtype) continue
      const read = await readZipEntry(source, entry, options.maxPickleBytes)
      findings.push(...read.findings)
      if (!read.bytes) continue
      scan = scanPickleBytes(read.bytes, {
        file,
        entry: entry.name,
        start: header.dataOffset,
        allowGlobals: options.allow,
      })
    } else {
      const read = await readZipEntry(source, entry, options.maxPickleBytes)
      findings.push(...read.findings)
      if (!read.bytes) continue
      const bytes = read.bytes
      if (!named) {
        // Raw tensor bytes may start like a pickle by chance; they count only if they walk as one or import.
        const walk = walkPickle(bytes, 0)
        if (!walk.complete && walk.imports.length === 0) continue
      }
      scan = scanPickleBytes(bytes, {
        file,
        entry: entry.name,
        maxPickles: RAW_PICKLES,
        allowGlobals: options.allow,
      })
    }
    pickles++
    findings.push(...scan.findings)
    imports.push(...scan.imports)
  }
  if (pickles > 0)
    findings.push(
      unsafeFormat(
        file,
        format === 'pytorch-zip'
          ? 'a PyTorch file whose state is pickled'
          : `an archive holding ${plural(pickles, 'pickle')}`,
      ),
    )
  return { format, findings, ...(pickles > 0 ? { imports } : {}) }
}

/** Keras configs larger than this are not read (a config lists layers, not weights). */
const KERAS_CONFIG_BYTES = 64 * MiB
const latin1 = new TextDecoder('latin1')
/** A Keras layer whose config carries marshalled Python bytecode. */
const KERAS_LAMBDA = /"class_name"\s*:\s*"(Lambda|TFOpLambda)"/

function kerasLambdas(text: string, file: string, where: string): Finding[] {
  const match = KERAS_LAMBDA.exec(text)
  if (!match) return []
  return [makeFinding(file, 'scan/keras-lambda', `${where} declares a Keras ${match[1]} layer`)]
}

/**
 * Keras .h5 models keep their config as an HDF5 attribute; rather than parse
 * HDF5, search the whole file for a Lambda layer, carrying a little of each
 * chunk over so a match across chunks is not missed.
 */
async function scanStreamForLambdas(source: ScanSource): Promise<Finding[]> {
  let carry = ''
  for await (const chunk of source.stream()) {
    const text = carry + latin1.decode(chunk as Uint8Array)
    const found = kerasLambdas(text, source.path, 'the HDF5 model config')
    if (found.length > 0) return found
    carry = text.slice(-64)
  }
  return []
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
 */
async function compressedHead(source: ScanSource, format: 'gzip' | 'zlib'): Promise<Uint8Array> {
  try {
    return decompress(format, await source.read(0, Math.min(source.size, 4096)))
  } catch {
    return new Uint8Array(0)
  }
}

/**
 * Whether bytes open a pickle: binary pickles by their PROTO magic, protocol
 * 0/1 pickles (no magic) when they walk to STOP or import a plausible global.
 */
function opensPickle(bytes: Uint8Array): boolean {
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
 */
async function scanCompressed(
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
    maxPickles: RAW_PICKLES,
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
 */
function looksLikeZlib(head: Uint8Array): boolean {
  const [cmf = 0, flg = 0] = head
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0
}

/** Zip, gzip or tar bytes: archives whose own contents a scan does not open. */
function isArchive(head: Uint8Array): boolean {
  const format = detectFormat(head)
  return format === 'zip' || format === 'gzip' || format === 'tar'
}

function nestedArchive(file: string, entry: string, options: Options): Finding {
  return makeFinding(
    file,
    'scan/nested-archive',
    `entry "${entry}" is itself an archive; what it holds was not scanned`,
    undefined,
    options.strict ? 'error' : 'warning',
  )
}

/** Member names of torch's pre-1.0 tar layout. */
const LEGACY_TAR_MEMBERS = new Set(['sys_info', 'pickle', 'storages', 'tensors'])

async function scanTar(source: ScanSource, options: Options): Promise<FormatScan> {
  const file = source.path
  const { entries, findings } = await readTarEntries(source, options.maxZipEntries)
  if (findings.some((f) => f.severity === 'error')) return { format: 'tar', findings }
  const imports: PickleImport[] = []
  let pickles = 0
  const names = new Set(entries.map((e) => e.name.replace(/^\.\//, '')))
  if (names.has('pickle') && names.has('storages')) {
    findings.push(
      makeFinding(
        file,
        'scan/legacy-torch-tar',
        'this is a pre-1.0 torch.save tar, whose storages member holds pickles between raw tensor bytes',
      ),
    )
  }
  for (const entry of entries) {
    if (entry.type !== '0' && entry.type !== '7' && entry.type !== '\0') continue
    const base = entry.name.split('/').pop() ?? ''
    const named = /\.(?:pkl|pickle)$/i.test(base) || LEGACY_TAR_MEMBERS.has(base)
    const head = await source.read(entry.offset, entry.offset + Math.min(entry.size, 12 + 0xffff))
    const npy = NPY_MAGIC.every((b, i) => head[i] === b)
    if (isArchive(head)) findings.push(nestedArchive(file, entry.name, options))
    if (!named && !npy && !hasPickleMagic(head)) continue
    if (entry.size > options.maxPickleBytes) {
      findings.push(
        makeFinding(
          file,
          'scan/too-large',
          `member "${entry.name}" is ${entry.size} bytes, over the limit of ${options.maxPickleBytes} for inspection`,
        ),
      )
      continue
    }
    const bytes = await source.read(entry.offset, entry.offset + entry.size)
    let start = 0
    if (npy) {
      const header = readNpyHeader(bytes, file, entry.name)
      findings.push(...header.findings)
      if (!header.objectDtype) continue
      start = header.dataOffset
    } else if (!named) {
      const walk = walkPickle(bytes, 0)
      if (!walk.complete && walk.imports.length === 0) continue
    }
    const scan = scanPickleBytes(bytes, {
      file,
      entry: entry.name,
      start,
      maxPickles: npy ? 1 : RAW_PICKLES,
      allowGlobals: options.allow,
    })
    pickles++
    findings.push(...scan.findings)
    imports.push(...scan.imports)
  }
  if (pickles > 0)
    findings.push(unsafeFormat(file, `an archive holding ${plural(pickles, 'pickle')}`))
  return { format: 'tar', findings, ...(pickles > 0 ? { imports } : {}) }
}

async function scanUnknown(
  source: ScanSource,
  head: Uint8Array,
  options: Options,
): Promise<FormatScan> {
  const file = source.path
  if (looksLikeZlib(head) && opensPickle(await compressedHead(source, 'zlib'))) {
    return scanCompressed(source, 'zlib', options)
  }
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

/** Said of every pickle-based file, clean or not: no allowlist makes unpickling safe in general. */
function unsafeFormat(file: string, what: string): Finding {
  return makeFinding(
    file,
    'scan/unsafe-format',
    `this is ${what}, and loading pickles can run code`,
  )
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`
}

function unknownFinding(file: string, what: string, options: Options): Finding {
  return makeFinding(
    file,
    'scan/unknown-format',
    `${what}; nothing inside it was checked`,
    undefined,
    options.strict ? 'error' : 'warning',
  )
}

function stripUndefined<T extends object>(value: T): Defined<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Defined<T>
}
type Defined<T> = { [K in keyof T]?: Exclude<T[K], undefined> }
