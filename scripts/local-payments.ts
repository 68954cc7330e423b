/**
 * The payments side of `npm start`, in test mode: the real Stripe sync run
 * against the Stripe fake, the real licence service (SQLite, a dev signing
 * key, the sample hub's blob store), and a local page standing in for
 * Stripe Checkout. Paying there creates a Checkout Session in the fake and
 * sends the licence service a `checkout.session.completed` webhook signed
 * with the local webhook secret, exactly as Stripe would deliver it; the
 * success page then claims the licence with the session id. Nothing here is
 * used by a production build: its links file is written under the state
 * folder and only `npm start` points the site build at it.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, isAbsolute, join } from 'node:path'
import {
  applicationFeeAmount,
  createLicenceHandler,
  createStore as createLicenceStore,
  formatMoney,
  type LinkEntry,
  type OnSaleEntry,
  openSqlite,
  PAYMENT_LINKS_FILE,
  type PaymentLinksDocument,
  registryCatalog,
  stripeCalls,
  syncStripe,
  urlKeyFor,
  writeLinksFile,
} from '#core/billing'
import { AgoraError, formatIssue, hasErrors, plural } from '#core/errors'
import { generateSigningKey, keyIdOf, loadPrivateKey, rawPublicKey } from '#core/index-format'
import { keyringOf, licenceIdFor, verifyLicence } from '#core/licence'
import type { PublicKeyConfig } from '#core/manifest'
import { loadRegistry } from '#core/registry'
import { createStore, noFollowFs } from '#core/storage'
// The fake is test tooling, not part of the billing area's public surface.
import { createStripeFake, type StripeFake } from '../core/billing/testing/stripe-fake.ts'

export interface LocalPaymentsOptions {
  /** Hub repository root (holding registry/ and the fs blob store). */
  repoRoot: string
  /** Folder for the dev licence key, the licence database and the test-mode links file. */
  stateDir: string
  /** 0 picks a free port. */
  port?: number
  host?: string
  log?: (line: string) => void
}

export interface LocalPayments {
  /** The licence service and fake checkout, `http://host:port`. */
  url: string
  /** The test-mode links file the site build reads (AGORA_PAYMENT_LINKS). */
  linksFile: string
  /** What the locally built index pins: this service and its dev key. */
  licensing: { service: string; keys: PublicKeyConfig[] }
  /** The hub the success page's pull command names; set once it serves. */
  hubUrl: string | undefined
  /** Refunds a paid session as Stripe would report it: a signed `charge.refunded` webhook. */
  refund(sessionId: string): Promise<void>
  close(): Promise<void>
}

/** The Stripe operations the sync and the checkout make against the fake. */
const OPERATIONS = [
  'GET /v1/accounts/{account}',
  'POST /v1/products',
  'GET /v1/products/{id}',
  'POST /v1/products/{id}',
  'POST /v1/prices',
  'GET /v1/prices',
  'POST /v1/prices/{price}',
  'POST /v1/payment_links',
  'GET /v1/payment_links',
  'POST /v1/payment_links/{payment_link}',
  'POST /v1/billing/meters',
  'GET /v1/billing/meters',
  'POST /v1/checkout/sessions',
  'GET /v1/charges/{charge}',
  'POST /v1/transfers/{id}/reversals',
  'POST /v1/billing/meter_events',
]

type Json = Record<string, unknown>

/**
 * Starts the local payments of `npm start`; see the module comment.
 *
 * @example
 * const payments = await startLocalPayments({ repoRoot: '.', stateDir: '.agora/local-payments' })
 * await buildHub({ licensing: payments.licensing, paymentLinksFile: payments.linksFile })
 */
