import { describe, expect, it } from 'vitest'
import { closestName, editDistance } from './edit-distance.ts'

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

  it('names the nearest candidate within the distance, case aside, the first of equals', () => {
    expect(closestName('licence', ['links', 'license'], 2)).toBe('license')
    expect(closestName('MODLES', ['datasets', 'models'], 2)).toBe('models')
    expect(closestName('tot', ['top', 'to'], 1)).toBe('top')
    expect(closestName('tox', ['to'], 0)).toBeUndefined()
    expect(closestName('anything', [], 5)).toBeUndefined()
  })
})
