import { urlProblem } from './safe-url.ts'
import type { DocumentType } from './schema-issues.ts'

/** One field of a document that holds a URL, and what it may hold. */
export interface UrlField {
  /** Field path as docs/manifest.md writes it: `links.homepage`, `files[].url`. */
  path: string
  /** A contact: `mailto:` is accepted beside https. */
  mailto?: boolean
  /** A hub setting: plain http to the loopback host is accepted, for local previews. */
  loopback?: boolean
}

/**
 * Every URL field of every document. The schemas hold each to `^https://`
 * (or mailto / loopback where said); the rules check it again with
 * urlProblem for a message that says what is wrong. A test keeps this list
 * and the schemas' `format: uri` fields equal.
 */
export const URL_FIELDS: Readonly<Record<DocumentType, readonly UrlField[]>> = {
  hub: [
    { path: 'base_url', loopback: true },
    { path: 'raw_url_template', loopback: true },
    { path: 'storage.public_url', loopback: true },
    { path: 'storage.endpoint', loopback: true },
    { path: 'payments.licence_service', loopback: true },
  ],
  owner: [
    { path: 'avatar_url' },
    { path: 'links.homepage' },
    { path: 'links.paper' },
    { path: 'links.code' },
    { path: 'links.docs' },
  ],
  item: [
    { path: 'license_link' },
    { path: 'pricing.contact', mailto: true },
    { path: 'pricing.payment_link' },
    { path: 'links.homepage' },
    { path: 'links.paper' },
    { path: 'links.code' },
    { path: 'links.docs' },
    { path: 'baselines[].source' },
  ],
  version: [{ path: 'files[].url' }],
  result: [{ path: 'source.url' }],
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * Why the value of a URL field is refused, or undefined when it is fine:
 * urlProblem, plus plain http to the loopback host where the field allows it.
 *
 * @example urlFieldProblem({ path: 'base_url', loopback: true }, 'http://localhost:4321') // undefined
 * @example urlFieldProblem({ path: 'links.homepage' }, 'javascript:alert(1)') // 'uses javascript:, not https'
 */
export function urlFieldProblem(field: UrlField, value: string): string | undefined {
  const problem = urlProblem(value, field.mailto ? { mailto: true } : {})
  if (problem === undefined || !field.loopback) return problem
  try {
    const url = new URL(value)
    if (url.protocol === 'http:' && LOOPBACK.has(url.hostname) && url.username === '')
      return undefined
  } catch {
    // urlProblem already said why.
  }
  return problem
}

/**
 * The URL field a value path of a document falls on, if any.
 *
 * @example urlFieldAt('version', ['files', 2, 'url']) // { path: 'files[].url' }
 */
export function urlFieldAt(
  type: DocumentType,
  path: readonly (string | number)[],
): UrlField | undefined {
  const written = path
    .map((seg) => (typeof seg === 'number' ? '[]' : `.${seg}`))
    .join('')
    .replace(/^\./, '')
  return URL_FIELDS[type].find((f) => f.path === written)
}

/**
 * Every URL value of a document, with its value path and field.
 *
 * @example [...urlValues('item', { links: { homepage: 'https://a.example' } })]
 * // [{ path: ['links', 'homepage'], value: 'https://a.example', field: { path: 'links.homepage' } }]
 */
export function* urlValues(
  type: DocumentType,
  doc: unknown,
): Generator<{ path: (string | number)[]; value: string; field: UrlField }> {
  for (const field of URL_FIELDS[type]) {
    const steps = field.path.split('.')
    const walk = function* (
      node: unknown,
      i: number,
      at: (string | number)[],
    ): Generator<{ path: (string | number)[]; value: string; field: UrlField }> {
      if (i === steps.length) {
        if (typeof node === 'string') yield { path: at, value: node, field }
        return
      }
      if (node === null || typeof node !== 'object' || Array.isArray(node)) return
      const step = steps[i] as string
      const name = step.endsWith('[]') ? step.slice(0, -2) : step
      const next = (node as Record<string, unknown>)[name]
      if (!step.endsWith('[]')) {
        yield* walk(next, i + 1, [...at, name])
      } else if (Array.isArray(next)) {
        for (const [k, v] of next.entries()) yield* walk(v, i + 1, [...at, name, k])
      }
    }
    yield* walk(doc, 0, [])
  }
}
