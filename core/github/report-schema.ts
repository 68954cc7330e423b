import { Ajv, type ErrorObject } from 'ajv'
import type { Issue, Severity, Validated } from '#core/errors'
import { LABELS, type Label } from './labels.ts'

/**
 * The validation report: what the unprivileged `validate` workflow computes and
 * the privileged `report` workflow posts. It crosses a trust boundary as an
 * artifact a pull request could have forged, so it is plain data with a fixed,
 * versioned shape, and every string in it has a length cap.
 */
export const REPORT_VERSION = 1

/** Largest report file the privileged side will read, in bytes. */
export const MAX_REPORT_BYTES = 2 * 1024 * 1024

/** Caps on strings and lists; the report builder truncates to them, the parser refuses beyond them. */
export const REPORT_LIMITS = {
  code: 100,
  message: 2000,
  hint: 1000,
  path: 512,
  sha: 64,
  login: 39,
  ref: 256,
  issues: 1000,
  scans: 1000,
  findings: 50,
  blobs: 5000,
  items: 1000,
  list: 1000,
} as const

export type ScanVerdict = 'safe' | 'unsafe' | 'error'
export type BlobStatus = 'ok' | 'missing' | 'size-mismatch' | 'hash-mismatch' | 'error'

export interface ReportIssue {
  code: string
  severity: Severity
  message: string
  hint?: string
  file?: string
  line?: number
  col?: number
}

export interface ReportFinding {
  code: string
  severity: Severity
  message: string
}

/** The scan of one added file. */
export interface ReportScan {
  /** Path of the file inside its item, as listed in the version manifest. */
  path: string
  /** The version manifest that lists the file. */
  manifest: string
  sha256: string
  format: string
  verdict: ScanVerdict
  /** True when the bytes were recognised as the format the name claims. */
  verifiedFormat: boolean
  findings: ReportFinding[]
}

/** Whether one file a version lists is in storage with the size and hash it claims. */
export interface ReportBlob {
  path: string
  manifest: string
  sha256: string
  size: number
  status: BlobStatus
  message?: string
}

/** One item the pull request touches. */
export interface ReportItem {
  /** `[kind/]ns/name`, as formatRef writes it. */
  ref: string
  /** True when the item did not exist at the base. */
  added: boolean
  addedVersions: string[]
  addedFiles: string[]
  modifiedFiles: string[]
  deletedFiles: string[]
}

/** The change set of the pull request, summarised. */
export interface ReportChanges {
  items: ReportItem[]
  /** Namespaces (owners/<ns>.yaml) that did not exist at the base. */
  newNamespaces: string[]
  /** Items or namespaces whose owners or members change. */
  ownershipChanges: string[]
  /** Changed paths outside registry/ (or in its schemas and hub settings). */
  outsideRegistry: string[]
  /** True when every change adds version files to existing items and nothing else. */
  onlyAddsVersions: boolean
  /** Total changed files, including any not listed above. */
  filesChanged: number
}

export interface ValidationReport {
  version: typeof REPORT_VERSION
  /** ISO time the report was made. */
  createdAt: string
  pullRequest: {
    number: number
    author: string
    baseSha: string
    headSha: string
  }
  /** True when no issue, scan or blob check is an error. */
  ok: boolean
  issues: ReportIssue[]
  scans: ReportScan[]
  blobs: ReportBlob[]
  changes: ReportChanges
  labels: Label[]
  /** True when some lists were cut to the caps above. */
  truncated: boolean
}

const L = REPORT_LIMITS
const str = (maxLength: number, minLength = 0) => ({ type: 'string', minLength, maxLength })
const sha = { type: 'string', pattern: '^[0-9a-f]{40}([0-9a-f]{24})?$' }
const sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$' }
const severity = { enum: ['error', 'warning', 'note'] }
const position = { type: 'integer', minimum: 1, maximum: 10_000_000 }
const strList = (maxItems: number, maxLength: number) => ({
  type: 'array',
  maxItems,
  items: str(maxLength, 1),
})
const closed = (properties: Record<string, unknown>, required: string[]) => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties,
})

