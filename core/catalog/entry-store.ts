import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { finished } from 'node:stream/promises'
import type { CatalogEntry } from './types.ts'

export interface StoredEntry {
  key: string
  digest: string
  entry: CatalogEntry
}

/** A new entries file being written; nothing replaces the old one until `commit`. */
export interface EntryWriter {
  /** Adds an entry, or a line copied as it is from the previous file. */
  add(key: string, digest: string, entry: CatalogEntry | { line: string }): Promise<void>
  commit(): Promise<void>
  abort(): Promise<void>
}

/**
 * Every item's catalog entry in one file, one line per item:
 * `<key>\t<digest>\t<entry as JSON>`. Astro's data store is serialised into
 * string modules that the bundler parses and each build loads whole, about
 * three copies of the catalog at once; this file is read once, line by line,
 * by the process that renders the pages. A rebuild copies the lines of
 * unchanged items without parsing them. Writes go to a temp file renamed
 * over the old one, so a failed sync leaves the previous file intact.
 *
 * @example
 * const entries = new EntryStore('node_modules/.astro/agora-entries.tsv')
 * for await (const { key, entry } of entries.read()) console.log(key, entry.item.title)
 */
export class EntryStore {
  readonly file: string

  constructor(file: string) {
    this.file = file
  }

  /** The stored lines by key, unparsed; empty when there is no file yet. */
  async lines(): Promise<Map<string, { digest: string; line: string }>> {
    const found = new Map<string, { digest: string; line: string }>()
    try {
      for await (const { key, digest, line } of this.#lines()) found.set(key, { digest, line })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return found
      throw error
    }
    return found
  }

  /** Streams the stored entries in file order. */
  async *read(): AsyncGenerator<StoredEntry> {
    for await (const { key, digest, line, number } of this.#lines()) {
      let entry: CatalogEntry
      try {
        entry = JSON.parse(line.slice(key.length + digest.length + 2)) as CatalogEntry
      } catch (error) {
        throw this.#broken(number, (error as Error).message)
      }
      yield { key, digest, entry }
    }
  }

  async create(): Promise<EntryWriter> {
    await mkdir(dirname(this.file), { recursive: true })
    const temp = `${this.file}.${process.pid}.tmp`
    const out = createWriteStream(temp)
    const write = async (text: string): Promise<void> => {
      if (!out.write(text)) await once(out, 'drain')
    }
    return {
      add: (key, digest, entry) => {
        if (/[\t\n]/.test(key) || /[\t\n]/.test(digest)) {
          throw new Error(`catalog: an entry key or digest holds a tab or newline: ${key}`)
        }
        const line = 'line' in entry ? entry.line : `${key}\t${digest}\t${JSON.stringify(entry)}`
        return write(`${line}\n`)
      },
      commit: async () => {
        out.end()
        await finished(out)
        await rename(temp, this.file)
      },
      abort: async () => {
        // The stream may still be opening the temp file: wait until it is
        // closed, or the file appears after it was removed.
        if (!out.closed) {
          const closed = new Promise<void>((done) => out.once('close', () => done()))
          out.destroy()
          await closed
        }
        await rm(temp, { force: true })
      },
    }
  }

  async *#lines(): AsyncGenerator<{ key: string; digest: string; line: string; number: number }> {
    // Opened first, so a missing file throws here rather than on the stream.
    const handle = await open(this.file)
    try {
      let number = 0
      for await (const line of handle.readLines({ encoding: 'utf8' })) {
        number += 1
        if (line === '') continue
        const a = line.indexOf('\t')
        const b = a < 0 ? -1 : line.indexOf('\t', a + 1)
        if (b < 0) throw this.#broken(number, 'expected <key>\\t<digest>\\t<entry>')
        yield { key: line.slice(0, a), digest: line.slice(a + 1, b), line, number }
      }
    } finally {
      // Closed already when the lines ran out; an early stop closes it here.
      await handle.close().catch(() => {})
    }
  }

  #broken(line: number, why: string): Error {
    return new Error(
      `catalog: ${this.file}:${line}: a broken entry (${why}); delete the build cache and build again`,
    )
  }
}
