/** A JSON value; objects have no prototype so hostile keys such as `__proto__` stay plain data. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject
export interface JsonObject {
  [key: string]: JsonValue
}

export interface StrictJson {
  value: JsonValue
  /** Keys that appear more than once in one object, as `parent.key` paths. */
  duplicates: string[]
  /**
   * Paths of numbers written with a fraction or exponent (`2.0`, `1e3`):
   * formats whose readers want integers refuse them even when the value is whole.
   */
  fractional: string[]
}

/**
 * Raised for text that is not JSON; `offset` is the character index of the problem.
 *
 * @example
 * try { parseStrictJson('{"a":}') } catch (e) { (e as JsonSyntaxError).offset } // 5
 */
export class JsonSyntaxError extends Error {
  readonly offset: number
  constructor(message: string, offset: number) {
    super(`${message} at character ${offset}`)
    this.name = 'JsonSyntaxError'
    this.offset = offset
  }
}

const MAX_DEPTH = 64
/** A backslash or a control character: the string needs the slow path (escapes, or an error). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON forbids raw control characters in strings; this finds them.
const SPECIAL = /[\\\u0000-\u001f]/
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y

/**
 * Parses RFC 8259 JSON and reports duplicate keys, which `JSON.parse` drops
 * silently by keeping the last: two readers of one file would then see
 * different tensors. Nesting is capped so hostile input cannot exhaust the
 * stack.
 *
 * @example
 * parseStrictJson('{"a":1,"a":2}').duplicates // ['a']
 */
export function parseStrictJson(text: string): StrictJson {
  const duplicates: string[] = []
  const fractional: string[] = []
  let i = 0

  const fail = (message: string): never => {
    throw new JsonSyntaxError(message, i)
  }
  const skipSpace = (): void => {
    for (;;) {
      const c = text.charCodeAt(i)
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++
      else return
    }
  }
  const expect = (literal: string): void => {
    if (text.startsWith(literal, i)) i += literal.length
    else fail(`expected ${literal}`)
  }

  const parseString = (): string => {
    i++ // opening quote
    // Most strings (tensor names, dtypes) have no escapes: take them in one slice.
    const close = text.indexOf('"', i)
    if (close >= 0) {
      const run = text.slice(i, close)
      if (!SPECIAL.test(run)) {
        i = close + 1
        return run
      }
    }
    let out = ''
    let runStart = i
    for (;;) {
      if (i >= text.length) fail('unterminated string')
      const c = text.charCodeAt(i)
      if (c === 0x22) {
        out += text.slice(runStart, i)
        i++
        return out
      }
      if (c < 0x20) fail('control character in string')
      if (c !== 0x5c) {
        i++
        continue
      }
      out += text.slice(runStart, i)
      const e = text[i + 1]
      i += 2
      switch (e) {
        case '"':
          out += '"'
          break
        case '\\':
          out += '\\'
          break
        case '/':
          out += '/'
          break
        case 'b':
          out += '\b'
          break
        case 'f':
          out += '\f'
          break
        case 'n':
          out += '\n'
          break
        case 'r':
          out += '\r'
          break
        case 't':
          out += '\t'
          break
        case 'u': {
          const hex = text.slice(i, i + 4)
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape')
          out += String.fromCharCode(Number.parseInt(hex, 16))
          i += 4
          break
        }
        default:
          i -= 1
          fail('bad escape')
      }
      runStart = i
    }
  }

  const parseNumber = (path: string): number => {
    NUMBER.lastIndex = i
    const match = NUMBER.exec(text)
    if (!match) return fail('bad number')
    i += match[0].length
    if (/[.eE]/.test(match[0])) fractional.push(path)
    return Number(match[0])
  }

  const parseValue = (depth: number, path: string): JsonValue => {
    if (depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`)
    skipSpace()
    const c = text[i]
    if (c === '{') {
      i++
      const object: JsonObject = Object.create(null)
      const seen = new Set<string>()
      skipSpace()
      if (text[i] === '}') {
        i++
        return object
      }
      for (;;) {
        skipSpace()
        if (text[i] !== '"') fail('expected a key')
        const key = parseString()
        const keyPath = path ? `${path}.${key}` : key
        if (seen.has(key)) duplicates.push(keyPath)
        seen.add(key)
        skipSpace()
        if (text[i] !== ':') fail('expected ":"')
        i++
        object[key] = parseValue(depth + 1, keyPath)
        skipSpace()
        if (text[i] === ',') {
          i++
          continue
        }
        if (text[i] === '}') {
          i++
          return object
        }
        fail('expected "," or "}"')
      }
    }
    if (c === '[') {
      i++
      const array: JsonValue[] = []
      skipSpace()
      if (text[i] === ']') {
        i++
        return array
      }
      for (;;) {
        array.push(parseValue(depth + 1, `${path}[${array.length}]`))
        skipSpace()
        if (text[i] === ',') {
          i++
          continue
        }
        if (text[i] === ']') {
          i++
          return array
        }
        fail('expected "," or "]"')
      }
    }
    if (c === '"') return parseString()
    if (c === 't') {
      expect('true')
      return true
    }
    if (c === 'f') {
      expect('false')
      return false
    }
    if (c === 'n') {
      expect('null')
      return null
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return parseNumber(path)
    return fail(c === undefined ? 'unexpected end of input' : `unexpected "${c}"`)
  }

  const value = parseValue(0, '')
  skipSpace()
  if (i < text.length) fail('unexpected text after the value')
  return { value, duplicates, fractional }
}

/**
 * True for a JSON object (not an array, not null).
 *
 * @example isJsonObject(parseStrictJson('{}').value) // true
 */
export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
