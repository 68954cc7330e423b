import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { formatIssue, type Issue } from '#core/errors'
import { parseKind } from '#core/names'
import { validateDocument } from '#core/schema'
import { loadYaml } from './load.ts'
import { loadReadme } from './readme.ts'
import type { DocumentType } from './schema-issues.ts'
import type { HubConfig } from './types.ts'

const here = fileURLToPath(new URL('.', import.meta.url))
const fixtures = join(here, '__fixtures__')
const invalidDir = join(fixtures, 'invalid')
const hub = validateDocument('hub', readFileSync(join(fixtures, 'hub.yaml')), 'hub.yaml')
  .value as HubConfig

/** Every fixture file under invalid/, as `<area>/<name>.<ext>`; its code is the path without extension. */
function fixtureFiles(): string[] {
  return readdirSync(invalidDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(invalidDir, join(e.parentPath, e.name)))
    .sort()
}

/** Runs one fixture the way its `# fixture: <type> [kind=…] [max-bytes=…]` header says. */
function runFixture(name: string): Issue[] {
  const bytes = readFileSync(join(invalidDir, name))
  const file = `fixtures/${name}`
  if (name.endsWith('.md')) return loadReadme(bytes, file).issues
  const header = /^# fixture: (\w+)(.*)$/m.exec(bytes.subarray(0, 200).toString('latin1'))
  if (!header) throw new Error(`${name} has no "# fixture:" header`)
  const [, type, rest = ''] = header
  const options = Object.fromEntries(
    rest
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((kv) => kv.split('=')),
  )
  if (type === 'yaml') {
    const maxBytes = options['max-bytes'] ? Number(options['max-bytes']) : undefined
    return loadYaml(bytes, file, maxBytes === undefined ? {} : { maxBytes }).issues
  }
  const kind = options.kind ? parseKind(options.kind) : undefined
  return validateDocument(type as DocumentType, bytes, file, kind ? { hub, kind } : { hub }).issues
}

describe('core/manifest/validate', () => {
  const names = fixtureFiles()

  it('has document fixtures to run', () => {
    expect(names.length).toBeGreaterThan(30)
  })

  for (const name of names) {
    const code = name.replace(/\.(yaml|md)$/, '')
    it(`reports ${code} for invalid/${name}`, () => {
      const issues = runFixture(name)
      expect(issues.map((i) => i.code)).toContain(code)
      for (const issue of issues) {
        expect(issue.file).toBe(`fixtures/${name}`)
        expect(issue.line).toBeGreaterThan(0)
        expect(issue.hint).toBeTruthy()
      }
      expect(issues.map(formatIssue).join('\n')).toMatchSnapshot()
    })
  }

  it('returns the normalised value and no issues for a valid item', () => {
    const source = [
      'kind: lora',
      'id: acme/legal-7b',
      'title: Legal 7B',
      'summary: Drafting style.',
      'owners: [acme]',
      'license: CC-BY-NC-4.0',
      'tags: [Legal, legal , LoRA]',
      'base_model: hf:meta-llama/Llama-3.1-8B',
      'pricing: { model: per-download, price: 49, currency: EUR }',
    ].join('\n')
    const { value, issues } = validateDocument('item', source, 'item.yaml', { hub })
    expect(issues).toEqual([])
    expect(value?.tags).toEqual(['legal', 'lora'])
    expect(value?.pricing?.currency).toBe('eur')
  })

  it('validates version fields by the kind given in the context', () => {
    const source = 'version: 1.0.0\nfiles: []\nr: 8\nlora_alpha: 16\ntarget_modules: [q_proj]\n'
    expect(validateDocument('version', source, 'v.yaml', { kind: 'lora' }).issues).toEqual([])
    const asModel = validateDocument('version', source, 'v.yaml', { kind: 'model' }).issues
    expect(asModel.map((i) => [i.code, i.line])).toEqual([
      ['schema/unknown-property', 3],
      ['schema/unknown-property', 4],
      ['schema/unknown-property', 5],
    ])
  })

  it('shows a number where a string belongs as written, with a hint to write it as one', () => {
    const source = 'version: 1.0\nfiles: []\nchangelog: 2.50\n'
    const issues = validateDocument('version', source, 'v.yaml', { kind: 'model' }).issues
    expect(issues.map((i) => formatIssue(i)).join('\n')).toBe(
      [
        'v.yaml:1:10  schema/type  version must be a string, found number 1.0',
        '  hint: YAML reads 1.0 as a number; use a semantic version such as 1.0.0, which YAML keeps as a string',
        'v.yaml:3:12  schema/type  changelog must be a string, found number 2.50',
        '  hint: YAML reads 2.50 as a number; quote it to keep it as written: "2.50"',
      ].join('\n'),
    )
    // The full parse (taken when the fast path declines a document) gives the same text.
    expect(loadYaml(source, 'v.yaml', { fast: false }).written?.(['version'])).toBe('1.0')
  })

  it('points a missing nested field at its parent mapping', () => {
    const source = 'type: org\nname: Acme\nmembers: [octocat]\npayout:\n  account: acct_1\n'
    const issues = validateDocument('owner', source, 'owners/acme.yaml').issues
    expect(issues.map((i) => `${i.code}@${i.line}:${i.col}`)).toEqual([
      'schema/required@5:3',
      'schema/unknown-property@5:3',
    ])
  })

  it('accepts hf.static and refuses a value that is not a boolean, at its line', () => {
    const source = readFileSync(join(fixtures, 'hub.yaml'), 'utf8')
    const on = validateDocument('hub', `${source}hf:\n  static: false\n`, 'agora.yaml')
    expect(on.issues).toEqual([])
    expect((on.value as HubConfig).hf).toEqual({ static: false })
    const bad = validateDocument('hub', `${source}hf:\n  static: "no"\n`, 'registry/agora.yaml')
    expect(bad.issues.map((i) => formatIssue(i))).toMatchInlineSnapshot(`
      [
        "registry/agora.yaml:16:11  schema/type  hf.static must be true or false, found string "no"
        hint: for example false",
      ]
    `)
    const unknown = validateDocument('hub', `${source}hf:\n  netlify: true\n`, 'agora.yaml')
    expect(unknown.issues.map((i) => i.code)).toEqual(['schema/unknown-property'])
  })

  it('refuses storage settings of the other backend', () => {
    const source = readFileSync(join(fixtures, 'hub.yaml'), 'utf8').replace(
      'storage: { type: fs, path: .agora/blobs }',
      'storage: { type: fs, path: .agora/blobs, bucket: b }',
    )
    const issues = validateDocument('hub', source, 'agora.yaml').issues
    expect(issues.map((i) => i.code)).toEqual(['schema/unknown-property'])
  })
})
