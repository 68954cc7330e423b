import * as fs from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Issue, isAgoraError } from '#core/errors'
import { classifyPath } from './change-paths.ts'
import { checkChanges, parseRefRange } from './changes.ts'
import { findTreeEntry, treeEntries } from './git-refs.ts'
import { createTestRepo, type TestRepo } from './git-test-repo.ts'

const fixture = fileURLToPath(new URL('./__fixtures__/changes/base', import.meta.url))
const TOX = 'registry/models/ac/acme/tox-gnn'
const TOX21 = 'registry/datasets/la/labs/tox21'
const read = (path: string) => fs.readFileSync(join(fixture, path), 'utf8')

const newItem = (id: string, owners: string[]) =>
  `kind: model\nid: ${id}\ntitle: New\nsummary: Something new.\nowners: [${owners.join(', ')}]\nlicense: MIT\n`
const version = (v: string, sha = 'a'.repeat(64)) =>
  `version: ${v}\nfiles:\n  - path: model.safetensors\n    size: 10\n    sha256: ${sha}\n`

const codes = (issues: Issue[]) => issues.map((i) => i.code).sort()
const errors = (issues: Issue[]) => issues.filter((i) => i.severity === 'error')

describe('core/registry/changes', () => {
  let repo: TestRepo & { base: string }
  beforeEach(async () => {
    repo = await createTestRepo(fixture)
  })
  afterEach(async () => {
    await repo.remove()
  })
  const check = (head: string, author?: string) =>
    checkChanges({ fs, dir: repo.dir, base: repo.base, head, ...(author ? { author } : {}) })

  it('accepts a new item by its owner and lists its files', async () => {
    const head = await repo.commit({
      'registry/models/ac/acme/solubility/item.yaml': newItem('acme/solubility', ['acme']),
      'registry/models/ac/acme/solubility/README.md': '# Solubility\n',
      'registry/models/ac/acme/solubility/versions/0.1.0.yaml': version('0.1.0'),
    })
    const { issues, changes } = await check(head, 'alice')
    expect(issues).toEqual([])
    expect(changes.items).toEqual([
      {
        ref: { kind: 'model', ns: 'acme', name: 'solubility' },
        dir: 'registry/models/ac/acme/solubility',
        status: 'added',
        added: [
          'registry/models/ac/acme/solubility/README.md',
          'registry/models/ac/acme/solubility/item.yaml',
          'registry/models/ac/acme/solubility/versions/0.1.0.yaml',
        ],
        modified: [],
        deleted: [],
        addedVersions: ['0.1.0'],
      },
    ])
    expect(changes.newNamespaces).toEqual([])
    expect(changes.onlyAddsVersions).toBe(false)
  })

  it('sees a version bump by an owner as onlyAddsVersions', async () => {
    const head = await repo.commit({
      [`${TOX}/versions/1.1.0.yaml`]: version('1.1.0'),
      [`${TOX}/item.yaml`]: read('registry/models/ac/acme/tox-gnn/item.yaml').replace(
        'latest: 1.0.0',
        'latest: 1.1.0',
      ),
    })
    const { issues, changes } = await check(head, 'Alice')
    expect(issues).toEqual([])
    expect(changes.onlyAddsVersions).toBe(true)
    expect(changes.items[0]?.addedVersions).toEqual(['1.1.0'])
    expect(changes.ownershipChanges).toEqual([])
  })

  it('does not call a bump that also edits the summary onlyAddsVersions', async () => {
    const head = await repo.commit({
      [`${TOX}/versions/1.1.0.yaml`]: version('1.1.0'),
      [`${TOX}/item.yaml`]: read('registry/models/ac/acme/tox-gnn/item.yaml').replace(
        'A graph',
        'The graph',
      ),
    })
    const { changes } = await check(head, 'alice')
    expect(changes.onlyAddsVersions).toBe(false)
  })

  it('refuses an edit by someone who does not own the item, at the owners line', async () => {
    const head = await repo.commit({
      [`${TOX}/item.yaml`]: read('registry/models/ac/acme/tox-gnn/item.yaml').replace(
        'A graph',
        'The graph',
      ),
    })
    const { issues } = await check(head, 'mallory')
    expect(issues).toEqual([
      {
        code: 'change/author-not-authorized',
        severity: 'error',
        message: 'mallory is not an owner of acme/tox-gnn (owners: acme)',
        hint: 'ask an owner of the item to make this change, or to add you to the owning organisation in registry/owners/ in a separate pull request',
        file: `${TOX}/item.yaml`,
        line: 6,
        col: 3,
      },
    ])
  })

  it('lets a member of an owning org change its item, whatever the case of the login', async () => {
    const head = await repo.commit({
      [`${TOX21}/versions/1.1.0.yaml`]: `${version('1.1.0')}num_datapoints: 7900\n`,
    })
    const { issues, changes } = await check(head, 'CAROL')
    expect(issues).toEqual([])
    expect(changes.onlyAddsVersions).toBe(true)
  })

  it('judges ownership against base so a change cannot grant itself rights', async () => {
    const head = await repo.commit({
      [`${TOX}/item.yaml`]: read('registry/models/ac/acme/tox-gnn/item.yaml').replace(
        '  - acme',
        '  - acme\n  - mallory',
      ),
      'registry/owners/mallory.yaml': 'type: user\nname: Mallory\ngithub: mallory\n',
    })
    const { issues, changes } = await check(head, 'mallory')
    expect(codes(issues)).toEqual([
      'change/author-not-authorized',
      'change/new-namespace',
      'change/ownership-changed',
    ])
    expect(changes.ownershipChanges).toEqual([
      {
        file: `${TOX}/item.yaml`,
        subject: 'acme/tox-gnn',
        field: 'owners',
        before: ['acme'],
        after: ['acme', 'mallory'],
      },
    ])
    expect(changes.newNamespaces).toEqual(['mallory'])
  })

  it('refuses a new item in a namespace the author does not belong to', async () => {
    const head = await repo.commit({
      'registry/models/ac/acme/evil/item.yaml': newItem('acme/evil', ['mallory']),
      'registry/owners/mallory.yaml': 'type: user\nname: Mallory\ngithub: mallory\n',
    })
    const { issues } = await check(head, 'mallory')
    const refused = errors(issues)
    expect(refused).toHaveLength(1)
    expect(refused[0]).toMatchObject({
      code: 'change/author-not-authorized',
      message: 'mallory may not add items to namespace acme',
      file: 'registry/models/ac/acme/evil/item.yaml',
      line: 5,
    })
  })

  it('reports an edited released version at the line of the change', async () => {
    const original = read('registry/models/ac/acme/tox-gnn/versions/1.0.0.yaml')
    const head = await repo.commit({
      [`${TOX}/versions/1.0.0.yaml`]: original.replace('9f86d0', '000000'),
    })
    const { issues } = await check(head, 'alice')
    expect(issues).toEqual([
      {
        code: 'change/released-version-modified',
        severity: 'error',
        message:
          'files[0].sha256 changed in released version 1.0.0 of acme/tox-gnn: released files are immutable',
        hint: 'publish the change as a new version instead (agora publish); a released version may change only its status block, to yank or deprecate it with a reason',
        file: `${TOX}/versions/1.0.0.yaml`,
        line: 7,
        col: 13,
      },
    ])
  })

  it('reports a removed file entry and a new field of a released version', async () => {
    const original = read('registry/models/ac/acme/tox-gnn/versions/1.0.0.yaml')
    const trimmed = original.split('\n').slice(0, 7).join('\n')
    const head = await repo.commit({
      [`${TOX}/versions/1.0.0.yaml`]: `${trimmed}\nparameters: 12\n`,
    })
    const { issues } = await check(head, 'alice')
    expect(issues.map((i) => [i.code, i.message.split(' changed')[0], i.line])).toEqual([
      ['change/released-version-modified', 'files[0]', 5],
      ['change/released-version-modified', 'parameters', 8],
    ])
  })

  it('allows a status-only change of a released version', async () => {
    const original = read('registry/models/ac/acme/tox-gnn/versions/1.0.0.yaml')
    const head = await repo.commit({
      [`${TOX}/versions/1.0.0.yaml`]: `${original}status:\n  state: yanked\n  reason: Wrong weights uploaded.\n`,
    })
    const { issues, changes } = await check(head, 'alice')
    expect(issues).toEqual([])
    expect(changes.onlyAddsVersions).toBe(false)
  })

  it('refuses a deleted version', async () => {
    const head = await repo.commit({ [`${TOX}/versions/1.0.0.yaml`]: null })
    const { issues } = await check(head, 'alice')
    expect(issues).toEqual([
      expect.objectContaining({
        code: 'change/deleted-version',
        message: 'version 1.0.0 of acme/tox-gnn was deleted',
        file: `${TOX}/versions/1.0.0.yaml`,
      }),
    ])
  })

  it('refuses a deleted item once, not once per file', async () => {
    const head = await repo.commit({ [TOX21]: null })
    const { issues, changes } = await check(head, 'bob')
    expect(codes(issues)).toEqual(['change/deleted-item'])
    expect(changes.items[0]?.status).toBe('deleted')
    expect(changes.items[0]?.deleted).toHaveLength(3)
  })

  it('refuses a deleted owner file', async () => {
    const head = await repo.commit({ 'registry/owners/labs.yaml': null })
    const { issues } = await check(head, 'bob')
    expect(codes(issues)).toEqual(['change/deleted-owner'])
  })

  it('flags a new namespace for review without failing', async () => {
    const head = await repo.commit({
      'registry/owners/newco.yaml': 'type: org\nname: NewCo\nmembers: [dana]\n',
      'registry/models/ne/newco/first/item.yaml': newItem('newco/first', ['newco']),
    })
    const { issues, changes } = await check(head, 'dana')
    expect(issues).toEqual([
      {
        code: 'change/new-namespace',
        severity: 'warning',
        message: "new namespace newco needs a maintainer's review before merge",
        hint: 'nothing to fix: a maintainer checks the name and who claims it, then merges',
        file: 'registry/owners/newco.yaml',
        line: 1,
        col: 1,
      },
    ])
    expect(changes.newNamespaces).toEqual(['newco'])
    expect(changes.owners).toEqual([
      { ns: 'newco', file: 'registry/owners/newco.yaml', status: 'added' },
    ])
  })

  it('flags a change of org members for review, at the members line', async () => {
    const head = await repo.commit({
      'registry/owners/labs.yaml': read('registry/owners/labs.yaml').replace(
        '  - Carol',
        '  - Carol\n  - dave',
      ),
    })
    const { issues, changes } = await check(head, 'bob')
    expect(issues).toEqual([
      expect.objectContaining({
        code: 'change/ownership-changed',
        severity: 'warning',
        message:
          'members of labs change from [bob, Carol] to [bob, Carol, dave]; a maintainer must approve',
        file: 'registry/owners/labs.yaml',
        line: 4,
        col: 3,
      }),
    ])
    expect(changes.ownershipChanges).toHaveLength(1)
  })

  it('refuses an owner file change by an outsider', async () => {
    const head = await repo.commit({
      'registry/owners/labs.yaml': read('registry/owners/labs.yaml').replace('bob', 'mallory'),
    })
    const { issues } = await check(head, 'mallory')
    expect(codes(issues)).toEqual(['change/author-not-authorized', 'change/ownership-changed'])
  })

  it('reports changes outside registry/ and hub files separately, as warnings', async () => {
    const head = await repo.commit({
      '.github/workflows/validate.yml': 'name: pwned\non: pull_request_target\njobs: {}\n',
      'README.md': '# Hub\n',
      'registry/agora.yaml': `${read('registry/agora.yaml')}reserved_names: [acme]\n`,
    })
    const { issues, changes } = await check(head, 'alice')
    expect(changes.outsideRegistry).toEqual(['.github/workflows/validate.yml', 'README.md'])
    expect(changes.hubFiles).toEqual(['registry/agora.yaml'])
    expect(issues.map((i) => [i.code, i.severity, i.file])).toEqual([
      ['change/hub-file', 'warning', 'registry/agora.yaml'],
      ['change/outside-registry', 'warning', '.github/workflows/validate.yml'],
      ['change/outside-registry', 'warning', 'README.md'],
    ])
    expect(changes.onlyAddsVersions).toBe(false)
  })

  it('refuses files that cannot be registry documents where they are', async () => {
    const head = await repo.commit({
      'registry/models/ac/acme/stray.yaml': 'x: 1\n',
      'registry/models/zz/acme/other/item.yaml': newItem('acme/other', ['acme']),
    })
    const { issues } = await check(head, 'alice')
    expect(issues.map((i) => [i.code, i.file])).toEqual([
      ['change/misplaced-file', 'registry/models/ac/acme/stray.yaml'],
      ['change/misplaced-file', 'registry/models/zz/acme/other/item.yaml'],
    ])
  })

  it('notes that ownership was not checked when no author is given', async () => {
    const head = await repo.commit({ [`${TOX}/README.md`]: '# Tox GNN\n\nBetter card.\n' })
    const { issues } = await check(head)
    expect(issues).toEqual([
      expect.objectContaining({ code: 'change/author-unchecked', severity: 'note' }),
    ])
  })

  it('resolves branches, ~N steps, short ids and merge-base ranges', async () => {
    repo.git('checkout', '--quiet', '-b', 'feature')
    const head = await repo.commit({ [`${TOX}/versions/1.1.0.yaml`]: version('1.1.0') })
    repo.git('checkout', '--quiet', 'main')
    await repo.commit({ [`${TOX21}/README.md`]: '# Tox21 v2\n' })
    const byName = await checkChanges({
      fs,
      dir: repo.dir,
      base: 'feature~1',
      head: 'feature',
      author: 'alice',
    })
    expect(byName.changes.base).toBe(repo.base)
    expect(byName.changes.head).toBe(head)
    expect(byName.changes.files.map((f) => f.path)).toEqual([`${TOX}/versions/1.1.0.yaml`])
    const short = await checkChanges({
      fs,
      dir: repo.dir,
      base: repo.base.slice(0, 8),
      head: 'feature^',
      author: 'alice',
    })
    expect(short.changes.files).toEqual([])
  })

  it('throws change/unknown-ref with a hint for a ref that does not exist', async () => {
    const error = await check('no-such-branch', 'alice').catch((e: unknown) => e)
    expect(isAgoraError(error)).toBe(true)
    expect(error).toMatchObject({
      code: 'change/unknown-ref',
      message: 'unknown Git ref "no-such-branch"',
    })
    expect((error as { hint: string }).hint).toMatch(/fetch-depth: 0/)
  })
})

