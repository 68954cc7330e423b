import { createHash, randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { blobKey } from '#core/blobs'
import { buildSparseIndex, type SourceItem, type SourceRegistry } from '#core/catalog'
import { generateSigningKey, loadPrivateKey } from '#core/index-format'
import type { HubConfig, ItemManifest, VersionManifest } from '#core/manifest'
import { blobCachePath, blobLockPath, type ClientFs, snapshotDir } from './cache.ts'
import { verifyCache } from './cache-verify.ts'
import { readLockfile } from './lockfile.ts'
import { type PullOptions, pull } from './pull.ts'
import { resolve, resolveOffline } from './resolve.ts'

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')
const MiB = 1024 * 1024
const ref = { kind: 'model' as const, ns: 'acme', name: 'tox-gnn' }

/** What the loopback hub does with one request instead of serving the file. */
type Fault = (request: IncomingMessage, response: ServerResponse, file: Buffer) => boolean

describe('core/client/pull', () => {
  let root: string
  let work: string
  let server: Server
  let base: string
  const requests: { path: string; range?: string | undefined }[] = []
  let faults: { path: string; fault: Fault; times: number }[] = []
  const key = generateSigningKey()
  const files = {
    weights: randomBytes(2 * MiB + 123),
    config: Buffer.from('{"hidden": 64}'),
    vocab: randomBytes(300_000),
  }
  const v1 = [
    { path: 'model.safetensors', size: files.weights.length, sha256: sha(files.weights) },
    { path: 'config.json', size: files.config.length, sha256: sha(files.config) },
  ]
  const v2 = [
    ...v1,
    { path: 'tokenizer/vocab.bin', size: files.vocab.length, sha256: sha(files.vocab) },
  ]

  async function publishIndex(
    versions: Record<
      string,
      { files: { path: string; size: number; sha256: string; private?: boolean }[] }
    >,
    latest: string,
  ) {
    const item: SourceItem = {
      ref,
      dir: 'registry/models/ac/acme/tox-gnn',
      item: {
        kind: 'model',
        id: 'acme/tox-gnn',
        title: 'Tox GNN',
        summary: 's',
        owners: ['acme'],
        license: 'MIT',
        'dist-tags': { latest, stable: '1.0.0' },
      } as ItemManifest,
      versions: new Map(
        Object.entries(versions).map(([v, m]) => [
          v,
          { version: v, files: m.files } as VersionManifest,
        ]),
      ),
      results: [],
    }
    const registry: SourceRegistry = {
      root: '/repo',
      hub: { name: 'Test hub' } as HubConfig,
      owners: new Map(),
      items: new Map([['model/acme/tox-gnn', item]]),
    }
    await buildSparseIndex(registry, {
      outDir: root,
      signingKey: { privateKey: loadPrivateKey(key.privateKeyPem), keyId: key.keyId },
      commit: 'c'.repeat(40),
    })
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'agora-hub-'))
    for (const bytes of Object.values(files)) {
      const path = join(root, blobKey(sha(bytes)))
      await mkdir(join(path, '..'), { recursive: true })
      await writeFile(path, bytes)
    }
    server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://x').pathname
      requests.push({ path, range: request.headers.range })
      let body: Buffer
      try {
        body = fs.readFileSync(join(root, path))
      } catch {
        response.writeHead(404).end()
        return
      }
      const fault = faults.find((f) => f.times > 0 && f.path === path)
      if (fault) {
        fault.times--
        if (fault.fault(request, response, body)) return
      }
      const etag = `"${sha(body).slice(0, 16)}"`
      if (request.headers['if-none-match'] === etag) {
        response.writeHead(304, { etag }).end()
        return
      }
      const match = /^bytes=(\d+)-$/.exec(request.headers.range ?? '')
      if (match) {
        const start = Number(match[1])
        response.writeHead(206, {
          'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
          'content-length': body.length - start,
        })
        response.end(body.subarray(start))
        return
      }
      response.writeHead(200, { etag, 'content-length': body.length }).end(body)
    })
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((done) => server.close(done))
    await rm(root, { recursive: true, force: true })
  })

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'agora-pull-'))
    requests.length = 0
    faults = []
    await publishIndex({ '1.0.0': { files: v1 }, '1.1.0': { files: v2 } }, '1.1.0')
  })
  afterEach(async () => {
    await rm(work, { recursive: true, force: true })
  })

  const options = (extra: Partial<PullOptions> = {}): PullOptions => ({
    fetch: globalThis.fetch,
    indexUrl: base,
    cacheDir: join(work, 'cache'),
    lockFile: join(work, 'agora.lock'),
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
    ...extra,
  })
  const blobPath = (bytes: Buffer) => `/${blobKey(sha(bytes))}`

  it('resolves with two requests, downloads, verifies, links the snapshot and writes agora.lock', async () => {
    const result = await pull('acme/tox-gnn', options({ to: join(work, 'out') }))
    const firstBlob = requests.findIndex((r) => r.path.startsWith('/blobs/'))
    expect(requests.slice(0, firstBlob).map((r) => r.path)).toEqual([
      '/index/config.json',
      '/index/models/ac/acme/tox-gnn.json',
    ])
    expect(result).toMatchObject({
      version: '1.1.0',
      commit: 'c'.repeat(40),
      downloadedBytes: 2 * MiB + 123 + 14 + 300_000,
    })
    const snap = snapshotDir(join(work, 'cache'), ref, '1.1.0')
    expect(result.snapshot).toBe(snap)
    expect(await readlink(join(snap, 'tokenizer/vocab.bin'))).toBe(
      `../../../blobs/${sha(files.vocab)}`,
    )
    expect((await readFile(join(snap, 'tokenizer/vocab.bin'))).equals(files.vocab)).toBe(true)
    expect((await readFile(join(work, 'out/model.safetensors'))).equals(files.weights)).toBe(true)
    // A copy by default, so editing it cannot reach the cache.
    expect((await stat(join(work, 'out/model.safetensors'))).nlink).toBe(1)
    const lock = await readLockfile(join(work, 'agora.lock'))
    expect(lock.items['model/acme/tox-gnn']).toEqual({
      version: '1.1.0',
      commit: 'c'.repeat(40),
      files: [
        { path: 'config.json', sha256: sha(files.config), size: 14 },
        { path: 'model.safetensors', sha256: sha(files.weights), size: files.weights.length },
        { path: 'tokenizer/vocab.bin', sha256: sha(files.vocab), size: 300_000 },
      ],
    })
    expect(await readFile(join(work, 'agora.lock'), 'utf8')).toMatch(
      /^\{\n {2}"items": \{\n {4}"model\/acme\/tox-gnn": \{\n {6}"commit"/,
    )

    requests.length = 0
    const again = await pull('acme/tox-gnn', options())
    expect(again.downloadedBytes).toBe(0)
    expect(again.lockChanged).toBe(false)
    expect(again.files.every((f) => f.cached)).toBe(true)
    // config.json is cached; the item file is revalidated with its ETag.
    expect(requests.map((r) => r.path)).toEqual(['/index/models/ac/acme/tox-gnn.json'])
  })

  it('takes a cache folder relative to the current one, as a library user gives it', async () => {
    const cacheDir = relative(process.cwd(), join(work, 'cache'))
    const result = await pull('acme/tox-gnn@1.0.0', options({ cacheDir }))
    expect(result.snapshot).toBe(snapshotDir(join(work, 'cache'), ref, '1.0.0'))
    expect(await readdir(join(work, 'cache'))).toContain('models--acme--tox-gnn')
    expect(await resolveOffline('acme/tox-gnn@1.0.0', { cacheDir, indexUrl: base })).toMatchObject({
      version: '1.0.0',
    })
    const verified = await verifyCache(cacheDir)
    expect(verified).toMatchObject({ checked: 2, corrupt: [] })
  })

  it('honours tags, ranges and --include', async () => {
    const stable = await pull('acme/tox-gnn@stable', options({ lockFile: undefined }))
    expect(stable.version).toBe('1.0.0')
    const ranged = await resolve('acme/tox-gnn@^1.0.0', options())
    expect(ranged.version).toBe('1.1.0')
    const some = await pull('acme/tox-gnn@1.1.0', options({ include: ['tokenizer/**'] }))
    expect(some.files.map((f) => f.path)).toEqual(['tokenizer/vocab.bin'])
    await expect(pull('acme/tox-gnn@9.0.0', options())).rejects.toMatchObject({
      code: 'client/unknown-version',
      hint: 'versions: 1.1.0, 1.0.0; tags: latest, stable',
    })
    await expect(pull('acme/nope', options())).rejects.toMatchObject({ code: 'client/not-found' })
    for (const bad of ['not a ref', 'acme/../x', '../x', 'Acme/X', 'acme/x@1.0.0/../../y']) {
      await expect(pull(bad, options())).rejects.toMatchObject({ code: 'client/bad-spec' })
    }
  })

  it('resumes a transfer cut mid-file with an HTTP Range', async () => {
    const path = blobPath(files.weights)
    faults = [
      {
        path,
        times: 1,
        fault: (_req, res, body) => {
          // Cut only once the client has put bytes on disk, so the retry must resume.
          const partial = `${blobCachePath(join(work, 'cache'), ref, sha(files.weights))}.partial`
          const cutWhenWritten = (): void => {
            stat(partial)
              .then((s) => s.size > 0)
              .catch(() => false)
              .then((written) => (written ? res.destroy() : setTimeout(cutWhenWritten, 5)))
          }
          res.writeHead(200, { 'content-length': body.length })
          res.write(body.subarray(0, MiB), cutWhenWritten)
          return true
        },
      },
    ]
    const result = await pull('acme/tox-gnn@1.0.0', options())
    const tries = requests.filter((r) => r.path === path)
    expect(tries).toHaveLength(2)
    expect(tries[1]?.range).toMatch(/^bytes=\d+-$/)
    expect(Number(/\d+/.exec(tries[1]?.range ?? '')?.[0])).toBeGreaterThan(0)
    expect(
      (await readFile(blobCachePath(join(work, 'cache'), ref, sha(files.weights)))).equals(
        files.weights,
      ),
    ).toBe(true)
    expect(result.downloadedBytes).toBeLessThan(2 * files.weights.length)
  })

  it('resumes from a .partial file left by an earlier run', async () => {
    const target = blobCachePath(join(work, 'cache'), ref, sha(files.weights))
    await mkdir(join(target, '..'), { recursive: true })
    await writeFile(`${target}.partial`, files.weights.subarray(0, 1000))
    await pull('acme/tox-gnn@1.0.0', options())
    expect(requests.find((r) => r.path === blobPath(files.weights))?.range).toBe('bytes=1000-')
    expect((await readFile(target)).equals(files.weights)).toBe(true)
  })

  it('refuses a corrupted byte, naming both hashes, and leaves nothing that looks complete', async () => {
    const path = blobPath(files.weights)
    const corrupt: Fault = (_req, res, body) => {
      const bad = Buffer.from(body)
      bad[12345] = (bad[12345] ?? 0) ^ 0xff
      res.writeHead(200, { 'content-length': bad.length }).end(bad)
      return true
    }
    faults = [{ path, times: 1, fault: corrupt }]
    const bad = Buffer.from(files.weights)
    bad[12345] = (bad[12345] ?? 0) ^ 0xff
    const error = await pull('acme/tox-gnn@1.0.0', options({ concurrency: 1 })).catch((e) => e)
    expect(error).toMatchObject({
      code: 'client/hash-mismatch',
      message: `${base}${path}: expected sha256 ${sha(files.weights)}, got ${sha(bad)}`,
    })
    const blobs = await readdir(join(work, 'cache/models--acme--tox-gnn/blobs'))
    expect(blobs.filter((b) => b.startsWith(sha(files.weights)))).toEqual([])
    await expect(stat(snapshotDir(join(work, 'cache'), ref, '1.0.0'))).rejects.toThrow()
    expect(fs.existsSync(join(work, 'agora.lock'))).toBe(false)
  })

  it('stops a body longer than the index says and keeps none of it', async () => {
    const path = blobPath(files.config)
    faults = [
      {
        path,
        times: 1,
        fault: (_req, res, body) => {
          res.writeHead(200)
          res.write(body)
          res.end(Buffer.alloc(1 << 20))
          return true
        },
      },
    ]
    const error = await pull('acme/tox-gnn@1.0.0', options({ concurrency: 1 })).catch((e) => e)
    expect(error).toMatchObject({
      code: 'client/size-mismatch',
      message: `${base}${path}: the server sent more bytes than the index lists`,
    })
    const blobs = await readdir(join(work, 'cache/models--acme--tox-gnn/blobs'))
    expect(blobs.filter((b) => b.startsWith(sha(files.config)))).toEqual([])
  })

  it('retries 500, 503 and 429 answers', async () => {
    const answer =
      (status: number, headers: Record<string, string> = {}): Fault =>
      (_req, res) => {
        res.writeHead(status, headers).end()
        return true
      }
    faults = [
      { path: '/index/config.json', times: 1, fault: answer(503) },
      { path: blobPath(files.config), times: 2, fault: answer(500) },
      { path: blobPath(files.weights), times: 1, fault: answer(429, { 'retry-after': '0' }) },
    ]
    const result = await pull('acme/tox-gnn@1.0.0', options())
    expect(result.files).toHaveLength(2)
    expect(faults.every((f) => f.times === 0)).toBe(true)
    expect(requests.filter((r) => r.path === blobPath(files.config))).toHaveLength(3)
  })

  it('gives up on a server that keeps failing, with a hint', async () => {
    faults = [
      {
        path: blobPath(files.config),
        times: 100,
        fault: (_q, res) => {
          res.writeHead(500).end()
          return true
        },
      },
    ]
    await expect(
      pull('acme/tox-gnn@1.0.0', options({ retry: { retries: 2, baseDelayMs: 1 } })),
    ).rejects.toMatchObject({
      code: 'client/http-failed',
      hint: expect.stringContaining('retries'),
    })
  })

  it('downloads a blob once when two pulls run at the same time', async () => {
    const [a, b] = await Promise.all([
      pull('acme/tox-gnn@1.1.0', options({ lockFile: undefined })),
      pull('acme/tox-gnn@1.1.0', options({ lockFile: undefined, to: join(work, 'b') })),
    ])
    expect(a.version).toBe('1.1.0')
    expect(b.version).toBe('1.1.0')
    for (const bytes of Object.values(files)) {
      expect(requests.filter((r) => r.path === blobPath(bytes))).toHaveLength(1)
    }
    expect(a.downloadedBytes + b.downloadedBytes).toBe(2 * MiB + 123 + 14 + 300_000)
    expect((await readFile(join(work, 'b/tokenizer/vocab.bin'))).equals(files.vocab)).toBe(true)
    expect(await readdir(join(work, 'cache/.locks/models--acme--tox-gnn'))).toEqual([])
  })

  it('breaks a lock left by a process that died', async () => {
    const lockPath = blobLockPath(join(work, 'cache'), ref, sha(files.config))
    await mkdir(join(lockPath, '..'), { recursive: true })
    await writeFile(lockPath, `${(await import('node:os')).hostname()} 999999999 dead`)
    const result = await pull('acme/tox-gnn@1.0.0', options())
    expect(result.files).toHaveLength(2)
  })

  it('refuses a tampered index and a key it was not given', async () => {
    const path = join(root, 'index/models/ac/acme/tox-gnn.json')
    const original = await readFile(path, 'utf8')
    await writeFile(path, original.replace('"latest":"1.1.0"', '"latest":"1.0.0"'))
    await expect(pull('acme/tox-gnn', options({ publicKey: key.publicKey }))).rejects.toMatchObject(
      {
        code: 'index/bad-signature',
        message: `${base}/index/models/ac/acme/tox-gnn.json: signature by key "${key.keyId}" does not verify`,
      },
    )
    await writeFile(path, original)
    await expect(
      pull('acme/tox-gnn', options({ publicKey: generateSigningKey().publicKey })),
    ).rejects.toMatchObject({ code: 'index/bad-signature' })
  })

  it('notices when the index key changes after first use', async () => {
    await resolve('acme/tox-gnn', options({ configTtlMs: 0 }))
    const other = generateSigningKey()
    const item = await readFile(join(root, 'index/models/ac/acme/tox-gnn.json'), 'utf8')
    const registryLike = JSON.parse(item)
    expect(registryLike.signature.key_id).toBe(key.keyId)
    const configPath = join(root, 'index/config.json')
    const config = JSON.parse(await readFile(configPath, 'utf8'))
    config.signed.public_key = other.publicKey
    await writeFile(configPath, JSON.stringify(config))
    await expect(resolve('acme/tox-gnn', options({ configTtlMs: 0 }))).rejects.toMatchObject({
      code: 'index/key-changed',
    })
  })

  it('with --locked uses the locked version and refuses changed bytes', async () => {
    await pull('acme/tox-gnn@1.0.0', options())
    const locked = await pull('acme/tox-gnn', options({ locked: true }))
    expect(locked.version).toBe('1.0.0')
    // A range the locked version satisfies replays it; one it does not is a mismatch.
    expect((await pull('acme/tox-gnn@^1.0.0', options({ locked: true }))).version).toBe('1.0.0')
    await expect(pull('acme/tox-gnn@>=1.1.0', options({ locked: true }))).rejects.toMatchObject({
      code: 'client/lock-mismatch',
    })
    await expect(pull('acme/tox-gnn@1.1.0', options({ locked: true }))).rejects.toMatchObject({
      code: 'client/lock-mismatch',
    })
    const altered = v1.map((f) =>
      f.path === 'config.json' ? { ...f, sha256: sha(files.vocab) } : f,
    )
    await publishIndex({ '1.0.0': { files: altered }, '1.1.0': { files: v2 } }, '1.1.0')
    const error = await pull('acme/tox-gnn', options({ locked: true })).catch((e) => e)
    expect(error).toMatchObject({ code: 'client/lock-mismatch' })
    expect(error.message).toBe(
      `acme/tox-gnn: config.json: locked sha256 ${sha(files.config)} (14 bytes), index says ${sha(files.vocab)} (14 bytes)`,
    )
    await expect(pull('acme/other', options({ locked: true }))).rejects.toMatchObject({
      code: 'client/not-locked',
    })
  })

  it('serves --offline from the cache and says what is missing', async () => {
    const offlineFetch = (() => {
      throw new Error('no network in offline mode')
    }) as unknown as typeof fetch
    await expect(
      pull('acme/tox-gnn', options({ offline: true, fetch: offlineFetch })),
    ).rejects.toMatchObject({
      code: 'client/offline-missing',
      message: expect.stringContaining('was never pulled'),
    })
    await pull('acme/tox-gnn@1.0.0', options())
    const fromLock = await pull('acme/tox-gnn', options({ offline: true, fetch: offlineFetch }))
    expect(fromLock.version).toBe('1.0.0')
    const error = await pull(
      'acme/tox-gnn@1.1.0',
      options({ offline: true, fetch: offlineFetch, lockFile: undefined }),
    ).catch((e) => e)
    expect(error).toMatchObject({
      code: 'client/offline-missing',
      message: 'acme/tox-gnn@1.1.0: 1 file not in the cache: tokenizer/vocab.bin',
    })
  })

  it('refuses a lock file whose paths would leave the snapshot', async () => {
    await pull('acme/tox-gnn@1.0.0', options())
    const lockPath = join(work, 'agora.lock')
    const lock = JSON.parse(await readFile(lockPath, 'utf8'))
    lock.items['model/acme/tox-gnn'].files[0].path = '../../../../escaped.json'
    await writeFile(lockPath, JSON.stringify(lock))
    await expect(
      pull('acme/tox-gnn', options({ offline: true, locked: true })),
    ).rejects.toMatchObject({
      code: 'client/unsafe-path',
    })
    expect(fs.existsSync(join(work, 'escaped.json'))).toBe(false)
  })

  it('reports a full disk clearly and leaves no blob', async () => {
    const full: ClientFs = {
      ...fs,
      createWriteStream: ((path: string) => {
        fs.writeFileSync(path, '')
        return new Writable({
          write(_c, _e, callback) {
            callback(
              Object.assign(new Error('ENOSPC: no space left on device, write'), {
                code: 'ENOSPC',
                syscall: 'write',
              }),
            )
          },
        })
      }) as unknown as ClientFs['createWriteStream'],
    }
    const error = await pull('acme/tox-gnn@1.0.0', options({ fs: full, concurrency: 1 })).catch(
      (e) => e,
    )
    expect(error).toMatchObject({
      code: 'client/write-failed',
      hint: expect.stringContaining('disk is full'),
    })
    const blobs = await readdir(join(work, 'cache/models--acme--tox-gnn/blobs')).catch(() => [])
    expect(blobs).toEqual([])
  })

  it('refuses paid files unless --include leaves them out', async () => {
    const paid = { path: 'paid/weights.bin', size: 5, sha256: 'e'.repeat(64), private: true }
    await publishIndex({ '1.0.0': { files: v1 }, '3.0.0': { files: [...v1, paid] } }, '3.0.0')
    await expect(pull('acme/tox-gnn', options())).rejects.toMatchObject({
      code: 'client/licence-required',
      message: 'acme/tox-gnn@3.0.0: paid/weights.bin is paid or private',
    })
    const free = await pull('acme/tox-gnn', options({ include: ['*.json', '*.safetensors'] }))
    expect(free.files.map((f) => f.path)).toEqual(['model.safetensors', 'config.json'])
    expect(requests.some((r) => r.path.includes('e'.repeat(64)))).toBe(false)
  })

  it('keeps snapshot entries as symlinks into blobs', async () => {
    await pull('acme/tox-gnn@1.0.0', options())
    const entry = join(snapshotDir(join(work, 'cache'), ref, '1.0.0'), 'config.json')
    expect((await lstat(entry)).isSymbolicLink()).toBe(true)
  })
})
