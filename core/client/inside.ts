import { isAbsolute, relative, resolve } from 'node:path'
import { AgoraError } from '#core/errors'

/**
 * Returns `path` resolved, after checking it stays under `root` once both are
 * resolved: a string from an index, a manifest or a lockfile that names a
 * folder must never lead a write outside the cache or the `--to` folder.
 * Throws `client/unsafe-path` otherwise.
 *
 * @example assertInside('/cache', '/cache/models--a--b/blobs/ab12') // '/cache/models--a--b/blobs/ab12'
 * @example assertInside('/cache', '/cache/../home') // throws client/unsafe-path
 */
export function assertInside(root: string, path: string, what = 'a path'): string {
  const base = resolve(root)
  const target = resolve(base, path)
  const rel = relative(base, target)
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) return target
  throw new AgoraError('client/unsafe-path', `${what} would leave ${base}: ${path}`, {
    hint: 'the hub or lockfile sent a path that escapes its folder; do not use this hub until its operator fixes it',
  })
}
