import { link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sha256 } from './__fixtures__/test-hub.ts'
import { assertNoConflicts, assertTargetFolder, findTargetConflicts } from './place-check.ts'

describe('core/client/place-check', () => {
  let work: string
  let to: string
  const bytes = 'the bytes'
  const file = { path: 'a/model.bin', size: bytes.length, sha256: sha256(bytes) }
  const blobOf = (sha: string) => join(work, 'blobs', sha)
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'agora-place-'))
    to = join(work, 'out')
    await mkdir(join(work, 'blobs'), { recursive: true })
    await writeFile(blobOf(file.sha256), bytes)
    await mkdir(join(to, 'a'), { recursive: true })
  })
  afterEach(async () => {
    await rm(work, { recursive: true, force: true })
  })

  it('accepts a missing file, a hard link or symlink to the blob, and a dangling symlink', async () => {
    expect(await findTargetConflicts(to, [file], { blobOf })).toEqual([])
    await link(blobOf(file.sha256), join(to, file.path))
    expect(await findTargetConflicts(to, [file], { blobOf })).toEqual([])
    await rm(join(to, file.path))
    await symlink(blobOf(file.sha256), join(to, file.path))
    expect(await findTargetConflicts(to, [file], { blobOf })).toEqual([])
    await rm(join(to, file.path))
    await symlink(join(work, 'gone'), join(to, file.path))
    expect(await findTargetConflicts(to, [file], { blobOf })).toEqual([])
  })

  it('flags a symlink to someone else’s file with other bytes', async () => {
    await writeFile(join(work, 'theirs'), 'the BYTES')
    await symlink(join(work, 'theirs'), join(to, file.path))
    expect(await findTargetConflicts(to, [file], { blobOf })).toEqual(['a/model.bin'])
  })

  it('accepts what the lock says an earlier pull placed there', async () => {
    await writeFile(join(to, file.path), 'old bytes')
    const placedBefore = [{ path: file.path, size: 9, sha256: sha256('old bytes') }]
    expect(await findTargetConflicts(to, [file], { blobOf, placedBefore })).toEqual([])
    await writeFile(join(to, file.path), 'OLD bytes')
    expect(await findTargetConflicts(to, [file], { blobOf, placedBefore })).toEqual(['a/model.bin'])
  })

  it('refuses a path that would leave the folder', async () => {
    await expect(
      findTargetConflicts(to, [{ ...file, path: '../escape' }], { blobOf }),
    ).rejects.toMatchObject({ code: 'client/unsafe-path' })
  })

  it('says nothing when there is no conflict, and names them all when there are', () => {
    expect(() => assertNoConflicts(to, [])).not.toThrow()
    expect(() => assertNoConflicts(to, ['a', 'b (a folder)'])).toThrow(
      expect.objectContaining({
        code: 'client/target-exists',
        file: to,
        message: '2 files already there with other content: a, b (a folder)',
      }),
    )
  })

  it('accepts a folder, or a path yet to be made, as --to, and refuses a file', async () => {
    await expect(assertTargetFolder(to)).resolves.toBeUndefined()
    await expect(assertTargetFolder(join(to, 'new/deeper'))).resolves.toBeUndefined()
    const notes = join(to, 'notes.txt')
    await writeFile(notes, 'mine')
    await expect(assertTargetFolder(notes)).rejects.toMatchObject({
      code: 'client/target-not-folder',
      file: notes,
      message: '--to names a file, not a folder',
      hint: 'give --to a folder (it is made when missing), e.g. --to ./my-model',
    })
    await expect(assertTargetFolder(join(notes, 'sub'))).rejects.toMatchObject({
      code: 'client/target-not-folder',
      message: `--to is inside ${notes}, which is a file, not a folder`,
    })
  })
})
