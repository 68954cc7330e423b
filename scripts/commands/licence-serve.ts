import { mkdir, readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import Stripe from 'stripe'
import {
  createLicenceHandler,
  createStore as createLicenceStore,
  openPostgres,
  openSqlite,
  registryCatalog,
  stripeCalls,
  urlKeyFor,
} from '#core/billing'
import { AgoraError, hasErrors } from '#core/errors'
import { loadPrivateKey, rawPublicKey } from '#core/index-format'
import { keyringOf, LICENCE_CODES } from '#core/licence'
import { validateDocument } from '#core/schema'
import { createStore } from '#core/storage'
import { parseCommandArgs } from '../cli/args.ts'
import { findRepoRoot } from '../cli/root.ts'
import type { CommandContext } from './context.ts'

/**
 * How long a client may take over its request head and over its whole
 * request, checked every second: a client trickling its headers (Node's
 * defaults allow a minute) holds a connection for 10 s at most.
 */
export const SERVER_LIMITS = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  connectionsCheckingInterval: 1_000,
}

/** `agora licence serve`: wires the environment and agora.yaml to the service and listens. */
export async function serve(ctx: CommandContext): Promise<number> {
  const { values } = parseCommandArgs('licence serve', ctx.argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    db: { type: 'string' },
    'public-url': { type: 'string' },
    root: { type: 'string' },
  })
  const port = Number(values.port ?? ctx.env.PORT ?? 8787)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AgoraError('cli/bad-argument', 'agora licence serve: --port must be 0 to 65535', {
      hint: 'try --port 8787',
    })
  }
  const root = await findRepoRoot(ctx.cwd, values.root)
  const hubFile = join(root, 'registry', 'agora.yaml')
  const { value: hub, issues } = validateDocument('hub', await readFile(hubFile), hubFile)
  if (!hub || hasErrors(issues)) {
    throw new AgoraError('cli/bad-argument', `${hubFile} is not valid`, {
      hint: 'run agora validate',
    })
  }
  const pinned = hub.payments.licence_keys ?? []
  const secret = ctx.env.AGORA_LICENCE_SIGNING_KEY
  const privateKey = secret ? loadPrivateKey(secret) : undefined
  const publicKey = privateKey ? rawPublicKey(privateKey).toString('base64') : undefined
  const kid = pinned.find((k) => k.public_key === publicKey)?.id
  if (!privateKey || !kid) {
    throw new AgoraError(
      'licence/bad-signing-key',
      privateKey
        ? `the public key of AGORA_LICENCE_SIGNING_KEY (${publicKey}) is not in payments.licence_keys of ${hubFile}`
        : 'AGORA_LICENCE_SIGNING_KEY is not set',
      { hint: LICENCE_CODES['licence/bad-signing-key'].hint },
    )
  }
  const webhookSecret = ctx.env.STRIPE_WEBHOOK_SECRET
  if (!webhookSecret) {
    throw new AgoraError('licence/bad-webhook', 'STRIPE_WEBHOOK_SECRET is not set', {
      hint: 'set it to the signing secret (whsec_…) of the webhook endpoint pointing at /stripe/webhook',
    })
  }
  const stripe = new Stripe(ctx.env.STRIPE_SECRET_KEY ?? 'sk_unset', {
    httpClient: Stripe.createFetchHttpClient(ctx.fetch),
  })
  const db = values.db ?? ctx.env.AGORA_LICENCE_DB ?? join(root, '.agora', 'licences.db')
  let driver: Awaited<ReturnType<typeof openPostgres>>
  if (/^postgres(ql)?:\/\//.test(db)) driver = await openPostgres(db)
  else {
    const file = resolve(ctx.cwd, db)
    await mkdir(dirname(file), { recursive: true })
    driver = openSqlite(file)
  }
  const store = await createLicenceStore(driver)
  const host = values.host ?? '127.0.0.1'
  const server = createServer(SERVER_LIMITS)
  await new Promise<void>((done) => server.listen(port, host, done))
  const address = server.address() as AddressInfo
  const publicUrl = values['public-url'] ?? `http://${host}:${address.port}`
  const handler = createLicenceHandler({
    store,
    signer: { kid, privateKey },
    keys: keyringOf(pinned),
    stripe,
    calls: stripeCalls(stripe),
    webhookSecret,
    catalog: registryCatalog(join(root, 'registry')),
    blobs: createStore(hub.storage, { repoRoot: root, env: ctx.env }),
    publicUrl,
    urlKey: urlKeyFor(privateKey),
    log: (line) => ctx.stderr.write(`${line}\n`),
  })
  server.on('request', handler)
  ctx.stdout.write(`licence service on http://${host}:${address.port} (${driver.dialect})\n`)
  // Serves until stopped (SIGTERM from the host, Ctrl-C), or for as long as the process lives.
  await Promise.race([
    ctx.untilStopped?.() ?? new Promise<void>(() => undefined),
    new Promise((done) => server.on('close', done)),
  ])
  // No new requests; the meter events of the queries counted so far go to
  // Stripe (a bounded wait: what is left stays in the store for the next start).
  await new Promise((done) => server.close(done))
  await handler.close()
  await store.close()
  return 0
}
