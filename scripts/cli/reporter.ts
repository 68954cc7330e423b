import type { Writable } from 'node:stream'
import type { Issue } from '#core/errors'
// The leaf module, not the #core/client barrel: every command prints through here.
import { escapeJsonForTerminal, sanitizeForTerminal } from '../../core/client/terminal-text.ts'
import { formatIssues } from './format.ts'
import { createProgress, type Progress } from './progress.ts'

type Stream = Writable & { isTTY?: boolean; columns?: number }

/**
 * How a command talks to the user, the same way in every command. Text is
 * passed through sanitizeForTerminal, since much of it quotes a hub (titles,
 * yank reasons, paths): no escape sequence from a hub reaches the terminal.
 */
export interface Reporter {
  /** True under `--json`: stdout then holds exactly one JSON document. */
  readonly json: boolean
  /** A line of human output on stdout; dropped under `--json`. */
  info(text: string): void
  /** A line on stderr, in both modes: something the user should see even when piping. */
  warn(text: string): void
  /** Issues as `file:line:col  code  message` blocks on stdout; dropped under `--json`. */
  issues(issues: readonly Issue[]): void
  /** The command's result: pretty JSON on stdout under `--json`, nothing otherwise. */
  result(value: unknown): void
  /** A progress bar on stderr, drawn only when stderr is a TTY and not under `--json`. */
  progress(options: { label: string; total?: number }): Progress
}

/**
 * Creates the reporter a command prints through, so text, `--json` and
 * progress output follow one set of rules across commands.
 *
 * @example
 * const report = createReporter(ctx, values.json === true)
 * report.issues(issues)
 * report.info(formatSummary(summarizeIssues(issues)))
 * report.result({ ok: true, issues })
 */
export function createReporter(
  streams: { stdout: Stream; stderr: Stream },
  json: boolean,
): Reporter {
  const { stdout, stderr } = streams
  return {
    json,
    info(text) {
      if (!json) stdout.write(`${sanitizeForTerminal(text, { keepNewlines: true })}\n`)
    },
    warn(text) {
      stderr.write(`${sanitizeForTerminal(text, { keepNewlines: true })}\n`)
    },
    issues(issues) {
      if (json || issues.length === 0) return
      stdout.write(`${sanitizeForTerminal(formatIssues(issues), { keepNewlines: true })}\n\n`)
    },
    result(value) {
      if (json) stdout.write(`${escapeJsonForTerminal(JSON.stringify(value, null, 2))}\n`)
    },
    progress({ label, total }) {
      // Under --json a bar on stderr would still interleave with tools reading both streams.
      return createProgress({
        stream: stderr,
        label: sanitizeForTerminal(label),
        enabled: !json && stderr.isTTY === true,
        ...(total === undefined ? {} : { total }),
      })
    },
  }
}
