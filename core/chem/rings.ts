import type { MolGraph } from './parse-smiles.ts'

/**
 * Which bonds lie on a ring: those whose removal keeps both ends connected
 * (the bonds that are not bridges), found in one depth-first pass per
 * fragment, iteratively, so a chain of any length neither costs its square
 * nor overflows the stack.
 *
 * @example ringBonds(parseSmiles('C1CC1C')) // [true, true, true, false]
 */
export function ringBonds(graph: Pick<MolGraph, 'atoms' | 'bonds'>): boolean[] {
  const n = graph.atoms.length
  const neighbours: [number, number][][] = Array.from({ length: n }, () => [])
  graph.bonds.forEach((b, k) => {
    neighbours[b.from]?.push([b.to, k])
    neighbours[b.to]?.push([b.from, k])
  })
  const inRing = graph.bonds.map(() => true)
  const order = new Array<number>(n).fill(-1)
  const low = new Array<number>(n).fill(0)
  let time = 0
  for (let root = 0; root < n; root++) {
    if (order[root] !== -1) continue
    order[root] = low[root] = time++
    // Each frame: the atom, the bond it was reached by, the next neighbour to look at.
    const stack: [number, number, number][] = [[root, -1, 0]]
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as [number, number, number]
      const [a, via] = frame
      const list = neighbours[a] ?? []
      if (frame[2] < list.length) {
        const [b, k] = list[frame[2]++] as [number, number]
        if (k === via) continue
        if (order[b] === -1) {
          order[b] = low[b] = time++
          stack.push([b, k, 0])
        } else low[a] = Math.min(low[a] as number, order[b] as number)
        continue
      }
      stack.pop()
      const parent = stack[stack.length - 1]
      if (!parent) continue
      low[parent[0]] = Math.min(low[parent[0]] as number, low[a] as number)
      // A bond is a bridge when nothing below it reaches above it.
      if ((low[a] as number) > (order[parent[0]] as number)) inRing[via] = false
    }
  }
  return inRing
}
