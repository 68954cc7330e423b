import type Stripe from 'stripe'
import { AgoraError } from '#core/errors'
import { METADATA_KEYS } from './stripe-events.ts'
import { collect, stripeFailure } from './sync.ts'

/** Sales of one item in one month and currency, in minor units. */
export interface SalesRow {
  item: string
  /** `YYYY-MM`, UTC. */
  month: string
  currency: string
  sales: number
  gross: number
  platform_fee: number
  stripe_fees: number
  refunds: number
  net: number
}

export interface SalesReport {
  account: string
  rows: SalesRow[]
  /** By currency: the rows summed. */
  totals: Omit<SalesRow, 'item' | 'month'>[]
}

/** Items whose payments carry no `agora_item` (made outside the hub's links) are grouped under this. */
export const UNATTRIBUTED = '(unattributed)'

/**
 * The path Stripe expands from a seller's balance transaction to the hub's
 * charge: the seller's payment (`py_…`), the transfer that funded it, and the
 * platform charge that carries the item metadata and the application fee.
 */
const EXPAND = 'data.source.source_transfer.source_transaction'

interface ChargeLike {
  amount?: number
  application_fee_amount?: number | null
  metadata?: Record<string, string>
  source_transfer?: { source_transaction?: ChargeLike | string | null } | string | null
}

function platformCharge(txn: Stripe.BalanceTransaction): ChargeLike | undefined {
  const source = txn.source as unknown as ChargeLike | string | null
  if (!source || typeof source === 'string') return undefined
  const transfer = source.source_transfer
  const origin = transfer && typeof transfer !== 'string' ? transfer.source_transaction : undefined
  return origin && typeof origin !== 'string' ? origin : source
}

/**
 * Parses `--from`/`--to` (`YYYY-MM` or `YYYY-MM-DD`, UTC) into a Unix-second
 * range: `from` at its start, `to` through its end.
 *
 * @example dateRange('2026-01', '2026-03') // { gte: 1767225600, lt: 1775001600 }
 */
export function dateRange(from?: string, to?: string): { gte?: number; lt?: number } {
  const parse = (text: string, end: boolean): number => {
    const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(text)
    if (!m) {
      throw new AgoraError('payments/bad-date', `"${text}" is not a date`, {
        hint: 'give dates as YYYY-MM or YYYY-MM-DD (UTC)',
      })
    }
    const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, m[3] ? Number(m[3]) : undefined]
    const ms =
      d === undefined ? Date.UTC(y, mo + (end ? 1 : 0), 1) : Date.UTC(y, mo, d + (end ? 1 : 0))
    return ms / 1000
  }
  return {
    ...(from ? { gte: parse(from, false) } : {}),
    ...(to ? { lt: parse(to, true) } : {}),
  }
}

/**
 * A seller's sales per item and month, from their Connect account's balance
 * transactions (read with the Stripe-Account header, so the numbers are the
 * seller's own): gross is what the buyer paid, the platform fee is the
 * hub's application fee, Stripe fees are those charged to the seller,
 * refunds are money returned, and net is what reached the seller's balance.
 *
 * @example await salesReport({ stripe, account: 'acct_…', from: '2026-01' })
 */
export async function salesReport(options: {
  stripe: Stripe
  account: string
  from?: string
  to?: string
}): Promise<SalesReport> {
  const created = dateRange(options.from, options.to)
  let txns: Stripe.BalanceTransaction[]
  try {
    txns = await collect(
      options.stripe.balanceTransactions.list(
        { limit: 100, expand: [EXPAND], ...(Object.keys(created).length > 0 ? { created } : {}) },
        { stripeAccount: options.account },
      ),
    )
  } catch (error) {
    throw stripeFailure(`reading balance transactions of ${options.account}`, error)
  }
  const rows = new Map<string, SalesRow>()
  for (const txn of txns) {
    const sale = txn.type === 'payment' || txn.type === 'charge'
    const refund = txn.type === 'payment_refund' || txn.type === 'refund'
    if (!sale && !refund) continue
    const charge = platformCharge(txn)
    const item = charge?.metadata?.[METADATA_KEYS.item] ?? UNATTRIBUTED
    const month = new Date(txn.created * 1000).toISOString().slice(0, 7)
    const key = `${item}|${month}|${txn.currency}`
    const row = rows.get(key) ?? {
      item,
      month,
      currency: txn.currency,
      sales: 0,
      gross: 0,
      platform_fee: 0,
      stripe_fees: 0,
      refunds: 0,
      net: 0,
    }
    if (sale) {
      const gross = charge?.amount ?? txn.amount
      row.sales += 1
      row.gross += gross
      row.platform_fee += charge?.application_fee_amount ?? Math.max(0, gross - txn.amount)
    } else {
      row.refunds += -txn.amount
    }
    row.stripe_fees += txn.fee
    row.net += txn.net
    rows.set(key, row)
  }
  const sorted = [...rows.values()].sort(
    (a, b) => a.month.localeCompare(b.month) || a.item.localeCompare(b.item),
  )
  const totals = new Map<string, SalesReport['totals'][number]>()
  for (const row of sorted) {
    const t = totals.get(row.currency) ?? {
      currency: row.currency,
      sales: 0,
      gross: 0,
      platform_fee: 0,
      stripe_fees: 0,
      refunds: 0,
      net: 0,
    }
    for (const k of ['sales', 'gross', 'platform_fee', 'stripe_fees', 'refunds', 'net'] as const)
      t[k] += row[k]
    totals.set(row.currency, t)
  }
  return { account: options.account, rows: sorted, totals: [...totals.values()] }
}
