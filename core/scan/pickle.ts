import { plural } from '#core/errors'
import { makeFinding } from './finding.ts'
import { isAllowedGlobal, isDangerousGlobal } from './pickle-globals.ts'
import { SIMPLE_ESCAPES } from './py-literal.ts'
import { isPickleFloat, pickleInt, pickleLong, pickleMemoKey } from './py-number.ts'
import type { Finding, PickleImport } from './types.ts'

type StackItem =
  | { t: 'mark' }
  | { t: 'other' }
  | { t: 'str'; v: string }
  | { t: 'global'; module: string; name: string }

const MARK: StackItem = { t: 'mark' }
const OTHER: StackItem = { t: 'other' }

/** What walking one pickle found. */
export interface PickleWalk {
  /** Offset just after STOP, or where the walk gave up. */
  end: number
  /** Reached STOP without a structural problem. */
  complete: boolean
  imports: { module: string; name: string }[]
  /** STACK_GLOBAL operands that were not strings known at scan time. */
  unresolved: number
  /** EXT1/EXT2/EXT4 opcodes (imports through the copyreg registry). */
  extensions: number
  /** Why the walk stopped early, when it did. */
  problem?: string
  /** It stopped because the bytes ran out, not on a bad opcode. */
  atEnd?: boolean
  /** Where a FRAME's length disagreed with the opcodes inside it (the C and Python loaders then differ). */
  frameMismatch?: string
}

class Malformed extends Error {
  /** The bytes ran out before STOP, rather than holding something no pickle holds. */
  readonly atEnd: boolean
  constructor(message: string, atEnd = false) {
    super(message)
    this.atEnd = atEnd
  }
}

const decoder = new TextDecoder('utf-8')
const latin1 = new TextDecoder('latin1')

/**
 * Walks one pickle's opcodes from `start` without unpickling anything: every
 * opcode of protocols 0-5 with its argument size, a light stack and memo
 * (MEMOIZE, PUT, BINPUT, LONG_BINPUT, GET, BINGET, LONG_BINGET) so that
 * STACK_GLOBAL's module and name are known even when they come from the memo.
 * Imports found before a structural problem are still reported: a loader
 * would have run them before failing.
 *
 * @example
 * walkPickle(new TextEncoder().encode('cos\nsystem\n(S\'id\'\ntR.'), 0).imports
 * // [{ module: 'os', name: 'system' }]
 */
