import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import {
  type CollectionPullResult,
  type LinkMode,
  memberFolder,
  type PullEvent,
  type PullOptions,
  type PullResult,
  parseSpec,
  pull,
  pullCollection,
} from '#core/client'
import { AgoraError } from '#core/errors'
import { formatRef } from '#core/names'
import { parseCommandArgs } from '../cli/args.ts'
import { formatBytes, plural } from '../cli/format.ts'
import { HUB_SOURCE_OPTIONS, hubSource } from '../cli/hub-source.ts'
import type { Progress } from '../cli/progress.ts'
import { createReporter } from '../cli/reporter.ts'
import { type Command, EXIT_OK } from './context.ts'

const help = `Usage: agora pull <[kind/]ns/name[@version|@tag|@range]> [options]

Downloads an item's files into the local cache (and, with --to, a folder),
verifying the size and SHA-256 of every file, resuming broken transfers, and
records what was pulled in agora.lock.

The item is looked up in the hub's static index (two requests: config.json,
cached, and the item's file; both signature-checked), or, with --raw and
--commit, in raw Git files pinned to a commit.

Options:
  --to DIR            also place the files in DIR, as copies (reflinks where
                      the file system has them); a different file already
                      there is refused, unless --force
  --force             with --to, overwrite files that hold other bytes
  --include GLOB      only files matching GLOB (repeatable), e.g. "*.safetensors"
  --locked            pull the version in agora.lock and refuse any difference
  --offline           use only the cache; say what is missing
  --index URL         the hub's index (default: AGORA_INDEX_URL, else base_url
                      of the registry/agora.yaml around the current folder)
  --key BASE64        the hub's Ed25519 public key (default: AGORA_INDEX_KEY,
                      else the local agora.yaml's, else trusted on first use)
  --raw TEMPLATE      raw Git URL template with {commit} and {path}, instead of
                      the index (needs --commit)
  --commit SHA        the commit raw URLs are pinned to
  --blob-url TEMPLATE with --raw, where the blobs are: a URL with {sha256},
                      {prefix} (its first two characters) and {base} (the
                      hub's base_url), as for "agora index build"; default
                      storage.public_url of agora.yaml at the commit
  --cache DIR         cache folder (default: AGORA_CACHE, else ~/.cache/agora)
  --lock FILE         lock file to read and update (default: ./agora.lock)
  --link MODE         how --to places files: copy (default), hardlink or
                      symlink; links share the cache's read-only bytes, so
                      an edit through them would alter the cache (it is
                      noticed and fetched again, but do not edit them)
  --concurrency N     files downloaded at once (default 4)
  --licence FILE      a licence for the item's paid files (default:
                      AGORA_LICENCE): verified offline against the hub's
                      pinned licence keys, then exchanged at the hub's
                      licence service for short-lived download URLs;
                      unpaid files never need one
  --stall-timeout S   give up on a server that sends nothing for S seconds
                      (default: AGORA_STALL_TIMEOUT, else 30)
  --allow-rollback    accept an index older than one already seen, or
                      expired (only when you know why the hub went back)
  --json              print the result as JSON and nothing else
  -h, --help          show this help

A collection (collections/<ns>/<name>) pulls each of its members, pinned as
the collection says (its latest when it pins nothing), and records them all
in agora.lock with an entry for the collection, so --locked and --offline
replay the same set. With --to, each member lands in
DIR/<kind>s/<ns>/<name>/. If one member fails, the pull fails naming it and
agora.lock is left as it was.

Exit status: 0 pulled, 2 could not pull.

Examples:
  agora pull acme/tox-gnn
  agora pull datasets/acme/tox21@1.0.0 --to data/tox21
  agora pull acme/tox-gnn --include "*.onnx" --index http://127.0.0.1:4321
  agora pull acme/tox-gnn --locked --offline
  agora pull acme/tox-gnn --licence ~/Downloads/lic_0a1b.licence
  agora pull collections/curators/admet-starter-kit --to kit
`

