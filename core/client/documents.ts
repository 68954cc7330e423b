// Single semver functions: the package's index loads all 48 of its files on every start.
import semverClean from 'semver/functions/clean.js'
import semverValid from 'semver/functions/valid.js'
import semverValidRange from 'semver/ranges/valid.js'
import { SHA256_PATTERN } from '#core/blobs'
import { AgoraError } from '#core/errors'
import type { IndexItem } from '#core/index-format'
import { foldFilePath, isSafeFilePath, isValidName, KINDS, type Kind } from '#core/names'

/** dist-tag names, as registry/schemas/item.schema.json allows them. */
const TAG_PATTERN = /^[a-z][a-z0-9._-]{0,31}$/

/**
 * True for a version as the registry writes them: valid, already-clean semver
 * (`1.2.0`, `2.0.0-rc.1`), never `../..` or `1.0.0/x`.
 *
 * @example isValidVersion('1.2.0') // true
 * @example isValidVersion('../../..') // false
 */
export function isValidVersion(version: unknown): version is string {
  return (
    typeof version === 'string' &&
    version.length <= 128 &&
    semverValid(version) !== null &&
    semverClean(version) === version
  )
}

/**
 * True for a dist-tag name the registry accepts (`latest`, `beta`).
 *
 * @example isValidTag('latest') // true
 */
export function isValidTag(tag: unknown): tag is string {
  return typeof tag === 'string' && TAG_PATTERN.test(tag)
}

/**
 * True for a kind this client knows.
 *
 * @example isKnownKind('dataset') // true
 */
export function isKnownKind(kind: unknown): kind is Kind {
  return typeof kind === 'string' && (KINDS as readonly string[]).includes(kind)
}

/**
 * True for an `ns/name` id in the registry's alphabet.
 *
 * @example isValidId('acme/tox-gnn') // true
 */
export function isValidId(id: unknown): id is string {
  if (typeof id !== 'string') return false
  const parts = id.split('/')
  return parts.length === 2 && parts.every(isValidName)
}

function invalid(where: string, what: string): AgoraError {
  return new AgoraError('client/invalid-document', `${where}: ${what}`, {
    file: where,
    hint: 'the index, manifest or agora.lock breaks the registry rules; it may be hostile. Do not use it until the hub (or whoever edited the lock) fixes it',
  })
}

/**
 * Checks a file list: every path safe to join under a folder
 * (isSafeFilePath), no duplicates (case-folded), sizes whole and hashes SHA-256.
 *
 * @example checkFileList('agora.lock', [{ path: 'model.onnx', size: 1, sha256: 'ab…' }])
 */
export function checkFileList(where: string, files: unknown): void {
  if (!Array.isArray(files)) throw invalid(where, 'files is not a list')
  const seen = new Set<string>()
  for (const file of files as { path?: unknown; size?: unknown; sha256?: unknown }[]) {
    if (typeof file !== 'object' || file === null)
      throw invalid(where, 'a file entry is not an object')
    if (typeof file.path !== 'string' || !isSafeFilePath(file.path)) {
      throw new AgoraError(
        'client/unsafe-path',
        `${where}: file "${String(file.path)}" has an unsafe path`,
        { hint: 'the index is damaged or hostile; refusing to write it. Report it to the hub' },
      )
    }
    const clash = pathClash(seen, file.path)
    if (clash) throw invalid(where, `file "${file.path}" ${clash}`)
    if (
      !Number.isSafeInteger(file.size) ||
      (file.size as number) < 0 ||
      typeof file.sha256 !== 'string' ||
      !SHA256_PATTERN.test(file.sha256)
    ) {
      throw new AgoraError(
        'client/bad-file-entry',
        `${where}: file "${file.path}" has no valid size and sha256`,
        {
          hint: 'the index is damaged; report it to the hub',
        },
      )
    }
  }
}

/**
 * Records `path` in `seen` and says how it clashes with a path seen before,
 * as a file system that ignores case or Unicode normalisation (macOS,
 * Windows) would see them: the same file twice (`café` in NFC and NFD,
 * `Model.bin` and `model.bin`, `straße` and `STRASSE`), or a file where
 * another path needs a folder (`a` and `A/b`). Either way one write would
 * land on another's file. Returns undefined when there is no clash.
 *
 * @example pathClash(new Set(['model.bin']), 'MODEL.bin') // 'is listed twice'
 */
export function pathClash(seen: Set<string>, path: string): string | undefined {
  const folded = foldFilePath(path)
  const parts = folded.split('/')
  const folders = parts.slice(0, -1).map((_, i) => `${parts.slice(0, i + 1).join('/')}/`)
  let clash: string | undefined
  if (seen.has(folded)) clash = 'is listed twice'
  else if (seen.has(`${folded}/`) || folders.some((folder) => seen.has(folder.slice(0, -1))))
    clash = 'is both a file and a folder'
  seen.add(folded)
  for (const folder of folders) seen.add(folder)
  return clash
}

/**
 * Checks an index entry before any of its strings reaches a path or URL:
 * a known kind, an id in the registry alphabet, dist-tags and versions that
 * follow the registry's rules, and safe file lists. Throws
 * `client/unknown-kind` or `client/invalid-document`.
 *
 * @example checkIndexItem(openDocument<IndexItem>(text, { file: url, publicKey }), url)
 */
