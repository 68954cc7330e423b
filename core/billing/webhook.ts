import type Stripe from 'stripe'
import { AgoraError } from '#core/errors'
import type { StripeEvent } from './stripe-events.ts'

/** Stripe's recommended tolerance, applied both ways. */
export const WEBHOOK_TOLERANCE_S = 300

/** The last second a Date can hold. */
const MAX_DATE_S = 8.64e12

function refuse(message: string, cause?: unknown): never {
  throw new AgoraError('licence/bad-webhook', message, {
    hint: 'the request is not a genuine, fresh Stripe delivery; check the webhook signing secret (whsec_…)',
    ...(cause ? { cause } : {}),
  })
}

/**
 * Throws `licence/bad-webhook` for a delivery with no `Stripe-Signature`
 * header, so the service can refuse it before reading its body.
 *
 * @example requireSignatureHeader(req.headers['stripe-signature'])
 */
export function requireSignatureHeader(header: string | undefined): asserts header is string {
  if (!header) refuse('the Stripe-Signature header is missing')
}

/**
 * Verifies a webhook's `Stripe-Signature` over the raw body with stripe's
 * own check (which refuses timestamps older than the tolerance), and
 * refuses timestamps more than the tolerance in the future too, which
 * stripe's `constructEvent` accepts. Throws `licence/bad-webhook`.
 *
 * @example const event = verifyWebhook(stripe, rawBody, req.headers['stripe-signature'], secret)
 */
export function verifyWebhook(
  stripe: Stripe,
  raw: Buffer,
  header: string | undefined,
  secret: string,
  nowSeconds: number = Date.now() / 1000,
): StripeEvent {
  requireSignatureHeader(header)
  // Read the timestamp as stripe does (every `t=` item, the last one wins):
  // with two, the future check would see one and the signature check another.
  const stamps = header.split(',').filter((item) => item.split('=')[0] === 't')
  if (stamps.length > 1) refuse('the Stripe-Signature header has more than one timestamp')
  const stamp = Number(/^t=(\d{1,12})$/.exec(stamps[0] ?? '')?.[1])
  if (!Number.isFinite(stamp)) refuse('the Stripe-Signature header has no timestamp')
  if (stamp > nowSeconds + WEBHOOK_TOLERANCE_S) refuse('the signature timestamp lies in the future')
  let event: unknown
  try {
    event = stripe.webhooks.constructEvent(raw, header, secret, WEBHOOK_TOLERANCE_S)
  } catch (error) {
    refuse('the Stripe signature does not verify', error)
  }
  const e = event as Partial<StripeEvent>
  if (
    typeof e.id !== 'string' ||
    typeof e.type !== 'string' ||
    typeof e.data?.object !== 'object'
  ) {
    refuse('the event has no id, type or data.object')
  }
  // `created` dates the licence an event issues: a time no Date can hold would fail later, half-way.
  const created = e.created ?? Math.floor(nowSeconds)
  if (!Number.isSafeInteger(created) || created < 0 || created > MAX_DATE_S) {
    refuse('the event has no valid created time')
  }
  return { ...(e as StripeEvent), created }
}
