/**
 * Characters that make text read differently from what it holds: bidi
 * embeddings, overrides and isolates (U+202A–202E, U+2066–2069, the
 * "Trojan Source" characters), the zero-width direction marks (U+200E, U+200F,
 * U+061C), zero-width characters (U+200B–200D, U+2060–2064, U+FEFF), the line
 * and paragraph separators (U+2028, U+2029), and control characters other
 * than tab and line feed (C0, DEL, C1).
 */
const HIDDEN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u

const NAMES: Record<string, string> = {
  '200B': 'zero-width space',
  '200C': 'zero-width non-joiner',
  '200D': 'zero-width joiner',
  '200E': 'left-to-right mark',
  '200F': 'right-to-left mark',
  '061C': 'Arabic letter mark',
  '2028': 'line separator',
  '2029': 'paragraph separator',
  '2060': 'word joiner',
  '2061': 'invisible function application',
  '2062': 'invisible times',
  '2063': 'invisible separator',
  '2064': 'invisible plus',
  FEFF: 'zero-width no-break space',
  '202A': 'left-to-right embedding',
  '202B': 'right-to-left embedding',
  '202C': 'pop directional formatting',
  '202D': 'left-to-right override',
  '202E': 'right-to-left override',
  '2066': 'left-to-right isolate',
  '2067': 'right-to-left isolate',
  '2068': 'first strong isolate',
  '2069': 'pop directional isolate',
}

/**
 * Why a manifest string may not be shown as written, or undefined when it
 * may: it names the first hidden character and where it is.
 *
 * @example textProblem('Tox GNN') // undefined
 * @example textProblem('abc\u202Edef') // 'holds U+202E (right-to-left override) at character 4'
 */
export function textProblem(value: string): string | undefined {
  const match = HIDDEN.exec(value)
  if (!match) return undefined
  const code = match[0].codePointAt(0) as number
  const hex = code.toString(16).toUpperCase().padStart(4, '0')
  const name = NAMES[hex] ?? 'a control character'
  return `holds U+${hex} (${name}) at character ${match.index + 1}`
}
