import * as nodeFs from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSigningKey, loadPrivateKey, sealDocument } from '#core/index-format'
import { type ServedHub, serveHub } from '../../scripts/serve-hub.ts'
import { sha256, type TestHub } from '../client/__fixtures__/test-hub.ts'
import { FILES, startHfHub } from './__fixtures__/hf-hub.ts'
import { createHfHandler } from './handler.ts'
import { versionCommit } from './hub-index.ts'

/** A GET with the request target exactly as given (fetch would resolve `..` first). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base)
  return new Promise((done, fail) => {
    const req = request({ hostname, port, path, method: 'GET' }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => done({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', fail)
    req.end()
  })
}

// One test per rule of the measured protocol (shared/reference/hf-protocol.md):
// the request a Hub client sends, and the statuses and headers it needs back.
describe('core/hf protocol', () => {
  let hub: TestHub
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${hub.url}${path}`, { redirect: 'manual', ...init })
  const head = (path: string, headers: Record<string, string> = {}) =>
    call(path, { method: 'HEAD', headers: { 'accept-encoding': 'identity', ...headers } })
  const quoted = (bytes: Buffer | string) => `"${sha256(bytes)}"`
  const commitOf = (version: string) =>
    versionCommit(
      {
        kind: 'model',
        id: 'acme/tox-gnn',
        versions: {
          '1.0.0': {
            files: [
              { path: 'model.safetensors', size: 4096, sha256: sha256(FILES.weights) },
              { path: 'config.json', size: 14, sha256: sha256(FILES.config) },
            ],
          },
          '1.1.0': {
            files: [
              { path: 'model.safetensors', size: 5000, sha256: sha256(FILES.newWeights) },
              { path: 'config.json', size: 14, sha256: sha256(FILES.config) },
            ],
          },
        },
      },
      version,
    )

  beforeAll(async () => {
    hub = await startHfHub()
  })
  afterAll(() => hub.close())

  describe('hf_hub_download: HEAD then GET /{id}/resolve/{rev}/{path}', () => {
    it('answers HEAD with X-Repo-Commit (40 lower-case hex), quoted SHA-256 ETag and X-Linked-Etag, X-Linked-Size', async () => {
      const response = await head('/acme/tox-gnn/resolve/main/model.safetensors')
      expect(response.status).toBe(200)
      expect(response.headers.get('x-repo-commit')).toBe(commitOf('1.1.0'))
      expect(response.headers.get('x-repo-commit')).toMatch(/^[0-9a-f]{40}$/)
      expect(response.headers.get('etag')).toBe(quoted(FILES.newWeights))
      expect(response.headers.get('x-linked-etag')).toBe(quoted(FILES.newWeights))
      expect(response.headers.get('x-linked-size')).toBe('5000')
      expect(response.headers.get('content-length')).toBe('5000')
      expect(response.headers.get('content-encoding')).toBeNull()
    })

    it('GETs the bytes and resumes with Range: bytes=N-', async () => {
      const whole = await call('/acme/tox-gnn/resolve/main/model.safetensors')
      expect(Buffer.from(await whole.arrayBuffer()).equals(FILES.newWeights)).toBe(true)
      const rest = await call('/acme/tox-gnn/resolve/main/model.safetensors', {
        headers: { range: 'bytes=4000-' },
      })
      expect(rest.status).toBe(206)
      expect(rest.headers.get('content-range')).toBe('bytes 4000-4999/5000')
      expect(Buffer.from(await rest.arrayBuffer()).equals(FILES.newWeights.subarray(4000))).toBe(
        true,
      )
    })

    it('gives two files of one size two ETags (the ETag names the cache blob)', async () => {
      const a = await head('/acme/tox-gnn/resolve/1.0.0/model.safetensors')
      const b = await head('/acme/tox-gnn/resolve/1.0.0/config.json')
      expect(a.headers.get('etag')).not.toBe(b.headers.get('etag'))
      expect(a.headers.get('etag')).toBe(quoted(FILES.weights))
    })

    it.each([
      ['EntryNotFound', '/acme/tox-gnn/resolve/main/missing.bin'],
      ['RepoNotFound', '/acme/nobody/resolve/main/config.json'],
      ['RevisionNotFound', '/acme/tox-gnn/resolve/9.9.9/config.json'],
      ['RevisionNotFound', '/acme/tox-gnn/resolve/refs%2Fpr%2F1/config.json'],
      ['EntryNotFound', '/datasets/acme/tox21/resolve/main/missing.csv'],
      ['RepoNotFound', '/datasets/acme/tox-gnn/resolve/main/config.json'],
    ])('answers 404 with X-Error-Code %s on HEAD and GET (%s)', async (code, path) => {
      for (const response of [await head(path), await call(path)]) {
        expect(response.status).toBe(404)
        expect(response.headers.get('x-error-code')).toBe(code)
      }
    })
  })

  describe('revisions', () => {
    it.each([
      ['main', '1.1.0'],
      ['HEAD', '1.1.0'],
      ['1.0.0', '1.0.0'],
      ['stable', '1.0.0'],
      ['c'.repeat(40), '1.1.0'],
    ])('resolves %s to version %s', async (revision, version) => {
      const response = await head(`/acme/tox-gnn/resolve/${revision}/config.json`)
      expect(response.status).toBe(200)
      expect(response.headers.get('x-repo-commit')).toBe(commitOf(version))
    })

    it('resolves a version commit back to its version, cacheable for ever', async () => {
      const response = await head(`/acme/tox-gnn/resolve/${commitOf('1.0.0')}/model.safetensors`)
      expect(response.headers.get('etag')).toBe(quoted(FILES.weights))
      expect(response.headers.get('cache-control')).toContain('immutable')
      const named = await head('/acme/tox-gnn/resolve/main/model.safetensors')
      expect(named.headers.get('cache-control')).toBe('no-cache')
    })
  })

  describe('snapshot_download: revision -> tree/{sha}?recursive=true -> resolve/{sha}', () => {
    it('gives sha, a recursive tree with lfs oids, and files at that sha', async () => {
      const info = (await (await call('/api/datasets/acme/tox21/revision/main')).json()) as {
        id: string
        sha: string
      }
      expect(info.id).toBe('acme/tox21')
      expect(info.sha).toMatch(/^[0-9a-f]{40}$/)
      const tree = await call(
        `/api/datasets/acme/tox21/tree/${info.sha}?recursive=true&expand=false`,
      )
      expect(tree.status).toBe(200)
      expect(await tree.json()).toEqual([
        { type: 'directory', path: 'data', size: 0, oid: expect.stringMatching(/^[0-9a-f]{40}$/) },
        {
          type: 'file',
          path: 'data/test.csv',
          size: 24,
          oid: sha256(FILES.test),
          lfs: { oid: sha256(FILES.test), size: 24, pointerSize: expect.any(Number) },
        },
        {
          type: 'file',
          path: 'data/train.csv',
          size: 19,
          oid: sha256(FILES.train),
          lfs: { oid: sha256(FILES.train), size: 19, pointerSize: expect.any(Number) },
        },
      ])
      const file = await call(`/datasets/acme/tox21/resolve/${info.sha}/data/train.csv`)
      expect(file.headers.get('x-repo-commit')).toBe(info.sha)
      expect(await file.text()).toBe(FILES.train)
    })

    it('lists one folder without recursion, and 404s a folder that is not there', async () => {
      const top = (await (await call('/api/datasets/acme/tox21/tree/main')).json()) as {
        path: string
      }[]
      expect(top.map((e) => e.path)).toEqual(['data'])
      const inside = (await (await call('/api/datasets/acme/tox21/tree/main/data')).json()) as {
        path: string
      }[]
      expect(inside.map((e) => e.path)).toEqual(['data/test.csv', 'data/train.csv'])
      const missing = await call('/api/datasets/acme/tox21/tree/main/nope')
      expect(missing.status).toBe(404)
      expect(missing.headers.get('x-error-code')).toBe('EntryNotFound')
    })

    it('pages the tree with limit and cursor, linking each next page by its absolute URL', async () => {
      const seen: string[] = []
      let url: string | undefined =
        `${hub.url}/api/datasets/acme/tox21/tree/main?recursive=true&limit=2`
      const links: (string | null)[] = []
      while (url) {
        const response: Response = await fetch(url)
        expect(response.status).toBe(200)
        seen.push(...((await response.json()) as { path: string }[]).map((e) => e.path))
        const link: string | null = response.headers.get('link')
        links.push(link)
        url = link?.match(/^<(https?:\/\/[^>]+)>; rel="next"$/)?.[1]
      }
      expect(seen).toEqual(['data', 'data/test.csv', 'data/train.csv'])
      expect(links).toHaveLength(2)
      const next = new URL(String(links[0]?.slice(1, links[0].indexOf('>'))))
      expect(`${next.protocol}//${next.host}`).toBe(hub.url)
      expect(next.pathname).toBe('/api/datasets/acme/tox21/tree/main')
      expect(next.searchParams.get('recursive')).toBe('true')
      expect(next.searchParams.get('limit')).toBe('2')
      expect(links[1]).toBeNull()
      // Behind a TLS proxy the link keeps https.
      const proxied = await call('/api/datasets/acme/tox21/tree/main?recursive=true&limit=1', {
        headers: { 'x-forwarded-proto': 'https' },
      })
      expect(proxied.headers.get('link')).toMatch(/^<https:\/\/127\.0\.0\.1:\d+\/api\//)
      // A limit over the Hub's largest page is cut to it; a whole tree fits.
      const all = await call('/api/datasets/acme/tox21/tree/main?recursive=true&limit=5000')
      expect(all.headers.get('link')).toBeNull()
      expect(await all.json()).toHaveLength(3)
    })

    it('refuses a cursor it did not give and a limit that is not a page size, with 400', async () => {
      for (const query of [
        'cursor=%3E%3E',
        'cursor=not!base64',
        'limit=0',
        'limit=-1',
        'limit=x',
      ]) {
        const response = await call(`/api/datasets/acme/tox21/tree/main?recursive=true&${query}`)
        expect(response.status, query).toBe(400)
        expect(((await response.json()) as { error: string }).error).toMatch(/cursor|limit/)
      }
    })

    it('answers a failed revision call with 404 and X-Error-Code, never a generic 4xx', async () => {
      const response = await call('/api/models/acme/tox-gnn/revision/nope')
      expect(response.status).toBe(404)
      expect(response.headers.get('x-error-code')).toBe('RevisionNotFound')
      const repo = await call('/api/models/acme/nobody')
      expect(repo.headers.get('x-error-code')).toBe('RepoNotFound')
    })
  })

  describe('model_info, repo_exists, file_exists', () => {
    it('gives id, sha, siblings by rfilename, and file metadata with ?blobs=true', async () => {
      const info = (await (await call('/api/models/acme/tox-gnn?blobs=true')).json()) as Record<
        string,
        unknown
      >
      expect(info).toMatchObject({
        id: 'acme/tox-gnn',
        sha: commitOf('1.1.0'),
        library_name: 'pytorch',
        pipeline_tag: 'graph-ml',
        lastModified: '2025-03-04T00:00:00.000Z',
        cardData: { license: 'mit', library_name: 'pytorch', pipeline_tag: 'graph-ml' },
        siblings: [
          {
            rfilename: 'model.safetensors',
            size: 5000,
            blobId: sha256(FILES.newWeights),
            lfs: { sha256: sha256(FILES.newWeights), size: 5000 },
          },
          { rfilename: 'config.json', size: 14, blobId: sha256(FILES.config) },
        ],
      })
    })

    it('answers HEAD /raw/ for a file (@huggingface/hub fileExists)', async () => {
      expect((await head('/acme/tox-gnn/raw/main/config.json')).status).toBe(200)
      const missing = await head('/acme/tox-gnn/raw/main/nope.json')
      expect(missing.status).toBe(404)
      expect(missing.headers.get('x-error-code')).toBe('EntryNotFound')
      expect(await (await call('/acme/tox-gnn/raw/main/config.json')).text()).toBe(FILES.config)
    })

    it('answers GET Range: bytes=0-0 with ETag and Content-Range (@huggingface/hub downloadFile)', async () => {
      const response = await call('/acme/tox-gnn/resolve/main/config.json', {
        headers: { range: 'bytes=0-0' },
      })
      expect(response.status).toBe(206)
      expect(response.headers.get('content-range')).toBe('bytes 0-0/14')
      expect(response.headers.get('etag')).toBe(quoted(FILES.config))
    })

    it('answers POST paths-info with lfs and lastCommit (downloadFileToCacheDir)', async () => {
      const response = await call('/api/models/acme/tox-gnn/paths-info/1.0.0', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ paths: ['config.json', 'nope'], expand: true }),
      })
      expect(await response.json()).toEqual([
        {
          type: 'file',
          path: 'config.json',
          size: 14,
          oid: sha256(FILES.config),
          lfs: { oid: sha256(FILES.config), size: 14, pointerSize: expect.any(Number) },
          lastCommit: {
            id: commitOf('1.0.0'),
            title: 'version 1.0.0',
            date: '2025-01-02T00:00:00.000Z',
          },
        },
      ])
    })

    it('answers each path of paths-info once, however often a body repeats it', async () => {
      const response = await call('/api/models/acme/tox-gnn/paths-info/1.0.0', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Array(50_000).fill('paths=config.json').join('&'),
      })
      expect(response.status).toBe(200)
      expect(((await response.json()) as { path: string }[]).map((e) => e.path)).toEqual([
        'config.json',
      ])
    })
  })

  describe('kinds', () => {
    it('serves a LoRA as a PEFT model with its base model', async () => {
      const info = (await (await call('/api/models/acme/smiles-lora')).json()) as Record<
        string,
        unknown
      >
      expect(info).toMatchObject({
        library_name: 'peft',
        cardData: {
          library_name: 'peft',
          base_model: 'mistralai/Mistral-7B-v0.3',
          base_model_relation: 'adapter',
        },
        agora: { kind: 'lora', version: '0.1.0' },
      })
      expect(info.tags).toContain('base_model:adapter:mistralai/Mistral-7B-v0.3')
    })

    it('answers a Hub id shared by a model and a LoRA with the model', async () => {
      const info = (await (await call('/api/models/acme/twin')).json()) as {
        siblings: { rfilename: string }[]
      }
      expect(info.siblings).toEqual([{ rfilename: 'model.txt' }])
      expect((await head('/acme/twin/resolve/main/lora.txt')).headers.get('x-error-code')).toBe(
        'EntryNotFound',
      )
    })

    it('does not serve a dataset as a model', async () => {
      const response = await call('/api/models/acme/tox21')
      expect(response.headers.get('x-error-code')).toBe('RepoNotFound')
    })
  })

  describe('paid files', () => {
    it('answers 401 without a token and 403 with one, GatedRepo, naming the licence flow', async () => {
      const path = '/acme/paid-gnn/resolve/main/weights.safetensors'
      const anonymous = await head(path)
      expect(anonymous.status).toBe(401)
      expect(anonymous.headers.get('x-error-code')).toBe('GatedRepo')
      const token = await call(path, { headers: { authorization: 'Bearer hf_x' } })
      expect(token.status).toBe(403)
      expect(token.headers.get('x-error-code')).toBe('GatedRepo')
      const { error } = (await token.json()) as { error: string }
      expect(error).toContain('buy a licence at https://buy.example.org/p')
      expect(error).toContain('agora pull acme/paid-gnn@1.0.0')
      const info = (await (await call('/api/models/acme/paid-gnn')).json()) as { gated: unknown }
      expect(info.gated).toBe('manual')
    })
  })

  describe('redirects to a blob origin', () => {
    let redirecting: ServedHub
    beforeAll(async () => {
      redirecting = await serveHub({
        root: hub.root,
        hf: { blobBase: hub.url, redirectThreshold: 4096 },
      })
    })
    afterAll(() => redirecting.close())

    it('302s large files with Location, X-Repo-Commit, X-Linked-Etag and X-Linked-Size', async () => {
      const response = await fetch(
        `${redirecting.url}/acme/tox-gnn/resolve/main/model.safetensors`,
        {
          method: 'HEAD',
          redirect: 'manual',
        },
      )
      expect(response.status).toBe(302)
      expect(response.headers.get('location')).toBe(
        `${hub.url}/blobs/sha256/${sha256(FILES.newWeights).slice(0, 2)}/${sha256(FILES.newWeights)}`,
      )
      expect(response.headers.get('x-repo-commit')).toBe(commitOf('1.1.0'))
      expect(response.headers.get('x-linked-etag')).toBe(quoted(FILES.newWeights))
      expect(response.headers.get('x-linked-size')).toBe('5000')
      const followed = await fetch(`${redirecting.url}/acme/tox-gnn/resolve/main/model.safetensors`)
      expect(Buffer.from(await followed.arrayBuffer()).equals(FILES.newWeights)).toBe(true)
    })

    it('serves small files itself', async () => {
      const response = await fetch(`${redirecting.url}/acme/tox-gnn/resolve/main/config.json`, {
        redirect: 'manual',
      })
      expect(response.status).toBe(200)
      expect(await response.text()).toBe(FILES.config)
    })
  })

  describe('hostile requests', () => {
    it.each([
      '/acme/tox-gnn/resolve/main/..%2F..%2F..%2Fetc%2Fpasswd',
      '/acme/tox-gnn/resolve/main/config.json%00.txt',
      '/acme/tox-gnn/resolve/main/..%5C..%5Cindex%5Cconfig.json',
      '/acme/tox-gnn/resolve/main/%E0%A4%A',
      '/%2e%2e/tox-gnn/resolve/main/config.json',
      '/datasets/acme/tox21/resolve/main/data%2Ftrain.csv',
      '/api/models/acme/tox-gnn/tree/main/..%2F..',
      '/api/models/..%2Findex/config',
    ])('refuses %s with 400', async (path) => {
      const response = await rawGet(hub.url, path)
      expect(response.status).toBe(400)
      expect(response.body).not.toContain('"signed"')
    })

    it.each([
      '/acme/tox-gnn/resolve/main/../../../index/config.json',
      '/acme/tox-gnn/resolve/main/%2e%2e/%2e%2e/%2e%2e/index/config.json',
      '/datasets/acme/tox21/resolve/main/./../../../../index/config.json',
    ])('refuses the dot segments of %s as sent, before any normalisation', async (path) => {
      const response = await rawGet(hub.url, path)
      expect(response.status).toBe(400)
      expect(response.body).not.toContain('"signed"')
    })

    it('leaves the static catalog API and other paths to the file server', async () => {
      const response = await call('/api/models/acme/tox-gnn.json')
      expect(response.status).toBe(404)
      expect(response.headers.get('x-error-code')).toBeNull()
    })

    it('refuses to answer from an index document whose signature does not verify', async () => {
      const file = join(hub.root, 'index/datasets/ac/acme/tox21.json')
      const original = await readFile(file, 'utf8')
      try {
        await writeFile(file, original.replace('"2.0.0"', '"2.0.1"'))
        const response = await call('/api/datasets/acme/tox21')
        expect(response.status).toBe(500)
        expect(response.headers.get('x-error-message')).toContain('index/bad-signature')
      } finally {
        await writeFile(file, original)
      }
    })

    it('hashes a blob once for many ranges asked at once, and not again after a mismatch', async () => {
      const hash = sha256(FILES.weights)
      const blob = join(hub.root, 'blobs/sha256', hash.slice(0, 2), hash)
      let reads = 0
      const fs = {
        ...nodeFs,
        createReadStream: ((...args: Parameters<typeof nodeFs.createReadStream>) => {
          if (args[0] === blob && (args[1] as { start?: number } | undefined)?.start === undefined)
            reads += 1
          return nodeFs.createReadStream(...args)
        }) as typeof nodeFs.createReadStream,
      }
      const handler = createHfHandler({ root: hub.root, fs })
      const server = createServer((req, res) => {
        void handler(req, res)
      })
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const path = `${base}/acme/tox-gnn/resolve/1.0.0/model.safetensors`
      const ranges = (n: number) =>
        Promise.all(
          Array.from({ length: n }, (_, k) =>
            fetch(path, { headers: { range: `bytes=${k}-${k}` } }).then(async (r) => {
              await r.arrayBuffer()
              return r.status
            }),
          ),
        )
      try {
        expect(await ranges(8)).toEqual(Array(8).fill(206))
        expect(reads).toBe(1)
        await writeFile(blob, Buffer.alloc(4096, 1))
        expect(await ranges(8)).toEqual(Array(8).fill(502))
        expect(await ranges(8)).toEqual(Array(8).fill(502))
        expect(reads).toBe(2)
      } finally {
        await writeFile(blob, FILES.weights)
        server.closeAllConnections()
        await new Promise((done) => server.close(done))
      }
    })

    it('keeps the first key it trusted when the index is re-signed with another, config.json naming it', async () => {
      expect((await call('/api/datasets/acme/tox21')).status).toBe(200)
      const other = generateSigningKey()
      const signer = { privateKey: loadPrivateKey(other.privateKeyPem), keyId: other.keyId }
      const files = ['index/config.json', 'index/datasets/ac/acme/tox21.json'].map((f) =>
        join(hub.root, f),
      )
      const originals = await Promise.all(files.map((f) => readFile(f, 'utf8')))
      try {
        for (const [k, file] of files.entries()) {
          const { signed } = JSON.parse(originals[k] as string) as {
            signed: Record<string, unknown>
          }
          const payload = k === 0 ? { ...signed, public_key: other.publicKey } : signed
          await writeFile(file, sealDocument(payload, signer))
        }
        const response = await call('/api/datasets/acme/tox21')
        expect(response.status).toBe(500)
        expect(response.headers.get('x-error-message')).toContain('index/bad-signature')
      } finally {
        await Promise.all(files.map((f, k) => writeFile(f, originals[k] as string)))
      }
    })

    it('never lets a blob that does not match its SHA-256 reach a client whole', async () => {
      const hash = sha256(FILES.adapterWeights)
      const blob = join(hub.root, 'blobs/sha256', hash.slice(0, 2), hash)
      await writeFile(blob, Buffer.alloc(2048, 4))
      try {
        const path = '/acme/smiles-lora/resolve/main/adapter_model.safetensors'
        const part = await call(path, { headers: { range: 'bytes=10-20' } })
        expect(part.status).toBe(502)
        await expect(call(path).then((r) => r.arrayBuffer())).rejects.toThrow()
      } finally {
        await writeFile(blob, FILES.adapterWeights)
      }
    })
  })
})