export function walkPickle(bytes: Uint8Array, start: number): PickleWalk {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const stack: StackItem[] = []
  const memo = new Map<number, StackItem>()
  const imports: { module: string; name: string }[] = []
  let unresolved = 0
  let extensions = 0
  let pos = start

  const need = (n: number): number => {
    if (n < 0 || pos + n > bytes.length)
      throw new Malformed(`argument runs past the end at byte ${pos}`, true)
    const at = pos
    pos += n
    return at
  }
  const line = (): string => {
    const nl = bytes.indexOf(0x0a, pos)
    if (nl < 0) throw new Malformed(`unterminated line argument at byte ${pos}`, true)
    const text = decoder.decode(bytes.subarray(pos, nl))
    pos = nl + 1
    return text
  }
  const u8 = (): number => view.getUint8(need(1))
  const u32 = (): number => view.getUint32(need(4), true)
  const i32 = (): number => view.getInt32(need(4), true)
  const u64 = (): number => {
    const value = view.getBigUint64(need(8), true)
    if (value > BigInt(bytes.length))
      throw new Malformed(`length ${value} runs past the end at byte ${pos - 8}`)
    return Number(value)
  }
  // Text files start with letters that are also opcodes; a numeric argument
  // that neither CPython loader reads as a number tells them apart from
  // protocol 0 pickles. Anything either loader accepts must be accepted here,
  // or the walk would stop where a loader carries on.
  const notNumber = (value: string): Malformed =>
    new Malformed(
      `numeric argument ${JSON.stringify(value.slice(0, 40))} is not a number at byte ${pos}`,
    )
  const numberLine = (accepts: (value: string) => boolean): void => {
    const value = line()
    if (!accepts(value)) throw notNumber(value)
    push(OTHER)
  }
  const memoKey = (): number => {
    const value = line()
    const key = pickleMemoKey(value)
    if (key === undefined) throw notNumber(value)
    if (key < 0n) throw new Malformed(`negative memo key at byte ${pos}`)
    // A key past 2^53 cannot be told apart from its neighbours as a number.
    return key > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(key)
  }
  let frameEnd = -1
  let frameMismatch: string | undefined
  const mismatch = (message: string): void => {
    frameMismatch ??= message
  }
  const text = (n: number): string => decoder.decode(bytes.subarray(need(n), pos))
  const skip = (n: number): void => {
    need(n)
  }
  const push = (item: StackItem): void => {
    stack.push(item)
  }
  const pop = (): StackItem => {
    const item = stack.pop()
    if (item === undefined) throw new Malformed(`stack underflow at byte ${pos - 1}`)
    return item
  }
  const popMark = (): StackItem[] => {
    const at = stack.lastIndexOf(MARK)
    if (at < 0) throw new Malformed(`no MARK on the stack at byte ${pos - 1}`)
    return stack.splice(at)
  }
  const top = (): StackItem => {
    const item = stack[stack.length - 1]
    if (item === undefined) throw new Malformed(`empty stack at byte ${pos - 1}`)
    return item
  }
  const get = (key: number): void => {
    const item = memo.get(key)
    if (item === undefined)
      throw new Malformed(`memo key ${key} read before it was written at byte ${pos}`)
    push(item)
  }
  const global = (module: string, name: string): void => {
    imports.push({ module, name })
    push({ t: 'global', module, name })
  }

  try {
    for (;;) {
      if (frameEnd >= 0 && pos >= frameEnd) {
        if (pos > frameEnd) mismatch(`an opcode runs past the end of its frame at byte ${frameEnd}`)
        frameEnd = -1
      }
      if (pos >= bytes.length) throw new Malformed('pickle ends without STOP', true)
      const op = bytes[pos++] as number
      switch (op) {
        case 0x2e: // STOP
          return {
            end: pos,
            complete: true,
            imports,
            unresolved,
            extensions,
            ...(frameMismatch ? { frameMismatch } : {}),
          }
        case 0x28: // MARK
          push(MARK)
          break
        case 0x30: // POP
          pop()
          break
        case 0x31: // POP_MARK
          popMark()
          break
        case 0x32: // DUP
          push(top())
          break
        case 0x46: // FLOAT
          numberLine(isPickleFloat)
          break
        case 0x49: // INT
          numberLine((v) => pickleInt(v) !== undefined)
          break
        case 0x4c: // LONG
          numberLine((v) => pickleLong(v) !== undefined)
          break
        case 0x4a: // BININT
          skip(4)
          push(OTHER)
          break
        case 0x4b: // BININT1
          skip(1)
          push(OTHER)
          break
        case 0x4d: // BININT2
          skip(2)
          push(OTHER)
          break
        case 0x47: // BINFLOAT
          skip(8)
          push(OTHER)
          break
        case 0x4e: // NONE
        case 0x88: // NEWTRUE
        case 0x89: // NEWFALSE
        case 0x7d: // EMPTY_DICT
        case 0x5d: // EMPTY_LIST
        case 0x29: // EMPTY_TUPLE
        case 0x8f: // EMPTY_SET
        case 0x97: // NEXT_BUFFER
          push(OTHER)
          break
        case 0x8a: // LONG1
          skip(u8())
          push(OTHER)
          break
        case 0x8b: // LONG4
          skip(i32())
          push(OTHER)
          break
        case 0x50: // PERSID
          line()
          push(OTHER)
          break
        case 0x51: // BINPERSID
          pop()
          push(OTHER)
          break
        case 0x52: // REDUCE
          pop()
          pop()
          push(OTHER)
          break
        case 0x53: // STRING: a quoted repr, its escapes decoded as codecs.escape_decode does
          push({ t: 'str', v: escapeDecode(unquote(line())) })
          break
        case 0x54: // BINSTRING
          push({ t: 'str', v: latin1.decode(bytes.subarray(need(i32()), pos)) })
          break
        case 0x55: // SHORT_BINSTRING
          push({ t: 'str', v: latin1.decode(bytes.subarray(need(u8()), pos)) })
          break
        case 0x56: // UNICODE (raw-unicode-escape)
          push({ t: 'str', v: rawUnicodeDecode(line()) })
          break
        case 0x58: // BINUNICODE
          push({ t: 'str', v: text(u32()) })
          break
        case 0x8c: // SHORT_BINUNICODE
          push({ t: 'str', v: text(u8()) })
          break
        case 0x8d: // BINUNICODE8
          push({ t: 'str', v: text(u64()) })
          break
        case 0x42: // BINBYTES
          skip(u32())
          push(OTHER)
          break
        case 0x43: // SHORT_BINBYTES
          skip(u8())
          push(OTHER)
          break
        case 0x8e: // BINBYTES8
        case 0x96: // BYTEARRAY8
          skip(u64())
          push(OTHER)
          break
        case 0x61: // APPEND
        case 0x62: // BUILD
          pop()
          break
        case 0x73: // SETITEM
          pop()
          pop()
          break
        case 0x65: // APPENDS
        case 0x75: // SETITEMS
        case 0x90: // ADDITEMS
          popMark()
          break
        case 0x64: // DICT
        case 0x6c: // LIST
        case 0x74: // TUPLE
        case 0x91: // FROZENSET
        case 0x6f: // OBJ
          popMark()
          push(OTHER)
          break
        case 0x63: {
          // GLOBAL
          const module = line()
          global(module, line())
          break
        }
        case 0x69: {
          // INST
          const module = line()
          const name = line()
          popMark()
          imports.push({ module, name })
          push(OTHER)
          break
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = pop()
          const module = pop()
          if (module.t === 'str' && name.t === 'str') global(module.v, name.v)
          else {
            unresolved++
            push(OTHER)
          }
          break
        }
        case 0x82: // EXT1
        case 0x83: // EXT2
        case 0x84: // EXT4
          skip(op === 0x82 ? 1 : op === 0x83 ? 2 : 4)
          extensions++
          push(OTHER)
          break
        case 0x67: // GET
          get(memoKey())
          break
        case 0x68: // BINGET
          get(u8())
          break
        case 0x6a: // LONG_BINGET
          get(u32())
          break
        case 0x70: // PUT
          memo.set(memoKey(), top())
          break
        case 0x71: // BINPUT
          memo.set(u8(), top())
          break
        case 0x72: // LONG_BINPUT
          memo.set(u32(), top())
          break
        case 0x94: // MEMOIZE
          memo.set(memo.size, top())
          break
        case 0x80: {
          // PROTO
          const protocol = u8()
          if (protocol > 5) throw new Malformed(`unknown pickle protocol ${protocol}`)
          break
        }
        case 0x95: {
          // FRAME
          if (frameEnd >= 0 && pos - 1 < frameEnd)
            mismatch(`a FRAME at byte ${pos - 1} starts before the frame ending at ${frameEnd}`)
          const length = u64()
          frameEnd = pos + length
          break
        }
        case 0x81: // NEWOBJ
          pop()
          pop()
          push(OTHER)
          break
        case 0x92: // NEWOBJ_EX
          pop()
          pop()
          pop()
          push(OTHER)
          break
        case 0x85: // TUPLE1
          pop()
          push(OTHER)
          break
        case 0x86: // TUPLE2
          pop()
          pop()
          push(OTHER)
          break
        case 0x87: // TUPLE3
          pop()
          pop()
          pop()
          push(OTHER)
          break
        case 0x98: // READONLY_BUFFER
          pop()
          push(OTHER)
          break
        default:
          throw new Malformed(
            `unknown opcode 0x${op.toString(16).padStart(2, '0')} at byte ${pos - 1}`,
          )
      }
    }
  } catch (error) {
    const problem = error instanceof Malformed ? error.message : `unreadable: ${String(error)}`
    const atEnd = error instanceof Malformed && error.atEnd
    return {
      end: pos,
      complete: false,
      imports,
      unresolved,
      extensions,
      problem,
      atEnd,
      ...(frameMismatch ? { frameMismatch } : {}),
    }
  }
}

