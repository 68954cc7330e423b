/**
 * Why a URL from a manifest may not become a link, or undefined when it may.
 * Only `https:` is accepted, and `mailto:` where the field names a contact;
 * `javascript:`, `data:`, `http:` and relative or protocol-relative forms are
 * refused. Checked by the validator and again by every renderer.
 *
 * @example urlProblem('https://example.org/x') // undefined
 * @example urlProblem('javascript:alert(1)') // 'uses javascript:, not https'
 */
export function urlProblem(value: string, options: { mailto?: boolean } = {}): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (/[\u0000-\u0020\u007f]/.test(value)) return 'contains spaces or control characters'
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'is not an absolute URL'
  }
  if (url.protocol === 'https:') {
    if (url.username !== '' || url.password !== '') return 'carries a user name or password'
    return url.hostname === '' ? 'has no host' : undefined
  }
  if (url.protocol === 'mailto:' && options.mailto === true) {
    return /^[^@\s]+@[^@\s]+$/.test(decodeURIComponent(url.pathname))
      ? undefined
      : 'is not an e-mail address'
  }
  return `uses ${url.protocol}, not https${options.mailto === true ? ' or mailto' : ''}`
}

/**
 * The URL when it is safe to render as a link, else undefined.
 *
 * @example safeUrl('https://example.org') // 'https://example.org'
 * @example safeUrl('javascript:alert(1)') // undefined
 */
export function safeUrl(value: unknown, options: { mailto?: boolean } = {}): string | undefined {
  return typeof value === 'string' && urlProblem(value, options) === undefined ? value : undefined
}
