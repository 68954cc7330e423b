import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join, resolve, sep } from 'node:path'
import { satisfies } from 'semver'
import { describe, expect, it } from 'vitest'
import { main } from './agora.ts'
import { captureStream } from './cli/capture.ts'
import { closestCommands } from './commands/index.ts'
import { PACKAGE_NODE_RANGE } from './package/build.ts'

const project = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string
  bin: Record<string, string>
}

async function run(argv: string[]) {
  const stdout = captureStream()
  const stderr = captureStream()
  const code = await main(argv, { cwd: process.cwd(), env: {}, stdout, stderr, fetch })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

describe('scripts/agora', () => {
  it("prints package.json's version", async () => {
    const { code, stdout } = await run(['--version'])
    expect(code).toBe(0)
    expect(stdout).toBe(`agora ${project.version}\n`)
  })

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

  it('lines up every command summary in one column, the longest names included', async () => {
    const { stdout } = await run(['--help'])
    const rows = stdout.split('\n').filter((l) => /^ {2}[a-z]+ {2,}\S/.test(l))
    expect(rows.map((l) => l.split(' ')[2])).toEqual(
      expect.arrayContaining(['undeprecate', 'completion']),
    )
    expect(new Set(rows.map((l) => l.search(/(?<=\S {2,})\S/))).size).toBe(1)
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

describe('scripts/agora through npx in a checkout', () => {
  // npm runs on whatever Node the system has; the checkout's own commands run
  // on the `node` dev dependency. A first `npx agora` links the checkout into
  // npm's npx cache and checks its package.json `engines` against the Node
  // running npm, warning (EBADENGINE) before the command prints a thing.
  const path = (process.env['PATH'] ?? '')
    .split(delimiter)
    .filter((dir) => !dir.includes(`node_modules${sep}`) && !dir.endsWith('node_modules'))
    .join(delimiter)
  // Settings an npm script passes down (npm_config_call under `npm exec -c`) are not the user's.
  const npmFree = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)),
  )
  const systemNode = spawnSync('node', ['--version'], { env: { PATH: path }, encoding: 'utf8' })
  const olderNode =
    systemNode.status === 0 && !satisfies(systemNode.stdout.trim(), PACKAGE_NODE_RANGE)

  it.skipIf(!olderNode)(
    'prints only the command output when npm runs on an older Node',
    async () => {
      const cache = await mkdtemp(join(tmpdir(), 'agora-npx-cache-'))
      try {
        const result = spawnSync('npx', ['agora', '--version'], {
          cwd: resolve(import.meta.dirname, '..'),
          env: { ...npmFree, PATH: path, npm_config_cache: cache, npm_config_offline: 'true' },
          encoding: 'utf8',
          timeout: 120_000,
        })
        expect(result.stderr).toBe('')
        expect(result.stdout).toBe(`agora ${project.version}\n`)
      } finally {
        await rm(cache, { recursive: true, force: true })
      }
    },
    150_000,
  )
})

describe('scripts/bin/agora', () => {
  const root = resolve(import.meta.dirname, '..')
  const launcher = join(root, 'scripts/bin/agora.js')
  // Reports, as the process exits, whether Node loaded its TypeScript stripper.
  const probe = `data:text/javascript,${encodeURIComponent(
    "process.on('exit', () => process.stderr.write('stripper ' + process.moduleLoadList.some((m) => m.includes('amaro')) + '\\n'))",
  )}`
  /** Runs `node [preload] file --version` with a fresh temp folder, where Node keeps its default compile cache. */
  const start = (file: string, tmp: string, preload: string[] = []) => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => name !== 'NODE_COMPILE_CACHE'),
    )
    return spawnSync(process.execPath, [...preload, file, '--version'], {
      env: { ...env, TMPDIR: tmp, TMP: tmp, TEMP: tmp },
      encoding: 'utf8',
    })
  }

  it('is the command package.json names', () => {
    expect(resolve(root, project.bin['agora'] as string)).toBe(launcher)
  })

  it('starts from the compile cache without loading the TypeScript stripper', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'agora-launcher-'))
    try {
      const runs = [1, 2].map(() => start(launcher, tmp, ['--import', probe]))
      for (const run of runs) expect(run.stdout).toBe(`agora ${project.version}\n`)
      expect(runs.map((run) => run.stderr)).toEqual(['stripper true\n', 'stripper false\n'])
      // Started at the TypeScript entry, Node strips it before anything turns the cache on.
      const direct = start(join(root, 'scripts/agora.ts'), tmp, ['--import', probe])
      expect(direct.stdout).toBe(`agora ${project.version}\n`)
      expect(direct.stderr).toBe('stripper true\n')
    } finally {
      await rm(tmp, { recursive: true, force: true })
    }
  })

  it('names the Node it needs when an older one starts it', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'agora-launcher-'))
    try {
      for (const version of ['20.19.5', '22.17.1', '18.0.0', '23.5.0']) {
        const older = `data:text/javascript,${encodeURIComponent(
          `Object.defineProperty(process.versions, 'node', { value: '${version}' })`,
        )}`
        const run = start(launcher, tmp, ['--import', older])
        expect(run.status).toBe(2)
        expect(run.stdout).toBe('')
        expect(run.stderr).toBe(
          `agora: needs Node 22.18 or later, 23.6 in the 23 line (it runs TypeScript directly); this is Node ${version}\n  hint: run "npm install" in the checkout, then "npx agora …": npm puts the Node it installs first on the PATH\n`,
        )
      }
      expect(start(launcher, tmp).status).toBe(0)
      const newer = `data:text/javascript,${encodeURIComponent(
        "Object.defineProperty(process.versions, 'node', { value: '23.6.0' })",
      )}`
      expect(start(launcher, tmp, ['--import', newer]).status).toBe(0)
    } finally {
      await rm(tmp, { recursive: true, force: true })
    }
  })
})
