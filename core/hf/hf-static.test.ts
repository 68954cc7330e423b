import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
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
import { hasNginx, startNginx, type TempNginx } from './__fixtures__/nginx.ts'
import { planStaticHub } from './static-hub.ts'
import { type StaticHubResult, writeStaticHub } from './write-static-hub.ts'

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex')

// The static build of the Hub protocol, served by a real nginx with the
// generated include; blobs come from another loopback server (the test
// hub's), as from a blob store. The Hub's JavaScript client is unmodified.
describe.skipIf(!hasNginx())('core/hf static build on nginx with @huggingface/hub', () => {
  let hub: TestHub
  let nginx: TempNginx
  let written: StaticHubResult
  let cache: string
  beforeAll(async () => {
    hub = await startHfHub()
    written = await writeStaticHub({ root: hub.root, publicKey: hub.publicKey, blobBase: hub.url })
    nginx = await startNginx(hub.root, join(hub.root, 'nginx-hf.conf'))
    cache = await mkdtemp(join(tmpdir(), 'agora-hf-static-cache-'))
  })
  afterAll(async () => {
    await nginx?.close()
    await hub?.close()
    await rm(cache, { recursive: true, force: true })
  })

  it('writes one repository per Hub id, a model winning over a LoRA of the same id', () => {
    // tox-gnn, paid-gnn, twin (the model), smiles-lora; tox21.
    expect(written.repos).toBe(5)
  })

  it('downloads model files at main, a version and a dist-tag, bytes hashing to the index', async () => {
    for (const [revision, bytes] of [
      [undefined, FILES.newWeights],
      ['1.0.0', FILES.weights],
      ['stable', FILES.weights],
    ] as const) {
      const blob = await downloadFile({
        repo: 'acme/tox-gnn',
        path: 'model.safetensors',
        ...(revision ? { revision } : {}),
        hubUrl: nginx.url,
      })
      expect(sha256(new Uint8Array(await (blob as Blob).arrayBuffer()))).toBe(sha256(bytes))
    }
    expect(
      await downloadFile({ repo: 'acme/tox-gnn', path: 'nope.bin', hubUrl: nginx.url }),
    ).toBeNull()
  })

  it('redirects resolve to the blob store with the Hub headers on the redirect itself', async () => {
    const info = await modelInfo({
      name: 'acme/tox-gnn',
      hubUrl: nginx.url,
      additionalFields: ['sha'],
    })
    for (const method of ['GET', 'HEAD']) {
      const response = await fetch(`${nginx.url}/acme/tox-gnn/resolve/main/model.safetensors`, {
        method,
        redirect: 'manual',
      })
      expect(response.status).toBe(302)
      expect(response.headers.get('location')).toBe(
        `${hub.url}/blobs/sha256/${sha256(FILES.newWeights).slice(0, 2)}/${sha256(FILES.newWeights)}`,
      )
      expect(response.headers.get('x-repo-commit')).toBe(info.sha)
      expect(response.headers.get('x-linked-etag')).toBe(`"${sha256(FILES.newWeights)}"`)
      expect(response.headers.get('etag')).toBe(`"${sha256(FILES.newWeights)}"`)
      expect(response.headers.get('x-linked-size')).toBe(String(FILES.newWeights.length))
    }
    // The commit itself is a revision too.
    const pinned = await fetch(`${nginx.url}/acme/tox-gnn/resolve/${info.sha}/config.json`, {
      redirect: 'manual',
    })
    expect(pinned.headers.get('x-repo-commit')).toBe(info.sha)
  })

  it('answers what is missing with 404 and the X-Error-Code clients read', async () => {
    const code = async (path: string) => {
      const response = await fetch(`${nginx.url}${path}`, { redirect: 'manual' })
      return [response.status, response.headers.get('x-error-code')]
    }
    expect(await code('/acme/tox-gnn/resolve/main/nope.bin')).toEqual([404, 'EntryNotFound'])
    expect(await code('/acme/tox-gnn/resolve/9.9.9/config.json')).toEqual([404, 'RevisionNotFound'])
    expect(await code('/acme/nothing/resolve/main/config.json')).toEqual([404, 'RepoNotFound'])
    expect(await code('/api/models/acme/nothing/revision/main')).toEqual([404, 'RepoNotFound'])
    expect(await code('/api/models/acme/tox-gnn/revision/9.9.9')).toEqual([404, 'RevisionNotFound'])
    expect(await code('/api/datasets/acme/tox21/tree/main/nope')).toEqual([404, 'EntryNotFound'])
    expect(await code('/acme/paid-gnn/resolve/main/weights.safetensors')).toEqual([
      401,
      'GatedRepo',
    ])
    // The static catalog API beside it is untouched.
    expect(await code('/api/models/page/1.json')).toEqual([404, null])
  })

  it('lists files with their SHA-256, children or recursively', async () => {
    const list = async (recursive: boolean) => {
      const out = []
      for await (const entry of listFiles({
        repo: { type: 'dataset', name: 'acme/tox21' },
        recursive,
        hubUrl: nginx.url,
      }))
        out.push([entry.type, entry.path, entry.lfs?.oid])
      return out
    }
    expect(await list(false)).toEqual([['directory', 'data', undefined]])
    expect(await list(true)).toEqual([
      ['directory', 'data', undefined],
      ['file', 'data/test.csv', sha256(FILES.test)],
      ['file', 'data/train.csv', sha256(FILES.train)],
    ])
  })

  it('reads model, LoRA and dataset info', async () => {
    const info = await modelInfo({
      name: 'acme/tox-gnn',
      hubUrl: nginx.url,
      additionalFields: ['sha'],
    })
    expect(info).toMatchObject({ name: 'acme/tox-gnn', task: 'graph-ml', private: false })
    expect(info.sha).toMatch(/^[0-9a-f]{40}$/)
    const old = await modelInfo({
      name: 'acme/tox-gnn',
      revision: '1.0.0',
      hubUrl: nginx.url,
      additionalFields: ['sha'],
    })
    expect(old.sha).not.toBe(info.sha)
    const lora = await modelInfo({
      name: 'acme/smiles-lora',
      hubUrl: nginx.url,
      additionalFields: ['library_name', 'cardData'],
    })
    expect(lora.library_name).toBe('peft')
    expect(lora.cardData).toMatchObject({ base_model: 'mistralai/Mistral-7B-v0.3' })
    const dataset = await datasetInfo({
      name: 'acme/tox21',
      hubUrl: nginx.url,
      additionalFields: ['sha'],
    })
    expect(dataset.sha).toMatch(/^[0-9a-f]{40}$/)
  })

  it('tells files that exist from files that do not', async () => {
    expect(await fileExists({ repo: 'acme/tox-gnn', path: 'config.json', hubUrl: nginx.url })).toBe(
      true,
    )
    expect(await fileExists({ repo: 'acme/tox-gnn', path: 'nope.json', hubUrl: nginx.url })).toBe(
      false,
    )
    expect(
      await fileExists({
        repo: { type: 'dataset', name: 'acme/tox21' },
        path: 'data/train.csv',
        hubUrl: nginx.url,
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
    'snapshot-downloads %s, every file hashing right',
    async (_what, name, type, files) => {
      const folder = await snapshotDownload({
        repo: { type, name },
        hubUrl: nginx.url,
        cacheDir: cache,
      })
      const repoFolder = `${type}s--${name.replace('/', '--')}`
      expect(folder).toContain(join(cache, repoFolder, 'snapshots'))
      for (const [path, bytes] of Object.entries(files)) {
        expect(sha256(await readFile(join(folder, path)))).toBe(sha256(bytes))
        // The cache blob is named by the paths-info oid: the file's SHA-256.
        expect(await readFile(join(cache, repoFolder, 'blobs', sha256(bytes)))).toEqual(
          Buffer.from(bytes),
        )
      }
    },
  )

  it('answers paths-info for the one path asked, and an empty list for a hostile one', async () => {
    const ask = async (body: string) => {
      const response = await fetch(`${nginx.url}/api/datasets/acme/tox21/paths-info/main`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
      return [response.status, await response.json().catch(() => undefined)]
    }
    const [status, entries] = await ask(JSON.stringify({ paths: ['data/test.csv'], expand: true }))
    expect(status).toBe(200)
    expect(entries).toMatchObject([
      { type: 'file', path: 'data/test.csv', oid: sha256(FILES.test) },
    ])
    expect(await ask(JSON.stringify({ paths: ['../../index/config'] }))).toEqual([200, []])
    expect(await ask(JSON.stringify({ paths: ['data/../../../index/config'] }))).toEqual([200, []])
  })
})

// An nginx whose server block also proxies a loopback-only location to a
// recording server, as a site's own internal endpoints would be.
describe.skipIf(!hasNginx())('core/hf static paths-info self-proxy on nginx', () => {
  it('cannot be made to send a second request from loopback by CR/LF in the body', async () => {
    const hub = await startHfHub()
    const seen: string[] = []
    const internal = createServer((request, response) => {
      seen.push(`${request.method} ${request.url}`)
      response.end('internal')
    })
    await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve))
    const { port } = internal.address() as { port: number }
    let nginx: TempNginx | undefined
    try {
      await writeStaticHub({ root: hub.root, publicKey: hub.publicKey, blobBase: hub.url })
      const include = join(hub.root, 'server.conf')
      await writeFile(
        include,
        `include ${join(hub.root, 'nginx-hf.conf')};\nlocation /internal/ { allow 127.0.0.1; deny all; proxy_pass http://127.0.0.1:${port}; }\n`,
      )
      nginx = await startNginx(hub.root, include)
      const smuggled = [
        '{"paths":["data/test.csv"]}',
        'Connection: keep-alive',
        '',
        'GET /internal/secret HTTP/1.0',
        'X-A: b',
      ].join('\r\n')
      const response = await fetch(`${nginx.url}/api/datasets/acme/tox21/paths-info/main`, {
        method: 'POST',
        body: smuggled,
      })
      await response.arrayBuffer()
      // A request the smuggled one would reach right after, on its own connection.
      expect(await (await fetch(`${nginx.url}/internal/probe`)).text()).toBe('internal')
      expect(seen).toEqual(['GET /internal/probe'])
    } finally {
      await nginx?.close()
      await hub.close()
      internal.close()
    }
  })
})

describe.skipIf(!hasNginx())('core/hf static include with many revision names on nginx', () => {
  it('loads with 300 dist-tags on one version and resolves the last of them', async () => {
    const tags: Record<string, string> = { latest: '1.0.0' }
    for (let i = 0; i < 300; i++) tags[`tag-${i}-${'t'.repeat(24)}`] = '1.0.0'
    const sha = 'a'.repeat(64)
    const hub = planStaticHub(
      [
        {
          type: 'model',
          file: 'index/models/ac/acme/m.json',
          item: {
            v: 1,
            kind: 'model',
            id: 'acme/m',
            'dist-tags': tags,
            versions: { '1.0.0': { files: [{ path: 'w.bin', size: 1, sha256: sha }] } },
          },
        },
      ],
      {
        blobTemplate: '{base}/blobs/sha256/{prefix}/{sha256}',
        blobBase: 'https://blobs.example.org',
      },
    )
    const root = await mkdtemp(join(tmpdir(), 'agora-hf-static-tags-'))
    let nginx: TempNginx | undefined
    try {
      await writeFile(join(root, 'nginx-hf.conf'), hub.nginx)
      nginx = await startNginx(root, join(root, 'nginx-hf.conf'))
      const response = await fetch(`${nginx.url}/acme/m/resolve/tag-299-${'t'.repeat(24)}/w.bin`, {
        redirect: 'manual',
      })
      expect(response.status).toBe(302)
      expect(response.headers.get('location')).toBe(
        `https://blobs.example.org/blobs/sha256/aa/${sha}`,
      )
    } finally {
      await nginx?.close()
      await rm(root, { recursive: true, force: true })
    }
  })
})
