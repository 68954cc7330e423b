import { describe, expect, it } from 'vitest'
import { JsonSyntaxError, parseStrictJson } from './strict-json.ts'

describe('core/scan/strict-json', () => {
  it('parses what JSON.parse parses, escapes included', () => {
    const text = '{"a":[1,-2.5e3,true,false,null],"b\\u0041\\n":"x\\"y\\\\z\\/","c":{}}'
    expect(parseStrictJson(text).value).toEqual(JSON.parse(text))
  })

  it('reports duplicate keys at any depth, which JSON.parse hides', () => {
    const { duplicates, value } = parseStrictJson('{"t":{"x":1,"x":2},"t":3}')
    expect(duplicates).toEqual(['t.x', 't'])
    expect(value).toEqual({ t: 3 })
  })

  it('lists numbers written with a fraction or exponent', () => {
    expect(parseStrictJson('{"a":[1,2.0,3e0],"b":-0.5}').fractional).toEqual(['a[1]', 'a[2]', 'b'])
  })

  it('keeps __proto__ as a plain key', () => {
    const { value } = parseStrictJson('{"__proto__":{"polluted":true}}')
    expect(Object.keys(value as object)).toEqual(['__proto__'])
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined()
  })

  it('refuses what RFC 8259 refuses, with the position', () => {
    for (const bad of [
      '{"a":1,}',
      "{'a':1}",
      '{"a":01}',
      '{"a":"\u0001"}',
      '[1] x',
      '{"a":"\\q"}',
      '',
      'NaN',
    ]) {
      expect(() => parseStrictJson(bad), bad).toThrow(JsonSyntaxError)
    }
    expect(() => parseStrictJson('{"a":tru}')).toThrow('expected true at character 5')
  })

  it('caps nesting so hostile input cannot exhaust the stack', () => {
    expect(() => parseStrictJson('['.repeat(100_000))).toThrow('nested deeper than 64 levels')
  })
})
