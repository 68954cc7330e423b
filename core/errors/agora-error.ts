import type { Issue } from './issue.ts'

/** Where a problem sits in a file; line and col are 1-based. */
export interface SourcePosition {
  file?: string
  line?: number
  col?: number
}

export interface AgoraErrorOptions extends SourcePosition {
  hint?: string
  cause?: unknown
}

/**
 * A failure a user can act on: a stable code, a message saying what is wrong,
 * where, and a hint saying how to fix it. Thrown only when work cannot go on;
 * validators return issues instead.
 *
 * @example
 * throw new AgoraError('storage/unreachable', 'S3 endpoint refused the connection', {
 *   hint: 'check storage.endpoint in registry/agora.yaml',
 *   cause: err,
 * })
 */
export class AgoraError extends Error {
  readonly code: string
  readonly hint: string | undefined
  readonly file: string | undefined
  readonly line: number | undefined
  readonly col: number | undefined

  constructor(code: string, message: string, options: AgoraErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'AgoraError'
    this.code = code
    this.hint = options.hint
    this.file = options.file
    this.line = options.line
    this.col = options.col
  }

  /** The error as an issue, so entry points present both the same way. */
  toIssue(): Issue {
    return {
      code: this.code,
      severity: 'error',
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.file === undefined ? {} : { file: this.file }),
      ...(this.line === undefined ? {} : { line: this.line }),
      ...(this.col === undefined ? {} : { col: this.col }),
    }
  }
}

/** True for an AgoraError, also across module copies. */
export function isAgoraError(value: unknown): value is AgoraError {
  return value instanceof Error && value.name === 'AgoraError' && 'code' in value
}
