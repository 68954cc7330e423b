import { describe, expect, it } from 'vitest'
import {
  circularFingerprintBits,
  depictSmiles,
  implicitHydrogens,
  layout2d,
  parseSmiles,
  perceiveAromaticity,
  ringBonds,
  SMILES_ATOMS_MAX,
} from '#core/chem'

/** Aromatic and Kekulé (PubChem) spellings of the same molecules. */
const SPELLINGS = {
  benzene: ['c1ccccc1', 'C1=CC=CC=C1'],
  pyridine: ['c1ccncc1', 'C1=CC=NC=C1'],
  pyrrole: ['c1cc[nH]c1', 'C1=CNC=C1'],
  thiophene: ['c1ccsc1', 'C1=CSC=C1'],
  caffeine: ['Cn1cnc2c1c(=O)n(C)c(=O)n2C', 'CN1C=NC2=C1C(=O)N(C(=O)N2C)C'],
} as const

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

  it.each([
    // name, atoms, bonds, double bonds placed, hydrogens per atom
    ['benzene', 6, 6, 3, [1, 1, 1, 1, 1, 1]],
    ['pyridine', 6, 6, 3, [1, 1, 1, 0, 1, 1]],
    ['pyrrole', 5, 5, 2, [1, 1, 1, 1, 1]],
    ['thiophene', 5, 5, 2, [1, 1, 1, 0, 1]],
    ['caffeine', 14, 15, 4, [3, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 3]],
  ] as const)(
    'kekulises aromatic %s: atoms, bonds and hydrogens',
    (name, atoms, bonds, doubles, h) => {
      const [aromatic, kekule] = SPELLINGS[name]
      const g = parseSmiles(aromatic)
      expect([g.atoms.length, g.bonds.length]).toEqual([atoms, bonds])
      // Caffeine's two C=O are written; the ring gets the other two.
      expect(g.bonds.filter((b) => b.order === 2)).toHaveLength(doubles)
      expect(implicitHydrogens(g)).toEqual(h)
      const k = parseSmiles(kekule)
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
      expect(sum(implicitHydrogens(k))).toBe(sum([...h]))
      // Every aromatic atom that needs one has exactly one double bond.
      for (const [a, atom] of g.atoms.entries()) {
        if (!atom.aromatic || atom.element !== 'C') continue
        expect(g.bonds.filter((b) => b.order === 2 && (b.from === a || b.to === a))).toHaveLength(1)
      }
    },
  )

  it('marks what was written aromatic and reads : bonds and aromatic bracket atoms', () => {
    const g = parseSmiles('c1:c:c:c:c:c:1-c1ccc[se]1')
    expect(g.atoms.map((a) => (a.aromatic ? a.element.toLowerCase() : a.element)).join('')).toBe(
      'ccccccccccse',
    )
    // The bond between the rings is single and not aromatic.
    expect(g.bonds[6]).toEqual({ from: 5, to: 6, order: 1 })
    expect(g.bonds.filter((b) => b.aromatic)).toHaveLength(11)
    // Biphenyl without the '-' gets the same single bond.
    expect(parseSmiles('c1ccccc1c1ccccc1').bonds[6]).toEqual({ from: 5, to: 6, order: 1 })
    const pyridinium = parseSmiles('C[n+]1ccccc1')
    expect(implicitHydrogens(pyridinium)).toEqual([3, 0, 1, 1, 1, 1, 1])
  })

  it('refuses what it cannot read, saying why', () => {
    expect(() => parseSmiles('c1ccnc1')).toThrow(/no Kekulé structure.*\[nH\]/)
    expect(() => parseSmiles('c1cccc1')).toThrow(/no Kekulé structure/)
    expect(() => parseSmiles('C1CC')).toThrow(/unclosed ring/)
    expect(() => parseSmiles('<script>')).toThrow(/unsupported atom/)
  })
})

