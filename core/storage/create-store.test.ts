import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createStore } from './create-store.ts'

describe('core/storage/create-store', () => {
  let root: string
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'agora-create-store-'))
  })
  afterEach(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('picks the fs store under the repository root, or AGORA_STORE_DIR', async () => {
    const hash = 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9'
    const store = createStore(
      { type: 'fs', path: '.agora/store', public_url: 'http://127.0.0.1:1/' },
      { repoRoot: root },
    )
    expect(store.type).toBe('fs')
    await store.put(() => Readable.from([Buffer.from('hello world')]), { sha256: hash, size: 11 })
    const moved = createStore(
      { type: 'fs', path: '.agora/store' },
      { repoRoot: root, env: { AGORA_STORE_DIR: join(root, 'elsewhere') } },
    )
    expect(await moved.stat(hash)).toBeUndefined()
    expect(
      await createStore({ type: 'fs', path: join(root, '.agora/store') }, { repoRoot: '/' }).stat(
        hash,
      ),
    ).toEqual({
      sha256: hash,
      size: 11,
    })
    expect(await store.url(hash)).toBe(`http://127.0.0.1:1/blobs/sha256/b9/${hash}`)
  })

  it('picks the S3 store with the bucket and public URL of agora.yaml', async () => {
    const store = createStore(
      {
        type: 's3',
        bucket: 'agora-blobs',
        region: 'auto',
        endpoint: 'http://127.0.0.1:9',
        force_path_style: true,
        public_url: 'https://blobs.example.org',
        private_prefix: 'private/',
      },
      { repoRoot: root, env: { AWS_ACCESS_KEY_ID: 'id', AWS_SECRET_ACCESS_KEY: 'secret' } },
    )
    expect(store.type).toBe('s3')
    expect(await store.url('a'.repeat(64))).toBe(
      `https://blobs.example.org/blobs/sha256/aa/${'a'.repeat(64)}`,
    )
    const signed = await store.url('a'.repeat(64), { private: true, expiresIn: 60 })
    expect(signed).toMatch(
      /^http:\/\/127\.0\.0\.1:9\/agora-blobs\/private\/blobs\/sha256\/aa\/a{64}\?.*X-Amz-Credential=id%2F/,
    )
  })
})
