import * as nodeFs from 'node:fs'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative, sep } from 'node:path'
import semver from 'semver'
import YAML from 'yaml'
import type { BlobStore } from '#core/blobs'
import { hashFile, writeFileAtomic } from '#core/blobs'
import { AgoraError, hasErrors, type Issue } from '#core/errors'
import {
  type FileEntry,
  type HubConfig,
  isSpdxId,
  loadReadme,
  type ReadmeDoc,
  suggestSpdxId,
} from '#core/manifest'
import { formatRef, type ItemRef, isSafeFilePath, itemDir } from '#core/names'
import { REGISTRY_DIR, validateRegistry } from '#core/registry'
import { type LoraManifestFields, type ScanVerdict, scanPath } from '#core/scan'
import { validateDocument } from '#core/schema'
import { NO_FOLLOW_READ, readFileNoFollow } from '#core/storage'
import { baseModelRef, readLoraConfig } from './publish-lora.ts'

/** What to publish: a folder of files as one version of one item. */
export interface PublishRequest {
  /** Folder whose files become the version (README.md becomes the card). */
  dir: string
  ref: ItemRef
  version: string
  /** Hub repository root (holding registry/). */
  repoRoot: string
  hub: HubConfig
  /** For a new item: fields the README front matter does not give. */
  fields?:
    | { title?: string | undefined; summary?: string | undefined; license?: string | undefined }
    | undefined
  changelog?: string | undefined
  /** Release date written into the version; default today. */
  now?: Date
  /** Files hashed at once; default 4. */
  concurrency?: number
  /** Told the size of every chunk hashed. */
  onHashProgress?: ((bytes: number) => void) | undefined
  /** Told the total size of the files before hashing starts, for a progress bar with an ETA. */
  onHashStart?: ((totalBytes: number) => void) | undefined
  /**
   * Publish files the scan finds unsafe or cannot vouch for: their
   * `publish/unsafe-file` issues become warnings instead of errors.
   */
  allowUnsafe?: boolean | undefined
}

/** The scan of one file of the version, as publish saw it before uploading. */
export interface PublishScan {
  path: string
  format: string
  verdict: ScanVerdict
  findings: { code: string; severity: Issue['severity']; message: string }[]
}

/** A file of the version and where its bytes are. */
export interface PlannedFile extends FileEntry {
  /** Absolute path of the source file. */
  source: string
  /** True when the store already holds the blob: nothing to upload. */
  present: boolean
}

/** A manifest write, repository-relative, with what it replaces (for roll-back). */
export interface PlannedWrite {
  path: string
  content: string
  previous: string | undefined
}

/** Everything publish will do, computed before anything is touched. */
export interface PublishPlan {
  ref: ItemRef
  version: string
  itemIsNew: boolean
  files: PlannedFile[]
  writes: PlannedWrite[]
  /** Problems found; with an error nothing may be applied. */
  issues: Issue[]
  /** The scan of every file, in path order. */
  scans: PublishScan[]
  /** Bytes that must go to the store. */
  uploadBytes: number
  /** The version is already published with exactly these files. */
  unchanged: boolean
}

/** Front-matter keys copied into a new item.yaml (HF card names and Agora's own). */
const ITEM_KEYS = [
  'title',
  'summary',
  'tags',
  'domain',
  'license',
  'license_name',
  'license_link',
  'links',
  'citation',
  'base_model',
  'base_model_revision',
  'base_model_relation',
  'forked_from',
  'datasets',
  'pipeline_tag',
  'library_name',
  'architecture',
  'hardware',
  'language',
  'format',
  'task_categories',
  'size_categories',
  'usage_restrictions',
  'adapter_type',
  'protocol_version',
  'credentials',
  'rate_limits',
  'trigger_words',
  'use_case',
  'task',
  'baselines',
  'submission_guidelines',
  'pricing',
] as const

