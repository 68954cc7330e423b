import { layout2d, parseSmiles } from '#core/chem'
import { createRng } from './prng.ts'

/** Coordinates shifted so their centroid is the origin. */
function centred(coords: [number, number][]): [number, number][] {
  if (coords.length === 0) return coords
  const mx = coords.reduce((s, [x]) => s + x, 0) / coords.length
  const my = coords.reduce((s, [, y]) => s + y, 0) / coords.length
  return coords.map(([x, y]) => [x - mx, y - my])
}

function fixed(value: number, width: number, decimals: number): string {
  const text = (Math.abs(value) < 0.00005 ? 0 : value).toFixed(decimals)
  return text.padStart(width)
}

/**
 * A V2000 mol block: header (name, program line, comment), counts line,
 * atom block, bond block, `M  CHG` for charges, `M  END`.
 *
 * @example molBlock('ethanol', 'CCO').endsWith('M  END\n') // true
 */
export function molBlock(name: string, smiles: string): string {
  const graph = parseSmiles(smiles)
  const coords = layout2d(graph, createRng(`layout:${smiles}`))
  const lines = [name, '  Agora   01012600002D', `  SMILES ${smiles}`.slice(0, 80)]
  const c3 = (v: number): string => String(v).padStart(3)
  lines.push(`${c3(graph.atoms.length)}${c3(graph.bonds.length)}  0  0  0  0  0  0  0  0999 V2000`)
  graph.atoms.forEach((atom, k) => {
    const [x, y] = coords[k] ?? [0, 0]
    const symbol = atom.element.padEnd(3)
    lines.push(
      `${fixed(x, 10, 4)}${fixed(y, 10, 4)}${fixed(0, 10, 4)} ${symbol} 0${'  0'.repeat(11)}`,
    )
  })
  for (const b of graph.bonds) lines.push(`${c3(b.from + 1)}${c3(b.to + 1)}${c3(b.order)}  0`)
  const charged = graph.atoms.map((a, k) => ({ k, c: a.charge })).filter((a) => a.c !== 0)
  for (let s = 0; s < charged.length; s += 8) {
    const chunk = charged.slice(s, s + 8)
    lines.push(
      `M  CHG${c3(chunk.length)}${chunk.map((a) => ` ${c3(a.k + 1)} ${c3(a.c)}`).join('')}`,
    )
  }
  lines.push('M  END')
  return `${lines.join('\n')}\n`
}

/**
 * An SD file: one mol block per record, data items as `> <name>` fields,
 * records ended by `$$$$`.
 *
 * @example sdf([{ name: 'aspirin', smiles: 'CC(=O)OC1=CC=CC=C1C(=O)O', data: { role: 'active' } }])
 */
export function sdf(
  records: { name: string; smiles: string; data: Record<string, string | number> }[],
): string {
  return records
    .map((r) => {
      const fields = Object.entries(r.data).map(([k, v]) => `> <${k}>\n${v}\n\n`)
      return `${molBlock(r.name, r.smiles)}${fields.join('')}$$$$\n`
    })
    .join('')
}

/** Three-letter residue codes and whether they carry a side-chain CB. */
const RESIDUES: Record<string, string> = {
  A: 'ALA',
  C: 'CYS',
  D: 'ASP',
  E: 'GLU',
  F: 'PHE',
  G: 'GLY',
  H: 'HIS',
  I: 'ILE',
  K: 'LYS',
  L: 'LEU',
  M: 'MET',
  N: 'ASN',
  P: 'PRO',
  Q: 'GLN',
  R: 'ARG',
  S: 'SER',
  T: 'THR',
  V: 'VAL',
  W: 'TRP',
  Y: 'TYR',
}

/** Gasteiger-like partial charges per backbone atom, for PDBQT. */
const PDBQT_ATOM: Record<string, { charge: number; type: string }> = {
  N: { charge: -0.346, type: 'N' },
  CA: { charge: 0.177, type: 'C' },
  C: { charge: 0.241, type: 'C' },
  O: { charge: -0.271, type: 'OA' },
  CB: { charge: 0.038, type: 'C' },
}

export interface PocketOptions {
  /** One-letter sequence of the helix segment lining the pocket. */
  sequence: string
  /** Residue number of the first residue. */
  start: number
  chain: string
  center: [number, number, number]
  /** Write PDBQT (charges and AutoDock types) instead of plain PDB. */
  pdbqt?: boolean
  /** Optional ligand placed at the centre as HETATM records. */
  ligand?: { code: string; smiles: string }
  title: string
}

/**
 * A pocket snippet in PDB (or PDBQT) columns: an ideal α-helix built from a
 * sequence (backbone N, CA, C, O and CB; 100° and 1.5 Å per residue), and an
 * optional ligand laid out at the pocket centre. Enough for parsers and
 * viewers; not an experimental structure.
 *
 * @example pocketPdb({ sequence: 'TQLMPF', start: 790, chain: 'A', center: [0, 0, 0], title: 'hinge' })
 */
