import type { Issue } from '#core/errors'
import { formatRef, nameSkeleton, shardOf } from '#core/names'
import { ownerFile, REGISTRY_DIR } from './change-paths.ts'
import type { ChangeSet, ItemChange } from './changes.ts'
import type { FileChange } from './git-diff.ts'
import { confusableNewNameIssue, confusableNewNamespaceIssue } from './item-issues.ts'

/** Which end of the change a document is read from. */
export type Side = 'base' | 'head'

/** A parsed YAML document with a way from a value path to its line and column. */
export interface LoadedDoc {
  value: unknown
  issues: Issue[]
  locate(path: readonly (string | number)[]): { line: number; col: number }
}

/** What every change rule gets. */
export interface ChangeRuleContext {
  changes: ChangeSet
  misplaced: { change: FileChange; reason: string }[]
  /** GitHub login of the author; rules about ownership are skipped without it. */
  author?: string
  /** A YAML document at base or head, parsed once; undefined when the file is absent there. */
  read(side: Side, path: string): Promise<LoadedDoc | undefined>
  /** The entry names of a repository folder at base or head; none when it is absent. */
  list(side: Side, dir: string): Promise<string[]>
}

/** A named rule: looks at the change set and pushes what it finds. */
export type ChangeRule = (ctx: ChangeRuleContext, issues: Issue[]) => Promise<void>

/** Released version files are never edited after merge, except to yank or deprecate them. */
const MUTABLE_VERSION_FIELDS = new Set(['status'])
/** Past this many differences in one file, the rest are summed up in one issue. */
const MAX_DIFFS_PER_FILE = 10

/**
 * A released version may change only its `status` block: each other changed
 * value is an error at its line in the head file (`change/released-version-modified`).
 *
 * @example await checkReleasedVersions(ctx, issues)
 */
export async function checkReleasedVersions(
  ctx: ChangeRuleContext,
  issues: Issue[],
): Promise<void> {
  for (const item of ctx.changes.items) {
    for (const file of item.modified) {
      const version = versionOf(item, file)
      if (version === undefined) continue
      const [before, after] = await Promise.all([ctx.read('base', file), ctx.read('head', file)])
      const hint =
        'publish the change as a new version instead (agora publish); a released version may change only its status block, to yank or deprecate it with a reason'
      if (before?.value === undefined || after?.value === undefined) {
        // A file that stopped parsing changed more than its status; validation reports the syntax.
        if (after?.value === undefined) {
          issues.push({
            code: 'change/released-version-modified',
            severity: 'error',
            message: `released version ${version} of ${formatRef(item.ref)} was edited`,
            hint,
            file,
            line: 1,
            col: 1,
          })
        }
        continue
      }
      const diffs = diffValues(without(before.value), without(after.value), [])
      for (const path of diffs.slice(0, MAX_DIFFS_PER_FILE)) {
        const where = after.locate(path)
        const what = path.length === 0 ? 'the document' : formatPath(path)
        const inFiles = path[0] === 'files'
        issues.push({
          code: 'change/released-version-modified',
          severity: 'error',
          message: `${what} changed in released version ${version} of ${formatRef(item.ref)}${inFiles ? ': released files are immutable' : ''}`,
          hint,
          file,
          line: where.line,
          col: where.col,
        })
      }
      if (diffs.length > MAX_DIFFS_PER_FILE) {
        issues.push({
          code: 'change/released-version-modified',
          severity: 'error',
          message: `${diffs.length - MAX_DIFFS_PER_FILE} more values changed in released version ${version} of ${formatRef(item.ref)}`,
          hint,
          file,
          line: 1,
          col: 1,
        })
      }
    }
  }
}

/**
 * Items, versions and owners are never deleted, so pinned consumers and links
 * keep working: `change/deleted-item`, `change/deleted-version`, `change/deleted-owner`.
 *
 * @example await checkDeletions(ctx, issues)
 */
