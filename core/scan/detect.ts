import { NPY_MAGIC } from './npy.ts'
import { looksLikeOnnx } from './onnx.ts'
import { isTarHeader } from './tar.ts'
import type { ScanFormat } from './types.ts'

/** Bytes of a file's head that {@link detectFormat} needs. */
export const DETECT_HEAD_BYTES = 512

/** The pickled magic number legacy (pre-1.6) torch.save files begin with. */
const TORCH_LEGACY_MAGIC = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]

/**
 * The format of a file from its leading bytes alone, never its name: a pickle
 * named `.bin`, a zip named `.pt` and a safetensors named `.txt` are each
 * found for what they are. Formats without magic (text, protocol 0/1
 * pickles) come back `unknown` and are settled by reading further.
 *
 * @example detectFormat(new TextEncoder().encode('GGUF\x03\0\0\0')) // 'gguf'
 */
export function detectFormat(head: Uint8Array): ScanFormat {
  if (head.length === 0) return 'empty'
  if (startsWith(head, [0x47, 0x47, 0x55, 0x46])) return 'gguf'
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06]))
    return 'zip'
  if (startsWith(head, NPY_MAGIC)) return 'npy'
  // Before the pickle test: a header length such as 640 (0x280) makes a real
  // safetensors file start with the bytes of a protocol-2 pickle.
  if (looksLikeSafetensors(head)) return 'safetensors'
  if (startsLikePickle(head)) {
    return TORCH_LEGACY_MAGIC.every((b, i) => head[2 + i] === b) ? 'pytorch-legacy' : 'pickle'
  }
  if (startsWith(head, [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])) return 'hdf5'
  if (startsWith(head, [0x50, 0x41, 0x52, 0x31])) return 'parquet'
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png'
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'jpeg'
  if (startsWith(head, [0x1f, 0x8b])) return 'gzip'
  if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd])) return 'zstd'
  if (startsWith(head, [0x42, 0x5a, 0x68]) && (head[3] ?? 0) >= 0x31 && (head[3] ?? 0) <= 0x39)
    return 'bz2'
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz'
  // The .lzma "alone" format has no magic; joblib and Python's lzma write
  // properties 0x5d and a dictionary size below 16 MiB, never text.
  if (startsWith(head, [0x5d, 0x00, 0x00])) return 'lzma'
  if (startsWith(head, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return '7z'
  if (startsWith(head, [0x04, 0x22, 0x4d, 0x18]) || startsWith(head, [0x02, 0x21, 0x4c, 0x18]))
    return 'lz4'
  if (isTarHeader(head)) return 'tar'
  if (looksLikeOnnx(head)) return 'onnx'
  return 'unknown'
}

/**
 * An 8-byte little-endian length then `{` and the start of a JSON member. A
 * text file could only match with eight printable characters in front,
 * which as a length would be petabytes, so those are left to text.
 */
function looksLikeSafetensors(head: Uint8Array): boolean {
  if (head.length < 10 || head[8] !== 0x7b) return false
  const next = head[9]
  if (
    next !== 0x22 &&
    next !== 0x7d &&
    next !== 0x20 &&
    next !== 0x0a &&
    next !== 0x0d &&
    next !== 0x09
  )
    return false
  const prefix = head.subarray(0, 8)
  return !prefix.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d)
}

/**
 * PROTO 2–5, the way every binary pickle since Python 2.3 begins.
 *
 * @example startsLikePickle(Uint8Array.of(0x80, 0x04, 0x95)) // true
 */
export function startsLikePickle(head: Uint8Array): boolean {
  return head[0] === 0x80 && (head[1] ?? 0) >= 2 && (head[1] ?? 0) <= 5
}

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return magic.every((b, i) => bytes[i] === b)
}
