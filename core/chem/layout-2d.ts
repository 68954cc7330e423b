import type { MolGraph } from './parse-smiles.ts'

/** The one thing the layout draws at random: where a disconnected fragment starts. */
export interface LayoutRng {
  /** Uniform in [0, 1). */
  next(): number
}

/** A tiny seeded generator for callers without their own (the browser preview). */
function parkMiller(seed: number): LayoutRng {
  let state = seed
  return {
    next() {
      state = (state * 16807) % 2147483647
      return (state - 1) / 2147483646
    },
  }
}

/**
 * Deterministic 2D coordinates: atoms are grown along a depth-first walk in
 * 60° steps, then placed by stress majorization towards ideal distances
 * from their graph distance. Not a depiction of record, but bonds come out
 * close to 1.5 Å and the drawing stays open.
 *
 * @example layout2d(parseSmiles('CCO'), createRng('demo')) // three [x, y] pairs
 */
export function layout2d(graph: MolGraph, rng: LayoutRng = parkMiller(1)): [number, number][] {
  const n = graph.atoms.length
  const adj: number[][] = Array.from({ length: n }, () => [])
  for (const b of graph.bonds) {
    adj[b.from]?.push(b.to)
    adj[b.to]?.push(b.from)
  }
  const pos: [number, number][] = Array.from({ length: n }, () => [0, 0])
  const seen = new Set<number>([0])
  // Headings are whole multiples of 60°, so a table of exact unit vectors
  // replaces Math.cos/sin, whose last bits the spec leaves to the engine.
  const half = Math.sqrt(3) / 2
  const UNIT: [number, number][] = [
    [1, 0],
    [0.5, half],
    [-0.5, half],
    [-1, 0],
    [-0.5, -half],
    [0.5, -half],
  ]
  const walk = (atom: number, heading: number): void => {
    let turn = 0
    for (const next of adj[atom] ?? []) {
      if (seen.has(next)) continue
      seen.add(next)
      const step = (turn % 2 === 0 ? 1 : -1) * (1 + Math.floor(turn / 2))
      const dir = (((heading + step) % 6) + 6) % 6
      const [x, y] = pos[atom] ?? [0, 0]
      const [ux, uy] = UNIT[dir] ?? [1, 0]
      pos[next] = [x + 1.5 * ux, y + 1.5 * uy]
      turn++
      walk(next, dir)
    }
  }
  walk(0, 0)
  for (let k = 0; k < n; k++) {
    if (!seen.has(k)) pos[k] = [rng.next() * 6, rng.next() * 6]
  }
  // Stress majorization (Gansner, Koren & North 2004), one atom at a time:
  // each pair is pulled towards an ideal distance from its graph distance,
  // weighted 1/d³, so bonds (1.5 Å) and 1-3 pairs (2.6 Å, i.e. 120°) win
  // and far pairs only keep the drawing open. Only +, ×, ÷ and sqrt, which
  // IEEE 754 fixes to the last bit.
  const hops = new Array<number>(n * n).fill(Number.POSITIVE_INFINITY)
  for (let src = 0; src < n; src++) {
    hops[src * n + src] = 0
    const queue = [src]
    for (let q = 0; q < queue.length; q++) {
      const at = queue[q] as number
      for (const next of adj[at] ?? []) {
        if (hops[src * n + next] !== Number.POSITIVE_INFINITY) continue
        hops[src * n + next] = (hops[src * n + at] as number) + 1
        queue.push(next)
      }
    }
  }
  const ideal = (g: number): number =>
    g === Number.POSITIVE_INFINITY ? 6 : Math.max(1.5 * Math.sqrt(2 * g - 1), 1.3 * g - 1)
  for (let sweep = 0; sweep < 200; sweep++) {
    for (let i = 0; i < n; i++) {
      const pi = pos[i] as [number, number]
      let sx = 0
      let sy = 0
      let sw = 0
      for (let j = 0; j < n; j++) {
        if (j === i) continue
        const pj = pos[j] as [number, number]
        const d = ideal(hops[i * n + j] as number)
        const w = 1 / (d * d * d)
        let dx = pi[0] - pj[0]
        let dy = pi[1] - pj[1]
        let len = Math.sqrt(dx * dx + dy * dy)
        if (len < 1e-6) {
          dx = 0.01 * (i + 1)
          dy = 0.01 * (j + 1)
          len = Math.sqrt(dx * dx + dy * dy)
        }
        sx += w * (pj[0] + (d * dx) / len)
        sy += w * (pj[1] + (d * dy) / len)
        sw += w
      }
      if (sw > 0) {
        pi[0] = sx / sw
        pi[1] = sy / sw
      }
    }
  }
  return pos
}
