import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../agora.ts'
import { captureStream } from '../cli/capture.ts'
import { COMMANDS } from './index.ts'

async function run(...argv: string[]) {
  const stdout = captureStream()
  const stderr = captureStream()
  const code = await main(argv, { cwd: process.cwd(), env: {}, stdout, stderr, fetch })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

describe('scripts/commands/completion', () => {
  let dir: string
  let script: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-completion-'))
    script = join(dir, 'agora.bash')
    const bash = await run('completion', 'bash')
    expect(bash.code).toBe(0)
    await writeFile(script, bash.stdout)
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  /** What bash offers for a command line, its last word being completed. */
  function complete(line: string): string[] {
    const out = execFileSync(
      'bash',
      [
        '-c',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, not a template
        'source "$1"; read -ra COMP_WORDS <<< "$2"; [[ $2 == *" " ]] && COMP_WORDS+=(""); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _agora; printf "%s\\n" "${COMPREPLY[@]}"',
        'complete',
        script,
        line,
      ],
      { encoding: 'utf8', cwd: dir },
    )
    return out.split('\n').filter(Boolean).sort()
  }

  it('completes commands, aliases, subcommands and each command’s own flags in bash', () => {
    expect(complete('agora pu')).toEqual(['publish', 'pull'])
    expect(complete('agora ins')).toEqual(['install'])
    expect(complete('agora pull --ind')).toEqual(['--index'])
    expect(complete('agora install --of')).toEqual(['--offline'])
    expect(complete('agora cache ')).toEqual(['ls', 'rm', 'verify'])
    expect(complete('agora cache rm --old')).toEqual(['--older-than'])
    expect(complete('agora new o')).toEqual(['owner'])
    expect(complete('agora help ca')).toEqual(['cache'])
    expect(complete('agora validate --like')).toEqual(['--like-ci'])
    expect(complete('agora scan --repair')).toEqual([])
    expect(complete('agora sea')).toEqual(['search'])
    expect(complete('agora li')).toEqual(['licence', 'list'])
    expect(complete('agora licence v')).toEqual(['verify'])
    expect(complete('agora list --so')).toEqual(['--sort'])
    expect(complete('agora search --li')).toEqual(['--license', '--limit'])
  })

  it('names every command in every shell, and zsh loads bash completion', async () => {
    execFileSync('bash', ['-n', script])
    const zsh = (await run('completion', 'zsh')).stdout
    expect(zsh).toContain('autoload -U +X bashcompinit && bashcompinit')
    const fish = (await run('completion', 'fish')).stdout
    for (const name of Object.keys(COMMANDS)) {
      expect(complete(`agora ${name.slice(0, -1)}`)).toContain(name)
      expect(fish).toContain(`-n __fish_use_subcommand -a ${name} -d '`)
    }
    expect(fish).toContain("complete -c agora -n '__fish_seen_subcommand_from pull' -l index")
    const listed = [...fish.matchAll(/-n __fish_use_subcommand -a (\S+)/g)].map((m) => m[1])
    expect(listed).toEqual([...new Set(listed)])
    expect(fish).toContain('-d \'the same as "agora pull"\'')
  })

  it('refuses a shell it has no script for', async () => {
    const result = await run('completion', 'tcsh')
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('use one of bash, zsh, fish')
  })
})
