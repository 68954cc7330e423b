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
import type { TestHub } from '../client/__fixtures__/test-hub.ts'
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
