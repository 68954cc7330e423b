/**
 * True when a file path from a manifest is safe to join under an item
 * folder, a cache or a bucket prefix on every platform: relative POSIX,
 * no `.`/`..`/empty segments, no `.git` segment, no backslash, no control
 * characters, no drive letters, characters or device names Windows refuses.
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
    if (isWindowsReservedName(segment)) return false
  }
  return true
}

/** Device names Windows reserves in every folder, whatever the extension or case. */
const WINDOWS_RESERVED =
  /^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(?:\.[^/]*)?$/i

/**
 * True for a path segment Windows opens as a device instead of a file:
 * `CON`, `PRN`, `AUX`, `NUL`, `COM0`–`COM9`, `LPT0`–`LPT9` (and the
 * superscript digits), with any extension and in any case.
 *
 * @example isWindowsReservedName('nul.txt') // true
 * @example isWindowsReservedName('console.log') // false
 */
export function isWindowsReservedName(segment: string): boolean {
  return WINDOWS_RESERVED.test(segment.trimEnd())
}

/**
 * The form two paths share when a file system may treat them as one: NFKC
 * normalised and fully case-folded (`ß` and `ss`, `ﬁ` and `fi`, `K` (Kelvin) and `k`).
 *
 * @example foldFilePath('Straße/ﬁle.TXT') // 'strasse/file.txt'
 */
export function foldFilePath(path: string): string {
  // toUpperCase applies the full (one-to-many) mappings such as ß -> SS that toLowerCase lacks.
  return path.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC')
}
