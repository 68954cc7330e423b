import { cp, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises'
import * as nodeFs from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Issue } from '#core/errors'
import { symlinkOnPath } from './load.ts'
import { validateRegistry } from './validate.ts'

const valid = fileURLToPath(new URL('__fixtures__/valid', import.meta.url))
const TOX = 'registry/models/ac/acme/tox-gnn'
let scratch: string
let outside: string

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'agora-links-'))
  outside = join(scratch, 'outside')
  await mkdir(outside)
  await writeFile(join(outside, 'secret.md'), '# secret\n')
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

/** A copy of the valid registry where `path` is replaced by a link to what it was (moved aside). */
async function linked(path: string): Promise<string> {
  const root = await mkdtemp(join(scratch, 'repo-'))
  await cp(valid, root, { recursive: true })
  // The fixture has no top-level README; give it one to link.
  if (path === 'registry/README.md') await writeFile(join(root, path), '# Registry\n')
  const moved = join(outside, `${root.split('/').pop()}-${path.replaceAll('/', '_')}`)
  await rename(join(root, path), moved)
  await symlink(moved, join(root, path))
  return root
}

const links = (issues: Issue[]) =>
  issues.filter((i) => i.code === 'registry/symlink').map((i) => `${i.severity} ${i.file}`)

describe('core/registry/load symbolic links', () => {
  it.each([
    `${TOX}/README.md`,
    `${TOX}/item.yaml`,
    `${TOX}/versions/1.0.0.yaml`,
    `${TOX}/results/acme/tox21-bench.yaml`,
    `${TOX}/results/acme`,
    `${TOX}/versions`,
    TOX,
    'registry/models/ac/acme',
    'registry/models/ac',
    'registry/models',
    'registry/owners/jdoe.yaml',
    'registry/owners',
    'registry/agora.yaml',
    'registry/README.md',
  ])('refuses %s as a link, as an error, in a full validation', async (path) => {
    const root = await linked(path)
    const { issues } = await validateRegistry(root)
    expect(links(issues)).toEqual([`error ${path}`])
  })

  it('refuses a linked registry folder without reading through it', async () => {
    const root = await linked('registry')
    const { registry, issues } = await validateRegistry(root)
    expect(links(issues)).toEqual(['error registry'])
    expect(registry.items.size).toBe(0)
  })

  it.each([
    `${TOX}/README.md`,
    `${TOX}/versions/1.1.0.yaml`,
    TOX,
    'registry/models/ac/acme',
    'registry/owners/acme.yaml',
  ])('refuses %s as a link when validating only the changed item', async (path) => {
    const root = await linked(path)
    const { issues } = await validateRegistry(root, {
      items: [{ kind: 'model', ns: 'acme', name: 'tox-gnn' }],
    })
    expect(links(issues)).toEqual([`error ${path}`])
  })

  it('never reads the target of a linked README', async () => {
    const root = await mkdtemp(join(scratch, 'repo-'))
    await cp(valid, root, { recursive: true })
    await rm(join(root, TOX, 'README.md'))
    await symlink(join(outside, 'secret.md'), join(root, TOX, 'README.md'))
    const { registry } = await validateRegistry(root)
    expect(registry.items.get('model/acme/tox-gnn')?.readme).toBeUndefined()
  })

  it('names the first link on a path', async () => {
    const root = await linked('registry/models/ac/acme')
    expect(await symlinkOnPath(nodeFs, root, `${TOX}/item.yaml`)).toBe('registry/models/ac/acme')
    expect(await symlinkOnPath(nodeFs, root, 'registry/owners/acme.yaml')).toBeUndefined()
  })
})

describe('core/registry/load empty README', () => {
  it('reports an empty README.md of an item as an error', async () => {
    const root = await mkdtemp(join(scratch, 'repo-'))
    await cp(valid, root, { recursive: true })
    await writeFile(join(root, TOX, 'README.md'), '')
    await writeFile(join(root, 'registry/datasets/ac/acme/tox21/README.md'), ' \n\n')
    const { issues } = await validateRegistry(root)
    expect(
      issues
        .filter((i) => i.code === 'manifest/empty-readme')
        .map((i) => `${i.severity} ${i.file}`)
        .sort(),
    ).toEqual(['error registry/datasets/ac/acme/tox21/README.md', `error ${TOX}/README.md`])
  })
})
