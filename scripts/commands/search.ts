import { sanitizeForTerminal, searchIndex } from '#core/client'
import { AgoraError } from '#core/errors'
import type { HubItemSummary, HubSearchHit } from '#core/hf'
import { parseCommandArgs } from '../cli/args.ts'
import {
  formatItemTable,
  ITEM_QUERY_OPTIONS,
  type ItemRow,
  itemRow,
  loadHubSearch,
  readQueryOptions,
} from '../cli/item-table.ts'
import { createReporter, type Reporter } from '../cli/reporter.ts'
import { findRepoRoot } from '../cli/root.ts'
import { type Command, type CommandContext, EXIT_OK, EXIT_PROBLEMS } from './context.ts'

const help = `Usage: agora search <query> [options]

Finds items in the hub's signed search document (index/search.json, written
by "agora index build" and checked like every index document: signature,
size, freshness), best match first. Every word of the query must match an
item's id, title, tags, domain, task, format, owner, licence or summary;
matches in the id and title count most, then tags, then the summary. A word
also matches the start of a longer one (from two letters) and, from four
letters, a word one edit away (two from eight letters). Taken-down items are
never shown.

Options:
  --kind K            only this kind (model, dataset, adapter, lora, pipeline,
                      benchmark, collection; plurals too)
  --domain D          only items of this domain
  --owner NS          only items this namespace owns
  --tag T             only items with this tag
  --license L         only items under this licence (an SPDX id)
  --limit N           show at most N results (default: 20)
  --offline           search the copy an earlier search or list cached
  --index URL         the hub's index (default: AGORA_INDEX_URL, else base_url
                      of the registry/agora.yaml around the current folder)
  --key BASE64        the hub's Ed25519 public key (default: AGORA_INDEX_KEY,
                      else the local agora.yaml's, else trusted on first use)
  --cache DIR         cache folder (default: AGORA_CACHE, else ~/.cache/agora)
  --allow-rollback    accept an index older than one already seen, or expired
  --json              print { ok, query, total, results } and nothing else
  --hf                search the Hugging Face Hub instead (HF_ENDPOINT, default
                      https://huggingface.co): models, or datasets with --kind dataset;
                      repositories already on this hub (imported from them, by the
                      Hub page import records, or of the same id) are marked
  -h, --help          show this help

Exit status: 0 results found, 1 nothing matched (an empty list under --json),
2 could not read the index (or the hub has no search document).

Examples:
  agora search toxicity
  agora search "tox gnn" --kind model --limit 5
  agora search tokenizer --json
  agora search --hf bert --limit 5
`

/** One result of `--json`: the item and its relevance score. */
export interface SearchRow extends ItemRow {
  score: number
}

/** What `--json` prints. */
export interface SearchReport {
  ok: true
  query: string
  /** Matches before --limit. */
  total: number
  results: SearchRow[]
  warnings: string[]
}

const command: Command = {
  summary: "search the hub's items by words (search <query> --kind K --json)",
  help,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      'search',
      ctx.argv,
      { ...ITEM_QUERY_OPTIONS, hf: { type: 'boolean' }, root: { type: 'string' } },
      { positionals: { min: 1 } },
    )
    const query = positionals.join(' ')
    if (values.hf === true) {
      const report = createReporter(ctx, values.json === true)
      return searchHf(ctx, report, query, values.kind, values.limit, values.root)
    }
    const { filters, limit } = readQueryOptions('search', values)
    const report = createReporter(ctx, values.json === true)
    const { index, warnings } = await loadHubSearch(ctx, values, 'search', report)
    const hits = searchIndex(index, query, filters)
    const shown = hits.slice(0, limit)
    // Under --json the empty results say it; stderr stays quiet, as --help promises.
    if (shown.length === 0) {
      if (!report.json) report.warn(`no items match "${query}"`)
    } else {
      report.info(formatItemTable(shown.map((h) => h.entry)))
      if (hits.length > shown.length)
        report.info(`${shown.length} of ${hits.length} results; --limit ${hits.length} shows all`)
    }
    const result: SearchReport = {
      ok: true,
      query,
      total: hits.length,
      results: shown.map((h) => ({ ...itemRow(h.entry), score: h.score })),
      warnings,
    }
    report.result(result)
    return shown.length > 0 ? EXIT_OK : EXIT_PROBLEMS
  },
}

export default command

/** What `--hf --json` prints. */
export interface HfSearchReport {
  ok: true
  query: string
  kind: 'model' | 'dataset'
  results: HubSearchHit[]
}

async function searchHf(
  ctx: CommandContext,
  report: Reporter,
  query: string,
  kindArg: string | undefined,
  limitArg: string | undefined,
  rootArg: string | undefined,
): Promise<number> {
  const kind =
    kindArg === undefined || /^models?$/.test(kindArg)
      ? 'model'
      : /^datasets?$/.test(kindArg)
        ? 'dataset'
        : undefined
  if (!kind) {
    throw new AgoraError(
      'cli/unknown-kind',
      `agora search --hf: --kind ${kindArg} is not model or dataset`,
      {
        hint: 'the Hub search covers models and datasets',
      },
    )
  }
  const limit = limitArg === undefined ? 20 : Number(limitArg)
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new AgoraError(
      'cli/bad-argument',
      `agora search --hf: --limit ${limitArg} is not a whole number from 1 to 1000`,
      {
        hint: 'for example --limit 10',
      },
    )
  }
  // Loaded only here, so a plain search starts as fast as before.
  const { DEFAULT_HF_ENDPOINT, markOnHub, searchHub } = await import('#core/hf')
  const { formatRef } = await import('#core/names')
  const { loadRegistry } = await import('#core/registry')
  const client = {
    endpoint: ctx.env.HF_ENDPOINT || DEFAULT_HF_ENDPOINT,
    fetch: ctx.fetch,
    token: ctx.env.HF_TOKEN || undefined,
  }
  let hits = await searchHub(client, kind, query, limit)
  const root = await findRepoRoot(ctx.cwd, rootArg).catch(() => undefined)
  if (root) {
    const { registry } = await loadRegistry(root)
    const items: HubItemSummary[] = [...registry.items.values()].map((it) => ({
      ref: formatRef(it.ref),
      kind: it.ref.kind,
      id: it.item.id,
      ...(it.item.links?.homepage ? { homepage: it.item.links.homepage } : {}),
    }))
    hits = markOnHub(hits, items)
  } else {
    report.warn(
      'note: no registry around the current folder, so nothing is marked as already on this hub',
    )
  }
  if (hits.length === 0) report.warn(`no Hub ${kind}s match "${sanitizeForTerminal(query)}"`)
  for (const hit of hits) {
    const stats = [
      hit.pipeline_tag,
      hit.downloads === undefined ? undefined : `${hit.downloads} downloads`,
      hit.likes === undefined ? undefined : `${hit.likes} likes`,
    ]
      .filter(Boolean)
      .join(', ')
    report.info(
      `${sanitizeForTerminal(hit.id)}${stats ? `  (${sanitizeForTerminal(stats)})` : ''}${hit.onHub ? `  ✔ on this hub as ${hit.onHub}` : `  agora import hf ${sanitizeForTerminal(hit.id)}${kind === 'dataset' ? ' --kind dataset' : ''}`}`,
    )
  }
  const result: HfSearchReport = { ok: true, query, kind, results: hits }
  report.result(result)
  return hits.length > 0 ? EXIT_OK : EXIT_PROBLEMS
}
