import { execFile } from 'node:child_process'
import { createPublicKey } from 'node:crypto'
import * as fs from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import git from 'isomorphic-git'
import {
  buildSparseIndex,
  fetchPreviousIndex,
  indexExpiry,
  type PreviousIndex,
  type SparseIndexResult,
} from '#core/catalog'
import { AgoraError, hasErrors, plural, sortIssues } from '#core/errors'
import { removeStaticHub, type StaticHubResult, writeStaticHub } from '#core/hf'
import {
  DEFAULT_BLOB_URL_TEMPLATE,
  type IndexSigningKey,
  keyIdOf,
  loadPrivateKey,
  rawPublicKey,
} from '#core/index-format'
import type { HubConfig } from '#core/manifest'
import { loadRegistry } from '#core/registry'
import { noFollowFs } from '#core/storage'
import { parseCommandArgs } from '../cli/args.ts'
import { createReporter } from '../cli/reporter.ts'
import { findRepoRoot } from '../cli/root.ts'
import { type Command, EXIT_OK, EXIT_PROBLEMS } from './context.ts'

const help = `Usage: agora index build [options]

Writes the static sparse index consumers pull through: <out>/index/config.json,
one signed JSON file per item (index/<kind>s/<shard>/<ns>/<name>.json) with
every version, file, size, hash, status and dist-tag, and the signed search
document (index/search.json) "agora search" and "agora list" read. Files
whose bytes do not change are left alone, so their ETags stay valid. A signed
index also gets the Hugging Face download protocol for static hosts beside it:
<out>/hf/ (JSON answers), <out>/_redirects, rules appended to <out>/_headers,
and <out>/nginx-hf.conf (see docs/consuming.md); agora.yaml hf.static: false
turns that off and removes those files from <out>.

Options:
  --out DIR           output folder, usually the built site (default: dist)
  --key-file FILE     Ed25519 private key, PKCS#8 PEM or base64 seed
                      (default: AGORA_INDEX_KEY_FILE; unsigned without one)
  --key-id ID         key id written beside signatures (default: the
                      agora.yaml key with the same public key)
  --blob-url TEMPLATE blob URL template with {base}, {prefix}, {sha256}
                      (default: storage.public_url + /blobs/sha256/{prefix}/{sha256},
                      else {base}/blobs/sha256/{prefix}/{sha256})
  --commit SHA        registry commit to record (default: HEAD, when a Git checkout)
  --sequence N        freshness sequence, a whole number that must grow from one
                      published index to the next; clients refuse lower ones
                      (default: the commit's committer time in seconds)
  --expires-days N    days until clients refuse config.json, counted from the
                      start of today (UTC); re-sign before then (default:
                      AGORA_INDEX_EXPIRES_DAYS, else 7)
  --previous URL      the hub as last deployed: build on its index (verified
                      with the signing key, built from this commit, a parent
                      or --previous-commit), so documents of unchanged items
                      keep their bytes though --out starts empty (a CI deploy)
  --previous-commit SHA
                      also build on an index of this commit: the branch's tip
                      before a push of several commits (github.event.before)
  --root DIR          hub repository root (default: nearest folder holding
                      registry/agora.yaml)
  --json              print { ok, written, unchanged, removed } and nothing else
  -h, --help          show this help

Exit status: 0 written, 1 the registry has errors, 2 could not run.

Examples:
  agora index build --out dist --key-file ~/.agora/index-key.pem
`

/**
 * The blob URL template for a hub: its storage's public URL when it has
 * one, else beside the index.
 *
 * @example blobTemplateFor(hub) // 'https://blobs.example/blobs/sha256/{prefix}/{sha256}'
 */
export function blobTemplateFor(hub: HubConfig): string {
  const publicUrl = hub.storage.public_url
  return publicUrl
    ? `${publicUrl.replace(/\/+$/, '')}/blobs/sha256/{prefix}/{sha256}`
    : DEFAULT_BLOB_URL_TEMPLATE
}

/**
 * Loads a signing key from a file and names it after the agora.yaml key it
 * matches, so clients that pin agora.yaml's key accept what it signs.
 *
 * @example await loadSigningKey('.agora/index-key.pem', hub)
 */
export async function loadSigningKey(
  file: string,
  hub: HubConfig,
  keyId?: string,
): Promise<{ key: IndexSigningKey; matchesHub: boolean }> {
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new AgoraError('index/key-unreadable', `cannot read the signing key ${file}`, {
      file,
      hint: 'pass --key-file the private key (PEM or base64 seed), or set AGORA_INDEX_KEY_FILE',
      cause: error,
    })
  })
  const privateKey = loadPrivateKey(text)
  const publicKey = rawPublicKey(privateKey).toString('base64')
  const known = hub.keys.find((k) => k.public_key === publicKey)
  return {
    key: { privateKey, keyId: keyId ?? known?.id ?? keyIdOf(publicKey) },
    matchesHub: known !== undefined,
  }
}

