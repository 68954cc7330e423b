#!/usr/bin/env node
/**
 * The search step of a build: Pagefind indexes of the built site's item
 * pages, written into `<outDir>/pagefind/`.
 *
 *   ./node_modules/.bin/node scripts/search-index.ts [outDir]   (default dist/)
 */
import { glob, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { gunzipSync } from 'node:zlib'
import * as pagefind from 'pagefind'
import { KINDS, type Kind, kindPlural } from '#core/names'
import { splitSearch } from '../site/lib/search-indexes.ts'

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

/** One Pagefind index over the item pages `glob` matches, written to `target`; returns its pages. */
async function writeIndex(outDir: string, glob: string, target: string): Promise<IndexedPage[]> {
  // Each index gets a fresh indexer process: closing it returns the memory it held.
  const { index, errors } = await pagefind.createIndex({ forceLanguage: 'en' })
  if (!index) throw new Error(`Pagefind could not start: ${errors.join('; ')}`)
  try {
    const added = await index.addDirectory({ path: outDir, glob })
    if (added.errors.length > 0)
      throw new Error(`Pagefind could not index ${outDir}: ${added.errors.join('; ')}`)
    const written = await index.writeFiles({ outputPath: target })
    if (written.errors.length > 0)
      throw new Error(`Pagefind could not write its index: ${written.errors.join('; ')}`)
  } finally {
    await index.deleteIndex()
    await pagefind.close()
  }
  return readIndexedPages(target)
}

async function writeOrders(pages: readonly IndexedPage[], dir: string): Promise<void> {
  const orders = sortOrders(pages)
  await mkdir(dir, { recursive: true })
  for (const key of SORT_KEYS) {
    const file = `${dir}/${key}.json`
    await writeFile(`${file}.tmp`, JSON.stringify(orders[key]))
    await rename(`${file}.tmp`, file)
  }
}

/** Item pages per kind among the files a build wrote (`<kind>s/<ns>/<name>/index.html`). */
export function countItemPages(files: Iterable<string>): Map<Kind, number> {
  const byFolder = new Map(KINDS.map((k) => [kindPlural(k), k]))
  const counts = new Map<Kind, number>()
  for (const file of files) {
    const m = /^([a-z]+)\/([^/]+)\/[^/]+\/index\.html$/.exec(file)
    const kind = m && byFolder.get(m[1] as string)
    // Listing pages (`models/sort/name/`, `models/page/2/`) sit at the same depth; both names are reserved.
    if (kind && m[2] !== 'sort' && m[2] !== 'page') counts.set(kind, (counts.get(kind) ?? 0) + 1)
  }
  return counts
}

/** The item pages of a built site, as `<kind>s/<ns>/<name>/index.html` paths. */
async function itemPageFiles(outDir: string): Promise<string[]> {
  const files: string[] = []
  for (const kind of KINDS) {
    for await (const file of glob(`${kindPlural(kind)}/*/*/index.html`, { cwd: outDir })) {
      files.push(file)
    }
  }
  return files
}

/**
 * Indexes the built site's item pages (those marked `data-pagefind-body`)
 * with Pagefind's Node API, with their filters. It runs after `astro build`
 * has exited (`scripts/build.ts`), not as an Astro hook: at 100k items the
 * Astro process still holds about 2 GB then, and the indexer needs 1.6 GB
 * more. One index in `dist/pagefind/`, or, above `SPLIT_ABOVE` item pages,
 * one per kind in `dist/pagefind/<kind>s/`, built one after another so the
 * indexer never holds more than one kind (see `searchSource`). Sort orders
 * are not Pagefind sort keys (those sit in `pagefind.pf_meta`, which every
 * first query downloads): they are written beside each index as
 * `sort/<key>.json`, fetched only when a visitor's view is sorted, and for
 * all kinds in `dist/pagefind/sort/`. Returns the pages indexed.
 *
 * @example await indexSearch('dist')
 */
export async function indexSearch(
  outDir: string,
  options: { splitAbove?: number; log?: (line: string) => void } = {},
): Promise<number> {
  const log = options.log ?? (() => {})
  const counts = countItemPages(await itemPageFiles(outDir))
  const target = `${outDir}/pagefind`
  // The output is not emptied between builds: drop the old index first.
  await rm(target, { recursive: true, force: true })
  if (!splitSearch(counts, options.splitAbove)) {
    const pages = await writeIndex(outDir, `{${ITEM_FOLDERS}}/*/*/index.html`, target)
    await writeOrders(pages, `${target}/sort`)
    log(`search: indexed ${pages.length} pages`)
    return pages.length
  }
  const all: IndexedPage[] = []
  for (const kind of KINDS.filter((k) => (counts.get(k) ?? 0) > 0)) {
    const folder = kindPlural(kind)
    const pages = await writeIndex(outDir, `${folder}/*/*/index.html`, `${target}/${folder}`)
    await writeOrders(pages, `${target}/${folder}/sort`)
    all.push(...pages)
    log(`search: indexed ${pages.length} ${folder}`)
  }
  await writeOrders(all, `${target}/sort`)
  return all.length
}

if (import.meta.main) {
  await indexSearch(resolve(process.argv[2] ?? 'dist'), {
    log: (line) => process.stdout.write(`${line}\n`),
  })
}
