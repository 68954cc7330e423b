import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { CatalogDetail } from './types.ts'

/** Digests are file names: anything else in the folder is not the store's. */
const DIGEST = /^[0-9a-z]{1,64}$/

function shardOf(digest: string): string {
  return digest.slice(0, 2).padStart(2, '0')
}

/** Runs `work` over `items`, `limit` at a time: tens of thousands of small files, one after another, mostly wait. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) await work(items[i] as T)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

/**
 * Item details (versions with files, rendered card) on disk, one JSON file
 * per content digest: `<dir>/<aa>/<digest>.json`. A build keeps the whole
 * hub's catalog entries in memory but reads each detail only while its own
 * page renders, so memory does not grow with the size of every card and file
 * list in the hub. Files are written by temp + rename and never change.
 *
 * @example
 * const details = new DetailStore('node_modules/.astro/agora-details')
 * await details.write([{ digest: 'f00d', detail }])
 * (await details.read('f00d')).readmeHtml
 */
export class DetailStore {
  readonly dir: string

  constructor(dir: string) {
    this.dir = dir
  }

  path(digest: string): string {
    if (!DIGEST.test(digest)) throw new Error(`catalog: not a detail digest: ${digest}`)
    return join(this.dir, shardOf(digest), `${digest}.json`)
  }

  async read(digest: string): Promise<CatalogDetail> {
    const file = this.path(digest)
    try {
      return JSON.parse(await readFile(file, 'utf8')) as CatalogDetail
    } catch (error) {
      throw new Error(
        `catalog: cannot read the item detail ${file} (${(error as Error).message}); delete the build cache and build again`,
      )
    }
  }

  /** Digests stored now. */
  async list(): Promise<Set<string>> {
    const found = new Set<string>()
    let shards: string[]
    try {
      shards = await readdir(this.dir)
    } catch {
      return found
    }
    await pool(shards, 16, async (shard) => {
      const files = await readdir(join(this.dir, shard)).catch(() => [] as string[])
      for (const f of files) {
        const digest = f.endsWith('.json') ? f.slice(0, -5) : ''
        if (DIGEST.test(digest)) found.add(digest)
      }
    })
    return found
  }

  /** Writes details, 16 files in flight, each atomically. */
  async write(details: readonly { digest: string; detail: CatalogDetail }[]): Promise<void> {
    const shards = new Set(details.map((d) => shardOf(d.digest)))
    await pool([...shards], 16, async (shard) => {
      await mkdir(join(this.dir, shard), { recursive: true })
    })
    await pool(details, 16, async ({ digest, detail }) => {
      const file = this.path(digest)
      const temp = `${file}.${process.pid}.tmp`
      await writeFile(temp, JSON.stringify(detail))
      await rename(temp, file)
    })
  }

  /** Deletes stored details whose digest is not in `keep`; returns how many. */
  async prune(stored: ReadonlySet<string>, keep: ReadonlySet<string>): Promise<number> {
    const stale = [...stored].filter((d) => !keep.has(d))
    await pool(stale, 16, (digest) => rm(this.path(digest), { force: true }))
    return stale.length
  }
}
