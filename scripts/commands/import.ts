import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { sanitizeForTerminal } from '#core/client'
import { AgoraError, plural } from '#core/errors'
import type { HfRepoKind, HubClient, UnsafeFile } from '#core/hf'
import { checkName, formatRef, itemDir } from '#core/names'
import { loadRegistry } from '#core/registry'
import { createStore } from '#core/storage'
import { parseCommandArgs } from '../cli/args.ts'
import { createReporter } from '../cli/reporter.ts'
import { findRepoRoot } from '../cli/root.ts'
import { type Command, EXIT_OK } from './context.ts'
import { readHub, writeItemAtomically } from './new.ts'

const help = `Usage: agora import hf <repo_id> [options]

Imports a Hugging Face Hub repository as a new item: item.yaml from the
card's front matter (license, library_name, pipeline_tag, base_model,
base_model_relation, datasets, language, tags; for datasets task_categories,
size_categories, pretty_name), README.md from the card's body, and
versions/VERSION.yaml listing every file of the resolved commit with its size
and SHA-256 (the LFS pointer's, or hashed by downloading a Git-stored file)
and its Hub download URL. Front-matter keys Agora does not model are listed
as dropped. The manifests are validated before anything is written, and the
item folder appears whole or not at all.

Downloaded files (Git-stored ones, every file with --mirror) are scanned with
publish's scanner and an unsafe or unscannable one refuses the import
(import/unsafe-file). Without --mirror, LFS files are not downloaded, so they
are not scanned: the import says which.

Options:
  --revision REV   branch, tag or commit (default: main); the item pins the commit
  --kind KIND      model (default) or dataset
  --as NS/NAME     the item's id (default: the repo id, lower-cased)
  --version V      the item version to write (default: 1.0.0)
  --mirror         copy every file into the hub's store, verifying each hash,
                   and list the files without URLs
  --allow-unsafe   import files the scan refuses, with a warning for each
  --root DIR       hub repository root (default: nearest folder holding registry/agora.yaml)
  --json           print { ok, ref, dir, commit, files, dropped, unscanned } and nothing else
  -h, --help       show this help

Environment: HF_ENDPOINT (default https://huggingface.co), HF_TOKEN for gated repos,
AGORA_STORE_DIR and AWS_* for the store (--mirror).

Exit status: 0 imported, 2 could not import (nothing written).

Examples:
  agora import hf google-bert/bert-base-uncased --as google/bert-base-uncased
  agora import hf stanfordnlp/imdb --kind dataset --revision e6281661ce1c48d982bc483cf8a173c1bbeb5d31
`

