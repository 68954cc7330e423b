import { createHash } from 'node:crypto'
import { inflateSync } from 'node:zlib'
import git, { type FsClient } from 'isomorphic-git'
import { AgoraError } from '#core/errors'

/** What every Git helper here needs: a filesystem client and the work tree, as isomorphic-git takes them. */
export interface GitContext {
  fs: FsClient
  /** The repository's work tree (the folder holding `.git`). */
  dir: string
  /** isomorphic-git's object cache; pass one object to every call of a run to parse pack indexes once. */
  cache?: object
}

/** Two commits to compare, as written on a command line. */
export interface RefRange {
  base: string
  head: string
  /** `base...head`: compare head with the merge base, as GitHub shows a pull request. */
  mergeBase: boolean
}

/**
 * Parses `BASE..HEAD` or `BASE...HEAD` (either side may be empty, meaning `HEAD`).
 * Returns undefined when the text is not a range.
 *
 * @example parseRefRange('origin/main...HEAD') // { base: 'origin/main', head: 'HEAD', mergeBase: true }
 */
export function parseRefRange(text: string): RefRange | undefined {
  const triple = text.indexOf('...')
  const double = text.indexOf('..')
  if (double === -1) return undefined
  const mergeBase = triple !== -1 && triple === double
  const base = text.slice(0, double)
  const head = text.slice(double + (mergeBase ? 3 : 2))
  if (head.includes('..') || (base === '' && head === '')) return undefined
  return { base: base || 'HEAD', head: head || 'HEAD', mergeBase }
}

const SUFFIX = /^(.*?)((?:[~^]\d*)*)$/

/**
 * Resolves a ref the way `git rev-parse` does for the common forms: branch,
 * tag, remote branch, full or abbreviated SHA, each optionally followed by
 * `~N` / `^N` steps. Annotated tags are peeled to their commit.
 *
 * @example
 * await resolveCommit({ fs, dir }, 'origin/main~1') // '3f1c…' (40 hex digits)
 */
export async function resolveCommit(ctx: GitContext, ref: string): Promise<string> {
  const { fs, dir, cache } = ctx
  const match = SUFFIX.exec(ref)
  const name = match?.[1] ?? ref
  const steps = match?.[2] ?? ''
  if (name === '') throw unknownRef(ref)
  let oid: string
  try {
    oid = await git.resolveRef({ fs, dir, ref: name })
  } catch (error) {
    if (!/^[0-9a-f]{4,40}$/i.test(name)) throw unknownRef(ref, error)
    try {
      oid = await git.expandOid({ fs, dir, oid: name.toLowerCase(), ...(cache ? { cache } : {}) })
    } catch (inner) {
      throw unknownRef(ref, inner)
    }
  }
  oid = await peelToCommit(ctx, oid, ref)
  for (const step of steps.match(/[~^]\d*/g) ?? []) {
    const count = step.length > 1 ? Number(step.slice(1)) : 1
    if (step[0] === '~') {
      for (let i = 0; i < count; i++) oid = await parentOf(ctx, oid, 0, ref)
    } else if (count > 0) {
      oid = await parentOf(ctx, oid, count - 1, ref)
    }
  }
  return oid
}

/**
 * Resolves both ends of a range to commits; for `A...B` the base becomes the
 * merge base of A and B.
 *
 * @example
 * const { base, head } = await resolveRange({ fs, dir }, parseRefRange('main...feature')!)
 */
export async function resolveRange(
  ctx: GitContext,
  range: RefRange,
): Promise<{ base: string; head: string }> {
  const [base, head] = await Promise.all([
    resolveCommit(ctx, range.base),
    resolveCommit(ctx, range.head),
  ])
  if (!range.mergeBase) return { base, head }
  const bases = await git.findMergeBase({
    fs: ctx.fs,
    dir: ctx.dir,
    oids: [base, head],
    ...(ctx.cache ? { cache: ctx.cache } : {}),
  })
  const first = bases[0]
  if (typeof first !== 'string') {
    throw new AgoraError(
      'change/no-merge-base',
      `${range.base} and ${range.head} share no history`,
      {
        hint: 'fetch the full history (fetch-depth: 0 in actions/checkout) or use BASE..HEAD',
      },
    )
  }
  return { base: first, head }
}

