import * as nodeFs from 'node:fs'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
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
  // `..foo` is a name inside; only `..` itself or `../…` climbs out.
  if (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)) return target
  throw new AgoraError('client/unsafe-path', `${what} would leave ${base}: ${path}`, {
    hint: 'the hub or lockfile sent a path that escapes its folder; do not use this hub until its operator fixes it',
  })
}

/**
 * Checks that no folder between `root` and `path` (and, when `self` is
 * set, `path` itself) is a symbolic link, so a link planted in the cache or
 * in `--to` before a pull (`to/weights -> ~/.ssh`) cannot carry a write
 * outside the folder that assertInside checked lexically. Parts that do not
 * exist yet are fine: they will be created as real folders. Throws
 * `client/unsafe-path`.
 *
 * @example await assertNoLinkInside('/work/to', '/work/to/weights/model.bin')
 */
export async function assertNoLinkInside(
  root: string,
  path: string,
  options: { fs?: Pick<typeof nodeFs, 'promises'>; what?: string; self?: boolean } = {},
): Promise<void> {
  const fs = options.fs ?? nodeFs
  const base = resolve(root)
  const target = assertInside(base, path, options.what)
  const parts = relative(base, target).split(sep).filter(Boolean)
  if (!options.self) parts.pop()
  let current = base
  for (const part of parts) {
    current = join(current, part)
    const info = await fs.promises.lstat(current).catch(() => undefined)
    if (!info) return
    if (info.isSymbolicLink()) {
      throw new AgoraError(
        'client/unsafe-path',
        `${options.what ?? 'a path'} would pass through the symbolic link ${current}`,
        {
          file: current,
          hint: 'a link inside the cache or the --to folder could carry the write elsewhere; remove the link (or pull into another folder) and pull again',
        },
      )
    }
  }
}
