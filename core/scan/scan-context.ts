/**
 * What the per-format scanners share: resolved options, the result they
 * return, and the findings every pickle-based or uninspected file gets.
 * Internal to core/scan; not re-exported.
 */
import { makeFinding } from './finding.ts'
import type { Finding, ScanOptions, ScanResult, ScanSource } from './types.ts'

export const MiB = 1024 * 1024
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
/** Pickles a legacy torch file holds: magic, protocol, sys info, data, storage keys. */
export const LEGACY_PICKLES = 5

/** Scan options with every limit filled in. */
export type Options = Required<
  Omit<ScanOptions, 'allowGlobals' | 'strict' | 'maxSafetensorsHeader'>
> &
  Pick<ScanOptions, 'maxSafetensorsHeader' | 'strict'> & {
    allow: ReadonlySet<string>
    /** How many containers (archives, compressed streams) this scan is inside. */
    depth: number
    /** Bytes that decompressing nested streams may still produce, shared by the whole scan. */
    budget: { left: number }
    /** Scans bytes found inside a container as a file of their own (scan-file's dispatcher). */
    scanInner: (source: ScanSource, options: Options) => Promise<FormatScan>
  }

/** What a format's scanner finds; scanFile adds the path, verdict and verifiedFormat. */
export type FormatScan = Omit<ScanResult, 'path' | 'verdict' | 'verifiedFormat'>

/**
 * Fills in the default limits and turns the allowlist into a set.
 *
 * @example resolveOptions({ strict: true }).maxPickleBytes // 268435456
 */
export function resolveOptions(options: ScanOptions): Options {
  const resolved = { ...DEFAULTS, ...stripUndefined(options) }
  return {
    ...resolved,
    allow: new Set(options.allowGlobals ?? []),
    depth: 0,
    budget: { left: resolved.maxPickleBytes },
    scanInner: () => Promise.reject(new Error('no scanner for nested files')),
  }
}

/**
 * Said of every pickle-based file, clean or not: no allowlist makes unpickling safe in general.
 *
 * @example unsafeFormat('m.bin', 'a pickle').message // 'this is a pickle, and loading pickles can run code'
 */
export function unsafeFormat(file: string, what: string): Finding {
  return makeFinding(
    file,
    'scan/unsafe-format',
    `this is ${what}, and loading pickles can run code`,
  )
}

/**
 * The finding for a format Agora cannot look inside: a warning, an error under `strict`.
 *
 * @example unknownFinding('x.dat', 'a binary format', resolveOptions({ strict: true })).severity // 'error'
 */
export function unknownFinding(file: string, what: string, options: Options): Finding {
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
