import { createHash } from 'node:crypto'
import type { IndexFile, IndexItem } from '#core/index-format'
import type { HfRepoType, HfRevision } from './hub-index.ts'

/** One entry of `/api/{type}s/{id}/tree/{rev}` and `paths-info`, as the Hub writes it. */
export interface HfTreeEntry {
  type: 'file' | 'directory'
  path: string
  size: number
  /** The file's SHA-256 (the Hub gives a Git blob id; clients only compare it). */
  oid: string
  lfs?: { oid: string; size: number; pointerSize: number }
  lastCommit?: { id: string; title: string; date: string }
}

/**
 * The size of the Git LFS pointer a file would have on the Hub; clients
 * read `pointerSize` but never fetch the pointer.
 */
export function lfsPointer(file: Pick<IndexFile, 'sha256' | 'size'>): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${file.sha256}\nsize ${file.size}\n`
}

/** The Hub's id of a base model: `hf:org/name` loses its prefix, a registry ref its kind. */
export function hubModelId(ref: string): string {
  if (ref.startsWith('hf:')) return ref.slice(3)
  const parts = ref.split('@')[0]?.split('/') ?? []
  return parts.length === 3 ? `${parts[1]}/${parts[2]}` : (ref.split('@')[0] ?? ref)
}

function isoDate(text: string | undefined): string {
  const date = text === undefined ? new Date(0) : new Date(text)
  return Number.isNaN(date.getTime()) ? new Date(0).toISOString() : date.toISOString()
}

/** LoRAs and adapters are PEFT adapters to the Hub, whatever item.yaml's library_name. */
function libraryOf(item: IndexItem): string | undefined {
  if (item.kind === 'lora' || item.kind === 'adapter') return 'peft'
  const name = item.card?.library_name
  return typeof name === 'string' ? name : undefined
}

function asList(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value]
}

/** The README front matter the Hub would show for this item (`cardData`). */
export function cardData(item: IndexItem): Record<string, unknown> {
  const card = item.card ?? {}
  const baseModels = asList(card.base_model).map(hubModelId)
  const data: Record<string, unknown> = {
    ...(item.license === undefined ? {} : { license: item.license.toLowerCase() }),
    ...(item.tags === undefined ? {} : { tags: item.tags }),
  }
  for (const [field, value] of Object.entries(card)) {
    if (field === 'base_model' || field === 'library_name') continue
    data[field] = field === 'datasets' ? asList(value).map(hubModelId) : value
  }
  const library = libraryOf(item)
  if (library !== undefined) data.library_name = library
  if (baseModels.length > 0) data.base_model = baseModels.length === 1 ? baseModels[0] : baseModels
  if ((item.kind === 'lora' || item.kind === 'adapter') && data.base_model_relation === undefined)
    data.base_model_relation = 'adapter'
  return data
}

/**
 * `GET /api/{type}s/{id}[/revision/{rev}]`: what huggingface_hub's
 * model_info / dataset_info and @huggingface/hub's modelInfo read.
 * `blobs` adds size and LFS data to every sibling, as `?blobs=true` does.
 *
 * @example repoInfo('model', item, resolveRevision(item, 'main')!, { blobs: true })
 */
export function repoInfo(
  type: HfRepoType,
  item: IndexItem,
  revision: HfRevision,
  options: { blobs?: boolean } = {},
): Record<string, unknown> {
  const [author] = item.id.split('/')
  const data = cardData(item)
  const library = libraryOf(item)
  const pipelineTag =
    typeof item.card?.pipeline_tag === 'string' ? item.card.pipeline_tag : undefined
  const releases = Object.values(item.versions)
    .map((v) => v.released)
    .filter((r): r is string => r !== undefined)
    .sort()
  const tags = [
    ...(item.tags ?? []),
    ...(library === undefined ? [] : [library]),
    ...asList(data.base_model as string | string[] | undefined).map(
      (base) => `base_model:${String(data.base_model_relation ?? 'finetune')}:${base}`,
    ),
    ...(item.license === undefined ? [] : [`license:${item.license.toLowerCase()}`]),
  ]
  return {
    _id: createHash('sha256').update(`${item.kind}/${item.id}`).digest('hex').slice(0, 24),
    id: item.id,
    ...(type === 'model' ? { modelId: item.id } : {}),
    author,
    sha: revision.commit,
    lastModified: isoDate(revision.released),
    createdAt: isoDate(releases[0] ?? revision.released),
    private: false,
    disabled: false,
    gated: revision.files.some((f) => f.private) ? 'manual' : false,
    downloads: 0,
    likes: 0,
    tags: [...new Set(tags)],
    ...(type === 'model' && pipelineTag !== undefined ? { pipeline_tag: pipelineTag } : {}),
    ...(type === 'model' && library !== undefined ? { library_name: library } : {}),
    cardData: data,
    siblings: revision.files.map((file) =>
      options.blobs
        ? {
            rfilename: file.path,
            size: file.size,
            blobId: file.sha256,
            lfs: { sha256: file.sha256, size: file.size, pointerSize: lfsPointer(file).length },
          }
        : { rfilename: file.path },
    ),
    spaces: [],
    usedStorage: revision.files.reduce((sum, f) => sum + f.size, 0),
    // What Agora knows that the Hub does not: the version a revision resolved to.
    agora: { kind: item.kind, version: revision.version },
  }
}

function fileEntry(file: IndexFile, revision: HfRevision, expand: boolean): HfTreeEntry {
  return {
    type: 'file',
    path: file.path,
    size: file.size,
    oid: file.sha256,
    lfs: { oid: file.sha256, size: file.size, pointerSize: lfsPointer(file).length },
    ...(expand
      ? {
          lastCommit: {
            id: revision.commit,
            title: `version ${revision.version}`,
            date: isoDate(revision.released),
          },
        }
      : {}),
  }
}

function directoryEntry(path: string): HfTreeEntry {
  return {
    type: 'directory',
    path,
    size: 0,
    oid: createHash('sha1').update(`tree\0${path}`).digest('hex'),
  }
}

/** Every folder of a version, derived from its file paths. */
function directories(files: readonly IndexFile[]): Set<string> {
  const dirs = new Set<string>()
  for (const file of files) {
    const parts = file.path.split('/')
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'))
  }
  return dirs
}

/**
 * `GET /api/{type}s/{id}/tree/{rev}[/{path}]`: the entries under `path`
 * (the root when empty), children only unless `recursive`. Undefined when
 * `path` is not a folder of the version.
 *
 * @example treeEntries(revision, '', { recursive: true })
 */
export function treeEntries(
  revision: HfRevision,
  path: string,
  options: { recursive?: boolean; expand?: boolean } = {},
): HfTreeEntry[] | undefined {
  const dirs = directories(revision.files)
  if (path !== '' && !dirs.has(path)) return undefined
  const prefix = path === '' ? '' : `${path}/`
  const within = (p: string) =>
    p.startsWith(prefix) && (options.recursive || !p.slice(prefix.length).includes('/'))
  const entries: HfTreeEntry[] = [
    ...[...dirs].filter(within).map(directoryEntry),
    ...revision.files
      .filter((f) => within(f.path))
      .map((f) => fileEntry(f, revision, options.expand ?? false)),
  ]
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** Entries per tree page when the request names no `limit`, as the Hub: fewer when expanded. */
export const TREE_PAGE_SIZE = { plain: 1000, expanded: 50 } as const

/** One page of a tree listing and the cursor of the next, if any. */
export interface TreePage {
  entries: HfTreeEntry[]
  next?: string
}

/**
 * Cuts a sorted tree listing into the Hub's pages: `limit` entries (at most
 * 1000) after `cursor`, an opaque token naming the last path of the page
 * before. Paths are unique and sorted, so a cursor stays valid however the
 * rest of the listing is cut. Undefined when the cursor is not one this
 * function gave.
 *
 * @example treePage(entries, { limit: 2 }) // { entries: [a, b], next: 'Yg' }
 */
export function treePage(
  entries: readonly HfTreeEntry[],
  options: { cursor?: string | undefined; limit: number },
): TreePage | undefined {
  let start = 0
  if (options.cursor !== undefined) {
    if (!/^[A-Za-z0-9_-]+$/.test(options.cursor)) return undefined
    const after = Buffer.from(options.cursor, 'base64url').toString('utf8')
    if (Buffer.from(after, 'utf8').toString('base64url') !== options.cursor) return undefined
    start = entries.findIndex((entry) => entry.path > after)
    if (start === -1) start = entries.length
  }
  const page = entries.slice(start, start + options.limit)
  const last = page.at(-1)
  return start + page.length < entries.length && last !== undefined
    ? { entries: page, next: Buffer.from(last.path, 'utf8').toString('base64url') }
    : { entries: page }
}

/**
 * `POST /api/{type}s/{id}/paths-info/{rev}`: one entry per asked path that
 * is a file or folder of the version; unknown paths are left out, as the Hub does.
 *
 * @example pathsInfo(revision, ['config.json'], { expand: true })
 */
export function pathsInfo(
  revision: HfRevision,
  paths: readonly string[],
  options: { expand?: boolean } = {},
): HfTreeEntry[] {
  const dirs = directories(revision.files)
  const files = new Map(revision.files.map((f) => [f.path, f]))
  const out: HfTreeEntry[] = []
  // Each path once: a body repeating one path must not multiply the answer.
  for (const path of new Set(paths)) {
    const file = files.get(path)
    if (file) out.push(fileEntry(file, revision, options.expand ?? false))
    else if (dirs.has(path)) out.push(directoryEntry(path))
  }
  return out
}
