import {
  describeItem,
  type FileInfo,
  type ItemInfo,
  loadItem,
  sanitizeForTerminal,
  type VersionInfo,
} from '#core/client'
import type { Pricing } from '#core/manifest'
import { formatRef } from '#core/names'
import { parseCommandArgs } from '../cli/args.ts'
import { formatBytes, plural } from '../cli/format.ts'
import { HUB_SOURCE_OPTIONS, hubSource } from '../cli/hub-source.ts'
import { createReporter } from '../cli/reporter.ts'
import { type Command, EXIT_OK } from './context.ts'

const help = `Usage: agora info <[kind/]ns/name[@version|@tag|@range]> [options]

Shows what the hub's signed index says about an item: its kind, status,
pricing, dist-tags, every version with its status, and the files (size and
SHA-256) of the version the spec selects, latest by default. For a
collection, its members. The index is checked as for a pull (signature,
freshness, document rules); nothing is downloaded but the item's index file.

With its card's title, summary, owners, licence and tags (an index built
before they were added lacks them).

Options:
  --offline           read the copy of the index an earlier pull or info cached
  --index URL         the hub's index (default: AGORA_INDEX_URL, else base_url
                      of the registry/agora.yaml around the current folder)
  --key BASE64        the hub's Ed25519 public key (default: AGORA_INDEX_KEY,
                      else the local agora.yaml's, else trusted on first use)
  --cache DIR         cache folder (default: AGORA_CACHE, else ~/.cache/agora)
  --allow-rollback    accept an index older than one already seen, or expired
  --json              print the result as JSON and nothing else
  -h, --help          show this help

Exit status: 0 found, 2 not found or could not read the index.

Examples:
  agora info acme/tox-gnn
  agora info datasets/acme/tox21@^1.0 --json
  agora info acme/tox-gnn --offline
`

/** What `--json` prints. */
export interface InfoReport {
  ok: true
  item: string
  kind: string
  id: string
  title: string | null
  summary: string | null
  owners: string[] | null
  license: string | null
  tags: string[] | null
  status: ItemInfo['status'] | null
  pricing: Pricing | null
  dist_tags: Record<string, string>
  versions: VersionInfo[]
  /** The version the spec selects and its files; null for a collection. */
  selected: {
    version: string
    status: VersionInfo['status'] | null
    files: FileInfo[]
    total_size: number
  } | null
  /** A collection's members as `[kind/]ns/name[@version]`; null for other kinds. */
  members: string[] | null
  commit: string | null
  warnings: string[]
}

const command: Command = {
  summary: "show an item's versions, status and files from the signed index",
  help,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs('info', ctx.argv, HUB_SOURCE_OPTIONS, {
      positionals: { min: 1, max: 1 },
    })
    const report = createReporter(ctx, values.json === true)
    const source = await hubSource(ctx, values, { command: 'info', verb: 'read' })
    const loaded = await loadItem(positionals[0] as string, {
      fetch: ctx.fetch,
      ...source,
      offline: values.offline === true,
      allowRollback: values['allow-rollback'] === true,
    })
    const info = describeItem(loaded)
    for (const warning of info.warnings) report.warn(`warning: ${warning}`)
    report.info(formatInfo(info))
    report.result(infoReport(info))
    return EXIT_OK
  },
}

export default command

/**
 * The text `agora info` prints; hub text in it is escaped by the reporter.
 *
 * @example formatInfo(describeItem(loaded)) // 'acme/tox (model)\ndist-tags: latest 1.0.0\n…'
 */
