import { cp, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { buildLocalHub } from './local-hub.ts'

const FIXTURE = new URL('../core/registry/__fixtures__/valid/', import.meta.url).pathname
const ITEM = 'registry/models/ac/acme/tox-gnn'

describe('scripts/local-hub', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-local-hub-'))
    await cp(FIXTURE, join(dir, 'repo'), { recursive: true })
    await writeFile(join(dir, 'secret.env'), 'SECRET=never-indexed')
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it.each([
    ['a README', 'README.md'],
    ['an item file', 'item.yaml'],
  ])('refuses to build the index when %s is a symbolic link', async (_name, file) => {
    const repo = join(dir, 'repo')
    await rm(join(repo, ITEM, file))
    await symlink(join(dir, 'secret.env'), join(repo, ITEM, file))
    const built = buildLocalHub({ repoRoot: repo, outDir: join(dir, 'out'), sampleBlobs: false })
    await expect(built).rejects.toMatchObject({ code: 'local-hub/invalid-registry' })
    await expect(built).rejects.toSatisfy((e: { hint?: string }) =>
      (e.hint ?? '').includes(`${ITEM}/${file}`),
    )
  })
})
