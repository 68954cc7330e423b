import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { AgoraError } from '#core/errors'
import { parseCommandArgs } from '../cli/args.ts'
import { type Command, EXIT_OK } from './context.ts'

const help = `Usage: agora serve [options]

Serves a built hub (the site, index/ and blobs/) and the Hugging Face
download protocol over it, so HF_ENDPOINT=<this server> makes
huggingface_hub, transformers and @huggingface/hub download its items.
Run it behind a CDN in production; answers for commits are cacheable for ever.

Options:
  --root DIR          the built hub (default: dist)
  --port N            default 4321
  --host ADDR         default 127.0.0.1
  --key KEY           the hub's public key (base64); every index document must
                      verify with it (default: the key config.json names)
  --blob-base URL     origin large files are redirected to (a CDN or bucket)
  -h, --help          show this help

Exit status: 0 stopped (Ctrl-C), 2 could not serve (no such folder, port in use).

Examples:
  npm run build && agora serve
  agora serve --root dist --port 8080 --host 0.0.0.0
`

const command: Command = {
  summary: 'serve a built hub and the Hugging Face download protocol',
  help,
  async run(ctx) {
    const { values } = parseCommandArgs('serve', ctx.argv, {
      root: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      key: { type: 'string' },
      'blob-base': { type: 'string' },
    })
    const { serveHub } = await import('../serve-hub.ts')
    const root = resolve(ctx.cwd, values.root ?? 'dist')
    if (!(await stat(root).catch(() => undefined))?.isDirectory()) {
      throw new AgoraError('cli/bad-argument', `agora serve: there is no built hub at ${root}`, {
        hint: 'build one first ("npm run build" writes dist/; "npm start" builds and serves), or pass --root DIR',
      })
    }
    const port = Number(values.port ?? '4321')
    const host = values.host ?? '127.0.0.1'
    const hub = await serveHub({
      root,
      port,
      host,
      hf: { publicKey: values.key, blobBase: values['blob-base'] },
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE') throw error
      throw new AgoraError('cli/port-in-use', `agora serve: ${host}:${port} is already in use`, {
        hint: 'stop what serves there (an "npm start"?), or pass --port N',
        cause: error,
      })
    })
    ctx.stdout.write(`serving ${root} at ${hub.url}\n  HF_ENDPOINT=${hub.url}\n`)
    // Serves until stopped (Ctrl-C), or for as long as the process lives.
    await (ctx.untilStopped?.() ?? new Promise<void>(() => undefined))
    await hub.close()
    return EXIT_OK
  },
}

export default command
