/**
 * True when a file path from a manifest is safe to join under an item
 * folder, a cache or a bucket prefix on every platform: relative POSIX,
 * no `.`/`..`/empty segments, no `.git` segment, no backslash, no control
 * characters, no drive letters or characters Windows refuses.
 *
 * @example isSafeFilePath('weights/model.safetensors') // true
 * @example isSafeFilePath('../../etc/passwd') // false
 */
export function isSafeFilePath(path: string): boolean {
  if (path.length === 0 || path.length > 512) return false
  if (path.startsWith('/') || path.includes('\\')) return false
  // Control characters (NUL included) and characters Windows refuses in names.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (/[\u0000-\u001f\u007f<>:"|?*]/.test(path)) return false
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return false
    if (segment.toLowerCase() === '.git') return false
    // Windows strips trailing dots and spaces, so `a.` and `a` would collide.
    if (segment.endsWith('.') || segment.endsWith(' ')) return false
  }
  return true
}
