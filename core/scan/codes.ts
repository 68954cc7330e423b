import type { Severity } from '#core/errors'

/** What every scan code means, how bad it is, and the default hint. */
export interface ScanCodeInfo {
  severity: Severity
  /** The file can run code or attack its reader, rather than just being unreadable. */
  unsafe?: boolean
  hint: string
}

/**
 * The catalogue of scan codes. Codes are stable (PR comments, the site's
 * per-file badges and docs/scanning.md key on them); a code is never renamed
 * or reused for another problem.
 */
export const SCAN_CODES = {
  'scan/read-failed': {
    severity: 'error',
    hint: 'check that the file exists and is readable, then scan again',
  },
  'scan/too-large': {
    severity: 'error',
    hint: 'split the file, or convert it to safetensors which needs only its header scanned',
  },
  'scan/unknown-format': {
    severity: 'warning',
    hint: 'Agora cannot look inside this format; prefer safetensors or GGUF for weights',
  },
  'scan/extension-mismatch': {
    severity: 'warning',
    hint: 'rename the file to match its real format, or convert it to the format its name claims',
  },
  'scan/unsafe-format': {
    severity: 'warning',
    hint: 'pickle-based files can run code when loaded; convert to safetensors (e.g. with safetensors.torch.save_file)',
  },
  'scan/safetensors-truncated': {
    severity: 'error',
    hint: 'the file is cut short; upload it again in full',
  },
  'scan/safetensors-header-too-large': {
    severity: 'error',
    hint: 'real safetensors headers are a few MiB; Agora reads at most 16 MiB (the format allows 100 MB), so the length prefix is probably corrupt or hostile',
  },
  'scan/safetensors-bad-header': {
    severity: 'error',
    hint: 'the header must be a UTF-8 JSON object; re-save the file with the safetensors library',
  },
  'scan/safetensors-duplicate-key': {
    severity: 'error',
    hint: 'each tensor name appears once; readers disagree on which duplicate wins',
  },
  'scan/safetensors-bad-metadata': {
    severity: 'error',
    hint: '__metadata__ maps strings to strings only; stringify other values (e.g. JSON-encode them)',
  },
  'scan/safetensors-bad-dtype': {
    severity: 'error',
    hint: 'use a dtype the safetensors format defines (F32, F16, BF16, I64, U8, BOOL, F8_E4M3 …)',
  },
  'scan/safetensors-bad-tensor': {
    severity: 'error',
    hint: 'each tensor has exactly dtype, shape (non-negative integers) and data_offsets [begin, end]',
  },
  'scan/safetensors-bad-offsets': {
    severity: 'error',
    hint: 'tensor byte ranges must start at 0, follow each other without gaps and never overlap',
  },
  'scan/safetensors-size-mismatch': {
    severity: 'error',
    hint: "a tensor's byte range must equal its shape times its dtype size",
  },
  'scan/safetensors-trailing-bytes': {
    severity: 'error',
    hint: 'remove the bytes after the last tensor; they are not part of any tensor',
  },
  'scan/pickle-dangerous-import': {
    severity: 'error',
    unsafe: true,
    hint: 'this import runs code or touches the system when the file is loaded; do not load it, convert the weights to safetensors from a trusted copy',
  },
  'scan/pickle-disallowed-import': {
    severity: 'error',
    unsafe: true,
    hint: 'only tensor-rebuilding and container globals are allowed; save plain state_dict tensors, or convert to safetensors',
  },
  'scan/pickle-unresolved-global': {
    severity: 'error',
    unsafe: true,
    hint: 'the pickle builds the name of an import at load time, which hides what it runs; re-save it with a standard pickler',
  },
  'scan/pickle-extension': {
    severity: 'error',
    unsafe: true,
    hint: 'copyreg extension codes import globals Agora cannot see; re-save without them',
  },
  'scan/pickle-malformed': {
    severity: 'error',
    hint: 'the pickle stream is corrupt or truncated; re-save the file',
  },
  'scan/npy-malformed': {
    severity: 'error',
    hint: 'the .npy header is corrupt; re-save the array with numpy.save',
  },
  'scan/zip-malformed': {
    severity: 'error',
    hint: 'the archive is corrupt or truncated; create it again',
  },
  'scan/zip-unsafe-path': {
    severity: 'error',
    unsafe: true,
    hint: 'archive entries must be relative paths with forward slashes and no ".." segments',
  },
  'scan/zip-symlink': {
    severity: 'error',
    unsafe: true,
    hint: 'archives may not hold symbolic links; store the file itself',
  },
  'scan/zip-bomb': {
    severity: 'error',
    unsafe: true,
    hint: 'the archive expands far beyond its size; upload the files uncompressed or split them',
  },
  'scan/zip-too-many-entries': {
    severity: 'error',
    unsafe: true,
    hint: 'split the archive into several files',
  },
  'scan/zip-overlap': {
    severity: 'error',
    unsafe: true,
    hint: 'entries share bytes, a zip-bomb technique; create the archive again with a standard tool',
  },
  'scan/zip-duplicate-entry': {
    severity: 'error',
    unsafe: true,
    hint: 'two entries have the same name and readers disagree on which one wins; keep one',
  },
  'scan/zip-header-mismatch': {
    severity: 'error',
    unsafe: true,
    hint: 'the local header of an entry disagrees with the central directory; create the archive again',
  },
  'scan/zip-bad-crc': {
    severity: 'warning',
    hint: 'the entry does not match its CRC-32; the archive is damaged, create it again',
  },
  'scan/nested-archive': {
    severity: 'error',
    hint: 'archives inside archives are opened four levels deep; upload the inner files themselves so each is scanned',
  },
  'scan/zip-encrypted': {
    severity: 'error',
    hint: 'encrypted entries cannot be scanned; upload the archive without a password',
  },
  'scan/zip-unsupported-method': {
    severity: 'error',
    hint: 'use stored or deflate compression, which every reader supports',
  },
  'scan/tar-malformed': {
    severity: 'error',
    hint: 'the tar archive is corrupt or truncated; create it again',
  },
  'scan/legacy-torch-tar': {
    severity: 'error',
    hint: 'this pre-1.0 torch format interleaves pickles with raw storages and cannot be fully inspected; re-save with a current torch.save, or better as safetensors',
  },
  'scan/torchscript': {
    severity: 'warning',
    hint: 'TorchScript code runs in the TorchScript interpreter when loaded with torch.jit.load; publish the weights as safetensors, or ONNX for a graph',
  },
  'scan/keras-lambda': {
    severity: 'error',
    unsafe: true,
    hint: 'Lambda layers carry Python bytecode that runs when the model is loaded with safe_mode off; rebuild the layer as a registered custom layer in code',
  },
  'scan/pickle-trailing-bytes': {
    severity: 'error',
    hint: 'bytes after the last pickle are not a pickle; loaders that read until the end would try them, so remove them or re-save the file',
  },
  'scan/pickle-frame-mismatch': {
    severity: 'error',
    unsafe: true,
    hint: 'a FRAME length disagrees with the opcodes inside it, so the C and Python unpicklers read different things; re-save with a standard pickler',
  },
  'scan/unsupported-compression': {
    severity: 'error',
    hint: 'Agora cannot decompress this stream (bz2, xz, lzma, lz4, 7z), so its contents were not checked; upload the files uncompressed, or gzip/zstd them',
  },
  'scan/compression-bomb': {
    severity: 'error',
    unsafe: true,
    hint: 'the stream expands far beyond its size (over 100:1 or past the size limit); upload the contents uncompressed or split them',
  },
  'scan/keras-custom-object': {
    severity: 'error',
    unsafe: true,
    hint: 'the config names a class or module outside Keras, which Keras imports when loading; register the layer in code shipped separately, or publish the weights as safetensors',
  },
  'scan/keras-malformed': {
    severity: 'error',
    hint: 'the Keras config is not valid JSON; save the model again with model.save',
  },
  'scan/safetensors-too-many-tensors': {
    severity: 'error',
    hint: 'no real model has this many tensors; the header is probably corrupt or hostile',
  },
  'scan/stream-corrupt': {
    severity: 'error',
    hint: 'the compressed stream is corrupt or truncated, so not all of it could be checked; compress the file again',
  },
  'scan/gguf-bad-magic': {
    severity: 'error',
    hint: 'a GGUF file starts with the bytes "GGUF"; convert the model with llama.cpp',
  },
  'scan/gguf-bad-version': {
    severity: 'error',
    hint: 'only GGUF versions 2 and 3 are accepted; convert with a current llama.cpp',
  },
  'scan/gguf-too-many': {
    severity: 'error',
    hint: 'the tensor or metadata count is beyond any real model; the header is probably corrupt',
  },
  'scan/gguf-malformed': {
    severity: 'error',
    hint: 'the GGUF header is corrupt or truncated; convert the model again',
  },
  'scan/gguf-out-of-bounds': {
    severity: 'error',
    hint: 'tensor data points past the end of the file; upload the file in full',
  },
  'scan/gguf-template-injection': {
    severity: 'error',
    unsafe: true,
    hint: 'the chat template reaches into Python internals (a known sandbox escape); use a plain Jinja chat template',
  },
  'scan/onnx-malformed': {
    severity: 'error',
    hint: 'the file does not parse as an ONNX ModelProto; export the model again',
  },
  'scan/onnx-bad-ir-version': {
    severity: 'error',
    hint: 'set ir_version (onnx.helper.make_model does) to a version ONNX defines',
  },
  'scan/onnx-no-graph': {
    severity: 'error',
    hint: 'an ONNX model needs a graph; export the model again',
  },
  'scan/onnx-no-opset': {
    severity: 'error',
    hint: 'declare opset_import (e.g. onnx.helper.make_opsetid("", 17))',
  },
  'scan/onnx-external-data-escape': {
    severity: 'error',
    unsafe: true,
    hint: 'external data must be a relative path inside the item, without ".." or a leading "/"',
  },
  'scan/peft-bad-config': {
    severity: 'error',
    hint: 'adapter_config.json must be a JSON object as written by peft save_pretrained',
  },
  'scan/peft-no-lora-tensors': {
    severity: 'error',
    hint: 'the weights hold no lora_A/lora_B tensors; upload adapter_model.safetensors',
  },
  'scan/peft-unpaired': {
    severity: 'error',
    hint: 'every lora_A tensor needs its lora_B and the other way round',
  },
  'scan/peft-rank-mismatch': {
    severity: 'error',
    hint: 'set r (or rank_pattern) in adapter_config.json to the rank the tensors have',
  },
  'scan/peft-target-missing': {
    severity: 'error',
    hint: 'list in target_modules only modules the adapter has weights for',
  },
  'scan/peft-base-model-mismatch': {
    severity: 'error',
    hint: "make base_model_name_or_path agree with the item's base_model",
  },
  'scan/peft-manifest-mismatch': {
    severity: 'error',
    hint: 'make r, lora_alpha and target_modules in the version manifest agree with adapter_config.json',
  },
} as const satisfies Record<string, ScanCodeInfo>

export type ScanCode = keyof typeof SCAN_CODES
