import { cp, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PaymentLinksDocument, SalesReport } from '#core/billing'
import { createStripeFake, type StripeFake } from '../../core/billing/testing/stripe-fake.ts'
import { main } from '../agora.ts'
import { captureStream } from '../cli/capture.ts'

const KEY = { STRIPE_SECRET_KEY: 'sk_test_agora' }

async function run(
  argv: string[],
  cwd: string,
  fake: StripeFake,
  env: Record<string, string> = KEY,
) {
  const stdout = captureStream()
  const stderr = captureStream()
  const code = await main(argv, { cwd, env, stdout, stderr, fetch: fake.fetch })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

describe('scripts/commands/stripe', () => {
  let work: string
  let fake: StripeFake

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'agora-stripe-cli-'))
    await cp(join(import.meta.dirname, '../../registry'), join(work, 'registry'), {
      recursive: true,
    })
    fake = createStripeFake()
    fake.addAccount({ id: 'acct_1SampleMolForge01', charges_enabled: true })
    fake.addAccount({ id: 'acct_1SampleLexicaAI02', charges_enabled: true })
    fake.addAccount({ id: 'acct_1SampleInkwell03', charges_enabled: false })
  })
  afterAll(async () => {
    await rm(work, { recursive: true, force: true })
  })

  it('syncs the sample hub, then finds nothing to do on a second run', async () => {
    fake.expect(
      'GET /v1/accounts/{account}',
      'GET /v1/products/{id}',
      'GET /v1/payment_links',
      'GET /v1/billing/meters',
      'POST /v1/products',
      'POST /v1/prices',
      'POST /v1/billing/meters',
      'POST /v1/payment_links',
    )
    const first = await run(['stripe', 'sync', '--json'], work, fake)
    fake.assertDone()
    expect(first.code).toBe(0)
    const report = JSON.parse(first.stdout) as {
      items: PaymentLinksDocument['items']
      issues: { code: string }[]
    }
    expect(report.items['model/molforge/retro-transformer']).toMatchObject({
      status: 'on-sale',
      model: 'per-download',
      amount: 4900,
      fee_amount: 490,
      seller_amount: 4410,
      seller: 'molforge',
    })
    expect(report.items['adapter/molforge/retro-planner-api']).toMatchObject({
      model: 'per-query',
      unit_amount_decimal: '5',
    })
    expect(report.items['model/molforge/affinity-predictor-pro']).toEqual({
      status: 'contact',
      contact: 'mailto:sales@molforge.example.com',
    })
    expect(report.items['lora/inkwell/noir-voice-mistral-7b']).toMatchObject({
      status: 'not-on-sale',
    })
    expect(report.issues.map((i) => i.code)).toContain('payments/charges-disabled')
    const file = JSON.parse(
      await readFile(join(work, 'payments/links.json'), 'utf8'),
    ) as PaymentLinksDocument
    expect(file.items).toEqual(report.items)

    fake
      .reset()
      .expect(
        'GET /v1/accounts/{account}',
        'GET /v1/products/{id}',
        'GET /v1/prices',
        'GET /v1/payment_links',
        'GET /v1/billing/meters',
      )
    const second = await run(['stripe', 'sync'], work, fake)
    fake.assertDone()
    expect(second.code).toBe(0)
    expect(second.stdout).toMatch(/0 Stripe writes; payments\/links.json unchanged/)
    expect(second.stdout).toMatch(/charges_enabled: false/)
  })

  it('plans under --dry-run without a Stripe write or a links file, and refuses an unknown subcommand', async () => {
    const dry = await mkdtemp(join(tmpdir(), 'agora-stripe-dry-'))
    try {
      await cp(join(import.meta.dirname, '../../registry'), join(dry, 'registry'), {
        recursive: true,
      })
      const fresh = createStripeFake().expect(
        'GET /v1/accounts/{account}',
        'GET /v1/products/{id}',
        'GET /v1/payment_links',
        'GET /v1/billing/meters',
      )
      fresh.addAccount({ id: 'acct_1SampleMolForge01', charges_enabled: true })
      fresh.addAccount({ id: 'acct_1SampleLexicaAI02', charges_enabled: true })
      fresh.addAccount({ id: 'acct_1SampleInkwell03', charges_enabled: true })
      const result = await run(['stripe', 'sync', '--dry-run'], dry, fresh)
      fresh.assertDone()
      expect(result.code).toBe(0)
      expect(result.stdout).toContain('would model/molforge/retro-transformer: create payment link')
      expect(result.stdout).toMatch(/writes planned; nothing written \(dry run\)/)
      await expect(readFile(join(dry, 'payments/links.json'), 'utf8')).rejects.toThrow()
      const bad = await run(['stripe', 'push'], dry, fresh)
      expect(bad.code).toBe(2)
      expect(bad.stdout + bad.stderr).toMatch(
        /unknown subcommand "push"[\s\S]*hint: use agora stripe sync/,
      )
    } finally {
      await rm(dry, { recursive: true, force: true })
    }
  })

  it('says to check the network when Stripe cannot be reached', async () => {
    // Every request goes to a loopback port nothing listens on, as when offline.
    const offline: typeof fetch = (_url, init) => globalThis.fetch('http://127.0.0.1:1/', init)
    const stdout = captureStream()
    const stderr = captureStream()
    const code = await main(['sales', 'molforge'], {
      cwd: work,
      env: KEY,
      stdout,
      stderr,
      fetch: offline,
    })
    expect(code).toBe(2)
    expect(stderr.text() + stdout.text()).toMatch(
      /payments\/stripe-failed[\s\S]*hint: Stripe did not answer: check that this machine reaches api\.stripe\.com/,
    )
  })

  it('needs the secret key and says where to get it', async () => {
    const result = await run(['stripe', 'sync'], work, createStripeFake(), {})
    expect(result.code).toBe(2)
    expect(result.stderr + result.stdout).toMatch(
      /STRIPE_SECRET_KEY is not set[\s\S]*hint: export STRIPE_SECRET_KEY=sk_test_/,
    )
  })

  it('refuses the docs’ placeholder key rather than blaming the network', async () => {
    const result = await run(['stripe', 'sync', '--dry-run'], work, createStripeFake(), {
      STRIPE_SECRET_KEY: 'sk_test_…',
    })
    expect(result.code).toBe(2)
    expect(result.stderr + result.stdout).toMatch(
      /STRIPE_SECRET_KEY is not a Stripe key[\s\S]*hint: paste your own key/,
    )
  })
})

