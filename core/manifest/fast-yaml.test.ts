import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateRegistry } from '../../scripts/bench/gen-registry.ts'
import { NOT_SIMPLE, parseSimpleYaml, resolvePlain } from './fast-yaml.ts'
import { loadYaml } from './load.ts'

const projectRoot = fileURLToPath(new URL('../../', import.meta.url))
let scratch: string
let corpus: { file: string; text: string }[] = []

async function yamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.yaml'))
    .map((e) => join(e.parentPath, e.name))
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'agora-fast-yaml-'))
  await generateRegistry({ items: 300, out: scratch, seed: 7 })
  const files = [
    ...(await yamlFiles(join(scratch, 'registry'))),
    ...(await yamlFiles(join(projectRoot, 'core/manifest/__fixtures__'))),
    ...(await yamlFiles(join(projectRoot, 'core/registry/__fixtures__'))),
    ...(await yamlFiles(join(projectRoot, 'registry'))),
  ]
  corpus = await Promise.all(
    files.map(async (file) => ({ file, text: await readFile(file, 'utf8') })),
  )
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

/** The full parser's verdict: the value when it loads without issues, else NOT_SIMPLE. */
function reference(text: string): unknown {
  const loaded = loadYaml(text, 'x.yaml', { fast: false })
  return loaded.issues.length === 0 ? loaded.value : NOT_SIMPLE
}

/** Checks one text: whatever the fast path accepts, the full parser accepts with the same value. */
function agrees(text: string): boolean {
  const fast = parseSimpleYaml(text)
  if (fast === NOT_SIMPLE) return true
  expect({ text, value: reference(text) }).toEqual({ text, value: fast })
  return true
}

function prng(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('core/manifest/fast-yaml', () => {
  it('agrees with the full parser on every manifest of the fixtures, the hub and a generated registry', () => {
    expect(corpus.length).toBeGreaterThan(1000)
    let accepted = 0
    for (const { text } of corpus) {
      agrees(text)
      if (parseSimpleYaml(text) !== NOT_SIMPLE) accepted++
    }
    // The point of the fast path: nearly every real manifest takes it.
    expect(accepted / corpus.length).toBeGreaterThan(0.9)
  })

  it('never accepts a mutation the full parser would read differently or refuse', () => {
    const rand = prng(42)
    const alphabet = [
      ' ',
      '  ',
      '\n',
      '\n  ',
      '- ',
      ': ',
      ':',
      '#',
      ' #',
      '"',
      "'",
      '[',
      ']',
      '{',
      '}',
      ',',
      '&a ',
      '*a',
      '!t ',
      '|',
      '>',
      '?',
      '-',
      '---',
      '...',
      '\\',
      '%',
      '@',
      '0',
      '1.5',
      'x',
      'null',
      'true',
      '0x1',
      '.inf',
      '__proto__',
    ]
    const seeds = corpus.filter((c) => c.text.length < 2000).slice(0, 200)
    let accepted = 0
    for (let n = 0; n < 4000; n++) {
      const base = (seeds[n % seeds.length] as { text: string }).text
      let text = base
      const edits = 1 + Math.floor(rand() * 3)
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rand() * (text.length + 1))
        const cut = rand() < 0.5 ? Math.floor(rand() * 4) : 0
        text =
          text.slice(0, at) +
          (alphabet[Math.floor(rand() * alphabet.length)] as string) +
          text.slice(at + cut)
      }
      agrees(text)
      if (parseSimpleYaml(text) !== NOT_SIMPLE) accepted++
    }
    // Enough mutants take the fast path for the comparison to mean something.
    expect(accepted).toBeGreaterThan(1000)
    expect(accepted).toBeLessThan(4000)
  })

  it('parses block and flow structures of the subset', () => {
    const text = [
      '# comment',
      'id: acme/x   # trailing comment',
      'n: 12',
      'f: 1.50',
      'e: 1e3',
      'hex: 0x1F',
      'oct: 0o17',
      'neg: -3',
      'inf: -.inf',
      'empty:',
      'tilde: ~',
      'yes: true',
      "quoted: 'it''s'",
      'dq: "a # not a comment"',
      'version: 1.0.0',
      'date: 2025-01-31',
      'list:',
      '- a',
      '- { path: x.bin, size: 3, tags: [a, "b, c"] }',
      '- key: v',
      '  other:',
      '    - 1',
      'map:',
      '  inner: [ ]',
      '  obj: {}',
    ].join('\n')
    const value = parseSimpleYaml(text)
    expect(value).toEqual(reference(text))
    expect(value).toMatchObject({
      n: 12,
      f: 1.5,
      e: 1000,
      hex: 31,
      oct: 15,
      neg: -3,
      empty: null,
      quoted: "it's",
    })
  })

  it.each([
    ['an anchor', 'a: &x 1\n'],
    ['an alias', 'a: *x\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a block scalar', 'a: |\n  text\n'],
    ['a multi-line plain scalar', 'a: one\n  two\n'],
    ['an escape', 'a: "x\\ny"\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a forbidden key', '__proto__: 1\n'],
    ['a forbidden flow key', 'a: { constructor: 1 }\n'],
    ['a quoted key', '"a": 1\n'],
    ['a numeric key', '1: a\n'],
    ['a boolean key', 'true: a\n'],
    ['a document marker', '---\na: 1\n'],
    ['a tab', 'a:\t1\n'],
    ['a carriage return', 'a: 1\r\n'],
    ['a trailing flow comma', 'a: [1, 2,]\n'],
    ['an unclosed flow', 'a: [1, 2\n'],
    ['a nested compact sequence', '- - a\n'],
    ['a top-level scalar', 'just text\n'],
    ['a colon in a plain value', 'a: b: c\n'],
    ['deep nesting', `a: ${'['.repeat(30)}${']'.repeat(30)}\n`],
  ])('leaves %s to the full parser', (_, text) => {
    expect(parseSimpleYaml(text)).toBe(NOT_SIMPLE)
  })

  it('resolves plain scalars as the core schema does', () => {
    expect(['', '~', 'null', 'Null', 'NULL'].map(resolvePlain)).toEqual([
      null,
      null,
      null,
      null,
      null,
    ])
    expect(['true', 'False', 'yes', 'on'].map(resolvePlain)).toEqual([true, false, 'yes', 'on'])
    expect(['010', '+5', '0o10', '0x10', '1_000'].map(resolvePlain)).toEqual([
      10,
      5,
      8,
      16,
      '1_000',
    ])
    expect(['.5', '5.', '1e-2', '.NaN', '+.inf', '1.0.0'].map(resolvePlain)).toEqual([
      0.5,
      5,
      0.01,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      '1.0.0',
    ])
  })

  it('gives positions for fast-path documents when asked', () => {
    const loaded = loadYaml('id: acme/x\nfiles:\n  - { path: a, size: 1 }\n', 'x.yaml')
    expect(loaded.issues).toEqual([])
    expect(loaded.locate(['files', 0, 'size'])).toEqual({ line: 3, col: 22 })
    expect(loaded.locateKey?.(['files'])).toEqual({ line: 2, col: 1 })
  })
})
