import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { HubConfig, ItemManifest, OwnerManifest, Pricing } from '#core/manifest'
import type { Kind } from '#core/names'
import type { LoadedItem, Registry } from '#core/registry'
import { applicationFeeAmount, splitSale, toMinorUnits } from './fees.ts'
import { PAYMENT_LINKS_FILE, type PaymentLinksDocument } from './links-file.ts'
import { syncStripe } from './sync-registry.ts'
import { createStripeFake, type StripeFake } from './testing/stripe-fake.ts'

const READS = [
  'GET /v1/accounts/{account}',
  'GET /v1/products/{id}',
  'GET /v1/prices',
  'GET /v1/payment_links',
]
/** Before any product exists there are no prices to list. */
const NEW_READS = READS.filter((op) => op !== 'GET /v1/prices')
const FIRST_RUN = [
  ...NEW_READS,
  'GET /v1/billing/meters',
  'POST /v1/products',
  'POST /v1/prices',
  'POST /v1/payment_links',
  'POST /v1/billing/meters',
]

function item(kind: Kind, ns: string, name: string, pricing: Pricing, owners = [ns]): LoadedItem {
  const manifest = {
    kind,
    id: `${ns}/${name}`,
    title: `Title of ${name}`,
    summary: 's',
    owners,
    license: 'MIT',
    pricing,
    'dist-tags': { latest: '1.0.0' },
  } as ItemManifest
  return {
    ref: { kind, ns, name },
    dir: `registry/${kind}s/${ns.slice(0, 2)}/${ns}/${name}`,
    item: manifest,
    readme: undefined,
    versions: new Map([['1.0.0', { version: '1.0.0', files: [] } as never]]),
    results: [],
  }
}

function registryOf(root: string, items: LoadedItem[], feePercent = 10): Registry {
  const owners = new Map<string, OwnerManifest>([
    ['acme', { type: 'org', name: 'Acme', payout: { stripe_account: 'acct_acme' } }],
    ['slow', { type: 'org', name: 'Slow', payout: { stripe_account: 'acct_slow' } }],
    ['nopay', { type: 'org', name: 'No Pay' }],
  ])
  const hub = {
    payments: { provider: 'stripe', currency: 'usd', platform_fee_percent: feePercent },
  } as HubConfig
  return {
    root,
    hub,
    owners,
    items: new Map(items.map((i) => [`${i.ref.kind}/${i.ref.ns}/${i.ref.name}`, i])),
  }
}

const SAMPLE = () => [
  item('model', 'acme', 'tox', { model: 'per-download', price: 49, currency: 'usd' }),
  item('lora', 'acme', 'legal', {
    model: 'subscription',
    price: 19,
    currency: 'usd',
    interval: 'month',
  }),
  item('adapter', 'acme', 'api', { model: 'per-query', price: 0.005, currency: 'usd' }),
  item('model', 'acme', 'pro', { model: 'enterprise', contact: 'mailto:sales@acme.example' }),
  item('model', 'acme', 'free', { model: 'free' }),
  item('model', 'slow', 'waiting', { model: 'per-download', price: 5, currency: 'usd' }),
  item('model', 'nopay', 'orphan', { model: 'per-download', price: 5, currency: 'usd' }),
]

describe('core/billing/fees', () => {
  it('rounds the hub fee down to the cent, in the seller’s favour, never above the amount', () => {
    expect(applicationFeeAmount(1, 10)).toBe(0)
    expect(applicationFeeAmount(999, 10)).toBe(99)
    expect(applicationFeeAmount(999, 100)).toBe(999)
    expect(applicationFeeAmount(999, 0)).toBe(0)
    expect(applicationFeeAmount(100, 29)).toBe(29)
    expect(applicationFeeAmount(4900, 2.5)).toBe(122)
    expect(splitSale(4900, 10)).toEqual({ amount: 4900, fee: 490, seller: 4410 })
    expect(() => applicationFeeAmount(100, 101)).toThrow(RangeError)
    expect(toMinorUnits(49.99, 'usd')).toBe(4999)
    expect(toMinorUnits(0.005, 'usd')).toBeUndefined()
    expect(toMinorUnits(500, 'jpy')).toBe(500)
  })
})

