import { createHash } from 'node:crypto'
import semver from 'semver'
import { stringify } from 'yaml'
import type {
  BenchmarkItem,
  FileEntry,
  HubConfig,
  ItemManifest,
  OwnerManifest,
  ResultManifest,
  VersionManifest,
} from '#core/manifest'
import { type ItemRef, itemDir, ownerPath, parseRef } from '#core/names'
import { type CardText, renderCard } from './card.ts'
import type { GeneratedFile } from './llm.ts'

/** A version as the catalog writes it: the manifest without `files`, and the real bytes. */
export interface SampleVersionDef {
  manifest: Omit<VersionManifest, 'files'> & Record<string, unknown>
  files: GeneratedFile[]
}

/** One item of the sample hub: its manifest, card, versions with bytes, and results. */
export interface SampleItemDef {
  item: ItemManifest
  card: CardText
  versions: SampleVersionDef[]
  results?: ResultManifest[]
}

export interface SampleHubDef {
  hub: HubConfig
  owners: { ns: string; manifest: OwnerManifest }[]
  items: SampleItemDef[]
}

/** The files of one published version, as a contributor would upload them. */
export interface SampleArtifact {
  ref: ItemRef
  version: string
  files: { path: string; bytes: Uint8Array; sha256: string; private: boolean }[]
}

/** A registry document: path relative to `registry/`, and its text. */
export interface SampleDocument {
  path: string
  text: string
}

export interface SampleHub {
  documents: SampleDocument[]
  artifacts: SampleArtifact[]
}

/**
 * Lower-case hex SHA-256 of bytes.
 *
 * @example sha256Hex(new Uint8Array()) // 'e3b0c442…'
 */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Relative path from a registry document to its JSON Schema, for the editor header. */
function schemaHeader(docPath: string, schema: string): string {
  const depth = docPath.split('/').length - 1
  const up = depth === 0 ? './' : '../'.repeat(depth)
  return `# yaml-language-server: $schema=${up}schemas/${schema}.schema.json\n`
}

/**
 * A YAML document with the schema header, block style, no line folding, so
 * the output is stable and reads like hand-written manifests.
 *
 * @example yamlDocument('owners/acme.yaml', 'owner', { type: 'org' })
 */
export function yamlDocument(docPath: string, schema: string, value: unknown): string {
  return (
    schemaHeader(docPath, schema) + stringify(value, { lineWidth: 0, aliasDuplicateObjects: false })
  )
}

function isPaid(item: ItemManifest): boolean {
  return item.pricing !== undefined && item.pricing.model !== 'free'
}

function refOf(item: ItemManifest): ItemRef {
  const [ns = '', name = ''] = item.id.split('/')
  return { kind: item.kind, ns, name }
}

/** Identity and licence first, lineage next, kind-specific fields, then links and state. */
const HEAD_KEYS = [
  'kind',
  'id',
  'title',
  'summary',
  'owners',
  'tags',
  'domain',
  'license',
  'license_name',
  'license_link',
  'pricing',
  'base_model',
  'base_model_revision',
  'base_model_relation',
  'forked_from',
  'datasets',
]
const TAIL_KEYS = ['links', 'citation', 'dist-tags', 'status']

/**
 * Orders an item's keys the same way in every item.yaml, so files read
 * alike and diffs stay small, and sets `dist-tags.latest` to the highest
 * non-yanked version unless the catalog pinned one.
 */
function canonicalItem(item: ItemManifest, versions: SampleVersionDef[]): ItemManifest {
  const source: Record<string, unknown> = { ...item }
  if (item.kind !== 'collection') {
    const usable = versions
      .filter((v) => v.manifest.status?.state !== 'yanked')
      .map((v) => v.manifest.version)
    const latest = semver.rsort([...usable])[0]
    source['dist-tags'] = { ...(latest ? { latest } : {}), ...(item['dist-tags'] ?? {}) }
  }
  const out: Record<string, unknown> = {}
  for (const k of HEAD_KEYS) if (k in source) out[k] = source[k]
  for (const k of Object.keys(source))
    if (!HEAD_KEYS.includes(k) && !TAIL_KEYS.includes(k)) out[k] = source[k]
  for (const k of TAIL_KEYS) if (k in source) out[k] = source[k]
  return out as unknown as ItemManifest
}

/**
 * Adds Hugging Face `model-index` front matter for items with results, so
 * the scores travel with the card: one entry per benchmark, its task, the
 * benchmark as dataset, each score as a metric with its `verified` flag.
 */
