import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import type { AstroIntegration } from 'astro'
import * as pagefind from 'pagefind'
import { KINDS, kindPlural } from '../../core/registry/kinds.ts'

const ITEM_FOLDERS = KINDS.map(kindPlural).join(',')

/** Sort orders written beside the index, each a JSON array of Pagefind page ids. */
export const SORT_KEYS = ['trending', 'newest', 'name'] as const
export type SortKey = (typeof SORT_KEYS)[number]

/** What the sort orders need from a page's Pagefind fragment. */
export interface IndexedPage {
  /** Pagefind's page id (`en_1a2b3c4`), the `id` of a search result. */
  id: string
  title: string
  updated: string
  trending: number
}

const SIGNATURE = 'pagefind_dcd'

function decode(file: string, bytes: Buffer): unknown {
  const plain =
    bytes.subarray(0, SIGNATURE.length).toString() === SIGNATURE ? bytes : gunzipSync(bytes)
  if (plain.subarray(0, SIGNATURE.length).toString() !== SIGNATURE)
    throw new Error(
      `Pagefind fragment ${file} has no signature; the Pagefind version may have changed its format`,
    )
  return JSON.parse(plain.subarray(SIGNATURE.length).toString('utf8'))
}

function pageOf(id: string, fragment: unknown): IndexedPage | undefined {
  if (typeof fragment !== 'object' || fragment === null) return undefined
  const meta = (fragment as { meta?: Record<string, unknown> }).meta ?? {}
  const text = (v: unknown): string => (typeof v === 'string' ? v : '')
  const trending = Number(meta['trending'])
  return {
    id,
    title: text(meta['title']),
    updated: text(meta['updated']),
    trending: Number.isFinite(trending) ? trending : 0,
  }
}

/**
 * Reads every indexed page's id and sort fields back from Pagefind's
 * fragment files (single fragments, `<id>.pf_fragment`, or fragment groups,
 * an object keyed by id).
 *
 * @example const pages = await readIndexedPages('dist/pagefind')
 */
export async function readIndexedPages(pagefindDir: string): Promise<IndexedPage[]> {
  const dir = `${pagefindDir}/fragment`
  const files = (await readdir(dir)).filter((f) => f.endsWith('.pf_fragment')).sort()
  // Reads overlap (16 at a time): one after another, 10k small files cost seconds of waiting.
  const contents: Buffer[] = new Array(files.length)
  let next = 0
  const worker = async (): Promise<void> => {
    for (let i = next++; i < files.length; i = next++)
      contents[i] = await readFile(`${dir}/${files[i]}`)
  }
  await Promise.all(Array.from({ length: 16 }, worker))
  const pages: IndexedPage[] = []
  for (const [i, file] of files.entries()) {
    const json = decode(file, contents[i] as Buffer)
    if (
      typeof json === 'object' &&
      json !== null &&
      typeof (json as { url?: unknown }).url === 'string'
    ) {
      const page = pageOf(file.slice(0, -'.pf_fragment'.length), json)
      if (page) pages.push(page)
    } else if (typeof json === 'object' && json !== null) {
      for (const [id, fragment] of Object.entries(json)) {
        const page = pageOf(id, fragment)
        if (page) pages.push(page)
      }
    }
  }
  return pages
}

const byName = (a: IndexedPage, b: IndexedPage): number =>
  a.title.toLowerCase().localeCompare(b.title.toLowerCase(), 'en') || a.id.localeCompare(b.id)

/**
 * The page ids in each sort order: trending and newest descending (undated
 * last), name ascending, ties broken by name so every build orders alike.
 *
 * @example sortOrders(pages).name // ['en_1a2b3c4', …]
 */
export function sortOrders(pages: readonly IndexedPage[]): Record<SortKey, string[]> {
  const ids = (list: IndexedPage[]): string[] => list.map((p) => p.id)
  return {
    trending: ids([...pages].sort((a, b) => b.trending - a.trending || byName(a, b))),
    newest: ids(
      [...pages].sort((a, b) =>
        a.updated === b.updated
          ? byName(a, b)
          : !a.updated
            ? 1
            : !b.updated
              ? -1
              : b.updated.localeCompare(a.updated),
      ),
    ),
    name: ids([...pages].sort(byName)),
  }
}

/**
 * Indexes the built site with Pagefind's Node API after `astro build`, as
 * Starlight does: only pages marked `data-pagefind-body` (item pages) are
 * indexed, with their filters, into `dist/pagefind/`. Sort orders are not
 * Pagefind sort keys (those sit in `pagefind.pf_meta`, which every first
 * query downloads): they are written beside the index as
 * `pagefind/sort/<key>.json`, fetched only when a visitor's view is sorted.
 *
 * @example defineConfig({ integrations: [agoraPagefind()] })
 */
export function agoraPagefind(): AstroIntegration {
  return {
    name: 'agora-pagefind',
    hooks: {
      'astro:build:done': async ({ dir, logger }) => {
        const outDir = fileURLToPath(dir)
        const { index, errors } = await pagefind.createIndex({ forceLanguage: 'en' })
        if (!index) throw new Error(`Pagefind could not start: ${errors.join('; ')}`)
        const target = `${outDir}/pagefind`
        try {
          // Only item pages carry data-pagefind-body; globbing to their folders
          // spares Pagefind from parsing API files and listings.
          const added = await index.addDirectory({
            path: outDir,
            glob: `{${ITEM_FOLDERS}}/*/*/index.html`,
          })
          if (added.errors.length > 0)
            throw new Error(`Pagefind could not index ${outDir}: ${added.errors.join('; ')}`)
          // The output is not emptied between builds: drop the old index first.
          await rm(target, { recursive: true, force: true })
          const written = await index.writeFiles({ outputPath: target })
          if (written.errors.length > 0)
            throw new Error(`Pagefind could not write its index: ${written.errors.join('; ')}`)
          logger.info(`Pagefind indexed ${added.page_count} pages`)
        } finally {
          await index.deleteIndex()
          await pagefind.close()
        }
        const orders = sortOrders(await readIndexedPages(target))
        await rm(`${target}/sort`, { recursive: true, force: true })
        await mkdir(`${target}/sort`, { recursive: true })
        for (const key of SORT_KEYS) {
          const file = `${target}/sort/${key}.json`
          await writeFile(`${file}.tmp`, JSON.stringify(orders[key]))
          await rename(`${file}.tmp`, file)
        }
      },
    },
  }
}
