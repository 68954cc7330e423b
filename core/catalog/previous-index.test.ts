import { createPublicKey } from 'node:crypto'
import { readdir, readFile, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  generateSigningKey,
  type IndexConfig,
  type IndexItem,
  indexItemPath,
  loadPrivateKey,
  sealDocument,
} from '#core/index-format'
import type { HubConfig, ItemManifest, VersionManifest } from '#core/manifest'
import { fetchPreviousIndex } from './previous-index.ts'
import { buildSparseIndex } from './sparse-index.ts'
import type { SourceItem, SourceRegistry } from './types.ts'

const HASH = 'a'.repeat(64)
const key = { privateKey: loadPrivateKey(generateSigningKey().privateKeyPem), keyId: 'hub' }
const publicKey = createPublicKey(key.privateKey)
const TOX = indexItemPath({ kind: 'model', ns: 'acme', name: 'tox' })
const GNN = indexItemPath({ kind: 'model', ns: 'acme', name: 'gnn' })

function item(
  name: string,
  versions: Record<string, VersionManifest>,
  license = 'MIT',
): SourceItem {
  return {
    ref: { kind: 'model', ns: 'acme', name },
    dir: `registry/models/ac/acme/${name}`,
    item: {
      kind: 'model',
      id: `acme/${name}`,
      title: name,
      summary: `the ${name} model`,
      owners: ['acme'],
      license,
      'dist-tags': { latest: Object.keys(versions).at(-1) as string },
    } as ItemManifest,
    versions: new Map(Object.entries(versions)),
    results: [],
  }
}

const v1 = { '1.0.0': { version: '1.0.0', files: [{ path: 'm.onnx', size: 3, sha256: HASH }] } }
const registry = (items: SourceItem[]): SourceRegistry => ({
  root: '/repo',
  hub: { name: 'Test Hub' } as HubConfig,
  owners: new Map(),
  items: new Map(items.map((i) => [`model/acme/${i.ref.name}`, i])),
})

/** Every file a build wrote under out/, by served path. */
async function published(out: string): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) await walk(path)
      else files.set(relative(out, path), await readFile(path, 'utf8'))
    }
  }
  await walk(join(out, 'index'))
  return files
}

