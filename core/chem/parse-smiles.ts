import { ringBonds } from './rings.ts'

/** An atom of a parsed molecule; hydrogens stay implicit, as in a V2000 block. */
export interface MolAtom {
  element: string
  charge: number
  /** Written lower-case (`c`, `n`, `[nH]`): part of an aromatic system in the SMILES. */
  aromatic?: boolean
  /** Hydrogens a bracket atom states (`[nH]`: 1, `[O-]`: 0); absent outside brackets. */
  hydrogens?: number
}

export interface MolBond {
  from: number
  to: number
  /** The Kekulé order; aromatic input gets one of its Kekulé structures. */
  order: 1 | 2 | 3
  /** Written between two aromatic atoms (implicit or `:`) in a ring. */
  aromatic?: boolean
}

export interface MolGraph {
  atoms: MolAtom[]
  bonds: MolBond[]
}

const ORGANIC = new Set(['B', 'C', 'N', 'O', 'P', 'S', 'F', 'Cl', 'Br', 'I'])
/** Aromatic symbols outside brackets (OpenSMILES), and inside them. */
const AROMATIC = new Set(['b', 'c', 'n', 'o', 'p', 's'])
const AROMATIC_BRACKET = /^(se|as|[bcnops])/
/** OpenSMILES' normal valences of the organic subset: implicit hydrogens fill up to the next one. */
export const NORMAL_VALENCES: Readonly<Record<string, readonly number[]>> = {
  B: [3],
  C: [4],
  N: [3, 5],
  O: [2],
  P: [3, 5],
  S: [2, 4, 6],
  F: [1],
  Cl: [1],
  Br: [1],
  I: [1],
}
/** Valence an aromatic atom is filled to when its double bond is placed. */
const AROMATIC_VALENCE: Record<string, number> = {
  B: 3,
  C: 4,
  N: 3,
  O: 2,
  P: 3,
  S: 2,
  Se: 2,
  As: 3,
}
const MAX_VALENCE: Record<string, number> = {
  B: 3,
  C: 4,
  N: 3,
  O: 2,
  P: 5,
  S: 6,
  F: 1,
  Cl: 1,
  Br: 1,
  I: 1,
}

/**
 * Atoms a SMILES may hold: far past any drug-like molecule, and small
 * enough that perception, fingerprints and drawing stay quick on hostile
 * input (they run in the visitor's browser and in agora eval).
 */
export const SMILES_ATOMS_MAX = 2000

/** A SMILES as an error message shows it: its start only. */
function shownSmiles(smiles: string): string {
  return smiles.length > 80 ? `${smiles.slice(0, 80)}… (${smiles.length} characters)` : smiles
}

function valenceLimit(atom: MolAtom): number {
  const base = MAX_VALENCE[atom.element] ?? 4
  // A cation of N or O gains a bond (ammonium, oxonium); an anion loses one.
  if (atom.element === 'N' || atom.element === 'O') return base + atom.charge
  return base
}

/**
 * Parses a SMILES into a graph, checking ring closures, branches and
 * valences. Kekulé input (explicit double bonds) is read as written;
 * aromatic input (lower-case `c`, `n`, `o`, `s`, `p`, `b`, `[nH]`, `[se]`,
 * `:` bonds) is kekulised: single and double bonds are placed so every
 * aromatic atom that needs one gets exactly one double bond, the atoms and
 * bonds keep an `aromatic` mark, and a system with no such placement (a
 * pyrrole nitrogen written `n` instead of `[nH]`) is refused. Stereo marks
 * (`/`, `\`, `@`) are read and dropped.
 *
 * @example parseSmiles('CC(=O)O').bonds.length // 3
 * @example parseSmiles('c1ccncc1').bonds.filter((b) => b.order === 2).length // 3
 */
