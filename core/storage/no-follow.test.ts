import { createHash } from 'node:crypto'
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { catalogLoader } from '#core/catalog'
import { planPublish } from '#core/publish'
import { loadRegistry } from '#core/registry'
import { createFsStore } from './fs-store.ts'
import { noFollowFs, readFileNoFollow } from './no-follow.ts'

const FIXTURE = new URL('../registry/__fixtures__/valid/', import.meta.url).pathname
const ITEM = 'registry/models/ac/acme/tox-gnn'
const SECRET = 'AWS_SECRET_ACCESS_KEY=do-not-publish'

describe('core/storage/no-follow', () => {
  let dir: string
  let repo: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-no-follow-'))
    repo = join(dir, 'repo')
    await cp(FIXTURE, repo, { recursive: true })
    await writeFile(join(dir, 'secret.env'), SECRET)
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('readFileNoFollow reads a file and refuses a link to one with ELOOP', async () => {
    await writeFile(join(dir, 'plain.txt'), 'plain')
    await symlink(join(dir, 'secret.env'), join(dir, 'link.txt'))
    expect(await readFileNoFollow(join(dir, 'plain.txt'), 'utf8')).toBe('plain')
    await expect(readFileNoFollow(join(dir, 'link.txt'), 'utf8')).rejects.toMatchObject({
      code: 'ELOOP',
    })
  })

  it('readFileNoFollow refuses a directory and a link to a directory', async () => {
    await mkdir(join(dir, 'folder'))
    await symlink(join(dir, 'folder'), join(dir, 'folder-link'))
    await expect(readFileNoFollow(join(dir, 'folder'))).rejects.toMatchObject({ code: 'EISDIR' })
    await expect(readFileNoFollow(join(dir, 'folder-link'))).rejects.toMatchObject({
      code: 'ELOOP',
    })
  })

  it('noFollowFs refuses a link anywhere below the root, not only the last component', async () => {
    const fs = noFollowFs({ root: repo })
    await mkdir(join(dir, 'outside'))
    await writeFile(join(dir, 'outside', 'item.yaml'), SECRET)
    await symlink(join(dir, 'outside'), join(repo, 'registry', 'linked'))
    await expect(
      fs.readFile(join(repo, 'registry/linked/item.yaml'), 'utf8'),
    ).rejects.toMatchObject({ code: 'ELOOP' })
    await expect(fs.readdir(join(repo, 'registry/linked'))).rejects.toMatchObject({ code: 'ELOOP' })
    await expect(fs.stat(join(repo, 'registry/linked'))).rejects.toMatchObject({ code: 'ELOOP' })
    expect(await fs.readFile(join(repo, ITEM, 'item.yaml'), 'utf8')).toContain('tox-gnn')
  })

  it('loadRegistry through noFollowFs reports a linked README as an error and never reads it', async () => {
    await rm(join(repo, ITEM, 'README.md'))
    await symlink(join(dir, 'secret.env'), join(repo, ITEM, 'README.md'))
    const { registry, issues } = await loadRegistry(repo, { fs: noFollowFs({ root: repo }) })
    const errors = issues.filter((i) => i.severity === 'error')
    expect(errors.some((i) => i.file === `${ITEM}/README.md`)).toBe(true)
    expect(JSON.stringify(errors)).toMatch(/symbolic link/)
    expect(JSON.stringify([...registry.items.values()])).not.toContain('do-not-publish')
  })

  it.each([
    ['a version file', `${ITEM}/versions/1.0.0.yaml`],
    ['an item file', `${ITEM}/item.yaml`],
  ])('loadRegistry through noFollowFs refuses %s that is a link', async (_name, rel) => {
    const target = join(dir, 'copy.yaml')
    await writeFile(target, await readFile(join(repo, rel)))
    await rm(join(repo, rel))
    await symlink(target, join(repo, rel))
    const { registry, issues } = await loadRegistry(repo, { fs: noFollowFs({ root: repo }) })
    // Reported on the file (the loader's own listing already flags a link), and never read.
    expect(issues.some((i) => i.file === rel)).toBe(true)
    expect(registry.items.get('model/acme/tox-gnn')?.versions.has('1.0.0') ?? false).toBe(false)
  })

  it('the site catalog never renders a linked README and names the file in a warning', async () => {
    await rm(join(repo, ITEM, 'README.md'))
    await symlink(join(dir, 'secret.env'), join(repo, ITEM, 'README.md'))
    const warnings: string[] = []
    const loader = catalogLoader({
      load: () => loadRegistry(repo, { fs: noFollowFs({ root: repo }) }),
      detailsDir: join(dir, 'details'),
      entriesFile: join(dir, 'entries.tsv'),
    })
    const map = new Map<string, unknown>()
    await loader.load({
      store: {
        set: (e: { id: string }) => map.set(e.id, e) && true,
        keys: () => [...map.keys()],
        delete: (id: string) => void map.delete(id),
      },
      generateDigest: (d: unknown) =>
        createHash('sha256').update(String(d)).digest('hex').slice(0, 16),
      logger: { info: () => undefined, warn: (m: string) => warnings.push(m) },
    } as never)
    expect(warnings.some((w) => w.includes(`${ITEM}/README.md`))).toBe(true)
    const written = [
      await readFile(join(dir, 'entries.tsv'), 'utf8'),
      ...(await Array.fromAsync(
        (await import('node:fs/promises')).glob('**/*.json', { cwd: join(dir, 'details') }),
        async (f) => readFile(join(dir, 'details', f), 'utf8'),
      )),
    ].join('\n')
    expect(written).not.toContain('do-not-publish')
  })

  it('planPublish refuses a README.md that is a link in the folder published', async () => {
    const folder = join(dir, 'out')
    await mkdir(folder)
    await writeFile(join(folder, 'weights.bin'), 'weights')
    await symlink(join(dir, 'secret.env'), join(folder, 'README.md'))
    const { registry } = await loadRegistry(repo)
    const store = createFsStore({ dir: join(dir, 'store') })
    await expect(
      planPublish(
        {
          dir: folder,
          ref: { kind: 'model', ns: 'acme', name: 'tox-gnn' },
          version: '9.0.0',
          repoRoot: repo,
          hub: registry.hub,
        },
        { store },
      ),
    ).rejects.toMatchObject({ code: 'publish/symlink' })
  })

  it('planPublish refuses a registry file that is a link', async () => {
    const folder = join(dir, 'out')
    await mkdir(folder)
    await writeFile(join(folder, 'weights.bin'), 'weights')
    await rm(join(repo, ITEM, 'item.yaml'))
    await symlink(join(dir, 'secret.env'), join(repo, ITEM, 'item.yaml'))
    const { registry } = await loadRegistry(FIXTURE)
    await expect(
      planPublish(
        {
          dir: folder,
          ref: { kind: 'model', ns: 'acme', name: 'tox-gnn' },
          version: '9.0.0',
          repoRoot: repo,
          hub: registry.hub,
        },
        { store: createFsStore({ dir: join(dir, 'store') }) },
      ),
    ).rejects.toMatchObject({ code: 'publish/symlink' })
  })
})