describe('core/registry/git-diff', () => {
  it('reads only the changed part of a large tree', async () => {
    const files: Record<string, string> = {}
    for (let i = 0; i < 300; i++) {
      const ns = `ns${String(i % 60).padStart(2, '0')}x`
      files[`registry/models/${ns.slice(0, 2)}/${ns}/item-${i}/item.yaml`] = newItem(
        `${ns}/item-${i}`,
        [ns],
      )
    }
    const repo = await createTestRepo()
    try {
      const base = await repo.commit(files, 'many items')
      const head = await repo.commit({
        'registry/models/ns/ns07x/item-7/item.yaml': newItem('ns07x/item-7', ['other']),
      })
      let objectReads = 0
      const counting = {
        ...fs,
        promises: new Proxy(fs.promises, {
          get(target, key, receiver) {
            const value = Reflect.get(target, key, receiver)
            if (key !== 'readFile') return value
            return (path: fs.PathLike, ...rest: unknown[]) => {
              if (String(path).includes('/objects/')) objectReads++
              return (value as (...args: unknown[]) => unknown)(path, ...rest)
            }
          },
        }),
      }
      const { changes } = await checkChanges({
        fs: counting,
        dir: repo.dir,
        base,
        head,
        author: 'x',
      })
      expect(changes.files.map((f) => [f.path, f.status])).toEqual([
        ['registry/models/ns/ns07x/item-7/item.yaml', 'modified'],
      ])
      // 300 items in 60 namespaces of one shard are over 600 objects. The changed path is six trees
      // on each side plus the commits and the documents the rules read (about 35); looking at every
      // sibling namespace, as a plain walk does, would be 150.
      expect(objectReads).toBeLessThan(50)
    } finally {
      await repo.remove()
    }
  })
})