function unquote(text: string): string {
  const quote = text[0]
  if ((quote === "'" || quote === '"') && text.endsWith(quote) && text.length >= 2) {
    return text.slice(1, -1)
  }
  throw new Malformed(`STRING argument ${JSON.stringify(text.slice(0, 40))} is not quoted`)
}

/** `codecs.escape_decode`: so `'o\x73'` names the module `os`, as the loader sees it. */
function escapeDecode(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|[\s\S])/g, (whole, esc: string) => {
    if (esc.startsWith('x') && esc.length === 3)
      return String.fromCharCode(Number.parseInt(esc.slice(1), 16))
    if (/^[0-7]/.test(esc)) return String.fromCharCode(Number.parseInt(esc, 8) & 0xff)
    return Object.hasOwn(SIMPLE_ESCAPES, esc) ? (SIMPLE_ESCAPES[esc] as string) : whole
  })
}

/** The raw-unicode-escape codec: only `\uXXXX` and `\UXXXXXXXX` are escapes. */
function rawUnicodeDecode(text: string): string {
  return text.replace(
    /\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g,
    (whole, u?: string, big?: string) => {
      const code = Number.parseInt((u ?? big) as string, 16)
      return code <= 0x10ffff ? String.fromCodePoint(code) : whole
    },
  )
}

