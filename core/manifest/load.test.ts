import { describe, expect, it } from 'vitest'
import { loadYaml, MAX_MANIFEST_BYTES } from './load.ts'

const codes = (source: string | Uint8Array) => loadYaml(source, 'x.yaml').issues.map((i) => i.code)

describe('core/manifest/load', () => {
  it('loads plain YAML and locates values, keys and list entries', () => {
    const source = 'id: acme/x\nfiles:\n  - path: a.bin\n    size: 3\n'
    const loaded = loadYaml(source, 'x.yaml')
    expect(loaded.issues).toEqual([])
    expect(loaded.value).toEqual({ id: 'acme/x', files: [{ path: 'a.bin', size: 3 }] })
    expect(loaded.locate(['id'])).toEqual({ line: 1, col: 5 })
    expect(loaded.locate(['files', 0, 'size'])).toEqual({ line: 4, col: 11 })
    expect(loaded.locateKey?.(['files', 0, 'size'])).toEqual({ line: 4, col: 5 })
    // A path that does not exist points at the nearest enclosing value.
    expect(loaded.locate(['files', 0, 'sha256'])).toEqual({ line: 3, col: 5 })
  })

  it('refuses an alias bomb before expanding it, with one report per kind', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for (let i = 1; i < 20; i++) {
      const prev = String.fromCharCode(96 + i)
      const name = String.fromCharCode(97 + i)
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`)
    }
    const loaded = loadYaml(levels.join('\n'), 'bomb.yaml')
    expect(loaded.value).toBeUndefined()
    expect(loaded.issues.map((i) => i.code)).toEqual(['yaml/alias', 'yaml/alias'])
  })

  it('refuses a 50 MB manifest without parsing it', () => {
    const huge = new Uint8Array(50 * 1024 * 1024).fill(0x61)
    const loaded = loadYaml(huge, 'huge.yaml')
    expect(loaded.value).toBeUndefined()
    expect(loaded.issues).toMatchObject([{ code: 'yaml/too-large', line: 1, col: 1 }])
    expect(codes('a'.repeat(MAX_MANIFEST_BYTES + 1))).toEqual(['yaml/too-large'])
  })

  it('counts bytes, not UTF-16 units, against the size cap', () => {
    const text = `a: "${'é'.repeat(600)}"\n`
    expect(loadYaml(text, 'x.yaml', { maxBytes: 1000 }).issues.map((i) => i.code)).toEqual([
      'yaml/too-large',
    ])
  })

  it('leaves Object.prototype alone when a file tries to pollute it', () => {
    const source = [
      '__proto__:',
      '  polluted: yes',
      'nested:',
      '  __proto__: { polluted: yes }',
      '  constructor:',
      '    prototype: { polluted: yes }',
      'list:',
      '  - { __proto__: { polluted: yes } }',
    ].join('\n')
    const loaded = loadYaml(source, 'evil.yaml')
    expect(loaded.value).toBeUndefined()
    expect(loaded.issues.map((i) => `${i.code}@${i.line}`)).toEqual([
      'yaml/forbidden-key@1',
      'yaml/forbidden-key@4',
      'yaml/forbidden-key@5',
      'yaml/forbidden-key@8',
    ])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false)
  })

  it('refuses bytes that are not UTF-8 and accepts a byte order mark', () => {
    expect(codes(new Uint8Array([0x61, 0x3a, 0x20, 0xc3, 0x28]))).toEqual(['yaml/not-utf8'])
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('a: 1\n')])
    expect(loadYaml(bom, 'x.yaml').value).toEqual({ a: 1 })
  })

  it('refuses explicit tags, including core ones that change a type', () => {
    expect(codes('a: !!binary aGVsbG8=\n')).toEqual(['yaml/custom-tag'])
    expect(codes('a: !js/function "x"\n')).toEqual(['yaml/custom-tag'])
    expect(loadYaml('a: !!str 1\n', 'x.yaml').value).toEqual({ a: '1' })
  })

  it('bounds nesting in flow and block style, ignoring brackets inside strings', () => {
    expect(codes(`a: ${'['.repeat(40)}${']'.repeat(40)}\n`)).toEqual(['yaml/too-deep'])
    expect(codes(`a: ${'['.repeat(100_000)}\n`)).toEqual(['yaml/too-deep'])
    let block = ''
    for (let i = 0; i < 40; i++) block += `${' '.repeat(i)}k${i}:\n`
    expect(codes(`${block}${' '.repeat(40)}x: 1\n`)).toEqual(['yaml/too-deep'])
    expect(codes(`a: "${'['.repeat(40)}"\nb: '${'{'.repeat(40)}'\n# ${'['.repeat(40)}\n`)).toEqual(
      [],
    )
  })

  it('refuses duplicate keys, several documents and complex keys', () => {
    expect(codes('a: 1\nb: 2\na: 3\n')).toEqual(['yaml/duplicate-key'])
    expect(codes('a: 1\n---\na: 2\n')).toEqual(['yaml/multiple-documents'])
    expect(codes('? { a: 1 }\n: x\n')).toEqual(['yaml/complex-key'])
  })

  it('refuses keys that differ in YAML but load as the same string', () => {
    for (const text of [
      '1: a\n"1": b\n',
      "true: a\n'true': b\n",
      'null: a\n~: b\n',
      '~: a\n"null": b\n',
      'x:\n  0x1: a\n  "1": b\n',
      '1: a\n01: b\n',
      '{ 1: a, "1": b }\n',
      'FALSE: a\n"false": b\n',
    ]) {
      const loaded = loadYaml(text, 'x.yaml')
      expect(
        loaded.issues.map((i) => i.code),
        text,
      ).toEqual(['yaml/duplicate-key'])
      expect(loaded.value, text).toBeUndefined()
    }
    expect(loadYaml('1: a\n"1": b\n', 'x.yaml').issues[0]).toMatchObject({
      message: 'key "1" appears more than once in this mapping (written 1 and "1")',
      line: 2,
      col: 1,
    })
    expect(codes('"1.0": a\n1: b\n"true ": c\n')).toEqual([])
  })

  it('reports syntax errors at their position and returns no value', () => {
    const loaded = loadYaml('a: 1\nb: [1, 2\nc: 3\n', 'x.yaml')
    expect(loaded.value).toBeUndefined()
    expect(loaded.issues[0]).toMatchObject({ code: 'yaml/syntax', file: 'x.yaml' })
    expect(loaded.issues[0]?.line).toBeGreaterThanOrEqual(2)
  })

  it('loads an empty document as null', () => {
    expect(loadYaml('', 'x.yaml')).toMatchObject({ value: null, issues: [] })
  })
})
