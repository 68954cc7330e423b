import { describe, expect, it } from 'vitest'
import { parseItemMetadata, planEvent } from './stripe-events.ts'
import { paidSession } from './testing/service.ts'

describe('core/billing/stripe-events', () => {
  it('reads agora_item with a singular or plural kind, or none for a model', () => {
    expect(parseItemMetadata('lora/acme/x')).toEqual({ kind: 'lora', ns: 'acme', name: 'x' })
    expect(parseItemMetadata('datasets/acme/tox21')).toEqual({
      kind: 'dataset',
      ns: 'acme',
      name: 'tox21',
    })
    expect(parseItemMetadata('acme/tox')).toEqual({ kind: 'model', ns: 'acme', name: 'tox' })
  })

  it('refuses unknown kinds, odd names and extra parts', () => {
    for (const text of [
      'widget/acme/x',
      'constructor/acme/x',
      'model/../x',
      'model/acme/X',
      'a/b/c/d',
      'acme',
      '',
    ])
      expect(parseItemMetadata(text)).toBeUndefined()
  })

  it('issues and revokes nothing for an event from a connected account', async () => {
    const catalog = async () => ({ version: '1.0.0', files: ['a'.repeat(64)] })
    const event = {
      id: 'evt_1',
      type: 'checkout.session.completed',
      created: 1_800_000_000,
      data: { object: paidSession() },
    }
    expect((await planEvent(event, { catalog })).effect.issue?.payload.item.name).toBe('tox')
    const seller = await planEvent({ ...event, account: 'acct_seller' }, { catalog })
    expect(seller).toEqual({ effect: {}, note: 'from connected account acct_seller: ignored' })
    const refund = {
      ...event,
      type: 'charge.refunded',
      account: 'acct_seller',
      data: { object: { id: 'ch_1', payment_intent: 'pi_test_1' } },
    }
    expect((await planEvent(refund, { catalog })).effect).toEqual({})
  })
})
