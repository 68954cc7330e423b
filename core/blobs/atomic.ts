import { randomBytes } from 'node:crypto'
import * as nodeFs from 'node:fs'
import { dirname } from 'node:path'

/**
 * Writes a file whole or not at all: into a temp file of a random name in the
 * same folder (created with O_EXCL, so two writers never share one), then
 * renamed over `path`. On failure the temp file is removed and the error
 * rethrown for the caller to name.
 *
 * @example await writeFileAtomic('dist/index/config.json', '{}')
 */
export async function writeFileAtomic(
  path: string,
  data: string,
  fs: Pick<typeof nodeFs, 'promises'> = nodeFs,
): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await fs.promises.mkdir(dirname(path), { recursive: true })
    await fs.promises.writeFile(temp, data, { flag: 'wx' })
    await fs.promises.rename(temp, path)
  } catch (error) {
    await fs.promises.rm(temp, { force: true }).catch(() => undefined)
    throw error
  }
}
