import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BuiltSite, type OpenSite, openSite } from './harness.ts'

// The shared build, with the fixture payments/links.json beside its registry.
let site: BuiltSite
let context: BrowserContext
let errors: string[]
let open: OpenSite | undefined

beforeAll(async () => {
  open = await openSite()
  ;({ site, context, errors } = open)
})

afterAll(async () => {
  await open?.close()
})

async function itemPage(path: string): Promise<Page> {
  const page = await context.newPage()
  await page.goto(`${site.url}${path}`)
  return page
}

describe('site/e2e/payments', () => {
  it('shows a Buy button opening the payment link, with the price, the fee split and the licence terms', async () => {
    const page = await itemPage('/models/molforge/retro-transformer/')
    const buy = page.locator('a#buy')
    expect(await buy.getAttribute('href')).toBe('https://buy.stripe.com/test_e2eRetroTransformer')
    expect(await buy.textContent()).toBe('Buy a licence · $49.00')
    // A production build's links file is not test mode: no label, https links only.
    expect(await page.locator('[data-test-mode]').count()).toBe(0)
    expect(await page.locator('[data-split]').textContent()).toBe(
      'seller gets $44.10, hub fee $4.90 (10%)',
    )
    const terms = page.locator('[data-terms]')
    expect(await terms.textContent()).toMatch(
      /licence to download and use version 1\.1\.0[\s\S]*Licence terms: MolForge Commercial Model Licence 1\.0/,
    )
    expect(await terms.locator('a').getAttribute('href')).toBe(
      'https://molforge.example.com/licence',
    )
    // Clicking goes to Stripe: stop at the request rather than leave loopback.
    await page.route('https://buy.stripe.com/**', (route) => route.fulfill({ body: 'checkout' }))
    await buy.click()
    await page.waitForURL('https://buy.stripe.com/test_e2eRetroTransformer')
    await page.close()
  })

  it('shows a subscription’s price per interval and the hub’s share of each invoice', async () => {
    const page = await itemPage('/loras/lexica-ai/case-law-summarizer-llama-3.1-8b/')
    expect(await page.locator('a#buy [data-price]').textContent()).toBe('$19.00 / month')
    expect(await page.locator('[data-split]').textContent()).toBe(
      'seller gets $17.10, hub fee $1.90 (10% of each invoice)',
    )
    await page.close()
  })

  it('shows the contact of an enterprise item instead of a button', async () => {
    const page = await itemPage('/models/molforge/affinity-predictor-pro/')
    expect(await page.locator('a#buy').count()).toBe(0)
    const contact = page.locator('[data-contact]')
    expect(await contact.textContent()).toMatch(
      /Enterprise licence, priced per customer: ask mailto:sales@molforge\.example\.com for a quote/,
    )
    expect(await contact.locator('a').first().getAttribute('href')).toBe(
      'mailto:sales@molforge.example.com',
    )
    await page.close()
  })

  it('says not on sale, and why, for items without a link, a blocked seller or an unsafe link', async () => {
    for (const [path, reason] of [
      [
        '/loras/inkwell/noir-voice-mistral-7b/',
        /Not on sale yet: the seller has no payment link on this hub\./,
      ],
      [
        '/datasets/lexica-ai/case-law-summaries/',
        /Not on sale yet: seller lexica-ai's Stripe account .* cannot take charges yet/,
      ],
      [
        '/models/molforge/retro-transformer-int8/',
        /Not on sale yet: its payment link is not a safe web address\./,
      ],
    ] as const) {
      const page = await itemPage(path)
      expect(await page.locator('a#buy').count()).toBe(0)
      expect(await page.locator('#buy-disabled').count()).toBe(1)
      expect(await page.locator('.buy').textContent()).toMatch(reason)
      await page.close()
    }
    expect(errors).toEqual([])
  })

  it('fits the Buy panel on a 390 px phone screen', async () => {
    const phone = await (open as OpenSite).browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
    })
    const page = await phone.newPage()
    for (const path of [
      '/models/molforge/retro-transformer/',
      '/loras/lexica-ai/case-law-summarizer-llama-3.1-8b/',
      '/models/molforge/affinity-predictor-pro/',
      '/datasets/lexica-ai/case-law-summaries/',
    ]) {
      await page.goto(`${site.url}${path}`)
      const box = await page.locator('.buy').boundingBox()
      expect(box && box.x + box.width, path).toBeLessThanOrEqual(390)
      expect(
        await page.evaluate(() => document.documentElement.scrollWidth),
        path,
      ).toBeLessThanOrEqual(390)
    }
    await phone.close()
  })
})
