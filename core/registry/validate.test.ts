import { cp, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatIssue, hasErrors, type Issue, sortIssues } from '#core/errors'
import { loadRegistry } from './load.ts'
import { validateRegistry } from './validate.ts'

const fixtures = fileURLToPath(new URL('__fixtures__/', import.meta.url))
const valid = join(fixtures, 'valid')
const invalid = join(fixtures, 'invalid')
let scratch: string

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'agora-registry-'))
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

/**
 * A copy of the valid registry in a temp folder, with an overlay's files
 * added, its delete.txt paths removed and its link.txt lines (`path target`)
 * made symbolic links.
 */
async function repoWith(overlay?: string): Promise<string> {
  const root = await mkdtemp(join(scratch, 'repo-'))
  await cp(valid, root, { recursive: true })
  if (overlay) {
    await cp(overlay, root, {
      recursive: true,
      filter: (src) => !src.endsWith('delete.txt') && !src.endsWith('link.txt'),
    })
    const deletions = await readFile(join(overlay, 'delete.txt'), 'utf8').catch(() => '')
    for (const line of deletions.split('\n').filter(Boolean))
      await rm(join(root, line), { recursive: true })
    const links = await readFile(join(overlay, 'link.txt'), 'utf8').catch(() => '')
    for (const [path = '', target = ''] of links
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' '))) {
      await rm(join(root, path), { force: true })
      await symlink(target, join(root, path))
    }
  }
  return root
}

/** Codes with a fixture tree under invalid/: `<area>/<name>` folders. */
async function fixtureCodes(): Promise<string[]> {
  const codes: string[] = []
  for (const area of await readdir(invalid)) {
    for (const name of await readdir(join(invalid, area))) codes.push(`${area}/${name}`)
  }
  return codes.sort()
}

const text = (issues: Issue[]) => sortIssues(issues).map(formatIssue).join('\n')