async function peelToCommit(ctx: GitContext, start: string, ref: string): Promise<string> {
  let oid = start
  // Tags may point at tags; a few levels is plenty and stops a hostile cycle.
  for (let depth = 0; depth < 8; depth++) {
    let object: Awaited<ReturnType<typeof git.readObject>>
    try {
      object = await git.readObject({
        fs: ctx.fs,
        dir: ctx.dir,
        oid,
        format: 'parsed',
        ...(ctx.cache ? { cache: ctx.cache } : {}),
      })
    } catch (error) {
      throw unknownRef(ref, error)
    }
    if (object.type === 'commit') return oid
    if (object.type !== 'tag') break
    oid = (object.object as { object: string }).object
  }
  throw new AgoraError('change/not-a-commit', `"${ref}" does not name a commit`, {
    hint: 'give a branch, tag or commit SHA',
  })
}

async function parentOf(ctx: GitContext, oid: string, index: number, ref: string): Promise<string> {
  const { commit } = await git.readCommit({
    fs: ctx.fs,
    dir: ctx.dir,
    oid,
    ...(ctx.cache ? { cache: ctx.cache } : {}),
  })
  const parent = commit.parent[index]
  if (!parent) {
    throw new AgoraError(
      'change/unknown-ref',
      `"${ref}" goes past the first commit ${oid.slice(0, 12)}`,
      {
        hint: 'use fewer ~ steps, or fetch more history (fetch-depth: 0 in actions/checkout)',
      },
    )
  }
  return parent
}

function unknownRef(ref: string, cause?: unknown): AgoraError {
  return new AgoraError('change/unknown-ref', `unknown Git ref "${ref}"`, {
    hint: 'check the spelling, or fetch it first (git fetch origin main); in CI check out with fetch-depth: 0',
    ...(cause === undefined ? {} : { cause }),
  })
}

/**
 * A reader of files at commits that keeps the raw trees it reads and looks
 * names up in them directly: registry/owners/ holds one entry per namespace
 * (12,500 at 100k items), and parsing that whole tree into objects on every
 * lookup, as readBlob with a filepath does, would make the cost of a change
 * grow with the registry.
 *
 * @example
 * const readAt = createFileReader({ fs, dir })
 * await readAt(baseOid, 'registry/owners/acme.yaml') // Uint8Array or undefined
 */
export function createFileReader(ctx: GitContext): FileReader {
  const trees = new Map<string, Promise<Buffer>>()
  const rootTrees = new Map<string, Promise<string>>()
  const treeOf = (oid: string) => {
    let tree = trees.get(oid)
    if (!tree) {
      tree = readRawObject(ctx, oid, 'tree')
      trees.set(oid, tree)
    }
    return tree
  }
  const rootOf = (commit: string) => {
    let root = rootTrees.get(commit)
    if (!root) {
      root = git
        .readCommit({
          fs: ctx.fs,
          dir: ctx.dir,
          oid: commit,
          ...(ctx.cache ? { cache: ctx.cache } : {}),
        })
        .then(({ commit: parsed }) => parsed.tree)
      rootTrees.set(commit, root)
    }
    return root
  }
  const reader = async (commit: string, path: string) => {
    let oid = await rootOf(commit)
    const parts = path.split('/')
    for (const [i, part] of parts.entries()) {
      const entry = findTreeEntry(await treeOf(oid), part)
      const last = i === parts.length - 1
      if (!entry || entry.isTree === last || entry.mode === '160000') return undefined
      oid = entry.oid
    }
    return readBlobOid(ctx, oid)
  }
  const list = async (commit: string, path: string) => {
    let oid = await rootOf(commit)
    for (const part of path.split('/')) {
      const entry = findTreeEntry(await treeOf(oid), part)
      if (!entry?.isTree) return []
      oid = entry.oid
    }
    return treeEntries(await treeOf(oid)).map((e) => e.name)
  }
  return Object.assign(reader, { list })
}

