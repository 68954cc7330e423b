import { parseArgs } from 'node:util'
import { AgoraError, plural } from '#core/errors'
import { closestName } from '#core/names'

/** One option of a command, as `node:util` parseArgs takes it. */
export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
  multiple?: boolean
}

export type OptionSpecs = Record<string, OptionSpec>

/** The parsed value of each option: strings, booleans, or arrays of them with `multiple`. */
export type ParsedOptions<T extends OptionSpecs> = {
  [K in keyof T]?: T[K]['multiple'] extends true
    ? T[K]['type'] extends 'string'
      ? string[]
      : boolean[]
    : T[K]['type'] extends 'string'
      ? string
      : boolean
}

export interface ParsedArgs<T extends OptionSpecs> {
  values: ParsedOptions<T>
  positionals: string[]
}

/**
 * Parses a command's arguments with `node:util` parseArgs, strictly, and turns
 * its errors into an AgoraError (`cli/bad-argument`) whose hint points at the
 * command's help, so every command fails the same way on a typo.
 *
 * @example
 * const { values, positionals } = parseCommandArgs('validate', ctx.argv, {
 *   json: { type: 'boolean' },
 *   root: { type: 'string' },
 * })
 */
export function parseCommandArgs<T extends OptionSpecs>(
  command: string,
  argv: readonly string[],
  options: T,
  settings: { positionals?: { min?: number; max?: number } } = {},
): ParsedArgs<T> {
  let parsed: { values: Record<string, unknown>; positionals: string[] }
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: (settings.positionals?.max ?? Number.POSITIVE_INFINITY) > 0,
    })
  } catch (error) {
    const near = nearestOption(error, [...Object.keys(options), 'help'])
    throw new AgoraError('cli/bad-argument', `agora ${command}: ${describeParseError(error)}`, {
      hint: `${near ? `did you mean --${near}? ` : ''}run "agora ${command} --help" for the options`,
      cause: error,
    })
  }
  const { min = 0, max = Number.POSITIVE_INFINITY } = settings.positionals ?? {}
  if (parsed.positionals.length < min) {
    throw new AgoraError(
      'cli/bad-argument',
      `agora ${command}: expected ${min === max ? '' : 'at least '}${plural(min, 'argument')}, got ${parsed.positionals.length}`,
      { hint: `run "agora ${command} --help" for the usage` },
    )
  }
  if (parsed.positionals.length > max) {
    throw new AgoraError(
      'cli/bad-argument',
      `agora ${command}: unexpected argument "${parsed.positionals[max]}"`,
      { hint: `run "agora ${command} --help" for the usage` },
    )
  }
  return { values: parsed.values as ParsedOptions<T>, positionals: parsed.positionals }
}

/** parseArgs messages are good but long; keep their first sentence, which names the option. */
function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const first = message.split('. ')[0] ?? message
  return first.endsWith('.') ? first.slice(0, -1) : first
}

/**
 * The option an unknown `--name` was most likely meant to be: one or two edits
 * away (one below five letters), or undefined.
 *
 * @example nearestOption(unknownOptionError('--tot'), ['to', 'force']) // 'to'
 */
function nearestOption(error: unknown, names: readonly string[]): string | undefined {
  if ((error as { code?: unknown } | undefined)?.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return
  const given = /'--([^'=]+)/.exec(error instanceof Error ? error.message : '')?.[1]
  if (!given) return
  return closestName(given, names, given.length < 5 ? 1 : 2)
}