export function pocketPdb(options: PocketOptions): string {
  const lines = [
    `HEADER    SAMPLE POCKET SNIPPET`,
    `TITLE     ${options.title.toUpperCase().slice(0, 70)}`,
  ]
  lines.push('REMARK   1 IDEAL HELIX GEOMETRY; SYNTHETIC SAMPLE FOR AGORA, NOT EXPERIMENTAL')
  let serial = 1
  const [cx, cy, cz] = options.center
  const record = (
    kind: 'ATOM  ' | 'HETATM',
    name: string,
    resName: string,
    resSeq: number,
    xyz: [number, number, number],
    element: string,
    extra?: { charge: number; type: string },
  ): string => {
    const atomName = name.length < 4 ? ` ${name.padEnd(3)}` : name
    const base =
      `${kind}${String(serial++).padStart(5)} ${atomName} ${resName.padStart(3)} ${options.chain}` +
      `${String(resSeq).padStart(4)}    ${fixed(xyz[0], 8, 3)}${fixed(xyz[1], 8, 3)}${fixed(xyz[2], 8, 3)}` +
      `  1.00  0.00`
    if (options.pdbqt && extra) {
      return `${base}    ${fixed(extra.charge, 6, 3)} ${extra.type.padEnd(2)}`
    }
    return `${base}          ${element.padStart(2)}`
  }
  const deg = Math.PI / 180
  // The ligand is laid out first, centred on the pocket centre, so the helix
  // can sit beside it instead of through it.
  const ligandCoords =
    options.ligand && !options.pdbqt
      ? centred(
          layout2d(
            parseSmiles(options.ligand.smiles),
            createRng(`pocket:${options.ligand.smiles}`),
          ),
        )
      : []
  const helixX = ligandCoords.reduce((m, [x]) => Math.max(m, x), 0) + 6
  ;[...options.sequence].forEach((letter, k) => {
    const resName = RESIDUES[letter] ?? 'ALA'
    const resSeq = options.start + k
    const theta = k * 100 * deg
    const z = k * 1.5 - (options.sequence.length * 1.5) / 2
    const at = (radius: number, phase: number, dz: number): [number, number, number] => [
      cx + helixX + radius * Math.cos(theta + phase * deg),
      cy + radius * Math.sin(theta + phase * deg),
      cz + z + dz,
    ]
    const atoms: [string, [number, number, number], string][] = [
      ['N', at(1.55, -28, -0.84), 'N'],
      ['CA', at(2.3, 0, 0), 'C'],
      ['C', at(1.65, 28, 0.9), 'C'],
      ['O', at(1.9, 36, 2.1), 'O'],
    ]
    if (letter !== 'G') atoms.push(['CB', at(3.3, 8, -0.6), 'C'])
    for (const [name, xyz, element] of atoms) {
      lines.push(record('ATOM  ', name, resName, resSeq, xyz, element, PDBQT_ATOM[name]))
    }
  })
  const lastRes = RESIDUES[options.sequence.slice(-1)] ?? 'ALA'
  const lastSeq = options.start + options.sequence.length - 1
  lines.push(
    `TER   ${String(serial++).padStart(5)}      ${lastRes} ${options.chain}${String(lastSeq).padStart(4)}`,
  )
  if (options.ligand && !options.pdbqt) {
    const graph = parseSmiles(options.ligand.smiles)
    const coords = ligandCoords
    const rng = createRng(`pocket-z:${options.ligand.code}`)
    const counts = new Map<string, number>()
    graph.atoms.forEach((atom, k) => {
      const count = (counts.get(atom.element) ?? 0) + 1
      counts.set(atom.element, count)
      const [x, y] = coords[k] ?? [0, 0]
      const xyz: [number, number, number] = [cx + x, cy + y, cz + (rng.next() - 0.5)]
      lines.push(
        record(
          'HETATM',
          `${atom.element}${count}`.slice(0, 4),
          options.ligand?.code ?? 'LIG',
          900,
          xyz,
          atom.element,
        ),
      )
    })
  }
  lines.push('END')
  return `${lines.join('\n')}\n`
}

/**
 * A CSV document with RFC 4180 quoting and a trailing newline.
 *
 * @example csv(['name', 'smiles'], [['aspirin', 'CC(=O)OC1=CC=CC=C1C(=O)O']])
 */
export function csv(
  header: readonly string[],
  rows: readonly (readonly (string | number | null)[])[],
): string {
  const cell = (v: string | number | null): string => {
    if (v === null) return ''
    const s = String(v)
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  return `${[header, ...rows].map((r) => r.map(cell).join(',')).join('\n')}\n`
}

const ATOMIC_MASS: Record<string, number> = {
  H: 1.008,
  B: 10.81,
  C: 12.011,
  N: 14.007,
  O: 15.999,
  F: 18.998,
  P: 30.974,
  S: 32.06,
  Cl: 35.45,
  Br: 79.904,
  I: 126.904,
}
const HYDROGEN_MASS = 1.008
const DEFAULT_VALENCE: Record<string, number[]> = {
  B: [3],
  C: [4],
  N: [3],
  O: [2],
  P: [3, 5],
  S: [2, 4, 6],
  F: [1],
  Cl: [1],
  Br: [1],
  I: [1],
}

/**
 * Average molecular weight from a Kekulé or aromatic SMILES (kekulised by
 * the parser), with implicit hydrogens
 * filled to the lowest default valence that fits (charged atoms keep their
 * explicit bonds).
 *
 * @example molecularWeight('CC(=O)OC1=CC=CC=C1C(=O)O') // 180.16
 */
export function molecularWeight(smiles: string): number {
  const g = parseSmiles(smiles)
  const used = new Array<number>(g.atoms.length).fill(0)
  for (const b of g.bonds) {
    used[b.from] = (used[b.from] ?? 0) + b.order
    used[b.to] = (used[b.to] ?? 0) + b.order
  }
  let mass = 0
  g.atoms.forEach((a, k) => {
    mass += ATOMIC_MASS[a.element] ?? 0
    const u = used[k] ?? 0
    let h = 0
    if (a.charge === 0) {
      const target = (DEFAULT_VALENCE[a.element] ?? [u]).find((v) => v >= u) ?? u
      h = target - u
    } else if (a.element === 'N' && a.charge === 1) {
      h = Math.max(0, 4 - u)
    }
    mass += h * HYDROGEN_MASS
  })
  return Math.round(mass * 100) / 100
}
