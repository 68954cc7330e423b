import * as nodeFs from 'node:fs'
import { join } from 'node:path'
import { AgoraError } from '#core/errors'
import { formatRef, type ItemRef, type ItemSpec, kindPlural, parseRef, refKey } from '#core/names'
import { checkLockedCollection } from './documents.ts'
import { assertNoLinkInside } from './inside.ts'
import {
  type LockedCollection,
  type LockedItem,
  type Lockfile,
  lockKey,
  pinCollection,
  pinItem,
  readLockfile,
} from './lockfile.ts'
import { updateLockfile } from './lockfile-update.ts'
import { type PullOptions, type PullResult, pullItem } from './pull.ts'
import { checkCollectionSpec, parseSpec, resolveCollection } from './resolve.ts'

/** What a collection pull did: one result per member, in the collection's order. */
export interface CollectionPullResult {
  ref: ItemRef
  /** The registry commit the collection was resolved at, when known. */
  commit?: string | undefined
  members: PullResult[]
  /** Bytes that came over the network, all members together. */
  downloadedBytes: number
  warnings: string[]
  /** True when agora.lock was written. */
  lockChanged: boolean
}

/**
 * Pulls every member of a collection, each pinned as the collection says (a
 * version, range or tag; its latest otherwise), and records them all in
 * agora.lock at once, with a `collections` entry listing the versions they
 * resolved to, so `--locked` and `--offline` replay the same set. A member
 * may be a collection whose members are items (one level); deeper nesting
 * and cycles are refused. With `to`, member `<kind>s/<ns>/<name>` is placed
 * in `<to>/<kind>s/<ns>/<name>/`. A member that fails fails the pull, named
 * in the error, and agora.lock is left as it was.
 *
 * @example
 * const { members } = await pullCollection('collections/curators/kit', {
 *   fetch, indexUrl: 'http://127.0.0.1:4321', cacheDir: '.agora/cache', lockFile: 'agora.lock',
 * })
 */
export async function pullCollection(
  spec: string | ItemSpec,
  options: PullOptions,
): Promise<CollectionPullResult> {
  const fs = options.fs ?? nodeFs
  const ref = checkCollectionSpec(parseSpec(spec))
  const key = lockKey(ref)
  const lock: Lockfile | undefined = options.lockFile
    ? await readLockfile(options.lockFile, fs)
    : undefined
  const locked = lock?.collections?.[key]
  if (locked) checkLockedCollection(`${options.lockFile}: ${key}`, locked)

  const warnings: string[] = []
  const warn = (message: string) => {
    warnings.push(message)
    options.onEvent?.({ type: 'warning', message })
  }
  let members: ItemSpec[]
  let commit: string | undefined
  if (options.locked || (options.offline && locked)) {
    if (!locked) {
      throw new AgoraError(
        'client/not-locked',
        `${formatRef(ref)} is not in ${options.lockFile ?? 'agora.lock'}`,
        { hint: 'pull it once without --locked to add it to the lock file' },
      )
    }
    members = locked.members.map((m) => ({ ...(parseRef(m.item) as ItemRef), version: m.version }))
    commit = locked.commit
  } else {
    const plan = await planMembers(ref, options, [], warn)
    members = plan.members
    commit = plan.commit
  }

  // Each member's pull checks links from its own folder down; the folders
  // between --to and it are checked here, for every member before any pull.
  if (options.to !== undefined) {
    for (const member of members) {
      await assertNoLinkInside(options.to, join(options.to, memberFolder(member)), {
        fs: options.fs ?? nodeFs,
        what: `the --to folder of ${formatRef(member)}`,
        self: true,
      })
    }
  }
  const results: PullResult[] = []
  const entries = new Map<string, LockedItem>()
  for (const [index, member] of members.entries()) {
    options.onEvent?.({
      type: 'member',
      collection: ref,
      ref: member,
      index,
      total: members.length,
    })
    try {
      const { result, entry } = await pullItem(member, lock, {
        ...options,
        to: options.to === undefined ? undefined : join(options.to, memberFolder(member)),
      })
      results.push(result)
      entries.set(lockKey(member), entry)
    } catch (error) {
      throw memberError(ref, member, error)
    }
  }
  for (const result of results) warnings.push(...result.warnings)

  let lockChanged = false
  if (options.lockFile && lock && !options.locked) {
    const entry: LockedCollection = {
      commit,
      members: results.map((r) => ({ item: lockKey(r.ref), version: r.version })),
    }
    lockChanged = await updateLockfile(
      options.lockFile,
      (current) => {
        for (const [item, locked] of entries) pinItem(current, item, locked)
        pinCollection(current, key, entry)
      },
      { fs, staleMs: options.lockStaleMs, signal: options.signal },
    )
  }
  return {
    ref,
    commit,
    members: results,
    downloadedBytes: results.reduce((n, r) => n + r.downloadedBytes, 0),
    warnings,
    lockChanged,
  }
}