export async function checkDeletions(ctx: ChangeRuleContext, issues: Issue[]): Promise<void> {
  for (const item of ctx.changes.items) {
    if (item.status === 'deleted') {
      issues.push({
        code: 'change/deleted-item',
        severity: 'error',
        message: `item ${formatRef(item.ref)} was deleted`,
        hint: 'restore it and set status: { state: deprecated, reason: … } (or yanked) in item.yaml; a maintainer handles take-downs',
        file: `${item.dir}/item.yaml`,
        line: 1,
        col: 1,
      })
      continue
    }
    for (const file of item.deleted) {
      const version = versionOf(item, file)
      if (version === undefined) continue
      issues.push({
        code: 'change/deleted-version',
        severity: 'error',
        message: `version ${version} of ${formatRef(item.ref)} was deleted`,
        hint: 'restore the file and set status: { state: yanked, reason: … } in it instead; consumers pinned to it must keep resolving',
        file,
        line: 1,
        col: 1,
      })
    }
  }
  for (const owner of ctx.changes.owners) {
    if (owner.status !== 'deleted') continue
    issues.push({
      code: 'change/deleted-owner',
      severity: 'error',
      message: `owner ${owner.ns} was deleted`,
      hint: 'restore the owner file; namespaces are never removed so their items keep an owner (ask a maintainer to transfer them)',
      file: owner.file,
      line: 1,
      col: 1,
    })
  }
}

/**
 * The author must own what they change, judged against **base** ownership so
 * a pull request cannot grant itself rights. A new item needs the author among
 * its owners per head and, in an existing namespace, a member of that
 * namespace per base. Owner files follow the same rule (`change/author-not-authorized`).
 *
 * @example await checkAuthor({ ...ctx, author: 'octocat' }, issues)
 */
export async function checkAuthor(ctx: ChangeRuleContext, issues: Issue[]): Promise<void> {
  const author = ctx.author?.trim().toLowerCase()
  if (!author) {
    if (ctx.changes.items.length > 0 || ctx.changes.owners.length > 0) {
      issues.push({
        code: 'change/author-unchecked',
        severity: 'note',
        message: 'no author given, so ownership of the changed items was not checked',
        hint: 'pass --author <github-login> to check it as the pull-request check does',
      })
    }
    return
  }
  const hint =
    'ask an owner of the item to make this change, or to add you to the owning organisation in registry/owners/ in a separate pull request'
  const qa = await qaIdentity(ctx)
  for (const item of ctx.changes.items) {
    const itemFile = `${item.dir}/item.yaml`
    // The QA identity writes results into any item; checkVerifiedResults judges those.
    if (qa !== undefined && author === qa && onlyResults(item)) continue
    const before = await ctx.read('base', itemFile)
    const where = await itemPosition(ctx, item)
    if (before?.value !== undefined) {
      const owners = stringList(fieldOf(before.value, 'owners'))
      if (!(await anyOwnerHas(ctx, owners, author, 'base'))) {
        issues.push({
          code: 'change/author-not-authorized',
          severity: 'error',
          message: `${ctx.author} is not an owner of ${formatRef(item.ref)} (owners: ${owners.join(', ') || 'none'})`,
          hint,
          ...where,
        })
      }
      continue
    }
    const after = await ctx.read('head', itemFile)
    const owners = stringList(fieldOf(after?.value, 'owners'))
    if (!(await anyOwnerHas(ctx, owners, author, 'base-then-head'))) {
      issues.push({
        code: 'change/author-not-authorized',
        severity: 'error',
        message: `${ctx.author} is not among the owners of new item ${formatRef(item.ref)} (owners: ${owners.join(', ') || 'none'})`,
        hint: 'list your own namespace (or an organisation you belong to) in owners of item.yaml',
        ...where,
      })
      continue
    }
    // Naming an organisation one does not belong to would hand it an item it never asked for.
    const strangers: string[] = []
    for (const ns of owners) {
      if (!(await anyOwnerHas(ctx, [ns], author, 'base-then-head'))) strangers.push(ns)
    }
    if (strangers.length > 0) {
      issues.push({
        code: 'change/author-not-authorized',
        severity: 'error',
        message: `${ctx.author} names ${strangers.join(', ')} as owner of new item ${formatRef(item.ref)} without being ${strangers.length === 1 ? 'it or one of its members' : 'them or one of their members'}`,
        hint: 'list only your own namespace and organisations you are a member of; other owners are added later by their members',
        ...where,
      })
      continue
    }
    const namespace = await ctx.read('base', ownerFile(item.ref.ns))
    if (namespace?.value !== undefined && !loginsOf(namespace.value).has(author)) {
      issues.push({
        code: 'change/author-not-authorized',
        severity: 'error',
        message: `${ctx.author} may not add items to namespace ${item.ref.ns}`,
        hint: `publish under your own namespace, or ask a member of ${item.ref.ns} to add you in registry/owners/${item.ref.ns}.yaml`,
        ...where,
      })
    }
  }
  for (const owner of ctx.changes.owners) {
    const side: Side = owner.status === 'added' ? 'head' : 'base'
    const doc = await ctx.read(side, owner.file)
    if (doc?.value !== undefined && loginsOf(doc.value).has(author)) continue
    issues.push({
      code: 'change/author-not-authorized',
      severity: 'error',
      message:
        owner.status === 'added'
          ? `${ctx.author} creates namespace ${owner.ns} without being its user or a member`
          : `${ctx.author} is not ${owner.ns} or a member of it, so may not change its owner file`,
      hint:
        owner.status === 'added'
          ? 'set github: to your login (user) or list yourself in members (org)'
          : `ask a member of ${owner.ns} to make this change`,
      file: owner.file,
      ...(doc?.value === undefined ? { line: 1, col: 1 } : doc.locate([])),
    })
  }
}

