import { createHash } from 'node:crypto'
import type { Issue } from '#core/errors'
import type { HubConfig, ItemManifest, OwnerManifest } from '#core/manifest'
import { type ItemRef, refKey } from '#core/names'
import { toMinorDecimal, toMinorUnits } from './fees.ts'

/** The price types Stripe sells; free items need nothing and enterprise is a contact. */
export type SoldModel = 'per-download' | 'subscription' | 'per-query'

/** One priced item as the sync puts it on sale: everything its Stripe objects derive from. */
export interface SaleSpec {
  /** `kind/ns/name`, the value of the `agora_item` metadata key. */
  item: string
  /** The item's latest version, the value of `agora_version` ('' when it has none). */
  version: string
  title: string
  model: SoldModel
  currency: string
  /** Price in minor units (per-download, subscription). */
  unitAmount?: number
  /** Price per query in minor units, fractions allowed (per-query). */
  unitAmountDecimal?: string
  interval: 'month' | 'year' | undefined
  seller: { ns: string; account: string }
  feePercent: number
  /** The item.yaml the pricing came from, for issues. */
  file: string
}

/** An item that is not put on sale, and what the site should say instead. */
export type OffSale =
  | { item: string; status: 'contact'; contact: string | undefined }
  | { item: string; status: 'not-on-sale'; reason: string }

/** What can be derived from the registry alone. */
export interface SalePlan {
  specs: SaleSpec[]
  offSale: OffSale[]
  issues: Issue[]
}

interface PricedItem {
  ref: ItemRef
  dir: string
  item: ItemManifest
  latest: string | undefined
}

function hash(text: string, length = 20): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length)
}

/** The Product id of an item: fixed, so a lost links file never duplicates products. */
export function productIdOf(item: string): string {
  return `agora_${hash(item)}`
}

/** The billing meter event name of a per-query item (what the licence service reports usage under). */
export function meterEventOf(item: string): string {
  return `agora_queries_${hash(item, 16)}`
}

/**
 * Which priced items can go on sale and at what price, from the registry
 * alone (pure). Free items are skipped; enterprise items become a contact;
 * an item whose owners have no payout account, or whose price Stripe cannot
 * charge, is kept off sale with an issue saying why.
 *
 * @example
 * const { specs, offSale, issues } = planSales(items, owners, hub)
 */
export function planSales(
  items: Iterable<PricedItem>,
  owners: ReadonlyMap<string, OwnerManifest>,
  hub: HubConfig,
): SalePlan {
  const specs: SaleSpec[] = []
  const offSale: OffSale[] = []
  const issues: Issue[] = []
  const sorted = [...items].sort((a, b) => refKey(a.ref).localeCompare(refKey(b.ref)))
  for (const { ref, dir, item, latest } of sorted) {
    const pricing = item.pricing
    if (!pricing || pricing.model === 'free') continue
    const key = refKey(ref)
    const file = `${dir}/item.yaml`
    if (pricing.model === 'enterprise') {
      offSale.push({ item: key, status: 'contact', contact: pricing.contact })
      continue
    }
    const off = (code: string, reason: string, hint: string): void => {
      offSale.push({ item: key, status: 'not-on-sale', reason })
      issues.push({ code, severity: 'warning', message: `${key}: ${reason}`, hint, file })
    }
    const sellerNs = item.owners.find((ns) => owners.get(ns)?.payout?.stripe_account)
    const account = sellerNs ? owners.get(sellerNs)?.payout?.stripe_account : undefined
    if (!sellerNs || !account) {
      off(
        'payments/no-payout-account',
        'no owner has a payout account',
        `add payout: { stripe_account: acct_… } to registry/owners/${item.owners[0] ?? '<ns>'}.yaml`,
      )
      continue
    }
    const currency = (pricing.currency ?? hub.payments.currency).toLowerCase()
    if (pricing.price === undefined || !(pricing.price > 0)) {
      off(
        'payments/no-price',
        `${pricing.model} pricing has no price`,
        'set pricing.price to an amount above 0',
      )
      continue
    }
    const spec: SaleSpec = {
      item: key,
      version: latest ?? '',
      title: item.title,
      model: pricing.model,
      currency,
      interval: undefined,
      seller: { ns: sellerNs, account },
      feePercent: hub.payments.platform_fee_percent,
      file,
    }
    if (pricing.model === 'per-query') {
      spec.unitAmountDecimal = toMinorDecimal(pricing.price, currency)
      spec.interval = 'month'
    } else {
      const minor = toMinorUnits(pricing.price, currency)
      if (minor === undefined) {
        off(
          'payments/fractional-price',
          `price ${pricing.price} ${currency.toUpperCase()} has a fraction of the smallest unit`,
          'round pricing.price to whole cents',
        )
        continue
      }
      spec.unitAmount = minor
      if (pricing.model === 'subscription') spec.interval = pricing.interval ?? 'month'
    }
    specs.push(spec)
  }
  return { specs, offSale, issues }
}
