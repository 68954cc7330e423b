import { appendFile, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startTestHub, type TestHub } from '../client/__fixtures__/test-hub.ts'
import { removeStaticHub, writeStaticHub } from './write-static-hub.ts'

describe('core/hf/write-static-hub', () => {
  let hub: TestHub | undefined
  afterEach(async () => {
    await hub?.close()
    hub = undefined
  })

  it('rewrites only what changed, removes what left, and keeps the security headers first', async () => {
    hub = await startTestHub({ 'acme/m': { '1.0.0': { 'a.txt': 'a', 'd/b.txt': 'b' } } })
    const root = hub.root
    await writeFile(join(root, '_headers'), '/*\n  X-Frame-Options: DENY\n')
    const first = await writeStaticHub({ root, publicKey: hub.publicKey })
    expect(first).toMatchObject({ repos: 1, written: first.files })
    const info = (await readFile(join(root, 'nginx-hf.conf'), 'utf8')).match(
      /"\/api\/models\/acme\/m\/revision\/([0-9a-f]{40})"/,
    )?.[1] as string
    const answer = join(root, 'hf/models/acme/m', info, 'info.json')
    const before = await stat(answer)
    const again = await writeStaticHub({ root, publicKey: hub.publicKey })
    expect(again.written).toBe(0)
    expect((await stat(answer)).mtimeMs).toBe(before.mtimeMs)
    const headers = await readFile(join(root, '_headers'), 'utf8')
    expect(headers.startsWith('/*\n  X-Frame-Options: DENY\n')).toBe(true)
    // Two files, each under five revision names: commit, 1.0.0, latest, main, HEAD.
    expect(headers.match(/^ {2}X-Repo-Commit: /gm)).toHaveLength(10)
    // The hub now holds only 2.0.0: the old version's answers and folders go.
    await hub.publish({ 'acme/m': { '2.0.0': { 'a.txt': 'a2' } } })
    const third = await writeStaticHub({ root, publicKey: hub.publicKey })
    expect(third.written).toBeGreaterThan(0)
    await expect(stat(answer)).rejects.toThrow()
    await expect(stat(join(root, 'hf/models/acme/m', info))).rejects.toThrow()
    const rebuilt = await readFile(join(root, '_headers'), 'utf8')
    expect(rebuilt.match(/^ {2}X-Repo-Commit: /gm)).toHaveLength(5)
    expect(rebuilt.match(/X-Frame-Options/g)).toHaveLength(1)
  })

  it('removes what it wrote and keeps the rest of _headers', async () => {
    hub = await startTestHub({ 'acme/m': { '1.0.0': { 'a.txt': 'a' } } })
    const root = hub.root
    await writeFile(join(root, '_headers'), '/*\n  X-Frame-Options: DENY\n')
    await writeStaticHub({ root, publicKey: hub.publicKey })
    await appendFile(join(root, '_headers'), '/later\n  X-Later: 1\n')
    expect(await removeStaticHub({ root })).toBe(true)
    for (const gone of ['hf', '_redirects', 'nginx-hf.conf'])
      await expect(stat(join(root, gone))).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await readFile(join(root, '_headers'), 'utf8')).toBe(
      '/*\n  X-Frame-Options: DENY\n/later\n  X-Later: 1\n',
    )
    expect(await removeStaticHub({ root })).toBe(false)
    expect((await stat(join(root, 'index/config.json'))).isFile()).toBe(true)
  })
})
