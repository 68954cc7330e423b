/**
 * Helpers for benchmarks that serve large files: random bytes on disk, and
 * a signed hub index of one model holding them, as `agora build` writes it.
 */
import { spawnSync } from 'node:child_process'
import { createHash, randomFillSync } from 'node:crypto'
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { blobKey } from '#core/blobs'
import { buildSparseIndex, type SourceItem, type SourceRegistry } from '#core/catalog'
import { generateSigningKey, loadPrivateKey } from '#core/index-format'
import type { HubConfig, ItemManifest, VersionManifest } from '#core/manifest'

/** Writes `bytes` random bytes, hashing them on the way; returns the hash. */
export function writeRandom(path: string, bytes: number): string {
  const hash = createHash('sha256')
  const chunk = Buffer.allocUnsafe(4 * 1024 * 1024)
  const fd = openSync(path, 'w')
  for (let left = bytes; left > 0; ) {
    const n = Math.min(left, chunk.length)
    randomFillSync(chunk, 0, n)
    writeSync(fd, chunk, 0, n)
    hash.update(chunk.subarray(0, n))
    left -= n
  }
  closeSync(fd)
  return hash.digest('hex')
}

export interface BigHub {
  files: { path: string; size: number; sha256: string }[]
  /** The hub's public key (PEM), for `--key`. */
  publicKey: string
}

/**
 * Writes `count` random files of `size` bytes as blobs under `root` and a
 * signed index of the model `bench/big@1.0.0` listing them as `shard-<i>.bin`.
 *
 * @example const hub = await buildBigHub(join(work, 'site'), work, 1, 1 << 30)
 */
export async function buildBigHub(
  root: string,
  work: string,
  count: number,
  size: number,
): Promise<BigHub> {
  const files: BigHub['files'] = []
  for (let i = 0; i < count; i++) {
    const staging = join(work, `staging-${i}`)
    const sha256 = writeRandom(staging, size)
    const target = join(root, blobKey(sha256))
    mkdirSync(dirname(target), { recursive: true })
    spawnSync('mv', [staging, target])
    files.push({ path: `shard-${i}.bin`, size, sha256 })
  }
  const key = generateSigningKey()
  const item: SourceItem = {
    ref: { kind: 'model', ns: 'bench', name: 'big' },
    dir: 'registry/models/be/bench/big',
    item: {
      kind: 'model',
      id: 'bench/big',
      title: 'Big',
      summary: 'bench',
      owners: ['bench'],
      license: 'MIT',
      'dist-tags': { latest: '1.0.0' },
    } as ItemManifest,
    versions: new Map([['1.0.0', { version: '1.0.0', files } as VersionManifest]]),
    results: [],
  }
  const registry: SourceRegistry = {
    root: work,
    hub: { name: 'bench' } as HubConfig,
    owners: new Map(),
    items: new Map([['model/bench/big', item]]),
  }
  await buildSparseIndex(registry, {
    outDir: root,
    signingKey: { privateKey: loadPrivateKey(key.privateKeyPem), keyId: key.keyId },
  })
  return { files, publicKey: key.publicKey }
}
