import { randomBytes } from 'node:crypto'
import * as nodeFs from 'node:fs'
import { dirname, join } from 'node:path'
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
  /** JSON answers written under `hf/`. */
  files: number
  counts: StaticHub['counts']
  /** Limits of static hosts this hub goes over, as sentences. */
  warnings: string[]
}

/** Marks the generated part of `_headers`, so a rebuild replaces it and keeps the rest. */
const BEGIN = '# agora: Hugging Face protocol (generated from the signed index)'
const END = '# agora: end of Hugging Face protocol'

/** Limits the hosts document: Cloudflare Pages 100 header rules and 2,000 static redirects; Netlify advises at 10,000 redirects. */
const LIMITS = { cloudflareHeaders: 100, cloudflareRedirects: 2000, netlifyRedirects: 10000 }

/**
 * Writes the static form of the Hugging Face download protocol beside a
 * built hub's signed index (see planStaticHub): `hf/…` JSON answers,
 * `_redirects`, `nginx-hf.conf`, and its rules appended to `_headers` (the
 * security headers already there stay first). Reads only verified index
 * documents; the previous `hf/` is replaced whole.
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
  const fresh = join(options.root, `${STATIC_HF_DIR}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    for (const [path, content] of plan.files) {
      const target = join(fresh, path.slice(STATIC_HF_DIR.length + 1))
      await fs.promises.mkdir(dirname(target), { recursive: true })
      await fs.promises.writeFile(target, content)
    }
    const old = join(options.root, STATIC_HF_DIR)
    await fs.promises.rm(old, { recursive: true, force: true })
    await fs.promises.mkdir(fresh, { recursive: true })
    await fs.promises.rename(fresh, old)
  } finally {
    await fs.promises.rm(fresh, { recursive: true, force: true })
  }
  await writeFileAtomic(join(options.root, '_redirects'), plan.redirects, fs)
  await writeFileAtomic(join(options.root, 'nginx-hf.conf'), plan.nginx, fs)
  const headersFile = join(options.root, '_headers')
  const existing = await fs.promises.readFile(headersFile, 'utf8').catch(() => '')
  await writeFileAtomic(headersFile, mergeHeaders(existing, plan.headers), fs)
  const warnings: string[] = []
  const { headerRules, redirectRules } = plan.counts
  if (headerRules + 1 > LIMITS.cloudflareHeaders)
    warnings.push(
      `_headers holds ${headerRules + 1} rules; Cloudflare Pages reads at most ${LIMITS.cloudflareHeaders}`,
    )
  if (redirectRules > LIMITS.cloudflareRedirects)
    warnings.push(
      `_redirects holds ${redirectRules} rules; Cloudflare Pages reads at most ${LIMITS.cloudflareRedirects}`,
    )
  if (redirectRules > LIMITS.netlifyRedirects)
    warnings.push(
      `_redirects holds ${redirectRules} rules; Netlify advises against more than ${LIMITS.netlifyRedirects}`,
    )
  return { repos: repos.length, files: plan.files.size, counts: plan.counts, warnings }
}

/**
 * `_headers` with the generated section replaced: what was there before
 * (the security headers) stays first, so a host that reads only the first
 * rules still sends those.
 *
 * @example mergeHeaders('/*\n  X-Frame-Options: DENY\n', '/a\n  X: 1\n')
 */
export function mergeHeaders(existing: string, generated: string): string {
  const start = existing.indexOf(BEGIN)
  const end = existing.indexOf(END)
  const kept =
    start === -1
      ? existing
      : existing.slice(0, start) + (end === -1 ? '' : existing.slice(end + END.length + 1))
  const head = kept.replace(/\n*$/, '')
  return `${head === '' ? '' : `${head}\n\n`}${BEGIN}\n${generated}${END}\n`
}
