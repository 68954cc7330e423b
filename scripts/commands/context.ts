import type { Writable } from 'node:stream'

/** What a command gets from the entry point; commands never touch `process` themselves. */
export interface CommandContext {
  /** Arguments after the command name. */
  argv: string[]
  cwd: string
  env: Record<string, string | undefined>
  stdout: Writable & { isTTY?: boolean; columns?: number }
  stderr: Writable & { isTTY?: boolean; columns?: number }
  fetch: typeof globalThis.fetch
  /**
   * Resolves when the user asks a long-running command (a server) to stop:
   * SIGINT or SIGTERM from the entry point, whose handlers exist only once a
   * command calls this. Absent in tests, which stop servers their own way.
   */
  untilStopped?: () => Promise<void>
}

/** Exit codes every command shares: clean, problems found, could not run. */
export const EXIT_OK = 0
export const EXIT_PROBLEMS = 1
export const EXIT_FAILED = 2

export interface Command {
  /** One line for `agora --help`. */
  summary: string
  /** Full text for `agora <command> --help`. */
  help: string
  run(ctx: CommandContext): Promise<number>
}