const command: Command = {
  summary: 'import a Hugging Face Hub repository as a new item (import hf <repo_id>)',
  help,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      'import',
      ctx.argv,
      {
        revision: { type: 'string' },
        kind: { type: 'string' },
        as: { type: 'string' },
        version: { type: 'string' },
        mirror: { type: 'boolean' },
        'allow-unsafe': { type: 'boolean' },
        root: { type: 'string' },
        json: { type: 'boolean' },
      },
      { positionals: { min: 2, max: 2 } },
    )
    const report = createReporter(ctx, values.json === true)
    const [source, repoId] = positionals as [string, string]
    if (source !== 'hf') {
      throw new AgoraError('cli/bad-argument', `agora import: "${source}" is not a source`, {
        hint: 'the one source is hf: agora import hf <repo_id>',
      })
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*(?:\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/.test(repoId)) {
      throw new AgoraError('cli/bad-argument', `agora import: "${repoId}" is not a Hub repo id`, {
        hint: 'write it as on the Hub: org/name, such as google-bert/bert-base-uncased',
      })
    }
    const kind = (values.kind ?? 'model') as HfRepoKind
    if (kind !== 'model' && kind !== 'dataset') {
      throw new AgoraError(
        'cli/unknown-kind',
        `agora import: --kind ${values.kind} is not model or dataset`,
        {
          hint: 'the Hub holds models and datasets (spaces are not imported)',
        },
      )
    }
    const target = values.as ?? defaultId(repoId)
    const parts = target.split('/')
    if (parts.length !== 2) {
      throw new AgoraError(
        'cli/bad-argument',
        `agora import: --as "${target}" is not <namespace>/<name>`,
        {
          hint: 'give the item id, such as --as acme/bert-base-uncased',
        },
      )
    }
    const [ns, name] = parts as [string, string]
    const root = await findRepoRoot(ctx.cwd, values.root)
    const hub = await readHub(root)
    if (!hub.kinds.includes(kind)) {
      throw new AgoraError('cli/kind-not-enabled', `this hub does not take ${kind}s`, {
        hint: `registry/agora.yaml enables: ${hub.kinds.join(', ')}`,
        file: 'registry/agora.yaml',
      })
    }
    const issue = [
      ...checkName(ns, 'namespace', hub.reserved_names ?? []),
      ...checkName(name, 'name', hub.reserved_names ?? []),
    ][0]
    if (issue) {
      throw new AgoraError(issue.code, `agora import: ${issue.message}`, {
        hint: `${issue.hint ?? 'use lower-case letters, digits and - _ .'}; choose the id with --as NS/NAME`,
      })
    }
    // The Hub code loads only when the command runs, so other commands start as fast as before.
    const { DEFAULT_HF_ENDPOINT, mirrorHubFiles, planHfImport, scanDownloaded } = await import(
      '#core/hf'
    )
    const client: HubClient = {
      endpoint: ctx.env.HF_ENDPOINT || DEFAULT_HF_ENDPOINT,
      fetch: ctx.fetch,
      token: ctx.env.HF_TOKEN || undefined,
    }
    // model-index results are filed under the benchmarks this hub already has.
    const { registry } = await loadRegistry(root)
    const benchmarks = [...registry.items.values()].flatMap((it) =>
      it.item.kind === 'benchmark'
        ? [
            {
              ns: it.ref.ns,
              name: it.ref.name,
              metrics: it.item.metrics.map((m) => m.name),
              ...(it.item.links?.homepage ? { homepage: it.item.links.homepage } : {}),
            },
          ]
        : [],
    )
    const mirror = values.mirror === true
    const allowUnsafe = values['allow-unsafe'] === true
    const plan = await planHfImport(client, {
      repoId,
      kind,
      revision: values.revision,
      ns,
      name,
      version: values.version ?? '1.0.0',
      today: new Date().toISOString().slice(0, 10),
      mirror,
      benchmarks,
    })

    let unsafe: UnsafeFile[] = await scanDownloaded(plan.files)
    if (unsafe.length === 0 || allowUnsafe) {
      if (mirror) {
        const store = createStore(hub.storage, { repoRoot: root, env: ctx.env })
        unsafe = await mirrorHubFiles(client, plan.files, store, join(root, '.agora', 'tmp'), {
          allowUnsafe,
        })
      }
    }
    if (unsafe.length > 0 && !allowUnsafe) {
      const first = unsafe[0] as UnsafeFile
      throw new AgoraError(
        'import/unsafe-file',
        `${repoId}: ${first.path} is ${first.verdict === 'unsafe' ? 'unsafe' : 'not scannable'} (${first.findings[0] ?? 'no detail'})${unsafe.length > 1 ? ` and ${unsafe.length - 1} more` : ''}`,
        {
          hint: 'nothing was written; import a revision with safetensors weights, or pass --allow-unsafe (the pull-request check still refuses the file)',
        },
      )
    }
    for (const file of unsafe)
      report.warn(
        `warning: ${sanitizeForTerminal(file.path)} is ${file.verdict}: ${sanitizeForTerminal(file.findings.join('; '))}`,
      )
    const unscanned = mirror ? [] : plan.files.filter((f) => !f.bytes).map((f) => f.path)

    const ref = { kind, ns, name }
    const dir = `registry/${itemDir(ref)}`
    await writeItemAtomically(root, dir, plan.documents)

    report.info(
      `✔ imported ${sanitizeForTerminal(repoId)}@${plan.repo.sha} as ${formatRef(ref)} (${plan.files.length} files${mirror ? ', mirrored into the store' : ', by URL'})`,
    )
    for (const path of Object.keys(plan.documents)) report.info(`  ${dir}/${path}`)
    for (const d of plan.dropped)
      report.info(`  dropped ${sanitizeForTerminal(d.path)}: ${sanitizeForTerminal(d.reason)}`)
    if (unscanned.length > 0) {
      report.warn(
        `note: ${plural(unscanned.length, 'LFS file')} ${unscanned.length === 1 ? 'was' : 'were'} not downloaded and not scanned (agora pull does not scan either); import with --mirror to scan them: ${unscanned.map((p) => sanitizeForTerminal(p)).join(', ')}`,
      )
    }
    if (!(await stat(join(root, 'registry', 'owners', `${ns}.yaml`)).catch(() => undefined))) {
      report.warn(
        `note: registry/owners/${ns}.yaml does not exist yet; create it with "agora new owner ${ns} --github <your login>" in the same pull request, or import with --as <your namespace>/${name}`,
      )
    }
    report.info(`next: run agora validate ${dir}`)
    report.result({
      ok: true,
      ref: formatRef(ref),
      dir,
      source: plan.repo.id,
      commit: plan.repo.sha,
      files: plan.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })),
      dropped: plan.dropped,
      unscanned,
      mirrored: mirror,
    })
    return EXIT_OK
  },
}

export default command

/** `Org/Some_Model` -> `org/some_model`; a bare id goes under the `hf` namespace. */
function defaultId(repoId: string): string {
  const clean = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[._-]+|[._-]+$/g, '')
  const parts = repoId.split('/')
  return parts.length === 2
    ? `${clean(parts[0] as string)}/${clean(parts[1] as string)}`
    : `hf/${clean(repoId)}`
}