describe('core/registry/change-paths', () => {
  it('sorts paths into items, owners, hub files, misplaced files and the rest', () => {
    expect(classifyPath('registry/loras/ac/acme/legal-7b/versions/1.0.0.yaml')).toEqual({
      area: 'item',
      ref: { kind: 'lora', ns: 'acme', name: 'legal-7b' },
      dir: 'registry/loras/ac/acme/legal-7b',
      rest: 'versions/1.0.0.yaml',
      version: '1.0.0',
    })
    expect(classifyPath('registry/loras/ac/acme/legal-7b/results/labs/bench.yaml')).toMatchObject({
      area: 'item',
      rest: 'results/labs/bench.yaml',
    })
    expect(classifyPath('registry/owners/acme.yaml')).toEqual({ area: 'owner', ns: 'acme' })
    expect(classifyPath('registry/owners/acme/x.yaml').area).toBe('misplaced')
    expect(classifyPath('registry/schemas/item.schema.json').area).toBe('hub')
    expect(classifyPath('registry/model').area).toBe('hub')
    expect(classifyPath('registry/models/ac/acme.yaml').area).toBe('misplaced')
    expect(classifyPath('site/index.astro').area).toBe('outside')
  })
})

describe('core/registry/git-refs', () => {
  it('finds names in a raw tree without parsing the rest', () => {
    const entry = (mode: string, name: string, byte: number) =>
      Buffer.concat([Buffer.from(`${mode} ${name}\0`), Buffer.alloc(20, byte)])
    const tree = Buffer.concat([
      entry('100644', 'a.yaml', 1),
      entry('40000', 'ab', 2),
      entry('100644', 'b.yaml', 3),
    ])
    expect(findTreeEntry(tree, 'ab')).toEqual({ mode: '40000', oid: '02'.repeat(20), isTree: true })
    expect(findTreeEntry(tree, 'b.yaml')).toEqual({
      mode: '100644',
      oid: '03'.repeat(20),
      isTree: false,
    })
    expect(findTreeEntry(tree, 'a')).toBeUndefined()
    expect(treeEntries(tree).map((e) => e.name)).toEqual(['a.yaml', 'ab', 'b.yaml'])
    expect(treeEntries(tree.subarray(0, 40)).map((e) => e.name)).toEqual(['a.yaml'])
  })

  it('parses two- and three-dot ranges', () => {
    expect(parseRefRange('main..HEAD')).toEqual({ base: 'main', head: 'HEAD', mergeBase: false })
    expect(parseRefRange('origin/main...')).toEqual({
      base: 'origin/main',
      head: 'HEAD',
      mergeBase: true,
    })
    expect(parseRefRange('..feature')).toEqual({ base: 'HEAD', head: 'feature', mergeBase: false })
    expect(parseRefRange('main')).toBeUndefined()
    expect(parseRefRange('..')).toBeUndefined()
    expect(parseRefRange('a..b..c')).toBeUndefined()
  })
})

