import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../agora.ts'
import { captureStream } from '../cli/capture.ts'

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

  async function run(...argv: string[]) {
    const stdout = captureStream()
    const stderr = captureStream()
    const code = await main(argv, { cwd: root, env: {}, stdout, stderr, fetch: globalThis.fetch })
    return { code, stdout: stdout.text(), stderr: stderr.text() }
  }

  it('says what to do when there is no built hub, rather than a raw ENOENT', async () => {
    const result = await run('serve', '--root', join(root, 'no-such-dist'), '--port', '0')
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('cli/bad-argument  agora serve: there is no built hub at')
    expect(result.stderr).toContain('hint: build one first ("npm run build" writes dist/')
    expect(result.stderr).not.toContain('ENOENT')
  })

  it('says the port is taken and how to pick another, rather than a raw EADDRINUSE', async () => {
    const taken = createServer()
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done))
    const { port } = taken.address() as { port: number }
    try {
      const result = await run('serve', '--root', root, '--port', String(port))
      expect(result.code).toBe(2)
      expect(result.stderr).toContain(
        `cli/port-in-use  agora serve: 127.0.0.1:${port} is already in use`,
      )
      expect(result.stderr).toContain('or pass --port N')
    } finally {
      await new Promise((done) => taken.close(done))
    }
  })
})
