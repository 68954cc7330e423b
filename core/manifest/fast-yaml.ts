/**
 * A fast path for the plain YAML that manifests are made of: block mappings
 * and sequences, single-line flow collections, plain and quoted one-line
 * scalars, comments. It is an order of magnitude faster than building a
 * full YAML document, which is what lets a whole registry validate near the
 * cost of reading it.
 *
 * It never decides anything on its own: whatever falls outside that subset
 * (anchors, tags, block scalars, multi-line values, escapes, duplicate or
 * forbidden keys, odd indentation, deep nesting, …) returns NOT_SIMPLE and
 * the caller parses with the full YAML library, which reports problems with
 * positions. A differential test checks that every value this accepts is
 * exactly what the full parser produces.
 */

/** Returned when the text is outside the subset; parse it with the full parser. */
export const NOT_SIMPLE: unique symbol = Symbol('not-simple')

/** Below the loader's limit, so nesting near the limit is left to the full parser's check. */
const MAX_FAST_DEPTH = 24
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])
/** Plain keys that the core schema would turn into something other than their own text. */
const NON_STRING_KEY = /^(?:~|[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE)$/
const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*(?=:(?: |$))/
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters send the text to the full parser
const UNSUPPORTED_CHARS = /[\u0000-\u0009\u000b-\u001f\u007f\ufeff]/

class Bail extends Error {}
const bail = (): never => {
  throw new Bail()
}

interface Line {
  indent: number
  text: string
}

/**
 * Resolves a plain scalar as YAML 1.2's core schema does (the `yaml`
 * package's order: null, bool, octal, int, hex, inf/nan, exponent, float).
 *
 * @example resolvePlain('0x1F') // 31
 * @example resolvePlain('1.0.0') // '1.0.0'
 */
export function resolvePlain(text: string): unknown {
  if (/^(?:~|[Nn]ull|NULL)?$/.test(text)) return null
  if (/^(?:[Tt]rue|TRUE)$/.test(text)) return true
  if (/^(?:[Ff]alse|FALSE)$/.test(text)) return false
  if (/^0o[0-7]+$/.test(text)) return Number.parseInt(text.slice(2), 8)
  if (/^[-+]?[0-9]+$/.test(text)) return Number.parseInt(text, 10)
  if (/^0x[0-9a-fA-F]+$/.test(text)) return Number.parseInt(text.slice(2), 16)
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(text)) {
    if (text.slice(-3).toLowerCase() === 'nan') return Number.NaN
    return text[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
  }
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(text))
    return Number.parseFloat(text)
  if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(text)) return Number.parseFloat(text)
  return text
}

/** Characters that may not start a plain scalar (or that this fast path leaves to the full parser). */
const PLAIN_START = new Set([
  '[',
  ']',
  '{',
  '}',
  ',',
  '#',
  '&',
  '*',
  '!',
  '|',
  '>',
  "'",
  '"',
  '%',
  '@',
  '`',
  '?',
  ':',
])

class LineParser {
  readonly #line: string
  pos: number
  constructor(line: string, pos: number) {
    this.#line = line
    this.pos = pos
  }

