import { plural } from '#core/errors'
import { makeFinding } from './finding.ts'
import { KERAS_CONFIG_BYTES, kerasConfigFindings } from './keras.ts'
import { NPY_MAGIC, readNpyHeader } from './npy.ts'
import {
  hasPickleMagic,
  type PickleScan,
  scanPickleBytes,
  sniffsAsPickle,
  walkPickle,
} from './pickle.ts'
import { type FormatScan, type Options, unsafeFormat } from './scan-context.ts'
import { innerFormat, isContainer, scanInside } from './scan-nested.ts'
import { sliceSource } from './source.ts'
import { NOT_FILES, readTarEntries } from './tar.ts'
import type { Finding, PickleImport, ScanSource } from './types.ts'
import { readZipDirectory, readZipEntry, readZipEntryHead } from './zip.ts'

/**
 * Scans a zip: the directory checks of `readZipDirectory` first (refusing
 * the archive before any entry is inflated), then every pickle, object
 * `.npy` and Keras config inside; TorchScript and nested archives are noted.
 *
 * @example const { format, findings } = await scanZip(source, resolveOptions({}))
 */
export async function scanZip(source: ScanSource, options: Options): Promise<FormatScan> {
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
        `TorchScript archive with ${plural(code.length, 'code file')} (e.g. ${code[0]?.name})`,
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
      if (read.bytes)
        findings.push(
          ...kerasConfigFindings(new TextDecoder().decode(read.bytes), file, entry.name),
        )
      continue
    }
    const named = /\.(?:pkl|pickle)$/i.test(entry.name)
    let head = await readZipEntryHead(source, entry, 512)
    const npy = NPY_MAGIC.every((b, i) => head[i] === b)
    // A .npy header may be up to 64 KiB; read that much only for .npy entries.
    if (npy) head = await readZipEntryHead(source, entry, 12 + 0xffff)
    if (isNested(head, entry.name) && entry.method === 0) {
      // Stored bytes are read in place, on demand, never copied whole.
      const stored = sliceSource(source, entry.dataOffset, entry.compressedSize)
      const inner = await scanInside(stored, file, `${entry.name}: `, options, entry.name)
      findings.push(...inner.findings)
      imports.push(...(inner.imports ?? []))
      continue
    }
    if (isNested(head, entry.name)) {
      const read = await readZipEntry(
        source,
        entry,
        Math.min(options.maxPickleBytes, options.budget.left),
      )
      findings.push(...read.findings)
      if (!read.bytes) continue
      options.budget.left -= read.bytes.length
      const inner = await scanInside(read.bytes, file, `${entry.name}: `, options, entry.name)
      findings.push(...inner.findings)
      imports.push(...(inner.imports ?? []))
      continue
    }
    if (!named && !npy && !hasPickleMagic(head) && !sniffsAsPickle(head)) continue
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
        toEnd: true,
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
  return { format, findings, ...(pickles > 0 || imports.length > 0 ? { imports } : {}) }
}

/**
 * Archives, compressed streams and HDF5 files: bytes holding more to scan.
 * A `.keras` archive's `model.weights.h5` holds weights only (Keras reads
 * the config from config.json), so it is not read into memory.
 */
function isNested(head: Uint8Array, name: string): boolean {
  const format = innerFormat(head)
  return isContainer(format) || (format === 'hdf5' && !/\.weights\.h5$/i.test(name))
}

/** Member names of torch's pre-1.0 tar layout. */
const LEGACY_TAR_MEMBERS = new Set(['sys_info', 'pickle', 'storages', 'tensors'])

/**
 * Scans a tar: member paths and links first, then every pickle and object
 * `.npy` member; torch's pre-1.0 tar layout fails closed.
 *
 * @example const { findings } = await scanTar(source, resolveOptions({}))
 */
export async function scanTar(source: ScanSource, options: Options): Promise<FormatScan> {
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
    // Any other type, unknown ones included, is extracted as a regular file by tarfile.
    if (NOT_FILES.has(entry.type)) continue
    const base = entry.name.split('/').pop() ?? ''
    const named = /\.(?:pkl|pickle)$/i.test(base) || LEGACY_TAR_MEMBERS.has(base)
    const head = await source.read(entry.offset, entry.offset + Math.min(entry.size, 12 + 0xffff))
    const npy = NPY_MAGIC.every((b, i) => head[i] === b)
    if (isNested(head, entry.name)) {
      const member = sliceSource(source, entry.offset, entry.size)
      const inner = await scanInside(member, file, `${entry.name}: `, options, entry.name)
      findings.push(...inner.findings)
      imports.push(...(inner.imports ?? []))
      continue
    }
    if (!named && !npy && !hasPickleMagic(head) && !sniffsAsPickle(head)) continue
    const limit = options.maxPickleBytes
    if (entry.size > limit) {
      findings.push(
        makeFinding(
          file,
          'scan/too-large',
          `member "${entry.name}" is ${entry.size} bytes, over the limit of ${limit} for inspection`,
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
      toEnd: true,
      allowGlobals: options.allow,
    })
    pickles++
    findings.push(...scan.findings)
    imports.push(...scan.imports)
  }
  if (pickles > 0)
    findings.push(unsafeFormat(file, `an archive holding ${plural(pickles, 'pickle')}`))
  return { format: 'tar', findings, ...(pickles > 0 || imports.length > 0 ? { imports } : {}) }
}
