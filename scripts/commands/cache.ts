import { resolve } from 'node:path'
import { AgoraError } from '#core/errors'
import { parseRef } from '#core/names'
// Leaf modules, not the #core/client barrel: cache commands must start fast.
import { applyPrune, planPrune } from '../../core/client/cache-prune.ts'
import { type CachedItem, scanCache } from '../../core/client/cache-scan.ts'
import { verifyCache } from '../../core/client/cache-verify.ts'
import { parseCommandArgs } from '../cli/args.ts'
import { formatBytes, plural } from '../cli/format.ts'
import { defaultCache } from '../cli/hub-source.ts'
import type { Progress } from '../cli/progress.ts'
import { createReporter } from '../cli/reporter.ts'
import { type Command, EXIT_OK, EXIT_PROBLEMS } from './context.ts'

const help = `Usage: agora cache <ls|verify|rm> [options]

Looks after the local cache that agora pull fills
(<cache>/<kind>s--<ns>--<name>/{blobs,snapshots}).

Subcommands:
  ls                          items, versions, sizes and when each was last used
  verify [--repair]           re-hash every blob against its name and list the
                              corrupt ones; --repair deletes them, so the next
                              pull fetches them again
  rm <item>[@version]         remove an item or one version of it
  rm --older-than DAYS        remove versions no pull used for DAYS days
                              (rm removes the snapshots, then every blob no
                              remaining snapshot points at)

Options:
  --cache DIR         cache folder (default: AGORA_CACHE, else ~/.cache/agora)
  --dry-run           with rm: say what would be removed, remove nothing
  --json              print the result as JSON and nothing else
  -h, --help          show this help

Exit status: 0 done, 1 corrupt blobs found (verify without --repair),
2 could not run.

Examples:
  agora cache ls
  agora cache verify --repair
  agora cache rm acme/tox-gnn@1.0.0
  agora cache rm --older-than 30 --dry-run
`

const SUBCOMMANDS = ['ls', 'verify', 'rm'] as const

/** What `agora cache ls --json` prints. */
export interface CacheListReport {
  ok: true
  cache: string
  size: number
  items: {
    item: string
    size: number
    last_used: string
    versions: { version: string; files: number; size: number; last_used: string }[]
  }[]
}

const command: Command = {
  summary: 'list, verify and prune the local cache (cache ls|verify|rm)',
  help,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      'cache',
      ctx.argv,
      {
        cache: { type: 'string' },
        json: { type: 'boolean' },
        repair: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        'older-than': { type: 'string' },
      },
      { positionals: { min: 1, max: 2 } },
    )
    const sub = positionals[0] as string
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
      throw new AgoraError('cli/bad-argument', `agora cache: unknown subcommand "${sub}"`, {
        hint: 'use agora cache ls, agora cache verify or agora cache rm',
      })
    }
    const onlyFor = (option: string, allowed: string) => {
      if (values[option as keyof typeof values] !== undefined && sub !== allowed) {
        throw new AgoraError(
          'cli/bad-argument',
          `agora cache ${sub}: --${option} is for ${allowed}`,
          {
            hint: `run "agora cache --help" for the options`,
          },
        )
      }
    }
    onlyFor('repair', 'verify')
    onlyFor('dry-run', 'rm')
    onlyFor('older-than', 'rm')
    if (sub !== 'rm' && positionals.length > 1) {
      throw new AgoraError(
        'cli/bad-argument',
        `agora cache ${sub}: unexpected argument "${positionals[1]}"`,
        { hint: 'run "agora cache --help" for the usage' },
      )
    }
    const report = createReporter(ctx, values.json === true)
    const cacheDir = resolve(ctx.cwd, values.cache ?? ctx.env.AGORA_CACHE ?? defaultCache(ctx.env))
    if (sub === 'ls') return list(cacheDir, report)
    if (sub === 'verify') return verify(cacheDir, values.repair === true, report)
    return remove(cacheDir, positionals[1], values, report)
  },
}

export default command

type Reporter = ReturnType<typeof createReporter>

async function list(cacheDir: string, report: Reporter): Promise<number> {
  const scan = await scanCache(cacheDir)
  const rows = scan.items.map((item) => [
    item.id,
    item.versions.map((v) => v.version).join(', ') || '(none)',
    formatBytes(item.size),
    ago(item.lastUsed),
  ])
  if (rows.length > 0) {
    const table = [['ITEM', 'VERSIONS', 'SIZE', 'LAST USED'], ...rows]
    const widths = [0, 1, 2].map((c) => Math.max(...table.map((r) => (r[c] as string).length)))
    for (const row of table)
      report.info(
        row
          .map((cell, c) => (c < 3 ? cell.padEnd(widths[c] as number) : cell))
          .join('  ')
          .trimEnd(),
      )
    report.info('')
  }
  report.info(`${plural(scan.items.length, 'item')}, ${formatBytes(scan.size)} in ${cacheDir}`)
  const json: CacheListReport = {
    ok: true,
    cache: cacheDir,
    size: scan.size,
    items: scan.items.map((item: CachedItem) => ({
      item: item.id,
      size: item.size,
      last_used: item.lastUsed.toISOString(),
      versions: item.versions.map((v) => ({
        version: v.version,
        files: v.files,
        size: v.size,
        last_used: v.lastUsed.toISOString(),
      })),
    })),
  }
  report.result(json)
  return EXIT_OK
}