export async function startLocalPayments(options: LocalPaymentsOptions): Promise<LocalPayments> {
  const { repoRoot, stateDir } = options
  const log = options.log ?? (() => undefined)
  const { registry, issues } = await loadRegistry(repoRoot, { fs: noFollowFs({ root: repoRoot }) })
  if (hasErrors(issues)) {
    const first = issues.find((i) => i.severity === 'error')
    throw new AgoraError(
      'local-hub/invalid-registry',
      'the registry has errors; not starting the local payments',
      {
        hint: `${first ? `the first: ${formatIssue({ ...first, hint: '' })}\n  ` : ''}run "npx agora validate" to list them all, then fix them (or move a draft item out of registry/)`,
      },
    )
  }
  await mkdir(stateDir, { recursive: true })
  const signer = await devSigningKey(join(stateDir, 'licence-key.pem'))
  const keys: PublicKeyConfig[] = [
    { id: signer.kid, algorithm: 'ed25519', public_key: signer.publicKey },
  ]
  const webhookSecret = `whsec_local_${randomBytes(24).toString('hex')}`

  // Every seller of the sample hub has finished onboarding in the fake.
  const fake = createStripeFake().expect(...OPERATIONS)
  for (const owner of registry.owners.values()) {
    const account = owner.payout?.stripe_account
    if (account) fake.addAccount({ id: account, charges_enabled: true })
  }
  const synced = await syncStripe({
    stripe: fake.stripe,
    registry,
    linksRoot: join(stateDir, 'stripe-fake'),
  })
  for (const issue of synced.issues) log(`payments (test mode): ${formatIssue(issue)}`)

  const server = createServer()
  await new Promise<void>((done, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        error.code === 'EADDRINUSE'
          ? new AgoraError(
              'local-hub/port-in-use',
              `port ${options.port} for the local licence service is taken`,
              {
                hint: 'another npm start may still be running: stop it (Ctrl+C), or pass a free port: npm start -- --licence-port 0 (0 picks one)',
              },
            )
          : error,
      ),
    )
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => done())
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${host}:${address.port}`

  const local = testModeLinks(synced.document?.items ?? {}, url)
  await writeLinksFile(stateDir, local)

  const store = await createLicenceStore(openSqlite(join(stateDir, 'licences.db')))
  const storage = registry.hub.storage
  const licence = createLicenceHandler({
    store,
    signer: { kid: signer.kid, privateKey: signer.privateKey },
    keys: keyringOf(keys),
    stripe: fake.stripe,
    calls: stripeCalls(fake.stripe),
    webhookSecret,
    catalog: registryCatalog(join(repoRoot, 'registry')),
    blobs: createStore(
      storage.type === 'fs' && !isAbsolute(storage.path)
        ? { ...storage, path: join(repoRoot, storage.path) }
        : storage,
      { repoRoot },
    ),
    publicUrl: url,
    urlKey: urlKeyFor(signer.privateKey),
    log,
  })

  const deliver = async (type: string, object: Json): Promise<Response> => {
    const payload = JSON.stringify({
      id: `evt_test_${randomBytes(12).toString('hex')}`,
      object: 'event',
      api_version: '2025-08-27.basil',
      livemode: false,
      type,
      created: Math.floor(Date.now() / 1000),
      data: { object: publicFields(object) },
    })
    return fetch(`${url}/stripe/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': fake.stripe.webhooks.generateTestHeaderString({
          payload,
          secret: webhookSecret,
        }),
      },
      body: payload,
    })
  }

  const payments: LocalPayments = {
    url,
    linksFile: join(stateDir, PAYMENT_LINKS_FILE),
    licensing: { service: url, keys },
    hubUrl: undefined,
    async refund(sessionId) {
      const session = fake.objects('checkout.session').find((s) => s.id === sessionId)
      const charge = fake
        .objects('charge')
        .find((c) => c.payment_intent === session?.payment_intent)
      if (!session || !charge) throw new Error(`no paid session ${sessionId}`)
      charge.refunded = true
      const answer = await deliver('charge.refunded', charge)
      if (!answer.ok)
        throw new Error(`the licence service answered ${answer.status}: ${await answer.text()}`)
    },
    async close() {
      server.closeAllConnections()
      await new Promise((done) => server.close(done))
      await licence.close()
      await store.close()
    },
  }

  const checkout = checkoutPages({
    fake,
    registry,
    local,
    url,
    hubUrl: () => payments.hubUrl ?? registry.hub.base_url,
    deliver,
    refund: payments.refund,
    keys,
  })
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    checkout(req, res)
      .then((handled) => {
        if (!handled) licence(req, res)
      })
      .catch((error: unknown) => {
        log(`${req.method} ${req.url}: ${String((error as Error)?.stack ?? error)}`)
        if (!res.headersSent)
          page(
            res,
            500,
            'Checkout failed',
            `<p>${esc(String((error as Error)?.message ?? error))}</p>`,
          )
        else res.destroy()
      })
  })
  return payments
}

