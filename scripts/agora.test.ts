import { describe, expect, it } from 'vitest'
import { main } from './agora.ts'
import { captureStream } from './cli/capture.ts'
import { closestCommands } from './commands/index.ts'

async function run(argv: string[]) {
  const stdout = captureStream()
  const stderr = captureStream()
  const code = await main(argv, { cwd: process.cwd(), env: {}, stdout, stderr, fetch })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

describe('scripts/agora', () => {
  it('answers "help <command>" as "<command> --help"', async () => {
    for (const name of ['pull', 'validate', 'cache', 'scan']) {
      const viaHelp = await run(['help', name])
      const viaFlag = await run([name, '--help'])
      expect(viaHelp.code).toBe(0)
      expect(viaHelp.stdout).toBe(viaFlag.stdout)
      expect(viaHelp.stdout).toContain(`agora ${name}`)
    }
  })

  it('takes install as another name for pull, and lists it', async () => {
    expect((await run(['install', '--help'])).stdout).toBe((await run(['pull', '--help'])).stdout)
    const bare = await run(['install'])
    expect(bare).toEqual(await run(['pull']))
    expect((await run(['--help'])).stdout).toMatch(/ {2}install +the same as "agora pull"/)
  })

  it('suggests the command a typo was meant to be', async () => {
    for (const [typo, meant] of [
      ['pul', 'pull'],
      ['vaildate', 'validate'],
      ['instal', 'install'],
      ['cahce', 'cache'],
      ['sacn', 'scan'],
    ] as const) {
      const result = await run([typo])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain(`unknown command "${typo}"`)
      expect(result.stderr).toContain(`did you mean "agora ${meant}"`)
    }
    expect(await closestCommands('pu')).toEqual(['pull', 'publish'])
    expect((await run(['frobnicate'])).stderr).not.toContain('did you mean')
  })

  it('treats names of object properties and escape sequences as unknown commands', async () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const result = await run([name])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain(`unknown command "${name}"`)
    }
    const escaped = await run(['\u001b[2Jok'])
    expect(escaped.stderr).toContain('unknown command "\\x1b[2Jok"')
    expect(escaped.stderr).not.toContain('\u001b')
  })
})