async function verify(cacheDir: string, repair: boolean, report: Reporter): Promise<number> {
  let bar: Progress | undefined
  let result: Awaited<ReturnType<typeof verifyCache>>
  try {
    result = await verifyCache(cacheDir, {
      repair,
      onStart: (total) => {
        bar = report.progress({ label: 'verifying the cache', total })
      },
      onProgress: (bytes) => bar?.tick(bytes),
    })
  } finally {
    bar?.done()
  }
  for (const c of result.corrupt) {
    report.info(
      `client/cache-corrupt  ${c.path}: ${c.item}: expected sha256 ${c.sha256}, got ${c.actual}${c.removed ? ' (removed)' : ''}`,
    )
  }
  if (result.corrupt.length > 0 && !repair) {
    report.info(
      '  hint: run "agora cache verify --repair" to delete them; the next pull fetches them again',
    )
  }
  report.info(
    `checked ${plural(result.checked, 'blob')}, ${formatBytes(result.bytes)}: ${
      result.corrupt.length === 0
        ? 'all intact'
        : `${result.corrupt.length} corrupt${repair ? ', removed' : ''}`
    }`,
  )
  report.result({
    ok: result.corrupt.length === 0 || repair,
    cache: cacheDir,
    checked: result.checked,
    bytes: result.bytes,
    repaired: repair,
    corrupt: result.corrupt,
  })
  return result.corrupt.length > 0 && !repair ? EXIT_PROBLEMS : EXIT_OK
}

async function remove(
  cacheDir: string,
  target: string | undefined,
  values: { 'older-than'?: string | undefined; 'dry-run'?: boolean | undefined },
  report: Reporter,
): Promise<number> {
  const olderThan = values['older-than']
  if (target === undefined && olderThan === undefined) {
    throw new AgoraError('cli/bad-argument', 'agora cache rm: say what to remove', {
      hint: 'name an item (agora cache rm acme/tox-gnn[@1.0.0]) or an age (--older-than 30)',
    })
  }
  const days = olderThan === undefined ? undefined : Number(olderThan)
  if (days !== undefined && !(Number.isFinite(days) && days >= 0)) {
    throw new AgoraError(
      'cli/bad-argument',
      'agora cache rm: --older-than takes a number of days',
      {
        hint: 'try --older-than 30',
      },
    )
  }
  const spec = target === undefined ? undefined : parseRef(target)
  if (target !== undefined && !spec) {
    throw new AgoraError('cli/bad-argument', `agora cache rm: "${target}" is not an item`, {
      hint: 'items are [kind/]ns/name[@version], e.g. acme/tox-gnn@1.0.0 or datasets/acme/tox21',
    })
  }
  const plan = planPrune(await scanCache(cacheDir), {
    ...(spec
      ? { item: { kind: spec.kind, ns: spec.ns, name: spec.name }, version: spec.version }
      : {}),
    ...(days === undefined ? {} : { olderThanMs: days * 86_400_000 }),
  })
  const dryRun = values['dry-run'] === true
  if (!dryRun) await applyPrune(cacheDir, plan)
  const verb = dryRun ? 'would remove' : 'removed'
  for (const s of plan.snapshots) report.info(`${verb} ${s.item}@${s.version}`)
  report.info(
    `${verb} ${plural(plan.snapshots.length, 'version')} and ${plural(plan.blobs.length, 'blob')}, ${formatBytes(plan.bytes)}`,
  )
  report.result({
    ok: true,
    cache: cacheDir,
    dry_run: dryRun,
    removed: plan.snapshots.map((s) => ({ item: s.item, version: s.version })),
    items_removed: plan.items.map((i) => i.item),
    blobs: plan.blobs.map((b) => ({ item: b.item, sha256: b.sha256, size: b.size })),
    freed_bytes: plan.bytes,
  })
  return EXIT_OK
}

/** `just now`, `5 minutes ago`, `3 days ago`: how `hf cache ls` shows last use. */
function ago(when: Date, now = Date.now()): string {
  const seconds = Math.max(0, (now - when.getTime()) / 1000)
  const steps: [number, string][] = [
    [86_400 * 365, 'year'],
    [86_400 * 30, 'month'],
    [86_400 * 7, 'week'],
    [86_400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ]
  for (const [size, unit] of steps) {
    if (seconds >= size) return `${plural(Math.floor(seconds / size), unit)} ago`
  }
  return 'just now'
}
