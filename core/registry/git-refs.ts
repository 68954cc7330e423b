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
 * A reader of files at commits that keeps every tree it parses, so many
 * lookups in one large folder (registry/owners/ at 100k items) parse that
 * folder's tree once, not once per lookup as readBlob with a filepath does.
 *
 * @example
 * const readAt = createFileReader({ fs, dir })
 * await readAt(baseOid, 'registry/owners/acme.yaml') // Uint8Array or undefined
 */
export function createFileReader(
  ctx: GitContext,
): (commit: string, path: string) => Promise<Uint8Array | undefined> {
  const trees = new Map<string, Promise<Map<string, { oid: string; type: string }>>>()
  const entriesOf = (oid: string) => {
    let tree = trees.get(oid)
    if (!tree) {
      tree = git
        .readTree({ fs: ctx.fs, dir: ctx.dir, oid, ...(ctx.cache ? { cache: ctx.cache } : {}) })
        .then(({ tree: list }) => new Map(list.map((e) => [e.path, { oid: e.oid, type: e.type }])))
      trees.set(oid, tree)
    }
    return tree
  }
  return async (commit, path) => {
    let oid = commit
    const parts = path.split('/')
    for (const [i, part] of parts.entries()) {
      const entry = (await entriesOf(oid)).get(part)
      const last = i === parts.length - 1
      if (!entry || (last ? entry.type !== 'blob' : entry.type !== 'tree')) return undefined
      oid = entry.oid
    }
    return readBlobOid(ctx, oid)
  }
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
