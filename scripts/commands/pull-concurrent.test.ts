import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestHub, type TestHub } from '../../core/client/__fixtures__/test-hub.ts'

const run = promisify(execFile)
const agora = fileURLToPath(new URL('../agora.ts', import.meta.url))

describe('scripts/commands/pull (processes at once)', () => {
  let hub: TestHub
  let work: string
  const names = ['alpha', 'beta', 'gamma', 'delta', 'eps', 'zeta']
  beforeAll(async () => {
    hub = await startTestHub(
      Object.fromEntries(
        names.map((name) => [`acme/${name}`, { '1.0.0': { 'model.bin': `bytes of ${name}` } }]),
      ),
    )
    work = await mkdtemp(join(tmpdir(), 'agora-pull-many-'))
  })
  afterAll(async () => {
    await hub?.close()
    await rm(work, { recursive: true, force: true })
  })

  const pullIn = (cwd: string, spec: string, extra: string[] = []) =>
    run(
      process.execPath,
      [
        agora,
        'pull',
        spec,
        '--index',
        hub.url,
        '--key',
        hub.publicKey,
        '--cache',
        'cache',
        ...extra,
      ],
      { cwd, env: { ...process.env, AGORA_INDEX_URL: '', AGORA_CACHE: '' } },
    )

  it('six pulls of different items into one folder all land in agora.lock', async () => {
    await Promise.all(names.map((name) => pullIn(work, `acme/${name}`)))
    const lock = JSON.parse(await readFile(join(work, 'agora.lock'), 'utf8'))
    expect(Object.keys(lock.items)).toEqual(names.map((n) => `model/acme/${n}`).sort())
    expect((await readdir(work)).sort()).toEqual(['agora.lock', 'cache'])
  }, 120_000)

  it('pulling again in parallel leaves the lock byte for byte as it was', async () => {
    const before = await readFile(join(work, 'agora.lock'), 'utf8')
    const outputs = await Promise.all(names.map((name) => pullIn(work, `acme/${name}`, ['--json'])))
    for (const { stdout } of outputs) expect(JSON.parse(stdout).lock_changed).toBe(false)
    expect(await readFile(join(work, 'agora.lock'), 'utf8')).toBe(before)
  }, 120_000)
})
