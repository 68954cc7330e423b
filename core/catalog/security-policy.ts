import { createHash } from 'node:crypto'

/**
 * The site's one security policy. astro.config.mjs turns it into the
 * `<meta http-equiv="content-security-policy">` every page carries; the
 * local server (`npm start`) sends it as real HTTP headers; the build writes
 * it to `dist/_headers` for static hosts (Netlify, Cloudflare Pages); the
 * nginx snippet in docs/site.md gives the same. A meta policy cannot say
 * `frame-ancestors` and cannot carry the other headers, hence the headers.
 */
export interface SecurityPolicyOptions {
  /** Origins (besides the site) that serve blobs: images and Range reads come from there. */
  blobOrigins?: readonly string[]
  /** Inline scripts the pages carry (the theme script); allowed by their SHA-256. */
  inlineScripts?: readonly string[]
}

/** Script sources besides hashes: the site's own files, and Pagefind's WebAssembly. */
export const SCRIPT_SOURCES = ["'self'", "'wasm-unsafe-eval'"] as const

/** Style sources: the site's own stylesheets only. */
export const STYLE_SOURCES = ["'self'"] as const

/**
 * The directives both forms share (no script-src and style-src, which Astro
 * writes itself from SCRIPT_SOURCES, STYLE_SOURCES and the hashes).
 *
 * @example cspDirectives({ blobOrigins: ['https://blobs.example.org'] })
 */
export function cspDirectives(options: SecurityPolicyOptions = {}): string[] {
  const blobs = (options.blobOrigins ?? []).join(' ')
  return [
    "default-src 'self'",
    `img-src 'self' https: ${blobs}`.trim(),
    `connect-src 'self' ${blobs}`.trim(),
    "font-src 'self'",
    // The Parquet preview decodes in a worker from the site's own files.
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "manifest-src 'self'",
  ]
}

/**
 * `sha256-…` of each inline script, as CSP writes a hash.
 *
 * @example scriptHashes(['alert(1)']) // ['sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=']
 */
export function scriptHashes(scripts: readonly string[]): `sha256-${string}`[] {
  return scripts.map(
    (s) => `sha256-${createHash('sha256').update(s).digest('base64')}` as `sha256-${string}`,
  )
}

/**
 * The policy as an HTTP header value: the shared directives, script and
 * style sources with the inline scripts' hashes, and `frame-ancestors
 * 'none'`, which only a header can say.
 *
 * @example contentSecurityPolicy() // "default-src 'self'; … frame-ancestors 'none'"
 */
export function contentSecurityPolicy(options: SecurityPolicyOptions = {}): string {
  const hashes = scriptHashes(options.inlineScripts ?? []).map((h) => `'${h}'`)
  return [
    ...cspDirectives(options),
    ['script-src', ...SCRIPT_SOURCES, ...hashes].join(' '),
    ['style-src', ...STYLE_SOURCES].join(' '),
    "frame-ancestors 'none'",
  ].join('; ')
}

/**
 * Every header the site is served with.
 *
 * @example securityHeaders()['x-frame-options'] // 'DENY'
 */
export function securityHeaders(options: SecurityPolicyOptions = {}): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(options),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'x-frame-options': 'DENY',
  }
}

/** Header names as static hosts and nginx print them. */
const DISPLAY_NAMES: Record<string, string> = {
  'content-security-policy': 'Content-Security-Policy',
  'x-content-type-options': 'X-Content-Type-Options',
  'referrer-policy': 'Referrer-Policy',
  'x-frame-options': 'X-Frame-Options',
}

/**
 * The headers as a `_headers` file (Netlify and Cloudflare Pages syntax),
 * applied to every path.
 *
 * @example headersFile(securityHeaders()) // '/*\n  Content-Security-Policy: …\n'
 */
export function headersFile(headers: Record<string, string>): string {
  const lines = Object.entries(headers).map(
    ([name, value]) => `  ${DISPLAY_NAMES[name] ?? name}: ${value}`,
  )
  return `/*\n${lines.join('\n')}\n`
}

/**
 * The headers a `_headers` file gives every path (`/*`), lower-cased; the
 * local server reads what the build wrote so it serves exactly that.
 *
 * @example parseHeadersFile('/*\n  X-Frame-Options: DENY\n') // { 'x-frame-options': 'DENY' }
 */
export function parseHeadersFile(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  let applies = false
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue
    if (!/^\s/.test(line)) {
      applies = line.trim() === '/*'
      continue
    }
    const colon = line.indexOf(':')
    if (!applies || colon < 0) continue
    out[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return out
}