/**
 * Where `--to` places a member: `<kind>s/<ns>/<name>`, the reference as
 * written for other kinds, so members of different kinds never share a folder.
 *
 * @example memberFolder({ kind: 'dataset', ns: 'acme', name: 'tox21' }) // 'datasets/acme/tox21'
 */
export function memberFolder(ref: ItemRef): string {
  return join(kindPlural(ref.kind), ref.ns, ref.name)
}

/**
 * The members to pull, in order: the collection's own, with a member that is
 * a collection replaced by its members (one level only). Reads documents
 * only; nothing is downloaded until the whole plan stands.
 */
async function planMembers(
  ref: ItemRef,
  options: PullOptions,
  outer: readonly ItemRef[],
  warn: (message: string) => void,
): Promise<{ members: ItemSpec[]; commit: string | undefined }> {
  const resolution = await resolveCollection(ref, options)
  for (const message of resolution.warnings) warn(message)
  const chain = [...outer, ref]
  const planned = new Map<string, ItemSpec>()
  const add = (member: ItemSpec) => {
    const key = refKey(member)
    const earlier = planned.get(key)
    if (earlier && earlier.version !== member.version) {
      throw new AgoraError(
        'client/collection-conflict',
        `${formatRef(chain[0] as ItemRef)} lists ${formatRef(member)} twice, pinned to ${earlier.version ?? 'latest'} and ${member.version ?? 'latest'}`,
        {
          hint: 'the collection and a collection it includes disagree; pull the members one by one',
        },
      )
    }
    planned.set(key, member)
  }
  for (const m of resolution.members) {
    const [ns, name] = m.id.split('/') as [string, string]
    const member: ItemSpec = {
      kind: m.kind,
      ns,
      name,
      ...(m.version === undefined ? {} : { version: m.version }),
    }
    if (member.kind !== 'collection') {
      add(member)
      continue
    }
    const path = [...chain, member].map(formatRef).join(' -> ')
    if (chain.some((c) => refKey(c) === refKey(member))) {
      throw new AgoraError('client/collection-cycle', `collections include each other: ${path}`, {
        hint: 'the hub lists a cycle of collections; report it to the hub, or pull the members one by one',
      })
    }
    if (chain.length > 1) {
      throw new AgoraError(
        'client/collection-too-deep',
        `collections nest more than one level: ${path}`,
        {
          hint: 'a collection may include collections of items, not collections of collections; pull the inner collection on its own',
        },
      )
    }
    for (const inner of (await planMembers(member, options, chain, warn)).members) add(inner)
  }
  return { members: [...planned.values()], commit: resolution.commit }
}

/** A member's failure, reworded to name the collection and the member; code, hint and cause kept. */
function memberError(collection: ItemRef, member: ItemSpec, error: unknown): AgoraError {
  const what = `${formatRef(collection)}: member ${formatRef(member)}${member.version ? `@${member.version}` : ''}`
  if (error instanceof AgoraError) {
    return new AgoraError(error.code, `${what}: ${error.message}`, {
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      ...(error.file === undefined ? {} : { file: error.file }),
      cause: error,
    })
  }
  return new AgoraError(
    'client/member-failed',
    `${what}: ${String((error as Error)?.message ?? error)}`,
    {
      hint: 'agora.lock was left as it was; fix the cause and pull the collection again',
      cause: error,
    },
  )
}
