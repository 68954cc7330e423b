import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { stringify } from 'yaml'
import { type BlobStore, HashingStream } from '#core/blobs'
import { AgoraError, type Issue } from '#core/errors'
import { loadReadme } from '#core/manifest'
import { itemDir } from '#core/names'
import { bytesSource, scanFile, scanPath } from '#core/scan'
import { validateDocument } from '#core/schema'
import { type HfRepoKind, mapCardToFields } from './card-map.ts'
import {
  fetchHubFile,
  fetchHubRepo,
  type HubClient,
  type HubRepo,
  hubFetch,
  hubRepoUrl,
  hubResolveUrl,
} from './hub-api.ts'
import { type BenchmarkTarget, mapModelIndex } from './model-index.ts'

/** Git-stored files above this are refused rather than hashed in memory. */
const MAX_GIT_FILE_BYTES = 32 * 1024 * 1024

export interface ImportRequest {
  repoId: string
  kind: HfRepoKind
  revision?: string | undefined
  /** The Agora item it becomes. */
  ns: string
  name: string
  version: string
  /** ISO date written as `released`. */
  today: string
  /** Leave file URLs out: the blobs are copied into the hub's store. */
  mirror: boolean
  /** Benchmarks of this hub that the card's model-index results may be filed under. */
  benchmarks?: BenchmarkTarget[]
}

export interface ImportFile {
  path: string
  size: number
  sha256: string
  /** The Hub's download URL at the imported commit. */
  url: string
  /** The bytes, when import downloaded them to hash them. */
  bytes?: Uint8Array
}

export interface ImportPlan {
  repo: HubRepo
  /** Files of the item folder by path inside it: item.yaml, README.md, versions/<v>.yaml. */
  documents: Record<string, string>
  files: ImportFile[]
  dropped: { path: string; reason: string }[]
}

/**
 * Reads a Hub repository at a revision and builds the Agora item for it:
 * item.yaml from the card's front matter, README.md from its body, and a
 * version whose files point at the Hub's download URLs by commit, each with
 * its SHA-256 (from the LFS pointer, or by downloading a Git-stored file).
 * Every document is validated here; nothing is written.
 *
 * @example const plan = await planHfImport(client, { repoId: 'google-bert/bert-base-uncased', kind: 'model', ns: 'google-bert', name: 'bert-base-uncased', version: '1.0.0', today: '2025-01-31', mirror: false })
 */