/** Front-matter keys copied into the version file (kind-specific version fields). */
const VERSION_KEYS = [
  'parameters',
  'training_data_size',
  'num_datapoints',
  'splits',
  'quality',
  'input_schema',
  'output_schema',
  'dependencies',
  'r',
  'lora_alpha',
  'target_modules',
  'lora_dropout',
  'training',
  'steps',
  'expected_runtime_s',
  'success_rate',
  'test_files',
] as const

/**
 * Plans a publish without side effects: lists and hashes the folder
 * (streaming, in parallel), asks the store which blobs it lacks (HEAD),
 * builds item.yaml (new item: from the README front matter and fields;
 * existing: moves dist-tags.latest forward), versions/<v>.yaml and
 * README.md, and validates them — each document, then the registry rules
 * for the item on an overlay of the tree — before anything is uploaded.
 *
 * @example
 * const plan = await planPublish({ dir: 'out/model', ref, version: '1.0.0', repoRoot, hub }, { store })
 * if (!hasErrors(plan.issues)) await applyPublish(plan, { store, repoRoot })
 */
export async function planPublish(
  request: PublishRequest,
  clients: { store: BlobStore },
): Promise<PublishPlan> {
  const { ref, version, repoRoot } = request
  const issues: Issue[] = []
  const dir = `${REGISTRY_DIR}/${itemDir(ref)}`
  const itemFile = `${dir}/item.yaml`
  const versionFile = `${dir}/versions/${version}.yaml`
  const readmeFile = `${dir}/README.md`
  if (!semver.valid(version) || semver.clean(version) !== version) {
    throw new AgoraError('publish/bad-version', `"${version}" is not a semantic version`, {
      hint: 'use MAJOR.MINOR.PATCH such as 1.0.0 (no leading v)',
    })
  }
  const sources = await listFolder(request.dir, issues)
  if (sources.length === 0 && !hasErrors(issues)) {
    throw new AgoraError('publish/empty', `${request.dir} has no files to publish`, {
      hint: 'point agora publish at the folder holding the model, dataset or adapter files',
    })
  }
  if (request.onHashStart) {
    const sizes = await Promise.all(
      sources.map((s) => nodeFs.promises.stat(s.source).then((i) => i.size)),
    )
    request.onHashStart(sizes.reduce((n, size) => n + size, 0))
  }
  const files = await mapLimit(sources, request.concurrency ?? 4, async (s) => {
    const info = await hashFile(
      s.source,
      request.onHashProgress ? { onProgress: request.onHashProgress } : {},
    )
    const present = (await clients.store.stat(info.sha256)) !== undefined
    return { path: s.path, size: info.size, sha256: info.sha256, source: s.source, present }
  })
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const scans = await scanFiles(files, versionFile, request, issues)

  const readmeSource = await readOptional(join(request.dir, 'README.md'))
  let card: ReadmeDoc | undefined
  if (readmeSource !== undefined) {
    const loaded = loadReadme(readmeSource, join(request.dir, 'README.md'))
    issues.push(...loaded.issues)
    card = loaded.value
  }
  const front = card?.frontMatter ?? {}

  const currentItem = await readOptional(join(repoRoot, itemFile))
  const currentVersion = await readOptional(join(repoRoot, versionFile))
  const currentReadme = await readOptional(join(repoRoot, readmeFile))
  const writes: PlannedWrite[] = []
  let unchanged = false

  // `agora new` scaffolds versions/<v>.yaml with `files: []`: a version without
  // files is a draft publish completes, keeping what the author wrote in it.
  const draft = currentVersion === undefined ? undefined : draftVersion(currentVersion)
  if (currentVersion !== undefined && draft === undefined) {
    const existing = validateDocument('version', currentVersion, versionFile, {
      kind: ref.kind,
      hub: request.hub,
    })
    const same = existing.value && sameFiles(existing.value.files, files)
    if (!same) {
      issues.push({
        code: 'publish/version-exists',
        severity: 'error',
        message: `${formatRef(ref)}@${version} is already published with other files`,
        hint: 'released versions are immutable: publish these files as a new version (e.g. bump the patch number)',
        file: versionFile,
      })
    }
    unchanged = same === true
  } else {
    // A LoRA's adapter_config.json fills r, lora_alpha, target_modules and base_model.
    const lora =
      ref.kind === 'lora'
        ? await readLoraConfig(files, loraGiven(front, draft, currentItem), versionFile, issues)
        : undefined
    const loraBase =
      lora?.baseModel === undefined
        ? undefined
        : await baseModelRef(lora.baseModel, (ns, name) =>
            nodeFs.promises
              .stat(join(repoRoot, REGISTRY_DIR, itemDir({ kind: 'model', ns, name })))
              .then(
                () => true,
                () => false,
              ),
          )
    const versionDoc: Record<string, unknown> = {
      version,
      released: (request.now ?? new Date()).toISOString().slice(0, 10),
      ...(request.changelog ? { changelog: request.changelog } : {}),
      files: files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })),
    }
    for (const key of VERSION_KEYS) if (front[key] !== undefined) versionDoc[key] = front[key]
    for (const [key, value] of Object.entries(lora?.version ?? {}))
      if (versionDoc[key] === undefined) versionDoc[key] = value
    writes.push({
      path: versionFile,
      content: draft
        ? fillDraft(draft, versionDoc)
        : `# yaml-language-server: $schema=../../../../../schemas/version.schema.json\n${YAML.stringify(versionDoc, { lineWidth: 0 })}`,
      previous: currentVersion,
    })
    const itemFront =
      loraBase === undefined || hasBaseModel(front.base_model)
        ? front
        : {
            ...front,
            base_model: loraBase,
            base_model_relation: front.base_model_relation ?? 'adapter',
          }
    const itemText =
      currentItem === undefined
        ? newItemYaml(request, itemFront, card)
        : bumpLatest(currentItem, version, loraBase)
    if (itemText !== currentItem)
      writes.push({ path: itemFile, content: itemText, previous: currentItem })
    const readmeText =
      readmeSource ??
      (currentReadme === undefined ? generatedCard(request, front, files) : undefined)
    if (readmeText !== undefined && readmeText !== currentReadme) {
      writes.push({ path: readmeFile, content: readmeText, previous: currentReadme })
    }
  }

  for (const write of writes) {
    const type =
      write.path === itemFile ? 'item' : write.path === versionFile ? 'version' : undefined
    if (!type) continue
    const checked = validateDocument(type, write.content, write.path, {
      kind: ref.kind,
      hub: request.hub,
    })
    const newItem = type === 'item' && currentItem === undefined
    issues.push(...(newItem ? checked.issues.map(withPublishHint) : checked.issues))
  }
  if (!hasErrors(issues) && writes.length > 0)
    issues.push(...(await validateOverlay(request, writes)))

  return {
    ref,
    version,
    itemIsNew: currentItem === undefined,
    files,
    writes,
    issues,
    scans,
    uploadBytes: files.filter((f) => !f.present).reduce((n, f) => n + f.size, 0),
    unchanged,
  }
}

