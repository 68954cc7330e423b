import { createWriteStream, openAsBlob } from 'node:fs'
import { mkdir, readdir, rm } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { HashingStream } from '#core/blobs'
import { sanitizeForTerminal } from '#core/client'
import { AgoraError } from '#core/errors'
import { isSafeFilePath, parseRef, refKey } from '#core/names'
import { loadRegistry } from '#core/registry'
import { createStore } from '#core/storage'
import { parseCommandArgs } from '../cli/args.ts'
import { createReporter } from '../cli/reporter.ts'
import { findRepoRoot } from '../cli/root.ts'
import { type Command, EXIT_OK } from './context.ts'

const help = `Usage: agora export hf <ref> --out DIR [options]

Writes an item as a Hugging Face Hub repository: README.md with Hub card front
matter (license mapped back to the Hub's ids, library_name, pipeline_tag,
base_model and base_model_relation, datasets, language, tags; for datasets
pretty_name, task_categories, size_categories; model-index from the item's
results, each verified: false) and every file of the version, fetched from
the hub's store or its URL and checked against its SHA-256. DIR must not
exist or be empty; on any failure it is removed.

With --push the folder is committed to the Hub repository --repo (created
beforehand on the Hub) through @huggingface/hub, with HF_TOKEN.

Options:
  --out DIR        folder to write (required)
  --version V      the version to export (default: dist-tags.latest)
  --push           upload the folder to the Hub as one commit
  --repo ID        the Hub repository to push to (org/name)
  --root DIR       hub repository root (default: nearest folder holding registry/agora.yaml)
  --json           print { ok, ref, version, out, files, pushed } and nothing else
  -h, --help       show this help

Environment: HF_ENDPOINT (default https://huggingface.co), HF_TOKEN (--push),
AGORA_STORE_DIR and AWS_* for the store.

Exit status: 0 written (and pushed), 2 could not export.

Examples:
  agora export hf acme/tox-gnn --out ./tox-gnn-hf
  agora export hf datasets/acme/tox21 --out ./tox21 --push --repo acme/tox21
`