describe('core/registry/validate', () => {
  it('validates the valid mini-registry clean and loads every document', async () => {
    const root = await repoWith()
    const { registry, issues } = await validateRegistry(root)
    expect(issues).toEqual([])
    expect([...registry.items.keys()].sort()).toEqual([
      'adapter/acme/vina',
      'benchmark/acme/tox21-bench',
      'collection/acme/starter',
      'dataset/acme/tox21',
      'lora/jdoe/legal-7b',
      'model/acme/tox-gnn',
      'pipeline/acme/screen',
      'pipeline/acme/screen-base',
    ])
    expect([...registry.owners.keys()]).toEqual(['acme', 'jdoe'])
    const model = registry.items.get('model/acme/tox-gnn')
    expect(model?.dir).toBe('registry/models/ac/acme/tox-gnn')
    expect([...(model?.versions.keys() ?? [])]).toEqual(['1.0.0', '1.1.0'])
    expect(model?.results).toMatchObject([
      { file: 'registry/models/ac/acme/tox-gnn/results/acme/tox21-bench.yaml' },
    ])
    expect(model?.readme?.frontMatter).toEqual({ license: 'mit', tags: ['test'] })
    expect(model?.item.tags).toEqual(['toxicology', 'gnn'])
    expect(registry.hub.payments.currency).toBe('usd')
  })

  it('has a fixture tree for each cross-item code', async () => {
    expect((await fixtureCodes()).length).toBeGreaterThan(15)
  })

  for (const code of [
    'naming/confusable',
    'ref/dangling',
    'ref/unknown-metric',
    'ref/unknown-owner',
    'ref/unknown-pool',
    'ref/unknown-version',
    'registry/id-mismatch',
    'registry/kind-mismatch',
    'registry/missing-item',
    'registry/missing-readme',
    'registry/symlink',
    'registry/unexpected-file',
    'registry/unreadable',
    'registry/wrong-shard',
    'version/dist-tag-missing',
    'version/dist-tag-yanked',
    'version/file-name-mismatch',
    'version/latest-required',
    'version/not-allowed',
  ]) {
    it(`reports ${code} for the invalid/${code} tree`, async () => {
      const root = await repoWith(join(invalid, code))
      const { issues } = await validateRegistry(root)
      expect(issues.map((i) => i.code)).toContain(code)
      expect(text(issues)).toMatchSnapshot()
    })
  }

  it('lists every fixture tree in the table above', async () => {
    const source = await readFile(fileURLToPath(import.meta.url), 'utf8')
    for (const code of await fixtureCodes()) expect(source).toContain(`'${code}',`)
  })

  it('checks only the named items and resolves other references on disk', async () => {
    const root = await repoWith(join(invalid, 'ref/dangling'))
    const { registry, issues } = await validateRegistry(root, {
      items: [
        { kind: 'collection', ns: 'acme', name: 'starter' },
        { kind: 'pipeline', ns: 'acme', name: 'screen' },
      ],
    })
    expect([...registry.items.keys()].sort()).toEqual([
      'collection/acme/starter',
      'pipeline/acme/screen',
    ])
    expect([...registry.owners.keys()]).toEqual(['acme'])
    expect(issues.map((i) => `${i.code} ${i.file}:${i.line}`)).toEqual([
      'ref/dangling registry/collections/ac/acme/starter/item.yaml:9',
    ])
  })

  it('finds a confusable sibling on disk when checking one item', async () => {
    const root = await repoWith(join(invalid, 'naming/confusable'))
    const { issues } = await validateRegistry(root, {
      items: [{ kind: 'model', ns: 'acme', name: 'tox_gnn' }],
    })
    expect(sortIssues(issues).map((i) => `${i.file}: ${i.message}`)).toEqual([
      'registry/models/ac/acme/tox_gnn/item.yaml: name "tox_gnn" looks like "tox-gnn" in acme/tox-gnn',
    ])
  })

  it('refuses a 50 MB item.yaml without parsing it', async () => {
    const root = await repoWith()
    const file = join(root, 'registry/models/ac/acme/tox-gnn/item.yaml')
    await writeFile(file, Buffer.alloc(50 * 1024 * 1024, 0x61))
    const { registry, issues } = await loadRegistry(root)
    expect(issues.map((i) => `${i.code} ${i.file}`)).toEqual([
      'yaml/too-large registry/models/ac/acme/tox-gnn/item.yaml',
    ])
    expect(registry.items.has('model/acme/tox-gnn')).toBe(false)
    expect((await stat(file)).size).toBe(50 * 1024 * 1024)
  })

  it('refuses an item.yaml that is not UTF-8, and keeps a genuine U+FFFD', async () => {
    const root = await repoWith()
    const item = join(root, 'registry/models/ac/acme/tox-gnn/item.yaml')
    const text = await readFile(item)
    await writeFile(item, Buffer.concat([text, Buffer.from('citation: caf\xe9\n', 'latin1')]))
    const readme = join(root, 'registry/datasets/ac/acme/tox21/README.md')
    await writeFile(readme, `${await readFile(readme, 'utf8')}\nReplacement character: \uFFFD\n`)
    const { registry, issues } = await loadRegistry(root)
    expect(issues.map((i) => `${i.code} ${i.file}`)).toEqual([
      'yaml/not-utf8 registry/models/ac/acme/tox-gnn/item.yaml',
    ])
    expect(registry.items.get('dataset/acme/tox21')?.readme?.body).toContain('\uFFFD')
  })

  it('reads through an injected fs', async () => {
    const root = await repoWith()
    const fs = await import('node:fs/promises')
    let opened = 0
    const counting = {
      ...fs,
      readFile: (...args: Parameters<typeof fs.readFile>) => {
        opened++
        return fs.readFile(...args)
      },
    }
    const { issues } = await validateRegistry(root, { fs: counting as typeof fs })
    expect(hasErrors(issues)).toBe(false)
    expect(opened).toBeGreaterThan(20)
  })
})
