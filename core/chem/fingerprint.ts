import type { MolGraph } from './parse-smiles.ts'

/** A circular fingerprint's settings: radius in bonds and vector length in bits. */
export interface CircularFingerprintSpec {
  radius: number
  bits: number
}

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
const DEFAULT_VALENCE: Record<string, number> = {
  B: 3,
  C: 4,
  N: 3,
  O: 2,
  P: 3,
  S: 2,
  F: 1,
  Cl: 1,
  Br: 1,
  I: 1,
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

/** Bonds that lie on a ring: those whose removal keeps both ends connected. */
function ringBonds(graph: MolGraph, neighbours: number[][][]): boolean[] {
  return graph.bonds.map((bond, k) => {
    const seen = new Uint8Array(graph.atoms.length)
    const stack = [bond.from]
    seen[bond.from] = 1
    while (stack.length) {
      const a = stack.pop() as number
      for (const [b, , via] of neighbours[a] ?? []) {
        if (via === k || seen[b as number]) continue
        if (b === bond.to) return true
        seen[b as number] = 1
        stack.push(b as number)
      }
    }
    return false
  })
}

/**
 * The feature identifiers of a Morgan-style (ECFP-like) circular
 * fingerprint: every atom's identifier at radius 0…`radius`, in atom order
 * per radius. Radius 0 hashes the atom's invariants (atomic number, heavy
 * degree, implicit hydrogens, formal charge, ring membership); radius r
 * hashes (r, the atom's previous identifier, its neighbours' (bond order,
 * previous identifier) pairs sorted). Hashing is 32-bit FNV-1a over 32-bit
 * integers. Unlike RDKit, identical environments are not deduplicated and
 * aromaticity is not perceived (Kekulé bond orders are used as written), so
 * the bits are not those of RDKit's `GetMorganFingerprintAsBitVect`.
 *
 * @example circularFeatureIds(parseSmiles('CCO'), 2).length // 9
 */
export function circularFeatureIds(graph: MolGraph, radius: number): number[] {
  const n = graph.atoms.length
  const neighbours: number[][][] = Array.from({ length: n }, () => [])
  graph.bonds.forEach((b, k) => {
    neighbours[b.from]?.push([b.to, b.order, k])
    neighbours[b.to]?.push([b.from, b.order, k])
  })
  const inRing = ringBonds(graph, neighbours)
  let ids = graph.atoms.map((atom, a) => {
    const list = neighbours[a] ?? []
    const valence = list.reduce((s, [, order]) => s + (order as number), 0)
    const base = (DEFAULT_VALENCE[atom.element] ?? 0) + (atom.element === 'N' ? atom.charge : 0)
    const hydrogens = Math.max(0, base - valence)
    const ring = list.some(([, , k]) => inRing[k as number]) ? 1 : 0
    return hashInts([
      ATOMIC_NUMBER[atom.element] ?? 0,
      list.length,
      hydrogens,
      atom.charge & 0xffffffff,
      ring,
    ])
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
  const bits = new Set(circularFeatureIds(graph, spec.radius).map((id) => id % spec.bits))
  return [...bits].sort((a, b) => a - b)
}
