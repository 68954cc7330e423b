import { mkdtemp, rm, stat } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startLocalHub } from './start.ts'

describe('scripts/start', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-start-'))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('refuses a taken hub port before starting payments or building anything', async () => {
    const holder = createServer()
    await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done))
    const port = (holder.address() as AddressInfo).port
    try {
      await expect(
        startLocalHub({
          repoRoot: dir,
          outDir: join(dir, 'dist'),
          stateDir: join(dir, 'state'),
          port,
          licencePort: 0,
          log: () => {},
        }),
      ).rejects.toMatchObject({
        code: 'local-hub/port-in-use',
        message: `port ${port} for the hub is taken`,
        hint: 'another npm start may still be running: stop it (Ctrl+C), or pass a free port: npm start -- --port 0 (0 picks one)',
      })
      // Neither the served folder nor the payments' state was touched.
      await expect(stat(join(dir, 'dist'))).rejects.toMatchObject({ code: 'ENOENT' })
      await expect(stat(join(dir, 'state'))).rejects.toMatchObject({ code: 'ENOENT' })
    } finally {
      await new Promise((done) => holder.close(done))
    }
  })
})
