import { describe, expect, it } from 'vitest'
import { checkName, nameSkeleton, RESERVED_NAMES } from './naming.ts'

const codes = (name: string, reserved?: string[]) =>
  checkName(name, 'name', reserved).map((i) => i.code)

describe('core/names/naming', () => {
  it.each(['acme', 'tox-gnn', 'llama_3.1-8b', 'a1', 'x'.repeat(64)])('accepts %j', (name) => {
    expect(codes(name)).toEqual([])
  })

  it.each([
    ['a', 'too short'],
    ['x'.repeat(65), 'too long'],
    ['Acme', 'upper case'],
    ['-acme', 'leading separator'],
    ['acme-', 'trailing separator'],
    ['ac--me', 'doubled separator'],
    ['ac..me', 'dot-dot'],
    ['acmé', 'non-ASCII'],
    ['аcme', 'Cyrillic a'],
    ['ac me', 'space'],
    ['ac/me', 'slash'],
  ])('refuses %j (%s)', (name) => {
    expect(codes(name)).toContain('naming/invalid')
  })

  it('suggests the lower-case spelling', () => {
    expect(checkName('Acme', 'namespace')[0]?.hint).toBe('use lower case: "acme"')
  })

  it('refuses built-in and hub-reserved names, whatever their case', () => {
    expect(RESERVED_NAMES).toContain('api')
    expect(codes('api')).toEqual(['naming/reserved'])
    expect(codes('pagefind')).toEqual(['naming/reserved'])
    expect(codes('official-hub', ['official-hub'])).toEqual(['naming/reserved'])
    expect(codes('Admin')).toEqual(['naming/invalid', 'naming/reserved'])
    expect(codes('official-hub')).toEqual([])
  })

  it('folds look-alike spellings to one skeleton', () => {
    expect(nameSkeleton('rnodel')).toBe(nameSkeleton('model'))
    expect(nameSkeleton('g00gle')).toBe(nameSkeleton('google'))
    expect(nameSkeleton('llama')).toBe(nameSkeleton('1lama'))
    expect(nameSkeleton('tox_gnn')).toBe(nameSkeleton('tox.gnn'))
    expect(nameSkeleton('tox-gnn')).toBe(nameSkeleton('tox--gnn'))
    expect(nameSkeleton('vvorld')).toBe(nameSkeleton('world'))
    expect(nameSkeleton('Acme')).toBe(nameSkeleton('acme'))
    expect(nameSkeleton('acme')).not.toBe(nameSkeleton('acne'))
  })
})
