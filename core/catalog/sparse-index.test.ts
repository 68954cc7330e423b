import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  canonicalJson,
  fillTemplate,
  generateSigningKey,
  type IndexConfig,
  type IndexItem,
  indexItemPath,
  keyIdOf,
  loadPrivateKey,
  loadPublicKey,
  openDocument,
  rawPublicKey,
  type SearchIndex,
  signBytes,
  verifyBytes,
} from '#core/index-format'
import type { HubConfig, ItemManifest, VersionManifest } from '#core/manifest'
import type { Kind } from '#core/names'
import { buildIndexItem, buildSparseIndex } from './sparse-index.ts'
import type { SourceItem, SourceRegistry } from './types.ts'

const HASH_A = 'a'.repeat(64)
const HASH_B = 'b'.repeat(64)

function item(
  kind: Kind,
  ns: string,
  name: string,
  versions: Record<string, VersionManifest>,
): SourceItem {
  const manifest = {
    kind,
    id: `${ns}/${name}`,
    title: name,
    summary: `the ${name} item`,
    owners: [ns],
    license: 'MIT',
    'dist-tags': { latest: Object.keys(versions).at(-1) as string },
  } as ItemManifest
  return {
    ref: { kind, ns, name },
    dir: `registry/${kind}s/${ns.slice(0, 2)}/${ns}/${name}`,
    item: manifest,
    versions: new Map(Object.entries(versions)),
    results: [],
  }
}

function registry(items: SourceItem[]): SourceRegistry {
  return {
    root: '/repo',
    hub: { name: 'Agora Test Hub' } as HubConfig,
    owners: new Map(),
    items: new Map(items.map((i) => [`${i.ref.kind}/${i.ref.ns}/${i.ref.name}`, i])),
  }
}

const tox = () =>
  item('model', 'acme', 'tox-gnn', {
    '1.0.0': { version: '1.0.0', files: [{ path: 'model.safetensors', size: 10, sha256: HASH_A }] },
    '1.1.0': {
      version: '1.1.0',
      released: '2026-01-02',
      files: [
        { path: 'model.safetensors', size: 12, sha256: HASH_B },
        { path: 'config.json', size: 10, sha256: HASH_A },
      ],
      status: { state: 'deprecated', reason: 'use 2.x' },
    },
  })

describe('core/index-format/signing', () => {
  it('signs and verifies, and refuses another key or altered bytes', () => {
    const key = generateSigningKey()
    const privateKey = loadPrivateKey(key.privateKeyPem)
    const publicKey = loadPublicKey(key.publicKey)
    const bytes = Buffer.from('{"a":1}')
    const signature = signBytes(bytes, privateKey)
    expect(verifyBytes(bytes, signature, publicKey)).toBe(true)
    expect(verifyBytes(Buffer.from('{"a":2}'), signature, publicKey)).toBe(false)
    expect(verifyBytes(bytes, signature, loadPublicKey(generateSigningKey().publicKey))).toBe(false)
    expect(verifyBytes(bytes, 'not base64 at all', publicKey)).toBe(false)
    expect(key.keyId).toBe(keyIdOf(key.publicKey))
    expect(key.keyId).toMatch(/^ed25519-[0-9a-f]{16}$/)
  })

  it('loads a private key from a base64 seed and derives its public key', () => {
    const seed = Buffer.alloc(32, 7).toString('base64')
    const privateKey = loadPrivateKey(seed)
    const publicKey = rawPublicKey(privateKey).toString('base64')
    expect(
      verifyBytes(
        Buffer.from('x'),
        signBytes(Buffer.from('x'), privateKey),
        loadPublicKey(publicKey),
      ),
    ).toBe(true)
  })

  it('says what is wrong with a key that is not Ed25519', () => {
    expect(() => loadPrivateKey('c2hvcnQ=')).toThrow(
      expect.objectContaining({ code: 'signing/bad-private-key' }),
    )
    expect(() => loadPublicKey('c2hvcnQ=')).toThrow(
      expect.objectContaining({ code: 'signing/bad-public-key' }),
    )
  })
})