/**
 * Scans every file with the pull-request check's scanner before anything is
 * uploaded, so an unsafe or unscannable file is refused here rather than in
 * review. One `publish/unsafe-file` issue per finding that makes the verdict
 * (unsafe imports, or what the scan could not vouch for); warnings under
 * `allowUnsafe`, which the pull-request check does not honour.
 */
async function scanFiles(
  files: readonly PlannedFile[],
  versionFile: string,
  request: PublishRequest,
  issues: Issue[],
): Promise<PublishScan[]> {
  const results = await mapLimit(files, request.concurrency ?? 4, (f) =>
    scanPath(f.source, { displayPath: f.path }),
  )
  const scans: PublishScan[] = []
  for (const [index, result] of results.entries()) {
    const path = (files[index] as PlannedFile).path
    scans.push({
      path,
      format: result.format,
      verdict: result.verdict,
      findings: result.findings.map((f) => ({
        code: f.code,
        severity: f.severity,
        message: f.message,
      })),
    })
    if (result.verdict === 'safe') continue
    const what = result.verdict === 'unsafe' ? 'unsafe' : 'not scannable'
    const decisive = result.findings.filter((f) =>
      result.verdict === 'unsafe' ? f.unsafe : f.severity === 'error',
    )
    for (const finding of decisive.length > 0 ? decisive : result.findings) {
      const message = finding.message.startsWith(`${path}: `)
        ? finding.message.slice(path.length + 2)
        : finding.message
      issues.push({
        code: 'publish/unsafe-file',
        severity: request.allowUnsafe ? 'warning' : 'error',
        message: `${path} is ${what} (${finding.code}): ${message}`,
        hint: request.allowUnsafe
          ? `published anyway under --allow-unsafe; the pull-request check will still refuse it (${finding.hint ?? finding.code})`
          : `${finding.hint ?? 'publish the file in a format Agora can check, such as safetensors'}; --allow-unsafe publishes it anyway, but the pull-request check will still refuse it`,
        file: versionFile,
      })
    }
  }
  return scans
}

