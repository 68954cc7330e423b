import type { Writable } from 'node:stream'
import { formatIssue, isAgoraError } from '#core/errors'
// The leaf module, not the #core/client barrel, as in the agora entry point.
import { sanitizeForTerminal } from '../../core/client/terminal-text.ts'
import { EXIT_FAILED, EXIT_OK } from '../commands/context.ts'

/**
 * Runs the body of an npm script (`npm start`, `npm run build`) and ends an
 * AgoraError as the agora CLI does: `code  message` and its hint on stderr and
 * exit status 2, not a stack trace and an object dump. Other errors are bugs
 * and propagate with their stack.
 *
 * @example process.exitCode = await runScript(() => buildHub(), process.stderr)
 */
export async function runScript(body: () => Promise<unknown>, stderr: Writable): Promise<number> {
  try {
    await body()
    return EXIT_OK
  } catch (error) {
    if (!isAgoraError(error)) throw error
    const issue = error.toIssue()
    stderr.write(`${sanitizeForTerminal(formatIssue(issue), { keepNewlines: true })}\n`)
    return EXIT_FAILED
  }
}
