/**
 * A seeded pseudo-random generator for the sample hub. Only integer
 * arithmetic and additions are used, so every platform and Node version
 * produces the same bytes (Math.sin/log/exp are not guaranteed bit-exact).
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Approximately standard normal (Irwin–Hall sum of 12 uniforms). */
  normal(): number
  /** Integer in [0, n). */
  int(n: number): number
  /** One element of a non-empty array. */
  pick<T>(values: readonly T[]): T
  /** True with probability p. */
  chance(p: number): boolean
}

/**
 * 32-bit FNV-1a of a string, used to turn a seed label into a PRNG state.
 *
 * @example fnv1a('openchem-lab/dockscore-gnn') // a 32-bit unsigned integer
 */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash >>> 0
}

/**
 * A mulberry32 generator seeded from a label, so each artifact gets its own
 * stream and adding an artifact does not change the bytes of the others.
 *
 * @example
 * const rng = createRng('weights:openchem-lab/dockscore-gnn@1.0.0')
 * rng.normal() // same value on every run
 */
export function createRng(seed: string): Rng {
  let state = fnv1a(seed)
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    normal() {
      let sum = 0
      for (let i = 0; i < 12; i++) sum += next()
      return sum - 6
    },
    int(n) {
      return Math.floor(next() * n)
    },
    pick(values) {
      const value = values[Math.floor(next() * values.length)]
      if (value === undefined) throw new RangeError('pick() needs a non-empty array')
      return value
    },
    chance(p) {
      return next() < p
    },
  }
}

/**
 * Rounds to a fixed number of decimals and returns a number, so generated
 * scores print the same everywhere.
 *
 * @example round(0.123456, 3) // 0.123
 */
export function round(value: number, decimals: number): number {
  const factor = 10 ** decimals
  return Math.round(value * factor) / factor
}