  skipSpaces(): void {
    while (this.#line.charCodeAt(this.pos) === 32) this.pos++
  }

  peek(): string {
    return this.#line[this.pos] ?? ''
  }

  /** True when only spaces or a comment remain. */
  atEnd(): boolean {
    this.skipSpaces()
    if (this.pos >= this.#line.length) return true
    return this.#line[this.pos] === '#' && this.#line[this.pos - 1] === ' '
  }

  value(flow: boolean, depth: number): unknown {
    const c = this.peek()
    if (c === '"' || c === "'") return this.quoted(c)
    if (c === '[' || c === '{') return this.flowCollection(depth + 1)
    return this.plain(flow)
  }

  quoted(quote: string): string {
    const line = this.#line
    let out = ''
    let i = this.pos + 1
    for (;;) {
      const end = line.indexOf(quote, i)
      if (end === -1) return bail()
      const chunk = line.slice(i, end)
      if (quote === '"' && chunk.includes('\\')) return bail()
      out += chunk
      if (quote === "'" && line[end + 1] === "'") {
        out += "'"
        i = end + 2
        continue
      }
      this.pos = end + 1
      return out
    }
  }

  plain(flow: boolean): unknown {
    const line = this.#line
    const start = this.pos
    const first = line[start] ?? ''
    if (first === '' || PLAIN_START.has(first)) return bail()
    if (first === '-' && (line[start + 1] === ' ' || line[start + 1] === undefined)) return bail()
    let i = start
    for (; i < line.length; i++) {
      const ch = line[i]
      if (ch === ':' && (line[i + 1] === ' ' || line[i + 1] === undefined)) return bail()
      if (ch === '#' && line[i - 1] === ' ') break
      if (flow && (ch === ',' || ch === ']' || ch === '}' || ch === '[' || ch === '{')) break
      if (flow && ch === ':') return bail()
    }
    const text = line.slice(start, i).trimEnd()
    this.pos = start + text.length
    return resolvePlain(text)
  }

  flowCollection(depth: number): unknown {
    if (depth > MAX_FAST_DEPTH) return bail()
    const open = this.peek()
    const close = open === '[' ? ']' : '}'
    this.pos++
    const list: unknown[] = []
    const map: Record<string, unknown> = {}
    this.skipSpaces()
    if (this.peek() === close) {
      this.pos++
      return open === '[' ? list : map
    }
    for (;;) {
      this.skipSpaces()
      if (open === '[') {
        list.push(this.value(true, depth))
      } else {
        const key = /^[A-Za-z_][A-Za-z0-9_.-]*(?=: )/.exec(this.#line.slice(this.pos))?.[0]
        if (key === undefined || NON_STRING_KEY.test(key) || FORBIDDEN_KEYS.has(key)) return bail()
        if (Object.hasOwn(map, key)) return bail()
        this.pos += key.length + 2
        this.skipSpaces()
        const c = this.peek()
        if (c === ',' || c === '}' || c === '') return bail()
        map[key] = this.value(true, depth)
      }
      this.skipSpaces()
      const c = this.peek()
      this.pos++
      if (c === close) return open === '[' ? list : map
      if (c !== ',') return bail()
      this.skipSpaces()
      // A trailing comma or an empty entry is valid YAML, but rare: leave it to the full parser.
      if (this.peek() === close || this.peek() === ',') return bail()
    }
  }
}

class BlockParser {
  readonly lines: Line[]
  i = 0
  constructor(lines: Line[]) {
    this.lines = lines
  }

  isSeqItem(line: Line): boolean {
    return line.text === '-' || line.text.startsWith('- ')
  }

  block(indent: number, depth: number): unknown {
    if (depth > MAX_FAST_DEPTH) return bail()
    const line = this.lines[this.i] as Line
    return this.isSeqItem(line) ? this.sequence(indent, depth) : this.mapping(indent, depth)
  }

  /** The value after `key:` or `-` with nothing else on the line: a nested block, or null. */
  nested(indent: number, depth: number, allowSameIndentSeq: boolean): unknown {
    const next = this.lines[this.i]
    if (next === undefined || next.indent < indent) return null
    if (next.indent > indent) return this.block(next.indent, depth + 1)
    if (allowSameIndentSeq && this.isSeqItem(next)) return this.sequence(indent, depth + 1)
    return null
  }

  /** An inline value must end its line, and no deeper line may follow (a continuation). */
  inline(line: Line, pos: number, indent: number, depth: number): unknown {
    const p = new LineParser(line.text, pos)
    const value = p.value(false, depth)
    if (!p.atEnd()) return bail()
    this.i++
    const next = this.lines[this.i]
    if (next !== undefined && next.indent > indent) return bail()
    return value
  }

  mapping(indent: number, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    while (this.i < this.lines.length) {
      const line = this.lines[this.i] as Line
      if (line.indent < indent) break
      if (line.indent > indent || this.isSeqItem(line)) return bail()
      const key = KEY.exec(line.text)?.[0]
      if (key === undefined || NON_STRING_KEY.test(key) || FORBIDDEN_KEYS.has(key)) return bail()
      if (Object.hasOwn(out, key)) return bail()
      const p = new LineParser(line.text, key.length + 1)
      if (p.atEnd()) {
        this.i++
        out[key] = this.nested(indent, depth, true)
      } else {
        out[key] = this.inline(line, p.pos, indent, depth)
      }
    }
    return out
  }

  sequence(indent: number, depth: number): unknown[] {
    const out: unknown[] = []
    while (this.i < this.lines.length) {
      const line = this.lines[this.i] as Line
      if (line.indent < indent) break
      if (line.indent > indent || !this.isSeqItem(line)) {
        // A mapping key at the sequence's own indent ends a `key:\n- a` sequence.
        if (line.indent === indent && !this.isSeqItem(line)) break
        return bail()
      }
      const p = new LineParser(line.text, 1)
      if (p.atEnd()) {
        this.i++
        out.push(this.nested(indent, depth, false))
        continue
      }
      const rest = line.text.slice(p.pos)
      if (rest.startsWith('- ') || rest === '-') return bail()
      if (KEY.test(rest)) {
        // `- key: value` opens a mapping whose keys line up with `key`.
        const column = indent + p.pos
        this.lines[this.i] = { indent: column, text: rest }
        out.push(this.mapping(column, depth + 1))
        continue
      }
      out.push(this.inline(line, p.pos, indent, depth))
    }
    return out
  }
}

/**
 * Parses `text` when it lies in the plain subset manifests use; NOT_SIMPLE
 * otherwise. The text must already be decoded and free of a byte order mark.
 *
 * @example parseSimpleYaml('id: acme/x\ntags: [a, b]\n') // { id: 'acme/x', tags: ['a', 'b'] }
 * @example parseSimpleYaml('a: &x 1\n') // NOT_SIMPLE
 */
export function parseSimpleYaml(text: string): unknown {
  if (UNSUPPORTED_CHARS.test(text)) return NOT_SIMPLE
  const lines: Line[] = []
  let start = 0
  while (start <= text.length) {
    let end = text.indexOf('\n', start)
    if (end === -1) end = text.length
    const raw = text.slice(start, end)
    start = end + 1
    let indent = 0
    while (raw.charCodeAt(indent) === 32) indent++
    const body = raw.slice(indent).trimEnd()
    if (body === '' || body[0] === '#') continue
    // Directives and document markers are left to the full parser.
    if (indent === 0 && (body.startsWith('---') || body.startsWith('...') || body[0] === '%')) {
      return NOT_SIMPLE
    }
    lines.push({ indent, text: body })
  }
  if (lines.length === 0) return null
  const parser = new BlockParser(lines)
  try {
    const first = lines[0] as Line
    if (!parser.isSeqItem(first) && !KEY.test(first.text)) return NOT_SIMPLE
    const value = parser.block(first.indent, 1)
    return parser.i === lines.length ? value : NOT_SIMPLE
  } catch (err) {
    if (err instanceof Bail) return NOT_SIMPLE
    throw err
  }
}
