import type { ScanFormat, ScanResult, ScanVerdict } from './types.ts'

/**
 * The per-file scan result the catalog and the static index publish, in the
 * spirit of Civitai's `pickleScanResult` and Hugging Face's import list: small
 * enough to sit beside every file of every version.
 */
export interface FileScanSummary {
  format: ScanFormat
  verdict: ScanVerdict
  verifiedFormat: boolean
  /** `NotApplicable` for formats without pickles; else how their imports fared. */
  pickleScanResult: 'NotApplicable' | 'Success' | 'Danger' | 'Error'
  /** Every distinct import, `module.name`, for pickle-based files. */
  imports?: string[]
  /** The imports that made the file unsafe. */
  dangerousImports?: string[]
  /** Distinct finding codes, for badges and filters. */
  codes: string[]
  /** Safetensors: tensor count, total parameters and the dtypes used. */
  tensors?: number
  parameters?: number
  dtypes?: string[]
}

const PICKLE_FORMATS = new Set<ScanFormat>(['pickle', 'pytorch-zip', 'pytorch-legacy'])

/**
 * Condenses a scan result to what is published per file.
 *
 * @example
 * summarizeScan(await scanPath('model.safetensors'))
 * // { format: 'safetensors', verdict: 'safe', verifiedFormat: true, pickleScanResult: 'NotApplicable', codes: [], tensors: 291, … }
 */
export function summarizeScan(result: ScanResult): FileScanSummary {
  const hasPickles = result.imports !== undefined || PICKLE_FORMATS.has(result.format)
  const summary: FileScanSummary = {
    format: result.format,
    verdict: result.verdict,
    verifiedFormat: result.verifiedFormat,
    pickleScanResult: !hasPickles
      ? 'NotApplicable'
      : result.verdict === 'unsafe'
        ? 'Danger'
        : result.verdict === 'error'
          ? 'Error'
          : 'Success',
    codes: [...new Set(result.findings.map((f) => f.code))].sort(),
  }
  if (result.imports) {
    const name = (i: { module: string; name: string }): string => `${i.module}.${i.name}`
    summary.imports = [...new Set(result.imports.map(name))].sort()
    const dangerous = [...new Set(result.imports.filter((i) => !i.allowed).map(name))].sort()
    if (dangerous.length > 0) summary.dangerousImports = dangerous
  }
  if (result.tensors) {
    summary.tensors = result.tensors.length
    summary.parameters = result.tensors.reduce((n, t) => n + t.params, 0)
    summary.dtypes = [...new Set(result.tensors.map((t) => t.dtype))].sort()
  }
  return summary
}
