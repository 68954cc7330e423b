import { SCAN_CODES, type ScanCode, type ScanCodeInfo } from './codes.ts'
import type { Finding, ScanVerdict } from './types.ts'

/**
 * A finding with the catalogue's severity, unsafe flag and default hint.
 *
 * @example
 * makeFinding('model.bin', 'scan/pickle-dangerous-import', 'imports os.system')
 */
export function makeFinding(
  file: string,
  code: ScanCode,
  message: string,
  hint?: string,
  severity?: Finding['severity'],
): Finding {
  const info: ScanCodeInfo = SCAN_CODES[code]
  return {
    code,
    severity: severity ?? info.severity,
    message,
    hint: hint ?? info.hint,
    file,
    ...(info.unsafe ? { unsafe: true } : {}),
  }
}

/**
 * Stops a parser at the first fatal problem; scanners catch it and record the
 * finding, so a hostile file can never throw past `scanFile`.
 *
 * @example
 * throw new ScanStop(makeFinding('m.gguf', 'scan/gguf-malformed', 'string runs past the end'))
 */
export class ScanStop extends Error {
  readonly finding: Finding
  constructor(finding: Finding) {
    super(finding.message)
    this.name = 'ScanStop'
    this.finding = finding
  }
}

/**
 * Shorthand for throwing a {@link ScanStop}.
 *
 * @example stop('a.gguf', 'scan/gguf-malformed', 'string runs past the end of the file')
 */
export function stop(file: string, code: ScanCode, message: string, hint?: string): never {
  throw new ScanStop(makeFinding(file, code, message, hint))
}

/**
 * The verdict from findings: anything unsafe wins, then any error (the scan
 * could not vouch for the file, so it fails closed), else safe.
 *
 * @example verdictOf([]) // 'safe'
 */
export function verdictOf(findings: readonly Finding[]): ScanVerdict {
  if (findings.some((f) => f.unsafe)) return 'unsafe'
  if (findings.some((f) => f.severity === 'error')) return 'error'
  return 'safe'
}