describe('core/chem limits on hostile SMILES', () => {
  it('refuses a SMILES of more atoms than the limit, quoting only its start', () => {
    expect(SMILES_ATOMS_MAX).toBe(2000)
    const huge = 'C'.repeat(100_000)
    let message = ''
    try {
      parseSmiles(huge)
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toMatch(/more than 2000 atoms/)
    expect(message.length).toBeLessThan(200)
    expect(parseSmiles('C'.repeat(2000)).atoms).toHaveLength(2000)
    // A drawing refuses while parsing, before kekulising what it would not draw.
    expect(() => depictSmiles(`c1${'c'.repeat(4000)}c1`, { maxAtoms: 150 })).toThrow(
      /more than 150 atoms/,
    )
  })

  it('finds ring bonds of the longest chains and rings it reads', () => {
    expect(ringBonds(parseSmiles('C'.repeat(2000))).some(Boolean)).toBe(false)
    expect(ringBonds(parseSmiles(`C1${'C'.repeat(1998)}C1`)).every(Boolean)).toBe(true)
    // Two rings joined by a bridge, and a ring closed by a second bond between two atoms.
    expect(ringBonds(parseSmiles('C1CC1C1CC1'))).toEqual([
      true,
      true,
      true,
      false,
      true,
      true,
      true,
    ])
    expect(ringBonds(parseSmiles('C1.C1C'))).toEqual([false, false])
  })
})

describe('core/chem/aromaticity', () => {
  const flags = (smiles: string) => perceiveAromaticity(parseSmiles(smiles))
  it.each([
    ['C1=CC=CC=C1C', 6],
    ['C1=CC=NC=C1', 6],
    ['C1=CNC=C1', 5],
    ['C1=COC=C1', 5],
    ['C1=CSC=C1', 5],
    ['O=C1C=CC=CN1', 6],
    ['CN1C=NC2=C1C(=O)N(C(=O)N2C)C', 9],
    ['C1=CC=C2C=CC=CC2=C1', 10],
    ['C1=CC=C2C=CC=C2C=C1', 10],
  ])('finds the aromatic atoms of %s', (smiles, count) => {
    expect(flags(smiles).atoms.filter(Boolean)).toHaveLength(count)
  })

  it.each(['C1=CCC=C1', 'C1=CC=CC1', 'C1CCCCC1', 'C1=CC=CC=CC=C1', 'C=C1C=CC=C1'])(
    'finds none in %s',
    (smiles) => {
      expect(flags(smiles).atoms.some(Boolean)).toBe(false)
    },
  )

  it('marks ring bonds of aromatic rings only', () => {
    const toluene = flags('CC1=CC=CC=C1')
    expect(toluene.bonds).toEqual([false, true, true, true, true, true, true])
  })
})

describe('core/chem/fingerprint of aromatic SMILES', () => {
  const bits = (smiles: string, aromaticity = false) =>
    circularFingerprintBits(parseSmiles(smiles), { radius: 2, bits: 2048, aromaticity })

  it.each(Object.entries(SPELLINGS))(
    'gives %s the same bits spelled aromatic or Kekulé, with and without aromaticity',
    (_name, [aromatic, kekule]) => {
      expect(bits(aromatic)).toEqual(bits(kekule))
      expect(bits(aromatic, true)).toEqual(bits(kekule, true))
      // Aromaticity is an invariant: it changes the bits of an aromatic ring.
      expect(bits(aromatic, true)).not.toEqual(bits(aromatic))
    },
  )

  it('needs aromaticity when the Kekulé structures of a ring differ', () => {
    // o-Cresol and naphthalene have Kekulé structures that are not symmetric images.
    const cresol = ['CC1=CC=CC=C1O', 'CC1=C(O)C=CC=C1', 'Cc1ccccc1O']
    expect(bits(cresol[0] as string)).not.toEqual(bits(cresol[1] as string))
    for (const s of cresol) expect(bits(s, true)).toEqual(bits(cresol[0] as string, true))
    // Naphthalene with the fusion bond single, then double.
    const naphthalene = ['C1=CC=C2C=CC=CC2=C1', 'C12=C(C=CC=C1)C=CC=C2', 'c1ccc2ccccc2c1']
    expect(bits(naphthalene[0] as string)).not.toEqual(bits(naphthalene[1] as string))
    for (const s of naphthalene) expect(bits(s, true)).toEqual(bits(naphthalene[0] as string, true))
  })

  it('keeps the bits without aromaticity as they were', () => {
    // The same pins as fingerprint.test.ts: the sample models read these.
    expect(bits('CCO')).toEqual([437, 1045, 1132, 1229, 1361, 1427, 1572, 1857, 1903])
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

  it('draws an aromatic SMILES as a Kekulé structure, as the dataset preview shows it', () => {
    // Benzene: six bonds, three of them double.
    expect(depictSmiles('c1ccccc1').lines).toHaveLength(9)
    expect(depictSmiles('c1cc[nH]c1').labels.map((l) => l.text)).toEqual(['N'])
    // Caffeine: 15 bonds, 4 double, either spelling.
    expect(depictSmiles(SPELLINGS.caffeine[0]).lines).toHaveLength(19)
    expect(depictSmiles(SPELLINGS.caffeine[1]).lines).toHaveLength(19)
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