export function formatInfo(info: ItemInfo): string {
  const lines = [
    `${formatRef(info.ref)} (${info.ref.kind})${info.title ? `: ${hub(info.title)}` : ''}`,
  ]
  if (info.summary) lines.push(hub(info.summary))
  if (info.owners?.length) lines.push(`owners: ${hub(info.owners.join(', '))}`)
  if (info.license) lines.push(`license: ${hub(info.license)}`)
  if (info.tags?.length) lines.push(`tags: ${hub(info.tags.join(', '))}`)
  if (info.status && info.status.state !== 'active')
    lines.push(`status: ${statusText(info.status)}`)
  if (info.pricing) lines.push(`pricing: ${pricingText(info.pricing)}`)
  const tags = Object.entries(info.distTags).map(([tag, version]) => `${tag} ${version}`)
  if (tags.length > 0) lines.push(`dist-tags: ${tags.join(', ')}`)
  if (info.versions.length > 0) {
    lines.push('versions:')
    const width = Math.max(...info.versions.map((v) => v.version.length))
    for (const v of info.versions) {
      const notes = [
        v.tags.length > 0 ? `(${v.tags.join(', ')})` : '',
        v.released ? `released ${hub(v.released)}` : '',
        v.status && v.status.state !== 'active' ? statusText(v.status) : '',
      ].filter(Boolean)
      lines.push(`  ${[v.version.padEnd(width), ...notes].join('  ')}`.trimEnd())
    }
  }
  if (info.selected) {
    const { version, files, totalSize } = info.selected
    lines.push(`files of ${version}: ${plural(files.length, 'file')}, ${formatBytes(totalSize)}`)
    const pathWidth = Math.max(0, ...files.map((f) => f.path.length))
    const sizes = files.map((f) => formatBytes(f.size))
    const sizeWidth = Math.max(0, ...sizes.map((s) => s.length))
    files.forEach((f, i) => {
      lines.push(
        `  ${hub(f.path).padEnd(pathWidth)}  ${(sizes[i] as string).padStart(sizeWidth)}  sha256:${f.sha256}${f.private ? '  (private)' : ''}`,
      )
    })
  }
  if (info.members) {
    lines.push(`members: ${info.members.length}`)
    for (const m of info.members) lines.push(`  ${memberText(m)}`)
  }
  if (info.commit) lines.push(`commit: ${info.commit}`)
  return lines.join('\n')
}

function infoReport(info: ItemInfo): InfoReport {
  return {
    ok: true,
    item: formatRef(info.ref),
    kind: info.ref.kind,
    id: `${info.ref.ns}/${info.ref.name}`,
    title: info.title ?? null,
    summary: info.summary ?? null,
    owners: info.owners ?? null,
    license: info.license ?? null,
    tags: info.tags ?? null,
    status: info.status ?? null,
    pricing: info.pricing ?? null,
    dist_tags: info.distTags,
    versions: info.versions,
    selected: info.selected
      ? {
          version: info.selected.version,
          status: info.selected.status ?? null,
          files: info.selected.files,
          total_size: info.selected.totalSize,
        }
      : null,
    members: info.members ? info.members.map(memberText) : null,
    commit: info.commit ?? null,
    warnings: info.warnings,
  }
}

/**
 * "yanked: bad weights (use acme/x)". Hub words are escaped here, line breaks
 * included, since the reporter keeps the breaks of the text it is given.
 */
function statusText(status: { state: string; reason?: string; replacement?: string }): string {
  return hub(
    `${status.state}${status.reason ? `: ${status.reason}` : ''}${status.replacement ? ` (use ${status.replacement})` : ''}`,
  )
}

function hub(value: unknown): string {
  return sanitizeForTerminal(String(value))
}

/** "subscription, 10 USD a month, 1000 queries". */
function pricingText(p: Pricing): string {
  const parts: string[] = [p.model]
  if (p.price !== undefined)
    parts.push(
      `${p.price}${p.currency ? ` ${p.currency}` : ''}${p.interval ? ` a ${p.interval}` : ''}`,
    )
  if (p.query_limit !== undefined) parts.push(`${p.query_limit} queries`)
  if (p.contact) parts.push(`contact ${p.contact}`)
  return hub(parts.join(', '))
}

function memberText(m: { kind: ItemInfo['ref']['kind']; id: string; version?: string }): string {
  const [ns = '', name = ''] = m.id.split('/')
  return hub(`${formatRef({ kind: m.kind, ns, name })}${m.version ? `@${m.version}` : ''}`)
}
