import { constants } from 'node:fs'
import * as fsp from 'node:fs/promises'
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path'

type FsPromises = typeof import('node:fs/promises')

/**
 * The error every no-follow read raises on a symbolic link: ELOOP, as the
 * kernel reports it for O_NOFOLLOW, naming the path and why.
 *
 * @example throw symlinkRefused('registry/models/ac/acme/x/README.md')
 */
export function symlinkRefused(path: string, cause?: unknown): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(
    `${path} is a symbolic link (or lies under one); registry files are read without following links, so a link cannot publish a file from outside the registry`,
    cause === undefined ? {} : { cause },
  )
  error.code = 'ELOOP'
  error.path = path
  return error
}

/** O_NOFOLLOW refuses a link as the last component; O_NONBLOCK keeps a FIFO from hanging the open. */
export const NO_FOLLOW_READ =
  constants.O_RDONLY | constants.O_NOFOLLOW | (constants.O_NONBLOCK ?? 0)

/**
 * Reads a file without following a symbolic link at its last component
 * (O_NOFOLLOW) and refuses anything but a regular file. Callers that must
 * also refuse links higher up the path use `noFollowFs({ root })`.
 *
 * @example await readFileNoFollow('registry/models/ac/acme/x/README.md', 'utf8')
 */
export async function readFileNoFollow(path: string, encoding: BufferEncoding): Promise<string>
export async function readFileNoFollow(path: string): Promise<Buffer>
export async function readFileNoFollow(
  path: string,
  encoding?: BufferEncoding,
): Promise<string | Buffer> {
  let handle: fsp.FileHandle
  try {
    handle = await fsp.open(path, NO_FOLLOW_READ)
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ELOOP') throw symlinkRefused(path, error)
    throw error
  }
  try {
    const info = await handle.stat()
    if (!info.isFile()) {
      const error: NodeJS.ErrnoException = new Error(`${path} is not a regular file`)
      error.code = info.isDirectory() ? 'EISDIR' : 'EINVAL'
      error.path = path
      throw error
    }
    return encoding ? await handle.readFile(encoding) : await handle.readFile()
  } finally {
    await handle.close()
  }
}

/**
 * A `node:fs/promises` for reading a registry that never follows a
 * symbolic link: `readFile` opens with O_NOFOLLOW, `readdir`, `stat` and
 * `access` refuse a path that is a link, and with `root` every folder on the
 * way from the root must be the real folder (its real path is its path), so
 * a link higher up is refused too. A refused path fails with ELOOP, which
 * the registry loader reports as an error on that file. Pass it as
 * `loadRegistry(root, { fs: noFollowFs({ root }) })`.
 *
 * @example const { registry, issues } = await loadRegistry(root, { fs: noFollowFs({ root }) })
 */
export function noFollowFs(options: { root?: string; fs?: FsPromises } = {}): FsPromises {
  const base = options.fs ?? fsp
  const root = options.root === undefined ? undefined : resolve(options.root)
  const realRoot = root === undefined ? undefined : base.realpath(root)
  const checked = new Map<string, Promise<void>>()

  /** Every folder from the root down to `dir` is real: no link on the way. */
  const checkDir = (dir: string): Promise<void> => {
    if (root === undefined || realRoot === undefined) return Promise.resolve()
    const rel = relative(root, dir)
    if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel) || resolve(dir) === root)
      return Promise.resolve()
    let done = checked.get(dir)
    if (!done) {
      done = (async () => {
        const [real, top] = await Promise.all([base.realpath(dir), realRoot])
        if (real !== (rel === '' ? top : `${top}${sep}${rel}`)) throw symlinkRefused(dir)
      })()
      checked.set(dir, done)
    }
    return done
  }
  const asPath = (path: unknown): string | undefined =>
    typeof path === 'string'
      ? resolve(path)
      : path instanceof URL
        ? resolve(path.pathname)
        : undefined
  const refuseLink = async (path: string): Promise<void> => {
    await checkDir(dirname(path))
    const info = await base.lstat(path)
    if (info.isSymbolicLink()) throw symlinkRefused(path)
  }

  const readFile = (async (path: unknown, options?: unknown) => {
    const p = asPath(path)
    if (p === undefined) return (base.readFile as (...a: unknown[]) => unknown)(path, options)
    await checkDir(dirname(p))
    const encoding =
      typeof options === 'string'
        ? options
        : (options as { encoding?: string } | undefined)?.encoding
    return encoding ? readFileNoFollow(p, encoding as BufferEncoding) : readFileNoFollow(p)
  }) as FsPromises['readFile']
  const readdir = (async (path: unknown, options?: unknown) => {
    const p = asPath(path)
    if (p !== undefined) await refuseLink(p)
    return (base.readdir as (...a: unknown[]) => unknown)(path, options)
  }) as FsPromises['readdir']
  const stat = (async (path: unknown, options?: unknown) => {
    const p = asPath(path)
    if (p !== undefined) await refuseLink(p)
    return (base.stat as (...a: unknown[]) => unknown)(path, options)
  }) as FsPromises['stat']
  const access = (async (path: unknown, mode?: number) => {
    const p = asPath(path)
    if (p !== undefined) await refuseLink(p)
    return base.access(path as string, mode)
  }) as FsPromises['access']
  return { ...base, readFile, readdir, stat, access }
}
