import type { Readable } from 'node:stream'
import type { Issue } from '#core/errors'

/**
 * A file opened for scanning: random access so a scanner reads only what it
 * needs (a 1 GiB safetensors needs its header, not its tensors), and a stream
 * for the formats that must be read whole.
 */
export interface ScanSource {
  /** Shown in findings; never used to pick the format. */
  path: string
  size: number
  /** Bytes `[start, end)`; fewer at the end of the file. */
  read(start: number, end: number): Promise<Uint8Array>
  /** A fresh stream of every byte. */
  stream(): Readable
}

/**
 * What a file turned out to be, from its bytes alone. `pytorch-zip` and
 * `pytorch-legacy` are the layouts `torch.load` reads; `zip` and `tar` are
 * other archives; `gzip`, `zlib` and `zstd` are streams Agora opens, `bz2`,
 * `xz`, `lzma`, `7z` and `lz4` ones it cannot; `text` is valid UTF-8 without
 * NUL bytes.
 */
export type ScanFormat =
  | 'safetensors'
  | 'gguf'
  | 'onnx'
  | 'pickle'
  | 'pytorch-zip'
  | 'pytorch-legacy'
  | 'npy'
  | 'zip'
  | 'tar'
  | 'hdf5'
  | 'parquet'
  | 'png'
  | 'jpeg'
  | 'gzip'
  | 'zlib'
  | 'zstd'
  | 'bz2'
  | 'xz'
  | 'lzma'
  | '7z'
  | 'lz4'
  | 'text'
  | 'empty'
  | 'unknown'

/**
 * A file is `safe` when nothing loading it can run code and its structure
 * checked out, `unsafe` when it can run code or attack the reader (a
 * disallowed pickle import, a path escaping an archive, a zip bomb), and
 * `error` when it could not be checked: scans fail closed.
 */
export type ScanVerdict = 'safe' | 'unsafe' | 'error'

/**
 * One thing a scan found. `unsafe` marks findings that make the file
 * dangerous rather than merely unreadable; see {@link verdictOf}.
 */
export interface Finding extends Issue {
  unsafe?: boolean
}

/** One tensor of a safetensors file, as the site's tensor viewer shows it. */
export interface TensorInfo {
  name: string
  dtype: string
  shape: number[]
  /** Number of elements, the product of the shape. */
  params: number
  /** Byte range inside the data section, `[begin, end)`. */
  offsets: [number, number]
}

/** A global a pickle imports (GLOBAL, INST, STACK_GLOBAL). */
export interface PickleImport {
  module: string
  name: string
  /** On the allowlist of tensor-rebuilding and container globals. */
  allowed: boolean
  /** Where it sits: the archive entry for zips, else the file. */
  entry?: string
}

export interface ScanResult {
  path: string
  format: ScanFormat
  verdict: ScanVerdict
  /**
   * True only for formats whose loaders cannot run code and whose structure
   * was checked in full: safetensors and GGUF.
   */
  verifiedFormat: boolean
  findings: Finding[]
  /** Safetensors and GGUF: the tensor table. */
  tensors?: TensorInfo[]
  /** Safetensors `__metadata__`, GGUF scalar metadata (strings and numbers). */
  metadata?: Record<string, string>
  /** Pickle family: every import found, allowed or not. */
  imports?: PickleImport[]
  /** ONNX: the external data files the model points at, relative to it. */
  externalData?: string[]
}

/** Limits a scan works within; hostile files are refused before they cost memory. */
export interface ScanOptions {
  /** Largest safetensors header, in bytes; default 16 MiB (the reference reader allows 100 MB, real headers are a few MiB). */
  maxSafetensorsHeader?: number
  /** Largest pickle read into memory, in bytes; default 256 MiB. */
  maxPickleBytes?: number
  /** Most entries in a zip or members in a tar; default 100 000. */
  maxZipEntries?: number
  /** Largest declared total uncompressed size of a zip; default 256 GiB. */
  maxZipUncompressed?: number
  /** Largest compression ratio of an entry or the whole archive; default 100. */
  maxZipRatio?: number
  /** Most GGUF tensors; default 1 000 000. */
  maxGgufTensors?: number
  /** Most GGUF metadata keys; default 100 000. */
  maxGgufKeys?: number
  /** Largest ONNX file parsed, in bytes; default 2 GiB (protobuf's own limit). */
  maxOnnxBytes?: number
  /**
   * Extra `module.name` globals a pickle may import, on top of the built-in
   * allowlist (a hub that accepts, say, scikit-learn estimators).
   */
  allowGlobals?: readonly string[]
  /** Treat files of unknown binary format as errors instead of safe with a warning. */
  strict?: boolean
}
