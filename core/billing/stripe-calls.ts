import type Stripe from 'stripe'
import { AgoraError } from '#core/errors'

/**
 * The calls the licence service makes to Stripe, behind one small interface
 * so tests record them and the service never holds a module-level client.
 */
export interface StripeCalls {
  /**
   * Takes the seller's share back after a refund or dispute: reverses the
   * transfer of a destination charge (looked up from the charge when the
   * event did not carry it). The idempotency key makes a retried webhook
   * reverse once.
   */
  reverseTransfer(
    target: { charge: string; transfer?: string | undefined },
    idempotencyKey: string,
  ): Promise<void>
  /**
   * Reports one query at `timestamp` (seconds since the epoch: Stripe takes
   * the last 35 days up to 5 minutes ahead); Stripe counts an `identifier` once.
   */
  meterEvent(event: {
    eventName: string
    customer: string
    identifier: string
    timestamp: number
  }): Promise<void>
}

/**
 * Whether Stripe refused a call for good: a 4xx that sending the same
 * request again cannot change (a bad parameter, a customer or meter that does
 * not exist, a timestamp outside the 35 days Stripe keeps). Not 401 and 403
 * (a key the operator can fix), 408, 409 (a lock or idempotency conflict) or
 * 429 (rate limited), and no network error or 5xx: those are retried.
 *
 * @example isPermanentStripeFailure(error) ? 'refused' : 'retry'
 */
export function isPermanentStripeFailure(error: unknown): boolean {
  for (let e = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const status = (e as { statusCode?: unknown }).statusCode
    if (typeof status === 'number')
      return status >= 400 && status < 500 && ![401, 403, 408, 409, 429].includes(status)
  }
  return false
}

/**
 * StripeCalls over the `stripe` package (built with an injected fetch:
 * `Stripe.createFetchHttpClient(fetch)`).
 *
 * @example stripeCalls(new Stripe(key, { httpClient: Stripe.createFetchHttpClient(fetch) }))
 */
export function stripeCalls(stripe: Stripe): StripeCalls {
  const wrap = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn()
    } catch (error) {
      throw new AgoraError('licence/stripe-failed', `Stripe refused to ${what}`, {
        hint: 'check the Stripe secret key and the account; the webhook is retried and repeats the call safely',
        cause: error,
      })
    }
  }
  return {
    async reverseTransfer(target, idempotencyKey) {
      let transfer = target.transfer
      if (!transfer) {
        const charge = await stripe.charges.retrieve(target.charge).catch((error: unknown) => {
          throw new AgoraError(
            'licence/stripe-failed',
            `Stripe could not find charge ${target.charge}`,
            {
              hint: 'check the Stripe secret key and the account',
              cause: error,
            },
          )
        })
        transfer = typeof charge.transfer === 'string' ? charge.transfer : charge.transfer?.id
      }
      if (!transfer) return
      const id = transfer
      await wrap(`reverse transfer ${id}`, () =>
        stripe.transfers.createReversal(id, {}, { idempotencyKey }),
      )
    },
    async meterEvent(event) {
      await wrap('record a meter event', () =>
        stripe.billing.meterEvents.create({
          event_name: event.eventName,
          identifier: event.identifier,
          timestamp: event.timestamp,
          payload: { stripe_customer_id: event.customer, value: '1' },
        }),
      )
    },
  }
}
