import { createHash } from 'node:crypto'
import Stripe from 'stripe'
import { AgoraError, type Issue } from '#core/errors'
import { applicationFeeAmount } from './fees.ts'
import { meterEventOf, productIdOf, type SaleSpec } from './sale-spec.ts'
import { METADATA_KEYS } from './stripe-events.ts'

/**
 * Stripe sync, in three steps: read what Stripe holds for the hub's items
 * (`readStripeState`), plan what to create, update or retire (`planStripeSync`,
 * pure), and apply the plan (`applyStripeSync`). Objects are found by fixed
 * ids and metadata, never by a local state file, and each write carries an
 * Idempotency-Key derived from its content, so a run cut short and run again
 * neither duplicates nor skips anything, and a run with nothing changed
 * writes nothing.
 */

/** Our own key: the digest of what an object was made from, to tell whether it is current. */
const DIGEST_KEY = 'agora_digest'

export interface StripeState {
  accounts: Map<string, Stripe.Account | undefined>
  products: Map<string, Stripe.Product>
  /** Active prices by product id. */
  prices: Map<string, Stripe.Price[]>
  /** Active payment links by `agora_item`. */
  links: Map<string, Stripe.PaymentLink[]>
  /** Active meters by event name. */
  meters: Map<string, Stripe.Billing.Meter>
}

function digest(value: unknown, length = 24): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, length)
}

/** Every page of a Stripe list, however long. */
export async function collect<T>(list: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of list) out.push(item)
  return out
}

function isMissing(error: unknown): boolean {
  return (error as { statusCode?: number })?.statusCode === 404
}

/** Wraps a Stripe failure so the user sees what was being done, Stripe's message and a hint. */
export function stripeFailure(what: string, error: unknown): AgoraError {
  const e = error as { type?: string; message?: string; statusCode?: number }
  const hint =
    e.type === 'StripeIdempotencyError'
      ? 'an earlier run sent different parameters under the same Idempotency-Key; Stripe keeps keys for 24 hours, so wait or check what changed in between'
      : e.type === 'StripeAuthenticationError'
        ? 'set STRIPE_SECRET_KEY to the hub’s secret key (sk_live_… or sk_test_…)'
        : e.type === 'StripeConnectionError'
          ? 'Stripe did not answer: check that this machine reaches api.stripe.com (network, proxy, firewall), then run again (runs are idempotent)'
          : 'see the message from Stripe; run again once it is fixed (runs are idempotent)'
  return new AgoraError('payments/stripe-failed', `${what}: ${e.message ?? String(error)}`, {
    hint,
    cause: error,
  })
}

/**
 * Reads the Stripe objects the sync compares against: each seller's account,
 * each item's product with its active prices, the active payment links and
 * billing meters.
 *
 * @example const state = await readStripeState(stripe, specs)
 */
export async function readStripeState(
  stripe: Stripe,
  specs: readonly SaleSpec[],
): Promise<StripeState> {
  const state: StripeState = {
    accounts: new Map(),
    products: new Map(),
    prices: new Map(),
    links: new Map(),
    meters: new Map(),
  }
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn()
    } catch (error) {
      if (isMissing(error)) return undefined
      throw stripeFailure(what, error)
    }
  }
  for (const account of new Set(specs.map((s) => s.seller.account))) {
    state.accounts.set(
      account,
      await call(`reading account ${account}`, () => stripe.accounts.retrieve(account)),
    )
  }
  const selling = specs.filter(
    (s) => state.accounts.get(s.seller.account)?.charges_enabled === true,
  )
  for (const spec of selling) {
    const id = productIdOf(spec.item)
    const product = await call(`reading product ${id}`, () => stripe.products.retrieve(id))
    if (!product) continue
    state.products.set(id, product)
    const prices = await call(`listing prices of ${id}`, () =>
      collect(stripe.prices.list({ product: id, active: true, limit: 100 })),
    )
    state.prices.set(id, prices ?? [])
  }
  if (selling.length > 0) {
    const links =
      (await call('listing payment links', () =>
        collect(stripe.paymentLinks.list({ active: true, limit: 100 })),
      )) ?? []
    for (const link of links) {
      const item = link.metadata?.[METADATA_KEYS.item]
      if (item) state.links.set(item, [...(state.links.get(item) ?? []), link])
    }
  }
  if (selling.some((s) => s.model === 'per-query')) {
    const meters =
      (await call('listing billing meters', () =>
        collect(stripe.billing.meters.list({ status: 'active', limit: 100 })),
      )) ?? []
    for (const meter of meters) state.meters.set(meter.event_name, meter)
  }
  return state
}