export async function planHfImport(client: HubClient, request: ImportRequest): Promise<ImportPlan> {
  const repo = await fetchHubRepo(client, request.kind, request.repoId, request.revision)
  const files: ImportFile[] = []
  for (const file of repo.files) {
    const url = hubResolveUrl(client.endpoint, repo.kind, repo.id, repo.sha, file.path)
    if (file.sha256) {
      files.push({ path: file.path, size: file.size, sha256: file.sha256, url })
      continue
    }
    if (file.size > MAX_GIT_FILE_BYTES) {
      throw new AgoraError(
        'hf/file-too-large',
        `${file.path} is stored in Git without a SHA-256 and is ${file.size} bytes`,
        {
          hint: 'import hashes Git-stored files by downloading them; store large files with LFS on the Hub',
        },
      )
    }
    const bytes = await fetchHubFile(client, repo, file.path)
    if (bytes.byteLength !== file.size) {
      throw new AgoraError(
        'hf/size-mismatch',
        `${file.path} is ${bytes.byteLength} bytes, the Hub lists ${file.size}`,
        {
          hint: 'import again; the download was cut short or the revision moved',
        },
      )
    }
    files.push({ path: file.path, size: file.size, sha256: sha256Of(bytes), url, bytes })
  }

  const readme = files.find((f) => f.path === 'README.md')
  const cardText = readme?.bytes ? new TextDecoder().decode(readme.bytes) : ''
  const card = loadReadme(cardText, `${repo.id}/README.md`)
  const cardError = card.issues.find((i) => i.severity === 'error')
  if (cardError) throw issueError(cardError, 'the card on the Hub cannot be read')
  const front = (card.value?.frontMatter ?? {}) as Record<string, unknown>
  const body = card.value?.body ?? ''
  const repoUrl = hubRepoUrl('https://huggingface.co', repo.kind, repo.id)
  const mapped = mapCardToFields(front, repo.kind, repo.id, repoUrl)
  const title = mapped.title ?? repo.id.split('/').pop() ?? repo.id

  const item: Record<string, unknown> = {
    kind: repo.kind,
    id: `${request.ns}/${request.name}`,
    title,
    summary: summaryOf(body) ?? `${title}, imported from the Hugging Face Hub.`,
    owners: [request.ns],
    license: mapped.fields.license,
    ...(mapped.fields.license_name ? { license_name: mapped.fields.license_name } : {}),
    ...(mapped.fields.license_link ? { license_link: mapped.fields.license_link } : {}),
    ...(mapped.fields.tags ? { tags: mapped.fields.tags } : {}),
    // The Hub page records where the item came from: search --hf matches on it.
    links: { homepage: repoUrl },
    ...(mapped.fields.base_model === undefined ? {} : { base_model: mapped.fields.base_model }),
    ...(mapped.fields.base_model_relation
      ? { base_model_relation: mapped.fields.base_model_relation }
      : {}),
    ...(mapped.fields.datasets ? { datasets: mapped.fields.datasets } : {}),
  }
  if (repo.kind === 'model') {
    for (const key of ['pipeline_tag', 'library_name', 'language'] as const) {
      if (mapped.fields[key] !== undefined) item[key] = mapped.fields[key]
    }
  } else {
    item.format = formatOf(files.map((f) => f.path))
    if (mapped.fields.task_categories) item.task_categories = mapped.fields.task_categories
    if (mapped.fields.size_categories) item.size_categories = mapped.fields.size_categories
    if (mapped.fields.language) item.language = mapped.fields.language
  }
  item['dist-tags'] = { latest: request.version }

  const version: Record<string, unknown> = {
    version: request.version,
    released: request.today,
    changelog: `Imported from ${repoUrl} at commit ${repo.sha}.`,
    files: files.map((f) => ({
      path: f.path,
      size: f.size,
      sha256: f.sha256,
      ...(request.mirror ? {} : { url: f.url }),
    })),
  }
  if (repo.kind === 'dataset') Object.assign(version, datasetCounts(front.dataset_info))

  const dir = `registry/${itemDir({ kind: repo.kind, ns: request.ns, name: request.name })}`
  const documents: Record<string, string> = {
    'item.yaml': `# yaml-language-server: $schema=../../../../schemas/item.schema.json\n${stringify(item)}`,
    'README.md': body.trim() === '' ? `# ${title}\n\nImported from ${repoUrl}.\n` : body,
    [`versions/${request.version}.yaml`]: `# yaml-language-server: $schema=../../../../../schemas/version.schema.json\n${stringify(version)}`,
  }
  let dropped = mapped.dropped
  if (repo.kind === 'model' && front['model-index'] !== undefined) {
    const index = mapModelIndex(front['model-index'], request.benchmarks ?? [], request)
    dropped = dropped.flatMap((d) => (d.path === 'model-index' ? index.dropped : [d]))
    for (const result of index.results) {
      documents[result.path] =
        `# yaml-language-server: $schema=../../../../../../schemas/result.schema.json\n${stringify(result.value)}`
    }
  }
  const checks = [
    validateDocument('item', documents['item.yaml'] as string, `${dir}/item.yaml`),
    validateDocument(
      'version',
      documents[`versions/${request.version}.yaml`] as string,
      `${dir}/versions/${request.version}.yaml`,
      { kind: repo.kind },
    ),
    ...Object.keys(documents)
      .filter((path) => path.startsWith('results/'))
      .map((path) => validateDocument('result', documents[path] as string, `${dir}/${path}`)),
  ]
  for (const { issues } of checks) {
    const error = issues.find((i) => i.severity === 'error')
    if (error) throw issueError(error, 'the imported manifest would not validate')
  }
  return { repo, documents, files, dropped }
}

/** A finding that refuses a file, as publish reports it. */
export interface UnsafeFile {
  path: string
  verdict: string
  findings: string[]
}

/**
 * Scans the files import downloaded (Git-stored ones) with publish's
 * scanner; returns those it finds unsafe or cannot vouch for.
 */
export async function scanDownloaded(files: ImportFile[]): Promise<UnsafeFile[]> {
  const unsafe: UnsafeFile[] = []
  for (const file of files) {
    if (!file.bytes) continue
    const result = await scanFile(bytesSource(file.path, file.bytes))
    if (result.verdict !== 'safe') {
      unsafe.push({
        path: file.path,
        verdict: result.verdict,
        findings: result.findings.map((f) => `${f.code}: ${f.message}`),
      })
    }
  }
  return unsafe
}

