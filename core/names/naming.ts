import type { Issue } from '#core/errors'
import { hintFor, plural } from '#core/errors'

/**
 * Names no namespace or item may take: they collide with site routes, static
 * folders, registry folders or impersonate the hub. agora.yaml
 * `reserved_names` adds to this list.
 */
export const RESERVED_NAMES: readonly string[] = [
  'about',
  'account',
  'admin',
  'agora',
  'api',
  'assets',
  'auth',
  'blobs',
  'blog',
  'collections',
  'contribute',
  'dashboard',
  'docs',
  'explore',
  'help',
  'index',
  'leaderboards',
  'login',
  'logout',
  'new',
  'null',
  'official',
  'orgs',
  'owners',
  'page',
  'pagefind',
  'pricing',
  'root',
  'schemas',
  'search',
  'settings',
  'signup',
  'sort',
  'static',
  'support',
  'system',
  'undefined',
  'users',
  'www',
]

/** Lower-case ASCII letters and digits, with `-`, `_` or `.` only between them. */
const NAME_PATTERN = /^[a-z0-9](?:[a-z0-9]|[-_.](?=[a-z0-9]))*$/

/**
 * True when a namespace or item name has the registry's shape: 2 to 64
 * characters of the lower-case id alphabet. Reserved names are the
 * registry's business; clients only need to know the name is safe to use
 * in a path or URL.
 *
 * @example isValidName('tox-gnn') // true
 * @example isValidName('..') // false
 */
export function isValidName(name: string): boolean {
  return name.length >= 2 && name.length <= 64 && NAME_PATTERN.test(name)
}

/** Look-alike sequences folded to one spelling, longest first. */
const CONFUSABLES: readonly [RegExp, string][] = [
  [/rn/g, 'm'],
  [/vv/g, 'w'],
  [/0/g, 'o'],
  [/[1i|]/g, 'l'],
  [/[-_.]+/g, '-'],
]

/**
 * The skeleton of a name: two names with the same skeleton look alike
 * (`rn`/`m`, `vv`/`w`, `0`/`o`, `1`/`i`/`l`, `-`/`_`/`.` and case).
 *
 * @example nameSkeleton('Acme_Rn0') // 'acme-mo'
 */
export function nameSkeleton(name: string): string {
  let s = name.toLowerCase()
  for (const [pattern, to] of CONFUSABLES) s = s.replace(pattern, to)
  return s
}

/**
 * Naming checks on one namespace or item name: lower-case ASCII `[a-z0-9]`
 * with `-` `_` `.` inside, 2 to 64 characters, not reserved. Confusable
 * collisions need the siblings and are checked by the registry rules.
 * Issues carry no file; callers add it.
 *
 * @example checkName('Acme', 'namespace') // [{ code: 'naming/invalid', … }]
 * @example checkName('api', 'name') // [{ code: 'naming/reserved', … }]
 */
export function checkName(
  name: string,
  what: 'namespace' | 'name',
  reserved: readonly string[] = [],
): Issue[] {
  const issues: Issue[] = []
  if (name.length < 2 || name.length > 64) {
    issues.push({
      code: 'naming/invalid',
      severity: 'error',
      message: `${what} "${name}" is ${plural(name.length, 'character')} long; it must be 2 to 64`,
      hint: hintFor('naming/invalid'),
    })
  }
  if (!NAME_PATTERN.test(name)) {
    const lower = name.toLowerCase()
    const hint =
      lower !== name && NAME_PATTERN.test(lower)
        ? `use lower case: "${lower}"`
        : hintFor('naming/invalid')
    issues.push({
      code: 'naming/invalid',
      severity: 'error',
      message: `${what} "${name}" may only hold lower-case a-z, 0-9 and -, _ or . between them`,
      hint,
    })
  }
  const folded = name.toLowerCase()
  if (RESERVED_NAMES.includes(folded) || reserved.some((r) => r.toLowerCase() === folded)) {
    issues.push({
      code: 'naming/reserved',
      severity: 'error',
      message: `${what} "${name}" is reserved`,
      hint: hintFor('naming/reserved'),
    })
  }
  return issues
}