describe('core/catalog/previous-index', () => {
  let site: Map<string, string>
  const requested: string[] = []
  let server: Server
  let base: string
  const dirs: string[] = []
  const dir = () => {
    const path = join(tmpdir(), `agora-previous-${process.pid}-${dirs.length}`)
    dirs.push(path)
    return path
  }

  beforeAll(async () => {
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://x')
      requested.push(`${url.pathname}${url.search}`)
      const text = site.get(url.pathname.slice(1))
      response.writeHead(text === undefined ? 404 : 200).end(text)
    })
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  })
  afterAll(() => new Promise((done) => server.close(done)))
  beforeEach(async () => {
    requested.length = 0
    const out = dir()
    await buildSparseIndex(registry([item('tox', v1), item('gnn', v1)]), {
      outDir: out,
      signingKey: key,
      commit: 'a'.repeat(40),
      sequence: 100,
    })
    site = await published(out)
  })
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })))
  })

  /** Builds into an empty folder on top of what the site serves. */
  async function deploy(items: SourceItem[], sequence: number, commits?: string[]) {
    const fetched = await fetchPreviousIndex({ base, publicKey, sequence, commits })
    const out = dir()
    await buildSparseIndex(registry(items), {
      outDir: out,
      signingKey: key,
      commit: 'b'.repeat(40),
      sequence,
      previous: fetched.previous,
    })
    const files = await published(out)
    const config = JSON.parse(files.get('index/config.json') as string).signed as IndexConfig
    return { fetched, files, config }
  }

  it('keeps the bytes of unchanged item documents in a build from an empty folder', async () => {
    const { fetched, files, config } = await deploy([item('tox', v1), item('gnn', v1)], 200)
    expect(fetched.reason).toBeUndefined()
    expect(files.get(TOX)).toBe(site.get(TOX))
    expect(files.get(GNN)).toBe(site.get(GNN))
    expect(config).toMatchObject({ sequence: 200, item_floor: 100 })
    // Every request carried a token, so a CDN cannot answer with an older copy.
    expect(requested.length).toBe(4)
    expect(requested.every((r) => /\?previous=[a-z0-9]+$/.test(r))).toBe(true)
  })

  it('still raises the floor when the deployed index shows something was taken away', async () => {
    const relicensed = await deploy([item('tox', v1, 'Apache-2.0'), item('gnn', v1)], 200)
    expect(relicensed.config.item_floor).toBe(200)
    expect(relicensed.files.get(GNN)).not.toBe(site.get(GNN))
    const removed = await deploy([item('tox', v1)], 200)
    expect(removed.config.item_floor).toBe(200)
  })

  it('builds on nothing when nothing is published yet', async () => {
    site.clear()
    const { fetched, files, config } = await deploy([item('tox', v1)], 200)
    expect(fetched.reason).toBe(`no index published at ${base.replace(/\/$/, '')} yet`)
    expect(config.item_floor).toBe(200)
    expect(JSON.parse(files.get(TOX) as string).signed.sequence).toBe(200)
  })

  const hostile: [string, () => void, RegExp][] = [
    [
      'a config.json signed by another key',
      () => {
        const other = { privateKey: loadPrivateKey(generateSigningKey().privateKeyPem), keyId: 'x' }
        const config = JSON.parse(site.get('index/config.json') as string).signed
        site.set('index/config.json', sealDocument({ ...config, item_floor: 0 }, other))
      },
      /signature by key "x" does not verify/,
    ],
    [
      'an unsigned config.json',
      () => {
        const config = JSON.parse(site.get('index/config.json') as string).signed
        site.set('index/config.json', JSON.stringify({ signed: config }))
      },
      /carries no signature/,
    ],
    [
      'a search.json from another build',
      () => {
        const search = JSON.parse(site.get('index/search.json') as string).signed
        site.set('index/search.json', sealDocument({ ...search, sequence: 99 }, key))
      },
      /search\.json and config\.json come from different builds/,
    ],
    [
      'a search.json that leaves an item out (a removal the floor would miss)',
      () => {
        const search = JSON.parse(site.get('index/search.json') as string).signed
        search.items = search.items.filter((e: { id: string }) => e.id !== 'acme/gnn')
        site.set('index/search.json', JSON.stringify({ signed: search }))
      },
      /carries no signature/,
    ],
    [
      'an item document that is missing',
      () => site.delete(GNN),
      /^index\/models\/ac\/acme\/gnn\.json is not at .*gnn\.json\?previous=\w+ \(404\)$/,
    ],
    [
      'an item document of another item',
      () => site.set(GNN, site.get(TOX) as string),
      /gnn\.json is not model acme\/gnn/,
    ],
    [
      'an item document below the floor',
      () => {
        const doc = JSON.parse(site.get(GNN) as string).signed as IndexItem
        site.set(GNN, sealDocument({ ...doc, sequence: 50 }, key))
      },
      /gnn\.json has a sequence outside 100–100/,
    ],
    [
      'a search entry that is not an item id',
      () => {
        const search = JSON.parse(site.get('index/search.json') as string).signed
        search.items.push({ kind: 'model', id: '../../etc/passwd' })
        site.set('index/search.json', sealDocument(search, key))
      },
      /lists an entry that is not an item id/,
    ],
  ]
  for (const [what, spoil, reason] of hostile) {
    it(`rewrites every document, keeping nothing, for ${what}`, async () => {
      spoil()
      const { fetched, files, config } = await deploy([item('tox', v1), item('gnn', v1)], 200)
      expect(fetched.reason).toMatch(reason)
      expect(fetched.previous).toBeUndefined()
      expect(config.item_floor).toBe(200)
      expect(JSON.parse(files.get(GNN) as string).signed.sequence).toBe(200)
    })
  }

  it('does not build on a stale index of a commit before its parent', async () => {
    // Commit c (sequence 150) added 2.0.0 and was published; commit b takes 2.0.0 away
    // again, but the site still answers with the index of commit a (sequence 100).
    const v2 = {
      ...v1,
      '2.0.0': { version: '2.0.0', files: [{ path: 'm.onnx', size: 3, sha256: HASH }] },
    }
    const later = dir()
    await buildSparseIndex(registry([item('tox', v2), item('gnn', v1)]), {
      outDir: later,
      signingKey: key,
      commit: 'c'.repeat(40),
      sequence: 150,
    })
    const replay = JSON.parse((await published(later)).get(TOX) as string).signed
    expect(Object.keys(replay.versions)).toContain('2.0.0')
    const { fetched, config } = await deploy([item('tox', v1), item('gnn', v1)], 200, [
      'b'.repeat(40),
      'c'.repeat(40),
    ])
    expect(fetched.reason).toMatch(
      /built from commit aaaaaaaaaaaa, not this build's commit or its parent/,
    )
    // Clients refuse the sequence-150 document that still offers 2.0.0.
    expect(config.item_floor).toBeGreaterThan(replay.sequence)
  })

  it('builds on the published index of its parent commit', async () => {
    const { fetched, config } = await deploy([item('tox', v1), item('gnn', v1)], 200, [
      'b'.repeat(40),
      'a'.repeat(40),
    ])
    expect(fetched.previous?.items.size).toBe(2)
    expect(config.item_floor).toBe(100)
  })

  it('does not build on a published index newer than the build', async () => {
    const { fetched, config } = await deploy([item('tox', v1), item('gnn', v1)], 90)
    expect(fetched.reason).toBe('it is newer (sequence 100) than this build (90)')
    expect(config.item_floor).toBe(90)
  })
})