/** The dev licence key, generated on first use and kept (mode 600) so earlier licences still verify. */
async function devSigningKey(file: string) {
  let pem = await readFile(file, 'utf8').catch(() => undefined)
  if (!pem) {
    pem = generateSigningKey().privateKeyPem
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, pem, { mode: 0o600 })
  }
  const privateKey = loadPrivateKey(pem)
  const publicKey = rawPublicKey(privateKey).toString('base64')
  return { privateKey, publicKey, kid: `local-${keyIdOf(publicKey)}` }
}

/** The sync's document with every link pointed at the local fake checkout, marked test mode. */
function testModeLinks(items: Record<string, LinkEntry>, url: string): PaymentLinksDocument {
  const out: Record<string, LinkEntry> = {}
  for (const [key, entry] of Object.entries(items)) {
    out[key] =
      entry.status === 'on-sale'
        ? { ...entry, url: `${url}/checkout/${encodeURIComponent(entry.payment_link)}` }
        : entry
  }
  return { version: 1, items: out, test_mode: true }
}

/** An object as Stripe would send it: the fake's own bookkeeping fields left out. */
function publicFields(object: Json): Json {
  return Object.fromEntries(Object.entries(object).filter(([k]) => !k.endsWith('_fake')))
}

interface CheckoutContext {
  fake: StripeFake
  registry: Awaited<ReturnType<typeof loadRegistry>>['registry']
  local: PaymentLinksDocument
  url: string
  hubUrl: () => string
  deliver: (type: string, object: Json) => Promise<Response>
  refund: (sessionId: string) => Promise<void>
  keys: PublicKeyConfig[]
}

/**
 * The fake Checkout: `GET /checkout/<link>` shows what is bought, the price
 * and the split; `POST` pays; `/checkout/success` claims the licence. Answers
 * false for any other path (the licence service's).
 */
function checkoutPages(ctx: CheckoutContext) {
  const itemOf = (key: string) => {
    const [kind, ns, name] = key.split('/') as [string, string, string]
    const loaded = [...ctx.registry.items.values()].find(
      (i) => i.ref.kind === kind && i.ref.ns === ns && i.ref.name === name,
    )
    return { kind, ns, name, title: loaded?.item.title ?? `${ns}/${name}` }
  }
  const linkOf = (id: string) => {
    const link = ctx.fake.objects('payment_link').find((l) => l.id === id && l.active === true)
    const found = Object.entries(ctx.local.items).find(
      ([, e]) => e.status === 'on-sale' && e.payment_link === id,
    ) as [string, OnSaleEntry] | undefined
    return link && found ? { link, key: found[0], entry: found[1] } : undefined
  }

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', ctx.url)
    const path = url.pathname
    if (path === '/checkout/success' && req.method === 'GET') {
      await successPage(ctx, res, url.searchParams.get('session_id') ?? '', itemOf)
      return true
    }
    if (path === '/checkout/refund' && req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req))
      const session = form.get('session_id') ?? ''
      if (!paidSession(ctx.fake, session)) {
        page(res, 404, 'No such payment', UNKNOWN_SESSION)
        return true
      }
      await ctx.refund(session)
      res
        .writeHead(303, { location: `/checkout/success?session_id=${encodeURIComponent(session)}` })
        .end()
      return true
    }
    const match = /^\/checkout\/(plink_[A-Za-z0-9_]{1,64})$/.exec(path)
    if (!match) return false
    const found = linkOf(match[1] as string)
    if (!found) {
      page(
        res,
        404,
        'No such payment link',
        '<p>This payment link is not on sale on this local hub.</p>',
      )
      return true
    }
    const item = itemOf(found.key)
    if (req.method === 'GET') {
      page(res, 200, `Pay for ${item.title}`, checkoutBody(found.key, item.title, found.entry))
      return true
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'GET, POST' }).end()
      return true
    }
    const form = new URLSearchParams(await readBody(req))
    const email = (form.get('email') ?? '').trim() || 'buyer@example.org'
    const link = found.link as unknown as Json & {
      metadata: Record<string, string>
      line_items_fake: { price: string; quantity: number | null }[]
      transfer_data: { destination: string } | null
      application_fee_amount: number | null
      application_fee_percent: number | null
    }
    const recurring = found.entry.model !== 'per-download'
    const destination = link.transfer_data?.destination
    const session = await ctx.fake.stripe.checkout.sessions.create({
      mode: recurring ? 'subscription' : 'payment',
      line_items: link.line_items_fake.map((li) => ({
        price: li.price,
        ...(found.entry.model === 'per-query' ? {} : { quantity: li.quantity ?? 1 }),
      })),
      customer_email: email,
      metadata: link.metadata,
      success_url: `${ctx.url}/checkout/success?session_id={CHECKOUT_SESSION_ID}`,
      ...(recurring
        ? {
            subscription_data: {
              metadata: link.metadata,
              ...(destination ? { transfer_data: { destination } } : {}),
              ...(link.application_fee_percent
                ? { application_fee_percent: link.application_fee_percent }
                : {}),
            },
          }
        : {
            payment_intent_data: {
              metadata: link.metadata,
              ...(destination ? { transfer_data: { destination } } : {}),
              ...(link.application_fee_amount
                ? { application_fee_amount: link.application_fee_amount }
                : {}),
            },
          }),
    })
    const paid = ctx.fake.completeCheckoutSession(session.id, { email })
    const answer = await ctx.deliver('checkout.session.completed', {
      ...paid,
      payment_link: link.id,
    })
    if (!answer.ok) {
      page(
        res,
        502,
        'The licence service refused the payment',
        `<p>${esc(await answer.text())}</p>`,
      )
      return true
    }
    res
      .writeHead(303, {
        location: `/checkout/success?session_id=${encodeURIComponent(session.id)}`,
      })
      .end()
    return true
  }
}

