import { createHash } from 'node:crypto'
import type { LicencePayload, LicenceType } from '#core/licence'
import { licenceIdFor } from '#core/licence'
import { KINDS } from '#core/names'
import type { EventEffect } from './store.ts'

/**
 * The Checkout Session (and subscription) metadata keys that say what a
 * purchase is for. The Stripe sync writes them on every Payment Link (and
 * its `subscription_data`), so Stripe copies them onto each session.
 */
export const METADATA_KEYS = {
  item: 'agora_item',
  version: 'agora_version',
  priceType: 'agora_price_type',
} as const

/** What the service knows of an item's files, to write into a licence. */
export interface ItemVersionFiles {
  version: string
  /** SHA-256 of every file of the version. */
  files: string[]
  /** Per-query: queries one purchase buys. */
  queryLimit?: number | undefined
  /** Subscription: how long one period lasts. */
  interval?: 'month' | 'year' | undefined
}

/** Looks up an item's version (its latest when `version` is undefined). */
export type ItemCatalog = (
  item: { kind: string; ns: string; name: string },
  version: string | undefined,
) => Promise<ItemVersionFiles | undefined>

/** A Stripe event, as much of it as the service reads. */
export interface StripeEvent {
  id: string
  type: string
  created: number
  /** Set on an event from a connected account (a seller's own Stripe account). */
  account?: string
  data: { object: Record<string, unknown> }
}

/** The kinds of item a metadata `agora_item` may name, singular (as the Stripe sync writes them) or plural. */
const KIND_OF: Record<string, string> = Object.fromEntries(
  KINDS.flatMap((k) => [
    [k, k],
    [`${k}s`, k],
  ]),
)
const PART = /^[a-z0-9](?:[a-z0-9._-]{0,98}[a-z0-9])?$/
const TYPES: readonly string[] = ['per-download', 'subscription', 'per-query']

/**
 * Reads `agora_item` (`kind/ns/name`, the kind singular or plural, or
 * `ns/name` for a model) into an item reference.
 *
 * @example parseItemMetadata('lora/acme/x') // { kind: 'lora', ns: 'acme', name: 'x' }
 */
export function parseItemMetadata(
  text: string,
): { kind: string; ns: string; name: string } | undefined {
  const parts = text.split('/')
  const [kinds, ns, name] = parts.length === 2 ? ['model', ...parts] : parts
  const kind = kinds === undefined || !Object.hasOwn(KIND_OF, kinds) ? undefined : KIND_OF[kinds]
  if (parts.length > 3 || !kind || !ns || !name || !PART.test(ns) || !PART.test(name))
    return undefined
  if (ns.includes('..') || name.includes('..')) return undefined
  return { kind, ns, name }
}

/**
 * What a Stripe event means for the licence store (reads only the
 * catalog, writes nothing): a licence to issue on a paid checkout or
 * invoice, a payment to revoke on a refund or dispute, else nothing.
 *
 * @example const effect = await planEvent(event, { catalog })
 */