export function parseSmiles(smiles: string, options: { maxAtoms?: number } = {}): MolGraph {
  const maxAtoms = Math.min(options.maxAtoms ?? SMILES_ATOMS_MAX, SMILES_ATOMS_MAX)
  const atoms: MolAtom[] = []
  // Order 4 stands for an aromatic bond until kekulisation.
  const bonds: { from: number; to: number; order: 1 | 2 | 3 | 4 }[] = []
  const stack: number[] = []
  const rings = new Map<string, { atom: number; order: 1 | 2 | 3 | 4 | undefined }>()
  let prev = -1
  let pending: 1 | 2 | 3 | 4 | undefined
  let i = 0
  const fail = (why: string): never => {
    throw new Error(`SMILES ${shownSmiles(smiles)} at ${i}: ${why}`)
  }
  // An unmarked bond between two aromatic atoms is aromatic (OpenSMILES).
  const implicitOrder = (a: number, b: number): 1 | 4 =>
    atoms[a]?.aromatic && atoms[b]?.aromatic ? 4 : 1
  const addAtom = (atom: MolAtom): void => {
    if (atoms.length >= maxAtoms) fail(`more than ${maxAtoms} atoms`)
    atoms.push(atom)
    const index = atoms.length - 1
    if (prev >= 0)
      bonds.push({ from: prev, to: index, order: pending ?? implicitOrder(prev, index) })
    pending = undefined
    prev = index
  }
  while (i < smiles.length) {
    const ch = smiles.charAt(i)
    if (ch === '(') {
      if (prev < 0) fail('branch before any atom')
      stack.push(prev)
      i++
    } else if (ch === ')') {
      const top = stack.pop()
      if (top === undefined) fail('unbalanced )')
      prev = top as number
      i++
    } else if (ch === '-' || ch === '/' || ch === '\\') {
      pending = 1
      i++
    } else if (ch === '=') {
      pending = 2
      i++
    } else if (ch === '#') {
      pending = 3
      i++
    } else if (ch === ':') {
      pending = 4
      i++
    } else if (ch === '.') {
      prev = -1
      i++
    } else if (/[0-9%]/.test(ch)) {
      const label = ch === '%' ? smiles.slice(i + 1, i + 3) : ch
      i += ch === '%' ? 3 : 1
      const open = rings.get(label)
      if (prev < 0) fail('ring bond before any atom')
      if (open) {
        bonds.push({
          from: open.atom,
          to: prev,
          order: pending ?? open.order ?? implicitOrder(open.atom, prev),
        })
        rings.delete(label)
      } else {
        rings.set(label, { atom: prev, order: pending })
      }
      pending = undefined
    } else if (ch === '[') {
      const end = smiles.indexOf(']', i)
      if (end < 0) fail('unclosed [')
      const body = smiles.slice(i + 1, end)
      const m = /^(\d*)([A-Z][a-z]?|se|as|[bcnops])(@*)(H\d*)?([+-]+\d*|[+-]\d+)?$/.exec(body)
      if (!m) fail(`unsupported bracket atom [${body}]`)
      const sign = m?.[5] ?? ''
      let charge = 0
      if (sign) {
        const digits = sign.replace(/[+-]/g, '')
        const unit = sign.startsWith('+') ? 1 : -1
        charge = digits ? unit * Number(digits) : unit * sign.length
      }
      const symbol = m?.[2] ?? ''
      const h = m?.[4] ?? ''
      const hydrogens = h ? (h.length > 1 ? Number(h.slice(1)) : 1) : 0
      const aromatic = AROMATIC_BRACKET.test(symbol)
      const element = aromatic ? symbol.charAt(0).toUpperCase() + symbol.slice(1) : symbol
      addAtom({ element, charge, hydrogens, ...(aromatic ? { aromatic } : {}) })
      i = end + 1
    } else if (AROMATIC.has(ch)) {
      addAtom({ element: ch.toUpperCase(), charge: 0, aromatic: true })
      i++
    } else {
      const two = smiles.slice(i, i + 2)
      const symbol = two === 'Cl' || two === 'Br' ? two : ch
      if (!ORGANIC.has(symbol)) fail(`unsupported atom "${symbol}"`)
      addAtom({ element: symbol, charge: 0 })
      i += symbol.length
    }
  }
  if (stack.length) fail('unbalanced (')
  if (rings.size) fail(`unclosed ring ${[...rings.keys()].join(',')}`)
  const kekule = kekulise(smiles, atoms, bonds)
  const valence = new Array<number>(atoms.length).fill(0)
  for (const b of kekule) {
    valence[b.from] = (valence[b.from] ?? 0) + b.order
    valence[b.to] = (valence[b.to] ?? 0) + b.order
  }
  atoms.forEach((a, k) => {
    if ((valence[k] ?? 0) > valenceLimit(a)) {
      throw new Error(
        `SMILES ${shownSmiles(smiles)}: atom ${k + 1} (${a.element}) exceeds its valence`,
      )
    }
  })
  return { atoms, bonds: kekule }
}

/** The valence an aromatic atom reaches with its double bond, given its charge. */
function aromaticTarget(atom: MolAtom): number {
  const base = AROMATIC_VALENCE[atom.element] ?? 4
  // A cation of group 15/16 gains a bond (pyridinium); an anion loses one (a lone pair).
  if (atom.element === 'C' || atom.element === 'B') return base - Math.abs(atom.charge)
  return base + atom.charge
}

