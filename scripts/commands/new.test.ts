import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Kind } from '#core/names'
import { main } from '../agora.ts'
import { captureStream } from '../cli/capture.ts'

const fixture = fileURLToPath(
  new URL('../../core/registry/__fixtures__/changes/base', import.meta.url),
)
const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

async function run(cwd: string, command: string, ...argv: string[]) {
  const stdout = captureStream()
  const stderr = captureStream()
  const code = await main([command, ...argv], {
    cwd,
    env: {},
    stdout,
    stderr,
    fetch: globalThis.fetch,
  })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

/** What an author writes into the empty fields of each kind's scaffold. */
const FILL: Record<Kind, [string, string][]> = {
  model: [],
  dataset: [['format: ""', 'format: smiles_csv']],
  adapter: [],
  lora: [
    ['base_model: ""', 'base_model: acme/tox-gnn'],
    ['# r: 8', 'r: 8'],
    ['# lora_alpha: 16', 'lora_alpha: 16'],
    ['# target_modules: [q_proj, v_proj]', 'target_modules: [q_proj, v_proj]'],
  ],
  pipeline: [
    ['use_case: ""', 'use_case: Toxicity screening'],
    ['steps: []', 'steps:\n  - id: predict\n    uses: acme/tox-gnn'],
  ],
  benchmark: [
    ['task: ""', 'task: toxicity-classification'],
    ['metrics: []', 'metrics:\n  - name: roc_auc\n    higher_is_better: true'],
  ],
  collection: [['items: []', 'items:\n  - ref: acme/tox-gnn']],
}
const COMMON: [string, string][] = [
  ['summary: ""', 'summary: Something useful.'],
  ['license: ""', 'license: MIT'],
]

async function fill(dir: string, edits: [string, string][]): Promise<void> {
  for (const file of await readdir(dir, { recursive: true })) {
    if (!file.endsWith('.yaml')) continue
    const path = join(dir, file)
    let text = await readFile(path, 'utf8')
    for (const [from, to] of edits) text = text.replace(from, to)
    await writeFile(path, text)
  }
}

describe('scripts/commands/new', () => {
  let root: string
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'agora-new-'))
    await cp(fixture, root, { recursive: true })
  })
  afterEach(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it.each(Object.keys(FILL) as Kind[])(
    'scaffolds kind %s that fails on its empty fields and validates clean once they are filled',
    async (kind) => {
      const created = await run(root, 'new', kind, 'acme/fresh-one')
      expect(created).toMatchObject({ code: 0, stderr: '' })
      const dir = `registry/${kind}s/ac/acme/fresh-one`
      expect(created.stdout).toContain(`✔ created ${dir}`)
      const files = (await readdir(join(root, dir), { recursive: true })).sort()
      expect(files).toEqual(
        kind === 'collection'
          ? ['README.md', 'item.yaml']
          : ['README.md', 'item.yaml', 'versions', 'versions/0.1.0.yaml'],
      )
      const unfilled = await run(root, 'validate', dir)
      expect(unfilled.code).toBe(1)
      expect(unfilled.stdout).toMatch(/item\.yaml:\d+:\d+ {2}\S+ {2}summary/)
      // An empty kind field is reported as itself, never its siblings as unknown fields.
      expect(unfilled.stdout).not.toContain('unknown field')

      await fill(join(root, dir), [...COMMON, ...FILL[kind]])
      const filled = await run(root, 'validate', dir)
      expect(filled.stdout).toBe('✔ 1 item, 0 problems\n')
      expect(filled.code).toBe(0)
    },
  )

  it('points the $schema header of each file at the registry schemas', async () => {
    await run(root, 'new', 'dataset', 'acme/tox22')
    for (const [file, schema] of [
      ['item.yaml', 'item.schema.json'],
      ['versions/0.1.0.yaml', 'version.schema.json'],
    ] as const) {
      const path = `registry/datasets/ac/acme/tox22/${file}`
      const header = (await readFile(join(root, path), 'utf8')).split('\n')[0] ?? ''
      const target = header.replace('# yaml-language-server: $schema=', '')
      expect(resolve(dirname(join(repoRoot, path)), target)).toBe(
        join(repoRoot, 'registry/schemas', schema),
      )
      expect((await stat(join(repoRoot, 'registry/schemas', schema))).isFile()).toBe(true)
    }
  })

  it('lists another owner with --owner and warns when its owner file is missing', async () => {
    const result = await run(root, 'new', 'models', 'acme/shared', '--owner', 'labs')
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
    expect(
      await readFile(join(root, 'registry/models/ac/acme/shared/item.yaml'), 'utf8'),
    ).toContain('owners:\n  - labs\n')
    const missing = await run(root, 'new', 'model', 'newco/first')
    expect(missing.code).toBe(0)
    expect(missing.stderr).toContain('registry/owners/newco.yaml does not exist yet')
    expect(missing.stderr).toContain('agora new owner newco')
  })

  it('creates the owner file a newcomer needs, so their first item validates', async () => {
    const owner = await run(root, 'new', 'owner', 'newco', '--github', 'new-coder')
    expect(owner).toMatchObject({ code: 0, stderr: '' })
    expect(await readFile(join(root, 'registry/owners/newco.yaml'), 'utf8')).toBe(
      '# yaml-language-server: $schema=../schemas/owner.schema.json\ntype: user\nname: Newco\ngithub: "new-coder"\n',
    )
    const item = await run(root, 'new', 'model', 'newco/first')
    expect(item.stderr).toBe('')
    await fill(join(root, 'registry/models/ne/newco/first'), COMMON)
    const checked = await run(root, 'validate', 'registry/models/ne/newco/first')
    expect(checked.stdout).toBe('✔ 1 item, 0 problems\n')
    const org = await run(
      root,
      'new',
      'owner',
      'northwind',
      '--org',
      '--github',
      'octocat',
      '--name',
      'Labs Inc',
      '--json',
    )
    expect(JSON.parse(org.stdout)).toEqual({
      ok: true,
      owner: 'northwind',
      file: 'registry/owners/northwind.yaml',
    })
    expect(await readFile(join(root, 'registry/owners/northwind.yaml'), 'utf8')).toContain(
      'type: org\nname: Labs Inc\nmembers: ["octocat"]\n',
    )
    expect((await run(root, 'validate')).code).toBe(0)
  })

  it('refuses an owner that exists, a bad name or login, and an org without members', async () => {
    const before = await readFile(join(root, 'registry/owners/acme.yaml'), 'utf8')
    const taken = await run(root, 'new', 'owner', 'acme')
    expect(taken.code).toBe(2)
    expect(taken.stderr).toContain('cli/owner-exists')
    expect(await readFile(join(root, 'registry/owners/acme.yaml'), 'utf8')).toBe(before)
    for (const [argv, code] of [
      [['Bad_NS'], 'naming/invalid'],
      [['../etc'], 'naming/invalid'],
      [['newco', '--github=-nope'], 'schema/pattern'],
      [['newco', '--org'], 'cli/bad-argument'],
    ] as const) {
      const refused = await run(root, 'new', 'owner', ...argv)
      expect(refused.code).toBe(2)
      expect(refused.stderr).toContain(code)
    }
    expect((await readdir(join(root, 'registry/owners'))).sort()).not.toContain('newco.yaml')
    expect(
      (await readdir(join(root, 'registry/owners'))).filter((f) => f.endsWith('.tmp')),
    ).toEqual([])
  })

  it('refuses to overwrite an existing item and leaves it as it was', async () => {
    const item = join(root, 'registry/models/ac/acme/tox-gnn/item.yaml')
    const before = await readFile(item, 'utf8')
    const result = await run(root, 'new', 'model', 'acme/tox-gnn')
    expect(result.code).toBe(2)
    expect(result.stderr).toMatchInlineSnapshot(`
      "registry/models/ac/acme/tox-gnn  cli/item-exists  registry/models/ac/acme/tox-gnn already exists
        hint: edit the files there, or pick another name; agora new never overwrites an item
      "
    `)
    expect(await readFile(item, 'utf8')).toBe(before)
    expect(await readdir(join(root, '.agora', 'tmp')).catch(() => [])).toEqual([])
  })

  it('exits 2 with a hint for a bad kind or name', async () => {
    const kind = await run(root, 'new', 'widget', 'acme/x')
    expect(kind.code).toBe(2)
    expect(kind.stderr).toMatchInlineSnapshot(`
      "cli/unknown-kind  agora new: "widget" is not a kind
        hint: use one of model, dataset, adapter, lora, pipeline, benchmark, collection
      "
    `)
    const upper = await run(root, 'new', 'model', 'Acme/x1')
    expect(upper.code).toBe(2)
    expect(upper.stderr).toContain('naming/invalid')
    expect(upper.stderr).toContain('hint: use lower case: "acme"')
    const reserved = await run(root, 'new', 'model', 'acme/api', '--json')
    expect(reserved.code).toBe(2)
    expect(JSON.parse(reserved.stdout)).toMatchObject({
      ok: false,
      error: { code: 'naming/reserved' },
    })
    const shape = await run(root, 'new', 'model', 'just-a-name')
    expect(shape.stderr).toContain('is not <namespace>/<name>')
    expect((await run(root, 'new', 'model')).code).toBe(2)
  })

  it('prints only JSON under --json', async () => {
    const result = await run(root, 'new', 'collection', 'labs/starter-kit', '--json')
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({
      ok: true,
      ref: 'collections/labs/starter-kit',
      dir: 'registry/collections/la/labs/starter-kit',
      files: [
        'registry/collections/la/labs/starter-kit/item.yaml',
        'registry/collections/la/labs/starter-kit/README.md',
      ],
    })
  })
})
