const scratch = new DataView(new ArrayBuffer(4))

/**
 * IEEE 754 binary16 bits of a number, rounded to nearest-even from its
 * float32 value (as torch's `.half()` does on float32 weights). Written out
 * rather than using DataView.setFloat16 so every supported Node version
 * produces the same bytes.
 *
 * @example float16Bits(1) // 0x3c00
 */
export function float16Bits(value: number): number {
  scratch.setFloat32(0, value, true)
  const x = scratch.getUint32(0, true)
  const sign = (x >>> 16) & 0x8000
  const exp = (x >>> 23) & 0xff
  const mant = x & 0x7fffff
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0)
  const e = exp - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00
  if (e <= 0) {
    // Subnormal half: shift the implicit-one mantissa right, rounding half to even.
    if (e < -10) return sign
    const full = mant | 0x800000
    const shift = 14 - e
    let half = full >>> shift
    const rest = full & ((1 << shift) - 1)
    const halfway = 1 << (shift - 1)
    if (rest > halfway || (rest === halfway && half & 1)) half++
    return sign | half
  }
  let half = (e << 10) | (mant >>> 13)
  const rest = mant & 0x1fff
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++
  return sign | half
}