describe('core/catalog/sparse-index', () => {
  let out: string
  const generated = generateSigningKey()
  const signingKey = { privateKey: loadPrivateKey(generated.privateKeyPem), keyId: 'agora-test' }
  const publicKey = loadPublicKey(generated.publicKey)

  beforeEach(async () => {
    out = await mkdtemp(join(tmpdir(), 'agora-index-'))
  })
  afterEach(async () => {
    await rm(out, { recursive: true, force: true })
  })

  it('writes canonical JSON with sorted keys', () => {
    expect(canonicalJson({ b: 1, a: [true, 'x', { d: null, c: 0.5 }], u: undefined })).toBe(
      '{"a":[true,"x",{"c":0.5,"d":null}],"b":1}',
    )
    expect(() => canonicalJson({ n: Number.NaN })).toThrow()
  })

  it("carries a collection's members and their pins in its signed document", async () => {
    const kit: SourceItem = {
      ...item('collection', 'curators', 'kit', {}),
      item: {
        kind: 'collection',
        id: 'curators/kit',
        title: 'kit',
        summary: 's',
        owners: ['curators'],
        license: 'CC0-1.0',
        items: [
          { ref: 'acme/tox-gnn@1.0.0', note: 'pinned' },
          { ref: 'datasets/acme/tox21@^1.0.0' },
          { ref: 'pipelines/acme/prep' },
        ],
      } as ItemManifest,
    }
    await buildSparseIndex(registry([tox(), kit]), { outDir: out, signingKey })
    const path = join(out, indexItemPath(kit.ref))
    const entry = openDocument<IndexItem>(await readFile(path, 'utf8'), { file: path, publicKey })
    expect(entry).toMatchObject({ kind: 'collection', id: 'curators/kit', versions: {} })
    expect(entry.members).toEqual([
      { kind: 'model', id: 'acme/tox-gnn', version: '1.0.0' },
      { kind: 'dataset', id: 'acme/tox21', version: '^1.0.0' },
      { kind: 'pipeline', id: 'acme/prep' },
    ])
    const model = join(out, indexItemPath(tox().ref))
    expect(openDocument<IndexItem>(await readFile(model, 'utf8'), { file: model }).members).toBe(
      undefined,
    )
  })

  it("carries the item's Hugging Face card fields, and none when it has none", () => {
    const lora: SourceItem = {
      ...item('lora', 'acme', 'tuned', {}),
      item: {
        kind: 'lora',
        id: 'acme/tuned',
        title: 'tuned',
        summary: 's',
        owners: ['acme'],
        license: 'MIT',
        base_model: 'hf:mistralai/Mistral-7B-v0.3',
        base_model_relation: 'adapter',
        datasets: ['datasets/acme/tox21'],
        domain: 'chemistry',
      } as ItemManifest,
    }
    expect(buildIndexItem(lora).card).toEqual({
      base_model: 'hf:mistralai/Mistral-7B-v0.3',
      base_model_relation: 'adapter',
      datasets: ['datasets/acme/tox21'],
    })
    expect(buildIndexItem(tox()).card).toBeUndefined()
  })

  it('fills URL templates', () => {
    expect(
      fillTemplate('{base}/blobs/sha256/{prefix}/{sha256}', { base: 'http://h', sha256: HASH_A }),
    ).toBe(`http://h/blobs/sha256/aa/${HASH_A}`)
    expect(
      fillTemplate('{base}/index/{kinds}/{shard}/{ns}/{name}.json', {
        base: 'b',
        kinds: 'models',
        ns: 'acme',
        name: 'x',
      }),
    ).toBe('b/index/models/ac/acme/x.json')
  })

  it('writes config.json, one signed file per item and the signed search document', async () => {
    const result = await buildSparseIndex(
      registry([
        tox(),
        item('dataset', 'zoo', 'cells', {
          '0.1.0': { version: '0.1.0', files: [], num_datapoints: 3 } as VersionManifest,
        }),
      ]),
      {
        outDir: out,
        signingKey,
        commit: 'c0ffee',
      },
    )
    expect(result.written).toEqual([
      'index/config.json',
      'index/datasets/zo/zoo/cells.json',
      'index/models/ac/acme/tox-gnn.json',
      'index/search.json',
    ])
    const configText = await readFile(join(out, 'index/config.json'), 'utf8')
    const config = openDocument<IndexConfig>(configText, { file: 'config.json', publicKey })
    expect(config).toEqual({
      v: 1,
      hub: 'Agora Test Hub',
      blobs: '{base}/blobs/sha256/{prefix}/{sha256}',
      items: '{base}/index/{kinds}/{shard}/{ns}/{name}.json',
      search: '{base}/index/search.json',
      key_id: 'agora-test',
      public_key: generated.publicKey,
      commit: 'c0ffee',
    })
    const path = indexItemPath({ kind: 'model', ns: 'acme', name: 'tox-gnn' })
    const text = await readFile(join(out, path), 'utf8')
    expect(text).toBe(canonicalJson(JSON.parse(text)))
    const entry = openDocument<IndexItem>(text, { file: path, publicKey })
    expect(entry).toEqual({
      v: 1,
      kind: 'model',
      id: 'acme/tox-gnn',
      commit: 'c0ffee',
      'dist-tags': { latest: '1.1.0' },
      title: 'tox-gnn',
      summary: 'the tox-gnn item',
      owners: ['acme'],
      license: 'MIT',
      versions: {
        '1.0.0': { files: [{ path: 'model.safetensors', size: 10, sha256: HASH_A }] },
        '1.1.0': {
          released: '2026-01-02',
          status: { state: 'deprecated', reason: 'use 2.x' },
          files: [
            { path: 'model.safetensors', size: 12, sha256: HASH_B },
            { path: 'config.json', size: 10, sha256: HASH_A },
          ],
        },
      },
    })
    const searchText = await readFile(join(out, 'index/search.json'), 'utf8')
    expect(openDocument<SearchIndex>(searchText, { file: 'search.json', publicKey })).toEqual({
      v: 1,
      hub: 'Agora Test Hub',
      commit: 'c0ffee',
      items: [
        {
          kind: 'dataset',
          id: 'zoo/cells',
          title: 'cells',
          summary: 'the cells item',
          owners: ['zoo'],
          license: 'MIT',
          latest: '0.1.0',
        },
        {
          kind: 'model',
          id: 'acme/tox-gnn',
          title: 'tox-gnn',
          summary: 'the tox-gnn item',
          owners: ['acme'],
          license: 'MIT',
          formats: ['safetensors', 'json'],
          latest: '1.1.0',
          created: '2026-01-02',
          updated: '2026-01-02',
          trending: 1,
        },
      ],
    })
  })

  it('leaves unchanged files alone, rewrites changed ones and removes gone items', async () => {
    const other = item('model', 'acme', 'other', { '1.0.0': { version: '1.0.0', files: [] } })
    await buildSparseIndex(registry([tox(), other]), { outDir: out, signingKey })
    const configPath = join(out, 'index/config.json')
    const before = (await stat(configPath)).mtimeMs
    await writeFile(join(out, 'index/unrelated.txt'), 'kept')
    const changed = tox()
    changed.item['dist-tags'] = { latest: '1.0.0' }
    const again = await buildSparseIndex(registry([changed]), { outDir: out, signingKey })
    expect(again).toEqual({
      // The search document lists items, so it changes with them.
      written: ['index/models/ac/acme/tox-gnn.json', 'index/search.json'],
      unchanged: ['index/config.json'],
      removed: ['index/models/ac/acme/other.json'],
    })
    expect((await stat(configPath)).mtimeMs).toBe(before)
    expect(await readFile(join(out, 'index/unrelated.txt'), 'utf8')).toBe('kept')
  })

  it('refuses a tampered document, an unsigned one and a foreign key', async () => {
    await buildSparseIndex(registry([tox()]), { outDir: out, signingKey })
    const path = indexItemPath({ kind: 'model', ns: 'acme', name: 'tox-gnn' })
    const text = await readFile(join(out, path), 'utf8')
    const tampered = text.replace(HASH_B, 'c'.repeat(64))
    expect(() => openDocument(tampered, { file: path, publicKey })).toThrow(
      expect.objectContaining({
        code: 'index/bad-signature',
        message: `${path}: signature by key "agora-test" does not verify`,
      }),
    )
    const stranger = loadPublicKey(generateSigningKey().publicKey)
    expect(() => openDocument(text, { file: path, publicKey: stranger })).toThrow(
      expect.objectContaining({ code: 'index/bad-signature' }),
    )
    const unsigned = JSON.stringify({ signed: JSON.parse(text).signed })
    expect(() => openDocument(unsigned, { file: path, publicKey })).toThrow(
      expect.objectContaining({ code: 'index/unsigned' }),
    )
    expect(openDocument<IndexItem>(unsigned, { file: path }).id).toBe('acme/tox-gnn')
    expect(() => openDocument('<html>', { file: path })).toThrow(
      expect.objectContaining({ code: 'index/malformed' }),
    )
    expect(() => openDocument('{"signed":{"v":99}}', { file: path })).toThrow(
      expect.objectContaining({ code: 'index/unsupported-version' }),
    )
  })
})
