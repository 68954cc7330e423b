import { perceiveAromaticity } from './aromaticity.ts'
import { implicitHydrogens, type MolGraph, NORMAL_VALENCES, parseSmiles } from './parse-smiles.ts'

/** Symbols written without brackets when charge and hydrogens allow (OpenSMILES' organic subset). */
const ORGANIC = new Set(['B', 'C', 'N', 'O', 'P', 'S', 'F', 'Cl', 'Br', 'I'])
const AROMATIC_BARE = new Set(['B', 'C', 'N', 'O', 'P', 'S'])
const AROMATIC_BOND = 4

function compareArrays(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = (a[i] as number) - (b[i] as number)
    if (d !== 0) return d
  }
  return a.length - b.length
}

/** Dense ranks 0… of `keys`, equal keys sharing a rank. */
function denseRanks(keys: readonly number[][]): number[] {
  const order = keys.map((_, i) => i).sort((x, y) => compareArrays(keys[x] ?? [], keys[y] ?? []))
  const ranks = new Array<number>(keys.length).fill(0)
  let rank = 0
  order.forEach((atom, k) => {
    const prev = order[k - 1]
    if (k > 0 && prev !== undefined && compareArrays(keys[prev] ?? [], keys[atom] ?? []) !== 0)
      rank++
    ranks[atom] = rank
  })
  return ranks
}

/**
 * Atoms a molecule may hold for canonicalSmiles: ranking refines once per
 * bond of the molecule's longest path and breaks ties one atom at a time,
 * so its work grows with the square of the atoms and more; this keeps a
 * hostile predictions file to milliseconds a molecule.
 */
export const CANONICAL_ATOMS_MAX = 256

/**
 * A canonical SMILES: the same string for every spelling of a molecule
 * (atom order, Kekulé or aromatic form, ring-closure digits, fragment
 * order). Atoms are ranked by their invariants (element, charge,
 * hydrogens, degree, aromaticity) refined by their neighbours' ranks until
 * stable, ties broken one atom at a time; then each fragment is written
 * depth-first from its lowest-ranked atom, branches in rank order, and the
 * fragments sorted. Aromaticity is perceived (`perceiveAromaticity`), so
 * aromatic rings come out lower-case. Stereo marks and isotopes are not kept
 * (the parser drops them): stereoisomers share one string.
 *
 * @example canonicalSmiles('OCC') === canonicalSmiles('CCO') // true
 * @example canonicalSmiles('C1=CC=CC=C1') // 'c1ccccc1'
 */
export function canonicalSmiles(smiles: string | MolGraph): string {
  const graph =
    typeof smiles === 'string' ? parseSmiles(smiles, { maxAtoms: CANONICAL_ATOMS_MAX }) : smiles
  if (graph.atoms.length > CANONICAL_ATOMS_MAX) {
    throw new Error(
      `a molecule of ${graph.atoms.length} atoms: canonical SMILES are written for ${CANONICAL_ATOMS_MAX} at most`,
    )
  }
  const aromatic = perceiveAromaticity(graph)
  const hydrogens = implicitHydrogens(graph)
  const n = graph.atoms.length
  const adj: { to: number; code: number }[][] = graph.atoms.map(() => [])
  graph.bonds.forEach((b, k) => {
    const code = aromatic.bonds[k] ? AROMATIC_BOND : b.order
    adj[b.from]?.push({ to: b.to, code })
    adj[b.to]?.push({ to: b.from, code })
  })
  const elements = [...new Set(graph.atoms.map((a) => a.element))].sort()
  let ranks = denseRanks(
    // Degree first, so each fragment starts at an end of its chain.
    graph.atoms.map((atom, a) => [
      adj[a]?.length ?? 0,
      elements.indexOf(atom.element),
      atom.charge,
      hydrogens[a] ?? 0,
      aromatic.atoms[a] ? 1 : 0,
    ]),
  )
  const classes = (r: number[]) => new Set(r).size
  const refine = (start: number[]): number[] => {
    let current = start
    for (;;) {
      const next = denseRanks(
        current.map((rank, a) => [
          rank,
          ...(adj[a] ?? [])
            .map((e) => [current[e.to] as number, e.code] as const)
            .sort((x, y) => x[0] - y[0] || x[1] - y[1])
            .flat(),
        ]),
      )
      if (classes(next) === classes(current)) return next
      current = next
    }
  }
  ranks = refine(ranks)
  // Symmetric atoms tie; splitting any one of them gives the same string.
  while (classes(ranks) < n) {
    const counts = new Map<number, number>()
    for (const r of ranks) counts.set(r, (counts.get(r) ?? 0) + 1)
    const tied = Math.min(...[...counts].filter(([, c]) => c > 1).map(([r]) => r))
    const chosen = ranks.indexOf(tied)
    ranks = refine(ranks.map((r, a) => 2 * r + (r === tied && a !== chosen ? 1 : 0)))
  }
  return writeFragments(graph, ranks, adj, aromatic.atoms, hydrogens)
}

