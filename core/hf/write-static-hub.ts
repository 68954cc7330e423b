import * as nodeFs from 'node:fs'
import { join, relative } from 'node:path'
import { writeFileAtomic } from '#core/blobs'
import { indexItemPath } from '#core/index-format'
import { kindPlural } from '#core/names'
import { HF_KINDS, type HfRepoType, openHubIndex } from './hub-index.ts'
import { planStaticHub, STATIC_HF_DIR, type StaticHub, type StaticHubRepo } from './static-hub.ts'

export interface WriteStaticHubOptions {
  /** The built site: holds `index/` (signed); `hf/`, `_redirects`, `nginx-hf.conf` and `_headers` are written there. */
  root: string
  /** The hub's public key; see openHubIndex. */
  publicKey?: string | undefined
  /** Fills the blob template's `{base}`; see StaticHubOptions. */
  blobBase?: string | undefined
  fs?: typeof nodeFs
}

export interface StaticHubResult {
  /** Hub repositories served. */
  repos: number
  /** JSON answers under `hf/`. */
  files: number
  /** Of those, the ones whose bytes changed (the others keep their ETags). */
  written: number
  counts: StaticHub['counts']
  /** Limits of static hosts this hub goes over, as sentences. */
  warnings: string[]
}

/** Marks the generated part of `_headers`, so a rebuild replaces it and keeps the rest. */
const BEGIN = '# agora: Hugging Face protocol (generated from the signed index)'
const END = '# agora: end of Hugging Face protocol'

/** Limits the hosts document: Cloudflare Pages 100 header rules, 2,000 static and 100 dynamic redirects; Netlify advises at 10,000 redirects. */
const LIMITS = {
  cloudflareHeaders: 100,
  cloudflareRedirects: 2000,
  cloudflareDynamic: 100,
  netlifyRedirects: 10000,
}

/**
 * Writes the static form of the Hugging Face download protocol beside a
 * built hub's signed index (see planStaticHub): `hf/…` JSON answers,
 * `_redirects`, `nginx-hf.conf`, and its rules appended to `_headers` (the
 * security headers already there stay first). Reads only verified index
 * documents; files of `hf/` whose bytes do not change are not rewritten.
 *
 * @example const result = await writeStaticHub({ root: 'dist', blobBase: 'https://blobs.example.org' })
 */
export async function writeStaticHub(options: WriteStaticHubOptions): Promise<StaticHubResult> {
  const fs = options.fs ?? nodeFs
  const index = openHubIndex({ root: options.root, publicKey: options.publicKey, fs })
  const config = await index.config()
  const repos: StaticHubRepo[] = []
  for (const type of ['model', 'dataset'] as HfRepoType[]) {
    const seen = new Set<string>()
    for (const kind of HF_KINDS[type]) {
      const folder = join(options.root, 'index', kindPlural(kind))
      const entries = await fs.promises.readdir(folder, { recursive: true }).catch(() => [])
      for (const entry of entries.map(String).sort()) {
        const parts = entry.split(/[\\/]/)
        if (parts.length !== 3 || !parts[2]?.endsWith('.json')) continue
        const [, ns, file] = parts as [string, string, string]
        const name = file.slice(0, -'.json'.length)
        const id = `${ns}/${name}`
        if (seen.has(id)) continue
        seen.add(id)
        // The first kind holding the id wins, as the server decides.
        const repo = await index.findRepo(type, ns, name)
        if (repo) repos.push({ ...repo, file: indexItemPath({ kind: repo.item.kind, ns, name }) })
      }
    }
  }
  const plan = planStaticHub(repos, { blobTemplate: config.blobs, blobBase: options.blobBase })
  const written = await syncFolder(join(options.root, STATIC_HF_DIR), plan.files, fs)
  await writeFileAtomic(join(options.root, '_redirects'), plan.redirects, fs)
  await writeFileAtomic(join(options.root, 'nginx-hf.conf'), plan.nginx, fs)
  const headersFile = join(options.root, '_headers')
  const existing = await fs.promises.readFile(headersFile, 'utf8').catch(() => '')
  await writeFileAtomic(headersFile, mergeHeaders(existing, plan.headers), fs)
  const warnings: string[] = []
  const { headerRules, redirectRules, dynamicRedirects } = plan.counts
  if (headerRules + 1 > LIMITS.cloudflareHeaders)
    warnings.push(
      `_headers holds ${headerRules + 1} rules; Cloudflare Pages reads at most ${LIMITS.cloudflareHeaders}`,
    )
  if (redirectRules - dynamicRedirects > LIMITS.cloudflareRedirects)
    warnings.push(
      `_redirects holds ${redirectRules - dynamicRedirects} static rules; Cloudflare Pages reads at most ${LIMITS.cloudflareRedirects}`,
    )
  if (dynamicRedirects > LIMITS.cloudflareDynamic)
    warnings.push(
      `_redirects holds ${dynamicRedirects} rules with a splat; Cloudflare Pages reads at most ${LIMITS.cloudflareDynamic}`,
    )
  if (redirectRules > LIMITS.netlifyRedirects)
    warnings.push(
      `_redirects holds ${redirectRules} rules; Netlify advises against more than ${LIMITS.netlifyRedirects}`,
    )
  return { repos: repos.length, files: plan.files.size, written, counts: plan.counts, warnings }
}