function checkoutBody(key: string, title: string, entry: OnSaleEntry): string {
  const money = (n: number) => formatMoney(n, entry.currency)
  let price = ''
  let split = ''
  if (entry.amount !== undefined) {
    const fee = entry.fee_amount ?? applicationFeeAmount(entry.amount, entry.fee_percent)
    price = `${money(entry.amount)}${entry.model === 'subscription' ? ` / ${entry.interval ?? 'month'}` : ''}`
    split = `seller ${entry.seller} gets ${money(entry.amount - fee)}, hub fee ${money(fee)} (${entry.fee_percent}%)`
  } else {
    price = `${entry.unit_amount_decimal ?? '0'} ${entry.currency.toUpperCase()} cents per query`
    split = `seller ${entry.seller} gets ${100 - entry.fee_percent}%, hub fee ${entry.fee_percent}%`
  }
  return `
<p class="item"><strong data-item>${esc(title)}</strong><br><code>${esc(key)}</code> version ${esc(entry.version)}</p>
<p class="price" data-price>${esc(price)}</p>
<p data-split>${esc(split)}</p>
<form method="post">
  <label>E-mail <input type="email" name="email" value="buyer@example.org" autocomplete="email"></label>
  <label>Card <input name="card" value="4242 4242 4242 4242" readonly></label>
  <button type="submit" id="pay">Pay ${esc(price)}</button>
</form>`
}

/** Why a session is unknown after a restart: the fake Stripe lives in memory. */
const UNKNOWN_SESSION =
  '<p>This checkout session is unknown or unpaid. The test-mode Stripe keeps its sessions only while <code>npm start</code> runs; licences already claimed stay valid.</p>'

/** The fake Stripe's checkout session `sessionId`, when it is paid. */
function paidSession(fake: StripeFake, sessionId: string) {
  return fake
    .objects('checkout.session')
    .find((s) => s.id === sessionId && s.payment_status === 'paid')
}

