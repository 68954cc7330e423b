import { layout2d } from './layout-2d.ts'
import { type MolGraph, parseSmiles } from './parse-smiles.ts'

/** A straight stroke of a bond, in layout units (a bond is about 1.5). */
export interface DepictionLine {
  x1: number
  y1: number
  x2: number
  y2: number
}

/** An atom's symbol (carbons stay unlabelled unless charged or alone). */
export interface DepictionLabel {
  x: number
  y: number
  text: string
}

/**
 * What a 2D drawing of a molecule needs, independent of how it is drawn:
 * the browser turns it into SVG elements, a test reads it as data. `y`
 * grows downwards, as in SVG.
 */
export interface Depiction {
  /** minX, minY, width, height. */
  viewBox: [number, number, number, number]
  lines: DepictionLine[]
  labels: DepictionLabel[]
}

export interface DepictOptions {
  /** Larger molecules are refused (the layout is quadratic per sweep); default 150. */
  maxAtoms?: number
}

const PAD = 1
/** How far a bond stops short of a labelled atom, so the symbol stays legible. */
const LABEL_GAP = 0.45
/** Half the distance between the strokes of a double bond. */
const DOUBLE_OFFSET = 0.14
const TRIPLE_OFFSET = 0.22

function chargeText(charge: number): string {
  if (charge === 0) return ''
  const sign = charge > 0 ? '+' : '−'
  return Math.abs(charge) === 1 ? sign : `${Math.abs(charge)}${sign}`
}

function labelled(graph: MolGraph, k: number): boolean {
  const atom = graph.atoms[k]
  if (!atom) return false
  return atom.element !== 'C' || atom.charge !== 0 || graph.atoms.length === 1
}

/**
 * Lays out a SMILES of the subset `parseSmiles` reads (Kekulé or aromatic
 * form, drawn as one Kekulé structure; organic subset and simple bracket
 * atoms) and returns the strokes and symbols of its 2D drawing. Throws, with the reason, on anything it cannot read, so a
 * caller can show the text instead.
 *
 * @example depictSmiles('C=O').lines.length // 2 (a double bond)
 */
export function depictSmiles(smiles: string, options: DepictOptions = {}): Depiction {
  const maxAtoms = options.maxAtoms ?? 150
  // Refused while parsing, before an oversized molecule is kekulised or laid out.
  const graph = parseSmiles(smiles, { maxAtoms })
  if (graph.atoms.length === 0) throw new Error('SMILES has no atoms')
  const coords = layout2d(graph).map(([x, y]): [number, number] => [x, -y])
  const lines: DepictionLine[] = []
  for (const bond of graph.bonds) {
    const [ax, ay] = coords[bond.from] ?? [0, 0]
    const [bx, by] = coords[bond.to] ?? [0, 0]
    const length = Math.hypot(bx - ax, by - ay)
    if (length < 1e-6) continue
    const ux = (bx - ax) / length
    const uy = (by - ay) / length
    const startCut = labelled(graph, bond.from) ? Math.min(LABEL_GAP, length / 3) : 0
    const endCut = labelled(graph, bond.to) ? Math.min(LABEL_GAP, length / 3) : 0
    const x1 = ax + ux * startCut
    const y1 = ay + uy * startCut
    const x2 = bx - ux * endCut
    const y2 = by - uy * endCut
    const offsets =
      bond.order === 1
        ? [0]
        : bond.order === 2
          ? [-DOUBLE_OFFSET, DOUBLE_OFFSET]
          : [-TRIPLE_OFFSET, 0, TRIPLE_OFFSET]
    for (const o of offsets) {
      // Perpendicular to the bond: (-uy, ux).
      lines.push({ x1: x1 - uy * o, y1: y1 + ux * o, x2: x2 - uy * o, y2: y2 + ux * o })
    }
  }
  const labels: DepictionLabel[] = []
  graph.atoms.forEach((atom, k) => {
    if (!labelled(graph, k)) return
    const [x, y] = coords[k] ?? [0, 0]
    labels.push({ x, y, text: `${atom.element}${chargeText(atom.charge)}` })
  })
  const xs = coords.map(([x]) => x)
  const ys = coords.map(([, y]) => y)
  const minX = Math.min(...xs) - PAD
  const minY = Math.min(...ys) - PAD
  const width = Math.max(...xs) - Math.min(...xs) + 2 * PAD
  const height = Math.max(...ys) - Math.min(...ys) + 2 * PAD
  return { viewBox: [minX, minY, width, height], lines, labels }
}