/**
 * A namespace with no owner file in base needs a maintainer to check it is
 * not confusable or an impersonation (`change/new-namespace`, a warning).
 *
 * @example await checkNewNamespaces(ctx, issues)
 */
export async function checkNewNamespaces(ctx: ChangeRuleContext, issues: Issue[]): Promise<void> {
  for (const ns of ctx.changes.newNamespaces) {
    const file = ownerFile(ns)
    const added = ctx.changes.owners.some((o) => o.ns === ns && o.status === 'added')
    const firstItem = ctx.changes.items.find((i) => i.ref.ns === ns)
    issues.push({
      code: 'change/new-namespace',
      severity: 'warning',
      message: `new namespace ${ns} needs a maintainer's review before merge`,
      hint: added
        ? 'nothing to fix: a maintainer checks the name and who claims it, then merges'
        : `add registry/owners/${ns}.yaml describing who ${ns} is; a maintainer reviews new namespaces`,
      file: added || !firstItem ? file : `${firstItem.dir}/item.yaml`,
      line: 1,
      col: 1,
    })
  }
}

/**
 * Changes of who may change an item or act for a namespace wait for a human
 * (`change/ownership-changed`, a warning).
 *
 * @example await checkOwnershipChanges(ctx, issues)
 */
export async function checkOwnershipChanges(
  ctx: ChangeRuleContext,
  issues: Issue[],
): Promise<void> {
  for (const change of ctx.changes.ownershipChanges) {
    const doc = await ctx.read('head', change.file)
    const where = doc?.value === undefined ? { line: 1, col: 1 } : doc.locate([change.field])
    const list = (xs: string[]) => (xs.length ? xs.join(', ') : 'none')
    issues.push({
      code: 'change/ownership-changed',
      severity: 'warning',
      message: `${change.field} of ${change.subject} change from [${list(change.before)}] to [${list(change.after)}]; a maintainer must approve`,
      hint: 'nothing to fix: ownership changes are merged by a maintainer after review; keep them in their own pull request',
      file: change.file,
      ...where,
    })
  }
}

/**
 * Registry files that are neither items nor owners (agora.yaml, schemas)
 * shape the whole hub; they need a maintainer (`change/hub-file`, a warning).
 *
 * @example await checkHubFiles(ctx, issues)
 */
export async function checkHubFiles(ctx: ChangeRuleContext, issues: Issue[]): Promise<void> {
  for (const file of ctx.changes.hubFiles) {
    issues.push({
      code: 'change/hub-file',
      severity: 'warning',
      message: `${file} is a hub-wide file; changing it needs a maintainer`,
      hint: 'keep hub settings and schema changes in their own pull request for maintainers to review',
      file,
    })
  }
}

/**
 * Files outside `registry/` are reported on their own, as warnings: they are
 * code or workflow changes, reviewed as such, never auto-merged (`change/outside-registry`).
 *
 * @example await checkOutsideRegistry(ctx, issues)
 */
export async function checkOutsideRegistry(ctx: ChangeRuleContext, issues: Issue[]): Promise<void> {
  for (const file of ctx.changes.outsideRegistry) {
    issues.push({
      code: 'change/outside-registry',
      severity: 'warning',
      message: `${file} is outside registry/; code and workflow changes are reviewed by maintainers`,
      hint: 'send registry changes and code changes in separate pull requests',
      file,
    })
  }
}

