import { describe, expect, it } from 'vitest'
import { assertInside } from './inside.ts'

describe('core/client/inside', () => {
  it('keeps paths that stay under the root, names that start with dots included', () => {
    expect(assertInside('/c', '/c/a/b')).toBe('/c/a/b')
    expect(assertInside('/c', 'a/b')).toBe('/c/a/b')
    expect(assertInside('/c', '/c/..foo/x')).toBe('/c/..foo/x')
    expect(assertInside('/c', '..hidden')).toBe('/c/..hidden')
    expect(assertInside('/c', '/c')).toBe('/c')
  })

  it.each(['..', '../x', '/c/../etc', '/etc/passwd', 'a/../../x', '/c2/x'])(
    'refuses %s with client/unsafe-path',
    (path) => {
      expect(() => assertInside('/c', path)).toThrow(
        expect.objectContaining({ code: 'client/unsafe-path' }),
      )
    },
  )
})
