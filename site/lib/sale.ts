import {
  applicationFeeAmount,
  formatMoney,
  type LinkEntry,
  minorUnitsPerMajor,
} from '#core/billing'
import type { Pricing } from '#core/manifest'

/** What the item page says about buying an item. */
export type SaleView =
  | {
      status: 'on-sale'
      url: string
      /** `$49.00`, `$19.00 / month`, `$0.005 per query`. */
      price: string
      /** `seller gets $44.10, hub fee $4.90 (10%)`. */
      split: string
      /** What one payment buys. */
      terms: string
      /** The link leads to the local fake checkout (`npm start`): no money moves. */
      testMode: boolean
    }
  | { status: 'contact'; contact: string | undefined }
  | { status: 'not-on-sale'; reason: string | undefined }

/** An http link to this machine (the local fake checkout), else undefined. */
function loopbackHref(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  try {
    const url = new URL(value)
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)
    return url.protocol === 'http:' && loopback && !url.username && !url.password
      ? url.href
      : undefined
  } catch {
    return undefined
  }
}

function perUnit(minorDecimal: string, currency: string): string {
  return new Intl.NumberFormat('en', {
    style: 'currency',
    currency: currency.toUpperCase(),
    maximumFractionDigits: 6,
  }).format(Number(minorDecimal) / minorUnitsPerMajor(currency))
}

/**
 * Turns the sync's entry for an item (payments/links.json) into the Buy
 * panel's text. Only the sync's file puts an item on sale: a payment link
 * typed into item.yaml by its owner is not trusted, since it could bypass the
 * seller account and fee the hub checked. `safeHref` decides whether the
 * link may be rendered at all; in `testMode` (the local hub's own links
 * file) a link to the fake checkout on loopback is accepted too, and only
 * there.
 *
 * @example saleView(entry, pricing, linkHref).split // 'seller gets $44.10, hub fee $4.90 (10%)'
 */
export function saleView(
  entry: LinkEntry | undefined,
  pricing: Pricing | undefined,
  safeHref: (url: unknown) => string | undefined,
  testMode = false,
): SaleView {
  if (pricing?.model === 'enterprise' || entry?.status === 'contact') {
    return {
      status: 'contact',
      contact: pricing?.contact ?? (entry?.status === 'contact' ? entry.contact : undefined),
    }
  }
  if (!entry || entry.status === 'not-on-sale') {
    return {
      status: 'not-on-sale',
      reason: entry?.status === 'not-on-sale' ? entry.reason : undefined,
    }
  }
  const url = safeHref(entry.url) ?? (testMode ? loopbackHref(entry.url) : undefined)
  if (!url) return { status: 'not-on-sale', reason: 'its payment link is not a safe web address' }
  const money = (n: number) => formatMoney(n, entry.currency)
  const pct = `${entry.fee_percent}%`
  if (entry.model === 'per-download' && entry.amount !== undefined) {
    const fee = entry.fee_amount ?? applicationFeeAmount(entry.amount, entry.fee_percent)
    return {
      status: 'on-sale',
      url,
      testMode,
      price: money(entry.amount),
      split: `seller gets ${money(entry.amount - fee)}, hub fee ${money(fee)} (${pct})`,
      terms: `One payment for a licence to download and use version ${entry.version || 'latest'} and its files.`,
    }
  }
  if (entry.model === 'subscription' && entry.amount !== undefined) {
    const fee = applicationFeeAmount(entry.amount, entry.fee_percent)
    const interval = entry.interval ?? 'month'
    return {
      status: 'on-sale',
      url,
      testMode,
      price: `${money(entry.amount)} / ${interval}`,
      split: `seller gets ${money(entry.amount - fee)}, hub fee ${money(fee)} (${pct} of each invoice)`,
      terms: `Billed every ${interval} until cancelled; the licence is valid while the subscription is paid.`,
    }
  }
  const unit = entry.unit_amount_decimal ?? '0'
  return {
    status: 'on-sale',
    url,
    testMode,
    price: `${perUnit(unit, entry.currency)} per query`,
    split: `seller gets ${100 - entry.fee_percent}%, hub fee ${pct} of each monthly invoice`,
    terms:
      'Billed monthly for the queries used; the licence is valid while the subscription is paid.',
  }
}