/**
 * Files inside a kind or owners folder that cannot be a registry document
 * there (wrong depth, wrong shard) are errors (`change/misplaced-file`).
 *
 * @example await checkMisplacedFiles(ctx, issues)
 */
export async function checkMisplacedFiles(ctx: ChangeRuleContext, issues: Issue[]): Promise<void> {
  for (const { change, reason } of ctx.misplaced) {
    if (change.status === 'deleted') continue
    issues.push({
      code: 'change/misplaced-file',
      severity: 'error',
      message: `${change.path} is not where a registry document can be: ${reason}`,
      hint: 'run "agora new <kind> <namespace>/<name>" to create an item in the right place, or move the file',
      file: change.path,
    })
  }
}

/**
 * Symbolic links, submodules and executables have no place in a registry: a
 * link can make a checkout read files outside the repository, and nothing in
 * it is meant to run (`change/not-a-regular-file`). Judged by the Git mode of
 * every added or changed path, so a mode change that keeps the blob is caught.
 *
 * @example await checkSpecialFiles(ctx, issues)
 */
export async function checkSpecialFiles(ctx: ChangeRuleContext, issues: Issue[]): Promise<void> {
  for (const change of ctx.changes.files) {
    if (!change.special || !change.path.startsWith('registry/')) continue
    issues.push({
      code: 'change/not-a-regular-file',
      severity: 'error',
      message: `${change.path} is ${SPECIAL_WORDS[change.special]}, not a plain file`,
      hint:
        change.special === 'executable'
          ? 'clear the executable bit (git update-index --chmod=-x <path>); the registry holds plain files only'
          : 'commit the file itself; the registry holds plain files only',
      file: change.path,
    })
  }
}

const SPECIAL_WORDS: Record<NonNullable<FileChange['special']>, string> = {
  symlink: 'a symbolic link (mode 120000)',
  submodule: 'a submodule (mode 160000)',
  executable: 'executable (mode 100755)',
}

/**
 * `verified: true` on a result means the hub's QA workflow produced it, so
 * only the QA identity (`qa.identity` in agora.yaml, read at **base**) may
 * write it, or change, move or delete any field of a result that is
 * verified (`change/verified-by-non-qa`). An owner's own unverified results pass.
 *
 * @example await checkVerifiedResults({ ...ctx, author: 'mallory' }, issues)
 */
export async function checkVerifiedResults(ctx: ChangeRuleContext, issues: Issue[]): Promise<void> {
  const qa = await qaIdentity(ctx)
  const author = ctx.author?.trim().toLowerCase()
  if (qa !== undefined && author === qa) return
  for (const item of ctx.changes.items) {
    const touched = [...item.added, ...item.modified, ...item.deleted].filter((f) =>
      f.startsWith(`${item.dir}/results/`),
    )
    for (const file of touched.sort()) {
      const [before, after] = await Promise.all([ctx.read('base', file), ctx.read('head', file)])
      const wasVerified = fieldOf(before?.value, 'verified') === true
      const isVerified = fieldOf(after?.value, 'verified') === true
      if (!wasVerified && !isVerified) continue
      const what = !wasVerified
        ? 'marks a result verified'
        : after === undefined
          ? 'deletes a verified result'
          : 'changes a verified result'
      const where =
        after?.value === undefined
          ? { line: 1, col: 1 }
          : after.locate(isVerified ? ['verified'] : [])
      issues.push({
        code: 'change/verified-by-non-qa',
        severity: 'error',
        message: `${ctx.author ?? 'an unnamed author'} ${what} of ${formatRef(item.ref)}; only ${qa ?? 'the hub QA identity'} may`,
        hint:
          qa === undefined
            ? 'this hub sets no qa.identity in registry/agora.yaml, so no change may write verified: true; remove it'
            : `remove verified: true (or leave the verified result as it was); ${qa} writes verified results after its own evaluation run`,
        file,
        ...where,
      })
    }
  }
}

/** States only the hub's maintainers set and lift. */
const MAINTAINER_STATES = new Set(['taken-down', 'flagged'])

