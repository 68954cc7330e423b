import type { Dirent } from 'node:fs'
import * as nodeFs from 'node:fs/promises'
import type { Issue } from '#core/errors'
import { hintFor, type ManifestCode } from '#core/errors'
import {
  type HubConfig,
  type ItemManifest,
  loadReadme,
  loadYaml,
  MAX_MANIFEST_BYTES,
  MAX_README_BYTES,
  type OwnerManifest,
  type ReadmeDoc,
  type ResultManifest,
  type ValidateContext,
  type VersionManifest,
} from '#core/manifest'
import {
  checkName,
  type ItemRef,
  itemDir,
  KINDS,
  type Kind,
  ownerPath,
  parseKind,
  refKey,
  shardOf,
} from '#core/names'
import { validateLoaded } from '#core/schema'
import { missingReadmeIssue } from './item-issues.ts'

export type FsPromises = typeof import('node:fs/promises')

/** One item as read from its folder. */
export interface LoadedItem {
  ref: ItemRef
  /** Repository-relative folder, e.g. 'registry/loras/ac/acme/legal-7b'. */
  dir: string
  item: ItemManifest
  readme: ReadmeDoc | undefined
  /** By semver. */
  versions: Map<string, VersionManifest>
  results: { file: string; value: ResultManifest }[]
}

/** The registry as loaded: hub settings, owners by namespace, items by refKey. */
export interface Registry {
  root: string
  hub: HubConfig
  owners: Map<string, OwnerManifest>
  items: Map<string, LoadedItem>
}

export interface LoadOptions {
  fs?: FsPromises
  /** Load only these items (and the owners they name): cheap, for pull requests. */
  items?: ItemRef[]
  /** Files read at once; bounded so a million-item registry does not exhaust descriptors. */
  concurrency?: number
}

/** The folder under the repository root that holds the registry. */
export const REGISTRY_DIR = 'registry'

/**
 * Used when agora.yaml is missing or invalid, so item checks still run:
 * every kind, no domains, no licence allow-list (its issues are reported).
 */
const FALLBACK_HUB: HubConfig = {
  name: 'Agora',
  description: '',
  base_url: 'http://localhost',
  kinds: [...KINDS],
  domains: [],
  licenses: { allowed: [], allow_other: true },
  storage: { type: 'fs', path: '.agora/blobs' },
  payments: { provider: 'none', currency: 'usd', platform_fee_percent: 0 },
  keys: [],
}

/**
 * Runs `fn` over `inputs` with at most `limit` calls in flight.
 *
 * @example await mapLimit(files, 64, (f) => fs.readFile(f))
 */