describe('core/billing/sync', () => {
  let root: string
  let fake: StripeFake

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'agora-stripe-'))
    fake = createStripeFake()
    fake.addAccount({ id: 'acct_acme', charges_enabled: true })
    fake.addAccount({ id: 'acct_slow', charges_enabled: false })
  })
  afterEach(async () => {
    await rm(root, { recursive: true, force: true })
  })

  const linkOf = (item: string) =>
    fake
      .objects('payment_link')
      .filter((l) => l.active && (l.metadata as Record<string, string>).agora_item === item)

  it('puts every priced item on sale with the seller as destination and the hub fee, and writes the links file', async () => {
    fake.expect(...FIRST_RUN)
    const result = await syncStripe({ stripe: fake.stripe, registry: registryOf(root, SAMPLE()) })
    fake.assertDone()

    const download = linkOf('model/acme/tox')
    expect(download).toHaveLength(1)
    expect(download[0]).toMatchObject({
      transfer_data: { destination: 'acct_acme' },
      application_fee_amount: 490,
      application_fee_percent: null,
      metadata: {
        agora_item: 'model/acme/tox',
        agora_version: '1.0.0',
        agora_price_type: 'per-download',
      },
      payment_intent_data: {
        metadata: {
          agora_item: 'model/acme/tox',
          agora_version: '1.0.0',
          agora_price_type: 'per-download',
        },
      },
    })
    const subscription = linkOf('lora/acme/legal')[0]
    expect(subscription).toMatchObject({
      transfer_data: { destination: 'acct_acme' },
      application_fee_percent: 10,
      application_fee_amount: null,
      subscription_data: {
        metadata: { agora_item: 'lora/acme/legal', agora_price_type: 'subscription' },
      },
    })
    const prices = fake.objects('price')
    expect(
      prices.find((p) => p.type === 'recurring' && p.unit_amount === 1900)?.recurring,
    ).toMatchObject({
      interval: 'month',
      usage_type: 'licensed',
    })
    const [meter] = fake.objects('billing.meter')
    expect(
      prices.find((p) => (p.recurring as { usage_type?: string } | null)?.usage_type === 'metered'),
    ).toMatchObject({
      unit_amount_decimal: '0.5',
      recurring: { meter: meter?.id },
    })
    expect(linkOf('adapter/acme/api')[0]).toMatchObject({ application_fee_percent: 10 })
    // Nothing for the seller who cannot take charges, the owner without a payout account, enterprise or free.
    expect(fake.objects('product')).toHaveLength(3)
    expect(result.issues.map((i) => i.code).sort()).toEqual([
      'payments/charges-disabled',
      'payments/no-payout-account',
    ])

    const doc = JSON.parse(
      await readFile(join(root, PAYMENT_LINKS_FILE), 'utf8'),
    ) as PaymentLinksDocument
    expect(doc.items['model/acme/tox']).toMatchObject({
      status: 'on-sale',
      url: download[0]?.url,
      amount: 4900,
      fee_amount: 490,
      seller_amount: 4410,
      fee_percent: 10,
    })
    expect(doc.items['adapter/acme/api']).toMatchObject({ meter_event_name: meter?.event_name })
    expect(doc.items['model/acme/pro']).toEqual({
      status: 'contact',
      contact: 'mailto:sales@acme.example',
    })
    expect(doc.items['model/slow/waiting']).toMatchObject({ status: 'not-on-sale' })
    expect(doc.items['model/slow/waiting']).toHaveProperty(
      'reason',
      expect.stringMatching(/charges_enabled: false/),
    )
    expect(doc.items['model/nopay/orphan']).toMatchObject({ status: 'not-on-sale' })
    expect(doc.items['model/acme/free']).toBeUndefined()
  })

  it('makes no writes and leaves the file alone on a second run with nothing changed', async () => {
    fake.expect(...FIRST_RUN)
    await syncStripe({ stripe: fake.stripe, registry: registryOf(root, SAMPLE()) })
    fake.reset().expect(...READS, 'GET /v1/billing/meters')
    const again = await syncStripe({ stripe: fake.stripe, registry: registryOf(root, SAMPLE()) })
    fake.assertDone()
    expect(again.writes).toBe(0)
    expect(again.planned).toEqual([])
    expect(again.fileChanged).toBe(false)
    expect(fake.calls.every((c) => c.method === 'GET')).toBe(true)
  })

  it('makes a new price and link when the price changes, and only a new link when the fee changes', async () => {
    const items = [
      item('model', 'acme', 'tox', { model: 'per-download', price: 49, currency: 'usd' }),
    ]
    fake.expect(...NEW_READS, 'POST /v1/products', 'POST /v1/prices', 'POST /v1/payment_links')
    await syncStripe({ stripe: fake.stripe, registry: registryOf(root, items) })
    const [firstPrice] = fake.objects('price')
    const [firstLink] = fake.objects('payment_link')

    const repriced = [
      item('model', 'acme', 'tox', { model: 'per-download', price: 59, currency: 'usd' }),
    ]
    fake
      .reset()
      .expect(
        ...READS,
        'POST /v1/prices',
        'POST /v1/prices/{price}',
        'POST /v1/payment_links',
        'POST /v1/payment_links/{payment_link}',
      )
    await syncStripe({ stripe: fake.stripe, registry: registryOf(root, repriced) })
    fake.assertDone()
    expect(firstPrice?.active).toBe(false)
    expect(firstLink?.active).toBe(false)
    expect(
      fake
        .objects('price')
        .filter((p) => p.active)
        .map((p) => p.unit_amount),
    ).toEqual([5900])
    expect(linkOf('model/acme/tox')[0]).toMatchObject({ application_fee_amount: 590 })

    fake.reset().expect(...READS, 'POST /v1/payment_links', 'POST /v1/payment_links/{payment_link}')
    await syncStripe({ stripe: fake.stripe, registry: registryOf(root, repriced, 100) })
    fake.assertDone()
    expect(linkOf('model/acme/tox')).toHaveLength(1)
    expect(linkOf('model/acme/tox')[0]).toMatchObject({ application_fee_amount: 5900 })
    expect(fake.objects('price')).toHaveLength(2)

    fake.reset().expect(...READS, 'POST /v1/payment_links', 'POST /v1/payment_links/{payment_link}')
    await syncStripe({ stripe: fake.stripe, registry: registryOf(root, repriced, 0) })
    fake.assertDone()
    expect(linkOf('model/acme/tox')[0]).toMatchObject({
      application_fee_amount: null,
      transfer_data: { destination: 'acct_acme' },
    })
  })

  it('keeps the link and its URL for a new version, updating only its metadata', async () => {
    const items = [
      item('model', 'acme', 'tox', { model: 'per-download', price: 49, currency: 'usd' }),
    ]
    fake.expect(...NEW_READS, 'POST /v1/products', 'POST /v1/prices', 'POST /v1/payment_links')
    await syncStripe({ stripe: fake.stripe, registry: registryOf(root, items) })
    const bumped = items.map((i) => ({
      ...i,
      item: { ...i.item, 'dist-tags': { latest: '1.1.0' } },
      versions: new Map([['1.1.0', {} as never]]),
    }))
    fake.reset().expect(...READS, 'POST /v1/payment_links/{payment_link}')
    await syncStripe({ stripe: fake.stripe, registry: registryOf(root, bumped) })
    fake.assertDone()
    expect(fake.objects('payment_link')).toHaveLength(1)
    expect(linkOf('model/acme/tox')[0]).toMatchObject({
      metadata: { agora_version: '1.1.0' },
      payment_intent_data: { metadata: { agora_version: '1.1.0' } },
    })
  })

  it('plans without writing under a dry run', async () => {
    fake.expect(...NEW_READS, 'GET /v1/billing/meters')
    const result = await syncStripe({
      stripe: fake.stripe,
      registry: registryOf(root, SAMPLE()),
      dryRun: true,
    })
    fake.assertDone()
    expect(result.planned).toContain('model/acme/tox: create payment link')
    expect(result.planned).toContain(
      'adapter/acme/api: create billing meter agora_queries_' +
        result.planned.join('').split('agora_queries_')[1]?.slice(0, 16),
    )
    await expect(readFile(join(root, PAYMENT_LINKS_FILE), 'utf8')).rejects.toThrow()
  })

  it('surfaces Stripe’s idempotency error instead of retrying', async () => {
    const items = [
      item('model', 'acme', 'tox', { model: 'per-download', price: 49, currency: 'usd' }),
    ]
    const probe = createStripeFake().expect(
      ...READS,
      'POST /v1/products',
      'POST /v1/prices',
      'POST /v1/payment_links',
    )
    probe.addAccount({ id: 'acct_acme', charges_enabled: true })
    await syncStripe({ stripe: probe.stripe, registry: registryOf(root, items) })
    const key = probe.calls.find((c) => c.operation === 'POST /v1/products')
      ?.idempotencyKey as string

    // Another run used the same key with other parameters.
    fake.expect(...NEW_READS, 'POST /v1/products')
    await fake.stripe.products.create({ name: 'Something else' }, { idempotencyKey: key })
    fake.calls.length = 0
    const result = await syncStripe({ stripe: fake.stripe, registry: registryOf(root, items) })
    fake.assertDone()
    expect(fake.calls.filter((c) => c.method === 'POST')).toHaveLength(1)
    expect(result.issues).toEqual([
      expect.objectContaining({
        code: 'payments/stripe-failed',
        message: expect.stringMatching(
          /^creating product for model\/acme\/tox: .*Keys for idempotent requests can only be used with the same parameters/,
        ),
        hint: expect.stringMatching(/same Idempotency-Key/),
      }),
    ])
    const doc = JSON.parse(
      await readFile(join(root, PAYMENT_LINKS_FILE), 'utf8'),
    ) as PaymentLinksDocument
    expect(doc.items['model/acme/tox']).toMatchObject({ status: 'not-on-sale' })
  })
})
