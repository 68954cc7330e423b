import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pull } from './pull.ts'
import { resolve } from './resolve.ts'

const fixture = fileURLToPath(new URL('./__fixtures__/raw/', import.meta.url))
const COMMIT = '0123456789abcdef0123456789abcdef01234567'
const HELLO = 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9'

describe('core/client/resolve (raw Git URLs)', () => {
  let server: Server
  let base: string
  let work: string
  const requests: string[] = []

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'agora-raw-'))
    // Serves the fixture as a raw-file host would, only under the pinned commit.
    server = createServer(async (request, response) => {
      const path = new URL(request.url ?? '/', 'http://x').pathname
      requests.push(path)
      if (path === `/store/blobs/sha256/b9/${HELLO}`) {
        response.end('hello world')
        return
      }
      const prefix = `/${COMMIT}/`
      if (!path.startsWith(prefix) || path.includes('..')) {
        response.writeHead(404).end()
        return
      }
      const text = await readFile(join(fixture, path.slice(prefix.length)), 'utf8').catch(
        () => undefined,
      )
      if (text === undefined) response.writeHead(404).end()
      else response.end(text.replaceAll('PORT', String((server.address() as AddressInfo).port)))
    })
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((done) => server.close(done))
    await rm(work, { recursive: true, force: true })
  })

  const options = () => ({
    fetch: globalThis.fetch,
    rawUrlTemplate: `${base}/{commit}/{path}`,
    commit: COMMIT,
    retry: { baseDelayMs: 1 },
  })

  it('reads dist-tags from item.yaml, then the version file, pinned to the commit', async () => {
    requests.length = 0
    const result = await pull('acme/tox-gnn', {
      ...options(),
      cacheDir: join(work, 'cache'),
      to: join(work, 'out'),
    })
    expect(result).toMatchObject({ version: '1.0.0', commit: COMMIT, downloadedBytes: 11 })
    expect(requests).toEqual([
      `/${COMMIT}/registry/models/ac/acme/tox-gnn/item.yaml`,
      `/${COMMIT}/registry/models/ac/acme/tox-gnn/versions/1.0.0.yaml`,
      `/${COMMIT}/registry/agora.yaml`,
      `/store/blobs/sha256/b9/${HELLO}`,
    ])
    expect(await readFile(join(work, 'out/model.onnx'), 'utf8')).toBe('hello world')
  })

  it('uses a given blob URL template without reading agora.yaml', async () => {
    requests.length = 0
    const resolution = await resolve('acme/tox-gnn@1.0.0', {
      ...options(),
      blobUrlTemplate: `${base}/store/blobs/sha256/{prefix}/{sha256}`,
    })
    expect(resolution.files).toEqual([
      {
        path: 'model.onnx',
        size: 11,
        sha256: HELLO,
        url: `${base}/store/blobs/sha256/b9/${HELLO}`,
      },
    ])
    expect(requests).toHaveLength(2)
  })

  it('refuses branches, ranges, hostile paths and missing items', async () => {
    await expect(resolve('acme/tox-gnn', { ...options(), commit: 'main' })).rejects.toMatchObject({
      code: 'client/bad-commit',
    })
    await expect(resolve('acme/tox-gnn@^1.0.0', options())).rejects.toMatchObject({
      code: 'client/unknown-version',
      hint: expect.stringContaining('use the index for ranges'),
    })
    await expect(resolve('acme/tox-gnn@0.9.0', options())).rejects.toMatchObject({
      code: 'client/invalid-manifest',
    })
    await expect(resolve('acme/missing', options())).rejects.toMatchObject({
      code: 'client/not-found',
    })
  })
})
