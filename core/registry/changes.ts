import type { FsClient } from 'isomorphic-git'
import type { Issue } from '#core/errors'
import { loadYaml } from '#core/manifest'
import { formatRef, type ItemRef } from '#core/names'
import { classifyPath, ownerFile } from './change-paths.ts'
import {
  CHANGE_RULES,
  type ChangeRuleContext,
  type LoadedDoc,
  type Side,
  stringList,
} from './change-rules.ts'
import { diffCommits, type FileChange } from './git-diff.ts'
import {
  createFileReader,
  type FileReader,
  type GitContext,
  readBlobOid,
  resolveCommit,
} from './git-refs.ts'

export { CHANGE_RULES, type ChangeRule, type ChangeRuleContext } from './change-rules.ts'
export { diffCommits, type FileChange } from './git-diff.ts'
export { withLazyPacks } from './git-pack.ts'
export { parseRefRange, type RefRange, resolveCommit, resolveRange } from './git-refs.ts'

/** The files of one item touched between base and head. */
export interface ItemChange {
  ref: ItemRef
  /** Repository-relative item folder. */
  dir: string
  /** `added` when item.yaml is new, `deleted` when it is gone, `modified` otherwise. */
  status: 'added' | 'modified' | 'deleted'
  added: string[]
  modified: string[]
  deleted: string[]
  /** Versions whose `versions/<v>.yaml` is new. */
  addedVersions: string[]
}

/** An owner file (registry/owners/<ns>.yaml) touched between base and head. */
export interface OwnerChange {
  ns: string
  file: string
  status: 'added' | 'modified' | 'deleted'
}

/** Who may change something, before and after. */
export interface OwnershipChange {
  file: string
  /** The item (`datasets/acme/tox21`) or namespace (`acme`) whose rights change. */
  subject: string
  field: 'owners' | 'members' | 'github' | 'type'
  before: string[]
  after: string[]
}

/** Everything a pull request changes, sorted into what the rules and reviewers care about. */
export interface ChangeSet {
  /** Commit ids compared. */
  base: string
  head: string
  files: FileChange[]
  items: ItemChange[]
  owners: OwnerChange[]
  /** Namespaces with no owner file in base. */
  newNamespaces: string[]
  ownershipChanges: OwnershipChange[]
  /** Registry files outside items and owners: agora.yaml, schemas, READMEs. */
  hubFiles: string[]
  /** Files outside `registry/` (workflows, site, code). */
  outsideRegistry: string[]
  /**
   * The krew-style "straightforward version bump": every change adds a
   * version file to an item that already exists (item.yaml may change its
   * `dist-tags` only). Says nothing about who made it; see the issues.
   */
  onlyAddsVersions: boolean
}

export interface CheckChangesOptions {
  fs: FsClient
  /** Work tree of the hub repository. */
  dir: string
  /** Base ref or commit (the target branch). */
  base: string
  /** Head ref or commit (the proposed change). */
  head: string
  /** GitHub login of the change's author; without it ownership is not judged. */
  author?: string
  /** Shared isomorphic-git cache, when the caller reads the repository too. */
  cache?: object
}

/**
 * Compares two commits of a hub repository and applies the change rules:
 * released versions stay immutable but for `status`, nothing is deleted, the
 * author owns what they change (judged against base ownership), and new
 * namespaces and ownership changes are flagged for a human. Throws an
 * AgoraError only when it cannot run (unknown ref, not a repository).
 * On a large packed repository pass `withLazyPacks(fs)` as `fs`, so reading
 * a few objects does not first parse the whole pack index.
 *
 * @example
 * const { issues, changes } = await checkChanges({ fs, dir: root, base: 'origin/main', head: 'HEAD', author: 'octocat' })
 * if (changes.onlyAddsVersions && !hasErrors(issues)) enableAutoMerge()
 */
export async function checkChanges(
  options: CheckChangesOptions,
): Promise<{ issues: Issue[]; changes: ChangeSet }> {
  const git: GitContext = { fs: options.fs, dir: options.dir, cache: options.cache ?? {} }
  const [base, head] = await Promise.all([
    resolveCommit(git, options.base),
    resolveCommit(git, options.head),
  ])
  const files = await diffCommits(git, base, head)
  const plan = planChangeSet(base, head, files)
  const readFileAt = createFileReader(git)
  const read = createDocReader(git, { base, head }, files, readFileAt)
  await describeChanges(plan.changes, read)
  const commits: Record<Side, string> = { base, head }
  const ctx: ChangeRuleContext = {
    changes: plan.changes,
    misplaced: plan.misplaced,
    read,
    list: (side, dir) => readFileAt.list(commits[side], dir),
    ...(options.author === undefined ? {} : { author: options.author }),
  }
  const issues: Issue[] = []
  for (const rule of CHANGE_RULES) await rule(ctx, issues)
  return { issues, changes: plan.changes }
}

/**
 * Sorts changed files into items, owners, hub files and files outside the
 * registry, without reading any content.
 *
 * @example
 * planChangeSet(base, head, [{ path: 'README.md', status: 'modified' }]).changes.outsideRegistry
 * // ['README.md']
 */
