import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '#core/storage'
import { applicationFeeAmount } from './fees.ts'
import type { OffSale, SaleSpec } from './sale-spec.ts'
import type { SyncedLink } from './sync.ts'

/**
 * Where `agora stripe sync` writes what is on sale, relative to the hub's
 * repository root. It sits beside registry/, not in it: manifests stay what
 * their owners wrote, and only the sync (run by the hub with its Stripe key)
 * writes this file, which the site build reads for the Buy buttons.
 */
export const PAYMENT_LINKS_FILE = 'payments/links.json'

/** An item on sale: its link and the split the site shows. */
export interface OnSaleEntry {
  status: 'on-sale'
  model: SaleSpec['model']
  version: string
  url: string
  payment_link: string
  currency: string
  /** Price in minor units; per-query items give `unit_amount_decimal` instead. */
  amount?: number
  unit_amount_decimal?: string
  interval?: 'month' | 'year'
  seller: string
  /** The hub's share in percent, as charged. */
  fee_percent: number
  /** One-time prices: the hub's fee and the seller's share of one sale, in minor units. */
  fee_amount?: number
  seller_amount?: number
  /** Per-query: the billing meter event the licence service reports usage under. */
  meter_event_name?: string
}

export type LinkEntry =
  | OnSaleEntry
  | { status: 'contact'; contact?: string }
  | { status: 'not-on-sale'; reason: string }

export interface PaymentLinksDocument {
  /** Bumped when the shape changes incompatibly. */
  version: 1
  /** By `kind/ns/name`, sorted. */
  items: Record<string, LinkEntry>
  /**
   * Set only by the local hub (`npm start`), whose links lead to a fake
   * checkout on loopback: the site labels every Buy panel "test mode" and
   * accepts those loopback links; without it, only https links are shown.
   */
  test_mode?: true
}

/**
 * The links file's document from a sync's results: sorted and free of
 * timestamps, so a run with nothing changed leaves the file byte for byte.
 *
 * @example buildLinksDocument(result.links, [...offSale, ...blocked])
 */
export function buildLinksDocument(
  links: readonly SyncedLink[],
  offSale: readonly OffSale[],
): PaymentLinksDocument {
  const items: Record<string, LinkEntry> = {}
  const entries: [string, LinkEntry][] = []
  for (const { spec, url, linkId, meterEventName } of links) {
    const entry: OnSaleEntry = {
      status: 'on-sale',
      model: spec.model,
      version: spec.version,
      url,
      payment_link: linkId,
      currency: spec.currency,
      seller: spec.seller.ns,
      fee_percent: spec.feePercent,
    }
    if (spec.unitAmount !== undefined) entry.amount = spec.unitAmount
    if (spec.unitAmountDecimal !== undefined) entry.unit_amount_decimal = spec.unitAmountDecimal
    if (spec.interval && spec.model === 'subscription') entry.interval = spec.interval
    if (spec.model === 'per-download' && spec.unitAmount !== undefined) {
      entry.fee_amount = applicationFeeAmount(spec.unitAmount, spec.feePercent)
      entry.seller_amount = spec.unitAmount - entry.fee_amount
    }
    if (meterEventName) entry.meter_event_name = meterEventName
    entries.push([spec.item, entry])
  }
  for (const off of offSale) {
    entries.push([
      off.item,
      off.status === 'contact'
        ? { status: 'contact', ...(off.contact ? { contact: off.contact } : {}) }
        : { status: 'not-on-sale', reason: off.reason },
    ])
  }
  for (const [key, value] of entries.sort(([a], [b]) => a.localeCompare(b))) items[key] = value
  return { version: 1, items }
}

/**
 * Writes the links file under `root` unless it already holds the same text.
 * Returns whether it changed.
 *
 * @example await writeLinksFile(root, buildLinksDocument(links, offSale))
 */
export async function writeLinksFile(root: string, doc: PaymentLinksDocument): Promise<boolean> {
  const path = join(root, PAYMENT_LINKS_FILE)
  const text = `${JSON.stringify(doc, null, 2)}\n`
  const before = await readFile(path, 'utf8').catch(() => undefined)
  if (before === text) return false
  await writeFileAtomic(path, text)
  return true
}

/**
 * Reads the links file under `root` (or the file `options.file`, which only
 * the local hub passes); an absent file means nothing is on sale. Entries of
 * an unexpected shape are dropped, since the site shows only what it can
 * vouch for.
 *
 * @example (await readLinksFile(root)).items['model/acme/tox']
 */
export async function readLinksFile(
  root: string,
  options: { file?: string | undefined } = {},
): Promise<PaymentLinksDocument> {
  let text: string
  try {
    text = await readFile(options.file ?? join(root, PAYMENT_LINKS_FILE), 'utf8')
  } catch {
    return { version: 1, items: {} }
  }
  const parsed = JSON.parse(text) as Partial<PaymentLinksDocument>
  const items: Record<string, LinkEntry> = {}
  for (const [key, entry] of Object.entries(parsed.items ?? {})) {
    if (!entry || typeof entry !== 'object') continue
    if (
      entry.status === 'on-sale' &&
      typeof entry.url === 'string' &&
      typeof entry.currency === 'string'
    )
      items[key] = entry
    else if (entry.status === 'contact' || entry.status === 'not-on-sale') items[key] = entry
  }
  return { version: 1, items, ...(parsed.test_mode === true ? { test_mode: true } : {}) }
}