function atomText(
  graph: MolGraph,
  a: number,
  aromatic: boolean,
  hydrogens: number,
  valence: number,
) {
  const atom = graph.atoms[a] as MolGraph['atoms'][number]
  const { element, charge } = atom
  if (charge === 0) {
    if (aromatic && AROMATIC_BARE.has(element)) {
      // A bare aromatic n or p is read without hydrogens: pyrrole's is [nH].
      const bare = element === 'N' || element === 'P' || element === 'B' ? hydrogens === 0 : true
      if (bare) return element.toLowerCase()
    } else if (!aromatic && ORGANIC.has(element)) {
      const normal = (NORMAL_VALENCES[element] ?? []).find((v) => v >= valence)
      if (normal !== undefined && normal - valence === hydrogens) return element
    }
  }
  const symbol = aromatic ? element.toLowerCase() : element
  const h = hydrogens === 0 ? '' : hydrogens === 1 ? 'H' : `H${hydrogens}`
  const sign = charge === 0 ? '' : charge > 0 ? '+' : '-'
  const size = Math.abs(charge) > 1 ? String(Math.abs(charge)) : ''
  return `[${symbol}${h}${sign}${size}]`
}

function writeFragments(
  graph: MolGraph,
  ranks: number[],
  adj: { to: number; code: number }[][],
  aromatic: boolean[],
  hydrogens: number[],
): string {
  const n = graph.atoms.length
  const valence = graph.atoms.map((_, a) =>
    graph.bonds.reduce((s, b) => s + (b.from === a || b.to === a ? b.order : 0), 0),
  )
  const byRank = (x: number, y: number) => (ranks[x] as number) - (ranks[y] as number)
  const bondText = (a: number, b: number, code: number) => {
    if (code === 2) return '='
    if (code === 3) return '#'
    return code === 1 && aromatic[a] && aromatic[b] ? '-' : ''
  }
  const seen = new Uint8Array(n)
  const fragments: string[] = []
  for (const start of graph.atoms.map((_, a) => a).sort(byRank)) {
    if (seen[start]) continue
    // Pass 1: the depth-first tree (neighbours in rank order) and its ring closures.
    const parent = new Array<number>(n).fill(-1)
    const children: number[][] = graph.atoms.map(() => [])
    const closures: { partner: number; code: number }[][] = graph.atoms.map(() => [])
    const order: number[] = []
    const visit = (a: number) => {
      seen[a] = 1
      order.push(a)
      for (const e of [...(adj[a] ?? [])].sort((x, y) => byRank(x.to, y.to))) {
        if (e.to === parent[a]) continue
        if (seen[e.to]) {
          // A back edge to an ancestor still open: a ring closure, recorded once.
          if (!closures[a]?.some((c) => c.partner === e.to)) {
            closures[a]?.push({ partner: e.to, code: e.code })
            closures[e.to]?.push({ partner: a, code: e.code })
          }
          continue
        }
        parent[e.to] = a
        children[a]?.push(e.to)
        visit(e.to)
      }
    }
    visit(start)
    // Pass 2: write, reusing the lowest free ring digit.
    const position = new Map(order.map((a, k) => [a, k]))
    const digits = new Map<string, number>()
    const free: boolean[] = []
    const key = (a: number, b: number) => (a < b ? `${a}-${b}` : `${b}-${a}`)
    const digitText = (d: number) => (d < 10 ? String(d) : `%${d}`)
    let out = ''
    const write = (a: number) => {
      out += atomText(graph, a, aromatic[a] === true, hydrogens[a] ?? 0, valence[a] ?? 0)
      const list = [...(closures[a] ?? [])].sort(
        (x, y) => (position.get(x.partner) as number) - (position.get(y.partner) as number),
      )
      for (const c of list) {
        const k = key(a, c.partner)
        const open = digits.get(k)
        if (open !== undefined) {
          out += digitText(open)
          free[open] = true
          digits.delete(k)
        } else {
          let d = 1
          while (free[d] === false) d++
          free[d] = false
          digits.set(k, d)
          out += bondText(a, c.partner, c.code) + digitText(d)
        }
      }
      const kids = children[a] ?? []
      kids.forEach((child, i) => {
        const code = adj[a]?.find((e) => e.to === child)?.code ?? 1
        const text = bondText(a, child, code)
        if (i < kids.length - 1) {
          out += `(${text}`
          write(child)
          out += ')'
        } else {
          out += text
          write(child)
        }
      })
    }
    write(start)
    fragments.push(out)
  }
  return fragments.sort().join('.')
}
