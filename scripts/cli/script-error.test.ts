import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { main } from '../agora.ts'
import { startLocalPayments } from '../local-payments.ts'
import { captureStream } from './capture.ts'
import { runScript } from './script-error.ts'

const FIXTURE = new URL('../../core/registry/__fixtures__/valid/', import.meta.url).pathname

describe('scripts/cli/script-error', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-script-error-'))
    await cp(FIXTURE, join(dir, 'repo'), { recursive: true })
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('ends npm start on a freshly scaffolded draft with the issue and a hint, not a stack', async () => {
    const repo = join(dir, 'repo')
    const quiet = { cwd: repo, env: {}, stdout: captureStream(), stderr: captureStream() }
    expect(
      await main(['new', 'lora', 'acme/legal-7b'], { ...quiet, fetch: globalThis.fetch }),
    ).toBe(0)
    const stderr = captureStream()
    const code = await runScript(
      () => startLocalPayments({ repoRoot: repo, stateDir: join(dir, 'state'), port: 0 }),
      stderr,
    )
    expect(code).toBe(2)
    const text = stderr.text()
    expect(text).toMatch(
      /^local-hub\/invalid-registry {2}the registry has errors; not starting the local payments\n {2}hint: the first: registry\/loras\/ac\/acme\/legal-7b\/item\.yaml:\d+:\d+ {2}schema\//,
    )
    expect(text).toContain('summary must have at least 1 character\n  run "npx agora validate"')
    expect(text.match(/hint:/g)).toHaveLength(1)
    expect(text).not.toMatch(/\n\s+at /)
  })

  it('lets an error that is not an AgoraError through, stack and all', async () => {
    const bug = new TypeError('a bug')
    await expect(runScript(() => Promise.reject(bug), captureStream())).rejects.toBe(bug)
  })
})
