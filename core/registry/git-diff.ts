import git from 'isomorphic-git'
import { type GitContext, readRawObject, treeEntries } from './git-refs.ts'

/** One file that differs between two commits. */
export interface FileChange {
  /** Repository-relative path with forward slashes. */
  path: string
  status: 'added' | 'modified' | 'deleted'
  /** Blob id in the base commit; absent for added files. */
  baseOid?: string
  /** Blob id in the head commit; absent for deleted files. */
  headOid?: string
  /**
   * Set when the head entry is not a plain, non-executable file: a symbolic
   * link (mode 120000), a submodule (160000) or an executable (100755).
   */
  special?: 'symlink' | 'submodule' | 'executable'
}

const SYMLINK_MODE = 0o120000
const EXECUTABLE_MODE = 0o100755

type EntryType = 'tree' | 'blob' | 'special' | 'commit'

/**
 * Lists the files that differ between two commits by walking both trees with
 * isomorphic-git and skipping every subtree whose id is equal on both sides,
 * so the work follows the size of the change, not of the repository.
 *
 * @example
 * const changes = await diffCommits({ fs, dir }, baseOid, headOid)
 * // [{ path: 'registry/models/ac/acme/x/versions/1.1.0.yaml', status: 'added', headOid: '…' }]
 */
export async function diffCommits(
  ctx: GitContext,
  base: string,
  head: string,
): Promise<FileChange[]> {
  const changes: FileChange[] = []
  // git.walk reads a folder's tree when it visits the folder, before `map`
  // can refuse it; so equal subfolders are dropped in `iterate`, from the ids
  // their parent lists, and are never visited at all. Ids are kept with their
  // modes: a file turned into a link (or made executable) keeps its blob id.
  const childOids = new Map<string, [string | undefined, string | undefined]>()
  const listChildren = async (dir: string, oid: string | undefined, side: 0 | 1) => {
    if (oid === undefined) return
    for (const entry of treeEntries(await readRawObject(ctx, oid, 'tree'))) {
      const path = dir === '.' ? entry.name : `${dir}/${entry.name}`
      const pair = childOids.get(path) ?? [undefined, undefined]
      pair[side] = `${entry.mode} ${entry.oid}`
      childOids.set(path, pair)
    }
  }
  await git.walk({
    fs: ctx.fs,
    dir: ctx.dir,
    ...(ctx.cache ? { cache: ctx.cache } : {}),
    trees: [git.TREE({ ref: base }), git.TREE({ ref: head })],
    map: async (path, [a, b]) => {
      const [aType, bType, aOid, bOid, aMode, bMode] = await Promise.all([
        a ? (a.type() as Promise<EntryType>) : undefined,
        b ? (b.type() as Promise<EntryType>) : undefined,
        a?.oid(),
        b?.oid(),
        a?.mode(),
        b?.mode(),
      ])
      if (aType === bType && aOid === bOid && aMode === bMode) return null
      const aFile = aType !== undefined && aType !== 'tree'
      const bFile = bType !== undefined && bType !== 'tree'
      let special: FileChange['special']
      if (bType === 'commit') special = 'submodule'
      else if (bFile && bMode === SYMLINK_MODE) special = 'symlink'
      else if (bFile && bMode === EXECUTABLE_MODE) special = 'executable'
      const extra = special ? { special } : {}
      if (aFile && bFile) {
        changes.push({
          path,
          status: 'modified',
          baseOid: aOid as string,
          headOid: bOid as string,
          ...extra,
        })
      } else {
        // A path that turned from file into folder (or back) is a deletion plus additions.
        if (aFile) changes.push({ path, status: 'deleted', baseOid: aOid as string })
        if (bFile) changes.push({ path, status: 'added', headOid: bOid as string, ...extra })
      }
      if (aType !== 'tree' && bType !== 'tree') return null
      await Promise.all([
        listChildren(path, aType === 'tree' ? aOid : undefined, 0),
        listChildren(path, bType === 'tree' ? bOid : undefined, 1),
      ])
      return true
    },
    iterate: (walk, children) => {
      const differing = [...children].filter((entries) => {
        const path = (entries as unknown as (string | undefined)[]).find((p) => p !== undefined)
        const pair = path === undefined ? undefined : childOids.get(path)
        return !pair || pair[0] === undefined || pair[0] !== pair[1]
      })
      return Promise.all(differing.map(walk))
    },
    reduce: async () => undefined,
  })
  return changes.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0))
}
