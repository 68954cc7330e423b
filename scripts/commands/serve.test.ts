import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const agora = resolve(import.meta.dirname, '../agora.ts')

describe('scripts/commands/serve', () => {
  let root: string
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'agora-serve-'))
    await writeFile(join(root, 'hello.txt'), 'hello\n')
  })
  afterAll(() => rm(root, { recursive: true, force: true }))

  it('serves a built hub until SIGTERM, then closes and exits 0', async () => {
    const child = spawn(process.execPath, [agora, 'serve', '--root', root, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    const url = await new Promise<string>((found, fail) => {
      child.stdout.on('data', (d) => {
        out += d
        const match = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
        if (match?.[1]) found(match[1])
      })
      child.on('exit', (code) => fail(new Error(`exited ${code} before serving: ${err}`)))
    })
    const answer = await fetch(`${url}/hello.txt`)
    expect(answer.status).toBe(200)
    expect(await answer.text()).toBe('hello\n')
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(err).toBe('')
  })
})
