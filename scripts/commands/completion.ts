import { AgoraError } from '#core/errors'
import { KINDS } from '#core/names'
import { parseCommandArgs } from '../cli/args.ts'
import { type Command, EXIT_OK } from './context.ts'
import { ALIASES, COMMANDS } from './index.ts'

const SHELLS = ['bash', 'zsh', 'fish'] as const
type Shell = (typeof SHELLS)[number]

const help = `Usage: agora completion <bash|zsh|fish>

Prints a shell completion script for agora: command names, each command's
options and subcommands (cache ls|verify|rm, new <kind>|owner, index build,
help <command>).

Install:
  bash   echo 'source <(agora completion bash)' >> ~/.bashrc
  zsh    echo 'source <(agora completion zsh)' >> ~/.zshrc
  fish   agora completion fish > ~/.config/fish/completions/agora.fish

Options:
  -h, --help    show this help

Exit status: 0 printed, 2 unknown shell.
`

/** What completes after `agora <command>`: its flags and its first words. */
export interface CompletionSpec {
  name: string
  summary: string
  flags: string[]
  words: string[]
}

/**
 * Every command's completions, read from its help text (every `--flag` it
 * names, and the `<a|b|c>` of its usage line), so the script never drifts
 * from the options the commands take.
 *
 * @example (await completionSpecs()).find((c) => c.name === 'cache')?.words // ['ls', 'verify', 'rm']
 */
export async function completionSpecs(): Promise<CompletionSpec[]> {
  const names = Object.keys(COMMANDS)
  const specs: CompletionSpec[] = []
  for (const name of names) {
    const command = await (COMMANDS[name] as () => Promise<Command>)()
    const flags = [...new Set(command.help.match(/--[a-z][a-z-]*/g) ?? [])].sort()
    const usage = new RegExp(`^Usage: agora ${name} <([a-z|]+)>`, 'm').exec(command.help)
    let words = usage?.[1]?.includes('|') ? usage[1].split('|') : []
    if (name === 'new') words = [...KINDS, 'owner']
    if (name === 'index') words = ['build']
    specs.push({ name, summary: command.summary, flags, words })
  }
  for (const [alias, target] of Object.entries(ALIASES)) {
    const of = specs.find((s) => s.name === target)
    if (of) specs.push({ ...of, name: alias, summary: `the same as "agora ${target}"` })
  }
  specs.push({
    name: 'help',
    summary: 'the help of a command',
    flags: [],
    words: [...names, ...Object.keys(ALIASES)],
  })
  return specs
}

/**
 * The completion script for one shell.
 *
 * @example completionScript('bash', specs) // '_agora() { … }\ncomplete -F _agora agora\n'
 */
export function completionScript(shell: Shell, specs: CompletionSpec[]): string {
  if (shell === 'fish') {
    const lines = ['# agora completion for fish', 'complete -c agora -f']
    for (const s of specs) {
      lines.push(
        `complete -c agora -n __fish_use_subcommand -a ${s.name} -d ${fishQuote(s.summary)}`,
      )
      for (const flag of s.flags)
        lines.push(
          `complete -c agora -n '__fish_seen_subcommand_from ${s.name}' -l ${flag.slice(2)}`,
        )
      if (s.words.length > 0)
        lines.push(
          `complete -c agora -n '__fish_seen_subcommand_from ${s.name}' -a ${fishQuote(s.words.join(' '))}`,
        )
    }
    return `${lines.join('\n')}\n`
  }
  const cases = specs.map(
    (s) => `    ${s.name}) flags='${s.flags.join(' ')}'; words='${s.words.join(' ')}' ;;`,
  )
  const bash = [
    '# agora completion for bash (and zsh through bashcompinit)',
    '_agora() {',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, not a template
    '  local cur=${COMP_WORDS[COMP_CWORD]}',
    '  if [ "$COMP_CWORD" -eq 1 ]; then',
    `    COMPREPLY=($(compgen -W '${specs.map((s) => s.name).join(' ')}' -- "$cur"))`,
    '    return',
    '  fi',
    '  local flags= words=',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, not a template
    '  case ${COMP_WORDS[1]} in',
    ...cases,
    '  esac',
    '  if [[ $cur == -* ]]; then',
    '    COMPREPLY=($(compgen -W "$flags" -- "$cur"))',
    '  elif [ "$COMP_CWORD" -eq 2 ] && [ -n "$words" ]; then',
    '    COMPREPLY=($(compgen -W "$words" -- "$cur"))',
    '  else',
    '    COMPREPLY=($(compgen -f -- "$cur"))',
    '  fi',
    '}',
    'complete -F _agora agora',
  ]
  if (shell === 'zsh') bash.splice(1, 0, 'autoload -U +X bashcompinit && bashcompinit')
  return `${bash.join('\n')}\n`
}

function fishQuote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

const command: Command = {
  summary: 'print a shell completion script (bash, zsh, fish)',
  help,
  async run(ctx) {
    const { positionals } = parseCommandArgs(
      'completion',
      ctx.argv,
      {},
      { positionals: { min: 1, max: 1 } },
    )
    const shell = positionals[0] as string
    if (!(SHELLS as readonly string[]).includes(shell)) {
      throw new AgoraError('cli/bad-argument', `agora completion: no script for "${shell}"`, {
        hint: `use one of ${SHELLS.join(', ')}`,
      })
    }
    ctx.stdout.write(completionScript(shell as Shell, await completionSpecs()))
    return EXIT_OK
  },
}

export default command
