import { createHash, type Hash } from 'node:crypto'
import { Worker } from 'node:worker_threads'

/** SHA-256 of a blob fed chunk by chunk, here or on a worker thread. */
export interface BlobHasher {
  /**
   * Adds a chunk. When this returns a promise, the chunk's memory must stay
   * as it is until the promise settles (the worker reads it then).
   */
  update(chunk: Uint8Array): Promise<void> | undefined
  /** The hex digest of everything added. */
  digest(): Promise<string>
  /** Drops the hash (a failed download); safe after digest. */
  close(): void
}

/**
 * A hasher on this thread, continuing from `hash`.
 *
 * @example const hasher = inlineHasher(createHash('sha256'))
 */
export function inlineHasher(hash: Hash = createHash('sha256')): BlobHasher {
  return {
    update(chunk) {
      hash.update(chunk)
      return undefined
    },
    digest: async () => hash.digest('hex'),
    close() {},
  }
}

// The worker's code: one Hash per open id, fed in the order the chunks come.
const THREAD = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const hashes = new Map()
parentPort.on('message', (m) => {
  if (m.type === 'update') {
    let hash = hashes.get(m.id)
    if (!hash) hashes.set(m.id, (hash = createHash('sha256')))
    hash.update(new Uint8Array(m.buffer, m.offset, m.length))
    parentPort.postMessage({ type: 'hashed', id: m.id })
  } else if (m.type === 'digest') {
    const hash = hashes.get(m.id) ?? createHash('sha256')
    hashes.delete(m.id)
    parentPort.postMessage({ type: 'digest', id: m.id, hex: hash.digest('hex') })
  } else hashes.delete(m.id)
})
`

interface Pending {
  /** Chunks sent and not yet hashed, oldest first. */
  hashed: { resolve: () => void; reject: (error: unknown) => void }[]
  digest?: { resolve: (hex: string) => void; reject: (error: unknown) => void }
}

let worker: Worker | undefined
let nextId = 0
const open = new Map<number, Pending>()

function thread(): Worker {
  if (worker) return worker
  // No flags of this process (--input-type=module would make the script a module).
  const started = new Worker(THREAD, { eval: true, execArgv: [] })
  started.on('message', (message: { type: string; id: number; hex?: string }) => {
    const pending = open.get(message.id)
    if (!pending) return
    if (message.type === 'hashed') pending.hashed.shift()?.resolve()
    else if (message.type === 'digest') {
      open.delete(message.id)
      release()
      pending.digest?.resolve(message.hex as string)
    }
  })
  // A thread that failed is done with: its exit, which follows its error,
  // must not fail the hashes of the thread started after it.
  const fail = (error: unknown) => {
    if (worker !== started) return
    worker = undefined
    for (const pending of open.values()) {
      for (const waiter of pending.hashed.splice(0)) waiter.reject(error)
      pending.digest?.reject(error)
    }
    open.clear()
  }
  started.on('error', fail)
  started.on('exit', (code) => fail(new Error(`the hashing thread stopped (exit code ${code})`)))
  started.unref()
  worker = started
  return started
}

/**
 * Starts the hashing thread ahead of the first large blob. It takes tens of
 * milliseconds to boot, during which the first chunks of every download
 * would wait for it; started while the index is read, it is ready when they
 * come. It keeps the process alive only while a hash is open on it.
 *
 * @example startHashingThread() // then resolve; workerHasher() finds it running
 */
export function startHashingThread(): void {
  try {
    thread()
  } catch {
    // Only a head start: a thread that cannot start now is tried again by
    // the first workerHasher(), and a pull of small files never needs it.
  }
}

/** The worker keeps the process alive only while a hash is open on it. */
function release(): void {
  if (open.size === 0) worker?.unref()
}

/**
 * A hasher whose SHA-256 runs on a worker thread shared by every download
 * of the process, so the thread that reads the sockets does not also spend
 * a core's worth of time hashing (1 GiB is about 0.65 CPU-seconds). Chunks
 * in shared memory (socketGet's buffers) reach the worker without a copy;
 * others are copied.
 *
 * @example const hasher = workerHasher(); await answer.consume((c) => hasher.update(c)); await hasher.digest()
 */
export function workerHasher(): BlobHasher {
  const id = nextId++
  const pending: Pending = { hashed: [] }
  const port = thread()
  open.set(id, pending)
  port.ref()
  let closed = false
  return {
    update(chunk) {
      if (closed) throw new Error('the hash was already closed')
      // Its thread failed (and took the hash along): nothing would answer.
      if (!open.has(id)) return Promise.reject(new Error('the hashing thread stopped'))
      return new Promise<void>((resolve, reject) => {
        pending.hashed.push({ resolve, reject })
        if (chunk.buffer instanceof SharedArrayBuffer) {
          port.postMessage({
            type: 'update',
            id,
            buffer: chunk.buffer,
            offset: chunk.byteOffset,
            length: chunk.byteLength,
          })
        } else {
          // A copy of its own, so moving it to the thread detaches nothing of the caller's.
          const copy = new Uint8Array(chunk.byteLength)
          copy.set(chunk)
          port.postMessage(
            { type: 'update', id, buffer: copy.buffer, offset: 0, length: copy.byteLength },
            [copy.buffer],
          )
        }
      })
    },
    digest() {
      closed = true
      return new Promise<string>((resolve, reject) => {
        if (!open.has(id)) return reject(new Error('the hashing thread stopped'))
        pending.digest = { resolve, reject }
        port.postMessage({ type: 'digest', id })
      })
    },
    close() {
      if (closed) return
      closed = true
      open.delete(id)
      // What the thread still reads goes into a hash nobody asks for.
      for (const waiter of pending.hashed.splice(0)) waiter.resolve()
      port.postMessage({ type: 'close', id })
      release()
    },
  }
}
