import { formatMoney, type SalesRow, salesReport } from '#core/billing'
import { AgoraError } from '#core/errors'
import { loadRegistry } from '#core/registry'
import { parseCommandArgs } from '../cli/args.ts'
import { createReporter } from '../cli/reporter.ts'
import { findRepoRoot } from '../cli/root.ts'
import { type Command, EXIT_OK } from './context.ts'
import { stripeFromContext } from './stripe.ts'

const help = `Usage: agora sales <namespace> [options]

A seller's sales per item and per month, read from the balance transactions
of their Stripe Connect account (payout.stripe_account in
registry/owners/<namespace>.yaml): gross paid by buyers, the hub's platform
fee, Stripe's fees charged to the seller, refunds, and net to the seller.

Needs STRIPE_SECRET_KEY (the hub's key; Stripe answers for the seller's
account through the Stripe-Account header).

Options:
  --from DATE    first day or month (YYYY-MM-DD or YYYY-MM, UTC)
  --to DATE      last day or month, included
  --root DIR     hub repository root (default: nearest folder holding registry/agora.yaml)
  --json         print { account, rows, totals } with amounts in minor units
  -h, --help     show this help

Exit status: 0 report printed, 2 bad arguments, no payout account or no key.

Examples:
  agora sales molforge --from 2026-01 --to 2026-03
  agora sales lexica-ai --json
`

function line(row: Omit<SalesRow, 'item' | 'month'>, label: string): string {
  const m = (n: number) => formatMoney(n, row.currency)
  return `${label}  ${row.sales} sold  gross ${m(row.gross)}  platform fee ${m(row.platform_fee)}  Stripe fees ${m(row.stripe_fees)}  refunds ${m(row.refunds)}  net ${m(row.net)}`
}

const command: Command = {
  summary: 'a seller’s sales per item and month from Stripe (gross, fees, refunds, net)',
  help,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      'sales',
      ctx.argv,
      {
        from: { type: 'string' },
        to: { type: 'string' },
        json: { type: 'boolean' },
        root: { type: 'string' },
      },
      { positionals: { min: 1, max: 1 } },
    )
    const ns = positionals[0] as string
    const report = createReporter(ctx, values.json === true)
    const root = await findRepoRoot(ctx.cwd, values.root)
    const { registry } = await loadRegistry(root)
    const owner = registry.owners.get(ns)
    const account = owner?.payout?.stripe_account
    if (!account) {
      throw new AgoraError(
        'payments/no-payout-account',
        owner ? `${ns} has no payout account` : `no owner "${ns}" in this hub`,
        {
          file: `registry/owners/${ns}.yaml`,
          hint: owner
            ? 'add payout: { stripe_account: acct_… } to the owner file once the seller has onboarded'
            : 'give a namespace from registry/owners/',
        },
      )
    }
    const stripe = stripeFromContext(ctx)
    const result = await salesReport({
      stripe,
      account,
      ...(values.from ? { from: values.from } : {}),
      ...(values.to ? { to: values.to } : {}),
    })
    if (result.rows.length === 0) report.info(`no sales for ${ns} (${account}) in that period`)
    let month = ''
    for (const row of result.rows) {
      if (row.month !== month) {
        month = row.month
        report.info(month)
      }
      report.info(line(row, `  ${row.item}`))
    }
    for (const total of result.totals)
      report.info(line(total, `total ${total.currency.toUpperCase()}`))
    report.result(result)
    return EXIT_OK
  },
}

export default command
