import { loadSearch, searchIndex } from '#core/client'
import { parseCommandArgs } from '../cli/args.ts'
import { hubSource } from '../cli/hub-source.ts'
import {
  formatItemTable,
  ITEM_QUERY_OPTIONS,
  type ItemRow,
  itemRow,
  readQueryOptions,
} from '../cli/item-table.ts'
import { createReporter } from '../cli/reporter.ts'
import { type Command, EXIT_OK, EXIT_PROBLEMS } from './context.ts'

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
  -h, --help          show this help

Exit status: 0 results found, 1 nothing matched (an empty list under --json),
2 could not read the index (or the hub has no search document).

Examples:
  agora search toxicity
  agora search "tox gnn" --kind model --limit 5
  agora search tokenizer --json
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
    const { values, positionals } = parseCommandArgs('search', ctx.argv, ITEM_QUERY_OPTIONS, {
      positionals: { min: 1 },
    })
    const query = positionals.join(' ')
    const { filters, limit } = readQueryOptions('search', values)
    const report = createReporter({
      stdout: ctx.stdout,
      stderr: ctx.stderr,
      json: values.json === true,
    })
    const source = await hubSource(ctx, values, { command: 'search', verb: 'search' })
    const { index, warnings } = await loadSearch({
      fetch: ctx.fetch,
      ...source,
      offline: values.offline === true,
      allowRollback: values['allow-rollback'] === true,
    })
    for (const warning of warnings) report.warn(`warning: ${warning}`)
    const hits = searchIndex(index, query, filters)
    const shown = hits.slice(0, limit)
    if (shown.length === 0) report.warn(`no items match "${query}"`)
    else {
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
