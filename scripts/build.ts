#!/usr/bin/env node
/**
 * `npm run build`: the static catalog (Astro, then Pagefind) into dist/, then the
 * signed sparse index and the servable blobs beside it.
 */
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { plural } from '#core/errors'
import { buildLocalHub, type LocalHub, type LocalHubOptions } from './local-hub.ts'
import { indexSearch } from './search-index.ts'

const projectRoot = resolve(fileURLToPath(import.meta.url), '../..')

export interface BuildOptions {
  /** Repository holding registry/; default the project root. */
  repoRoot?: string
  outDir?: string
  /** Put the sample hub's files in the embedded store first (npm start). */
  sampleBlobs?: boolean
  log?: (line: string) => void
  /** The local licence service, pinned in the index (see LocalHubOptions.licensing). */
  licensing?: LocalHubOptions['licensing']
  /** A payments/links.json of the local fake checkout, for the Buy buttons (npm start only). */
  paymentLinksFile?: string
}

/**
 * Builds everything a hub serves: pages and search index, `index/` and `blobs/`.
 *
 * @example await buildHub({ sampleBlobs: true })
 */
export async function buildHub(options: BuildOptions = {}): Promise<LocalHub> {
  const repoRoot = resolve(options.repoRoot ?? projectRoot)
  const outDir = resolve(options.outDir ?? resolve(projectRoot, 'dist'))
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`))
  log('building the catalog (Astro)…')
  await runAstroBuild(repoRoot, outDir, options.paymentLinksFile)
  log('indexing search (Pagefind)…')
  await indexSearch(outDir, { log })
  const hub = await buildLocalHub({
    repoRoot,
    outDir,
    sampleBlobs: options.sampleBlobs ?? false,
    ...(options.licensing ? { licensing: options.licensing } : {}),
  })
  log(
    `index: ${plural(hub.index.written.length, 'file')} written, ${hub.index.unchanged.length} unchanged; ${plural(hub.blobs, 'blob')} servable`,
  )
  return hub
}

function runAstroBuild(repoRoot: string, outDir: string, linksFile?: string): Promise<void> {
  const astro = resolve(projectRoot, 'node_modules/astro/bin/astro.mjs')
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [astro, 'build', '--silent'], {
      cwd: projectRoot,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        AGORA_ROOT: repoRoot,
        AGORA_OUT_DIR: outDir,
        ...(linksFile ? { AGORA_PAYMENT_LINKS: linksFile } : {}),
      },
    })
    child.on('error', fail)
    child.on('exit', (code) =>
      code === 0 ? done() : fail(new Error(`astro build exited with code ${code}`)),
    )
  })
}

if (import.meta.main) {
  await buildHub()
}
