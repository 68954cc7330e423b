import semver from 'semver'
import type Stripe from 'stripe'
import type { Issue } from '#core/errors'
import type { Registry } from '#core/registry'
import { buildLinksDocument, type PaymentLinksDocument, writeLinksFile } from './links-file.ts'
import { type OffSale, planSales } from './sale-spec.ts'
import {
  applyStripeSync,
  plannedWrites,
  planStripeSync,
  readStripeState,
  type SyncedLink,
} from './sync.ts'

export interface StripeSyncOptions {
  stripe: Stripe
  registry: Registry
  /** Plan only: read Stripe, write nothing there or on disk. */
  dryRun?: boolean
  /** Where payments/links.json goes; default the registry's root. */
  linksRoot?: string
}

export interface StripeSyncResult {
  /** The writes planned (dry run) or made. */
  planned: string[]
  writes: number
  links: SyncedLink[]
  offSale: OffSale[]
  document: PaymentLinksDocument | undefined
  /** Whether the links file changed on disk. */
  fileChanged: boolean
  issues: Issue[]
}

function latestOf(
  item: Registry['items'] extends Map<string, infer T> ? T : never,
): string | undefined {
  const tagged = item.item['dist-tags']?.['latest']
  if (tagged && item.versions.has(tagged)) return tagged
  return [...item.versions.keys()].filter((v) => semver.valid(v)).sort(semver.rcompare)[0]
}

/**
 * `agora stripe sync`: puts every priced item of the registry on sale in
 * Stripe (product, price, payment link with the seller's account and the
 * hub's fee), retires what changed, and writes payments/links.json for the
 * site. Sellers whose accounts cannot take charges are reported and their
 * items kept off sale.
 *
 * @example
 * const result = await syncStripe({ stripe, registry })
 * result.issues // sellers not ready, prices Stripe cannot charge, Stripe failures
 */
export async function syncStripe(options: StripeSyncOptions): Promise<StripeSyncResult> {
  const { stripe, registry } = options
  const priced = [...registry.items.values()].map((loaded) => ({
    ref: loaded.ref,
    dir: loaded.dir,
    item: loaded.item,
    latest: latestOf(loaded),
  }))
  const sales = planSales(priced, registry.owners, registry.hub)
  const state = await readStripeState(stripe, sales.specs)
  const plan = planStripeSync(sales.specs, state)
  const offSale: OffSale[] = [
    ...sales.offSale,
    ...plan.blocked.map(
      ({ spec, reason }): OffSale => ({ item: spec.item, status: 'not-on-sale', reason }),
    ),
  ]
  const planned = plannedWrites(plan)
  const issues = [...sales.issues, ...plan.issues]
  if (options.dryRun) {
    return {
      planned,
      writes: 0,
      links: [],
      offSale,
      document: undefined,
      fileChanged: false,
      issues,
    }
  }
  const applied = await applyStripeSync(stripe, plan)
  issues.push(...applied.issues)
  const failed = new Set(applied.issues.map((i) => i.file))
  for (const p of plan.items) {
    if (failed.has(p.spec.file))
      offSale.push({
        item: p.spec.item,
        status: 'not-on-sale',
        reason: 'the last sync failed for this item',
      })
  }
  const document = buildLinksDocument(applied.links, offSale)
  const fileChanged = await writeLinksFile(options.linksRoot ?? registry.root, document)
  return {
    planned,
    writes: applied.writes,
    links: applied.links,
    offSale,
    document,
    fileChanged,
    issues,
  }
}
