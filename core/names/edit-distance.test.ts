import { describe, expect, it } from 'vitest'
import { editDistance } from './edit-distance.ts'

describe('core/names/edit-distance', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('', '')).toBe(0)
    expect(editDistance('licence', 'license')).toBe(1)
    expect(editDistance('tox', 'tox21')).toBe(2)
    expect(editDistance('kitten', 'sitting')).toBe(3)
    expect(editDistance('abc', '')).toBe(3)
  })

  it('counts two neighbouring letters swapped as one edit', () => {
    expect(editDistance('dokcing', 'docking')).toBe(1)
    expect(editDistance('ab', 'ba')).toBe(1)
    expect(editDistance('toxicolgoy', 'toxicology')).toBe(1)
    // Each character is edited once: the swap cannot then be edited again.
    expect(editDistance('ca', 'abc')).toBe(3)
  })
})
