import * as fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { checkChanges } from './changes.ts'
import { applyDelta, withLazyPacks } from './git-pack.ts'
import { createTestRepo, type TestRepo } from './git-test-repo.ts'

const fixture = fileURLToPath(new URL('./__fixtures__/changes/base', import.meta.url))
const TOX = 'registry/models/ac/acme/tox-gnn'

/** A version file long enough for git to store its edits as deltas. */
const longVersion = (version: string, extra: number) =>
  `version: ${version}\nchangelog: |\n${Array.from({ length: 200 }, (_, i) => `  line ${i} of the changelog${i === extra ? ' (edited)' : ''}\n`).join('')}files:\n  - path: model.safetensors\n    size: 10\n    sha256: ${'c'.repeat(64)}\n`

describe('core/registry/git-pack', () => {
  let repo: (TestRepo & { base: string }) | undefined
  afterEach(async () => {
    await repo?.remove()
  })

  it.each([
    ['offset deltas', 'true'],
    ['ref deltas', 'false'],
  ])('reads packed objects with %s without loading the pack index', async (_name, useOffsets) => {
    repo = await createTestRepo(fixture)
    await repo.commit({ [`${TOX}/versions/1.1.0.yaml`]: longVersion('1.1.0', -1) })
    const base = await repo.commit({ [`${TOX}/versions/1.2.0.yaml`]: longVersion('1.2.0', 7) })
    const head = await repo.commit({
      [`${TOX}/versions/1.1.0.yaml`]: longVersion('1.1.0', 100),
      [`${TOX}/versions/1.3.0.yaml`]: longVersion('1.3.0', 3),
    })
    repo.git('-c', `repack.useDeltaBaseOffset=${useOffsets}`, 'repack', '-a', '-d', '-q', '-f')
    repo.git('prune-packed')
    const idx = fs.readdirSync(`${repo.dir}/.git/objects/pack`).find((f) => f.endsWith('.idx'))
    // The edited version files must be stored as deltas, or this would not test delta reading.
    expect(repo.git('verify-pack', '-v', `.git/objects/pack/${idx}`)).toMatch(/chain length = 1:/)

    const packReads: string[] = []
    const watched = {
      ...fs,
      promises: {
        ...fs.promises,
        readFile: ((path: fs.PathLike, ...rest: unknown[]) => {
          if (/\.(idx|pack)$/.test(String(path))) packReads.push(String(path))
          return (fs.promises.readFile as (...args: unknown[]) => Promise<Buffer>)(path, ...rest)
        }) as typeof fs.promises.readFile,
      },
    }
    const lazy = await checkChanges({
      fs: withLazyPacks(watched),
      dir: repo.dir,
      base,
      head,
      author: 'alice',
    })
    expect(packReads).toEqual([])
    const plain = await checkChanges({ fs, dir: repo.dir, base, head, author: 'alice' })
    expect(lazy).toEqual(plain)
    expect(lazy.issues.map((i) => [i.code, i.line])).toEqual([
      ['change/released-version-modified', 2],
    ])
  })

  it('applies copy and insert instructions, and refuses out-of-range copies', () => {
    const base = Buffer.from('hello, world')
    // Base size 12, result 11: copy 7 bytes from 0 ("hello, "), insert "the", copy 1 byte from 11 ("d").
    const delta = Buffer.from([12, 11, 0x90, 7, 3, ...Buffer.from('the'), 0x91, 11, 1])
    expect(applyDelta(base, delta).toString()).toBe('hello, thed')
    expect(() => applyDelta(base, Buffer.from([12, 5, 0x91, 10, 5]))).toThrow('out of range')
    expect(() => applyDelta(base, Buffer.from([3, 1, 1, 65]))).toThrow('base size')
  })
})
