#!/usr/bin/env node
import { createPublicKey } from 'node:crypto'
import { copyFile, link, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import {
  buildSparseIndex,
  fetchPreviousIndex,
  indexExpiry,
  type PreviousIndex,
  type SparseIndexResult,
} from '#core/catalog'
import { AgoraError, formatIssue, hasErrors, plural } from '#core/errors'
import { removeStaticHub, type StaticHubResult, writeStaticHub } from '#core/hf'
import {
  DEFAULT_BLOB_URL_TEMPLATE,
  generateSigningKey,
  type IndexSigningKey,
  keyIdOf,
  loadPrivateKey,
  rawPublicKey,
} from '#core/index-format'
import type { HubConfig, PublicKeyConfig } from '#core/manifest'
import { loadRegistry } from '#core/registry'
import { noFollowFs } from '#core/storage'
import { buildableCommits, commitTime, headCommit } from './commands/index-build.ts'
import { sampleSigningKey } from './sample/hub.ts'
import { serveHub } from './serve-hub.ts'

export interface LocalHubOptions {
  /** Hub repository root (holding registry/). */
  repoRoot: string
  /** Folder served as the hub: the site build's output; index/ and blobs/ are added. */
  outDir: string
  /** Fill the embedded store with the sample hub's files first; default true. */
  sampleBlobs?: boolean
  /** PEM or base64 seed of the index signing key; see signingKeyFor for the default. */
  signingKey?: string
  /**
   * The local licence service (`npm start`): its URL and dev key go into the
   * index config.json in place of agora.yaml's, so `agora pull --licence`
   * pins that key and fetches paid files there.
   */
  licensing?: { service: string; keys: PublicKeyConfig[] }
  /**
   * URL of the hub as last deployed: its index is read (see
   * fetchPreviousIndex) so unchanged item documents keep their bytes though
   * the output folder starts empty.
   */
  previous?: string | undefined
  /** Another commit whose published index may be built on: the branch's tip before a push. */
  previousCommit?: string | undefined
  /** Refuse to sign with a key agora.yaml does not list (a deploy: clients would refuse it). */
  requireHubKey?: boolean
  log?: (line: string) => void
}

export interface LocalHub {
  index: SparseIndexResult
  /** Blobs made servable under `<outDir>/blobs/`. */
  blobs: number
  keyId: string
  publicKey: string
  /** True when agora.yaml lists the key, so `agora pull` can pin it. */
  keyInHub: boolean
  /**
   * The static Hugging Face protocol written beside the index (see
   * writeStaticHub); undefined when agora.yaml `hf.static` is false.
   */
  hf: StaticHubResult | undefined
}

/**
 * Makes a hub servable from one folder, the way `npm start` shows it: fills
 * the embedded fs store with the sample files, links its public blobs under
 * `<outDir>/blobs/sha256/…` (hard links, copies across devices; paid blobs
 * under the private prefix are not exposed), and writes the signed sparse
 * index under `<outDir>/index/`, and the Hugging Face protocol for static
 * hosts from it (`hf/`, `_redirects`, `nginx-hf.conf`, `_headers` rules)
 * unless agora.yaml `hf.static` is false. Serve the folder with serveHub
 * (which answers the protocol itself either way) and pull with
 * `agora pull <item> --index http://127.0.0.1:<port>`.
 *
 * @example
 * await buildLocalHub({ repoRoot: '.', outDir: 'dist' })
 * const hub = await serveHub({ root: 'dist', port: 4321 })
 */
export async function buildLocalHub(options: LocalHubOptions): Promise<LocalHub> {
  const repoRoot = resolve(options.repoRoot)
  const outDir = resolve(options.outDir)
  // Never following a symbolic link: a linked file is an error, not content.
  const { registry, issues } = await loadRegistry(repoRoot, { fs: noFollowFs({ root: repoRoot }) })
  if (hasErrors(issues)) {
    const first = issues.find((i) => i.severity === 'error')
    throw new AgoraError(
      'local-hub/invalid-registry',
      'the registry has errors; not building the local hub',
      {
        hint: `${first ? `the first: ${formatIssue({ ...first, hint: '' })}\n  ` : ''}run "npx agora validate" to list them all, then fix them (or move a draft item out of registry/)`,
      },
    )
  }
  let blobs = 0
  if (registry.hub.storage.type === 'fs') {
    const path = registry.hub.storage.path
    const storeDir = isAbsolute(path) ? path : join(repoRoot, path)
    if (options.sampleBlobs ?? true) {
      const { writeSampleBlobs } = await import('./gen-sample.ts')
      await writeSampleBlobs(storeDir)
    }
    blobs = await linkTree(join(storeDir, 'blobs'), join(outDir, 'blobs'))
  }
  if (options.licensing) {
    registry.hub.payments = {
      ...registry.hub.payments,
      licence_service: options.licensing.service,
      licence_keys: options.licensing.keys,
    }
  }
  const signingKey = await signingKeyFor(repoRoot, registry.hub, options.signingKey)
  const publicKey = rawPublicKey(signingKey.privateKey).toString('base64')
  const keyInHub = registry.hub.keys.some((k) => k.public_key === publicKey)
  if (options.requireHubKey && !keyInHub) {
    throw new AgoraError(
      'local-hub/key-not-in-hub',
      `the index signing key (${keyIdOf(publicKey)}) is not among registry/agora.yaml keys`,
      {
        hint: 'set AGORA_INDEX_KEY_FILE to the private key of a key agora.yaml lists (the deploy workflow writes it from the AGORA_INDEX_SIGNING_KEY secret)',
      },
    )
  }
  const sequence = await commitTime(repoRoot, 'HEAD')
  let previous: PreviousIndex | undefined
  if (options.previous) {
    const log = options.log ?? (() => {})
    log(`reading the index published at ${options.previous}…`)
    const fetched = await fetchPreviousIndex({
      base: options.previous,
      publicKey: createPublicKey(signingKey.privateKey),
      sequence,
      // Only the index of this commit, a parent or the tip before the push: an older one may be a stale copy.
      commits: await buildableCommits(repoRoot, 'HEAD', options.previousCommit),
      progress: (done, total) => log(`  ${done} of ${total} item documents`),
    })
    previous = fetched.previous
    log(
      previous
        ? `  ${plural(previous.items.size, 'item document')} to build on`
        : `  not building on it (${fetched.reason}): every index document is rewritten`,
    )
  }
  const index = await buildSparseIndex(registry, {
    outDir,
    signingKey,
    // Served beside the index, whatever public URL production uses.
    blobUrlTemplate: DEFAULT_BLOB_URL_TEMPLATE,
    commit: await headCommit(repoRoot),
    // Rebuilt on every deploy and daily, so clients always see a fresh, growing index.
    sequence,
    expires: indexExpiry(7),
    previous,
  })
  let hf: StaticHubResult | undefined
  if (registry.hub.hf?.static === false) await removeStaticHub({ root: outDir })
  else hf = await writeStaticHub({ root: outDir, publicKey })
  return {
    index,
    hf,
    blobs,
    keyId: signingKey.keyId,
    publicKey,
    keyInHub,
  }
}

/**
 * The index signing key of a local hub: the one given; else the sample key
 * when agora.yaml lists it (its seed is public, for demos only); else
 * `.agora/index-key.pem`, generated on first use (that folder is ignored by Git).
 *
 * @example const key = await signingKeyFor('.', registry.hub)
 */
export async function signingKeyFor(
  repoRoot: string,
  hub: HubConfig,
  given?: string,
): Promise<IndexSigningKey> {
  const named = (pem: string, fallbackId: string): IndexSigningKey => {
    const privateKey = loadPrivateKey(pem)
    const publicKey = rawPublicKey(privateKey).toString('base64')
    return { privateKey, keyId: hub.keys.find((k) => k.public_key === publicKey)?.id ?? fallbackId }
  }
  if (given) return named(given, 'local')
  const sample = sampleSigningKey()
  if (hub.keys.some((k) => k.public_key === sample.publicKeyBase64))
    return named(sample.privateKeyPem, 'sample')
  const file = join(repoRoot, '.agora', 'index-key.pem')
  const existing = await readFile(file, 'utf8').catch(() => undefined)
  if (existing) return named(existing, 'local')
  const fresh = generateSigningKey()
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, fresh.privateKeyPem, { mode: 0o600, flag: 'wx' })
  return named(fresh.privateKeyPem, fresh.keyId)
}