/**
 * An item or version a maintainer took down or flagged stays so until a
 * maintainer says otherwise: a pull request that changes that state is an
 * error (`change/maintainer-status`), whoever opens it; a maintainer merges
 * it past the check when the change is theirs.
 *
 * @example await checkMaintainerStatus(ctx, issues) // status: taken-down -> deprecated
 */
export async function checkMaintainerStatus(
  ctx: ChangeRuleContext,
  issues: Issue[],
): Promise<void> {
  for (const item of ctx.changes.items) {
    for (const file of [...item.modified].sort()) {
      const [before, after] = await Promise.all([ctx.read('base', file), ctx.read('head', file)])
      const was = fieldOf(fieldOf(before?.value, 'status'), 'state')
      const now = fieldOf(fieldOf(after?.value, 'status'), 'state')
      if (typeof was !== 'string' || !MAINTAINER_STATES.has(was) || now === was) continue
      issues.push({
        code: 'change/maintainer-status',
        severity: 'error',
        message: `${formatRef(item.ref)} is ${was} by the hub's maintainers; this change makes it ${typeof now === 'string' ? now : 'active'}`,
        hint: 'leave the status as it is; ask a maintainer in this pull request to review the take-down',
        file,
        ...(after?.value === undefined ? { line: 1, col: 1 } : after.locate(['status'])),
      })
    }
  }
}

/**
 * New namespaces and new item names may not look like ones that exist at
 * base, or like each other (`naming/confusable`); the full validation after
 * merge would only catch the later one in sort order, too late.
 *
 * @example await checkConfusableNewNames(ctx, issues) // 0penchem-lab beside openchem-lab
 */
export async function checkConfusableNewNames(
  ctx: ChangeRuleContext,
  issues: Issue[],
): Promise<void> {
  // The owners folder is listed only when a namespace is new: at scale it is the largest tree.
  const existing = (
    ctx.changes.newNamespaces.length === 0 ? [] : await ctx.list('base', `${REGISTRY_DIR}/owners`)
  )
    .filter((n) => n.endsWith('.yaml'))
    .map((n) => n.slice(0, -'.yaml'.length))
  const taken = new Map(existing.map((ns) => [nameSkeleton(ns), ns]))
  for (const ns of [...ctx.changes.newNamespaces].sort()) {
    const rival = taken.get(nameSkeleton(ns))
    if (rival !== undefined && rival !== ns) {
      const firstItem = ctx.changes.items.find((i) => i.ref.ns === ns)
      const added = ctx.changes.owners.some((o) => o.ns === ns && o.status === 'added')
      issues.push(
        confusableNewNamespaceIssue(
          ns,
          rival,
          added || !firstItem ? ownerFile(ns) : `${firstItem.dir}/item.yaml`,
        ),
      )
    } else {
      taken.set(nameSkeleton(ns), ns)
    }
  }
  const siblings = new Map<string, Map<string, string>>()
  for (const item of [...ctx.changes.items].sort((a, b) => (a.dir < b.dir ? -1 : 1))) {
    if (item.status !== 'added') continue
    const parent = `${REGISTRY_DIR}/${item.ref.kind}s/${shardOf(item.ref.ns)}/${item.ref.ns}`
    let names = siblings.get(parent)
    if (!names) {
      const listed = await ctx.list('base', parent)
      names = new Map(listed.map((n) => [nameSkeleton(n), n]))
      siblings.set(parent, names)
    }
    const rival = names.get(nameSkeleton(item.ref.name))
    if (rival !== undefined && rival !== item.ref.name) {
      issues.push(confusableNewNameIssue(item.ref, rival, `${item.dir}/item.yaml`))
    } else {
      names.set(nameSkeleton(item.ref.name), item.ref.name)
    }
  }
}

/** Every change rule, in the order their issues read best. */
export const CHANGE_RULES: readonly ChangeRule[] = [
  checkSpecialFiles,
  checkMisplacedFiles,
  checkDeletions,
  checkReleasedVersions,
  checkAuthor,
  checkVerifiedResults,
  checkMaintainerStatus,
  checkConfusableNewNames,
  checkNewNamespaces,
  checkOwnershipChanges,
  checkHubFiles,
  checkOutsideRegistry,
]

/**
 * The GitHub logins that act for an owner document, lower-cased since GitHub
 * logins are case-insensitive: a user's `github`, an org's `members`.
 *
 * @example loginsOf({ type: 'org', members: ['Alice', 'bob'] }) // Set { 'alice', 'bob' }
 */