/** How the hub's fee is charged on an item's link. */
export type LinkFee = { kind: 'amount'; amount: number } | { kind: 'percent'; percent: number }

/** The fee on a spec's link: a fixed amount for one-time prices, a percent of each invoice for recurring ones. */
export function linkFeeOf(spec: SaleSpec): LinkFee {
  return spec.model === 'per-download'
    ? { kind: 'amount', amount: applicationFeeAmount(spec.unitAmount ?? 0, spec.feePercent) }
    : { kind: 'percent', percent: spec.feePercent }
}

function priceDigest(spec: SaleSpec): string {
  return digest([
    'price',
    spec.model,
    spec.currency,
    spec.unitAmount,
    spec.unitAmountDecimal,
    spec.interval,
  ])
}

function linkDigest(spec: SaleSpec): string {
  return digest(['link', priceDigest(spec), spec.seller.account, linkFeeOf(spec)])
}

function linkMetadata(spec: SaleSpec): Record<string, string> {
  return {
    [METADATA_KEYS.item]: spec.item,
    [METADATA_KEYS.version]: spec.version,
    [METADATA_KEYS.priceType]: spec.model,
  }
}

/** What to do for one item. */
export interface ItemSyncPlan {
  spec: SaleSpec
  product: 'create' | 'update' | 'keep'
  /** Per-query only: the meter to use, existing or to create. */
  meter?: { create: true; eventName: string } | { create: false; id: string; eventName: string }
  price: { create: true } | { create: false; id: string }
  retirePrices: string[]
  link: { create: true } | { create: false; id: string; url: string; updateMetadata: boolean }
  retireLinks: string[]
}

export interface StripeSyncPlan {
  items: ItemSyncPlan[]
  /** Items kept off sale because their seller cannot take payments. */
  blocked: { spec: SaleSpec; reason: string }[]
  issues: Issue[]
}

/**
 * Compares the specs with Stripe's state (pure): what to create, update and
 * retire for each item. Prices are immutable in Stripe, so a changed price is
 * a new Price and the old one is deactivated; a changed fee, price or seller
 * is a new Payment Link and the old one deactivated; a new version only
 * updates the link's metadata, so its URL stays.
 *
 * @example const plan = planStripeSync(specs, await readStripeState(stripe, specs))
 */
export function planStripeSync(specs: readonly SaleSpec[], state: StripeState): StripeSyncPlan {
  const plan: StripeSyncPlan = { items: [], blocked: [], issues: [] }
  for (const spec of specs) {
    const account = state.accounts.get(spec.seller.account)
    if (account?.charges_enabled !== true) {
      const reason = account
        ? `seller ${spec.seller.ns}'s Stripe account ${spec.seller.account} cannot take charges yet (charges_enabled: false)`
        : `seller ${spec.seller.ns}'s Stripe account ${spec.seller.account} does not exist or is not connected to this platform`
      plan.blocked.push({ spec, reason })
      plan.issues.push({
        code: account ? 'payments/charges-disabled' : 'payments/unknown-account',
        severity: 'warning',
        message: `${spec.item}: ${reason}; not put on sale`,
        hint: account
          ? 'the seller finishes Stripe onboarding through the Account Link the hub sends them'
          : `check payout.stripe_account in registry/owners/${spec.seller.ns}.yaml`,
        file: `registry/owners/${spec.seller.ns}.yaml`,
      })
      continue
    }
    const productId = productIdOf(spec.item)
    const product = state.products.get(productId)
    const productState: ItemSyncPlan['product'] = !product
      ? 'create'
      : product.name !== spec.title ||
          product.metadata?.[METADATA_KEYS.item] !== spec.item ||
          product.active !== true
        ? 'update'
        : 'keep'
    let meter: ItemSyncPlan['meter']
    if (spec.model === 'per-query') {
      const eventName = meterEventOf(spec.item)
      const found = state.meters.get(eventName)
      meter = found ? { create: false, id: found.id, eventName } : { create: true, eventName }
    }
    const prices = state.prices.get(productId) ?? []
    const wantPrice = priceDigest(spec)
    const current = meter?.create
      ? undefined
      : prices.find((p) => p.metadata?.[DIGEST_KEY] === wantPrice)
    const links = state.links.get(spec.item) ?? []
    const wantLink = linkDigest(spec)
    const link = current ? links.find((l) => l.metadata?.[DIGEST_KEY] === wantLink) : undefined
    plan.items.push({
      spec,
      product: productState,
      ...(meter ? { meter } : {}),
      price: current ? { create: false, id: current.id } : { create: true },
      retirePrices: prices.filter((p) => p !== current).map((p) => p.id),
      link: link
        ? {
            create: false,
            id: link.id,
            url: link.url,
            updateMetadata: link.metadata?.[METADATA_KEYS.version] !== spec.version,
          }
        : { create: true },
      retireLinks: links.filter((l) => l !== link).map((l) => l.id),
    })
  }
  return plan
}

