import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import S3rver from 's3rver'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BlobStore, blobKey } from '#core/blobs'
import type { FileEntry } from '#core/manifest'
import { createFsStore, createS3Store } from '#core/storage'
import { verifyBlobs } from './verify-blobs.ts'

const sha = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex')
const MANIFEST = 'registry/models/ac/acme/tox/versions/1.0.0.yaml'

describe('core/scan/verify-blobs', () => {
  let dir: string
  let s3: S3rver
  let client: S3Client
  let store: BlobStore
  const good = randomBytes(300_000)
  const other = randomBytes(2_000)
  const tampered = randomBytes(5_000)
  // The manifest names these bytes, but the store holds `tampered` (same length, different bytes) under their hash.
  const claimed = randomBytes(5_000)
  const missing = randomBytes(10)

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-verify-'))
    s3 = new S3rver({
      port: 0,
      address: '127.0.0.1',
      silent: true,
      directory: join(dir, 's3'),
      configureBuckets: [{ name: 'agora', configs: [] }],
    })
    const { port } = (await s3.run()) as AddressInfo
    client = new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    })
    store = createS3Store({ client, bucket: 'agora', privatePrefix: 'private/' })
    await store.put(() => Readable.from([good]), { sha256: sha(good), size: good.length })
    await store.put(
      () => Readable.from([other]),
      { sha256: sha(other), size: other.length },
      { private: true },
    )
    // The store refuses wrong bytes, so the tampered object goes in behind its back.
    await client.send(
      new PutObjectCommand({ Bucket: 'agora', Key: blobKey(sha(claimed)), Body: tampered }),
    )
  })

  afterAll(async () => {
    client.destroy()
    await s3.close()
    await rm(dir, { recursive: true, force: true })
  })

  const files: FileEntry[] = [
    { path: 'model.safetensors', size: good.length, sha256: sha(good) },
    { path: 'paid/weights.bin', size: other.length, sha256: sha(other), private: true },
    { path: 'tokenizer.json', size: claimed.length, sha256: sha(claimed) },
    { path: 'extra.bin', size: missing.length, sha256: sha(missing) },
  ]

  it('checks existence, size and recomputed hash against a real S3 server', async () => {
    const checks = await verifyBlobs(files, { store, concurrency: 2, file: MANIFEST })
    expect(
      checks.map(({ path, exists, sizeOk, hashOk }) => ({ path, exists, sizeOk, hashOk })),
    ).toEqual([
      { path: 'model.safetensors', exists: true, sizeOk: true, hashOk: true },
      { path: 'paid/weights.bin', exists: true, sizeOk: true, hashOk: true },
      { path: 'tokenizer.json', exists: true, sizeOk: true, hashOk: false },
      { path: 'extra.bin', exists: false, sizeOk: false, hashOk: false },
    ])
    expect(checks[0]).toMatchObject({ actualSha256: sha(good), issues: [] })
    expect(checks[2]?.actualSha256).toBe(sha(tampered))
    expect(checks[2]?.issues).toEqual([
      {
        code: 'blob/hash-mismatch',
        severity: 'error',
        file: MANIFEST,
        message: `tokenizer.json: expected sha256 ${sha(claimed)}, the stored bytes hash to ${sha(tampered)}`,
        hint: 'the stored bytes are not the ones the manifest names; re-upload the file and check it was not altered',
      },
    ])
    expect(checks[3]?.issues.map((i) => [i.code, i.message])).toEqual([
      ['blob/missing', `extra.bin: blob ${sha(missing)} is not in the s3 store`],
    ])
  })

  it('reports a size mismatch from the HEAD without downloading', async () => {
    const gets: string[] = []
    const watched: BlobStore = {
      ...store,
      get(hash, options) {
        gets.push(hash)
        return store.get(hash, options)
      },
    }
    const [check] = await verifyBlobs(
      [{ path: 'm.bin', size: good.length + 1, sha256: sha(good) }],
      { store: watched },
    )
    expect(check?.issues.map((i) => i.code)).toEqual(['blob/size-mismatch'])
    expect(check?.actualSize).toBe(good.length)
    expect(gets).toEqual([])
  })

  it('reads a blob named by several files once, with at most `concurrency` streams open', async () => {
    let open = 0
    let most = 0
    const gets: string[] = []
    const watched: BlobStore = {
      ...store,
      async get(hash, options) {
        gets.push(hash)
        open++
        most = Math.max(most, open)
        const stream = await store.get(hash, options)
        stream.on('close', () => open--)
        return stream
      },
    }
    const many = [...files.slice(0, 3), { ...files[0], path: 'copy.safetensors' } as FileEntry]
    const checks = await verifyBlobs(many, { store: watched, concurrency: 1 })
    expect(gets.filter((h) => h === sha(good))).toHaveLength(1)
    expect(most).toBe(1)
    expect(checks[3]).toMatchObject({ path: 'copy.safetensors', hashOk: true })
  })

  it('turns store failures, bad hashes and external files into issues', async () => {
    const broken: BlobStore = {
      ...store,
      stat: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')),
    }
    const checks = await verifyBlobs(
      [
        files[0] as FileEntry,
        { path: 'x', size: 1, sha256: 'ABC' },
        { path: 'ext.bin', size: 1, sha256: sha('x'), url: 'https://example.org/ext.bin' },
      ],
      { store: broken },
    )
    expect(checks.map((c) => c.issues.map((i) => [i.code, i.severity]))).toEqual([
      [['blob/read-failed', 'error']],
      [['blob/bad-hash', 'error']],
      [['blob/external', 'note']],
    ])
    expect(checks[0]?.issues[0]?.message).toContain('ECONNREFUSED')
  })

  it('stops reading when aborted, reporting the blobs it could not check', async () => {
    const controller = new AbortController()
    controller.abort(new Error('pull request closed'))
    const checks = await verifyBlobs(files.slice(0, 1), { store, signal: controller.signal })
    expect(checks[0]?.issues.map((i) => i.message)).toEqual([
      `model.safetensors: could not read blob ${sha(good)}: pull request closed`,
    ])
  })

  it('works the same against the filesystem store', async () => {
    const fsStore = createFsStore({ dir: join(dir, 'fs') })
    await fsStore.put(() => Readable.from([good]), { sha256: sha(good), size: good.length })
    const checks = await verifyBlobs(files.slice(0, 1), { store: fsStore })
    expect(checks[0]).toMatchObject({ exists: true, sizeOk: true, hashOk: true, issues: [] })
  })
})
