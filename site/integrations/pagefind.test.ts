import { describe, expect, it } from 'vitest'
import { type IndexedPage, sortOrders } from './pagefind.ts'

const page = (id: string, title: string, updated: string, trending: number): IndexedPage => ({
  id,
  title,
  updated,
  trending,
})

describe('site/integrations/pagefind', () => {
  it('orders trending and newest descending, undated last, and names ascending', () => {
    const pages = [
      page('en_a', 'beta', '2025-01-02', 1),
      page('en_b', 'Alpha', '', 5),
      page('en_c', 'gamma', '2025-03-01', 5),
      page('en_d', 'delta', '2024-12-31', 0.5),
    ]
    const orders = sortOrders(pages)
    expect(orders.trending).toEqual(['en_b', 'en_c', 'en_a', 'en_d'])
    expect(orders.newest).toEqual(['en_c', 'en_a', 'en_d', 'en_b'])
    expect(orders.name).toEqual(['en_b', 'en_a', 'en_d', 'en_c'])
  })
})
