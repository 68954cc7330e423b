import { makeFinding } from './finding.ts'
import { readNpyHeader } from './npy.ts'
import { scanPickleBytes } from './pickle.ts'
import { type FormatScan, LEGACY_PICKLES, type Options, unsafeFormat } from './scan-context.ts'
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