/**
 * Takes what writeStaticHub wrote out of a built hub, for a hub that does not
 * publish the protocol to static hosts (agora.yaml `hf.static: false`): `hf/`,
 * `_redirects` and `nginx-hf.conf` go, and `_headers` keeps only what was
 * there before the generated section (the security headers). Returns whether
 * anything was there to remove.
 *
 * @example await removeStaticHub({ root: 'dist' })
 */
export async function removeStaticHub(options: {
  root: string
  fs?: typeof nodeFs
}): Promise<boolean> {
  const fs = options.fs ?? nodeFs
  let removed = false
  for (const name of [STATIC_HF_DIR, '_redirects', 'nginx-hf.conf']) {
    const target = join(options.root, name)
    const there = await fs.promises.lstat(target).catch(() => undefined)
    if (!there) continue
    await fs.promises.rm(target, { recursive: true, force: true })
    removed = true
  }
  const headersFile = join(options.root, '_headers')
  const existing = await fs.promises.readFile(headersFile, 'utf8').catch(() => undefined)
  if (existing?.includes(BEGIN)) {
    await writeFileAtomic(headersFile, withoutGenerated(existing), fs)
    removed = true
  }
  return removed
}

/**
 * Makes `folder` hold exactly `files` (paths under the served root, starting
 * with the folder's name): a file whose bytes would not change is left
 * alone, so its ETag and Last-Modified stay; stale files are removed.
 * Returns how many files were written.
 */
async function syncFolder(
  folder: string,
  files: ReadonlyMap<string, string>,
  fs: typeof nodeFs,
): Promise<number> {
  const wanted = new Map<string, string>()
  for (const [path, content] of files) wanted.set(path.slice(STATIC_HF_DIR.length + 1), content)
  const present = await fs.promises
    .readdir(folder, { recursive: true, withFileTypes: true })
    .catch(() => [])
  for (const entry of present) {
    const rel = relative(folder, join(entry.parentPath, entry.name))
    if (!entry.isDirectory() && !wanted.has(rel))
      await fs.promises.rm(join(folder, rel), { force: true })
  }
  let written = 0
  for (const [rel, content] of wanted) {
    const target = join(folder, rel)
    const current = await fs.promises.readFile(target, 'utf8').catch(() => undefined)
    if (current === content) continue
    await writeFileAtomic(target, content, fs)
    written++
  }
  // Folders emptied by the removals above, deepest first.
  const dirs = present
    .filter((e) => e.isDirectory())
    .map((e) => join(e.parentPath, e.name))
    .sort((a, b) => b.length - a.length)
  for (const dir of dirs) await fs.promises.rmdir(dir).catch(() => undefined)
  return written
}

/**
 * `_headers` with the generated section replaced: what was there before
 * (the security headers) stays first, so a host that reads only the first
 * rules still sends those.
 *
 * @example mergeHeaders('/*\n  X-Frame-Options: DENY\n', '/a\n  X: 1\n')
 */
export function mergeHeaders(existing: string, generated: string): string {
  const head = withoutGenerated(existing).replace(/\n*$/, '')
  return `${head === '' ? '' : `${head}\n\n`}${BEGIN}\n${generated}${END}\n`
}

/** `_headers` less the generated section and the blank lines before it. */
function withoutGenerated(existing: string): string {
  const start = existing.indexOf(BEGIN)
  if (start === -1) return existing
  const end = existing.indexOf(END)
  const before = existing.slice(0, start).replace(/\n*$/, '')
  const after = end === -1 ? '' : existing.slice(end + END.length + 1)
  return before === '' ? after : `${before}\n${after}`
}