/** The writes a plan makes, for `--dry-run` and for the no-op check. */
export function plannedWrites(plan: StripeSyncPlan): string[] {
  const out: string[] = []
  for (const p of plan.items) {
    if (p.product !== 'keep')
      out.push(`${p.spec.item}: ${p.product} product ${productIdOf(p.spec.item)}`)
    if (p.meter?.create) out.push(`${p.spec.item}: create billing meter ${p.meter.eventName}`)
    if (p.price.create) out.push(`${p.spec.item}: create ${p.spec.model} price`)
    for (const id of p.retirePrices) out.push(`${p.spec.item}: deactivate price ${id}`)
    if (p.link.create) out.push(`${p.spec.item}: create payment link`)
    else if (p.link.updateMetadata)
      out.push(`${p.spec.item}: update payment link ${p.link.id} to version ${p.spec.version}`)
    for (const id of p.retireLinks) out.push(`${p.spec.item}: deactivate payment link ${id}`)
  }
  return out
}

/** The Price an item sells at. */
export function priceParams(spec: SaleSpec, meterId: string | undefined): Stripe.PriceCreateParams {
  const base = {
    currency: spec.currency,
    product: productIdOf(spec.item),
    metadata: { [METADATA_KEYS.item]: spec.item, [DIGEST_KEY]: priceDigest(spec) },
  }
  if (spec.model === 'per-download') return { ...base, unit_amount: spec.unitAmount as number }
  if (spec.model === 'subscription')
    return {
      ...base,
      unit_amount: spec.unitAmount as number,
      recurring: { interval: spec.interval ?? 'month' },
    }
  return {
    ...base,
    unit_amount_decimal: Stripe.Decimal.from(spec.unitAmountDecimal as string),
    recurring: { interval: 'month', usage_type: 'metered', meter: meterId as string },
  }
}

/**
 * The Payment Link of an item. One-time: the seller's account as
 * `transfer_data.destination` and the fee as `application_fee_amount`.
 * Recurring (subscription, per-query): Stripe takes the destination from
 * `transfer_data` too and the fee as `application_fee_percent` of each
 * invoice; a recurring link never carries `application_fee_amount`.
 */
export function linkParams(spec: SaleSpec, priceId: string): Stripe.PaymentLinkCreateParams {
  const metadata = linkMetadata(spec)
  const fee = linkFeeOf(spec)
  const params: Stripe.PaymentLinkCreateParams = {
    line_items: [{ price: priceId, quantity: 1 }],
    metadata: { ...metadata, [DIGEST_KEY]: linkDigest(spec) },
    transfer_data: { destination: spec.seller.account },
  }
  if (fee.kind === 'amount') {
    params.payment_intent_data = { metadata }
    if (fee.amount > 0) params.application_fee_amount = fee.amount
  } else {
    params.subscription_data = { metadata }
    if (fee.percent > 0) params.application_fee_percent = fee.percent
  }
  return params
}

/** An Idempotency-Key for a write: its kind and a digest of exactly what it sends. */
function keyFor(kind: string, params: unknown): string {
  return `agora-${kind}-${digest(params, 40)}`
}

/** What the sync left on sale for one item. */
export interface SyncedLink {
  spec: SaleSpec
  linkId: string
  url: string
  priceId: string
  meterEventName?: string
}

