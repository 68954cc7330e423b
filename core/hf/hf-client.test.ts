import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  datasetInfo,
  downloadFile,
  fileExists,
  listFiles,
  modelInfo,
  snapshotDownload,
} from '@huggingface/hub'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestHub, type TestHub } from '../client/__fixtures__/test-hub.ts'
import { FILES, startHfHub } from './__fixtures__/hf-hub.ts'

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex')

// The Hub's own JavaScript client, unmodified, pointed at the hub with `hubUrl`.
describe('core/hf with @huggingface/hub', () => {
  let hub: TestHub
  let cache: string
  beforeAll(async () => {
    hub = await startHfHub()
    cache = await mkdtemp(join(tmpdir(), 'agora-hf-cache-'))
  })
  afterAll(async () => {
    await hub.close()
    await rm(cache, { recursive: true, force: true })
  })

  it('downloads a model file whose bytes hash to the index', async () => {
    const blob = await downloadFile({
      repo: 'acme/tox-gnn',
      path: 'model.safetensors',
      hubUrl: hub.url,
    })
    expect(blob).not.toBeNull()
    const bytes = new Uint8Array(await (blob as Blob).arrayBuffer())
    expect(sha256(bytes)).toBe(sha256(FILES.newWeights))
    const old = await downloadFile({
      repo: 'acme/tox-gnn',
      path: 'model.safetensors',
      revision: '1.0.0',
      hubUrl: hub.url,
    })
    expect(sha256(new Uint8Array(await (old as Blob).arrayBuffer()))).toBe(sha256(FILES.weights))
    expect(
      await downloadFile({ repo: 'acme/tox-gnn', path: 'nope.bin', hubUrl: hub.url }),
    ).toBeNull()
  })

  it('lists files with their SHA-256 and reads model info', async () => {
    const files = []
    for await (const entry of listFiles({ repo: 'acme/tox-gnn', hubUrl: hub.url }))
      files.push(entry)
    expect(files.map((f) => [f.path, f.lfs?.oid])).toEqual([
      ['config.json', sha256(FILES.config)],
      ['model.safetensors', sha256(FILES.newWeights)],
    ])
    const info = await modelInfo({
      name: 'acme/tox-gnn',
      hubUrl: hub.url,
      additionalFields: ['sha'],
    })
    expect(info).toMatchObject({ name: 'acme/tox-gnn', task: 'graph-ml', private: false })
    expect(info.sha).toMatch(/^[0-9a-f]{40}$/)
    const lora = await modelInfo({
      name: 'acme/smiles-lora',
      hubUrl: hub.url,
      additionalFields: ['library_name', 'cardData'],
    })
    expect(lora.library_name).toBe('peft')
    expect(lora.cardData).toMatchObject({ base_model: 'mistralai/Mistral-7B-v0.3' })
  })

  it('tells files that exist from files that do not', async () => {
    expect(await fileExists({ repo: 'acme/tox-gnn', path: 'config.json', hubUrl: hub.url })).toBe(
      true,
    )
    expect(await fileExists({ repo: 'acme/tox-gnn', path: 'nope.json', hubUrl: hub.url })).toBe(
      false,
    )
    expect(
      await fileExists({
        repo: { type: 'dataset', name: 'acme/tox21' },
        path: 'data/train.csv',
        hubUrl: hub.url,
      }),
    ).toBe(true)
  })

  it.each([
    [
      'a model',
      'acme/tox-gnn',
      'model',
      { 'model.safetensors': FILES.newWeights, 'config.json': FILES.config },
    ],
    [
      'a dataset',
      'acme/tox21',
      'dataset',
      { 'data/train.csv': FILES.train, 'data/test.csv': FILES.test },
    ],
    [
      'a LoRA',
      'acme/smiles-lora',
      'model',
      { 'adapter_config.json': FILES.adapter, 'adapter_model.safetensors': FILES.adapterWeights },
    ],
  ] as const)(
    'snapshot-downloads %s into the Hub cache layout, every file hashing right',
    async (_what, name, type, files) => {
      const folder = await snapshotDownload({
        repo: { type, name },
        hubUrl: hub.url,
        cacheDir: cache,
      })
      const repoFolder = `${type}s--${name.replace('/', '--')}`
      expect(folder).toContain(join(cache, repoFolder, 'snapshots'))
      for (const [path, bytes] of Object.entries(files)) {
        expect(sha256(await readFile(join(folder, path)))).toBe(sha256(bytes))
        // The cache blob is named by the ETag: the file's SHA-256.
        expect(await readFile(join(cache, repoFolder, 'blobs', sha256(bytes)))).toEqual(
          Buffer.from(bytes),
        )
      }
      const ref = await readFile(join(cache, repoFolder, 'refs', 'main'), 'utf8')
      expect(folder.endsWith(ref)).toBe(true)
    },
  )

  it('reads dataset info', async () => {
    const info = await datasetInfo({
      name: 'acme/tox21',
      hubUrl: hub.url,
      additionalFields: ['sha'],
    })
    expect(info).toMatchObject({ name: 'acme/tox21' })
    expect(info.sha).toMatch(/^[0-9a-f]{40}$/)
  })
})

describe('core/hf with @huggingface/hub: a tree larger than one page', () => {
  // More entries than the Hub's 1000 per page (50 when expanded): 1,200 files in 3 folders.
  const files = Object.fromEntries(
    Array.from({ length: 1200 }, (_, i) => [
      `shard-${i % 3}/part-${String(i).padStart(4, '0')}.bin`,
      `${i}`,
    ]),
  )
  let hub: TestHub
  beforeAll(async () => {
    hub = await startTestHub({ 'acme/many': { '1.0.0': files } })
  })
  afterAll(() => hub.close())

  const list = async (options: { recursive?: boolean; expand?: boolean; path?: string }) => {
    const out = []
    for await (const entry of listFiles({ repo: 'acme/many', hubUrl: hub.url, ...options }))
      out.push(entry)
    return out
  }
  const pages = (expand: boolean) =>
    hub.requests.filter(
      (r) =>
        r.path.startsWith('/api/models/acme/many/tree/') && r.path.includes(`expand=${expand}`),
    ).length

  it('follows the Link header through every page of a recursive listing', async () => {
    const entries = await list({ recursive: true })
    const paths = entries.filter((e) => e.type === 'file').map((e) => e.path)
    expect(paths.sort()).toEqual(Object.keys(files).sort())
    expect(entries.filter((e) => e.type === 'directory').map((e) => e.path)).toEqual([
      'shard-0',
      'shard-1',
      'shard-2',
    ])
    expect(new Set(entries.map((e) => e.path)).size).toBe(1203)
    expect(pages(false)).toBe(2)
    const first = entries.find((e) => e.path === 'shard-1/part-0001.bin')
    expect(first?.lfs?.oid).toBe(sha256('1'))
  })

  it('pages an expanded listing of one folder 50 entries at a time', async () => {
    const before = pages(true)
    const entries = await list({ path: 'shard-2', expand: true })
    expect(entries).toHaveLength(400)
    expect(entries.every((e) => e.path.startsWith('shard-2/') && e.lastCommit !== undefined)).toBe(
      true,
    )
    expect(pages(true) - before).toBe(8)
  })
})
