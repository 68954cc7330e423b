/**
 * The numbers protocol 0 pickles carry as text, read the way CPython's two
 * unpicklers read them. The C unpickler (`_pickle`) and the Python one
 * (`pickle._Unpickler`) accept different spellings (C takes `010` as octal
 * and stops at a NUL byte; Python takes underscores and spaces in floats),
 * so an argument counts as a number when either of them accepts it: the
 * walker must never stop where a real loader would carry on.
 * Internal to core/scan; not re-exported.
 */

/** The bytes Python's `int()`/`float()` strip from both ends (Py_ISSPACE). */
const SPACE = /^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g

const DIGITS = '\\d(?:_?\\d)*'
const PY_INT_0 =
  /^([-+]?)(?:0[xX]((?:_?[0-9a-fA-F])+)|0[oO]((?:_?[0-7])+)|0[bB]((?:_?[01])+)|(0(?:_?0)*)|([1-9](?:_?\d)*))$/
const PY_INT_10 = new RegExp(`^([-+]?)(${DIGITS})$`)
const PY_FLOAT = new RegExp(
  String.raw`^[-+]?(?:(?:${DIGITS}(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:[eE][-+]?${DIGITS})?|inf|infinity|nan)$`,
  'i',
)
const C_FLOAT = /^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|inf|infinity|nan)$/i
const C_STRTOL = /^[ \t\n\v\f\r]*([-+]?)(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9]\d*))$/

/** The text before the first NUL: C reads its line buffer as a C string. */
function cString(text: string): string {
  const nul = text.indexOf('\0')
  return nul < 0 ? text : text.slice(0, nul)
}

/**
 * Python's `int(text, base)` for base 0 (prefixes, no leading zeros) or 10.
 *
 * @example pythonInt('0x1_0', 0) // 16n
 * @example pythonInt('010', 0) // undefined
 */
export function pythonInt(text: string, base: 0 | 10): bigint | undefined {
  const trimmed = text.replace(SPACE, '')
  if (base === 10) {
    const m = PY_INT_10.exec(trimmed)
    if (!m) return undefined
    const value = BigInt((m[2] as string).replaceAll('_', ''))
    return m[1] === '-' ? -value : value
  }
  const m = PY_INT_0.exec(trimmed)
  if (!m) return undefined
  const [, sign, hex, oct, bin, zero, dec] = m
  const digits = (s: string): string => s.replaceAll('_', '')
  const value =
    hex !== undefined
      ? BigInt(`0x${digits(hex)}`)
      : oct !== undefined
        ? BigInt(`0o${digits(oct)}`)
        : bin !== undefined
          ? BigInt(`0b${digits(bin)}`)
          : zero !== undefined
            ? 0n
            : BigInt(digits(dec as string))
  return sign === '-' ? -value : value
}

/** C's `strtol(s, &end, 0)` with the whole line consumed. */
function cStrtol(text: string): bigint | undefined {
  const m = C_STRTOL.exec(text)
  if (!m) return undefined
  const [, sign, hex, oct, dec] = m
  const value =
    hex !== undefined
      ? BigInt(`0x${hex}`)
      : oct !== undefined
        ? BigInt(oct.length > 1 ? `0o${oct.slice(1)}` : '0')
        : BigInt(dec as string)
  return sign === '-' ? -value : value
}

/**
 * The INT opcode's argument: `00`/`01` are booleans, then C's strtol, then int(text, 0).
 *
 * @example pickleInt('010') // 8n (the C loader reads octal)
 */
export function pickleInt(line: string): bigint | undefined {
  const c = cString(line)
  return cStrtol(c) ?? pythonInt(c, 0) ?? pythonInt(line, 0)
}

/**
 * The LONG opcode's argument, an optional trailing `L` stripped first.
 *
 * @example pickleLong('0x10L') // 16n
 */
export function pickleLong(line: string): bigint | undefined {
  const stripped = line.endsWith('L') ? line.slice(0, -1) : line
  return pythonInt(cString(stripped), 0) ?? pythonInt(stripped, 0)
}

/**
 * A GET or PUT memo key: decimal, underscores and surrounding spaces allowed.
 *
 * @example pickleMemoKey(' 1_0\r') // 10n
 */
export function pickleMemoKey(line: string): bigint | undefined {
  return pythonInt(cString(line), 10) ?? pythonInt(line, 10)
}

/**
 * Whether the FLOAT opcode's argument is a float to either loader.
 *
 * @example isPickleFloat('-Infinity') // true
 * @example isPickleFloat('1_0.5') // true (Python's float() takes underscores)
 */
export function isPickleFloat(line: string): boolean {
  return C_FLOAT.test(cString(line)) || PY_FLOAT.test(line.replace(SPACE, ''))
}
