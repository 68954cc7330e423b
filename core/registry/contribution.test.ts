import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Kind } from '#core/names'
import { itemDir } from '#core/names'
import { getValidator } from '#core/schema'
import { toYaml } from '../catalog/to-yaml.ts'
import { type ContributionFacts, validateContribution } from './contribution.ts'
import { loadRegistry } from './load.ts'
import { validateRegistry } from './validate.ts'

const PROJECT = resolve(import.meta.dirname, '../..')

interface Case {
  name: string
  kind: Kind
  manifest: Record<string, unknown>
  readme?: string
  codes: string[]
}

const base = (id: string, extra: Record<string, unknown> = {}) => ({
  kind: 'model',
  id,
  title: 'A model',
  summary: 'One sentence about it.',
  owners: [id.split('/')[0]],
  license: 'MIT',
  ...extra,
})

const CASES: Case[] = [
  {
    name: 'a valid new item',
    kind: 'model',
    manifest: base('aiko-tanaka/new-gnn'),
    readme: '# New',
    codes: [],
  },
  {
    name: 'a name with _ and .',
    kind: 'model',
    manifest: base('aiko-tanaka/gnn_v2.1'),
    readme: '# v2',
    codes: [],
  },
  {
    name: 'no README',
    kind: 'model',
    manifest: base('aiko-tanaka/no-card'),
    codes: ['registry/missing-readme'],
  },
  {
    name: 'a blank README',
    kind: 'model',
    manifest: base('aiko-tanaka/blank-card'),
    readme: '  \n',
    codes: ['manifest/empty-readme'],
  },
  {
    name: 'an unknown namespace',
    kind: 'model',
    manifest: base('nobody-here/x-model'),
    readme: '# X',
    codes: ['ref/unknown-owner'],
  },
  {
    name: 'license other without a name',
    kind: 'model',
    manifest: base('aiko-tanaka/odd-licence', { license: 'other' }),
    readme: '# Odd',
    codes: ['manifest/license-other-incomplete'],
  },
  {
    name: 'a look-alike of an existing name',
    kind: 'model',
    manifest: base('aiko-tanaka/herg_blocker_clf'),
    readme: '# Look-alike',
    codes: ['naming/confusable'],
  },
]

let facts: ContributionFacts
let root: string

beforeAll(async () => {
  const { registry } = await loadRegistry(PROJECT)
  facts = {
    hub: registry.hub,
    owners: [...registry.owners.keys()],
    items: [...registry.items.values()].map((i) => `${i.ref.kind}/${i.ref.ns}/${i.ref.name}`),
  }
  root = await mkdtemp(join(tmpdir(), 'agora-contribution-'))
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

function contribute(c: Case) {
  const [ns = '', name = ''] = String(c.manifest['id']).split('/')
  return validateContribution(
    {
      kind: c.kind,
      ns,
      name,
      item: toYaml(c.manifest),
      ...(c.readme === undefined ? {} : { readme: c.readme }),
    },
    facts,
    getValidator('item'),
  )
}

describe('core/registry/contribution', () => {
  it.each(CASES)('$name: the same errors as agora validate on the written files', async (c) => {
    const result = contribute(c)
    expect(result.issues.filter((i) => i.severity === 'error').map((i) => i.code)).toEqual(c.codes)
    expect(result.ok).toBe(c.codes.length === 0)
    // Write the item into a copy of the registry and let the CLI's validation judge it.
    const copy = join(root, c.name.replace(/\W+/g, '-'))
    await cp(join(PROJECT, 'registry'), join(copy, 'registry'), { recursive: true })
    const [ns = '', name = ''] = String(c.manifest['id']).split('/')
    const dir = `registry/${itemDir({ kind: c.kind, ns, name })}`
    await mkdir(join(copy, dir), { recursive: true })
    await writeFile(join(copy, dir, 'item.yaml'), toYaml(c.manifest))
    if (c.readme !== undefined) await writeFile(join(copy, dir, 'README.md'), c.readme)
    const { issues } = await validateRegistry(copy, { items: [{ kind: c.kind, ns, name }] })
    const cli = issues.filter((i) => i.severity === 'error' && i.file?.startsWith(`${dir}/`))
    expect(cli.map((i) => i.code)).toEqual(
      result.issues.filter((i) => i.severity === 'error').map((i) => i.code),
    )
  })

  it('gives the owner issue its line in item.yaml and the command that fixes it, as the CLI does', () => {
    const [issue] = contribute(CASES[4] as Case).issues
    expect(issue).toMatchObject({
      code: 'ref/unknown-owner',
      message: 'namespace "nobody-here" has no registry/owners/nobody-here.yaml',
      hint: 'create it with "agora new owner nobody-here --github <login>" (add --org for an organisation), or fix the namespace',
      file: 'registry/models/no/nobody-here/x-model/item.yaml',
      line: 2,
    })
  })

  it('refuses an id that is taken', () => {
    const result = contribute({
      name: 'taken',
      kind: 'model',
      manifest: base('aiko-tanaka/herg-blocker-clf'),
      readme: '# Again',
      codes: [],
    })
    expect(result.ok).toBe(false)
    expect(result.issues).toEqual([
      expect.objectContaining({
        code: 'change/item-exists',
        message:
          'model/aiko-tanaka/herg-blocker-clf already exists (registry/models/ai/aiko-tanaka/herg-blocker-clf)',
        line: 2,
      }),
    ])
  })
})