async function successPage(
  ctx: CheckoutContext,
  res: ServerResponse,
  sessionId: string,
  itemOf: (key: string) => { kind: string; ns: string; name: string; title: string },
): Promise<void> {
  const session = paidSession(ctx.fake, sessionId)
  if (!session) {
    page(res, 404, 'No such payment', UNKNOWN_SESSION)
    return
  }
  const id = licenceIdFor(String(session.subscription ?? session.id))
  // The claim, exactly as a buyer's browser or script sends it.
  const answer = await fetch(`${ctx.url}/licences/${id}`, {
    headers: { authorization: `Bearer ${sessionId}` },
  })
  const metadata = session.metadata as Record<string, string>
  const item = itemOf(String(metadata.agora_item ?? ''))
  if (!answer.ok) {
    const body = (await answer.json().catch(() => ({}))) as {
      error?: { code?: string; message?: string }
    }
    const revoked = body.error?.code === 'licence/revoked'
    page(
      res,
      200,
      revoked ? 'Licence revoked' : 'No licence yet',
      `<p data-status>${revoked ? `The purchase of <strong>${esc(item.title)}</strong> was refunded: licence <code>${id}</code> is revoked.` : esc(body.error?.message ?? `the licence service answered ${answer.status}`)}</p>`,
    )
    return
  }
  const text = await answer.text()
  const { payload } = verifyLicence(text, { keys: keyringOf(ctx.keys) })
  // The name the service's Content-Disposition gives it, which browsers keep.
  const file = `${payload.id}.licence`
  const ref = `${item.kind}s/${item.ns}/${item.name}`
  const command = `npx agora pull ${ref} --index ${ctx.hubUrl()} --licence ~/Downloads/${file}`
  page(
    res,
    200,
    'Payment received',
    `
<p data-status>Thank you. Your licence for <strong data-item>${esc(item.title)}</strong> is ready.</p>
<ul class="facts">
  <li>licence <code data-licence-id>${payload.id}</code></li>
  <li>${esc(payload.type)} · version ${payload.versions.map(esc).join(', ')} · ${plural(payload.files.length, 'file')}</li>
  <li>paid ${esc(formatMoney(Number(session.amount_total ?? 0), String(session.currency ?? 'usd')))}</li>
</ul>
<p><a class="button" id="download-licence" href="/licences/${id}?claim=${encodeURIComponent(sessionId)}" download="${esc(file)}">Download the licence</a></p>
<p>Then fetch the paid files with it:</p>
<pre data-command>${esc(command)}</pre>
<form method="post" action="/checkout/refund"><input type="hidden" name="session_id" value="${esc(sessionId)}"><button type="submit" id="refund" class="secondary">Refund (test mode)</button></form>`,
  )
}

const STYLE = `
body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1f;background:#f6f6f8}
main{max-width:34rem;margin:0 auto;padding:1rem}
.test-mode{background:#8a5300;color:#fff;padding:.4rem 1rem;text-align:center;font-weight:600}
.card{background:#fff;border:1px solid #d8d8de;border-radius:.5rem;padding:1rem 1.25rem}
h1{font-size:1.35rem;margin:.25rem 0 1rem}
code,pre{font-family:ui-monospace,monospace;font-size:.875rem;overflow-wrap:anywhere}
pre{white-space:pre-wrap;background:#f0f0f4;padding:.6rem;border-radius:.35rem}
.price{font-size:1.6rem;font-weight:700;margin:.25rem 0}
label{display:block;margin:.6rem 0}
input{display:block;width:100%;box-sizing:border-box;padding:.45rem;font:inherit}
button,.button{display:inline-block;font:inherit;font-weight:600;padding:.55rem 1.1rem;border-radius:.4rem;border:0;background:#3451b2;color:#fff;text-decoration:none;cursor:pointer;margin-top:.5rem}
button.secondary{background:#fff;color:#3451b2;border:1px solid #3451b2}
.facts{padding-left:1.1rem}
`

function page(res: ServerResponse, status: number, title: string, body: string): void {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)} · test checkout</title><style>${STYLE}</style></head><body><p class="test-mode" data-test-mode>Test mode: a local stand-in for Stripe Checkout. No card is charged.</p><main><div class="card"><h1>${esc(title)}</h1>${body}</div></main></body></html>`
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy':
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
  })
  res.end(html)
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = ''
  for await (const chunk of req) {
    text += String(chunk)
    if (text.length > 64 * 1024) throw new Error('the form is over 64 KiB')
  }
  return text
}
