import { loadSearch, type SearchFilters, sanitizeForTerminal } from '#core/client'
import { AgoraError } from '#core/errors'
import type { SearchEntry, SearchIndex } from '#core/index-format'
import { formatRef, KINDS, type Kind, kindPlural } from '#core/names'
import type { CommandContext } from '../commands/context.ts'
import { HUB_SOURCE_OPTIONS, hubSource } from './hub-source.ts'
import type { Reporter } from './reporter.ts'

/** The options `agora search` and `agora list` share: the hub's, the filters and --limit. */
export const ITEM_QUERY_OPTIONS = {
  ...HUB_SOURCE_OPTIONS,
  kind: { type: 'string' },
  domain: { type: 'string' },
  owner: { type: 'string' },
  tag: { type: 'string' },
  license: { type: 'string' },
  limit: { type: 'string' },
} as const

/** Rows shown when --limit is not given. */
export const DEFAULT_LIMIT = 20
const MAX_LIMIT = 10_000

/**
 * The filters and limit of a search or list, checked: a kind this agora
 * knows (`dataset` or `datasets`), a whole-number limit.
 *
 * @example readQueryOptions('list', { kind: 'datasets', limit: '5' }) // { filters: { kind: 'dataset' }, limit: 5 }
 */
export function readQueryOptions(
  command: string,
  values: {
    kind?: string | undefined
    domain?: string | undefined
    owner?: string | undefined
    tag?: string | undefined
    license?: string | undefined
    limit?: string | undefined
  },
): { filters: SearchFilters; limit: number } {
  let kind: Kind | undefined
  if (values.kind !== undefined) {
    const given = values.kind.toLowerCase()
    kind = KINDS.find((k) => k === given || kindPlural(k) === given)
    if (!kind) {
      throw new AgoraError(
        'cli/bad-argument',
        `agora ${command}: --kind "${sanitizeForTerminal(values.kind)}" is not a kind`,
        { hint: `use one of ${KINDS.join(', ')}` },
      )
    }
  }
  const limitText = values.limit ?? String(DEFAULT_LIMIT)
  const limit = Number(limitText)
  if (!/^\d+$/.test(limitText) || limit < 1 || limit > MAX_LIMIT) {
    throw new AgoraError(
      'cli/bad-argument',
      `agora ${command}: --limit must be a whole number from 1 to ${MAX_LIMIT}`,
      { hint: `the default is ${DEFAULT_LIMIT}` },
    )
  }
  const filters: SearchFilters = {}
  if (kind) filters.kind = kind
  for (const key of ['domain', 'owner', 'tag', 'license'] as const) {
    const value = values[key]
    if (value !== undefined) filters[key] = value
  }
  return { filters, limit }
}

/** One item as `--json` prints it: every key always present, null or [] when unknown. */
export interface ItemRow {
  /** What `agora pull` takes: `acme/tox-gnn`, `datasets/acme/tox21`. */
  item: string
  kind: Kind
  id: string
  title: string
  summary: string
  owners: string[]
  license: string
  domains: string[]
  tags: string[]
  tasks: string[]
  formats: string[]
  latest: string | null
  created: string | null
  updated: string | null
  trending: number
  downloads: number | null
  rating: number | null
  /** `active`, or the state the hub gave the item (deprecated, flagged). */
  status: string
}

/**
 * The `--json` form of a search entry.
 *
 * @example itemRow(entry).item // 'datasets/acme/tox21'
 */
export function itemRow(entry: SearchEntry): ItemRow {
  return {
    item: refText(entry),
    kind: entry.kind,
    id: entry.id,
    title: entry.title,
    summary: entry.summary,
    owners: entry.owners,
    license: entry.license,
    domains: entry.domains ?? [],
    tags: entry.tags ?? [],
    tasks: entry.tasks ?? [],
    formats: entry.formats ?? [],
    latest: entry.latest ?? null,
    created: entry.created ?? null,
    updated: entry.updated ?? null,
    trending: entry.trending ?? 0,
    downloads: entry.downloads ?? null,
    rating: entry.rating ?? null,
    status: entry.status ?? 'active',
  }
}

function refText(entry: SearchEntry): string {
  const [ns = '', name = ''] = entry.id.split('/')
  return formatRef({ kind: entry.kind, ns, name })
}

/** Titles longer than this are cut in the table; --json has them whole. */
const TITLE_WIDTH = 60

/**
 * An aligned table of entries (item, latest version, last release, title),
 * every hub string escaped for the terminal before it is measured, so a
 * control character can neither act nor break the alignment.
 *
 * @example formatItemTable([entry]) // 'ITEM      LATEST  UPDATED     TITLE\nacme/tox  1.0.0   2026-03-01  Tox GNN'
 */
export function formatItemTable(entries: readonly SearchEntry[]): string {
  const rows = entries.map((e) => {
    const title = e.title.length > TITLE_WIDTH ? `${e.title.slice(0, TITLE_WIDTH - 1)}…` : e.title
    return [
      refText(e),
      hub(e.latest ?? '-'),
      hub(e.updated?.slice(0, 10) ?? '-'),
      `${hub(title)}${e.status ? ` (${hub(e.status)})` : ''}`,
    ]
  })
  const table = [['ITEM', 'LATEST', 'UPDATED', 'TITLE'], ...rows]
  const widths = [0, 1, 2].map((i) => Math.max(...table.map((r) => (r[i] as string).length)))
  return table
    .map((r) => r.map((cell, i) => (i < 3 ? cell.padEnd(widths[i] as number) : cell)).join('  '))
    .join('\n')
}

function hub(text: string): string {
  return sanitizeForTerminal(text)
}

/**
 * The hub's signed search document for `agora search` and `agora list`,
 * read through the shared hub options; its warnings go to `report`.
 *
 * @example const { index, warnings } = await loadHubSearch(ctx, values, 'list', report)
 */
export async function loadHubSearch(
  ctx: Pick<CommandContext, 'cwd' | 'env' | 'fetch'>,
  values: Parameters<typeof hubSource>[1] & { 'allow-rollback'?: boolean | undefined },
  command: 'search' | 'list',
  report: Reporter,
): Promise<{ index: SearchIndex; warnings: string[] }> {
  const source = await hubSource(ctx, values, { command, verb: command })
  const { index, warnings } = await loadSearch({
    fetch: ctx.fetch,
    ...source,
    offline: values.offline === true,
    allowRollback: values['allow-rollback'] === true,
  })
  for (const warning of warnings) report.warn(`warning: ${warning}`)
  return { index, warnings }
}
