import { implicitHydrogens, type MolGraph } from './parse-smiles.ts'
import { ringBonds } from './rings.ts'

/** Which atoms and bonds of a molecule are aromatic. */
export interface Aromaticity {
  atoms: boolean[]
  bonds: boolean[]
}

/** Rings up to this many atoms are tested, alone and fused in pairs (azulene's 5 + 7). */
const MAX_RING = 8

/** Every simple cycle of at most `max` atoms along ring bonds, each once, as atom sequences. */
function smallRings(graph: MolGraph, inRing: boolean[], max: number): number[][] {
  const adj: number[][] = graph.atoms.map(() => [])
  graph.bonds.forEach((b, k) => {
    if (!inRing[k]) return
    adj[b.from]?.push(b.to)
    adj[b.to]?.push(b.from)
  })
  const rings: number[][] = []
  const path: number[] = []
  const onPath = new Uint8Array(graph.atoms.length)
  // Each cycle is found from its lowest atom, in the direction of its lower second atom.
  const walk = (start: number, atom: number): void => {
    for (const next of adj[atom] ?? []) {
      if (next === start && path.length >= 3 && (path[1] as number) < atom) rings.push([...path])
      if (next <= start || onPath[next] || path.length >= max) continue
      onPath[next] = 1
      path.push(next)
      walk(start, next)
      path.pop()
      onPath[next] = 0
    }
  }
  for (let s = 0; s < graph.atoms.length; s++) {
    path.push(s)
    onPath[s] = 1
    walk(s, s)
    onPath[s] = 0
    path.pop()
  }
  return rings
}

/**
 * Perceives aromaticity on a Kekulé graph by Hückel's rule, so every
 * spelling of a molecule (either Kekulé structure of toluene, or `c1ccccc1C`)
 * gets the same answer. A ring of at most 8 atoms, or two such rings fused
 * along a bond, is aromatic when each of its atoms gives π electrons and
 * they number 4n + 2: an atom with a double bond on a ring gives 1; one
 * with an exocyclic double bond to O, N or S gives 0 (pyridone, caffeine);
 * a neutral N or P with three connections counting hydrogens, a neutral O,
 * S or Se with two, or a carbanion gives its lone pair (2); a carbocation 0.
 * Any other atom (sp3, an exocyclic C=C, a triple bond) ends the ring's
 * chance. Close to RDKit's default model for organic molecules, not equal
 * to it in every case.
 *
 * @example perceiveAromaticity(parseSmiles('C1=CC=CC=C1C')).atoms // six true, then false
 */
export function perceiveAromaticity(graph: MolGraph): Aromaticity {
  const n = graph.atoms.length
  const inRing = ringBonds(graph)
  const hydrogens = implicitHydrogens(graph)
  const degree = new Array<number>(n).fill(0)
  const ringDouble = new Array<boolean>(n).fill(false)
  const exoDouble: (string | undefined)[] = new Array(n).fill(undefined)
  const triple = new Array<boolean>(n).fill(false)
  graph.bonds.forEach((b, k) => {
    for (const [a, o] of [
      [b.from, b.to],
      [b.to, b.from],
    ] as const) {
      degree[a] = (degree[a] ?? 0) + 1
      if (b.order === 3) triple[a] = true
      if (b.order !== 2) continue
      if (inRing[k]) ringDouble[a] = true
      else exoDouble[a] = graph.atoms[o]?.element
    }
  })
  // π electrons each atom gives, or undefined when it cannot be aromatic.
  const electrons = graph.atoms.map((atom, a): number | undefined => {
    if (triple[a]) return undefined
    if (ringDouble[a]) return 1
    const exo = exoDouble[a]
    if (exo !== undefined) return exo === 'O' || exo === 'N' || exo === 'S' ? 0 : undefined
    const connections = (degree[a] ?? 0) + (hydrogens[a] ?? 0)
    const { element, charge } = atom
    if ((element === 'N' || element === 'P') && charge === 0 && connections === 3) return 2
    if ((element === 'O' || element === 'S' || element === 'Se') && charge === 0)
      return connections === 2 ? 2 : undefined
    if (element === 'N' && charge === -1 && connections === 2) return 2
    if (element === 'C' && charge === -1 && connections === 3) return 2
    if (element === 'C' && charge === 1 && connections === 3) return 0
    return undefined
  })
  const huckel = (atoms: Iterable<number>): boolean => {
    let sum = 0
    for (const a of atoms) {
      const e = electrons[a]
      if (e === undefined) return false
      sum += e
    }
    return sum % 4 === 2
  }
  const rings = smallRings(graph, inRing, MAX_RING)
  const aromaticRing = rings.map((ring) => huckel(ring))
  // Fused pairs: rings that share a bond and are aromatic only together. Only rings
  // through a common bond are paired, so the work follows the bonds, not rings².
  const ringsOfBond = new Map<string, number[]>()
  rings.forEach((ring, r) => {
    ring.forEach((a, k) => {
      const b = ring[(k + 1) % ring.length] as number
      const key = a < b ? `${a}-${b}` : `${b}-${a}`
      const list = ringsOfBond.get(key)
      if (list) list.push(r)
      else ringsOfBond.set(key, [r])
    })
  })
  const tried = new Set<number>()
  for (const list of ringsOfBond.values()) {
    for (let x = 0; x < list.length; x++) {
      for (let y = x + 1; y < list.length; y++) {
        const i = list[x] as number
        const j = list[y] as number
        if (aromaticRing[i] && aromaticRing[j]) continue
        const pair = i * rings.length + j
        if (tried.has(pair)) continue
        tried.add(pair)
        const a = rings[i] as number[]
        const b = new Set(rings[j])
        const shared = a.filter((v) => b.has(v)).length
        if (shared !== 2) continue
        if (huckel(new Set([...a, ...b]))) aromaticRing[i] = aromaticRing[j] = true
      }
    }
  }
  const atoms = new Array<boolean>(n).fill(false)
  const pairs = new Set<string>()
  rings.forEach((ring, r) => {
    if (!aromaticRing[r]) return
    ring.forEach((a, k) => {
      atoms[a] = true
      const b = ring[(k + 1) % ring.length] as number
      pairs.add(a < b ? `${a}-${b}` : `${b}-${a}`)
    })
  })
  const bonds = graph.bonds.map((b) =>
    pairs.has(b.from < b.to ? `${b.from}-${b.to}` : `${b.to}-${b.from}`),
  )
  return { atoms, bonds }
}