export function planChangeSet(
  base: string,
  head: string,
  files: FileChange[],
): { changes: ChangeSet; misplaced: { change: FileChange; reason: string }[] } {
  const items = new Map<string, ItemChange>()
  const changes: ChangeSet = {
    base,
    head,
    files,
    items: [],
    owners: [],
    newNamespaces: [],
    ownershipChanges: [],
    hubFiles: [],
    outsideRegistry: [],
    onlyAddsVersions: false,
  }
  const misplaced: { change: FileChange; reason: string }[] = []
  for (const change of files) {
    const where = classifyPath(change.path)
    switch (where.area) {
      case 'outside':
        changes.outsideRegistry.push(change.path)
        break
      case 'hub':
        changes.hubFiles.push(change.path)
        break
      case 'misplaced':
        misplaced.push({ change, reason: where.reason })
        break
      case 'owner':
        changes.owners.push({ ns: where.ns, file: change.path, status: change.status })
        break
      case 'item': {
        let item = items.get(where.dir)
        if (!item) {
          item = {
            ref: where.ref,
            dir: where.dir,
            status: 'modified',
            added: [],
            modified: [],
            deleted: [],
            addedVersions: [],
          }
          items.set(where.dir, item)
        }
        item[change.status].push(change.path)
        if (where.rest === 'item.yaml' && change.status !== 'modified') item.status = change.status
        if (where.version !== undefined && change.status === 'added') {
          item.addedVersions.push(where.version)
        }
        break
      }
    }
  }
  changes.items = [...items.values()]
  return { changes, misplaced }
}

/** Fills the parts of a change set that need file contents: namespaces, ownership, bump shape. */
async function describeChanges(changes: ChangeSet, read: ChangeRuleContext['read']): Promise<void> {
  const namespaces = new Set<string>()
  for (const owner of changes.owners) if (owner.status === 'added') namespaces.add(owner.ns)
  for (const item of changes.items) namespaces.add(item.ref.ns)
  for (const ns of [...namespaces].sort()) {
    if (!(await read('base', ownerFile(ns)))) changes.newNamespaces.push(ns)
  }

  for (const item of changes.items) {
    const file = `${item.dir}/item.yaml`
    if (!item.modified.includes(file)) continue
    const [before, after] = await Promise.all([read('base', file), read('head', file)])
    const was = stringList(field(before, 'owners'))
    const now = stringList(field(after, 'owners'))
    if (!sameSet(was, now)) {
      changes.ownershipChanges.push({
        file,
        subject: formatRef(item.ref),
        field: 'owners',
        before: was,
        after: now,
      })
    }
  }
  for (const owner of changes.owners) {
    if (owner.status !== 'modified') continue
    const [before, after] = await Promise.all([read('base', owner.file), read('head', owner.file)])
    for (const name of ['type', 'github', 'members'] as const) {
      const was = stringList(field(before, name))
      const now = stringList(field(after, name))
      if (!sameSet(was, now)) {
        changes.ownershipChanges.push({
          file: owner.file,
          subject: owner.ns,
          field: name,
          before: was,
          after: now,
        })
      }
    }
  }
  changes.onlyAddsVersions = await isVersionBump(changes, read)
}

async function isVersionBump(
  changes: ChangeSet,
  read: ChangeRuleContext['read'],
): Promise<boolean> {
  if (
    changes.items.length === 0 ||
    changes.owners.length > 0 ||
    changes.hubFiles.length > 0 ||
    changes.outsideRegistry.length > 0 ||
    changes.files.some((f) => classifyPath(f.path).area === 'misplaced')
  ) {
    return false
  }
  for (const item of changes.items) {
    if (item.status !== 'modified' || item.deleted.length > 0) return false
    if (item.addedVersions.length === 0 || item.added.length !== item.addedVersions.length)
      return false
    const itemFile = `${item.dir}/item.yaml`
    const before = await read('base', itemFile)
    if (!before?.value) return false
    for (const path of item.modified) {
      if (path !== itemFile) return false
      const after = await read('head', itemFile)
      if (!after?.value || !equalExcept(before.value, after.value, 'dist-tags')) return false
    }
  }
  return true
}

function field(doc: LoadedDoc | undefined, name: string): unknown {
  const value = doc?.value
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)[name]
    : undefined
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a.map((s) => s.toLowerCase()))
  const y = new Set(b.map((s) => s.toLowerCase()))
  return x.size === y.size && [...x].every((s) => y.has(s))
}

function equalExcept(a: unknown, b: unknown, key: string): boolean {
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object') return false
  const strip = (v: object) => {
    const { [key]: _ignored, ...rest } = v as Record<string, unknown>
    return rest
  }
  return JSON.stringify(sortKeys(strip(a))) === JSON.stringify(sortKeys(strip(b)))
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    )
  }
  return value
}

/**
 * Reads and parses YAML documents at either commit, once each. Changed files
 * are read by blob id straight from the diff; others (owner files the change
 * does not touch) by path.
 */
function createDocReader(
  git: GitContext,
  commits: Record<Side, string>,
  files: readonly FileChange[],
  readFileAt: FileReader,
): ChangeRuleContext['read'] {
  const byPath = new Map(files.map((f) => [f.path, f]))
  const cache = new Map<string, Promise<LoadedDoc | undefined>>()
  return (side, path) => {
    const key = `${side}:${path}`
    let doc = cache.get(key)
    if (!doc) {
      doc = (async () => {
        const change = byPath.get(path)
        const oid = change ? (side === 'base' ? change.baseOid : change.headOid) : undefined
        let bytes: Uint8Array | undefined
        if (change && oid === undefined) bytes = undefined
        else if (oid !== undefined) bytes = await readBlobOid(git, oid)
        else bytes = await readFileAt(commits[side], path)
        if (bytes === undefined) return undefined
        const loaded = loadYaml(bytes, path)
        return { value: loaded.value, issues: loaded.issues, locate: loaded.locate }
      })()
      cache.set(key, doc)
    }
    return doc
  }
}