/**
 * The committer time of a commit in seconds: the default index sequence,
 * since every new commit on main is later than the one before.
 *
 * @example await commitTime('.', 'HEAD') // 1767225600
 */
export async function commitTime(root: string, ref: string): Promise<number | undefined> {
  try {
    const oid = await git.resolveRef({ fs, dir: root, ref }).catch(() => ref)
    const { commit } = await git.readCommit({ fs, dir: root, oid })
    return commit.committer.timestamp
  } catch {
    // isomorphic-git cannot read a linked worktree; the git binary can, where there is one.
    const seconds = Number(await gitCli(root, ['log', '-1', '--format=%ct', ref]))
    return Number.isSafeInteger(seconds) && seconds > 0 ? seconds : undefined
  }
}

/**
 * A commit and its parents, the commits whose published index a build of it
 * may build on (see FetchPreviousOptions.commits); undefined when Git does
 * not know the commit. Read from the commit object, so a shallow clone has them.
 *
 * @example await buildableCommits('.', 'HEAD') // ['4dd9…', '9c1e…']
 */
export async function buildableCommits(
  root: string,
  ref: string,
  also?: string,
): Promise<string[] | undefined> {
  const own = await ownAndParents(root, ref)
  const extra = previousCommitOf(also)
  return own && extra ? [...own, extra] : own
}

/**
 * The commit given as `--previous-commit` (the branch's tip before a push:
 * the deploy of a push of several commits builds on the index of that tip),
 * checked; undefined for none or Git's all-zero "no commit".
 *
 * @example previousCommitOf('9c1e…') // '9c1e…'
 */
export function previousCommitOf(text: string | undefined): string | undefined {
  if (text === undefined || text === '' || /^0+$/.test(text)) return undefined
  if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(text)) {
    throw new AgoraError(
      'cli/bad-argument',
      `--previous-commit "${text.slice(0, 80)}" is not a commit id`,
      {
        hint: 'give the full hexadecimal id of the commit the deployed index was built from (in a push workflow: github.event.before)',
      },
    )
  }
  return text
}

async function ownAndParents(root: string, ref: string): Promise<string[] | undefined> {
  try {
    const oid = await git.resolveRef({ fs, dir: root, ref }).catch(() => ref)
    const { commit } = await git.readCommit({ fs, dir: root, oid })
    return [oid, ...commit.parent]
  } catch {
    const oid = await gitCli(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])
    const text = oid && (await gitCli(root, ['cat-file', '-p', oid]))
    if (!oid || !text) return undefined
    const parents = text
      .split('\n\n')[0]
      ?.split('\n')
      .filter((l) => l.startsWith('parent '))
      .map((l) => l.slice('parent '.length))
    return [oid, ...(parents ?? [])]
  }
}

/**
 * The checkout's HEAD commit, or undefined outside Git.
 *
 * @example await headCommit('.') // '4dd909513eef91f3793bfa13c68cd60ed1d15622'
 */
export async function headCommit(root: string): Promise<string | undefined> {
  const oid =
    (await git.resolveRef({ fs, dir: root, ref: 'HEAD' }).catch(() => undefined)) ??
    (await gitCli(root, ['rev-parse', 'HEAD']))
  return oid !== undefined && /^[0-9a-f]{40}$/.test(oid) ? oid : undefined
}

/** What `git <args>` prints in `root`, trimmed, or undefined when it fails or git is absent. */
function gitCli(root: string, args: string[]): Promise<string | undefined> {
  return new Promise((done) => {
    execFile('git', ['-C', root, ...args], { timeout: 10_000 }, (error, stdout) =>
      done(error ? undefined : stdout.trim()),
    )
  })
}

