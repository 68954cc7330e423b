import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http'
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net'
import type { BlobAnswer, BlobGet } from '../blob-get.ts'

/** Servers the blob reader's tests started; closeServers() closes them after each test. */
export const servers: (Server | NetServer)[] = []

/** The connections each server accepted: a client may keep one open after its answer. */
const accepted = new WeakMap<Server | NetServer, Set<Socket>>()

export async function closeServers(): Promise<void> {
  for (const server of servers.splice(0)) {
    for (const socket of accepted.get(server) ?? []) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  }
}

export async function listen(server: Server | NetServer, protocol = 'http'): Promise<string> {
  servers.push(server)
  const sockets = new Set<Socket>()
  accepted.set(server, sockets)
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return `${protocol}://127.0.0.1:${port}`
}

export function http(handler: RequestListener): Promise<string> {
  return listen(createHttpServer(handler))
}

/** A server that answers every connection with these raw bytes (then, if asked, stays open). */
export function raw(answer: (socket: Socket) => void): Promise<string> {
  return listen(
    createNetServer((socket) => {
      socket.once('data', () => answer(socket))
      socket.on('error', () => undefined)
    }),
  )
}

export const signal = (): AbortSignal => AbortSignal.timeout(10_000)

/** Reads a whole body, copying each chunk (its memory is the reader's once the sink is done). */
export async function body(get: BlobGet, url: string, headers: Record<string, string> = {}) {
  const answer = await get(url, { headers, signal: signal() })
  const chunks: Buffer[] = []
  await answer.consume((chunk) => {
    chunks.push(Buffer.from(chunk))
    return undefined
  })
  return { answer, bytes: Buffer.concat(chunks) }
}

/**
 * Reads a body through a slow sink that holds each chunk until `release`
 * calls back: the bytes read, and the most chunks it held at once.
 */
export async function consumeSlowly(
  answer: BlobAnswer,
  release: (done: () => void) => void,
): Promise<{ total: number; most: number }> {
  let held = 0
  let most = 0
  let total = 0
  await answer.consume((chunk) => {
    total += chunk.byteLength
    most = Math.max(most, ++held)
    return new Promise((resolve) =>
      release(() => {
        held--
        resolve()
      }),
    )
  })
  return { total, most }
}