/**
 * True when bytes at `start` open a binary pickle (PROTO 2-5).
 *
 * @example hasPickleMagic(Uint8Array.of(0x80, 0x04, 0x95)) // true
 */
export function hasPickleMagic(bytes: Uint8Array, start = 0): boolean {
  return bytes[start] === 0x80 && (bytes[start + 1] ?? 0) >= 2 && (bytes[start + 1] ?? 0) <= 5
}

/**
 * Whether bytes with no pickle magic still walk as a protocol 0/1 pickle:
 * to STOP, or far enough to import a plausible global.
 *
 * @example sniffsAsPickle(new TextEncoder().encode('cos\nsystem\n')) // true
 */
export function sniffsAsPickle(bytes: Uint8Array): boolean {
  const walk = walkPickle(bytes, 0)
  const identifier = /^[A-Za-z_][\w.]*$/
  return (
    walk.complete || walk.imports.some((i) => identifier.test(i.module) && identifier.test(i.name))
  )
}

export interface PickleScan {
  imports: PickleImport[]
  findings: Finding[]
  /** Pickles walked, in order. */
  pickles: PickleWalk[]
}

/**
 * Scans a pickle stream, turning imports into findings. With `toEnd`, every
 * pickle up to the last byte is walked (loaders that call pickle.load until
 * EOF run them all) and bytes after the last STOP that do not walk as a
 * pickle are `scan/pickle-trailing-bytes`; with `maxPickles`, that many are
 * walked and the rest is data (legacy torch files: five pickles, then raw
 * storages). A problem in the first pickle fails closed.
 *
 * @example
 * const { findings } = scanPickleBytes(bytes, { file: 'model.bin', toEnd: true })
 */
export function scanPickleBytes(
  bytes: Uint8Array,
  options: {
    file: string
    entry?: string
    start?: number
    maxPickles?: number
    toEnd?: boolean
    allowGlobals?: ReadonlySet<string>
  },
): PickleScan {
  const { file, entry } = options
  const where = entry ? `${entry}: ` : ''
  const findings: Finding[] = []
  const imports: PickleImport[] = []
  const pickles: PickleWalk[] = []
  let pos = options.start ?? 0
  const max = options.toEnd ? Number.POSITIVE_INFINITY : (options.maxPickles ?? 1)
  for (let n = 0; n < max && pos < bytes.length; n++) {
    const walk = walkPickle(bytes, pos)
    pickles.push(walk)
    for (const { module, name } of walk.imports) {
      const allowed = isAllowedGlobal(module, name, options.allowGlobals)
      imports.push({ module, name, allowed, ...(entry ? { entry } : {}) })
      if (allowed) continue
      const dangerous = isDangerousGlobal(module, name)
      findings.push(
        makeFinding(
          file,
          dangerous ? 'scan/pickle-dangerous-import' : 'scan/pickle-disallowed-import',
          `${where}pickle imports ${module}.${name}${dangerous ? ', which can run code when loaded' : ', which is not on the allowlist'}`,
        ),
      )
    }
    if (walk.unresolved > 0) {
      findings.push(
        makeFinding(
          file,
          'scan/pickle-unresolved-global',
          `${where}${plural(walk.unresolved, 'STACK_GLOBAL import')} whose module or name is computed, not a literal string`,
        ),
      )
    }
    if (walk.extensions > 0) {
      findings.push(
        makeFinding(
          file,
          'scan/pickle-extension',
          `${where}pickle imports through ${plural(walk.extensions, 'copyreg extension code')}`,
        ),
      )
    }
    if (walk.frameMismatch) {
      findings.push(
        makeFinding(file, 'scan/pickle-frame-mismatch', `${where}${walk.frameMismatch}`),
      )
    }
    if (!walk.complete) {
      if (n === 0) {
        findings.push(
          makeFinding(
            file,
            'scan/pickle-malformed',
            `${where}${walk.problem ?? 'pickle is malformed'}`,
          ),
        )
      } else if (options.toEnd) {
        findings.push(
          makeFinding(
            file,
            'scan/pickle-trailing-bytes',
            `${where}${bytes.length - pos} bytes after pickle ${n} (from byte ${pos}) are not a pickle: ${walk.problem ?? 'malformed'}`,
          ),
        )
      }
      break
    }
    pos = walk.end
  }
  return { imports, findings, pickles }
}