const command: Command = {
  summary: 'write an item as a Hugging Face Hub repository, and push it (export hf <ref>)',
  help,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      'export',
      ctx.argv,
      {
        out: { type: 'string' },
        version: { type: 'string' },
        push: { type: 'boolean' },
        repo: { type: 'string' },
        root: { type: 'string' },
        json: { type: 'boolean' },
      },
      { positionals: { min: 2, max: 2 } },
    )
    const report = createReporter(ctx, values.json === true)
    const [target, refText] = positionals as [string, string]
    if (target !== 'hf') {
      throw new AgoraError('cli/bad-argument', `agora export: "${target}" is not a target`, {
        hint: 'the one target is hf: agora export hf <ref> --out DIR',
      })
    }
    if (!values.out) {
      throw new AgoraError('cli/bad-argument', 'agora export hf needs --out DIR', {
        hint: 'name a new or empty folder, e.g. --out ./tox-gnn-hf',
      })
    }
    const token = ctx.env.HF_TOKEN
    if (values.push && (!values.repo || !token)) {
      throw new AgoraError(
        'cli/bad-argument',
        'agora export hf --push needs --repo ID and HF_TOKEN',
        {
          hint: 'create the repository on the Hub, set HF_TOKEN to a write token, and pass --repo org/name',
        },
      )
    }
    const ref = parseRef(refText)
    if (!ref) {
      throw new AgoraError('cli/bad-argument', `agora export: "${refText}" is not [kind/]ns/name`, {
        hint: 'name the item as in agora info, e.g. datasets/acme/tox21',
      })
    }
    // The Hub code loads only when the command runs, so other commands start as fast as before.
    const { buildHubCard, DEFAULT_HF_ENDPOINT, hubDatasetOf, hubKindOf } = await import('#core/hf')
    const root = await findRepoRoot(ctx.cwd, values.root)
    const { registry } = await loadRegistry(root)
    const loaded = registry.items.get(refKey(ref))
    if (!loaded) {
      throw new AgoraError('cli/unknown-item', `${refText} is not in this registry`, {
        hint: 'check the kind and id with agora list',
      })
    }
    const pricing = loaded.item.pricing
    if (pricing && pricing.model !== 'free') {
      throw new AgoraError(
        'export/paid-item',
        `${refText} is sold (${pricing.model}); its files cannot go to the Hub`,
        {
          hint: 'only free items are exported: the Hub would give away what the seller charges for',
        },
      )
    }
    const versionName =
      values.version ?? ref.version ?? loaded.item['dist-tags']?.latest ?? undefined
    const version = versionName === undefined ? undefined : loaded.versions.get(versionName)
    if (!version || versionName === undefined) {
      throw new AgoraError(
        'cli/unknown-version',
        `${refText} has no version ${versionName ?? '(none)'}`,
        {
          hint: `available: ${[...loaded.versions.keys()].join(', ') || '(none)'}`,
        },
      )
    }
    const out = resolve(ctx.cwd, values.out)
    const existing = await readdir(out).catch(() => undefined)
    if (existing && existing.length > 0) {
      throw new AgoraError('export/out-not-empty', `${values.out} is not empty`, {
        hint: 'export into a new or empty folder',
      })
    }
    const card = buildHubCard(
      loaded.item,
      loaded.results.map((r) => r.value),
      (loaded.readme?.frontMatter ?? {}) as Record<string, unknown>,
      loaded.readme?.body ?? '',
      (benchmark) => {
        const target = parseRef(benchmark, 'benchmark')
        const item = target ? registry.items.get(refKey(target)) : undefined
        return target && item
          ? hubDatasetOf({
              ...target,
              ...(item.item.links?.homepage ? { homepage: item.item.links.homepage } : {}),
            })
          : benchmark
      },
    )
    const store = createStore(registry.hub.storage, { repoRoot: root, env: ctx.env })
    const written: string[] = []
    try {
      await mkdir(out, { recursive: true })
      for (const file of version.files) {
        // The card is written from the item; a README.md among the files is its older copy.
        if (file.path === 'README.md') continue
        if (!isSafeFilePath(file.path)) {
          throw new AgoraError('export/unsafe-path', `${file.path} is not a safe file path`, {
            hint: 'run agora validate on the item',
          })
        }
        const source = file.url
          ? await download(ctx.fetch, file.url, file.path)
          : await store.get(file.sha256, file.private ? { private: true } : {})
        const path = join(out, file.path)
        await mkdir(dirname(path), { recursive: true })
        const meter = new HashingStream()
        await pipeline(source, meter, createWriteStream(path, { flags: 'wx' }))
        const { sha256, size } = meter.digest()
        if (sha256 !== file.sha256 || size !== file.size) {
          throw new AgoraError(
            'export/hash-mismatch',
            `${file.path} is ${size} bytes with SHA-256 ${sha256}, the manifest says ${file.size} bytes and ${file.sha256}`,
            {
              hint: 'the stored blob or the URL serves other bytes; run agora validate --blobs',
            },
          )
        }
        written.push(file.path)
      }
      const readmePath = join(out, 'README.md')
      await pipeline(Readable.from([card.text]), createWriteStream(readmePath, { flags: 'wx' }))
      written.push('README.md')
    } catch (error) {
      if (!existing) await rm(out, { recursive: true, force: true })
      else for (const path of written) await rm(join(out, path), { force: true })
      throw error
    }

    let pushed: string | undefined
    if (values.push) {
      const { uploadFiles } = await import('@huggingface/hub')
      const kind = hubKindOf(loaded.item.kind)
      // File-backed Blobs: each file is read from disk as it is hashed and sent
      // (in parts when the LFS server asks), so memory does not grow with the file.
      const files = await Promise.all(
        written.map(async (path) => ({ path, content: await openAsBlob(join(out, path)) })),
      )
      try {
        const result = await uploadFiles({
          repo: { type: kind, name: values.repo as string },
          accessToken: token as string,
          hubUrl: ctx.env.HF_ENDPOINT || DEFAULT_HF_ENDPOINT,
          fetch: ctx.fetch,
          files,
          commitTitle: `Export ${refText}@${versionName} from Agora`,
          useXet: false,
        })
        pushed = result?.commit.oid
      } catch (error) {
        throw new AgoraError(
          'export/push-failed',
          `pushing to ${values.repo} failed: ${error instanceof Error ? error.message : String(error)}`,
          {
            hint: 'check that the repository exists on the Hub and HF_TOKEN can write to it; the folder is kept',
            cause: error,
          },
        )
      }
    }

    report.info(
      `✔ wrote ${sanitizeForTerminal(refText)}@${versionName} as a Hub repository in ${sanitizeForTerminal(values.out)} (${written.length} files)`,
    )
    if (pushed)
      report.info(`✔ pushed to ${sanitizeForTerminal(values.repo as string)} as commit ${pushed}`)
    report.result({
      ok: true,
      ref: refText,
      version: versionName,
      out: values.out,
      files: written,
      front: card.front,
      pushed: pushed ?? null,
    })
    return EXIT_OK
  },
}

export default command

async function download(
  fetch: typeof globalThis.fetch,
  url: string,
  path: string,
): Promise<Readable> {
  const response = await fetch(url).catch((error: unknown) => {
    throw new AgoraError('export/download-failed', `could not download ${path} from ${url}`, {
      hint: 'check the network',
      cause: error,
    })
  })
  if (!response.ok || !response.body) {
    throw new AgoraError(
      'export/download-failed',
      `${url} answered ${response.status} for ${path}`,
      {
        hint: 'the external file moved or needs a token; the manifest pins its hash, so a mirror serving the same bytes works',
      },
    )
  }
  return Readable.fromWeb(response.body as never)
}