/** What `--json` prints. */
export interface PullReport {
  ok: true
  item: string
  version: string
  commit: string | null
  snapshot: string
  downloaded_bytes: number
  files: PullResult['files']
  warnings: string[]
  lock_changed: boolean
}

/** What `--json` prints for a collection: one report per member, in order. */
export interface CollectionPullReport {
  ok: true
  collection: string
  commit: string | null
  downloaded_bytes: number
  members: Omit<PullReport, 'ok' | 'lock_changed'>[]
  warnings: string[]
  lock_changed: boolean
}

const LINK_MODES: readonly LinkMode[] = ['copy', 'hardlink', 'symlink']

const command: Command = {
  summary: 'download an item into the cache, verified, resumable, locked',
  help,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      'pull',
      ctx.argv,
      {
        to: { type: 'string' },
        include: { type: 'string', multiple: true },
        locked: { type: 'boolean' },
        ...HUB_SOURCE_OPTIONS,
        raw: { type: 'string' },
        commit: { type: 'string' },
        'blob-url': { type: 'string' },
        lock: { type: 'string' },
        link: { type: 'string' },
        force: { type: 'boolean' },
        concurrency: { type: 'string' },
        'stall-timeout': { type: 'string' },
        licence: { type: 'string' },
      },
      { positionals: { min: 1, max: 1 } },
    )
    const report = createReporter(ctx, values.json === true)
    const link = (values.link ?? 'copy') as LinkMode
    if (!LINK_MODES.includes(link)) {
      throw new AgoraError(
        'cli/bad-argument',
        `agora pull: --link must be one of ${LINK_MODES.join(', ')}`,
        {
          hint: 'use --link copy, --link hardlink or --link symlink',
        },
      )
    }
    const concurrency = values.concurrency === undefined ? 4 : Number(values.concurrency)
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
      throw new AgoraError(
        'cli/bad-argument',
        'agora pull: --concurrency must be a whole number from 1 to 64',
        {
          hint: 'try --concurrency 4',
        },
      )
    }
    const stallText = values['stall-timeout'] ?? ctx.env.AGORA_STALL_TIMEOUT
    const stallSeconds = stallText === undefined ? 30 : Number(stallText)
    if (!Number.isFinite(stallSeconds) || stallSeconds <= 0 || stallSeconds > 86_400) {
      throw new AgoraError(
        'cli/bad-argument',
        'agora pull: --stall-timeout (AGORA_STALL_TIMEOUT) must be a number of seconds above 0',
        { hint: 'try --stall-timeout 30; fractions such as 0.5 are allowed' },
      )
    }
    if (values.raw !== undefined && values.commit === undefined) {
      throw new AgoraError('cli/bad-argument', 'agora pull: --raw needs --commit', {
        hint: 'raw Git URLs are always pinned to a full commit hash: add --commit <sha>',
      })
    }
    const blobUrl = values['blob-url']
    if (blobUrl !== undefined && values.raw === undefined) {
      throw new AgoraError('cli/bad-argument', 'agora pull: --blob-url applies to --raw', {
        hint: "the index's config.json says where its blobs are; use --blob-url with --raw and --commit",
      })
    }
    if (
      blobUrl !== undefined &&
      (!/^(https?:\/\/|\{base\})/.test(blobUrl) || !blobUrl.includes('{sha256}'))
    ) {
      throw new AgoraError(
        'cli/bad-argument',
        `agora pull: --blob-url "${blobUrl}" is not an http(s) URL template with {sha256}`,
        { hint: 'e.g. --blob-url https://cdn.example.org/blobs/sha256/{prefix}/{sha256}' },
      )
    }
    const { indexUrl, publicKey, cacheDir } = await hubSource(ctx, values, {
      command: 'pull',
      verb: 'pull from',
      raw: values.raw !== undefined,
    })

    let bar: Progress | undefined
    const onEvent = (event: PullEvent): void => {
      if (event.type === 'warning') report.warn(`warning: ${event.message}`)
      else if (event.type === 'member') {
        report.info(
          `[${event.index + 1}/${event.total}] ${formatRef(event.ref)}${event.ref.version ? `@${event.ref.version}` : ''}`,
        )
      } else if (event.type === 'resolved' && event.fetchBytes > 0) {
        bar?.done()
        bar = report.progress({
          label: `${formatRef(event.resolution.ref)}@${event.resolution.version}`,
          total: event.fetchBytes,
        })
      } else if (event.type === 'progress') bar?.tick(event.bytes)
    }
    const licencePath = values.licence ?? ctx.env.AGORA_LICENCE
    let licence: PullOptions['licence']
    if (licencePath !== undefined) {
      const file = resolve(ctx.cwd, licencePath)
      const text = await readFile(file, 'utf8').catch((error: unknown) => {
        throw new AgoraError(
          'cli/bad-argument',
          `agora pull: cannot read the licence file ${file}`,
          {
            hint: 'give the path of the licence file the licence service sent (--licence or AGORA_LICENCE)',
            cause: error,
          },
        )
      })
      licence = { text, file }
    }
    const spec = positionals[0] as string
    const to = values.to === undefined ? undefined : resolve(ctx.cwd, values.to)
    const options: PullOptions = {
      fetch: ctx.fetch,
      indexUrl,
      rawUrlTemplate: values.raw,
      commit: values.commit,
      blobUrlTemplate: blobUrl,
      publicKey,
      cacheDir,
      to,
      link,
      force: values.force === true,
      include: values.include,
      lockFile: resolve(ctx.cwd, values.lock ?? 'agora.lock'),
      locked: values.locked === true,
      offline: values.offline === true,
      concurrency,
      stallTimeoutMs: Math.round(stallSeconds * 1000),
      allowRollback: values['allow-rollback'] === true,
      onEvent,
      licence,
    }
    if (parseSpec(spec).kind === 'collection') {
      let collection: CollectionPullResult
      try {
        collection = await pullCollection(spec, options)
      } finally {
        bar?.done()
      }
      for (const member of collection.members) {
        report.info(
          `${pulledLine(member)}\n  ${to === undefined ? member.snapshot : join(to, memberFolder(member.ref))}`,
        )
      }
      const total = collection.members.reduce((n, m) => n + m.files.length, 0)
      report.info(
        `pulled ${formatRef(collection.ref)}: ${plural(collection.members.length, 'member')}, ${plural(total, 'file')} (${formatBytes(collection.downloadedBytes)} downloaded)`,
      )
      const json: CollectionPullReport = {
        ok: true,
        collection: formatRef(collection.ref),
        commit: collection.commit ?? null,
        downloaded_bytes: collection.downloadedBytes,
        members: collection.members.map((m) => {
          const { ok: _ok, lock_changed: _changed, ...rest } = itemReport(m)
          return rest
        }),
        warnings: collection.warnings,
        lock_changed: collection.lockChanged,
      }
      report.result(json)
      return EXIT_OK
    }
    let result: PullResult
    try {
      result = await pull(spec, options)
    } finally {
      bar?.done()
    }
    report.info(pulledLine(result))
    report.info(`  ${to ?? result.snapshot}`)
    report.result(itemReport(result))
    return EXIT_OK
  },
}

/** "pulled acme/x@1.0.0: 2 files, 3 kB (1 kB downloaded)". */
function pulledLine(result: PullResult): string {
  const total = result.files.reduce((n, f) => n + f.size, 0)
  return `pulled ${formatRef(result.ref)}@${result.version}: ${plural(result.files.length, 'file')}, ${formatBytes(total)} (${formatBytes(result.downloadedBytes)} downloaded)`
}

function itemReport(result: PullResult): PullReport {
  return {
    ok: true,
    item: formatRef(result.ref),
    version: result.version,
    commit: result.commit ?? null,
    snapshot: result.snapshot,
    downloaded_bytes: result.downloadedBytes,
    files: result.files,
    warnings: result.warnings,
    lock_changed: result.lockChanged,
  }
}

export default command
