import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, get, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendFileBytes } from './send-file-bytes.ts'

// Over two of its 1 MiB buffers and not a multiple of them, so every buffer is reused.
const BYTES = randomBytes(3 * (1 << 20) + 12_345)
const SHA256 = createHash('sha256').update(BYTES).digest('hex')

describe('core/hf/send-file-bytes', () => {
  let dir: string
  let file: string
  let server: Server
  let url: string
  /** What the last call of sendFileBytes came to. */
  let outcome: Promise<unknown> = Promise.resolve()
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-send-'))
    file = join(dir, 'blob')
    await writeFile(file, BYTES)
    // Larger than the loopback socket buffers can hold, for the client that leaves.
    await writeFile(join(dir, 'large'), Buffer.alloc(32 << 20, 1))
    // `/start/end/sha256[?large]`: the range to send and the hash to check, if any.
    server = createServer((request, response) => {
      const [target, query] = (request.url ?? '').split('?')
      const [start, end, sha256] = (target ?? '').split('/').slice(1)
      const path = query === 'large' ? join(dir, 'large') : file
      response.writeHead(200, { 'content-length': Number(end) - Number(start) + 1 })
      outcome = sendFileBytes(response, path, Number(start), Number(end), {
        ...(sha256 ? { sha256 } : {}),
      }).then(
        () => 'sent',
        (error: Error) => {
          response.destroy()
          return error.message
        },
      )
    })
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((done) => server.close(done))
    await rm(dir, { recursive: true, force: true })
  })

  it('sends a whole file of several buffers, and ranges across their edges, byte for byte', async () => {
    const whole = Buffer.from(
      await (await fetch(`${url}/0/${BYTES.length - 1}/${SHA256}`)).arrayBuffer(),
    )
    expect(whole.equals(BYTES)).toBe(true)
    expect(await outcome).toBe('sent')
    for (const [start, end] of [
      [0, 0],
      [(1 << 20) - 5, (1 << 20) + 5],
      [1, 2 * (1 << 20)],
      [BYTES.length - 3, BYTES.length - 1],
    ] as const) {
      const part = Buffer.from(await (await fetch(`${url}/${start}/${end}`)).arrayBuffer())
      expect(part.equals(BYTES.subarray(start, end + 1)), `${start}-${end}`).toBe(true)
    }
  })

  it('holds back the last buffer of bytes that do not match the hash, so the client never has them all', async () => {
    const body = fetch(`${url}/0/${BYTES.length - 1}/${'0'.repeat(64)}`).then((r) =>
      r.arrayBuffer(),
    )
    await expect(body).rejects.toThrow()
    expect(await outcome).toBe('blob does not match its SHA-256')
  })

  it('settles when the client goes away in the middle', async () => {
    await new Promise<void>((done) => {
      get(`${url}/0/${(32 << 20) - 1}/?large`, (response) => {
        response.once('data', () => {
          response.destroy()
          done()
        })
      })
    })
    expect(await outcome).toMatch(/went away|destroyed|EPIPE|ECONNRESET/)
  })
})