export async function planEvent(
  event: StripeEvent,
  context: { catalog: ItemCatalog },
): Promise<{ effect: EventEffect; note?: string }> {
  // Hub sales are destination charges on the platform account. A seller
  // controls their own connected account and could make a session there
  // naming any item: its events (delivered if the endpoint also listens to
  // connected accounts) never issue or revoke.
  if (typeof event.account === 'string' && event.account !== '')
    return { effect: {}, note: `from connected account ${event.account}: ignored` }
  const object = event.data.object
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      if (object.payment_status !== 'paid') return { effect: {}, note: 'session not paid' }
      // The session id is the buyer's claim secret: without one there is nothing to hand out.
      const session = str(object.id)
      if (!session) return { effect: {}, note: 'session without an id' }
      const subscription = str(object.subscription)
      return issueFor(event, context, {
        source: subscription ?? session,
        claim: session,
        metadata: record(object.metadata),
        paymentIntent: str(object.payment_intent),
        customer: str(object.customer),
        email: str(record(object.customer_details).email),
        periodEnd: undefined,
      })
    }
    case 'invoice.paid': {
      const parent = record(record(object.parent).subscription_details)
      const details = record(object.subscription_details)
      const subscription = str(object.subscription) ?? str(parent.subscription)
      if (!subscription) return { effect: {}, note: 'invoice without a subscription' }
      const metadata = {
        ...record(object.metadata),
        ...record(details.metadata),
        ...record(parent.metadata),
      }
      const line = record((record(object.lines).data as unknown[] | undefined)?.[0])
      const end = Number(record(line.period).end ?? object.period_end)
      return issueFor(event, context, {
        source: subscription,
        claim: undefined,
        metadata,
        paymentIntent: str(object.payment_intent),
        customer: str(object.customer),
        email: str(object.customer_email),
        periodEnd: Number.isFinite(end) && end > 0 ? new Date(end * 1000).toISOString() : undefined,
      })
    }
    case 'charge.refunded':
    case 'charge.dispute.created': {
      const paymentIntent = str(object.payment_intent)
      if (!paymentIntent) return { effect: {}, note: 'no payment intent' }
      const refund = event.type === 'charge.refunded'
      // A charge is a refund's object and a dispute's `charge`, expanded or not.
      const charge = refund ? str(object.id) : str(object.charge)
      return {
        effect: {
          revoke: {
            paymentIntent,
            reason: refund ? 'refund' : 'dispute',
            charge,
            transfer: str(object.transfer),
          },
        },
        ...(charge ? {} : { note: 'no charge: no transfer to reverse' }),
      }
    }
    default:
      return { effect: {}, note: `not handled: ${event.type}` }
  }
}

async function issueFor(
  event: StripeEvent,
  context: { catalog: ItemCatalog },
  purchase: {
    source: string
    claim: string | undefined
    metadata: Record<string, unknown>
    paymentIntent: string | undefined
    customer: string | undefined
    email: string | undefined
    periodEnd: string | undefined
  },
): Promise<{ effect: EventEffect; note?: string }> {
  const item = parseItemMetadata(String(purchase.metadata[METADATA_KEYS.item] ?? ''))
  if (!item) return { effect: {}, note: `no valid ${METADATA_KEYS.item} metadata` }
  const type = String(purchase.metadata[METADATA_KEYS.priceType] ?? 'per-download')
  if (!TYPES.includes(type))
    return { effect: {}, note: `unknown ${METADATA_KEYS.priceType} ${type}` }
  const asked = str(purchase.metadata[METADATA_KEYS.version])
  const found = await context.catalog(item, asked)
  if (!found) return { effect: {}, note: `unknown item or version ${asked ?? 'latest'}` }
  const issued = new Date(event.created * 1000)
  const payload: Omit<LicencePayload, 'kid'> = {
    v: 1,
    id: licenceIdFor(purchase.source),
    item,
    versions: [found.version],
    files: [...new Set(found.files)].sort(),
    buyer: buyerId(purchase.customer ?? purchase.email ?? purchase.source),
    type: type as LicenceType,
    issued: issued.toISOString(),
  }
  if (type === 'subscription') {
    payload.period_end = purchase.periodEnd ?? addInterval(issued, found.interval ?? 'month')
  }
  let limit: number | null = null
  if (type === 'per-query') {
    limit = found.queryLimit ?? 1000
    payload.limit = limit
  }
  return {
    effect: {
      issue: {
        id: payload.id,
        claimHash: purchase.claim ? hashClaim(purchase.claim) : null,
        paymentIntent: purchase.paymentIntent ?? null,
        customer: purchase.customer ?? null,
        payload,
        limit,
      },
    },
  }
}

/**
 * The stored form of a claim secret: only its hash is kept.
 *
 * @example hashClaim('cs_test_a1') // 'e3b0…'
 */
export function hashClaim(claim: string): string {
  return createHash('sha256').update(`agora-claim\n${claim}`).digest('hex')
}

/** An opaque buyer id: never the customer id or address itself. */
function buyerId(who: string): string {
  return `buyer_${createHash('sha256').update(`agora-buyer\n${who}`).digest('hex').slice(0, 24)}`
}

function addInterval(from: Date, interval: 'month' | 'year'): string {
  const end = new Date(from)
  if (interval === 'year') end.setUTCFullYear(end.getUTCFullYear() + 1)
  else end.setUTCMonth(end.getUTCMonth() + 1)
  return end.toISOString()
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value
  // Expanded objects carry their id.
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { id?: unknown }).id === 'string'
  )
    return (value as { id: string }).id
  return undefined
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {}
}