/** Reads a file at a commit; `list` names the entries of a folder there (none when absent). */
export interface FileReader {
  (commit: string, path: string): Promise<Uint8Array | undefined>
  list(commit: string, path: string): Promise<string[]>
}

/**
 * Finds one name in a raw Git tree (`<mode> <name>\0<20-byte id>` entries)
 * by scanning it, without building objects for the other entries.
 *
 * @example findTreeEntry(rawTree, 'acme.yaml') // { mode: '100644', oid: '…', isTree: false }
 */
export function findTreeEntry(
  tree: Buffer,
  name: string,
): { mode: string; oid: string; isTree: boolean } | undefined {
  const wanted = Buffer.from(name)
  let pos = 0
  while (pos < tree.length) {
    const space = tree.indexOf(0x20, pos)
    const nul = tree.indexOf(0, space)
    if (space === -1 || nul === -1 || nul + 21 > tree.length) return undefined
    if (
      nul - space - 1 === wanted.length &&
      tree.compare(wanted, 0, wanted.length, space + 1, nul) === 0
    ) {
      const mode = tree.toString('latin1', pos, space)
      return { mode, oid: tree.toString('hex', nul + 1, nul + 21), isTree: mode === '40000' }
    }
    pos = nul + 21
  }
  return undefined
}

/**
 * Every entry of a raw Git tree, in order.
 *
 * @example treeEntries(rawTree) // [{ name: 'item.yaml', mode: '100644', oid: '…' }, …]
 */
export function treeEntries(tree: Buffer): { name: string; mode: string; oid: string }[] {
  const out: { name: string; mode: string; oid: string }[] = []
  let pos = 0
  while (pos < tree.length) {
    const space = tree.indexOf(0x20, pos)
    const nul = tree.indexOf(0, space)
    if (space === -1 || nul === -1 || nul + 21 > tree.length) break
    out.push({
      mode: tree.toString('latin1', pos, space),
      name: tree.toString('utf8', space + 1, nul),
      oid: tree.toString('hex', nul + 1, nul + 21),
    })
    pos = nul + 21
  }
  return out
}

/**
 * The content of an object, checked against its id. Loose objects (and
 * packed ones served as loose by withLazyPacks) are inflated with Node's
 * zlib rather than isomorphic-git's JavaScript inflate, which matters for
 * trees of thousands of entries.
 *
 * @example const tree = await readRawObject({ fs, dir }, treeOid, 'tree')
 */
export async function readRawObject(ctx: GitContext, oid: string, type: string): Promise<Buffer> {
  const result = await git.readObject({
    fs: ctx.fs,
    dir: ctx.dir,
    oid,
    format: 'deflated',
    ...(ctx.cache ? { cache: ctx.cache } : {}),
  })
  const object = Buffer.from(result.object as Uint8Array)
  if (result.format === 'content') {
    if (result.type !== type)
      throw new AgoraError('change/bad-object', `object ${oid} is a ${result.type}, not a ${type}`)
    return object
  }
  const wrapped = result.format === 'deflated' ? inflateSync(object) : object
  if (createHash('sha1').update(wrapped).digest('hex') !== oid) {
    throw new AgoraError('change/bad-object', `object ${oid} does not match its id`, {
      hint: 'the repository is damaged; clone it again',
    })
  }
  const nul = wrapped.indexOf(0)
  if (wrapped.toString('latin1', 0, nul).split(' ')[0] !== type) {
    throw new AgoraError('change/bad-object', `object ${oid} is not a ${type}`)
  }
  return wrapped.subarray(nul + 1)
}

/**
 * The bytes of a blob by its oid.
 *
 * @example await readBlobOid({ fs, dir }, change.headOid)
 */
export async function readBlobOid(ctx: GitContext, oid: string): Promise<Uint8Array> {
  const { blob } = await git.readBlob({
    fs: ctx.fs,
    dir: ctx.dir,
    oid,
    ...(ctx.cache ? { cache: ctx.cache } : {}),
  })
  return blob
}