/** Hard-links every file of `from` into `to` (copies across devices); returns the count. */
async function linkTree(from: string, to: string): Promise<number> {
  const entries = await readdir(from, { recursive: true, withFileTypes: true }).catch(() => [])
  let count = 0
  for (const entry of entries) {
    if (!entry.isFile() || entry.name.endsWith('.tmp')) continue
    const source = join(entry.parentPath, entry.name)
    const target = join(to, relative(from, source))
    const there = await stat(target).catch(() => undefined)
    if (there?.isFile()) {
      count++
      continue
    }
    await mkdir(dirname(target), { recursive: true })
    await link(source, target).catch(async (error: unknown) => {
      if ((error as { code?: string }).code === 'EEXIST') return
      await copyFile(source, target)
    })
    count++
  }
  return count
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      root: { type: 'string', default: '.' },
      out: { type: 'string', default: 'dist' },
      port: { type: 'string', default: '4321' },
      serve: { type: 'boolean', default: false },
    },
  })
  const built = await buildLocalHub({ repoRoot: values.root, outDir: values.out })
  process.stdout.write(
    `index: ${built.index.written.length} written, ${built.index.unchanged.length} unchanged; ${plural(built.blobs, 'blob')}; key ${built.keyId}${built.keyInHub ? '' : ' (not in agora.yaml: clients trust it on first use)'}\n`,
  )
  if (values.serve) {
    const hub = await serveHub({ root: values.out, port: Number(values.port) })
    process.stdout.write(
      `serving ${resolve(values.out)} at ${hub.url}\n  agora pull <item> --index ${hub.url}\n`,
    )
  }
}
