import { stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { AgoraError, plural } from '#core/errors'
import { openHubIndex, verifyHfCache } from '#core/hf'
import { escapeJsonForTerminal, sanitizeForTerminal } from '../../core/client/terminal-text.ts'
import { parseCommandArgs } from '../cli/args.ts'
import { type Command, EXIT_OK, EXIT_PROBLEMS } from './context.ts'

const help = `Usage: agora verify --hf-cache [DIR] [options]

Re-hashes the files a Hugging Face client (huggingface_hub, transformers,
@huggingface/hub) downloaded from this hub into its cache
(DIR/models--ns--name/snapshots/<commit>/…) against the hub's signed index,
and names every file that does not match. Those clients check only sizes.

Options:
  --hf-cache [DIR]    the Hub cache (default: HF_HUB_CACHE, else HF_HOME/hub,
                      else ~/.cache/huggingface/hub)
  --root DIR          the built hub whose index/ is trusted (default: dist)
  --key KEY           the hub's public key, base64 (default: the one its
                      config.json names)
  --json              print { ok, checked, problems } and nothing else
  -h, --help          show this help

Exit status: 0 all files match, 1 a file does not match or is unknown,
2 could not run.
`

const command: Command = {
  summary: 'check files a Hugging Face client downloaded against the signed index',
  help,
  async run(ctx) {
    // `--hf-cache` takes an optional folder: a following word that is not an option.
    const argv = ctx.argv.flatMap((arg, i) =>
      arg === '--hf-cache' && (ctx.argv[i + 1] === undefined || ctx.argv[i + 1]?.startsWith('--'))
        ? ['--hf-cache=']
        : [arg],
    )
    const { values } = parseCommandArgs('verify', argv, {
      'hf-cache': { type: 'string' },
      root: { type: 'string' },
      key: { type: 'string' },
      json: { type: 'boolean' },
    })
    if (values['hf-cache'] === undefined) {
      throw new AgoraError('cli/bad-argument', 'agora verify needs --hf-cache', {
        hint: 'agora verify --hf-cache [DIR]',
      })
    }
    const dir = resolve(
      ctx.cwd,
      values['hf-cache'] ||
        ctx.env.HF_HUB_CACHE ||
        (ctx.env.HF_HOME
          ? join(ctx.env.HF_HOME, 'hub')
          : join(homedir(), '.cache/huggingface/hub')),
    )
    // Re-hashing an empty cache would report "0 files match", which reads like a pass.
    if (!(await stat(dir).catch(() => undefined))?.isDirectory()) {
      throw new AgoraError('cli/bad-argument', `no Hugging Face cache at ${dir}`, {
        hint: 'download with a Hub client first (HF_ENDPOINT=<hub> …), or name the cache: --hf-cache DIR, HF_HUB_CACHE or HF_HOME',
      })
    }
    const index = openHubIndex({
      root: resolve(ctx.cwd, values.root ?? 'dist'),
      publicKey: values.key,
    })
    const report = await verifyHfCache(dir, index)
    if (values.json) {
      ctx.stdout.write(
        `${escapeJsonForTerminal(JSON.stringify({ ok: report.problems.length === 0, cache: dir, checked: report.ok, problems: report.problems }, null, 2))}\n`,
      )
    } else {
      for (const p of report.problems) {
        const detail =
          p.problem === 'mismatch' ? ` (expected sha256 ${p.expected}, got ${p.actual})` : ''
        ctx.stdout.write(`${sanitizeForTerminal(p.file)}: ${p.problem}${detail}\n`)
      }
      ctx.stdout.write(
        `${plural(report.ok, 'file')} ${report.ok === 1 ? 'matches' : 'match'} the signed index, ${plural(report.problems.length, 'problem')}\n`,
      )
    }
    return report.problems.length === 0 ? EXIT_OK : EXIT_PROBLEMS
  },
}

export default command
