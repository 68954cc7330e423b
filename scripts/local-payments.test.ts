import { cp, mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalPayments, startLocalPayments } from './local-payments.ts'

const PROJECT_ROOT = resolve(import.meta.dirname, '..')

describe('scripts/local-payments', () => {
  let dir: string
  let payments: LocalPayments

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-local-payments-'))
    await cp(join(PROJECT_ROOT, 'registry'), join(dir, 'registry'), { recursive: true })
    payments = await startLocalPayments({ repoRoot: dir, stateDir: join(dir, 'state'), port: 0 })
  }, 60_000)

  afterAll(async () => {
    await payments?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('writes test-mode links to the local checkout, outside payments/ of the checkout', async () => {
    const doc = JSON.parse(await readFile(payments.linksFile, 'utf8'))
    expect(payments.linksFile).toBe(join(dir, 'state/payments/links.json'))
    expect(doc.test_mode).toBe(true)
    expect(doc.items['lora/inkwell/noir-voice-mistral-7b']).toMatchObject({
      status: 'on-sale',
      amount: 900,
      fee_amount: 90,
      url: expect.stringMatching(new RegExp(`^${payments.url}/checkout/plink_`)),
    })
    await expect(readFile(join(dir, 'payments/links.json'))).rejects.toMatchObject({
      code: 'ENOENT',
    })
  })

  for (const [item, type] of [
    ['lora/lexica-ai/case-law-summarizer-llama-3.1-8b', 'subscription'],
    ['adapter/molforge/retro-planner-api', 'per-query'],
  ] as const) {
    it(`sells a ${type} item through the fake checkout: paid, webhook delivered, licence claimable`, async () => {
      const doc = JSON.parse(await readFile(payments.linksFile, 'utf8'))
      const paid = await fetch(doc.items[item].url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'email=buyer%40example.org',
        redirect: 'manual',
      })
      expect(paid.status).toBe(303)
      const success = await fetch(new URL(paid.headers.get('location') as string, payments.url))
      const html = await success.text()
      expect(html).toMatch(/Your licence for .* is ready/)
      expect(html).toContain(`${type} · version`)
    })
  }

  it('answers a refund of a session it does not know (one from before a restart) with 404 and why', async () => {
    const answer = await fetch(`${payments.url}/checkout/refund`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'session_id=cs_test_from_an_earlier_run',
      redirect: 'manual',
    })
    expect(answer.status).toBe(404)
    const html = await answer.text()
    expect(html).toContain('No such payment')
    expect(html).toContain('keeps its sessions only while <code>npm start</code> runs')
  })

  it('answers 404 for a payment link it did not make', async () => {
    const answer = await fetch(`${payments.url}/checkout/plink_unknown`)
    expect(answer.status).toBe(404)
  })

  it('says which port is taken when the licence service cannot listen', async () => {
    const holder = createServer()
    await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done))
    const port = (holder.address() as AddressInfo).port
    try {
      await expect(
        startLocalPayments({ repoRoot: dir, stateDir: join(dir, 'state-2'), port }),
      ).rejects.toMatchObject({
        code: 'local-hub/port-in-use',
        message: `port ${port} for the local licence service is taken`,
      })
    } finally {
      await new Promise((done) => holder.close(done))
    }
  })
})
