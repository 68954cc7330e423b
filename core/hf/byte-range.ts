/**
 * A `Range` header against a representation of `size` bytes (RFC 9110 §14):
 * - one satisfiable range: its `[first, last]` (a suffix longer than the
 *   file, or a last past the end, is cut to the file);
 * - none satisfiable (a first at or past the end, a zero suffix, any range
 *   of an empty file): 'unsatisfiable', answered 416 `bytes *\/<size>`;
 * - several satisfiable ranges: undefined, the whole file is sent with 200
 *   (which the RFC allows instead of multipart/byteranges);
 * - not valid syntax, another unit, or a last before its first: undefined,
 *   the header is ignored.
 *
 * @example parseByteRange('bytes=-5', 3) // [0, 2]
 * @example parseByteRange('bytes=-1', 0) // 'unsatisfiable'
 */
export function parseByteRange(
  header: string,
  size: number,
): [number, number] | 'unsatisfiable' | undefined {
  const match = /^\s*bytes\s*=\s*(.*)$/i.exec(header)
  if (!match) return undefined
  const specs = (match[1] as string).split(',').map((s) => s.trim())
  // Empty list elements are allowed (`bytes=0-1, ,2-3`), but at least one spec is needed.
  const ranges: [number, number][] = []
  let valid = 0
  for (const spec of specs) {
    if (spec === '') continue
    const m = /^(\d*)-(\d*)$/.exec(spec)
    if (!m || (m[1] === '' && m[2] === '')) return undefined
    valid += 1
    const [, from, to] = m as unknown as [string, string, string]
    if (from === '') {
      const suffix = Number(to)
      if (!Number.isSafeInteger(suffix)) return undefined
      if (suffix > 0 && size > 0) ranges.push([Math.max(0, size - suffix), size - 1])
      continue
    }
    const first = Number(from)
    const last = to === '' ? Number.POSITIVE_INFINITY : Number(to)
    if (!Number.isSafeInteger(first) || (to !== '' && !Number.isSafeInteger(last))) return undefined
    if (last < first) return undefined
    if (first < size) ranges.push([first, Math.min(last, size - 1)])
  }
  if (valid === 0) return undefined
  if (ranges.length === 0) return 'unsatisfiable'
  if (ranges.length > 1) return undefined
  return ranges[0]
}