/**
 * Carries out a plan, item by item, in dependency order (product, meter,
 * price, link, then retiring the replaced objects so nothing is ever off
 * sale in between). A Stripe failure of one item becomes an issue and the
 * others go on; nothing is retried here, so an idempotency conflict reaches
 * the user.
 *
 * @example const { links, writes, issues } = await applyStripeSync(stripe, plan)
 */
export async function applyStripeSync(
  stripe: Stripe,
  plan: StripeSyncPlan,
): Promise<{ links: SyncedLink[]; writes: number; issues: Issue[] }> {
  const links: SyncedLink[] = []
  const issues: Issue[] = []
  let writes = 0
  const write = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    writes++
    try {
      return await fn()
    } catch (error) {
      throw stripeFailure(what, error)
    }
  }
  for (const p of plan.items) {
    const { spec } = p
    try {
      const productId = productIdOf(spec.item)
      const product = { name: spec.title, metadata: { [METADATA_KEYS.item]: spec.item } }
      if (p.product === 'create') {
        const params = { id: productId, ...product }
        await write(`creating product for ${spec.item}`, () =>
          stripe.products.create(params, { idempotencyKey: keyFor('product', params) }),
        )
      } else if (p.product === 'update') {
        const params = { ...product, active: true }
        await write(`updating product for ${spec.item}`, () =>
          stripe.products.update(productId, params, {
            idempotencyKey: keyFor(`product-${productId}`, params),
          }),
        )
      }
      let meterId = p.meter && !p.meter.create ? p.meter.id : undefined
      if (p.meter?.create) {
        const params: Stripe.Billing.MeterCreateParams = {
          display_name: `${spec.title} queries`.slice(0, 250),
          event_name: p.meter.eventName,
          default_aggregation: { formula: 'sum' },
          customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
          value_settings: { event_payload_key: 'value' },
        }
        meterId = (
          await write(`creating billing meter for ${spec.item}`, () =>
            stripe.billing.meters.create(params, { idempotencyKey: keyFor('meter', params) }),
          )
        ).id
      }
      let priceId = p.price.create ? undefined : p.price.id
      if (p.price.create) {
        const params = priceParams(spec, meterId)
        // The replaced prices are part of the key: going back to an earlier
        // price within Stripe's 24 hours must make a new one, not replay the
        // now-inactive first.
        priceId = (
          await write(`creating price for ${spec.item}`, () =>
            stripe.prices.create(params, {
              idempotencyKey: keyFor('price', [params, p.retirePrices]),
            }),
          )
        ).id
      }
      let link: { id: string; url: string }
      if (p.link.create) {
        const params = linkParams(spec, priceId as string)
        link = await write(`creating payment link for ${spec.item}`, () =>
          stripe.paymentLinks.create(params, {
            idempotencyKey: keyFor('link', [params, p.retireLinks]),
          }),
        )
      } else {
        link = { id: p.link.id, url: p.link.url }
        if (p.link.updateMetadata) {
          const metadata = linkMetadata(spec)
          const params: Stripe.PaymentLinkUpdateParams = {
            metadata,
            ...(spec.model === 'per-download'
              ? { payment_intent_data: { metadata } }
              : { subscription_data: { metadata } }),
          }
          await write(`updating payment link of ${spec.item}`, () =>
            stripe.paymentLinks.update(link.id, params, {
              idempotencyKey: keyFor(`link-${link.id}`, params),
            }),
          )
        }
      }
      for (const id of p.retireLinks) {
        await write(`deactivating payment link ${id}`, () =>
          stripe.paymentLinks.update(
            id,
            { active: false },
            { idempotencyKey: `agora-retire-${id}` },
          ),
        )
      }
      for (const id of p.retirePrices) {
        await write(`deactivating price ${id}`, () =>
          stripe.prices.update(id, { active: false }, { idempotencyKey: `agora-retire-${id}` }),
        )
      }
      links.push({
        spec,
        linkId: link.id,
        url: link.url,
        priceId: priceId as string,
        ...(p.meter ? { meterEventName: p.meter.eventName } : {}),
      })
    } catch (error) {
      if (!(error instanceof AgoraError)) throw error
      issues.push({ ...error.toIssue(), file: spec.file })
    }
  }
  return { links, writes, issues }
}