export async function mapLimit<I, O>(
  inputs: readonly I[],
  limit: number,
  fn: (input: I, index: number) => Promise<O>,
): Promise<O[]> {
  const out = new Array<O>(inputs.length)
  let next = 0
  const worker = async () => {
    while (next < inputs.length) {
      const i = next++
      out[i] = await fn(inputs[i] as I, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, worker))
  return out
}

function fileIssue(
  code: ManifestCode,
  file: string,
  message: string,
  hint = hintFor(code),
  severity: Issue['severity'] = 'error',
): Issue {
  return { code, severity, message, hint, file }
}

function isMissing(err: unknown): boolean {
  return (
    (err as { code?: string } | undefined)?.code === 'ENOENT' ||
    (err as { code?: string } | undefined)?.code === 'ENOTDIR'
  )
}

interface Reader {
  fs: FsPromises
  root: string
  issues: Issue[]
  /** Paths already checked for symbolic links, and whether each is (or sits under) one. */
  linked: Map<string, Promise<boolean>>
}

/**
 * Finds the first symbolic link on a repository-relative path (each folder
 * and the file itself, by lstat), or undefined when there is none. Nothing
 * that reads the registry may follow a link: one can point anywhere on the
 * machine that builds or validates the hub.
 *
 * @example await symlinkOnPath(fs, repoRoot, 'registry/models/ac/acme/x/README.md') // undefined
 */
export async function symlinkOnPath(
  fs: Pick<FsPromises, 'lstat'>,
  root: string,
  rel: string,
): Promise<string | undefined> {
  const parts = rel.split('/')
  for (let i = 1; i <= parts.length; i++) {
    const path = parts.slice(0, i).join('/')
    const stats = await fs.lstat(`${root.replace(/\/+$/, '')}/${path}`).catch(() => undefined)
    if (stats === undefined) return undefined
    if (stats.isSymbolicLink()) return path
  }
  return undefined
}

function symlinkIssue(path: string): Issue {
  return fileIssue('registry/symlink', path, `${path} is a symbolic link`)
}

/**
 * True when `rel` or a folder above it is a symbolic link, reporting the
 * link once. Folders are remembered, so checking every item of a pull
 * request costs a few lstat calls each.
 */
function isLinked(reader: Reader, rel: string): Promise<boolean> {
  const cached = reader.linked.get(rel)
  if (cached) return cached
  const check = (async () => {
    const slash = rel.lastIndexOf('/')
    if (slash > 0 && (await isLinked(reader, rel.slice(0, slash)))) return true
    const stats = await reader.fs.lstat(`${reader.root}/${rel}`).catch(() => undefined)
    if (!stats?.isSymbolicLink()) return false
    reader.issues.push(symlinkIssue(rel))
    return true
  })()
  reader.linked.set(rel, check)
  return check
}

/**
 * Reads a text file, refusing it unparsed when it is over `cap` bytes.
 * Decoding in readFile itself spares a buffer per file, which at a million
 * files is most of the garbage. Invalid UTF-8 shows up as U+FFFD; such a
 * file is read again as bytes so the loader's strict decoder can say so.
 */
async function readOptional(
  reader: Reader,
  rel: string,
  cap: number = MAX_MANIFEST_BYTES,
): Promise<string | Uint8Array | undefined> {
  const path = `${reader.root}/${rel}`
  try {
    const text = await reader.fs.readFile(path, 'utf8')
    // UTF-8 takes at most three bytes per UTF-16 unit, so short texts need no counting.
    const size = text.length * 3 <= cap ? text.length : Buffer.byteLength(text)
    if (size > cap) {
      reader.issues.push({
        ...fileIssue('yaml/too-large', rel, `${rel} is ${size} bytes, over the limit of ${cap}`),
        line: 1,
        col: 1,
      })
      return undefined
    }
    return text.includes('\uFFFD') ? await reader.fs.readFile(path) : text
  } catch (err) {
    if (!isMissing(err)) {
      reader.issues.push(
        fileIssue('registry/unreadable', rel, `cannot read ${rel}: ${String(err)}`),
      )
    }
    return undefined
  }
}

async function listDir(reader: Reader, rel: string): Promise<Dirent[] | undefined> {
  try {
    return await reader.fs.readdir(`${reader.root}/${rel}`, { withFileTypes: true })
  } catch (err) {
    if (!isMissing(err)) {
      reader.issues.push(
        fileIssue('registry/unreadable', rel, `cannot list ${rel}: ${String(err)}`),
      )
    }
    return undefined
  }
}

function validateFile<T extends 'hub' | 'owner' | 'item' | 'version' | 'result'>(
  type: T,
  bytes: string | Uint8Array,
  file: string,
  issues: Issue[],
  context: ValidateContext,
) {
  const result = validateLoaded(type, loadYaml(bytes, file), file, context)
  issues.push(...result.issues)
  return result.value
}

/** What the walk found in one item folder before reading it. */
interface ItemListing {
  ref: ItemRef
  dir: string
  entries: Set<string>
  /** Names that are symbolic links: reported once as such, never read. */
  linked: Set<string>
  versionFiles: string[]
  resultFiles: string[]
}

async function listItem(
  reader: Reader,
  ref: ItemRef,
  dir: string,
): Promise<ItemListing | undefined> {
  const entries = await listDir(reader, dir)
  if (!entries) return undefined
  const listing: ItemListing = {
    ref,
    dir,
    entries: new Set(),
    linked: new Set(),
    versionFiles: [],
    resultFiles: [],
  }
  const tasks: Promise<void>[] = []
  const link = (e: Dirent, path: string) => {
    if (e.isSymbolicLink()) reader.issues.push(symlinkIssue(path))
    return e.isSymbolicLink()
  }
  for (const e of entries) {
    if (link(e, `${dir}/${e.name}`)) {
      listing.linked.add(e.name)
      continue
    }
    listing.entries.add(e.name)
    if (e.name === 'versions' && e.isDirectory()) {
      tasks.push(
        listDir(reader, `${dir}/versions`).then((vs) => {
          for (const v of vs ?? []) {
            const file = `${dir}/versions/${v.name}`
            if (link(v, file)) continue
            if (v.isFile() && v.name.endsWith('.yaml')) listing.versionFiles.push(v.name)
            else
              reader.issues.push(
                fileIssue(
                  'registry/unexpected-file',
                  file,
                  `${file} is not a version file`,
                  'version files are versions/<semver>.yaml',
                  'warning',
                ),
              )
          }
        }),
      )
    } else if (e.name === 'results' && e.isDirectory()) {
      tasks.push(
        listDir(reader, `${dir}/results`).then(async (nss) => {
          for (const ns of nss ?? []) {
            if (link(ns, `${dir}/results/${ns.name}`)) continue
            if (!ns.isDirectory()) {
              reader.issues.push(
                fileIssue(
                  'registry/unexpected-file',
                  `${dir}/results/${ns.name}`,
                  `results/${ns.name} is not a benchmark namespace folder`,
                  'results live in results/<bench-ns>/<bench>.yaml',
                  'warning',
                ),
              )
              continue
            }
            for (const r of (await listDir(reader, `${dir}/results/${ns.name}`)) ?? []) {
              if (link(r, `${dir}/results/${ns.name}/${r.name}`)) continue
              if (r.isFile() && r.name.endsWith('.yaml'))
                listing.resultFiles.push(`${ns.name}/${r.name}`)
              else
                reader.issues.push(
                  fileIssue(
                    'registry/unexpected-file',
                    `${dir}/results/${ns.name}/${r.name}`,
                    `results/${ns.name}/${r.name} is not a result file`,
                    'results live in results/<bench-ns>/<bench>.yaml',
                    'warning',
                  ),
                )
            }
          }
        }),
      )
    } else if (e.name !== 'item.yaml' && e.name !== 'README.md') {
      reader.issues.push(
        fileIssue(
          'registry/unexpected-file',
          `${dir}/${e.name}`,
          `${dir}/${e.name} is not part of an item`,
          hintFor('registry/unexpected-file'),
          'warning',
        ),
      )
    }
  }
  await Promise.all(tasks)
  listing.versionFiles.sort()
  listing.resultFiles.sort()
  return listing
}

async function readItem(
  reader: Reader,
  listing: ItemListing,
  hub: HubConfig | undefined,
): Promise<LoadedItem | undefined> {
  const { ref, dir } = listing
  const issues = reader.issues
  const itemFile = `${dir}/item.yaml`
  if (!listing.entries.has('item.yaml')) {
    issues.push(fileIssue('registry/missing-item', dir, `${dir} has no item.yaml`))
    return undefined
  }
  const [itemBytes, readmeBytes, versionBytes, resultBytes] = await Promise.all([
    readOptional(reader, itemFile),
    listing.entries.has('README.md')
      ? readOptional(reader, `${dir}/README.md`, MAX_README_BYTES)
      : undefined,
    Promise.all(listing.versionFiles.map((v) => readOptional(reader, `${dir}/versions/${v}`))),
    Promise.all(listing.resultFiles.map((r) => readOptional(reader, `${dir}/results/${r}`))),
  ])
  if (!itemBytes) return undefined
  const ctx: ValidateContext = hub ? { hub } : {}
  const item = validateFile('item', itemBytes, itemFile, issues, ctx)
  if (item) {
    if (item.kind !== ref.kind) {
      issues.push({
        ...fileIssue(
          'registry/kind-mismatch',
          itemFile,
          `kind "${item.kind}" does not match the folder ${dir} (kind ${ref.kind})`,
        ),
        ...lineOf(itemBytes, 'kind'),
      })
    }
    const expected = `${ref.ns}/${ref.name}`
    if (item.id !== expected) {
      issues.push({
        ...fileIssue(
          'registry/id-mismatch',
          itemFile,
          `id "${item.id}" does not match the folder ${dir}`,
          `set id: ${expected}, or move the folder`,
        ),
        ...lineOf(itemBytes, 'id'),
      })
    }
  }
  let readme: ReadmeDoc | undefined
  // An empty README reads as '', which must still be checked (and refused).
  if (readmeBytes !== undefined) {
    const loaded = loadReadme(readmeBytes, `${dir}/README.md`)
    issues.push(...loaded.issues)
    readme = loaded.value
  } else if (!listing.entries.has('README.md') && !listing.linked.has('README.md')) {
    issues.push(missingReadmeIssue(dir))
  }
  const versions = new Map<string, VersionManifest>()
  if (ref.kind === 'collection' && listing.versionFiles.length > 0) {
    issues.push(
      fileIssue(
        'version/not-allowed',
        `${dir}/versions`,
        `collection ${ref.ns}/${ref.name} has version files`,
      ),
    )
  } else {
    listing.versionFiles.forEach((name, i) => {
      const bytes = versionBytes[i]
      if (!bytes) return
      const file = `${dir}/versions/${name}`
      const version = validateFile(
        'version',
        bytes,
        file,
        issues,
        hub ? { kind: ref.kind, hub } : { kind: ref.kind },
      )
      if (!version) return
      const stem = name.slice(0, -'.yaml'.length)
      if (version.version !== stem) {
        issues.push({
          ...fileIssue(
            'version/file-name-mismatch',
            file,
            `version "${version.version}" is in ${name}`,
            `rename the file to versions/${version.version}.yaml, or fix version`,
          ),
          ...lineOf(bytes, 'version'),
        })
      }
      versions.set(version.version, version)
    })
  }
  const results: LoadedItem['results'] = []
  listing.resultFiles.forEach((name, i) => {
    const bytes = resultBytes[i]
    if (!bytes) return
    const file = `${dir}/results/${name}`
    const value = validateFile('result', bytes, file, issues, ctx)
    if (!value) return
    const [benchNs, benchFile] = name.split('/') as [string, string]
    const expected = `benchmarks/${benchNs}/${benchFile.slice(0, -'.yaml'.length)}`
    const named =
      value.benchmark.startsWith('benchmarks/') || value.benchmark.startsWith('benchmark/')
        ? value.benchmark.replace(/^benchmark\//, 'benchmarks/')
        : `benchmarks/${value.benchmark}`
    if (named !== expected) {
      issues.push({
        ...fileIssue(
          'registry/id-mismatch',
          file,
          `benchmark "${value.benchmark}" does not match the file path (${expected})`,
          `name the file results/<bench-ns>/<bench>.yaml after its benchmark`,
        ),
        ...lineOf(bytes, 'benchmark'),
      })
    }
    results.push({ file, value })
  })
  if (!item) return undefined
  return { ref, dir, item, readme, versions, results }
}

/** Position of a top-level key; cheap because it only runs when reporting a mismatch. */
function lineOf(bytes: string | Uint8Array, key: string): { line: number; col: number } {
  const loaded = loadYaml(bytes, '')
  return loaded.locate([key])
}

interface ItemTarget {
  ref: ItemRef
  dir: string
}

function unexpected(
  reader: Reader,
  path: string,
  message: string,
  hint = hintFor('registry/unexpected-file'),
): void {
  reader.issues.push(fileIssue('registry/unexpected-file', path, message, hint, 'warning'))
}

/** The kind folders under registry/, reporting anything else that sits there. */
async function kindFolders(
  reader: Reader,
  hub: HubConfig | undefined,
): Promise<{ kind: Kind; dir: string }[]> {
  const kindDirs: { kind: Kind; dir: string }[] = []
  for (const e of (await listDir(reader, REGISTRY_DIR)) ?? []) {
    if (e.isSymbolicLink()) {
      // agora.yaml and owners/ are checked where they are read.
      if (e.name !== 'agora.yaml' && e.name !== 'owners')
        reader.issues.push(symlinkIssue(`${REGISTRY_DIR}/${e.name}`))
      continue
    }
    if (['agora.yaml', 'schemas', 'owners', 'README.md'].includes(e.name)) continue
    const kind = e.isDirectory() ? parseKind(e.name) : undefined
    if (kind && e.name === `${kind}s`) {
      const dir = `${REGISTRY_DIR}/${e.name}`
      kindDirs.push({ kind, dir })
      if (hub && !hub.kinds.includes(kind)) {
        reader.issues.push(
          fileIssue(
            'registry/kind-disabled',
            dir,
            `${dir} holds ${kind}s, which this hub does not enable`,
          ),
        )
      }
    } else {
      unexpected(
        reader,
        `${REGISTRY_DIR}/${e.name}`,
        `${REGISTRY_DIR}/${e.name} is not part of the registry layout`,
      )
    }
  }
  return kindDirs
}

/**
 * Lists every item of a kind with one recursive readdir and sorts the
 * entries into item listings by depth: shard, namespace, item, its files,
 * versions and results. One call per kind instead of several per item is
 * what keeps listing a large registry close to the cost of reading it.
 */
async function listKind(reader: Reader, kind: Kind, dir: string): Promise<ItemListing[]> {
  let entries: Dirent[]
  try {
    entries = await reader.fs.readdir(`${reader.root}/${dir}`, {
      recursive: true,
      withFileTypes: true,
    })
  } catch (err) {
    reader.issues.push(fileIssue('registry/unreadable', dir, `cannot list ${dir}: ${String(err)}`))
    return []
  }
  const base = `${reader.root}/${dir}`
  const items = new Map<string, ItemListing>()
  const wrongShard = new Set<string>()
  const deferred: { parts: string[]; entry: Dirent; path: string }[] = []
  const linked: string[][] = []
  // Entries of one folder come together: split each parent path once, not once per entry.
  let lastParent = ''
  let parentParts: string[] = []
  for (const entry of entries) {
    if (entry.parentPath !== lastParent) {
      lastParent = entry.parentPath
      parentParts =
        lastParent.length > base.length ? lastParent.slice(base.length + 1).split('/') : []
    }
    const parts = parentParts.length === 0 ? [entry.name] : [...parentParts, entry.name]
    const path = `${dir}/${parts.join('/')}`
    if (entry.isSymbolicLink()) {
      // The recursive listing does not descend into links, and nothing under one is read.
      reader.issues.push(symlinkIssue(path))
      if (parts.length === 4) linked.push(parts)
      continue
    }
    if (parts.length === 1 || parts.length === 2) {
      if (!entry.isDirectory()) {
        unexpected(
          reader,
          path,
          `${path} is not a ${parts.length === 1 ? 'shard' : 'namespace'} folder`,
        )
      } else if (parts.length === 2 && shardOf(parts[1] as string) !== parts[0]) {
        const ns = parts[1] as string
        wrongShard.add(`${parts[0]}/${ns}`)
        reader.issues.push(
          fileIssue(
            'registry/wrong-shard',
            path,
            `namespace ${ns} is under shard ${parts[0]}, not ${shardOf(ns)}`,
            `move it to ${dir}/${shardOf(ns)}/${ns}`,
          ),
        )
      }
    } else if (parts.length === 3) {
      if (wrongShard.has(`${parts[0]}/${parts[1]}`)) continue
      if (!entry.isDirectory()) {
        unexpected(reader, path, `${path} is not an item folder`)
        continue
      }
      const ref: ItemRef = { kind, ns: parts[1] as string, name: parts[2] as string }
      items.set(parts.slice(0, 3).join('/'), {
        ref,
        dir: path,
        entries: new Set(),
        linked: new Set(),
        versionFiles: [],
        resultFiles: [],
      })
    } else {
      deferred.push({ parts, entry, path })
    }
  }
  for (const parts of linked) items.get(parts.slice(0, 3).join('/'))?.linked.add(parts[3] as string)
  for (const { parts, entry, path } of deferred) {
    const listing = items.get(parts.slice(0, 3).join('/'))
    if (!listing) continue
    const [, , , top, second, third] = parts
    if (parts.length === 4) {
      listing.entries.add(top as string)
      const expected =
        top === 'item.yaml' || top === 'README.md'
          ? entry.isFile()
          : (top === 'versions' || top === 'results') && entry.isDirectory()
      if (!expected) unexpected(reader, path, `${path} is not part of an item`)
    } else if (top === 'versions' && parts.length === 5) {
      if (entry.isFile() && (second as string).endsWith('.yaml'))
        listing.versionFiles.push(second as string)
      else
        unexpected(
          reader,
          path,
          `${path} is not a version file`,
          'version files are versions/<semver>.yaml',
        )
    } else if (top === 'results' && parts.length === 5) {
      if (!entry.isDirectory())
        unexpected(
          reader,
          path,
          `${path} is not a benchmark namespace folder`,
          'results live in results/<bench-ns>/<bench>.yaml',
        )
    } else if (top === 'results' && parts.length === 6) {
      if (entry.isFile() && (third as string).endsWith('.yaml'))
        listing.resultFiles.push(`${second}/${third}`)
      else
        unexpected(
          reader,
          path,
          `${path} is not a result file`,
          'results live in results/<bench-ns>/<bench>.yaml',
        )
    } else if (top === 'versions' || top === 'results') {
      unexpected(reader, path, `${path} is not part of an item`)
    }
  }
  const listings = [...items.values()].sort((a, b) => (a.dir < b.dir ? -1 : 1))
  for (const l of listings) {
    l.versionFiles.sort()
    l.resultFiles.sort()
  }
  return listings
}

async function loadOwner(
  reader: Reader,
  ns: string,
  hub: HubConfig | undefined,
): Promise<OwnerManifest | undefined> {
  const file = `${REGISTRY_DIR}/${ownerPath(ns)}`
  if (await isLinked(reader, file)) return undefined
  const bytes = await readOptional(reader, file)
  if (!bytes) return undefined
  for (const issue of checkName(ns, 'namespace', hub?.reserved_names ?? []))
    reader.issues.push({ ...issue, file })
  return validateFile('owner', bytes, file, reader.issues, {})
}

/**
 * Reads registry/ under repoRoot: agora.yaml, owners and items, each
 * document validated on its own (schema, normalisation, per-document rules)
 * and checked against the layout (shard, id, kind, version file names).
 * `items` restricts loading to those items and the owners they name, so a
 * pull request's cost does not grow with the registry. Issues name files
 * relative to repoRoot.
 *
 * @example
 * const { registry, issues } = await loadRegistry('/path/to/repo')
 * registry.items.get('lora/acme/legal-7b')?.versions.get('1.0.0')
 */
export async function loadRegistry(
  repoRoot: string,
  options: LoadOptions = {},
): Promise<{ registry: Registry; issues: Issue[] }> {
  const fs = options.fs ?? nodeFs
  const limit = options.concurrency ?? 64
  const reader: Reader = {
    fs,
    root: repoRoot.replace(/\/+$/, ''),
    issues: [],
    linked: new Map(),
  }
  const hubFile = `${REGISTRY_DIR}/agora.yaml`
  const hubBytes = (await isLinked(reader, hubFile))
    ? undefined
    : await readOptional(reader, hubFile)
  let hub: HubConfig | undefined
  if (hubBytes) hub = validateFile('hub', hubBytes, hubFile, reader.issues, {})
  else
    reader.issues.push(
      fileIssue(
        'registry/unreadable',
        hubFile,
        `${hubFile} is missing`,
        'every hub has registry/agora.yaml; copy the one from the Agora template',
      ),
    )

  let listings: ItemListing[]
  if (options.items) {
    const targets: ItemTarget[] = options.items.map((ref) => ({
      ref,
      dir: `${REGISTRY_DIR}/${itemDir(ref)}`,
    }))
    const listed = await mapLimit(targets, limit, async (t) =>
      (await isLinked(reader, t.dir)) ? undefined : listItem(reader, t.ref, t.dir),
    )
    listings = listed.filter((l): l is ItemListing => l !== undefined)
  } else if (await isLinked(reader, REGISTRY_DIR)) {
    listings = []
  } else {
    const kinds = await kindFolders(reader, hub)
    listings = (await Promise.all(kinds.map(({ kind, dir }) => listKind(reader, kind, dir)))).flat()
  }

  const items = new Map<string, LoadedItem>()
  // Each item reads several files at once, so fewer items than `limit` keep `limit` reads in flight.
  const loaded = await mapLimit(listings, Math.max(1, Math.floor(limit / 2)), (l) =>
    readItem(reader, l, hub),
  )
  for (const item of loaded) if (item) items.set(refKey(item.ref), item)

  let ownerNames: string[]
  if (options.items) {
    const named = new Set<string>()
    for (const ref of options.items) named.add(ref.ns)
    for (const item of items.values()) for (const o of item.item.owners) named.add(o)
    ownerNames = [...named].sort()
  } else {
    const ownersDir = `${REGISTRY_DIR}/owners`
    const entries = (await isLinked(reader, ownersDir))
      ? []
      : ((await listDir(reader, ownersDir)) ?? [])
    ownerNames = []
    for (const e of entries) {
      if (e.isSymbolicLink()) reader.issues.push(symlinkIssue(`${ownersDir}/${e.name}`))
      else if (e.isFile() && e.name.endsWith('.yaml'))
        ownerNames.push(e.name.slice(0, -'.yaml'.length))
      else
        reader.issues.push(
          fileIssue(
            'registry/unexpected-file',
            `${REGISTRY_DIR}/owners/${e.name}`,
            `owners/${e.name} is not an owner file`,
            'owner files are owners/<ns>.yaml',
            'warning',
          ),
        )
    }
    ownerNames.sort()
  }
  const owners = new Map<string, OwnerManifest>()
  const ownerValues = await mapLimit(ownerNames, limit, (ns) => loadOwner(reader, ns, hub))
  ownerNames.forEach((ns, i) => {
    const value = ownerValues[i]
    if (value) owners.set(ns, value)
  })
  return {
    registry: { root: repoRoot, hub: hub ?? FALLBACK_HUB, owners, items },
    issues: reader.issues,
  }
}