function modelIndexCard(it: SampleItemDef, benchmarks: Map<string, BenchmarkItem>): CardText {
  if (!it.results?.length) return it.card
  const results = it.results.map((r) => {
    const ref = parseRef(r.benchmark, 'benchmark')
    const bench = ref ? benchmarks.get(`${ref.ns}/${ref.name}`) : undefined
    return {
      task: { type: bench?.task ?? 'other' },
      dataset: {
        type: r.benchmark,
        name: bench?.title ?? r.benchmark,
        ...(r.benchmark_version ? { revision: r.benchmark_version } : {}),
      },
      metrics: Object.entries(r.scores).map(([type, value]) => ({
        type,
        value,
        verified: r.verified === true,
      })),
      ...(r.source?.url || r.source?.name
        ? {
            source: {
              ...(r.source.name ? { name: r.source.name } : {}),
              ...(r.source.url ? { url: r.source.url } : {}),
            },
          }
        : {}),
    }
  })
  const frontMatter = {
    ...(it.card.frontMatter ?? {}),
    'model-index': [{ name: it.item.id, results }],
  }
  return { ...it.card, frontMatter }
}

/**
 * Turns the catalog into registry documents and artifacts: hashes every
 * file, writes `files` entries ({path, size, sha256, private}) into the
 * version manifests, and lays out paths with `itemDir`. Pure: same input,
 * same output.
 *
 * @example renderSampleHub(sampleHubDef()).documents.length
 */
export function renderSampleHub(def: SampleHubDef): SampleHub {
  const documents: SampleDocument[] = [
    { path: 'agora.yaml', text: yamlDocument('agora.yaml', 'hub', def.hub) },
  ]
  for (const o of def.owners) {
    const path = ownerPath(o.ns)
    documents.push({ path, text: yamlDocument(path, 'owner', o.manifest) })
  }
  const artifacts: SampleArtifact[] = []
  const benchmarks = new Map<string, BenchmarkItem>()
  for (const it of def.items) if (it.item.kind === 'benchmark') benchmarks.set(it.item.id, it.item)
  for (const it of def.items) {
    const ref = refOf(it.item)
    const dir = itemDir(ref)
    const itemPath = `${dir}/item.yaml`
    documents.push({
      path: itemPath,
      text: yamlDocument(itemPath, 'item', canonicalItem(it.item, it.versions)),
    })
    const card = modelIndexCard(it, benchmarks)
    const latest = latestVersion(it.item, it.versions)
    const latestManifest = it.versions.find((v) => v.manifest.version === latest)?.manifest
    documents.push({
      path: `${dir}/README.md`,
      text: renderCard(it.item, latest, card, latestManifest),
    })
    const priv = isPaid(it.item)
    for (const v of it.versions) {
      const files = v.files.map((f) => ({
        path: f.path,
        bytes: f.bytes,
        sha256: sha256Hex(f.bytes),
        private: priv,
      }))
      const entries: FileEntry[] = files.map((f) => ({
        path: f.path,
        size: f.bytes.length,
        sha256: f.sha256,
        ...(priv ? { private: true } : {}),
      }))
      const { status, ...head } = v.manifest
      const manifest = { ...head, files: entries, ...(status ? { status } : {}) }
      const path = `${dir}/versions/${v.manifest.version}.yaml`
      documents.push({ path, text: yamlDocument(path, 'version', manifest) })
      artifacts.push({ ref, version: v.manifest.version, files })
    }
    for (const r of it.results ?? []) {
      const bench = parseRef(r.benchmark, 'benchmark')
      if (!bench) throw new Error(`bad benchmark ref ${r.benchmark}`)
      const path = `${dir}/results/${bench.ns}/${bench.name}.yaml`
      documents.push({ path, text: yamlDocument(path, 'result', r) })
    }
  }
  documents.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return { documents, artifacts }
}

/**
 * The version `latest` resolves to: the catalog's pin, else the highest
 * version that is not yanked.
 *
 * @example latestVersion(item, versions) // '1.2.0'
 */
export function latestVersion(
  item: ItemManifest,
  versions: readonly SampleVersionDef[],
): string | undefined {
  const pinned = item['dist-tags']?.latest
  if (pinned) return pinned
  const usable = versions
    .filter((v) => v.manifest.status?.state !== 'yanked')
    .map((v) => v.manifest.version)
  return semver.rsort([...usable])[0]
}

/**
 * Assembles one catalog entry; its README card is rendered with the whole
 * hub in view (for `model-index`).
 *
 * @example defineItem(item, [version], { about: '…', limitations: '…' })
 */
export function defineItem(
  item: ItemManifest,
  versions: SampleVersionDef[],
  card: CardText,
  results?: ResultManifest[],
): SampleItemDef {
  return { item, versions, card, ...(results ? { results } : {}) }
}