export interface ApplyOptions {
  store: BlobStore
  repoRoot: string
  /** Write the manifests into the working tree (false for --pr, which commits them instead). */
  writeManifests: boolean
  /** Blobs uploaded at once; default 2. */
  concurrency?: number
  onProgress?: ((bytes: number) => void) | undefined
  fs?: Pick<typeof nodeFs, 'promises' | 'createReadStream'>
}

/**
 * Carries out a plan: uploads the blobs the store lacks, then writes the
 * manifests atomically (each to a temp file, then renamed; all restored if
 * one fails). Blobs go first, so a manifest never names a missing blob;
 * a blob uploaded before a later failure stays (content-addressed and
 * unreferenced, it is harmless and makes the retry faster).
 *
 * @example await applyPublish(plan, { store, repoRoot, writeManifests: true })
 */
export async function applyPublish(
  plan: PublishPlan,
  options: ApplyOptions,
): Promise<{ uploaded: number; uploadedBytes: number }> {
  if (hasErrors(plan.issues)) {
    throw new AgoraError(
      'publish/invalid',
      `${formatRef(plan.ref)}@${plan.version} has problems; nothing was published`,
      {
        hint: 'fix the issues listed and run agora publish again',
      },
    )
  }
  const fs = options.fs ?? nodeFs
  let uploaded = 0
  let uploadedBytes = 0
  const missing = plan.files.filter((f) => !f.present)
  const unique = [...new Map(missing.map((f) => [f.sha256, f])).values()]
  await mapLimit(unique, options.concurrency ?? 2, async (file) => {
    const result = await options.store.put(
      // O_NOFOLLOW: a file swapped for a link after planning is refused, not followed.
      () =>
        fs.createReadStream(file.source, {
          flags: NO_FOLLOW_READ as unknown as string,
          highWaterMark: 1 << 20,
        }),
      { sha256: file.sha256, size: file.size },
      options.onProgress ? { onProgress: options.onProgress } : {},
    )
    if (result.uploaded) {
      uploaded++
      uploadedBytes += result.bytes
    }
  })
  if (options.writeManifests) await writeAll(fs, options.repoRoot, plan.writes)
  return { uploaded, uploadedBytes }
}

/** Writes every file atomically; when one fails, puts back what the others replaced. */
async function writeAll(
  fs: Pick<typeof nodeFs, 'promises'>,
  root: string,
  writes: readonly PlannedWrite[],
): Promise<void> {
  const done: PlannedWrite[] = []
  try {
    for (const write of writes) {
      await writeFileAtomic(join(root, write.path), write.content, fs)
      done.push(write)
    }
  } catch (error) {
    for (const write of done.reverse()) {
      const target = join(root, write.path)
      if (write.previous === undefined)
        await fs.promises.rm(target, { force: true }).catch(() => undefined)
      else await writeFileAtomic(target, write.previous, fs).catch(() => undefined)
    }
    throw new AgoraError(
      'publish/write-failed',
      `cannot write the manifests: ${(error as Error).message}`,
      {
        hint: 'check that the registry folder is writable and the disk has space; nothing was changed',
        cause: error,
      },
    )
  }
}

