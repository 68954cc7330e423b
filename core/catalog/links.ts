import { safeUrl } from '#core/manifest'

/**
 * Every href the site renders from manifest data passes through here, so a
 * `javascript:` contact or a `data:` homepage never becomes a live link,
 * whatever the Content-Security-Policy would have stopped. An unsafe value
 * gives undefined and the page shows it as plain text.
 */

/** A GitHub login: letters, digits and single hyphens, 39 characters at most. */
const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/

/** A bare e-mail address, as a contact may be written. */
const EMAIL = /^[^@\s:/]+@[^@\s:/]+$/

/**
 * The href of a web link from a manifest (homepage, paper, code, docs,
 * licence link, result source, payment link, file URL): https only.
 *
 * @example linkHref('https://example.org') // 'https://example.org'
 * @example linkHref('javascript:alert(1)') // undefined
 */
export function linkHref(value: unknown): string | undefined {
  return safeUrl(value)
}

/**
 * The href of a contact: an https page, a `mailto:` link, or a bare e-mail
 * address turned into one.
 *
 * @example contactHref('sales@acme.example') // 'mailto:sales@acme.example'
 * @example contactHref('javascript:alert(1)') // undefined
 */
export function contactHref(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const candidate = EMAIL.test(value) ? `mailto:${value}` : value
  return safeUrl(candidate, { mailto: true })
}

/**
 * A GitHub profile link for a login, or undefined when it is not a login.
 *
 * @example githubHref('octocat') // 'https://github.com/octocat'
 * @example githubHref('../evil') // undefined
 */
export function githubHref(login: unknown): string | undefined {
  if (typeof login !== 'string' || !GITHUB_LOGIN.test(login)) return undefined
  return safeUrl(`https://github.com/${login}`)
}

/**
 * Where an item's licence is explained: the SPDX page of an SPDX id, or the
 * item's own `license_link` for `other` (https only).
 *
 * @example licenseHref({ license: 'MIT' }) // 'https://spdx.org/licenses/MIT.html'
 */
export function licenseHref(item: { license?: string; license_link?: string }): string | undefined {
  if (item.license === 'other') return linkHref(item.license_link)
  if (typeof item.license !== 'string' || !/^[A-Za-z0-9.+-]+$/.test(item.license)) return undefined
  return `https://spdx.org/licenses/${item.license}.html`
}

/**
 * Named links (`links:` of an item or owner) that may be rendered, in order;
 * unsafe ones come back with no href so a page can show them as text.
 *
 * @example namedLinks({ homepage: 'https://a.example', paper: 'javascript:x' })
 * // [{ label: 'homepage', text: 'https://a.example', href: 'https://a.example' }, { label: 'paper', text: 'javascript:x' }]
 */
export function namedLinks(
  links: Record<string, unknown> | undefined,
): { label: string; text: string; href?: string }[] {
  return Object.entries(links ?? {})
    .filter(([, url]) => typeof url === 'string')
    .map(([label, url]) => {
      const href = linkHref(url)
      return href ? { label, text: String(url), href } : { label, text: String(url) }
    })
}
