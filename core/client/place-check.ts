import * as nodeFs from 'node:fs'
import { dirname, resolve } from 'node:path'
import { AgoraError, plural } from '#core/errors'
import { hashFile } from './blob-check.ts'
import type { ClientFs } from './cache.ts'
import { assertInside } from './inside.ts'

export interface PlannedFile {
  path: string
  size: number
  sha256: string
}

export interface TargetCheckOptions {
  fs?: ClientFs
  /** The cached blob of a hash, to recognise a hard link or symlink to it without hashing. */
  blobOf: (sha256: string) => string
  /** What an earlier pull placed at each path (from agora.lock): replacing those is an update, not a loss. */
  placedBefore?: readonly PlannedFile[] | undefined
}

/**
 * The files in `to` that a pull would overwrite although they hold other
 * bytes than the ones it brings and than an earlier pull left there: a
 * user's own file, or one edited since. Missing files and identical ones
 * are fine. Returns the paths, relative to `to`, sorted.
 *
 * @example await findTargetConflicts('models/tox', files, { blobOf }) // ['config.json']
 */
export async function findTargetConflicts(
  to: string,
  files: readonly PlannedFile[],
  options: TargetCheckOptions,
): Promise<string[]> {
  const fs = options.fs ?? nodeFs
  const before = new Map((options.placedBefore ?? []).map((f) => [f.path, f]))
  const conflicts: string[] = []
  for (const file of files) {
    const target = assertInside(to, file.path, `the --to path of ${file.path}`)
    const info = await fs.promises.stat(target).catch(() => undefined)
    if (!info) {
      const link = await fs.promises.lstat(target).catch(() => undefined)
      // A dangling symlink holds no bytes of anyone's: replacing it loses nothing.
      if (link && !link.isSymbolicLink()) conflicts.push(file.path)
      continue
    }
    if (!info.isFile()) {
      conflicts.push(`${file.path} (a folder)`)
      continue
    }
    const blob = await fs.promises.stat(options.blobOf(file.sha256)).catch(() => undefined)
    if (blob && blob.ino === info.ino && blob.dev === info.dev) continue
    const earlier = before.get(file.path)
    const candidates = [file, ...(earlier ? [earlier] : [])].filter((f) => f.size === info.size)
    if (candidates.length > 0) {
      const actual = await hashFile(target, fs)
      if (candidates.some((f) => f.sha256 === actual)) continue
    }
    conflicts.push(file.path)
  }
  return conflicts.sort()
}

/**
 * Throws `client/target-not-folder` when `to`, or the nearest part of it that
 * exists, is a file: the files could never be placed there, whatever --force says.
 *
 * @example await assertTargetFolder('notes.txt') // throws
 */
export async function assertTargetFolder(to: string, fs: ClientFs = nodeFs): Promise<void> {
  const target = resolve(to)
  for (let path = target; ; path = dirname(path)) {
    // A missing path, or one below a file (ENOTDIR), says nothing yet: look one level up.
    const info = await fs.promises.stat(path).catch(() => undefined)
    if (info?.isDirectory()) return
    if (info) {
      throw new AgoraError(
        'client/target-not-folder',
        path === target
          ? '--to names a file, not a folder'
          : `--to is inside ${path}, which is a file, not a folder`,
        {
          file: to,
          hint: 'give --to a folder (it is made when missing), e.g. --to ./my-model',
        },
      )
    }
    if (dirname(path) === path) return
  }
}

/**
 * Throws `client/target-exists` naming every conflicting file, or returns.
 *
 * @example assertNoConflicts('models/tox', ['config.json']) // throws
 */
export function assertNoConflicts(to: string, conflicts: readonly string[]): void {
  if (conflicts.length === 0) return
  throw new AgoraError(
    'client/target-exists',
    `${plural(conflicts.length, 'file')} already there with other content: ${conflicts.join(', ')}`,
    {
      file: to,
      hint: 'move or rename them, pull into another folder with --to, or pass --force to overwrite them',
    },
  )
}
