import type { MolGraph } from './parse-smiles.ts'

/**
 * Which bonds lie on a ring: those whose removal keeps both ends connected.
 *
 * @example ringBonds(parseSmiles('C1CC1C')) // [true, true, true, false]
 */
export function ringBonds(graph: Pick<MolGraph, 'atoms' | 'bonds'>): boolean[] {
  const neighbours: [number, number][][] = Array.from({ length: graph.atoms.length }, () => [])
  graph.bonds.forEach((b, k) => {
    neighbours[b.from]?.push([b.to, k])
    neighbours[b.to]?.push([b.from, k])
  })
  return graph.bonds.map((bond, k) => {
    const seen = new Uint8Array(graph.atoms.length)
    const stack = [bond.from]
    seen[bond.from] = 1
    while (stack.length) {
      const a = stack.pop() as number
      for (const [b, via] of neighbours[a] ?? []) {
        if (via === k || seen[b]) continue
        if (b === bond.to) return true
        seen[b] = 1
        stack.push(b)
      }
    }
    return false
  })
}