export function loginsOf(owner: unknown): Set<string> {
  const logins = new Set<string>()
  const github = fieldOf(owner, 'github')
  if (fieldOf(owner, 'type') !== 'org' && typeof github === 'string')
    logins.add(github.toLowerCase())
  for (const member of stringList(fieldOf(owner, 'members'))) logins.add(member.toLowerCase())
  return logins
}

/**
 * The strings of a YAML value that should be a list of strings (a lone
 * string counts as a list of one); anything else is dropped.
 *
 * @example stringList(['a', 1, 'b']) // ['a', 'b']
 */
export function stringList(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

function fieldOf(value: unknown, name: string): unknown {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)[name]
    : undefined
}

async function anyOwnerHas(
  ctx: ChangeRuleContext,
  owners: readonly string[],
  author: string,
  mode: 'base' | 'base-then-head',
): Promise<boolean> {
  for (const ns of owners) {
    let doc = await ctx.read('base', ownerFile(ns))
    // A new item may name a namespace created in the same change; one that exists is judged as it was.
    if (doc?.value === undefined && mode === 'base-then-head')
      doc = await ctx.read('head', ownerFile(ns))
    if (doc?.value !== undefined && loginsOf(doc.value).has(author)) return true
  }
  return false
}

/** The hub's QA login from agora.yaml at base, lower-cased; a pull request cannot appoint itself. */
async function qaIdentity(ctx: ChangeRuleContext): Promise<string | undefined> {
  const hub = await ctx.read('base', `${REGISTRY_DIR}/agora.yaml`)
  const identity = fieldOf(fieldOf(hub?.value, 'qa'), 'identity')
  return typeof identity === 'string' && identity.trim() !== ''
    ? identity.trim().toLowerCase()
    : undefined
}

function onlyResults(item: ItemChange): boolean {
  return [...item.added, ...item.modified, ...item.deleted].every((f) =>
    f.startsWith(`${item.dir}/results/`),
  )
}

async function itemPosition(
  ctx: ChangeRuleContext,
  item: ItemChange,
): Promise<{ file: string; line: number; col: number }> {
  const itemFile = `${item.dir}/item.yaml`
  const touched = [...item.added, ...item.modified, ...item.deleted].sort()
  if (touched.includes(itemFile) && item.status !== 'deleted') {
    const doc = await ctx.read('head', itemFile)
    if (doc?.value !== undefined) return { file: itemFile, ...doc.locate(['owners']) }
  }
  return { file: touched[0] ?? itemFile, line: 1, col: 1 }
}

function versionOf(item: ItemChange, file: string): string | undefined {
  const prefix = `${item.dir}/versions/`
  if (!file.startsWith(prefix) || !file.endsWith('.yaml')) return undefined
  const name = file.slice(prefix.length, -'.yaml'.length)
  return name.includes('/') ? undefined : name
}

function without(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value
  return Object.fromEntries(Object.entries(value).filter(([k]) => !MUTABLE_VERSION_FIELDS.has(k)))
}

/** Paths at which two plain YAML values differ, deepest first found, in document order. */
function diffValues(a: unknown, b: unknown, path: (string | number)[]): (string | number)[][] {
  if (Array.isArray(a) && Array.isArray(b)) {
    const out: (string | number)[][] = []
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i >= a.length || i >= b.length) out.push([...path, i < b.length ? i : b.length - 1])
      else out.push(...diffValues(a[i], b[i], [...path, i]))
    }
    return dedupe(out)
  }
  if (isRecord(a) && isRecord(b)) {
    const out: (string | number)[][] = []
    for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
      if (!Object.hasOwn(b, key)) out.push(path)
      else if (!Object.hasOwn(a, key)) out.push([...path, key])
      else out.push(...diffValues(a[key], b[key], [...path, key]))
    }
    return dedupe(out)
  }
  return Object.is(a, b) ? [] : [path]
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function dedupe(paths: (string | number)[][]): (string | number)[][] {
  const seen = new Set<string>()
  return paths.filter((p) => {
    const key = JSON.stringify(p)
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** `files[0].sha256`, as a reader of the YAML would name it. */
function formatPath(path: readonly (string | number)[]): string {
  return path
    .map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? seg : `.${seg}`))
    .join('')
}
