import { readdir, stat } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import type { Issue } from '#core/errors'
import { type ScanResult, scanPath } from '#core/scan'
import { parseCommandArgs } from '../cli/args.ts'
import { plural } from '../cli/format.ts'
import { createReporter } from '../cli/reporter.ts'
import { type Command, EXIT_OK, EXIT_PROBLEMS } from './context.ts'

const help = `Usage: agora scan <file|folder…> [options]

Scans model and data files the way the pull-request check does. The format
comes from the bytes, never the name: safetensors and GGUF headers are
checked in full (only the header is read), pickles, PyTorch files (zip and
legacy) and object .npy arrays are walked for imports without being
unpickled, zip archives are checked for escaping paths, symlinks and bombs
before anything is inflated, ONNX models for external data leaving the item.
Folders are scanned file by file.

Options:
  --strict              fail files of a binary format Agora cannot inspect
  --allow-global NAME   also allow this pickle import (module.name); repeatable
  --json                print { ok, results, summary } and nothing else
  -h, --help            show this help

Exit status: 0 every file safe, 1 a file is unsafe or could not be scanned,
2 bad arguments.

Examples:
  agora scan model.safetensors
  agora scan pytorch_model.bin --json
  agora scan ./weights --strict
`

/** What `--json` prints. */
export interface ScanReport {
  ok: boolean
  results: ScanResult[]
  summary: { files: number; safe: number; unsafe: number; error: number }
}

/** Folders never worth scanning inside a checkout. */
const SKIPPED_DIRS = new Set(['.git', 'node_modules'])

const command: Command = {
  summary: 'scan model and data files for code execution and broken formats',
  help,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      'scan',
      ctx.argv,
      {
        json: { type: 'boolean' },
        strict: { type: 'boolean' },
        'allow-global': { type: 'string', multiple: true },
      },
      { positionals: { min: 1 } },
    )
    const report = createReporter(ctx, values.json === true)
    const options = {
      strict: values.strict === true,
      allowGlobals: values['allow-global'] ?? [],
    }

    const results: ScanResult[] = []
    for (const arg of positionals) {
      for (const file of await expand(resolve(ctx.cwd, arg), arg)) {
        const result = await scanPath(file.absolute, { ...options, displayPath: file.shown })
        results.push(result)
        report.info(describe(result))
        const findings: Issue[] = result.findings.map(({ unsafe: _, ...issue }) => issue)
        report.issues(findings)
      }
    }

    const summary = {
      files: results.length,
      safe: results.filter((r) => r.verdict === 'safe').length,
      unsafe: results.filter((r) => r.verdict === 'unsafe').length,
      error: results.filter((r) => r.verdict === 'error').length,
    }
    // Nothing scanned is not "all safe": a typo in a folder name must not pass a check.
    const ok = summary.files > 0 && summary.safe === summary.files
    report.info(summaryLine(summary, ok))
    report.result({ ok, results, summary } satisfies ScanReport)
    return ok ? EXIT_OK : EXIT_PROBLEMS
  },
}

export default command

/** The last line: `✔ 3 files safe`, `✖ 1 unsafe, 1 could not be scanned of 3 files`. */
function summaryLine(summary: ScanReport['summary'], ok: boolean): string {
  if (summary.files === 0) return '✖ no files to scan'
  if (ok) return `✔ ${plural(summary.files, 'file')} safe`
  const counts = [
    summary.unsafe > 0 ? `${summary.unsafe} unsafe` : '',
    summary.error > 0 ? `${summary.error} could not be scanned` : '',
  ].filter(Boolean)
  return `✖ ${counts.join(', ')} of ${plural(summary.files, 'file')}`
}

/** One line per file: name, format, verdict and what the site would show of it. */
function describe(result: ScanResult): string {
  const mark = result.verdict === 'safe' ? '✔' : '✖'
  const details: string[] = []
  if (result.verifiedFormat) details.push('verified format')
  if (result.tensors) {
    const params = result.tensors.reduce((n, t) => n + t.params, 0)
    details.push(`${plural(result.tensors.length, 'tensor')}, ${formatCount(params)} parameters`)
  }
  if (result.imports) details.push(plural(result.imports.length, 'import'))
  const extra = details.length > 0 ? ` (${details.join('; ')})` : ''
  return `${mark} ${result.path}  ${result.format}  ${result.verdict}${extra}`
}

function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`
  return String(n)
}

/** A file as itself; a folder as the regular files under it, in a stable order. */
async function expand(
  absolute: string,
  shown: string,
): Promise<{ absolute: string; shown: string }[]> {
  const info = await stat(absolute).catch(() => undefined)
  if (!info?.isDirectory()) return [{ absolute, shown }]
  const files: { absolute: string; shown: string }[] = []
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true })
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) await walk(path)
      } else if (entry.isFile()) {
        files.push({ absolute: path, shown: join(shown, relative(absolute, path)) })
      }
    }
  }
  await walk(absolute)
  return files
}
