import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildSparseIndex, type SourceItem, type SourceRegistry } from '#core/catalog'
import { generateSigningKey, loadPrivateKey } from '#core/index-format'
import type { HubConfig, ItemManifest, VersionManifest } from '#core/manifest'
import { type ItemRef, kindPlural, parseRef } from '#core/names'
import { blobKey } from '#core/blobs'
import { type ServedHub, serveHub } from '../../../scripts/serve-hub.ts'

/** Items of a test hub: `[kind/]ns/name` (models by default) -> version -> path -> bytes. */
export type TestItems = Record<string, Record<string, Record<string, Buffer | string>>>

/** Collections of a test hub: `ns/name` -> member references as item.yaml writes them. */
export type TestCollections = Record<string, string[]>

/**
 * Manifest fields beyond the files, keyed as TestItems: `[kind/]ns/name`
 * for item.yaml fields (status, pricing, dist-tags), `…@version` for a
 * version's (status, released).
 */
export type TestExtras = Record<string, Record<string, unknown>>

export interface TestHub {
  url: string
  /** The folder served: `index/`, `blobs/`. */
  root: string
  publicKey: string
  /** Every request the hub answered, in order. */
  requests: { method: string; path: string }[]
  /** Replaces what the hub serves; the latest version of each item is `latest`. */
  publish(items: TestItems, collections?: TestCollections, extras?: TestExtras): Promise<void>
  close(): Promise<void>
}

export const sha256 = (bytes: Buffer | string): string =>
  createHash('sha256').update(bytes).digest('hex')

/**
 * A signed static index and its blobs, served on loopback by the same server
 * `agora serve-hub` uses, for tests that pull for real.
 */
export async function startTestHub(
  items: TestItems,
  collections: TestCollections = {},
  extras: TestExtras = {},
): Promise<TestHub> {
  const root = await mkdtemp(join(tmpdir(), 'agora-test-hub-'))
  const key = generateSigningKey()
  const requests: TestHub['requests'] = []
  const publish = async (all: TestItems, lists: TestCollections = {}, more: TestExtras = {}) => {
    const entries = new Map<string, SourceItem>()
    for (const [text, versions] of Object.entries(all)) {
      const { kind, ns, name } = parseRef(text) as ItemRef
      const id = `${ns}/${name}`
      const manifests = new Map<string, VersionManifest>()
      for (const [version, files] of Object.entries(versions)) {
        const list = []
        for (const [path, bytes] of Object.entries(files)) {
          const blob = join(root, blobKey(sha256(bytes)))
          await mkdir(join(blob, '..'), { recursive: true })
          await writeFile(blob, bytes)
          list.push({ path, size: Buffer.byteLength(bytes), sha256: sha256(bytes) })
        }
        manifests.set(version, {
          version,
          files: list,
          ...more[`${text}@${version}`],
        } as VersionManifest)
      }
      const latest = [...manifests.keys()].at(-1) as string
      entries.set(`${kind}/${id}`, {
        ref: { kind, ns, name },
        dir: `registry/${kindPlural(kind)}/${ns.slice(0, 2)}/${id}`,
        item: {
          kind,
          id,
          title: name,
          summary: 's',
          owners: [ns],
          license: 'MIT',
          'dist-tags': { latest },
          ...more[text],
        } as ItemManifest,
        versions: manifests,
        results: [],
      })
    }
    for (const [id, refs] of Object.entries(lists)) {
      const [ns, name] = id.split('/') as [string, string]
      entries.set(`collection/${id}`, {
        ref: { kind: 'collection', ns, name },
        dir: `registry/collections/${ns.slice(0, 2)}/${id}`,
        item: {
          kind: 'collection',
          id,
          title: name,
          summary: 's',
          owners: [ns],
          license: 'CC0-1.0',
          items: refs.map((ref) => ({ ref })),
        } as ItemManifest,
        versions: new Map(),
        results: [],
      })
    }
    const registry: SourceRegistry = {
      root: '/repo',
      hub: { name: 'Test hub' } as HubConfig,
      owners: new Map(),
      items: entries,
    }
    await buildSparseIndex(registry, {
      outDir: root,
      signingKey: { privateKey: loadPrivateKey(key.privateKeyPem), keyId: key.keyId },
      commit: 'c'.repeat(40),
    })
  }
  await publish(items, collections, extras)
  const served: ServedHub = await serveHub({
    root,
    onRequest: (r) => requests.push({ method: r.method, path: r.path }),
  })
  return {
    url: served.url,
    root,
    publicKey: key.publicKey,
    requests,
    publish,
    async close() {
      await served.close()
      await rm(root, { recursive: true, force: true })
    },
  }
}
