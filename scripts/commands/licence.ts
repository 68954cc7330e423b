import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { AgoraError, hasErrors, isAgoraError } from '#core/errors'
import { cachedRevocations, hubKeyring, LICENCE_NO_KEYS_HINT } from '../../core/client/licensed.ts'
import { cachedLicensing, type HubLicensing } from '../../core/client/resolve.ts'
import { verifyLicence } from '../../core/licence/licence.ts'
import { parseCommandArgs } from '../cli/args.ts'
import { HUB_SOURCE_OPTIONS, hubSource } from '../cli/hub-source.ts'
import { createReporter } from '../cli/reporter.ts'
import { findRepoRoot } from '../cli/root.ts'
import { type Command, type CommandContext, EXIT_OK, EXIT_PROBLEMS } from './context.ts'

const help = `Usage: agora licence <verify|serve> [options]

  agora licence verify FILE [--json]
      Checks a licence file offline: the key that signed it is pinned by the
      hub (payments.licence_keys, carried in the signed index config.json
      cached by an earlier online pull, or the local registry/agora.yaml),
      the signature holds, it is neither expired, issued in the future nor
      revoked (the cached revocation list). Exit 0 valid, 1 invalid.
      Options: --index URL, --key BASE64, --cache DIR (as for agora pull).

  agora licence serve [--port P] [--db FILE|postgres://…] [--public-url URL]
      Runs the licence service: Stripe webhooks in, licence files, presigned
      download URLs, per-query usage and the signed revocation list out.
      State in node:sqlite (default .agora/licences.db) or PostgreSQL.
      Reads AGORA_LICENCE_SIGNING_KEY (Ed25519, PEM or base64 seed; its
      public key must be in payments.licence_keys), STRIPE_SECRET_KEY and
      STRIPE_WEBHOOK_SECRET; run inside the hub checkout (its agora.yaml
      and manifests say which files a purchase covers).

Examples:
  agora licence verify ~/Downloads/lic_0a1b.licence
  AGORA_LICENCE_SIGNING_KEY=… agora licence serve --port 8787
  agora licence serve --db postgres://agora@db/licences
`

const command: Command = {
  summary: 'verify a licence file offline, or run the licence service',
  help,
  async run(ctx) {
    const [sub, ...rest] = ctx.argv
    if (sub === 'verify') return verify({ ...ctx, argv: rest })
    if (sub === 'serve') {
      const { serve } = await import('./licence-serve.ts')
      return serve({ ...ctx, argv: rest })
    }
    throw new AgoraError('cli/bad-argument', `agora licence: unknown subcommand "${sub ?? ''}"`, {
      hint: 'use "agora licence verify FILE" or "agora licence serve"',
    })
  },
}
export default command

async function verify(ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'licence verify',
    ctx.argv,
    { ...HUB_SOURCE_OPTIONS },
    { positionals: { min: 1, max: 1 } },
  )
  const report = createReporter(ctx, values.json === true)
  const file = resolve(ctx.cwd, positionals[0] as string)
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new AgoraError('cli/bad-argument', `cannot read ${file}`, {
      hint: 'give the path of the licence file the service sent',
      cause: error,
    })
  })
  const { indexUrl, publicKey, cacheDir } = await hubSource(
    ctx,
    { ...values, offline: true },
    { command: 'licence verify', verb: 'verify against' },
  )
  try {
    const licensing = await licensingFor(ctx, indexUrl, publicKey, cacheDir)
    if (indexUrl && (!licensing || licensing.keys.length === 0)) {
      // Name the address consulted: a licence bought through another spelling of
      // the hub's address (127.0.0.1 against localhost) finds no cached keys.
      throw new AgoraError(
        'licence/no-keys',
        `no licence keys pinned for ${indexUrl}: none in its cached index config, nor in a local registry/agora.yaml`,
        { hint: LICENCE_NO_KEYS_HINT },
      )
    }
    const keys = hubKeyring(licensing)
    const revoked = licensing
      ? await cachedRevocations(cacheDir, licensing, keys)
      : new Set<string>()
    const { payload, kid } = verifyLicence(text, { keys, revoked, file })
    const item = `${payload.item.kind}s/${payload.item.ns}/${payload.item.name}`
    report.info(
      `valid: ${payload.id} for ${item} ${payload.versions.join(', ')} (${payload.type}${
        payload.type === 'subscription' ? ` until ${payload.period_end}` : ''
      }${payload.type === 'per-query' ? `, ${payload.limit} queries` : ''}), signed by ${kid}`,
    )
    report.result({ ok: true, licence: payload })
    return EXIT_OK
  } catch (error) {
    if (!isAgoraError(error) || !error.code.startsWith('licence/')) throw error
    report.issues([error.toIssue()])
    report.result({ ok: false, error: error.toIssue() })
    return EXIT_PROBLEMS
  }
}

/** The hub's signed config.json as cached, else the local agora.yaml's licence keys. */
async function licensingFor(
  ctx: CommandContext,
  indexUrl: string | undefined,
  publicKey: string | undefined,
  cacheDir: string,
): Promise<HubLicensing | undefined> {
  if (indexUrl) {
    const cached = await cachedLicensing({ cacheDir, indexUrl, publicKey })
    if (cached && cached.keys.length > 0) return cached
  }
  const root = await findRepoRoot(ctx.cwd).catch(() => undefined)
  if (!root) return undefined
  const path = join(root, 'registry', 'agora.yaml')
  const source = await readFile(path).catch(() => undefined)
  if (!source) return undefined
  const { validateDocument } = await import('#core/schema')
  const { value, issues } = validateDocument('hub', source, path)
  if (!value || hasErrors(issues)) return undefined
  return {
    // Revocations cached for this hub's index apply to it too.
    base: indexUrl ?? value.base_url,
    keys: value.payments.licence_keys ?? [],
    ...(value.payments.licence_service ? { service: value.payments.licence_service } : {}),
  }
}