/**
 * The parsed document of a version file that lists no files yet (as
 * `agora new` writes it), or undefined when it lists files (released, so
 * immutable) or cannot be read as YAML (then it is checked as a release).
 */
function draftVersion(text: string): YAML.Document | undefined {
  const doc = YAML.parseDocument(text)
  if (doc.errors.length > 0) return undefined
  const files = doc.get('files')
  if (files === undefined || (YAML.isSeq(files) && files.items.length === 0)) return doc
  return undefined
}

/**
 * Completes a draft version in place, so its comments, changelog and
 * kind-specific fields stay: files are set, `released`, `--changelog` and
 * front-matter fields are added, and what the author wrote wins over the
 * front matter (a conflict with adapter_config.json is reported elsewhere).
 */
function fillDraft(doc: YAML.Document, fresh: Record<string, unknown>): string {
  for (const [key, value] of Object.entries(fresh)) {
    const mine = doc.get(key)
    const emptyList = YAML.isSeq(mine) && mine.items.length === 0
    if (key === 'files' || (key === 'changelog' && value !== undefined)) doc.set(key, value)
    else if (!doc.has(key) || emptyList) doc.set(key, value)
  }
  return doc.toString({ lineWidth: 0 })
}

function hasBaseModel(value: unknown): boolean {
  return (
    (typeof value === 'string' && value.trim() !== '') || (Array.isArray(value) && value.length > 0)
  )
}

/**
 * The LoRA fields the author gave, to be held against adapter_config.json:
 * a draft version file's values first, then the README front matter;
 * base_model from item.yaml, else the front matter. Empty values count as not given.
 */
function loraGiven(
  front: Record<string, unknown>,
  draft: YAML.Document | undefined,
  currentItem: string | undefined,
): LoraManifestFields {
  const pick = (key: string): unknown => {
    const mine = draft?.toJS()?.[key]
    return mine === undefined || (Array.isArray(mine) && mine.length === 0) ? front[key] : mine
  }
  const given: LoraManifestFields = {}
  const r = pick('r')
  if (typeof r === 'number') given.r = r
  const alpha = pick('lora_alpha')
  if (typeof alpha === 'number') given.lora_alpha = alpha
  const targets = pick('target_modules')
  if (Array.isArray(targets) && targets.length > 0 && targets.every((t) => typeof t === 'string'))
    given.target_modules = targets
  const itemBase =
    currentItem === undefined ? undefined : YAML.parseDocument(currentItem).toJS()?.base_model
  const base = hasBaseModel(itemBase) ? itemBase : front.base_model
  if (hasBaseModel(base)) given.base_model = base as string | string[]
  return given
}

function sameFiles(a: readonly FileEntry[], b: readonly FileEntry[]): boolean {
  if (a.length !== b.length) return false
  const key = (f: FileEntry) => `${f.path}\0${f.size}\0${f.sha256}`
  const left = new Set(a.map(key))
  return b.every((f) => left.has(key(f)))
}

// A new item's summary and licence come from flags or the card, not from an
// item.yaml the author wrote, so "add license:" would send them to the wrong place.
const NEW_ITEM_HINTS: Readonly<Record<string, string>> = {
  license:
    'pass --license with an SPDX id (e.g. --license MIT), or set license: in the front matter of README.md',
  summary:
    'pass --summary "one sentence", or give README.md a first paragraph (or description: in its front matter)',
}

function withPublishHint(issue: Issue): Issue {
  const field =
    issue.code === 'schema/required'
      ? /^missing required field "(\w+)"$/.exec(issue.message)?.[1]
      : issue.code === 'schema/length'
        ? /^(\w+) must have at least/.exec(issue.message)?.[1]
        : undefined
  const hint = field === undefined ? undefined : NEW_ITEM_HINTS[field]
  return hint === undefined ? issue : { ...issue, hint }
}