describe('core/registry/changes special files', () => {
  it('refuses a symbolic link in the registry', async () => {
    const repo = await createTestRepo(fixture)
    try {
      fs.mkdirSync(join(repo.dir, 'registry/models/ac/acme/linked'), { recursive: true })
      fs.symlinkSync('/etc/passwd', join(repo.dir, 'registry/models/ac/acme/linked/item.yaml'))
      const head = await repo.commit({})
      const { issues, changes } = await checkChanges({
        fs,
        dir: repo.dir,
        base: repo.base,
        head,
        author: 'alice',
      })
      expect(changes.files).toEqual([
        expect.objectContaining({
          path: 'registry/models/ac/acme/linked/item.yaml',
          special: 'symlink',
        }),
      ])
      expect(issues.map((i) => i.code)).toContain('change/not-a-regular-file')
    } finally {
      await repo.remove()
    }
  })
})

describe('core/registry/changes trust', () => {
  let repo: TestRepo & { base: string }
  beforeEach(async () => {
    repo = await createTestRepo(fixture)
  })
  afterEach(async () => {
    await repo.remove()
  })
  const check = (head: string, author?: string) =>
    checkChanges({ fs, dir: repo.dir, base: repo.base, head, ...(author ? { author } : {}) })
  const RESULT = `${TOX}/results/labs/tox-bench.yaml`
  const result = (verified: boolean, score = 0.8) =>
    `benchmark: benchmarks/labs/tox-bench\nversion: 1.0.0\nscores:\n  auc: ${score}\ndate: 2026-01-01\nverified: ${verified}\n`
  /** Commits a mode change of one path, keeping its blob, with git's index alone. */
  const chmod = (path: string, mode: string) => {
    const oid = repo.git('rev-parse', `HEAD:${path}`)
    repo.git('update-index', '--cacheinfo', `${mode},${oid},${path}`)
    repo.git('commit', '--quiet', '-m', 'mode')
    return repo.git('rev-parse', 'HEAD')
  }

  it('refuses a change that lifts a take-down or a flag, whoever the author', async () => {
    const item = await readFile(join(repo.dir, TOX, 'item.yaml'), 'utf8')
    for (const state of ['taken-down', 'flagged']) {
      const down = await repo.commit({
        [`${TOX}/item.yaml`]: `${item}status:\n  state: ${state}\n  reason: legal request\n`,
      })
      for (const [lifted, now] of [
        [item, 'active'],
        [`${item}status:\n  state: deprecated\n  reason: old\n`, 'deprecated'],
      ] as const) {
        const head = await repo.commit({ [`${TOX}/item.yaml`]: lifted })
        const { issues } = await checkChanges({
          fs,
          dir: repo.dir,
          base: down,
          head,
          author: 'alice',
        })
        expect(errors(issues).map((i) => [i.code, i.message])).toEqual([
          [
            'change/maintainer-status',
            `acme/tox-gnn is ${state} by the hub's maintainers; this change makes it ${now}`,
          ],
        ])
        repo.git('reset', '--quiet', '--hard', down)
      }
      // Its reason may still be edited, and the state kept, without the rule firing.
      const reworded = await repo.commit({
        [`${TOX}/item.yaml`]: `${item}status:\n  state: ${state}\n  reason: court order 12\n`,
      })
      const kept = await checkChanges({
        fs,
        dir: repo.dir,
        base: down,
        head: reworded,
        author: 'alice',
      })
      expect(errors(kept.issues).map((i) => i.code)).not.toContain('change/maintainer-status')
      repo.git('reset', '--quiet', '--hard', repo.base)
    }
  })

  it('lets an owner add an unverified result', async () => {
    const head = await repo.commit({ [RESULT]: result(false) })
    expect(errors((await check(head, 'alice')).issues)).toEqual([])
  })

  it('refuses verified: true written by the item owner, at the verified line', async () => {
    const head = await repo.commit({ [RESULT]: result(true) })
    const { issues } = await check(head, 'alice')
    expect(errors(issues)).toEqual([
      {
        code: 'change/verified-by-non-qa',
        severity: 'error',
        message: 'alice marks a result verified of acme/tox-gnn; only agora-qa-bot may',
        hint: 'remove verified: true (or leave the verified result as it was); agora-qa-bot writes verified results after its own evaluation run',
        file: RESULT,
        line: 6,
        col: 11,
      },
    ])
  })

  it('refuses an owner turning an unverified result verified', async () => {
    await repo.commit({ [RESULT]: result(false) })
    const base = repo.git('rev-parse', 'HEAD')
    const head = await repo.commit({ [RESULT]: result(true) })
    const { issues } = await checkChanges({ fs, dir: repo.dir, base, head, author: 'alice' })
    expect(codes(errors(issues))).toEqual(['change/verified-by-non-qa'])
  })

  it('refuses any change, un-verifying or deletion of a verified result by anyone but QA', async () => {
    await repo.commit({ [RESULT]: result(true) })
    const base = repo.git('rev-parse', 'HEAD')
    for (const change of [result(true, 0.99), result(false, 0.8), null]) {
      repo.git('checkout', '--quiet', base)
      const head = await repo.commit({ [RESULT]: change })
      const { issues } = await checkChanges({ fs, dir: repo.dir, base, head, author: 'alice' })
      expect(codes(errors(issues))).toEqual(['change/verified-by-non-qa'])
    }
  })

  it('lets the QA identity write verified results into any item, whatever the case', async () => {
    const head = await repo.commit({ [RESULT]: result(true) })
    expect(errors((await check(head, 'Agora-QA-Bot')).issues)).toEqual([])
  })

  it('does not let a change appoint itself QA in agora.yaml', async () => {
    const hub = read('registry/agora.yaml').replace('agora-qa-bot', 'alice')
    const head = await repo.commit({ 'registry/agora.yaml': hub, [RESULT]: result(true) })
    expect(codes(errors((await check(head, 'alice')).issues))).toEqual([
      'change/verified-by-non-qa',
    ])
  })

  it('refuses a regular file turned into a symbolic link with the same blob', async () => {
    const head = chmod(`${TOX}/README.md`, '120000')
    const { issues, changes } = await check(head, 'alice')
    expect(changes.files).toEqual([
      expect.objectContaining({ path: `${TOX}/README.md`, status: 'modified', special: 'symlink' }),
    ])
    expect(errors(issues)).toEqual([
      expect.objectContaining({
        code: 'change/not-a-regular-file',
        message: `${TOX}/README.md is a symbolic link (mode 120000), not a plain file`,
      }),
    ])
  })

  it('refuses a file made executable, and a new executable file', async () => {
    const head = chmod(`${TOX}/item.yaml`, '100755')
    const { issues } = await check(head, 'alice')
    expect(errors(issues).map((i) => [i.code, i.file])).toEqual([
      ['change/not-a-regular-file', `${TOX}/item.yaml`],
    ])
    expect(errors(issues)[0]?.hint).toMatch(/--chmod=-x/)
    await repo.commit({ [`${TOX}/notes.md`]: 'x\n' })
    const next = chmod(`${TOX}/notes.md`, '100755')
    const again = await checkChanges({ fs, dir: repo.dir, base: head, head: next, author: 'alice' })
    expect(errors(again.issues).map((i) => i.message)).toEqual([
      `${TOX}/notes.md is executable (mode 100755), not a plain file`,
    ])
  })

  it('refuses a submodule entry in the registry', async () => {
    const oid = repo.git('rev-parse', 'HEAD')
    repo.git('update-index', '--add', '--cacheinfo', `160000,${oid},${TOX}/vendor`)
    repo.git('commit', '--quiet', '-m', 'submodule')
    const head = repo.git('rev-parse', 'HEAD')
    const { issues } = await check(head, 'alice')
    expect(errors(issues).map((i) => i.message)).toContain(
      `${TOX}/vendor is a submodule (mode 160000), not a plain file`,
    )
  })

  it('refuses a new namespace confusable with an existing one, whichever sorts first', async () => {
    for (const [ns, rival] of [
      ['4cme', undefined],
      ['acrne', 'acme'],
      ['iabs', 'labs'],
      ['la.bs', undefined],
    ]) {
      repo.git('checkout', '--quiet', repo.base)
      const head = await repo.commit({
        [`registry/owners/${ns}.yaml`]: `type: user\nname: X\ngithub: mallory\n`,
      })
      const { issues } = await check(head, 'mallory')
      const found = errors(issues).filter((i) => i.code === 'naming/confusable')
      expect(
        found.map((i) => [i.message, i.file]),
        ns,
      ).toEqual(
        rival === undefined
          ? []
          : [[`new namespace "${ns}" looks like "${rival}"`, `registry/owners/${ns}.yaml`]],
      )
    }
  })

  it('refuses 0-for-o look-alike namespaces that sort before the existing one', async () => {
    const head = await repo.commit({
      'registry/owners/1abs.yaml': 'type: org\nname: L\nmembers: [mallory]\n',
      'registry/models/1a/1abs/x-model/item.yaml': newItem('1abs/x-model', ['1abs']),
    })
    const { issues } = await check(head, 'mallory')
    expect(errors(issues)).toEqual([
      expect.objectContaining({
        code: 'naming/confusable',
        message: 'new namespace "1abs" looks like "labs"',
        file: 'registry/owners/1abs.yaml',
      }),
    ])
  })

  it('refuses a new item name confusable with a sibling at base', async () => {
    const head = await repo.commit({
      'registry/models/ac/acme/tox_gnn/item.yaml': newItem('acme/tox_gnn', ['acme']),
      'registry/models/ac/acme/t0x-gnn/item.yaml': newItem('acme/t0x-gnn', ['acme']),
      'registry/models/ac/acme/fresh/item.yaml': newItem('acme/fresh', ['acme']),
    })
    const { issues } = await check(head, 'alice')
    expect(errors(issues).map((i) => i.message)).toEqual([
      'new name "t0x-gnn" looks like "tox-gnn" in acme/tox-gnn',
      'new name "tox_gnn" looks like "tox-gnn" in acme/tox-gnn',
    ])
  })

  it('refuses a new item naming an organisation the author is not a member of', async () => {
    const head = await repo.commit({
      'registry/models/ac/acme/joint/item.yaml': newItem('acme/joint', ['acme', 'labs']),
    })
    const { issues } = await check(head, 'alice')
    expect(errors(issues)).toEqual([
      expect.objectContaining({
        code: 'change/author-not-authorized',
        message:
          'alice names labs as owner of new item acme/joint without being it or one of its members',
        file: 'registry/models/ac/acme/joint/item.yaml',
      }),
    ])
  })

  it('refuses unknown owners on a new item, and accepts every owner the author belongs to', async () => {
    const bad = await repo.commit({
      'registry/models/la/labs/joint/item.yaml': newItem('labs/joint', ['labs', 'ghost']),
    })
    expect((await check(bad, 'bob')).issues.map((i) => i.message)).toContain(
      'bob names ghost as owner of new item labs/joint without being it or one of its members',
    )
    repo.git('checkout', '--quiet', repo.base)
    const good = await repo.commit({
      'registry/owners/bob.yaml': 'type: user\nname: Bob\ngithub: bob\n',
      'registry/models/la/labs/joint/item.yaml': newItem('labs/joint', ['labs', 'bob']),
    })
    expect(errors((await check(good, 'bob')).issues)).toEqual([])
  })
})