/**
 * Copies every file into the hub's store: streams it from the Hub to a temp
 * file while hashing, refuses it when size or SHA-256 differ from the
 * manifest, scans it, and only then puts it (the store checks the hash again).
 * Returns the files the scan refused; those are not stored.
 */
export async function mirrorHubFiles(
  client: HubClient,
  files: ImportFile[],
  store: BlobStore,
  tmpDir: string,
  options: { allowUnsafe: boolean },
): Promise<UnsafeFile[]> {
  await mkdir(tmpDir, { recursive: true })
  const unsafe: UnsafeFile[] = []
  for (const file of files) {
    const temp = join(tmpDir, `hf-${randomBytes(6).toString('hex')}`)
    try {
      const source = file.bytes
        ? Readable.from([file.bytes])
        : Readable.fromWeb(
            ((await hubFetch(client, file.url, file.path)).body ?? new ReadableStream()) as never,
          )
      const meter = new HashingStream()
      await pipeline(source, meter, createWriteStream(temp, { flags: 'wx' }))
      const { sha256, size } = meter.digest()
      if (sha256 !== file.sha256 || size !== file.size) {
        throw new AgoraError(
          'hf/hash-mismatch',
          `${file.path} from the Hub is ${size} bytes with SHA-256 ${sha256}, the Hub lists ${file.size} bytes and ${file.sha256}`,
          {
            hint: 'nothing was stored or written; import again, and report the repository if it repeats',
          },
        )
      }
      const scan = await scanPath(temp, { displayPath: file.path })
      if (scan.verdict !== 'safe') {
        unsafe.push({
          path: file.path,
          verdict: scan.verdict,
          findings: scan.findings.map((f) => `${f.code}: ${f.message}`),
        })
        if (!options.allowUnsafe) continue
      }
      await store.put(() => createReadStream(temp), { sha256: file.sha256, size: file.size })
    } finally {
      await rm(temp, { force: true })
    }
  }
  return unsafe
}

function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function issueError(issue: Issue, what: string): AgoraError {
  return new AgoraError(issue.code, `${what}: ${issue.message}`, {
    hint: issue.hint ?? 'run agora validate on the item for details',
    ...(issue.file === undefined ? {} : { file: issue.file }),
    ...(issue.line === undefined ? {} : { line: issue.line, col: issue.col ?? 1 }),
  })
}

/** The card's first paragraph of prose, plain and at most 200 characters. */
function summaryOf(body: string): string | undefined {
  for (const block of body.split(/\n\s*\n/)) {
    const text = block.trim()
    if (text === '' || /^(#|<|!\[|\||```|-|\*|>)/.test(text)) continue
    const plain = text
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/[`*_]/g, '')
      // Anything the text rules would refuse (controls, bidi, zero-width) goes.
      .replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, ' ')
      .replace(/\s+/g, ' ')
      .trim()
    if (plain.length < 10) continue
    return plain.length > 200 ? `${plain.slice(0, 197).replace(/\s+\S*$/, '')}…` : plain
  }
  return undefined
}

const FORMATS: Record<string, string> = {
  parquet: 'parquet',
  csv: 'csv',
  tsv: 'tsv',
  jsonl: 'jsonl',
  json: 'json',
  arrow: 'arrow',
  txt: 'text',
  sdf: 'sdf',
}

/** The most common data format among the files, by extension. */
function formatOf(paths: string[]): string {
  const counts = new Map<string, number>()
  for (const path of paths) {
    const format = FORMATS[/\.([a-z0-9]+)(?:\.gz|\.zst)?$/i.exec(path)?.[1]?.toLowerCase() ?? '']
    if (format && path !== 'README.md') counts.set(format, (counts.get(format) ?? 0) + 1)
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'other'
}

/** num_datapoints and splits from the card's dataset_info (one config). */
function datasetCounts(info: unknown): Record<string, unknown> {
  const config = Array.isArray(info) ? info[0] : info
  const splits = (config as { splits?: unknown } | undefined)?.splits
  if (!Array.isArray(splits)) return { num_datapoints: 0 }
  const kept = splits
    .map((s: { name?: unknown; num_examples?: unknown }) => ({
      name: s.name,
      num_rows: s.num_examples,
    }))
    .filter(
      (s): s is { name: string; num_rows: number } =>
        typeof s.name === 'string' &&
        /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/.test(s.name) &&
        Number.isInteger(s.num_rows) &&
        (s.num_rows as number) >= 0,
    )
  if (kept.length === 0) return { num_datapoints: 0 }
  return { num_datapoints: kept.reduce((n, s) => n + s.num_rows, 0), splits: kept }
}
