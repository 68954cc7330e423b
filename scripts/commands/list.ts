import { LIST_SORTS, type ListSort, listIndex } from '#core/client'
import { AgoraError } from '#core/errors'
import { parseCommandArgs } from '../cli/args.ts'
import {
  formatItemTable,
  ITEM_QUERY_OPTIONS,
  type ItemRow,
  itemRow,
  loadHubSearch,
  readQueryOptions,
} from '../cli/item-table.ts'
import { createReporter } from '../cli/reporter.ts'
import { type Command, EXIT_OK } from './context.ts'

const help = `Usage: agora list [options]

Lists the hub's items from its signed search document (index/search.json,
checked like every index document), filtered and sorted. Taken-down items
are left out.

Options:
  --kind K            only this kind (model, dataset, adapter, lora, pipeline,
                      benchmark, collection; plurals too)
  --domain D          only items of this domain
  --owner NS          only items this namespace owns
  --tag T             only items with this tag
  --license L         only items under this licence (an SPDX id)
  --sort S            trending (recent releases and results, the default),
                      newest (latest release), name (title), downloads or
                      rating (only where the hub records them)
  --limit N           show at most N items (default: 20)
  --offline           list the copy an earlier search or list cached
  --index URL         the hub's index (default: AGORA_INDEX_URL, else base_url
                      of the registry/agora.yaml around the current folder)
  --key BASE64        the hub's Ed25519 public key (default: AGORA_INDEX_KEY,
                      else the local agora.yaml's, else trusted on first use)
  --cache DIR         cache folder (default: AGORA_CACHE, else ~/.cache/agora)
  --allow-rollback    accept an index older than one already seen, or expired
  --json              print { ok, sort, total, results } and nothing else
  -h, --help          show this help

Exit status: 0 listed (also when no item passes the filters), 2 could not
read the index (or the hub has no search document).

Examples:
  agora list --kind dataset --sort newest
  agora list --owner acme --json
`

/** What `--json` prints. */
export interface ListReport {
  ok: true
  sort: ListSort
  /** Items that pass the filters, before --limit. */
  total: number
  results: ItemRow[]
  warnings: string[]
}

const command: Command = {
  summary: "list the hub's items, filtered and sorted (list --kind K --sort newest)",
  help,
  async run(ctx) {
    const { values } = parseCommandArgs(
      'list',
      ctx.argv,
      { ...ITEM_QUERY_OPTIONS, sort: { type: 'string' } },
      { positionals: { max: 0 } },
    )
    const { filters, limit } = readQueryOptions('list', values)
    const sort = (values.sort ?? 'trending') as ListSort
    if (!LIST_SORTS.includes(sort)) {
      throw new AgoraError('cli/bad-argument', `agora list: --sort "${sort}" is not an order`, {
        hint: `use one of ${LIST_SORTS.join(', ')}`,
      })
    }
    const report = createReporter(ctx, values.json === true)
    const { index, warnings } = await loadHubSearch(ctx, values, 'list', report)
    if (
      (sort === 'downloads' || sort === 'rating') &&
      !index.items.some((e) => e[sort] !== undefined)
    ) {
      throw new AgoraError(
        'cli/bad-argument',
        `agora list: this hub records no ${sort === 'downloads' ? 'download counts' : 'ratings'}`,
        { hint: 'sort by trending, newest or name' },
      )
    }
    const entries = listIndex(index, filters, sort)
    const shown = entries.slice(0, limit)
    if (shown.length === 0) report.warn('no items pass the filters')
    else {
      report.info(formatItemTable(shown))
      if (entries.length > shown.length)
        report.info(
          `${shown.length} of ${entries.length} items; --limit ${entries.length} shows all`,
        )
    }
    const result: ListReport = {
      ok: true,
      sort,
      total: entries.length,
      results: shown.map(itemRow),
      warnings,
    }
    report.result(result)
    return EXIT_OK
  },
}

export default command
