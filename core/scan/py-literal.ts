/**
 * A small reader of Python literals, enough for what `ast.literal_eval`
 * accepts in a .npy header: dicts, lists, tuples, strings (quotes, prefixes,
 * escapes, adjacent literals joined), bytes, ints (`3L` as numpy's header
 * filter allows), floats, True/False/None. Internal to core/scan.
 */

export type PyValue =
  | { t: 'str'; v: string }
  | { t: 'bytes'; v: string }
  | { t: 'int'; v: bigint }
  | { t: 'float'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'none' }
  | { t: 'list'; v: PyValue[] }
  | { t: 'tuple'; v: PyValue[] }
  | { t: 'dict'; v: [PyValue, PyValue][] }

/** Python's one-character string escapes, as the pickle loader and `ast.literal_eval` read them. */
export const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\n': '',
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
}

export class PyLiteralError extends Error {}

const MAX_DEPTH = 64

/**
 * Parses one Python literal; throws {@link PyLiteralError} on anything else.
 *
 * @example parsePyLiteral("{'descr': '\\x4f'}") // { t: 'dict', v: [[{ t: 'str', v: 'descr' }, { t: 'str', v: 'O' }]] }
 */
export function parsePyLiteral(text: string): PyValue {
  let pos = 0
  const fail = (why: string): never => {
    throw new PyLiteralError(`${why} at character ${pos}`)
  }
  const space = (): void => {
    while (pos < text.length) {
      const c = text[pos] as string
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') pos++
      else if (c === '\\' && text[pos + 1] === '\n') pos += 2
      else if (c === '#') {
        while (pos < text.length && text[pos] !== '\n') pos++
      } else break
    }
  }
  const value = (depth: number): PyValue => {
    if (depth > MAX_DEPTH) fail('nesting too deep')
    space()
    const c = text[pos]
    if (c === undefined) return fail('unexpected end')
    if (c === '{') return dict(depth)
    if (c === '[') {
      pos++
      return { t: 'list', v: items(']', depth) }
    }
    if (c === '(') {
      pos++
      space()
      if (text[pos] === ')') {
        pos++
        return { t: 'tuple', v: [] }
      }
      const first = value(depth + 1)
      space()
      if (text[pos] === ')') {
        pos++
        return first
      }
      if (text[pos] !== ',') fail('expected "," or ")"')
      pos++
      return { t: 'tuple', v: [first, ...items(')', depth)] }
    }
    const str = /^([rRuUbB]{0,2})(['"])/.exec(text.slice(pos, pos + 4))
    if (str) return strings()
    if (c === '-' || c === '+') {
      pos++
      const inner = value(depth + 1)
      if (inner.t === 'int') return { t: 'int', v: c === '-' ? -inner.v : inner.v }
      if (inner.t === 'float') return { t: 'float', v: c === '-' ? -inner.v : inner.v }
      return fail('sign before something that is not a number')
    }
    const word = /^[A-Za-z_][A-Za-z_0-9]*/.exec(text.slice(pos, pos + 64))?.[0]
    if (word === 'True' || word === 'False' || word === 'None') {
      pos += word.length
      return word === 'None' ? { t: 'none' } : { t: 'bool', v: word === 'True' }
    }
    return number()
  }
  const items = (close: string, depth: number): PyValue[] => {
    const out: PyValue[] = []
    for (;;) {
      space()
      if (text[pos] === close) {
        pos++
        return out
      }
      out.push(value(depth + 1))
      space()
      if (text[pos] === ',') pos++
      else if (text[pos] !== close) fail(`expected "," or "${close}"`)
    }
  }
  const dict = (depth: number): PyValue => {
    pos++
    const out: [PyValue, PyValue][] = []
    for (;;) {
      space()
      if (text[pos] === '}') {
        pos++
        return { t: 'dict', v: out }
      }
      const key = value(depth + 1)
      space()
      if (text[pos] !== ':') fail('expected ":"')
      pos++
      out.push([key, value(depth + 1)])
      space()
      if (text[pos] === ',') pos++
      else if (text[pos] !== '}') fail('expected "," or "}"')
    }
  }
  const number = (): PyValue => {
    const rest = text.slice(pos, pos + 400)
    const int =
      /^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|0(?:_?0)*|[1-9](?:_?\d)*)[lL]?(?![\w.])/.exec(
        rest,
      )
    if (int) {
      pos += int[0].length
      const digits = int[0].replace(/[lL]$/, '').replaceAll('_', '')
      const prefixed = /^0[oO]/.test(digits) ? `0o${digits.slice(2)}` : digits
      return { t: 'int', v: /^0+$/.test(prefixed) ? 0n : BigInt(prefixed) }
    }
    const float =
      /^(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][-+]?\d(?:_?\d)*)?(?![\w.])/.exec(
        rest,
      )
    if (float?.[0]) {
      pos += float[0].length
      return { t: 'float', v: Number(float[0].replaceAll('_', '')) }
    }
    return fail('not a literal')
  }
  const strings = (): PyValue => {
    let out = ''
    let kind: 'str' | 'bytes' | undefined
    for (;;) {
      space()
      const m = /^([rRuUbB]{0,2})('''|"""|'|")/.exec(text.slice(pos, pos + 5))
      if (!m) break
      const prefix = (m[1] as string).toLowerCase()
      if (!['', 'r', 'u', 'b', 'br', 'rb'].includes(prefix)) fail(`string prefix "${m[1]}"`)
      const isBytes = prefix.includes('b')
      const thisKind = isBytes ? 'bytes' : 'str'
      if (kind && kind !== thisKind) fail('str and bytes literals joined')
      kind = thisKind
      pos += m[0].length
      out += body(m[2] as string, prefix.includes('r'), isBytes)
    }
    return { t: kind ?? 'str', v: out }
  }
  const body = (quote: string, raw: boolean, isBytes: boolean): string => {
    let out = ''
    for (;;) {
      if (pos >= text.length) fail('unterminated string')
      if (text.startsWith(quote, pos)) {
        pos += quote.length
        return out
      }
      const c = text[pos] as string
      if (c === '\n' && quote.length === 1) fail('newline in string')
      if (isBytes && c.charCodeAt(0) > 0x7f) fail('non-ASCII character in bytes')
      if (c !== '\\') {
        out += c
        pos++
        continue
      }
      const next = text[pos + 1]
      if (next === undefined) fail('unterminated string')
      if (raw) {
        out += c + next
        pos += 2
        continue
      }
      pos += 2
      if (Object.hasOwn(SIMPLE_ESCAPES, next as string)) {
        out += SIMPLE_ESCAPES[next as string]
        continue
      }
      if (next !== undefined && /[0-7]/.test(next)) {
        const oct = /^[0-7]{1,3}/.exec(text.slice(pos - 1, pos + 2))?.[0] as string
        pos += oct.length - 1
        out += String.fromCodePoint(Number.parseInt(oct, 8))
        continue
      }
      const hexLength =
        next === 'x' ? 2 : !isBytes && next === 'u' ? 4 : !isBytes && next === 'U' ? 8 : 0
      if (hexLength > 0) {
        const hex = text.slice(pos, pos + hexLength)
        if (!new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(hex)) fail(`bad \\${next} escape`)
        const code = Number.parseInt(hex, 16)
        if (code > 0x10ffff) fail('escape beyond Unicode')
        out += String.fromCodePoint(code)
        pos += hexLength
        continue
      }
      // \N{NAME} needs the Unicode name table; anything else keeps the backslash, as Python does.
      if (next === 'N' && !isBytes) fail('\\N{…} escapes are not read')
      out += c + next
    }
  }
  const result = value(0)
  space()
  if (pos < text.length) fail('text after the literal')
  return result
}