/**
 * Turns aromatic bonds (order 4) into single and double bonds: each
 * aromatic atom with room for one more bond (a pyridine `n`, every ring
 * `c` without an exocyclic double bond) gets exactly one double bond to
 * another such atom along a ring bond; aromatic bonds off any ring (as in
 * `c1ccccc1c1ccccc1`) are single. A backtracking search, fewest choices
 * first, which is immediate for molecules; an unplaceable system throws.
 */
function kekulise(
  smiles: string,
  atoms: MolAtom[],
  parsed: { from: number; to: number; order: 1 | 2 | 3 | 4 }[],
): MolBond[] {
  const bonds: MolBond[] = parsed.map((b) =>
    b.order === 4 ? { from: b.from, to: b.to, order: 1, aromatic: true } : (b as MolBond),
  )
  if (!parsed.some((b) => b.order === 4)) return bonds
  const inRing = ringBonds({ atoms, bonds })
  const used = new Array<number>(atoms.length).fill(0)
  bonds.forEach((b) => {
    used[b.from] = (used[b.from] ?? 0) + b.order
    used[b.to] = (used[b.to] ?? 0) + b.order
  })
  const needs = atoms.map(
    (a, k) => a.aromatic === true && aromaticTarget(a) - (used[k] ?? 0) - (a.hydrogens ?? 0) >= 1,
  )
  const options: number[][] = atoms.map(() => [])
  bonds.forEach((b, k) => {
    if (!b.aromatic) return
    if (!inRing[k]) {
      delete b.aromatic
      return
    }
    if (needs[b.from] && needs[b.to]) {
      options[b.from]?.push(k)
      options[b.to]?.push(k)
    }
  })
  const matched = new Array<boolean>(atoms.length).fill(false)
  const chosen: number[] = []
  let steps = 0
  // Placed one connected system at a time: a system with no structure fails alone,
  // without retrying every placement of the systems before it.
  const place = (system: readonly number[]): boolean => {
    if (++steps > 200_000) return false
    let best = -1
    let fewest = Number.POSITIVE_INFINITY
    for (const a of system) {
      if (matched[a]) continue
      const free = (options[a] ?? []).filter((k) => {
        const b = bonds[k] as MolBond
        return !matched[b.from === a ? b.to : b.from]
      }).length
      if (free < fewest) {
        fewest = free
        best = a
      }
    }
    if (best < 0) return true
    if (fewest === 0) return false
    for (const k of options[best] ?? []) {
      const b = bonds[k] as MolBond
      const other = b.from === best ? b.to : b.from
      if (matched[other]) continue
      matched[best] = matched[other] = true
      chosen.push(k)
      if (place(system)) return true
      chosen.pop()
      matched[best] = matched[other] = false
    }
    return false
  }
  const systemOf = new Array<number>(atoms.length).fill(-1)
  let solved = true
  for (let start = 0; start < atoms.length && solved; start++) {
    if (!needs[start] || systemOf[start] !== -1) continue
    const system = [start]
    systemOf[start] = start
    for (let q = 0; q < system.length; q++) {
      const a = system[q] as number
      for (const k of options[a] ?? []) {
        const b = bonds[k] as MolBond
        const other = b.from === a ? b.to : b.from
        if (systemOf[other] !== -1) continue
        systemOf[other] = start
        system.push(other)
      }
    }
    solved = place(system)
  }
  if (!solved) {
    throw new Error(
      `SMILES ${shownSmiles(smiles)}: the aromatic atoms have no Kekulé structure (an aromatic nitrogen with a hydrogen, as in pyrrole, is written [nH])`,
    )
  }
  for (const k of chosen) (bonds[k] as MolBond).order = 2
  return bonds
}

/**
 * The hydrogens on each atom: those a bracket atom states, else what fills
 * an organic-subset atom up to its next normal valence (OpenSMILES), from
 * the Kekulé bond orders, so aromatic atoms count as their Kekulé form does
 * (benzene's `c`: 1, pyridine's `n`: 0, pyrrole's `[nH]`: 1).
 *
 * @example implicitHydrogens(parseSmiles('c1ccncc1')) // [1, 1, 1, 0, 1, 1]
 */
export function implicitHydrogens(graph: MolGraph): number[] {
  const valence = new Array<number>(graph.atoms.length).fill(0)
  for (const b of graph.bonds) {
    valence[b.from] = (valence[b.from] ?? 0) + b.order
    valence[b.to] = (valence[b.to] ?? 0) + b.order
  }
  return graph.atoms.map((atom, k) => {
    if (atom.hydrogens !== undefined) return atom.hydrogens
    const v = valence[k] ?? 0
    const normal = (NORMAL_VALENCES[atom.element] ?? []).find((n) => n >= v)
    return normal === undefined ? 0 : normal - v
  })
}