describe('scripts/commands/sales', () => {
  let work: string

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'agora-sales-cli-'))
    await cp(join(import.meta.dirname, '../../registry'), join(work, 'registry'), {
      recursive: true,
    })
  })
  afterAll(async () => {
    await rm(work, { recursive: true, force: true })
  })

  /** A destination charge as the seller's account sees it: a payment funded by the hub's charge. */
  function payment(item: string, amount: number, fee: number, created: number) {
    return {
      type: 'payment',
      amount: amount - fee,
      fee: 0,
      net: amount - fee,
      currency: 'usd',
      created,
      source: {
        id: 'py_x',
        object: 'charge',
        source_transfer: {
          id: 'tr_x',
          object: 'transfer',
          source_transaction: {
            id: 'ch_x',
            object: 'charge',
            amount,
            application_fee_amount: fee,
            metadata: { agora_item: item },
          },
        },
      },
    }
  }

  it('sums gross, platform fee, Stripe fees, refunds and net per item and month from the seller’s account', async () => {
    const fake = createStripeFake().expect('GET /v1/balance_transactions')
    const jan = Date.UTC(2026, 0, 15) / 1000
    const feb = Date.UTC(2026, 1, 3) / 1000
    const mar = Date.UTC(2026, 2, 3) / 1000
    const seller = 'acct_1SampleLexicaAI02'
    fake.addBalanceTransaction(
      seller,
      payment('lora/lexica-ai/contract-review-mistral-7b', 2900, 290, jan),
    )
    fake.addBalanceTransaction(
      seller,
      payment('lora/lexica-ai/contract-review-mistral-7b', 2900, 290, jan + 60),
    )
    fake.addBalanceTransaction(
      seller,
      payment('datasets/lexica-ai/case-law-summaries', 9900, 990, feb),
    )
    fake.addBalanceTransaction(seller, {
      type: 'payment_refund',
      amount: -2610,
      fee: 0,
      net: -2610,
      currency: 'usd',
      created: feb + 60,
      source: null,
    })
    fake.addBalanceTransaction(seller, {
      type: 'stripe_fee',
      amount: -200,
      fee: 0,
      net: -200,
      currency: 'usd',
      created: feb,
    })
    fake.addBalanceTransaction(
      seller,
      payment('lora/lexica-ai/contract-review-mistral-7b', 2900, 290, mar),
    )
    // The platform's own view, which the report must not read.
    fake.addBalanceTransaction(
      undefined,
      payment('model/molforge/retro-transformer', 4900, 490, jan),
    )

    const result = await run(
      ['sales', 'lexica-ai', '--from', '2026-01', '--to', '2026-02', '--json'],
      work,
      fake,
    )
    fake.assertDone()
    expect(result.code).toBe(0)
    expect(fake.calls[0]?.account).toBe(seller)
    const created = fake.calls[0]?.params.created as Record<string, unknown>
    expect([Number(created.gte), Number(created.lt)]).toEqual([
      Date.UTC(2026, 0, 1) / 1000,
      Date.UTC(2026, 2, 1) / 1000,
    ])
    const report = JSON.parse(result.stdout) as SalesReport
    expect(report.rows).toEqual([
      {
        item: 'lora/lexica-ai/contract-review-mistral-7b',
        month: '2026-01',
        currency: 'usd',
        sales: 2,
        gross: 5800,
        platform_fee: 580,
        stripe_fees: 0,
        refunds: 0,
        net: 5220,
      },
      {
        item: '(unattributed)',
        month: '2026-02',
        currency: 'usd',
        sales: 0,
        gross: 0,
        platform_fee: 0,
        stripe_fees: 0,
        refunds: 2610,
        net: -2610,
      },
      {
        item: 'datasets/lexica-ai/case-law-summaries',
        month: '2026-02',
        currency: 'usd',
        sales: 1,
        gross: 9900,
        platform_fee: 990,
        stripe_fees: 0,
        refunds: 0,
        net: 8910,
      },
    ])
    expect(report.totals).toEqual([
      {
        currency: 'usd',
        sales: 3,
        gross: 15700,
        platform_fee: 1570,
        stripe_fees: 0,
        refunds: 2610,
        net: 11520,
      },
    ])

    const text = await run(
      ['sales', 'lexica-ai', '--from', '2026-01', '--to', '2026-01'],
      work,
      fake.reset().expect('GET /v1/balance_transactions'),
    )
    expect(text.stdout).toContain(
      '2026-01\n  lora/lexica-ai/contract-review-mistral-7b  2 sold  gross $58.00  platform fee $5.80  Stripe fees $0.00  refunds $0.00  net $52.20',
    )
  })

  it('names the owner file when the seller has no payout account', async () => {
    const result = await run(['sales', 'open-evals'], work, createStripeFake())
    expect(result.code).toBe(2)
    expect(result.stdout + result.stderr).toMatch(/open-evals has no payout account/)
  })
})