function newItemYaml(
  request: PublishRequest,
  front: Record<string, unknown>,
  card: ReadmeDoc | undefined,
): string {
  const { ref } = request
  const doc: Record<string, unknown> = { kind: ref.kind, id: `${ref.ns}/${ref.name}` }
  for (const key of ITEM_KEYS) if (front[key] !== undefined) doc[key] = front[key]
  // Hugging Face cards call the title pretty_name and the summary description.
  doc.title = request.fields?.title ?? doc.title ?? front.pretty_name ?? titleFromName(ref.name)
  doc.summary =
    request.fields?.summary ?? doc.summary ?? front.description ?? firstParagraph(card?.body) ?? ''
  doc.owners = [ref.ns]
  if (request.fields?.license) doc.license = request.fields.license
  doc.license = spdxSpelling(doc.license)
  doc['dist-tags'] = { latest: request.version }
  const ordered: Record<string, unknown> = {}
  for (const key of ['kind', 'id', 'title', 'summary', 'owners', 'license'])
    if (doc[key] !== undefined) ordered[key] = doc[key]
  for (const [key, value] of Object.entries(doc)) if (!(key in ordered)) ordered[key] = value
  return `# yaml-language-server: $schema=../../../../schemas/item.schema.json\n${YAML.stringify(ordered, { lineWidth: 0 })}`
}

/**
 * Moves `dist-tags.latest` to the new version when it is higher and not a
 * pre-release, editing the document in place so comments and order stay.
 */
function bumpLatest(text: string, version: string, baseModel?: string): string {
  const doc = YAML.parseDocument(text)
  // An item agora new scaffolded leaves base_model empty until a LoRA's config names it.
  if (baseModel !== undefined && !hasBaseModel(doc.get('base_model'))) {
    doc.set('base_model', baseModel)
    const fill = doc.toString({ lineWidth: 0, flowCollectionPadding: false })
    return bumpLatest(fill, version)
  }
  const latest = doc.getIn(['dist-tags', 'latest'])
  const current = typeof latest === 'string' && semver.valid(latest) ? latest : undefined
  if (semver.prerelease(version) || (current && !semver.gt(version, current))) return text
  if (doc.hasIn(['dist-tags'])) doc.setIn(['dist-tags', 'latest'], version)
  else doc.set('dist-tags', { latest: version })
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false })
}

/** Hugging Face cards write licence ids in lower case (`apache-2.0`); Agora wants the SPDX spelling. */
function spdxSpelling(license: unknown): unknown {
  if (typeof license !== 'string' || isSpdxId(license)) return license
  const suggestion = suggestSpdxId(license)
  return suggestion && suggestion.toLowerCase() === license.toLowerCase() ? suggestion : license
}

function titleFromName(name: string): string {
  return name
    .split(/[-_]/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join(' ')
}

function firstParagraph(body: string | undefined): string | undefined {
  if (!body) return undefined
  const paragraph = body
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .find(
      (p) =>
        p &&
        !p.startsWith('#') &&
        !p.startsWith('<!--') &&
        !p.startsWith('```') &&
        !p.startsWith('|'),
    )
  if (!paragraph) return undefined
  const flat = paragraph.replace(/\s+/g, ' ')
  return flat.length > 200 ? `${flat.slice(0, 197)}…` : flat
}

function generatedCard(
  request: PublishRequest,
  front: Record<string, unknown>,
  files: readonly PlannedFile[],
): string {
  const title =
    request.fields?.title ??
    (typeof front.title === 'string' ? front.title : titleFromName(request.ref.name))
  const rows = files.map(
    (f) => `| \`${f.path.replace(/[`|]/g, '_')}\` | ${f.size} | \`${f.sha256}\` |`,
  )
  return [
    `# ${title}`,
    '',
    request.fields?.summary ?? '',
    '',
    '## Files',
    '',
    '| path | bytes | sha256 |',
    '| --- | ---: | --- |',
    ...rows,
    '',
    '## How to use',
    '',
    '```sh',
    `agora pull ${formatRef(request.ref)}@${request.version}`,
    '```',
    '',
  ].join('\n')
}

/**
 * Runs the registry rules for the item as if the writes were made: the
 * item's folder is staged in a temp copy and reads under it are redirected
 * there, so nothing in the working tree changes.
 */
