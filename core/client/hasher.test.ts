import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { inlineHasher, startHashingThread, workerHasher } from './hasher.ts'

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex')

describe('core/client/hasher', () => {
  it('hashes on the worker as on this thread, from shared and private memory, several at once', async () => {
    const blobs = [randomBytes(3_000_001), randomBytes(1), randomBytes(0), randomBytes(2_500_000)]
    const results = await Promise.all(
      blobs.map(async (blob, n) => {
        const onWorker = workerHasher()
        const here = inlineHasher()
        const shared = Buffer.from(new SharedArrayBuffer(1 << 20))
        for (let at = 0, i = 0; at < blob.length; at += 700_000, i++) {
          const part = blob.subarray(at, at + 700_000)
          here.update(part)
          // Alternate shared chunks (read in place) and private ones (copied).
          if ((i + n) % 2 === 0) {
            part.copy(shared)
            await onWorker.update(shared.subarray(0, part.length))
          } else await onWorker.update(part)
        }
        return [await onWorker.digest(), await here.digest()]
      }),
    )
    expect(results).toEqual(blobs.map((blob) => [sha256(blob), sha256(blob)]))
  })

  it('refuses a chunk after the digest was asked for', async () => {
    const hasher = workerHasher()
    await hasher.digest()
    expect(() => hasher.update(Buffer.from('late'))).toThrow(/closed/)
  })

  it('lets the process end once every hash is digested or closed', async () => {
    const module = join(import.meta.dirname, 'hasher.ts')
    const script = `
      const { workerHasher } = await import(${JSON.stringify(module)})
      const done = workerHasher(); await done.update(Buffer.from('a')); console.log(await done.digest())
      const dropped = workerHasher(); await dropped.update(Buffer.from('b')); dropped.close()
    `
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script],
      { timeout: 20_000 },
    )
    expect(stdout.trim()).toBe(sha256(Buffer.from('a')))
  })

  it('starts the thread ahead, and a process that then hashes nothing still ends', async () => {
    const module = join(import.meta.dirname, 'hasher.ts')
    const script = `
      const { startHashingThread } = await import(${JSON.stringify(module)})
      startHashingThread()
      startHashingThread()
      console.log('started')
    `
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script],
      { timeout: 20_000 },
    )
    expect(stdout).toBe('started\n')
    startHashingThread()
    const hasher = workerHasher()
    await hasher.update(Buffer.from('ahead'))
    expect(await hasher.digest()).toBe(sha256(Buffer.from('ahead')))
  })
})

describe('core/client/hasher when the thread fails', () => {
  const module = join(import.meta.dirname, 'hasher.ts')
  /**
   * Runs `script` in a child whose Worker is replaced before hasher.ts loads:
   * the first one `fails` as given, later ones start as usual.
   */
  const withFailingThread = (fails: 'to start' | 'while booting', script: string) => {
    const preload = `data:text/javascript,${encodeURIComponent(`
      import threads from 'node:worker_threads'
      import { syncBuiltinESMExports } from 'node:module'
      const Real = threads.Worker
      let count = 0
      threads.Worker = class extends Real {
        constructor(code, options) {
          if (++count === 1 && ${JSON.stringify(fails)} === 'to start')
            throw Object.assign(new Error('cannot start a thread'), { code: 'ERR_WORKER_INIT_FAILED' })
          super(count === 1 ? 'throw new Error("the thread failed as it booted")' : code, options)
          if (count === 1) globalThis.firstThread = this
        }
      }
      syncBuiltinESMExports()
    `)}`
    return promisify(execFile)(
      process.execPath,
      ['--import', preload, '--input-type=module', '-e', script],
      { timeout: 20_000 },
    )
  }

  it('leaves hashing to later when the thread cannot start ahead', async () => {
    const { stdout } = await withFailingThread(
      'to start',
      `
      const { startHashingThread, workerHasher } = await import(${JSON.stringify(module)})
      startHashingThread()
      const hasher = workerHasher()
      await hasher.update(Buffer.from('later'))
      console.log(await hasher.digest())
    `,
    )
    expect(stdout.trim()).toBe(sha256(Buffer.from('later')))
  })

  it('hashes on a new thread after one failed as it booted, and the process still ends', async () => {
    // The failed thread's exit comes after its error: by then a new thread
    // hashes, and the exit is the old one's, not the new one's.
    const { stdout } = await withFailingThread(
      'while booting',
      `
      const { startHashingThread, workerHasher } = await import(${JSON.stringify(module)})
      startHashingThread()
      // The thread does not keep the process alive: this waits for its error.
      const alive = setInterval(() => {}, 1000)
      const hasher = await new Promise((done) => globalThis.firstThread.once('error', () => done(workerHasher())))
      clearInterval(alive)
      await hasher.update(Buffer.from('again'))
      console.log(await hasher.digest())
    `,
    )
    expect(stdout.trim()).toBe(sha256(Buffer.from('again')))
  })

  it('fails a hash opened before its thread failed, where it would wait for an answer forever', async () => {
    const { stdout } = await withFailingThread(
      'while booting',
      `
      const { workerHasher } = await import(${JSON.stringify(module)})
      const hasher = workerHasher()
      await new Promise((done) => globalThis.firstThread.once('error', done))
      console.log(await hasher.update(Buffer.from('late')).then(() => 'hashed', (error) => error.message))
    `,
    )
    expect(stdout).toBe('the hashing thread stopped\n')
  })
})
