import { stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { AgoraError } from '#core/errors'

/**
 * The repository root a command works on: `--root` when given, otherwise the
 * nearest folder at or above `cwd` holding `registry/agora.yaml`, the way git
 * finds `.git`, so commands work from anywhere inside a hub's checkout.
 *
 * @example
 * const root = await findRepoRoot(ctx.cwd, values.root)
 */
export async function findRepoRoot(cwd: string, rootOption?: string): Promise<string> {
  if (rootOption !== undefined) {
    const root = resolve(cwd, rootOption)
    if (!(await isFile(join(root, 'registry', 'agora.yaml')))) {
      throw new AgoraError('cli/no-registry', `${root} has no registry/agora.yaml`, {
        hint: 'pass --root the folder that holds registry/ (the hub repository root)',
      })
    }
    return root
  }
  let dir = resolve(cwd)
  for (;;) {
    if (await isFile(join(dir, 'registry', 'agora.yaml'))) return dir
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  throw new AgoraError('cli/no-registry', `no registry/agora.yaml in ${resolve(cwd)} or above it`, {
    hint: 'run inside a hub repository, or pass --root DIR',
  })
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}
