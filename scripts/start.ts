#!/usr/bin/env node
/**
 * `npm start`: a working local hub from the registry in this repository with
 * the embedded defaults: the sample files in the fs store, the catalog, the
 * signed index, all served on loopback; and its payments in test mode (the
 * licence service with a fake Stripe and a local stand-in for Checkout), so
 * buying a paid item and pulling it with the licence works end to end.
 */
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { AgoraError } from '#core/errors'
import { buildHub } from './build.ts'
import { runScript } from './cli/script-error.ts'
import { type LocalPayments, startLocalPayments } from './local-payments.ts'
import { type ServedHub, serveHub } from './serve-hub.ts'

const projectRoot = resolve(fileURLToPath(import.meta.url), '../..')

export interface StartOptions {
  /** Hub repository root; default this project. */
  repoRoot?: string
  outDir?: string
  /** Dev licence key, licence database and test-mode links; default `<repoRoot>/.agora/local-payments`. */
  stateDir?: string
  /** 0 picks a free port. */
  port?: number
  /** The licence service and fake checkout; 0 picks a free port. */
  licencePort?: number
  host?: string
  /** Serve what an earlier start built. */
  build?: boolean
  log?: (line: string) => void
}

export interface StartedHub {
  hub: ServedHub
  payments: LocalPayments
  close(): Promise<void>
}

/**
 * What `npm start` runs: the local payments first (the build needs their
 * links and key), then the build with the sample files, then the server.
 *
 * @example const { hub, payments } = await startLocalHub({ port: 4321, licencePort: 8787 })
 */
export async function startLocalHub(options: StartOptions = {}): Promise<StartedHub> {
  const repoRoot = resolve(options.repoRoot ?? projectRoot)
  const outDir = resolve(options.outDir ?? join(repoRoot, 'dist'))
  const host = options.host ?? '127.0.0.1'
  // Before anything is built: a second `npm start` would otherwise rewrite the
  // dist/ the first one serves (its index pointing at a licence service that
  // then dies) and only then fail to listen.
  await assertPortFree(host, options.port ?? 4321)
  const payments = await startLocalPayments({
    repoRoot,
    stateDir: options.stateDir ?? join(repoRoot, '.agora', 'local-payments'),
    port: options.licencePort ?? 8787,
    host,
    ...(options.log ? { log: options.log } : {}),
  })
  try {
    if (options.build ?? true) {
      await buildHub({
        repoRoot,
        outDir,
        sampleBlobs: true,
        licensing: payments.licensing,
        paymentLinksFile: payments.linksFile,
        hostLimits: false,
        ...(options.log ? { log: options.log } : {}),
      })
    }
    const hub = await serveHub({ root: outDir, port: options.port ?? 4321, host })
    payments.hubUrl = hub.url
    return {
      hub,
      payments,
      async close() {
        await hub.close()
        await payments.close()
      },
    }
  } catch (error) {
    await payments.close()
    throw error
  }
}

/** Throws `local-hub/port-in-use` when something already listens on the hub's port. */
async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return
  const probe = createServer()
  await new Promise<void>((done, fail) => {
    probe.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        error.code === 'EADDRINUSE'
          ? new AgoraError('local-hub/port-in-use', `port ${port} for the hub is taken`, {
              hint: 'another npm start may still be running: stop it (Ctrl+C), or pass a free port: npm start -- --port 0 (0 picks one)',
            })
          : error,
      ),
    )
    probe.listen(port, host, () => probe.close(() => done()))
  })
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.PORT ?? '4321' },
      'licence-port': { type: 'string', default: process.env.AGORA_LICENCE_PORT ?? '8787' },
      host: { type: 'string', default: '127.0.0.1' },
      'no-build': { type: 'boolean', default: false },
    },
  })
  process.exitCode = await runScript(async () => {
    const started = await startLocalHub({
      repoRoot: projectRoot,
      port: Number(values.port),
      licencePort: Number(values['licence-port']),
      host: values.host,
      build: !values['no-build'],
      log: (line) => process.stdout.write(`${line}\n`),
    })
    const { hub, payments } = started
    process.stdout.write(
      [
        '',
        `Agora is serving the hub at ${hub.url}/`,
        `  browse:    ${hub.url}/`,
        `  index:     ${hub.url}/index/config.json`,
        `  pull:      npx agora pull <ns/name> --index ${hub.url}`,
        `  payments:  TEST MODE: a fake Stripe, a local checkout and the licence service at ${payments.url}`,
        `             buy a paid item (e.g. ${hub.url}/loras/inkwell/noir-voice-mistral-7b/), then pull it with --licence`,
        'Press Ctrl+C to stop.',
        '',
      ].join('\n'),
    )
    const stop = () => void started.close().then(() => process.exit(0))
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  }, process.stderr)
}
