#!/usr/bin/env node
import { realpathSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { enableCompileCache } from 'node:module'
import { fileURLToPath } from 'node:url'
import { formatIssue, isAgoraError } from '#core/errors'
// The leaf module, not the #core/client barrel: the entry point must start fast.
import { escapeJsonForTerminal, sanitizeForTerminal } from '../core/client/terminal-text.ts'
import { type CommandContext, EXIT_FAILED, EXIT_OK } from './commands/context.ts'
import { ALIASES, COMMANDS, closestCommands } from './commands/index.ts'

/** The version in the package.json beside scripts/ (the checkout's, or the installed package's). */
async function ownVersion(): Promise<string> {
  const manifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'))
  return String(manifest.version)
}

/** Parses argv, dispatches to scripts/commands/<command>.ts and owns the exit code. */
export async function main(argv: string[], ctx: Omit<CommandContext, 'argv'>): Promise<number> {
  const [first, ...more] = argv
  // `agora help <command>` is `agora <command> --help`.
  const words = first === 'help' && more.length > 0 ? [more[0] as string, '--help'] : argv
  const [given, ...rest] = words
  if (!given || given === '--help' || given === '-h' || given === 'help') {
    ctx.stdout.write(await usage())
    return given ? EXIT_OK : EXIT_FAILED
  }
  if (given === '--version') {
    ctx.stdout.write(`agora ${await ownVersion()}\n`)
    return EXIT_OK
  }
  const name = (Object.hasOwn(ALIASES, given) ? ALIASES[given] : undefined) ?? given
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  if (!load) {
    const near = await closestCommands(given)
    const shown = sanitizeForTerminal(given)
    ctx.stderr.write(
      `agora: unknown command "${shown}"\n  hint: ${near.length > 0 ? `did you mean ${near.map((n) => `"agora ${n}"`).join(' or ')}? ` : ''}run "agora --help" for the list\n`,
    )
    return EXIT_FAILED
  }
  const command = await load()
  if (rest.includes('--help') || rest.includes('-h')) {
    ctx.stdout.write(`${command.help.trimEnd()}\n`)
    return EXIT_OK
  }
  const json = rest.some((a) => a === '--json' || a.startsWith('--json='))
  try {
    return await command.run({ ...ctx, argv: rest })
  } catch (error) {
    const issue = isAgoraError(error)
      ? error.toIssue()
      : {
          code: 'cli/internal',
          severity: 'error' as const,
          message: `agora ${name}: ${error instanceof Error ? error.message : String(error)}`,
        }
    if (json) {
      ctx.stdout.write(
        `${escapeJsonForTerminal(JSON.stringify({ ok: false, error: issue }, null, 2))}\n`,
      )
    } else {
      // Messages quote hub documents (reasons, paths, ids): a line break or an
      // escape sequence in them must not draw a line of its own on the terminal.
      ctx.stderr.write(
        `${sanitizeForTerminal(
          formatIssue({
            ...issue,
            message: sanitizeForTerminal(issue.message),
            ...(issue.file === undefined ? {} : { file: sanitizeForTerminal(issue.file) }),
          }),
          { keepNewlines: true },
        )}\n`,
      )
    }
    return EXIT_FAILED
  }
}

async function usage(): Promise<string> {
  const lines = ['Usage: agora <command> [options]', '', 'Commands:']
  const width = Math.max(
    ...[...Object.keys(COMMANDS), ...Object.keys(ALIASES)].map((n) => n.length),
  )
  for (const [name, load] of Object.entries(COMMANDS)) {
    const command = await load().catch(() => undefined)
    if (command) lines.push(`  ${name.padEnd(width)}  ${command.summary}`)
  }
  for (const [alias, name] of Object.entries(ALIASES))
    lines.push(`  ${alias.padEnd(width)}  the same as "agora ${name}"`)
  lines.push(
    '',
    'Run "agora <command> --help" (or "agora help <command>") for the options of a command.',
    '',
  )
  return lines.join('\n')
}

/** Runs the command line on this process's argv and streams, setting its exit code. */
export async function runCli(): Promise<void> {
  // Commands load lazily; caching their compiled (type-stripped) code saves
  // about a second and a third of the memory on every later start.
  enableCompileCache()
  // `agora … | head` closes the pipe early: that is the reader's choice, not a failure.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0)
      throw error
    })
  }
  const code = await main(process.argv.slice(2), {
    cwd: process.cwd(),
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    fetch: globalThis.fetch,
    untilStopped: () =>
      new Promise((stop) => {
        process.once('SIGINT', () => stop())
        process.once('SIGTERM', () => stop())
      }),
  })
  process.exitCode = code
}

if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  await runCli()
}
