import { describe, expect, it } from 'vitest'
import type { OnSaleEntry } from '#core/billing'
import { linkHref } from '#core/catalog'
import { saleView } from './sale.ts'

const entry = (url: string): OnSaleEntry => ({
  status: 'on-sale',
  model: 'per-download',
  version: '1.0.0',
  url,
  payment_link: 'plink_1',
  currency: 'usd',
  amount: 900,
  seller: 'inkwell',
  fee_percent: 10,
})
const pricing = { model: 'per-download', price: 9, currency: 'usd' } as const

describe('site/lib/sale', () => {
  it('links only https payment links outside test mode, a loopback checkout never', () => {
    expect(saleView(entry('https://buy.stripe.com/test_1'), pricing, linkHref)).toMatchObject({
      status: 'on-sale',
      url: 'https://buy.stripe.com/test_1',
      testMode: false,
    })
    expect(saleView(entry('http://127.0.0.1:8787/checkout/plink_1'), pricing, linkHref)).toEqual({
      status: 'not-on-sale',
      reason: 'its payment link is not a safe web address',
    })
  })

  it('accepts the local fake checkout on loopback in test mode, and labels it', () => {
    expect(
      saleView(entry('http://127.0.0.1:8787/checkout/plink_1'), pricing, linkHref, true),
    ).toMatchObject({
      status: 'on-sale',
      url: 'http://127.0.0.1:8787/checkout/plink_1',
      testMode: true,
      split: 'seller gets $8.10, hub fee $0.90 (10%)',
    })
    for (const url of [
      'http://evil.example/checkout/plink_1',
      'http://user:pw@127.0.0.1/checkout',
      'javascript:alert(1)',
    ]) {
      expect(saleView(entry(url), pricing, linkHref, true).status, url).toBe('not-on-sale')
    }
  })
})
