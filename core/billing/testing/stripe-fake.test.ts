import { describe, expect, it } from 'vitest'
import { checkStripeRequest, createStripeFake, decodeForm } from './stripe-fake.ts'

describe('core/billing/testing/stripe-fake', () => {
  it('decodes Stripe form encoding into objects and arrays', () => {
    expect(
      decodeForm('line_items[0][price]=p&line_items[0][quantity]=1&metadata[a]=b&expand[]=x'),
    ).toEqual({ line_items: [{ price: 'p', quantity: '1' }], metadata: { a: 'b' }, expand: ['x'] })
  })

  it('checks bodies and queries against the OpenAPI description', () => {
    expect(checkStripeRequest('POST', '/v1/products', { name: 'x' })).toEqual([])
    expect(checkStripeRequest('POST', '/v1/products', {})).toEqual([
      "body (top) must have required property 'name'",
    ])
    expect(
      checkStripeRequest('POST', '/v1/prices', {
        currency: 'usd',
        product: 'prod_1',
        unit_amount: '100',
        recurring: { intervl: 'month' },
      }).join('\n'),
    ).toMatch(/recurring.intervl is not declared/)
    expect(checkStripeRequest('GET', '/v1/prices', { colour: 'red' })).toEqual([
      'query parameter colour is not declared by GET /v1/prices',
    ])
    expect(
      checkStripeRequest('POST', '/v1/payment_links', {
        line_items: [{ price: 'p', quantity: '1' }],
        subscription_data: { transfer_data: { destination: 'acct_1' } },
      }).join('\n'),
    ).toMatch(/subscription_data.transfer_data is not declared/)
    expect(checkStripeRequest('GET', '/v1/nonsense', {})[0]).toMatch(/no Stripe operation/)
    // A meter event may carry the time of its query (seconds since the epoch), and only that.
    const meterEvent = { event_name: 'e', identifier: 'lic:q1', payload: { value: '1' } }
    expect(
      checkStripeRequest('POST', '/v1/billing/meter_events', {
        ...meterEvent,
        timestamp: '1796666825',
      }),
    ).toEqual([])
    expect(
      checkStripeRequest('POST', '/v1/billing/meter_events', { ...meterEvent, timestamp: 'now' }),
    ).toEqual(['body /timestamp must be integer'])
  })

  it('keeps objects, replays an idempotent request and refuses a reused key with other parameters', async () => {
    const fake = createStripeFake().expect('POST /v1/products', 'GET /v1/products/{id}')
    const first = await fake.stripe.products.create({ name: 'A' }, { idempotencyKey: 'k1' })
    const again = await fake.stripe.products.create({ name: 'A' }, { idempotencyKey: 'k1' })
    expect(again.id).toBe(first.id)
    expect(fake.objects('product')).toHaveLength(1)
    const error = await fake.stripe.products
      .create({ name: 'B' }, { idempotencyKey: 'k1' })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ type: 'StripeIdempotencyError', statusCode: 400 })
    expect((await fake.stripe.products.retrieve(first.id)).name).toBe('A')
    fake.assertDone()
  })

  it('fails on unexpected calls, invalid bodies and expected calls never made', async () => {
    const fake = createStripeFake().expect('GET /v1/billing/meters')
    await fake.stripe.products.create({ name: 'A' }).catch(() => undefined)
    await fake.stripe.prices
      .create({ currency: 'usd', product: 'x', unit_amount: -1, bogus: 1 } as never)
      .catch(() => undefined)
    expect(() => fake.assertDone()).toThrow(
      /unexpected call POST \/v1\/products[\s\S]*POST \/v1\/prices rejected[\s\S]*bogus is not declared[\s\S]*never made: GET \/v1\/billing\/meters/,
    )
  })

  it('serves an account’s balance transactions through the Stripe-Account header', async () => {
    const fake = createStripeFake().expect('GET /v1/balance_transactions')
    fake.addBalanceTransaction('acct_1', { amount: 900, created: 1_767_225_600 })
    fake.addBalanceTransaction(undefined, { amount: 1000, created: 1_767_225_600 })
    const seller = await fake.stripe.balanceTransactions.list({}, { stripeAccount: 'acct_1' })
    expect(seller.data.map((t) => t.amount)).toEqual([900])
    expect(fake.calls[0]?.account).toBe('acct_1')
    fake.assertDone()
  })
})
