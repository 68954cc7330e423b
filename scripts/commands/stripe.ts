import Stripe from 'stripe'
import { formatMoney, PAYMENT_LINKS_FILE, syncStripe } from '#core/billing'
import { AgoraError } from '#core/errors'
import { loadRegistry } from '#core/registry'
import { parseCommandArgs } from '../cli/args.ts'
import { plural } from '../cli/format.ts'
import { createReporter } from '../cli/reporter.ts'
import { findRepoRoot } from '../cli/root.ts'
import { type Command, type CommandContext, EXIT_OK, EXIT_PROBLEMS } from './context.ts'

const help = `Usage: agora stripe sync [options]

Puts every priced item of the registry on sale in Stripe, from item.yaml
pricing, the seller's payout.stripe_account (registry/owners/<ns>.yaml) and
agora.yaml payments.platform_fee_percent: a Product per item, its Price, a
Billing Meter for per-query items, and a Payment Link that pays the seller
(transfer_data.destination) less the hub's fee. Changed prices and fees make
new Prices and Links and deactivate the old ones; a run with nothing changed
writes nothing. Enterprise items get no link (their contact is shown).
Sellers whose Stripe account cannot take charges yet are reported and their
items stay off sale. The result is written to ${PAYMENT_LINKS_FILE}, which
the site build reads for its Buy buttons: commit it.

Needs STRIPE_SECRET_KEY (the hub's secret key; sk_test_… for test mode).

Options:
  --dry-run      read Stripe and print what would change; write nothing
  --root DIR     hub repository root (default: nearest folder holding registry/agora.yaml)
  --json         print { ok, dry_run, planned, writes, items, issues }
  -h, --help     show this help

Exit status: 0 synced (sellers not ready are warnings), 1 Stripe refused
an item, 2 bad arguments or no key.

Examples:
  STRIPE_SECRET_KEY=sk_test_… agora stripe sync --dry-run
  agora stripe sync --json
`

/**
 * The Stripe client of an entry point: the key from the environment, the
 * context's fetch (so tests and proxies can stand in).
 */
export function stripeFromContext(ctx: CommandContext): Stripe {
  const key = ctx.env.STRIPE_SECRET_KEY
  if (!key) {
    throw new AgoraError('payments/no-secret-key', 'STRIPE_SECRET_KEY is not set', {
      hint: 'export STRIPE_SECRET_KEY=sk_test_… (Stripe Dashboard → Developers → API keys); use the live key only in the hub’s release job',
    })
  }
  // A key pasted from the docs' `sk_test_…` cannot go in a header; fetch would fail
  // and Stripe would blame the network.
  if (!/^[\x21-\x7e]+$/.test(key)) {
    throw new AgoraError(
      'payments/no-secret-key',
      'STRIPE_SECRET_KEY is not a Stripe key: it holds a space, "…" or another character no key has',
      {
        hint: 'paste your own key (Stripe Dashboard → Developers → API keys): sk_test_… in the docs stands for it',
      },
    )
  }
  return new Stripe(key, { httpClient: Stripe.createFetchHttpClient(ctx.fetch) })
}

const command: Command = {
  summary: 'put priced items on sale in Stripe and write payments/links.json (stripe sync)',
  help,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      'stripe',
      ctx.argv,
      { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, root: { type: 'string' } },
      { positionals: { min: 1, max: 1 } },
    )
    if (positionals[0] !== 'sync') {
      throw new AgoraError(
        'cli/bad-argument',
        `agora stripe: unknown subcommand "${positionals[0]}"`,
        {
          hint: 'use agora stripe sync',
        },
      )
    }
    const report = createReporter(ctx, values.json === true)
    const stripe = stripeFromContext(ctx)
    const root = await findRepoRoot(ctx.cwd, values.root)
    const { registry, issues: loadIssues } = await loadRegistry(root)
    const dryRun = values['dry-run'] === true
    const result = await syncStripe({ stripe, registry, dryRun })
    const issues = [...loadIssues.filter((i) => i.severity === 'error'), ...result.issues]
    const failed = result.issues.some((i) => i.severity === 'error')

    for (const line of result.planned) report.info(`${dryRun ? 'would ' : ''}${line}`)
    report.issues(issues)
    for (const link of result.links) {
      const { spec } = link
      const price =
        spec.unitAmount !== undefined
          ? formatMoney(spec.unitAmount, spec.currency)
          : `${spec.unitAmountDecimal} ${spec.currency} minor units per query`
      report.info(`on sale  ${spec.item}  ${spec.model}  ${price}  ${link.url}`)
    }
    report.info(
      dryRun
        ? `${plural(result.planned.length, 'write')} planned; nothing written (dry run)`
        : `${plural(result.links.length, 'item')} on sale, ${plural(result.writes, 'Stripe write')}; ${PAYMENT_LINKS_FILE} ${result.fileChanged ? 'updated' : 'unchanged'}`,
    )
    report.result({
      ok: !failed,
      dry_run: dryRun,
      planned: result.planned,
      writes: result.writes,
      items: result.document?.items ?? {},
      issues,
    })
    return failed ? EXIT_PROBLEMS : EXIT_OK
  },
}

export default command
