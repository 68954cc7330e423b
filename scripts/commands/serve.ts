import { resolve } from 'node:path'
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
    const hub = await serveHub({
      root,
      port: Number(values.port ?? '4321'),
      host: values.host ?? '127.0.0.1',
      hf: { publicKey: values.key, blobBase: values['blob-base'] },
    })
    ctx.stdout.write(`serving ${root} at ${hub.url}\n  HF_ENDPOINT=${hub.url}\n`)
    // Serves until stopped (Ctrl-C), or for as long as the process lives.
    await (ctx.untilStopped?.() ?? new Promise<void>(() => undefined))
    await hub.close()
    return EXIT_OK
  },
}

export default command
