/**
 * Times blob verification of a version holding 2 GiB of files (8 × 256 MiB)
 * in an S3-protocol server (s3rver, in its own process on loopback), through
 * Agora's S3 store: HEAD each blob, stream it back and recompute its SHA-256.
 * The goal is at most 1.2× the floor measured in the same run, taken two
 * ways: the same objects fetched with `curl` from presigned URLs piped into
 * `sha256sum` (reading and hashing overlapped, the strict one), and GetObject
 * streamed to nowhere followed by `sha256sum` of the stored files (reading,
 * then hashing). Both keep the same number of blobs in flight. GetObject to
 * nowhere alone is shown for context.
 *
 *   ./node_modules/.bin/node scripts/bench/verify-blobs.ts [--runs 3] [--objects 8] [--mib 256]
 */
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { blobKey } from '#core/blobs'
import type { FileEntry } from '#core/manifest'
import { verifyBlobs } from '#core/scan'
import { createS3Store } from '#core/storage'

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    objects: { type: 'string' },
    mib: { type: 'string' },
    serve: { type: 'string' },
  },
})

if (values.serve !== undefined) {
  // Child mode: run s3rver in this process and print its port.
  const { default: S3rver } = await import('s3rver')
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: values.serve,
    configureBuckets: [{ name: 'agora', configs: [] }],
  })
  const { port } = (await server.run()) as AddressInfo
  process.stdout.write(`${port}\n`)
  process.stdin.resume()
  process.stdin.on('end', () => {
    void server.close().then(() => process.exit(0))
  })
} else {
  await bench()
}

async function bench(): Promise<void> {
  const runs = Number(values.runs ?? 3)
  const objects = Number(values.objects ?? 8)
  const size = Number(values.mib ?? 256) * 1024 * 1024
  const concurrency = 4
  const dir = await mkdtemp(join(tmpdir(), 'agora-bench-verify-'))
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', dir], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())))
      child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)))
    })
    const client = new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    })
    const store = createS3Store({ client, bucket: 'agora', privatePrefix: 'private/', concurrency })

    const files: FileEntry[] = []
    for (let i = 0; i < objects; i++) {
      const bytes = randomBytes(size)
      const sha256 = createHash('sha256').update(bytes).digest('hex')
      await client.send(
        new PutObjectCommand({
          Bucket: 'agora',
          Key: blobKey(sha256),
          Body: bytes,
          ContentLength: size,
        }),
      )
      files.push({
        path: `model-${String(i).padStart(5, '0')}-of-${objects}.safetensors`,
        size,
        sha256,
      })
    }
    const urls = await Promise.all(
      files.map((f) =>
        getSignedUrl(client, new GetObjectCommand({ Bucket: 'agora', Key: blobKey(f.sha256) }), {
          expiresIn: 3600,
        }),
      ),
    )
    const total = (objects * size) / 1024 ** 3

    const verify = async (): Promise<void> => {
      const checks = await verifyBlobs(files, { store, concurrency })
      if (!checks.every((c) => c.hashOk)) throw new Error('verification failed')
    }
    const curlFloor = async (): Promise<void> => {
      const hashes = await pool(urls, concurrency, (url) => shell(`curl -sf '${url}' | sha256sum`))
      hashes.forEach((line, i) => {
        if (!line.startsWith(files[i]?.sha256 ?? '-'))
          throw new Error(`curl | sha256sum gave ${line}`)
      })
    }
    const getToNull = async (): Promise<void> => {
      await pool(files, concurrency, async (f) => {
        const stream = await store.get(f.sha256)
        for await (const _ of stream) {
          // Only the transfer is timed.
        }
      })
    }

    // s3rver keeps each object as a plain file: sha256sum reads them straight from disk.
    const objectFiles = files.map((f) => join(dir, 'agora', `${blobKey(f.sha256)}._S3rver_object`))
    const sumFiles = async (): Promise<void> => {
      await pool(objectFiles, concurrency, (path) => shell(`sha256sum '${path}'`))
    }

    const samples = {
      verify: [] as number[],
      curl: [] as number[],
      get: [] as number[],
      sum: [] as number[],
    }
    // Interleaved, so drift in the machine's load hits all of them alike.
    for (let r = 0; r < runs; r++) {
      samples.verify.push(await timed(verify))
      samples.curl.push(await timed(curlFloor))
      samples.get.push(await timed(getToNull))
      samples.sum.push(await timed(sumFiles))
    }
    const v = median(samples.verify)
    const c = median(samples.curl)
    const g = median(samples.get)
    const h = median(samples.sum)
    console.log(
      `${objects} objects × ${size / 1024 / 1024} MiB = ${total} GiB in s3rver on loopback, ${concurrency} in flight, median of ${runs}`,
    )
    console.log(
      `  verifyBlobs (HEAD + GET + SHA-256)   ${(v / 1000).toFixed(2)} s   ${(total / (v / 1000)).toFixed(2)} GiB/s   goal <= 1.2x floor`,
    )
    console.log(
      `  floor: curl presigned | sha256sum    ${(c / 1000).toFixed(2)} s   ratio ${(v / c).toFixed(3)}`,
    )
    console.log(
      `  floor: GetObject to nowhere, then sha256sum of the stored files   ${((g + h) / 1000).toFixed(2)} s (${(g / 1000).toFixed(2)} + ${(h / 1000).toFixed(2)})   ratio ${(v / (g + h)).toFixed(3)}`,
    )
    console.log(
      `  context: GetObject to nowhere alone  ${(g / 1000).toFixed(2)} s   ratio ${(v / g).toFixed(3)}`,
    )
    client.destroy()
  } finally {
    child.stdin.end()
    // A child that already died (s3rver failed to start) has no exit left to wait for.
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise((resolve) => child.once('exit', resolve))
    }
    await rm(dir, { recursive: true, force: true })
  }
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const start = performance.now()
  await fn()
  return performance.now() - start
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

async function pool<T, R>(
  items: readonly T[],
  size: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++
      results[index] = await fn(items[index] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker))
  return results
}

function shell(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `set -o pipefail; ${command}`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    child.once('exit', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`${command} exited ${code}`)),
    )
  })
}