/** The JSON Schema of a report; `additionalProperties: false` everywhere. */
export const VALIDATION_REPORT_SCHEMA = closed(
  {
    version: { const: REPORT_VERSION },
    createdAt: { type: 'string', maxLength: 40, pattern: '^\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z$' },
    pullRequest: closed(
      {
        number: { type: 'integer', minimum: 1, maximum: 2_147_483_647 },
        author: { type: 'string', pattern: '^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(\\[bot\\])?$' },
        baseSha: sha,
        headSha: sha,
      },
      ['number', 'author', 'baseSha', 'headSha'],
    ),
    ok: { type: 'boolean' },
    issues: {
      type: 'array',
      maxItems: L.issues,
      items: closed(
        {
          code: str(L.code, 1),
          severity,
          message: str(L.message),
          hint: str(L.hint),
          file: str(L.path),
          line: position,
          col: position,
        },
        ['code', 'severity', 'message'],
      ),
    },
    scans: {
      type: 'array',
      maxItems: L.scans,
      items: closed(
        {
          path: str(L.path, 1),
          manifest: str(L.path, 1),
          sha256,
          format: str(L.code, 1),
          verdict: { enum: ['safe', 'unsafe', 'error'] },
          verifiedFormat: { type: 'boolean' },
          findings: {
            type: 'array',
            maxItems: L.findings,
            items: closed({ code: str(L.code, 1), severity, message: str(L.message) }, [
              'code',
              'severity',
              'message',
            ]),
          },
        },
        ['path', 'manifest', 'sha256', 'format', 'verdict', 'verifiedFormat', 'findings'],
      ),
    },
    blobs: {
      type: 'array',
      maxItems: L.blobs,
      items: closed(
        {
          path: str(L.path, 1),
          manifest: str(L.path, 1),
          sha256,
          size: { type: 'integer', minimum: 0 },
          status: { enum: ['ok', 'missing', 'size-mismatch', 'hash-mismatch', 'error'] },
          message: str(L.message),
        },
        ['path', 'manifest', 'sha256', 'size', 'status'],
      ),
    },
    changes: closed(
      {
        items: {
          type: 'array',
          maxItems: L.items,
          items: closed(
            {
              ref: str(L.ref, 1),
              added: { type: 'boolean' },
              addedVersions: strList(L.list, L.code),
              addedFiles: strList(L.list, L.path),
              modifiedFiles: strList(L.list, L.path),
              deletedFiles: strList(L.list, L.path),
            },
            ['ref', 'added', 'addedVersions', 'addedFiles', 'modifiedFiles', 'deletedFiles'],
          ),
        },
        newNamespaces: strList(L.list, L.ref),
        ownershipChanges: strList(L.list, L.ref),
        outsideRegistry: strList(L.list, L.path),
        onlyAddsVersions: { type: 'boolean' },
        filesChanged: { type: 'integer', minimum: 0 },
      },
      [
        'items',
        'newNamespaces',
        'ownershipChanges',
        'outsideRegistry',
        'onlyAddsVersions',
        'filesChanged',
      ],
    ),
    labels: { type: 'array', maxItems: LABELS.length, uniqueItems: true, items: { enum: LABELS } },
    truncated: { type: 'boolean' },
  },
  [
    'version',
    'createdAt',
    'pullRequest',
    'ok',
    'issues',
    'scans',
    'blobs',
    'changes',
    'labels',
    'truncated',
  ],
)

// One compiled validator for the process: the schema is a constant.
let compiled: ReturnType<Ajv['compile']> | undefined
function reportValidator(): ReturnType<Ajv['compile']> {
  compiled ??= new Ajv({ allErrors: false, strict: true }).compile(VALIDATION_REPORT_SCHEMA)
  return compiled
}

/**
 * Reads a report as hostile data: refuses it when it is too large, not JSON,
 * of another version, has unknown fields, or any string or list beyond its cap.
 * Never throws.
 *
 * @example
 * const { value, issues } = parseReport(await readFile('agora-report.json'))
 * if (!value) for (const issue of issues) console.error(formatIssue(issue))
 */
export function parseReport(
  input: string | Uint8Array,
  file = 'agora-report.json',
): Validated<ValidationReport> {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength
  if (size > MAX_REPORT_BYTES) {
    return refuse(
      'github/report-too-large',
      `${file} is ${size} bytes, more than the ${MAX_REPORT_BYTES} a report may have`,
      'the validate action caps every list; a larger file did not come from it',
      file,
    )
  }
  const text =
    typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: false }).decode(input)
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    return refuse(
      'github/report-not-json',
      `${file} is not JSON: ${error instanceof Error ? error.message.slice(0, 200) : 'parse error'}`,
      'the report must be the JSON file the validate action wrote',
      file,
    )
  }
  const validate = reportValidator()
  if (!validate(data)) {
    return refuse(
      'github/report-invalid',
      `${file} does not match report version ${REPORT_VERSION}: ${describeError(validate.errors?.[0])}`,
      'run the validate action of the same Agora version as the report workflow',
      file,
    )
  }
  return { value: data as ValidationReport, issues: [] }
}

function describeError(error: ErrorObject | undefined): string {
  if (!error) return 'unknown error'
  const where = error.instancePath || '/'
  const extra =
    error.keyword === 'additionalProperties'
      ? ` (${String((error.params as { additionalProperty?: unknown }).additionalProperty).slice(0, 60)})`
      : ''
  return `${where} ${error.message ?? error.keyword}${extra}`.slice(0, 300)
}

function refuse(
  code: string,
  message: string,
  hint: string,
  file: string,
): Validated<ValidationReport> {
  const issue: Issue = { code, severity: 'error', message, hint, file }
  return { value: undefined, issues: [issue] }
}
