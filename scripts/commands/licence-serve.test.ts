import { type ChildProcess, spawn } from 'node:child_process'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse, parseDocument } from 'yaml'
import { generateSigningKey } from '#core/index-format'
import { keyringOf, licenceIdFor, verifyLicence, verifyRevocations } from '#core/licence'

const PROJECT_ROOT = resolve(import.meta.dirname, '../..')
const WEBHOOK_SECRET = 'whsec_serve_test'
const LORA = 'registry/loras/in/inkwell/noir-voice-mistral-7b'

/**
 * `agora licence serve` as an operator runs it: a real process over a hub
 * checkout (a copy of the sample registry with a licence key pinned),
 * listening on a port the system picks.
 */
describe('scripts/commands/licence-serve (a real process)', () => {
  let dir: string
  let child: ChildProcess
  let url: string
  const key = generateSigningKey()
  const keys = keyringOf([
    { id: 'licence-serve-test', algorithm: 'ed25519', public_key: key.publicKey },
  ])

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-licence-serve-'))
    await cp(join(PROJECT_ROOT, 'registry'), join(dir, 'registry'), { recursive: true })
    const hubFile = join(dir, 'registry/agora.yaml')
    const doc = parseDocument(await readFile(hubFile, 'utf8'))
    doc.setIn(
      ['payments', 'licence_keys'],
      [{ id: 'licence-serve-test', algorithm: 'ed25519', public_key: key.publicKey }],
    )
    await writeFile(hubFile, doc.toString())
    child = spawn(
      process.execPath,
      [
        join(PROJECT_ROOT, 'scripts/agora.ts'),
        'licence',
        'serve',
        '--port',
        '0',
        '--root',
        dir,
        '--db',
        join(dir, 'licences.db'),
      ],
      {
        cwd: dir,
        env: {
          PATH: process.env.PATH ?? '',
          AGORA_LICENCE_SIGNING_KEY: key.privateKeyPem,
          STRIPE_SECRET_KEY: 'sk_test_unused',
          STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let output = ''
    url = await new Promise<string>((done, fail) => {
      const seen = (chunk: Buffer) => {
        output += String(chunk)
        const m = /licence service on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
        if (m) done(m[1] as string)
      }
      child.stdout?.on('data', seen)
      child.stderr?.on('data', seen)
      child.once('exit', (code) =>
        fail(new Error(`agora licence serve exited ${code}:\n${output}`)),
      )
    })
  }, 60_000)

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((done) => child.once('exit', done))
      child.kill('SIGTERM')
      await exited
    }
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('answers GET /revocations with a list signed by the pinned key', async () => {
    const answer = await fetch(`${url}/revocations`)
    expect(answer.status).toBe(200)
    const list = verifyRevocations(await answer.text(), keys, 'revocations')
    expect(list.revoked).toEqual([])
  })

  it('issues a licence for a signed checkout.session.completed webhook, claimable with the session id', async () => {
    const session = {
      id: 'cs_test_serve_process_1',
      object: 'checkout.session',
      mode: 'payment',
      payment_status: 'paid',
      payment_intent: 'pi_test_serve_1',
      customer: 'cus_test_serve_1',
      metadata: {
        agora_item: 'lora/inkwell/noir-voice-mistral-7b',
        agora_version: '1.0.0',
        agora_price_type: 'per-download',
      },
    }
    const payload = JSON.stringify({
      id: 'evt_test_serve_process_1',
      object: 'event',
      type: 'checkout.session.completed',
      created: Math.floor(Date.now() / 1000),
      data: { object: session },
    })
    const stripe = new Stripe('sk_test_unused')
    const delivered = await fetch(`${url}/stripe/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': stripe.webhooks.generateTestHeaderString({
          payload,
          secret: WEBHOOK_SECRET,
        }),
      },
      body: payload,
    })
    expect(delivered.status).toBe(200)

    const id = licenceIdFor(session.id)
    expect((await fetch(`${url}/licences/${id}`)).status).toBe(404)
    const answer = await fetch(`${url}/licences/${id}`, {
      headers: { authorization: `Bearer ${session.id}` },
    })
    expect(answer.status).toBe(200)
    const licence = verifyLicence(await answer.text(), { keys })
    const version = parse(await readFile(join(dir, LORA, 'versions/1.0.0.yaml'), 'utf8')) as {
      files: { sha256: string }[]
    }
    expect(licence.payload).toMatchObject({
      id,
      item: { kind: 'lora', ns: 'inkwell', name: 'noir-voice-mistral-7b' },
      versions: ['1.0.0'],
      type: 'per-download',
      files: version.files.map((f) => f.sha256).sort(),
    })
  })

  it('refuses a webhook whose signature was made with another secret', async () => {
    const payload = JSON.stringify({
      id: 'evt_forged',
      type: 'checkout.session.completed',
      data: { object: {} },
    })
    const answer = await fetch(`${url}/stripe/webhook`, {
      method: 'POST',
      headers: {
        'stripe-signature': new Stripe('sk_test_unused').webhooks.generateTestHeaderString({
          payload,
          secret: 'whsec_someone_else',
        }),
      },
      body: payload,
    })
    expect(answer.status).toBe(400)
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe(
      'licence/bad-webhook',
    )
  })

  it('closes a connection whose request head trickles past the headers timeout', async () => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1')
    let answer = ''
    socket.on('data', (data) => {
      answer += data
    })
    socket.on('error', () => undefined)
    const closed = new Promise((done) => socket.once('close', done))
    // A head that never ends: a header line now and then, never the empty line.
    socket.write('GET /healthz HTTP/1.1\r\nhost: licences\r\n')
    const drip = setInterval(() => socket.write('x-slow: 1\r\n'), 1_000)
    await closed
    clearInterval(drip)
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
  }, 30_000)

  it('reports its meter backlog at /healthz and stops cleanly on SIGTERM', async () => {
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({
      ok: true,
      meter: { unsent: 0, refused: 0 },
    })
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })
})