export function checkIndexItem(entry: IndexItem, where: string): IndexItem {
  if (!isKnownKind(entry.kind)) {
    throw new AgoraError('client/unknown-kind', `${where}: unknown kind "${String(entry.kind)}"`, {
      file: where,
      hint: `this agora knows ${KINDS.join(', ')}; upgrade agora, or report the index to the hub`,
    })
  }
  if (!isValidId(entry.id)) throw invalid(where, `"${String(entry.id)}" is not an ns/name id`)
  const tags = entry['dist-tags']
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags))
    throw invalid(where, 'dist-tags is not an object')
  const versions = entry.versions
  if (typeof versions !== 'object' || versions === null || Array.isArray(versions))
    throw invalid(where, 'versions is not an object')
  for (const [tag, version] of Object.entries(tags)) {
    if (!isValidTag(tag)) throw invalid(where, `"${tag}" is not a dist-tag name`)
    if (!isValidVersion(version))
      throw invalid(where, `dist-tag ${tag} points at "${String(version)}", not a version`)
  }
  for (const [version, body] of Object.entries(versions)) {
    if (!isValidVersion(version)) throw invalid(where, `"${version}" is not a version`)
    if (typeof body !== 'object' || body === null)
      throw invalid(where, `version ${version} is not an object`)
    checkFileList(`${where} (${version})`, body.files)
  }
  if (entry.kind === 'collection') checkMembers(where, entry.members)
  else if (entry.members !== undefined) throw invalid(where, `a ${entry.kind} has no members`)
  return entry
}

/** More members than any curated list needs; a bound on what one document can make a pull do. */
const MAX_MEMBERS = 1000

/**
 * Checks a collection's member list with the rules for everything else from
 * the index: known kinds, ids in the registry alphabet, pins that are a
 * version, a range or a dist-tag, no member listed twice.
 *
 * @example checkMembers('entry.json', [{ kind: 'dataset', id: 'acme/tox21', version: '1.0.0' }])
 */
export function checkMembers(where: string, members: unknown): void {
  if (!Array.isArray(members) || members.length === 0)
    throw invalid(where, 'a collection lists no members')
  if (members.length > MAX_MEMBERS)
    throw invalid(where, `${members.length} members, more than ${MAX_MEMBERS}`)
  const seen = new Set<string>()
  for (const member of members as { kind?: unknown; id?: unknown; version?: unknown }[]) {
    if (typeof member !== 'object' || member === null)
      throw invalid(where, 'a member is not an object')
    if (!isKnownKind(member.kind)) {
      throw new AgoraError(
        'client/unknown-kind',
        `${where}: member ${String(member.id)} has unknown kind "${String(member.kind)}"`,
        {
          file: where,
          hint: `this agora knows ${KINDS.join(', ')}; upgrade agora, or report the index to the hub`,
        },
      )
    }
    if (!isValidId(member.id))
      throw invalid(where, `member "${String(member.id)}" is not an ns/name id`)
    if (member.version !== undefined && !isValidPin(member.version))
      throw invalid(
        where,
        `member ${member.id} is pinned to "${String(member.version)}", not a version, range or tag`,
      )
    const key = `${member.kind}/${member.id}`
    if (seen.has(key)) throw invalid(where, `member ${key} is listed twice`)
    seen.add(key)
  }
}

/**
 * True for what a collection may pin a member to: a version, a semver range
 * (`^1.2.0`, `>=1 <2`) or a dist-tag.
 *
 * @example isValidPin('^1.2.0') // true
 * @example isValidPin('../x') // false
 */
export function isValidPin(pin: unknown): pin is string {
  if (typeof pin !== 'string' || pin.length > 128) return false
  if (isValidVersion(pin) || isValidTag(pin)) return true
  return /^[0-9A-Za-z.+\-^~<>=| *x]+$/.test(pin) && semverValidRange(pin) !== null
}

/**
 * Checks one agora.lock entry (its key already parsed): a valid version,
 * an optional full commit, and a safe file list.
 *
 * @example checkLockedEntry('agora.lock: model/acme/x', { version: '1.0.0', files: [] })
 */
export function checkLockedEntry(
  where: string,
  item: { version?: unknown; commit?: unknown; files?: unknown },
): void {
  if (typeof item !== 'object' || item === null) throw invalid(where, 'the entry is not an object')
  if (!isValidVersion(item.version))
    throw invalid(where, `"${String(item.version)}" is not a version`)
  if (
    item.commit !== undefined &&
    (typeof item.commit !== 'string' || !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(item.commit))
  )
    throw invalid(where, `"${String(item.commit)}" is not a commit hash`)
  checkFileList(where, item.files)
}

/**
 * Checks one agora.lock collection entry: a list of members, each the lock
 * key of a non-collection item and the version it resolved to.
 *
 * @example checkLockedCollection('agora.lock: collection/acme/kit', { members: [{ item: 'model/acme/x', version: '1.0.0' }] })
 */
export function checkLockedCollection(where: string, entry: { members?: unknown }): void {
  if (typeof entry !== 'object' || entry === null)
    throw invalid(where, 'the entry is not an object')
  if (!Array.isArray(entry.members) || entry.members.length > MAX_MEMBERS)
    throw invalid(where, 'members is not a list')
  for (const member of entry.members as { item?: unknown; version?: unknown }[]) {
    if (typeof member !== 'object' || member === null)
      throw invalid(where, 'a member is not an object')
    const [kind, ns, name, ...rest] = typeof member.item === 'string' ? member.item.split('/') : []
    if (
      !isKnownKind(kind) ||
      kind === 'collection' ||
      rest.length > 0 ||
      !isValidId(`${ns}/${name}`)
    )
      throw invalid(where, `member "${String(member.item)}" is not a kind/ns/name key`)
    if (!isValidVersion(member.version))
      throw invalid(
        where,
        `member ${member.item} is locked at "${String(member.version)}", not a version`,
      )
  }
}