const command: Command = {
  summary: 'build the static sparse index (index build --out DIR)',
  help,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      'index',
      ctx.argv,
      {
        out: { type: 'string' },
        'key-file': { type: 'string' },
        'key-id': { type: 'string' },
        'blob-url': { type: 'string' },
        commit: { type: 'string' },
        sequence: { type: 'string' },
        'expires-days': { type: 'string' },
        root: { type: 'string' },
        previous: { type: 'string' },
        'previous-commit': { type: 'string' },
        json: { type: 'boolean' },
      },
      { positionals: { min: 1, max: 1 } },
    )
    if (positionals[0] !== 'build') {
      throw new AgoraError(
        'cli/bad-argument',
        `agora index: unknown subcommand "${positionals[0]}"`,
        {
          hint: 'the only subcommand is "build": agora index build --out dist',
        },
      )
    }
    const report = createReporter(ctx, values.json === true)
    const sequenceText = values.sequence
    if (sequenceText !== undefined && !/^\d{1,15}$/.test(sequenceText)) {
      throw new AgoraError('cli/bad-argument', 'agora index: --sequence must be a whole number', {
        hint: 'use a number that grows with every published index, e.g. --sequence $(date +%s)',
      })
    }
    const daysText = values['expires-days'] ?? ctx.env.AGORA_INDEX_EXPIRES_DAYS ?? '7'
    const days = Number(daysText)
    if (!Number.isInteger(days) || days < 1 || days > 366) {
      throw new AgoraError(
        'cli/bad-argument',
        'agora index: --expires-days (AGORA_INDEX_EXPIRES_DAYS) must be a whole number from 1 to 366',
        { hint: 'the default is 7; re-sign the index (rebuild it) well before it expires' },
      )
    }
    const root = await findRepoRoot(ctx.cwd, values.root)
    const { registry, issues } = await loadRegistry(root, { fs: noFollowFs({ root }) })
    if (hasErrors(issues)) {
      const errors = sortIssues(issues).filter((i) => i.severity === 'error')
      report.issues(errors)
      report.info(
        `not building the index: the registry has ${plural(errors.length, 'error')}; run "agora validate"`,
      )
      report.result({ ok: false, issues: errors })
      return EXIT_PROBLEMS
    }
    const keyFile = values['key-file'] ?? ctx.env.AGORA_INDEX_KEY_FILE
    let signingKey: IndexSigningKey | undefined
    if (keyFile) {
      const loaded = await loadSigningKey(resolve(ctx.cwd, keyFile), registry.hub, values['key-id'])
      signingKey = loaded.key
      if (!loaded.matchesHub) {
        report.warn(
          `warning: the signing key is not among registry/agora.yaml keys; clients that pin the hub's key will refuse this index`,
        )
      }
    } else {
      report.warn(
        'warning: no --key-file: the index is unsigned, so clients cannot detect tampering',
      )
    }
    const outDir = resolve(ctx.cwd, values.out ?? 'dist')
    const commit = values.commit ?? (await headCommit(root))
    const sequence =
      sequenceText === undefined ? await commitTime(root, commit ?? 'HEAD') : Number(sequenceText)
    if (sequence === undefined) {
      report.warn(
        'warning: no sequence (not a Git checkout, and no --sequence): clients that saw a sequenced index from this hub will refuse this one',
      )
    }
    const expires = indexExpiry(days)
    let previous: PreviousIndex | undefined
    if (values.previous !== undefined) {
      if (!signingKey) {
        throw new AgoraError('cli/bad-argument', 'agora index: --previous needs --key-file', {
          hint: 'only documents signed by the key this build signs with can be built upon',
        })
      }
      report.info(`reading the index published at ${values.previous}…`)
      const fetched = await fetchPreviousIndex({
        base: values.previous,
        publicKey: createPublicKey(signingKey.privateKey),
        sequence,
        commits:
          commit === undefined
            ? undefined
            : await buildableCommits(root, commit, values['previous-commit']),
        progress: (done, total) => report.info(`  ${done} of ${total} item documents`),
      })
      previous = fetched.previous
      if (!previous) {
        report.warn(
          `warning: not building on ${values.previous} (${fetched.reason}): every index document is rewritten`,
        )
      }
    }
    const result: SparseIndexResult = await buildSparseIndex(registry, {
      outDir,
      signingKey,
      blobUrlTemplate: values['blob-url'] ?? blobTemplateFor(registry.hub),
      commit,
      sequence,
      expires,
      previous,
    })
    report.info(
      `index: ${result.written.length} written, ${result.unchanged.length} unchanged, ${result.removed.length} removed → ${join(outDir, 'index')}`,
    )
    // The Hub protocol is answered from the signed index only, so an unsigned one gets none.
    let hf: StaticHubResult | undefined
    if (registry.hub.hf?.static === false) {
      if (await removeStaticHub({ root: outDir }))
        report.info(
          'Hugging Face protocol for static hosts: off (agora.yaml hf.static); removed the files an earlier build wrote',
        )
    } else if (signingKey) {
      hf = await writeStaticHub({
        root: outDir,
        publicKey: rawPublicKey(signingKey.privateKey).toString('base64'),
      })
      report.info(
        `Hugging Face protocol for static hosts: ${plural(hf.repos, 'repository', 'repositories')}, ${plural(hf.counts.redirectRules, '_redirects rule')}, ${plural(hf.counts.nginxLocations, 'nginx location')} → ${join(outDir, 'nginx-hf.conf')}`,
      )
      for (const limit of hf.warnings) report.info(`  (only if deployed to that host) ${limit}`)
    }
    report.result({
      ok: true,
      ...(hf ? { hf: { repos: hf.repos, files: hf.files, ...hf.counts } } : {}),
      out: outDir,
      commit: commit ?? null,
      sequence: sequence ?? null,
      expires: expires.toISOString(),
      ...result,
    })
    return EXIT_OK
  },
}

export default command
