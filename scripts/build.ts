#!/usr/bin/env node
/**
 * `npm run build`: the static catalog (Astro, then Pagefind) into dist/, then the
 * signed sparse index and the servable blobs beside it.
 *
 *   npm run build -- [--previous URL [--previous-commit SHA]] [--require-hub-key]
 *
 * AGORA_INDEX_KEY_FILE names the index signing key (PEM or base64 seed);
 * --previous builds on the index deployed at URL (when built from this
 * commit, a parent or --previous-commit), so unchanged item documents keep
 * their bytes and ETags; --require-hub-key fails unless
 * agora.yaml lists the signing key.
 */
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { plural } from '#core/errors'
import { runScript } from './cli/script-error.ts'
import { previousCommitOf } from './commands/index-build.ts'
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
  /** PEM or base64 seed of the index signing key (see signingKeyFor for the default). */
  signingKey?: string | undefined
  /** The deployed hub's URL, whose index this build builds on (see LocalHubOptions.previous). */
  previous?: string | undefined
  /** The branch's tip before a push, whose deployed index may be built on too. */
  previousCommit?: string | undefined
  /** Say which static hosts' rule limits the Hugging Face rules pass; default true. */
  hostLimits?: boolean
  /** Fail unless the index is signed by a key agora.yaml lists. */
  requireHubKey?: boolean
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
    ...(options.signingKey ? { signingKey: options.signingKey } : {}),
    previous: options.previous,
    previousCommit: options.previousCommit,
    requireHubKey: options.requireHubKey ?? false,
    log,
  })
  log(
    `index: ${plural(hub.index.written.length, 'file')} written, ${hub.index.unchanged.length} unchanged; ${plural(hub.blobs, 'blob')} servable`,
  )
  const { hf } = hub
  if (!hf) log('Hugging Face protocol for static hosts: off (agora.yaml hf.static)')
  else {
    log(
      `Hugging Face protocol for static hosts: ${plural(hf.repos, 'repository', 'repositories')}, ${plural(hf.counts.redirectRules, '_redirects rule')}, ${plural(hf.counts.nginxLocations, 'nginx location')} (nginx-hf.conf)`,
    )
    // Limits of particular static hosts: news for a deploy, noise for a local preview.
    if (options.hostLimits ?? true)
      for (const limit of hf.warnings) log(`  (only if deployed to that host) ${limit}`)
  }
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
  const { values } = parseArgs({
    options: {
      previous: { type: 'string' },
      'previous-commit': { type: 'string' },
      'require-hub-key': { type: 'boolean', default: false },
    },
  })
  const keyFile = process.env.AGORA_INDEX_KEY_FILE
  process.exitCode = await runScript(
    async () =>
      buildHub({
        signingKey: keyFile ? await readFile(keyFile, 'utf8') : undefined,
        previous: values.previous,
        previousCommit: previousCommitOf(values['previous-commit']),
        requireHubKey: values['require-hub-key'],
      }),
    process.stderr,
  )
}
