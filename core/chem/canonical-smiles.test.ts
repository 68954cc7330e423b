import { describe, expect, it } from 'vitest'
import { MOLECULES } from '../../scripts/sample/molecules.ts'
import { createRng } from '../../scripts/sample/prng.ts'
import { CANONICAL_ATOMS_MAX, canonicalSmiles } from './canonical-smiles.ts'
import { type MolGraph, parseSmiles } from './parse-smiles.ts'

/** The same molecule with its atoms and bonds in another order. */
function shuffled(graph: MolGraph, rng: { next(): number }): MolGraph {
  const shuffle = <T>(xs: T[]) => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1))
      ;[xs[i], xs[j]] = [xs[j] as T, xs[i] as T]
    }
    return xs
  }
  const place = shuffle(graph.atoms.map((_, i) => i))
  const atoms = new Array<MolGraph['atoms'][number]>(graph.atoms.length)
  graph.atoms.forEach((a, i) => {
    atoms[place[i] as number] = a
  })
  const bonds = graph.bonds.map((b) => ({
    ...b,
    from: place[b.from] as number,
    to: place[b.to] as number,
  }))
  return { atoms, bonds: shuffle(bonds) }
}

describe('core/chem/canonical-smiles', () => {
  it.each([
    ['CCO', 'OCC', 'CCO'],
    ['C1=CC=CC=C1', 'c1ccccc1', 'c1ccccc1'],
    ['CC(=O)OC1=CC=CC=C1C(=O)O', 'OC(=O)c1ccccc1OC(C)=O', 'CC(=O)Oc1ccccc1C(=O)O'],
    ['CN1C=NC2=C1C(=O)N(C(=O)N2C)C', 'Cn1cnc2c1c(=O)n(C)c(=O)n2C', 'Cn1cnc2c1c(=O)n(C)c(=O)n2C'],
    ['C1=CNC=C1', 'c1cc[nH]c1', 'c1cc[nH]c1'],
    ['C1=CC=C(C=C1)C1=CC=CC=C1', 'c1ccccc1-c1ccccc1', 'c1ccc(cc1)-c1ccccc1'],
    ['CC(=O)[O-].[Na+]', '[Na+].[O-]C(C)=O', 'CC([O-])=O.[Na+]'],
    ['C12=C(C=CC=C1)C=CC=C2', 'c1ccc2ccccc2c1', 'c1ccc2ccccc2c1'],
  ])('writes %s and %s as %s', (a, b, canonical) => {
    expect(canonicalSmiles(a)).toBe(canonical)
    expect(canonicalSmiles(b)).toBe(canonical)
  })

  it(`writes molecules of up to ${CANONICAL_ATOMS_MAX} atoms and refuses larger ones`, () => {
    expect(CANONICAL_ATOMS_MAX).toBe(256)
    expect(canonicalSmiles(`C1${'C'.repeat(254)}C1`)).toBe(`C1${'C'.repeat(254)}C1`)
    expect(() => canonicalSmiles('C'.repeat(257))).toThrow(/more than 256 atoms/)
    expect(() => canonicalSmiles(parseSmiles('C'.repeat(257)))).toThrow(/256 at most/)
  })

  it('tells different molecules apart', () => {
    expect(canonicalSmiles('CCO')).not.toBe(canonicalSmiles('COC'))
    expect(canonicalSmiles('Cc1ccccc1O')).not.toBe(canonicalSmiles('Cc1cccc(O)c1'))
    expect(canonicalSmiles('C[NH3+]')).not.toBe(canonicalSmiles('CN'))
  })

  it('gives every molecule of the sample one string, whatever the atom order, and reads it back', () => {
    const rng = createRng('canonical-smiles')
    for (const m of MOLECULES) {
      const canonical = canonicalSmiles(m.smiles)
      expect(canonicalSmiles(canonical), m.name).toBe(canonical)
      for (let t = 0; t < 3; t++)
        expect(canonicalSmiles(shuffled(parseSmiles(m.smiles), rng)), m.name).toBe(canonical)
    }
  })
})
