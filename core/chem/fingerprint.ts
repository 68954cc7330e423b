import { perceiveAromaticity } from './aromaticity.ts'
import { implicitHydrogens, type MolGraph, NORMAL_VALENCES } from './parse-smiles.ts'
import { ringBonds } from './rings.ts'

/** A circular fingerprint's settings: radius in bonds and vector length in bits. */
export interface CircularFingerprintSpec {
  radius: number
  bits: number
  /**
   * Perceive aromaticity and hash it as an atom and a bond invariant, so
   * every Kekulé structure and the aromatic spelling of a molecule give the
   * same bits. Off by default: the bits stay those models were trained on.
   */
  aromaticity?: boolean
}

/** Options of {@link circularFeatureIds}. */
export interface CircularFeatureOptions {
  /** See {@link CircularFingerprintSpec.aromaticity}. */
  aromaticity?: boolean
}

/** The bond invariant of an aromatic bond, beside the orders 1, 2 and 3. */
const AROMATIC_BOND = 4

const ATOMIC_NUMBER: Record<string, number> = {
  H: 1,
  B: 5,
  C: 6,
  N: 7,
  O: 8,
  F: 9,
  Na: 11,
  Si: 14,
  P: 15,
  S: 16,
  Cl: 17,
  K: 19,
  Se: 34,
  Br: 35,
  I: 53,
}

/** 32-bit FNV-1a over a sequence of 32-bit integers (each as 4 little-endian bytes). */
function hashInts(values: readonly number[]): number {
  let h = 0x811c9dc5
  for (const v of values) {
    for (let s = 0; s < 32; s += 8) {
      h ^= (v >>> s) & 0xff
      h = Math.imul(h, 0x01000193)
    }
  }
  return h >>> 0
}

/**
 * The feature identifiers of a Morgan-style (ECFP-like) circular
 * fingerprint: every atom's identifier at radius 0…`radius`, in atom order
 * per radius. Radius 0 hashes the atom's invariants (atomic number, heavy
 * degree, implicit hydrogens, formal charge, ring membership); radius r
 * hashes (r, the atom's previous identifier, its neighbours' (bond order,
 * previous identifier) pairs sorted). Hashing is 32-bit FNV-1a over 32-bit
 * integers. Unlike RDKit, identical environments are not deduplicated.
 *
 * By default aromaticity is not perceived: bond orders are the Kekulé ones
 * (aromatic SMILES are kekulised by the parser), so two Kekulé structures of
 * a ring whose substituents tell them apart (o-cresol) give different bits.
 * With `aromaticity`, aromatic atoms and bonds are perceived (Hückel) and
 * hashed as such (an atom flag; bond invariant 4), and hydrogens are the
 * ones the SMILES implies, so every spelling of a molecule gives the same
 * bits. Neither is bit-identical to RDKit's `GetMorganFingerprintAsBitVect`.
 *
 * @example circularFeatureIds(parseSmiles('CCO'), 2).length // 9
 */
export function circularFeatureIds(
  graph: MolGraph,
  radius: number,
  options: CircularFeatureOptions = {},
): number[] {
  const n = graph.atoms.length
  const aromatic = options.aromaticity ? perceiveAromaticity(graph) : undefined
  const neighbours: number[][][] = Array.from({ length: n }, () => [])
  graph.bonds.forEach((b, k) => {
    const code = aromatic?.bonds[k] ? AROMATIC_BOND : b.order
    neighbours[b.from]?.push([b.to, code, k])
    neighbours[b.to]?.push([b.from, code, k])
  })
  const inRing = ringBonds(graph)
  const implied = aromatic ? implicitHydrogens(graph) : undefined
  let ids = graph.atoms.map((atom, a) => {
    const list = neighbours[a] ?? []
    const ring = list.some(([, , k]) => inRing[k as number]) ? 1 : 0
    const invariants = [ATOMIC_NUMBER[atom.element] ?? 0, list.length]
    if (aromatic && implied) {
      invariants.push(implied[a] ?? 0, atom.charge & 0xffffffff, ring, aromatic.atoms[a] ? 1 : 0)
    } else {
      // The hydrogens the first models were trained on: default valence minus bond orders.
      const valence = list.reduce((s, [, order]) => s + (order as number), 0)
      const base =
        (NORMAL_VALENCES[atom.element]?.[0] ?? 0) + (atom.element === 'N' ? atom.charge : 0)
      invariants.push(Math.max(0, base - valence), atom.charge & 0xffffffff, ring)
    }
    return hashInts(invariants)
  })
  const out = [...ids]
  for (let r = 1; r <= radius; r++) {
    ids = ids.map((id, a) => {
      const env = (neighbours[a] ?? [])
        .map(([b, order]) => [order as number, ids[b as number] as number] as const)
        .sort((x, y) => x[0] - y[0] || x[1] - y[1])
      return hashInts([r, id, ...env.flat()])
    })
    out.push(...ids)
  }
  return out
}

/**
 * The on-bits of the folded fingerprint (identifier mod `bits`), sorted
 * and distinct.
 *
 * @example circularFingerprintBits(parseSmiles('CCO'), { radius: 2, bits: 2048 })
 */
export function circularFingerprintBits(graph: MolGraph, spec: CircularFingerprintSpec): number[] {
  const options = spec.aromaticity ? { aromaticity: true } : {}
  const bits = new Set(circularFeatureIds(graph, spec.radius, options).map((id) => id % spec.bits))
  return [...bits].sort((a, b) => a - b)
}