async function validateOverlay(
  request: PublishRequest,
  writes: readonly PlannedWrite[],
): Promise<Issue[]> {
  const root = request.repoRoot.replace(/\/+$/, '')
  const itemRel = `${REGISTRY_DIR}/${itemDir(request.ref)}`
  const realItem = `${root}/${itemRel}`
  const stage = await mkdtemp(join(tmpdir(), 'agora-publish-'))
  try {
    await cp(realItem, stage, { recursive: true }).catch(() => undefined)
    for (const write of writes) {
      const target = join(stage, relative(itemRel, write.path))
      await nodeFs.promises.mkdir(dirname(target), { recursive: true })
      await nodeFs.promises.writeFile(target, write.content)
    }
    const redirect = (path: unknown): unknown =>
      typeof path === 'string' &&
      (path === realItem || path.startsWith(`${realItem}/`) || path.startsWith(realItem + sep))
        ? stage + path.slice(realItem.length)
        : path
    const overlay = new Proxy(nodeFs.promises, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver)
        if (typeof value !== 'function') return value
        return (path: unknown, ...rest: unknown[]) =>
          (value as (...a: unknown[]) => unknown).call(target, redirect(path), ...rest)
      },
    })
    const { issues } = await validateRegistry(root, { fs: overlay, items: [request.ref] })
    return issues
  } finally {
    await rm(stage, { recursive: true, force: true })
  }
}

/** Lists a folder's files as POSIX paths, refusing symlinks and unsafe names, skipping dot-files. */
async function listFolder(
  dir: string,
  issues: Issue[],
): Promise<{ path: string; source: string }[]> {
  let entries: nodeFs.Dirent[]
  try {
    entries = await nodeFs.promises.readdir(dir, { recursive: true, withFileTypes: true })
  } catch (error) {
    throw new AgoraError('publish/unreadable', `cannot read ${dir}`, {
      file: dir,
      hint: 'give the folder holding the files to publish',
      cause: error,
    })
  }
  const out: { path: string; source: string }[] = []
  for (const entry of entries) {
    const source = join(entry.parentPath, entry.name)
    const path = relative(dir, source).split(sep).join('/')
    if (path.split('/').some((segment) => segment.startsWith('.'))) continue
    if (entry.isDirectory()) continue
    if (path === 'README.md') continue
    if (entry.isSymbolicLink() || !entry.isFile()) {
      issues.push({
        code: 'publish/not-a-file',
        severity: 'error',
        message: `${path} is a symbolic link or special file`,
        hint: 'replace links with the files themselves; links could point outside the folder',
        file: source,
      })
      continue
    }
    if (!isSafeFilePath(path)) {
      issues.push({
        code: 'publish/unsafe-path',
        severity: 'error',
        message: `"${path}" cannot be published as a file name`,
        hint: 'use names without control characters, backslashes, trailing dots or characters Windows refuses (<>:"|?*)',
        file: source,
      })
      continue
    }
    out.push({ path, source })
  }
  return out
}

/** Reads a file that may be absent, never through a symbolic link (ELOOP: refused). */
async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFileNoFollow(path, 'utf8')
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined
    if ((error as { code?: unknown }).code === 'ELOOP') {
      throw new AgoraError('publish/symlink', `${path} is a symbolic link`, {
        file: path,
        hint: 'replace the link with the file itself; a link could publish a file from outside the folder',
        cause: error,
      })
    }
    throw new AgoraError('publish/unreadable', `cannot read ${path}`, {
      file: path,
      hint: 'check permissions',
      cause: error,
    })
  }
}

async function mapLimit<I, O>(
  inputs: readonly I[],
  limit: number,
  fn: (input: I) => Promise<O>,
): Promise<O[]> {
  const out = new Array<O>(inputs.length)
  let next = 0
  let failure: { error: unknown } | undefined
  const worker = async () => {
    while (next < inputs.length && !failure) {
      const index = next++
      try {
        out[index] = await fn(inputs[index] as I)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, inputs.length)) }, worker))
  if (failure) throw failure.error
  return out
}
