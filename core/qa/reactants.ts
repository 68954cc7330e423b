import { canonicalSmiles } from '#core/chem'

/**
 * Reactant sets as the retrosynthesis contract reads them. A set is one
 * SMILES of dot-separated molecules (`CC(=O)O.NCc1ccccc1`) or, in JSON, a
 * list of SMILES; a ranked list of candidate sets is a JSON array, best
 * first, or in a CSV cell the sets separated by white space (a SMILES never
 * holds any).
 */

/** Candidate sets of one cell, best first; a string when the cell cannot be read, saying why. */
export function readCandidates(
  cell: string | number | boolean | null | undefined,
): (string | string[])[] | string {
  if (cell === null || cell === undefined) return []
  if (typeof cell !== 'string') return `${JSON.stringify(cell)} is not a list of reactant sets`
  const text = cell.trim()
  if (!text.startsWith('[')) return text === '' ? [] : text.split(/\s+/)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return 'the list is not valid JSON'
  }
  if (!Array.isArray(value)) return 'the candidates are not a list'
  const out: (string | string[])[] = []
  for (const [i, c] of value.entries()) {
    if (typeof c === 'string') out.push(c)
    else if (Array.isArray(c) && c.every((s) => typeof s === 'string')) out.push(c as string[])
    else return `candidate ${i + 1} is neither a SMILES string nor a list of SMILES strings`
  }
  return out
}

/**
 * The comparison key of a reactant set: each molecule's canonical SMILES
 * (`core/chem`), sorted, so neither the spelling of a molecule nor the order
 * of the reactants matters. A molecule the parser cannot read keeps its text
 * (marked), so it matches only the same text.
 *
 * @example reactantSetKey('NCc1ccccc1.CC(=O)O') === reactantSetKey(['OC(C)=O', 'NCC1=CC=CC=C1']) // true
 */
export function reactantSetKey(
  set: string | readonly string[],
  cache: Map<string, string | undefined> = new Map(),
): string {
  const molecules = (typeof set === 'string' ? [set] : set)
    .flatMap((s) => s.split('.'))
    .map((s) => s.trim())
    .filter((s) => s !== '')
  return molecules
    .map((m) => {
      const canonical = canonicalOrUndefined(m, cache)
      return canonical ?? `?${m}`
    })
    .sort()
    .join('.')
}

/**
 * Whether every molecule of a reactant set parses (an empty set does not).
 *
 * @example reactantSetParses('CC(=O)O.NCc1ccccc1') // true
 */
export function reactantSetParses(
  set: string | readonly string[],
  cache: Map<string, string | undefined> = new Map(),
): boolean {
  const molecules = (typeof set === 'string' ? [set] : set)
    .flatMap((s) => s.split('.'))
    .map((s) => s.trim())
  return (
    molecules.length > 0 &&
    molecules.every((m) => m !== '' && canonicalOrUndefined(m, cache) !== undefined)
  )
}

function canonicalOrUndefined(
  smiles: string,
  cache: Map<string, string | undefined>,
): string | undefined {
  if (cache.has(smiles)) return cache.get(smiles)
  let canonical: string | undefined
  try {
    canonical = canonicalSmiles(smiles)
  } catch {
    canonical = undefined
  }
  cache.set(smiles, canonical)
  return canonical
}
