import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { type Browser, type BrowserContext, chromium } from 'playwright-core'
import { parseDocument } from 'yaml'
import { indexSearch } from '../../scripts/search-index.ts'
import { type ServedHub, serveHub } from '../../scripts/serve-hub.ts'

/** What the symlinked README of the fixture points at; no built file may contain it. */
export const LINKED_SECRET = 'AGORA_E2E_SECRET=never-on-a-page'

export const PROJECT_ROOT = resolve(import.meta.dirname, '../..')

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

export interface BuiltSite {
  dir: string
  out: string
  url: string
  hub: ServedHub
  /** The safetensors file the fixture item publishes. */
  tensor: { sha256: string; size: number }
  close(): Promise<void>
}

/** A tiny but real safetensors file: two tensors, exact offsets. */
function safetensorsBytes(): Uint8Array {
  const header = JSON.stringify({
    __metadata__: { format: 'pt' },
    'classifier.weight': { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
    'classifier.bias': { dtype: 'F32', shape: [2], data_offsets: [24, 32] },
  })
  const head = new TextEncoder().encode(header)
  const out = new Uint8Array(8 + head.length + 32)
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true)
  out.set(head, 8)
  for (let i = 0; i < 32; i++) out[8 + head.length + i] = i
  return out
}

function run(command: string, args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(command, args, {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let log = ''
    child.stdout.on('data', (d) => (log += d))
    child.stderr.on('data', (d) => (log += d))
    child.on('error', fail)
    child.on('exit', (code) =>
      code === 0
        ? ok()
        : fail(new Error(`${command} ${args.join(' ')} exited ${code}\n${log.slice(-4000)}`)),
    )
  })
}

/**
 * Builds the sample hub plus the hostile fixture item into a temp folder and
 * serves it on loopback: the e2e tests run against the real built site. The
 * hub's URLs are pointed at the loopback server so canonical links and blob
 * downloads stay local. `env` adds build settings (for example
 * `AGORA_SEARCH_SPLIT_ABOVE`).
 */
export async function buildSite(env: Record<string, string> = {}): Promise<BuiltSite> {
  const dir = await mkdtemp(join(tmpdir(), 'agora-site-e2e-'))
  const out = join(dir, 'dist')
  await mkdir(out, { recursive: true })
  const hub = await serveHub({ root: out, port: 0, host: '127.0.0.1' })
  try {
    const sample = join(PROJECT_ROOT, 'registry')
    const base = existsSync(join(sample, 'agora.yaml'))
      ? sample
      : join(PROJECT_ROOT, 'core/registry/__fixtures__/valid/registry')
    await cp(base, join(dir, 'registry'), { recursive: true })
    await cp(join(import.meta.dirname, '__fixtures__/evil/registry'), join(dir, 'registry'), {
      recursive: true,
    })

    const hubFile = join(dir, 'registry/agora.yaml')
    const doc = parseDocument(await readFile(hubFile, 'utf8'))
    doc.set('base_url', hub.url)
    doc.setIn(['storage', 'public_url'], hub.url)
    const licenses = doc.getIn(['licenses', 'allowed'])
    if (licenses && typeof licenses === 'object' && 'items' in licenses) {
      const allowed = (doc.toJS().licenses?.allowed ?? []) as string[]
      if (!allowed.includes('MIT')) doc.setIn(['licenses', 'allowed'], [...allowed, 'MIT'])
    }
    await writeFile(hubFile, doc.toString())

    // A README.md that is a symbolic link to a secret outside the registry:
    // the build must refuse it, never render it.
    await writeFile(join(dir, 'secret.env'), `${LINKED_SECRET}\n`)
    await symlink(
      join(dir, 'secret.env'),
      join(dir, 'registry/models/ma/mallory/linked-card/README.md'),
    )

    const bytes = safetensorsBytes()
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    const itemDir = join(dir, 'registry/models/ma/mallory/evil-card')
    await mkdir(join(itemDir, 'versions'), { recursive: true })
    await writeFile(
      join(itemDir, 'versions/1.0.0.yaml'),
      `version: 1.0.0\nreleased: 2025-02-01\nchangelog: First release.\nfiles:\n  - { path: model.safetensors, size: ${bytes.length}, sha256: ${sha256} }\n`,
    )
    const blobDir = join(out, 'blobs/sha256', sha256.slice(0, 2))
    await mkdir(blobDir, { recursive: true })
    await writeFile(join(blobDir, sha256), bytes)

    await run(process.execPath, [join(PROJECT_ROOT, 'node_modules/astro/bin/astro.mjs'), 'build'], {
      AGORA_ROOT: dir,
      AGORA_OUT_DIR: out,
      AGORA_COMMIT: '0123456789abcdef0123456789abcdef01234567',
      ...env,
    })
    const splitAbove = env.AGORA_SEARCH_SPLIT_ABOVE
    await indexSearch(out, splitAbove ? { splitAbove: Number(splitAbove) } : {})
    // astro build empties outDir; put the blob back where the hub serves blobs.
    await mkdir(blobDir, { recursive: true })
    await writeFile(join(blobDir, sha256), bytes)
  } catch (error) {
    await hub.close()
    await rm(dir, { recursive: true, force: true })
    throw error
  }
  return {
    dir,
    out,
    url: hub.url,
    hub,
    tensor: {
      sha256: createHash('sha256').update(safetensorsBytes()).digest('hex'),
      size: safetensorsBytes().length,
    },
    async close() {
      await hub.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Debian's chromium through playwright-core. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
}

/** Collects console errors, page errors and CSP violations of every page in a context. */
export function watchErrors(context: BrowserContext): string[] {
  const errors: string[] = []
  context.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`${msg.location().url}: ${msg.text()}`)
  })
  context.on('weberror', (e) => errors.push(`pageerror: ${e.error().message}`))
  return errors
}

/** A built site, a browser and one context watched for errors: what every e2e file starts from. */
export interface OpenSite {
  site: BuiltSite
  browser: Browser
  context: BrowserContext
  errors: string[]
  close(): Promise<void>
}

/**
 * Builds the site (`env` as for `buildSite`) and opens a browser context on it.
 *
 * @example const open = await openSite(); …; await open.close()
 */
export async function openSite(env: Record<string, string> = {}): Promise<OpenSite> {
  const site = await buildSite(env)
  const browser = await launchBrowser().catch(async (error) => {
    await site.close()
    throw error
  })
  const context = await browser.newContext()
  return {
    site,
    browser,
    context,
    errors: watchErrors(context),
    async close() {
      await browser.close()
      await site.close()
    },
  }
}
