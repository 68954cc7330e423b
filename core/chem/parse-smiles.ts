/** An atom of a parsed molecule; hydrogens stay implicit, as in a V2000 block. */
export interface MolAtom {
  element: string
  charge: number
}

export interface MolBond {
  from: number
  to: number
  order: 1 | 2 | 3
}

export interface MolGraph {
  atoms: MolAtom[]
  bonds: MolBond[]
}

const ORGANIC = new Set(['B', 'C', 'N', 'O', 'P', 'S', 'F', 'Cl', 'Br', 'I'])
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

function valenceLimit(atom: MolAtom): number {
  const base = MAX_VALENCE[atom.element] ?? 4
  // A cation of N or O gains a bond (ammonium, oxonium); an anion loses one.
  if (atom.element === 'N' || atom.element === 'O') return base + atom.charge
  return base
}

/**
 * Parses a Kekulé SMILES (explicit double bonds, upper-case atoms) into a
 * graph, checking ring closures, branches and valences. Aromatic lower-case
 * atoms are refused because the mol blocks written from the graph need
 * explicit bond orders; every table here uses PubChem's Kekulé forms.
 * Stereo marks (`/`, `\`, `@`) are read and dropped.
 *
 * @example parseSmiles('CC(=O)O').bonds.length // 3
 */
export function parseSmiles(smiles: string): MolGraph {
  const atoms: MolAtom[] = []
  const bonds: MolBond[] = []
  const stack: number[] = []
  const rings = new Map<string, { atom: number; order: 1 | 2 | 3 | undefined }>()
  let prev = -1
  let pending: 1 | 2 | 3 | undefined
  let i = 0
  const fail = (why: string): never => {
    throw new Error(`SMILES ${smiles} at ${i}: ${why}`)
  }
  const addAtom = (atom: MolAtom): void => {
    atoms.push(atom)
    const index = atoms.length - 1
    if (prev >= 0) bonds.push({ from: prev, to: index, order: pending ?? 1 })
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
    } else if (ch === '.') {
      prev = -1
      i++
    } else if (/[0-9%]/.test(ch)) {
      const label = ch === '%' ? smiles.slice(i + 1, i + 3) : ch
      i += ch === '%' ? 3 : 1
      const open = rings.get(label)
      if (open) {
        bonds.push({ from: open.atom, to: prev, order: pending ?? open.order ?? 1 })
        rings.delete(label)
      } else {
        rings.set(label, { atom: prev, order: pending })
      }
      pending = undefined
    } else if (ch === '[') {
      const end = smiles.indexOf(']', i)
      if (end < 0) fail('unclosed [')
      const body = smiles.slice(i + 1, end)
      const m = /^(\d*)([A-Z][a-z]?)(@*)(H\d*)?([+-]+\d*|[+-]\d+)?$/.exec(body)
      if (!m) fail(`unsupported bracket atom [${body}]`)
      const sign = m?.[5] ?? ''
      let charge = 0
      if (sign) {
        const digits = sign.replace(/[+-]/g, '')
        const unit = sign.startsWith('+') ? 1 : -1
        charge = digits ? unit * Number(digits) : unit * sign.length
      }
      addAtom({ element: m?.[2] ?? '', charge })
      i = end + 1
    } else {
      const two = smiles.slice(i, i + 2)
      const symbol = two === 'Cl' || two === 'Br' ? two : ch
      if (!ORGANIC.has(symbol)) fail(`unsupported atom "${symbol}" (write the Kekulé form)`)
      addAtom({ element: symbol, charge: 0 })
      i += symbol.length
    }
  }
  if (stack.length) fail('unbalanced (')
  if (rings.size) fail(`unclosed ring ${[...rings.keys()].join(',')}`)
  const valence = new Array<number>(atoms.length).fill(0)
  for (const b of bonds) {
    valence[b.from] = (valence[b.from] ?? 0) + b.order
    valence[b.to] = (valence[b.to] ?? 0) + b.order
  }
  atoms.forEach((a, k) => {
    if ((valence[k] ?? 0) > valenceLimit(a)) {
      throw new Error(`SMILES ${smiles}: atom ${k + 1} (${a.element}) exceeds its valence`)
    }
  })
  return { atoms, bonds }
}
