import { describe, expect, it } from 'vitest'
import { depictSmiles, layout2d, parseSmiles } from '#core/chem'

describe('core/chem/parse-smiles', () => {
  it('reads branches, ring closures, bond orders and bracket charges', () => {
    const acetate = parseSmiles('CC(=O)[O-]')
    expect(acetate.atoms.map((a) => `${a.element}${a.charge || ''}`)).toEqual([
      'C',
      'C',
      'O',
      'O-1',
    ])
    expect(acetate.bonds).toEqual([
      { from: 0, to: 1, order: 1 },
      { from: 1, to: 2, order: 2 },
      { from: 1, to: 3, order: 1 },
    ])
    const benzene = parseSmiles('C1=CC=CC=C1')
    expect(benzene.bonds).toHaveLength(6)
    expect(benzene.bonds.filter((b) => b.order === 2)).toHaveLength(3)
  })

  it('refuses what it cannot read, saying why', () => {
    expect(() => parseSmiles('c1ccccc1')).toThrow(/Kekulé/)
    expect(() => parseSmiles('C1CC')).toThrow(/unclosed ring/)
    expect(() => parseSmiles('<script>')).toThrow(/unsupported atom/)
  })
})

describe('core/chem/layout-2d', () => {
  it('places bonded atoms about a bond length apart, the same on every run', () => {
    const graph = parseSmiles('CCO')
    const a = layout2d(graph)
    expect(a).toEqual(layout2d(graph))
    const [[px, py], [qx, qy]] = [a[0] ?? [0, 0], a[1] ?? [0, 0]]
    expect(Math.hypot(px - qx, py - qy)).toBeGreaterThan(1.2)
    expect(Math.hypot(px - qx, py - qy)).toBeLessThan(1.8)
  })
})

describe('core/chem/depict', () => {
  it('draws one stroke per single bond, two per double, three per triple', () => {
    expect(depictSmiles('CC').lines).toHaveLength(1)
    expect(depictSmiles('C=C').lines).toHaveLength(2)
    expect(depictSmiles('C#N').lines).toHaveLength(3)
  })

  it('labels heteroatoms and charged atoms, not plain carbons', () => {
    expect(depictSmiles('CC(=O)[O-]').labels.map((l) => l.text)).toEqual(['O', 'O−'])
    expect(depictSmiles('C[N+](C)(C)C').labels.map((l) => l.text)).toEqual(['N+'])
    expect(depictSmiles('C').labels.map((l) => l.text)).toEqual(['C'])
  })

  it('frames every atom inside its view box', () => {
    const d = depictSmiles('CC(=O)OC1=CC=CC=C1C(=O)O')
    const [x, y, w, h] = d.viewBox
    for (const l of d.lines) {
      for (const [px, py] of [
        [l.x1, l.y1],
        [l.x2, l.y2],
      ] as const) {
        expect(px).toBeGreaterThanOrEqual(x)
        expect(px).toBeLessThanOrEqual(x + w)
        expect(py).toBeGreaterThanOrEqual(y)
        expect(py).toBeLessThanOrEqual(y + h)
      }
    }
  })

  it('refuses an empty or oversized molecule', () => {
    expect(() => depictSmiles('')).toThrow(/no atoms/)
    expect(() => depictSmiles('C'.repeat(20), { maxAtoms: 10 })).toThrow(/more than 10/)
  })
})
