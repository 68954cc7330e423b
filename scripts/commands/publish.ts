import * as fs from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { Octokit } from '@octokit/rest'
import git from 'isomorphic-git'
import http from 'isomorphic-git/http/node'
import { AgoraError, hasErrors, type Issue, sortIssues } from '#core/errors'
import { commitToBranch, openPullRequest, publishPullRequestBody, pushBranch } from '#core/github'
import type { HubConfig } from '#core/manifest'
import { formatRef, type ItemRef, kindPlural, parseKind } from '#core/names'
import { applyPublish, type PublishPlan, type PublishScan, planPublish } from '#core/publish'
import { validateDocument } from '#core/schema'
import { createStore } from '#core/storage'
import { parseCommandArgs } from '../cli/args.ts'
import { formatBytes, plural } from '../cli/format.ts'
import type { Progress } from '../cli/progress.ts'
import { createReporter } from '../cli/reporter.ts'
import { findRepoRoot } from '../cli/root.ts'
import { type Command, EXIT_OK, EXIT_PROBLEMS } from './context.ts'

const help = `Usage: agora publish <dir> --id NS/NAME --version VERSION [--kind KIND] [options]

Publishes the files in <dir> as one version of an item: hashes every file,
scans it with the pull-request check's scanner (pickle imports, safetensors,
GGUF, ONNX, archives …) and refuses unsafe or unscannable files
(publish/unsafe-file), builds item.yaml (for a new item from the flags and README.md front matter;
for an existing one by moving dist-tags.latest) and versions/VERSION.yaml,
validates them like the pull-request check does, and only then uploads the
blobs the store lacks and writes the manifests. README.md in <dir> becomes
the card. Publishing unchanged files again uploads nothing. A version file
that lists no files yet (as "agora new" writes it) is filled in, keeping what
it says; one with files is released and never changed. For a LoRA,
adapter_config.json gives r, lora_alpha, target_modules and base_model, and
a manifest value that disagrees with it is an error.

Options:
  --kind KIND         model, dataset, adapter, lora, pipeline or benchmark (default model)
  --id NS/NAME        the item's namespace and name
  --version VERSION   semantic version, e.g. 1.0.0
  --local             leave the new manifests in the working tree (default)
  --pr                commit them on a new branch, push it and open a pull request
                      (needs GITHUB_TOKEN; the working tree is not touched)
  --dry-run           show what would be uploaded and written; change nothing
  --allow-unsafe      publish files the scan finds unsafe or cannot check, with a
                      warning for each; the pull-request check still refuses them
  --title TEXT        title of a new item (default: front matter, else the name)
  --summary TEXT      one-sentence summary of a new item
  --license SPDX      licence of a new item (default: front matter license)
  --changelog TEXT    what changed in this version
  --remote URL        Git remote to push to (default: the origin remote)
  --base BRANCH       branch the pull request targets (default: the hub's default branch)
  --root DIR          hub repository root (default: nearest folder holding registry/agora.yaml)
  --json              print the result as JSON and nothing else
  -h, --help          show this help

Exit status: 0 published, 1 the manifests have problems (nothing changed), 2 could not run.

Examples:
  agora publish ./out/tox-gnn --id acme/tox-gnn --version 1.0.0 --license MIT
  agora publish ./data --kind dataset --id acme/tox21 --version 1.1.0 --pr
  agora publish ./out/tox-gnn --id acme/tox-gnn --version 1.0.1 --dry-run --json
`

/** What `--json` prints. */
export interface PublishReport {
  ok: boolean
  item: string
  version: string
  mode: 'local' | 'pr'
  dry_run: boolean
  unchanged: boolean
  files: { path: string; size: number; sha256: string; uploaded: boolean }[]
  upload_bytes: number
  manifests: string[]
  branch: string | null
  pull_request: { number: number; url: string } | null
  /** Every file's scan, done before anything is uploaded. */
  scans: PublishScan[]
  issues: Issue[]
}

const command: Command = {
  summary: 'hash, upload and register a version of an item (--local or --pr)',
  help,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      'publish',
      ctx.argv,
      {
        kind: { type: 'string' },
        id: { type: 'string' },
        version: { type: 'string' },
        local: { type: 'boolean' },
        pr: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        'allow-unsafe': { type: 'boolean' },
        title: { type: 'string' },
        summary: { type: 'string' },
        license: { type: 'string' },
        changelog: { type: 'string' },
        remote: { type: 'string' },
        base: { type: 'string' },
        root: { type: 'string' },
        json: { type: 'boolean' },
      },
      { positionals: { min: 1, max: 1 } },
    )
    if (values.local && values.pr) {
      throw new AgoraError('cli/bad-argument', 'agora publish: choose --local or --pr, not both', {
        hint: '--local leaves the manifests in the working tree; --pr opens a pull request',
      })
    }
    const kind = parseKind(values.kind ?? 'model')
    if (!kind || kind === 'collection') {
      throw new AgoraError(
        'cli/bad-argument',
        `agora publish: "${values.kind}" is not a kind with files`,
        {
          hint: 'use --kind model, dataset, adapter, lora, pipeline or benchmark',
        },
      )
    }
    const [ns, name, extra] = (values.id ?? '').split('/')
    if (!ns || !name || extra !== undefined) {
      throw new AgoraError('cli/bad-argument', 'agora publish: --id must be NAMESPACE/NAME', {
        hint: 'e.g. --id acme/tox-gnn',
      })
    }
    if (!values.version) {
      throw new AgoraError('cli/bad-argument', 'agora publish: --version is required', {
        hint: 'e.g. --version 1.0.0',
      })
    }
    const mode: 'local' | 'pr' = values.pr ? 'pr' : 'local'
    const dryRun = values['dry-run'] === true
    const report = createReporter(ctx, values.json === true)
    const root = await findRepoRoot(ctx.cwd, values.root)
    const hub = await readHub(root)
    // Everything --pr needs is checked before hashing, so a missing token never costs an upload.
    const target =
      mode === 'pr' && !dryRun ? await pullRequestTarget(ctx, root, hub, values.remote) : undefined
    const ref: ItemRef = { kind, ns, name }
    const store = createStore(hub.storage, { repoRoot: root, env: ctx.env })

    let hashing: Progress | undefined
    let plan: PublishPlan
    try {
      plan = await planPublish(
        {
          dir: resolve(ctx.cwd, positionals[0] as string),
          ref,
          version: values.version,
          repoRoot: root,
          hub,
          fields: { title: values.title, summary: values.summary, license: values.license },
          changelog: values.changelog,
          allowUnsafe: values['allow-unsafe'] === true,
          onHashStart: (total) => {
            hashing = report.progress({ label: 'hashing', total })
          },
          onHashProgress: (bytes) => hashing?.tick(bytes),
        },
        { store },
      )
    } finally {
      hashing?.done()
    }
    const issues = sortIssues(plan.issues)
    const summary = (uploaded: Set<string>, extra: Partial<PublishReport> = {}): PublishReport => ({
      ok: !hasErrors(issues),
      item: formatRef(ref),
      version: plan.version,
      mode,
      dry_run: dryRun,
      unchanged: plan.unchanged,
      files: plan.files.map((f) => ({
        path: f.path,
        size: f.size,
        sha256: f.sha256,
        uploaded: uploaded.has(f.sha256),
      })),
      upload_bytes: plan.uploadBytes,
      manifests: plan.writes.map((w) => w.path),
      branch: null,
      pull_request: null,
      scans: plan.scans,
      issues,
      ...extra,
    })
    report.issues(issues)
    if (hasErrors(issues)) {
      report.info(
        `not published: ${formatRef(ref)}@${plan.version} has problems; nothing was uploaded or written`,
      )
      report.result(summary(new Set()))
      return EXIT_PROBLEMS
    }
    const toUpload = new Set(plan.files.filter((f) => !f.present).map((f) => f.sha256))
    if (dryRun) {
      report.info(describePlan(plan))
      report.info('dry run: nothing was uploaded or written')
      report.result(summary(toUpload))
      return EXIT_OK
    }

    const uploading = report.progress({
      label: `uploading ${formatRef(ref)}@${plan.version}`,
      total: plan.uploadBytes,
    })
    let uploaded: { uploaded: number; uploadedBytes: number }
    try {
      uploaded = await applyPublish(plan, {
        store,
        repoRoot: root,
        writeManifests: mode === 'local',
        onProgress: (bytes) => uploading.tick(bytes),
      })
    } finally {
      uploading.done()
    }
    report.info(
      `${formatRef(ref)}@${plan.version}: ${plural(plan.files.length, 'file')}, ${uploaded.uploaded} uploaded (${formatBytes(uploaded.uploadedBytes)}), ${plan.files.length - toUpload.size} already stored`,
    )
    if (plan.writes.length === 0) {
      report.info(
        plan.unchanged
          ? 'the version is already published with these files; nothing to write'
          : 'nothing to write',
      )
      report.result(summary(toUpload))
      return EXIT_OK
    }
    if (mode === 'local') {
      for (const write of plan.writes) report.info(`  wrote ${write.path}`)
      report.info(
        'review the change, then commit it and open a pull request (or run again with --pr)',
      )
      report.result(summary(toUpload))
      return EXIT_OK
    }

    const pr = await openPublishPullRequest(
      ctx,
      root,
      target as PullRequestTarget,
      plan,
      toUpload,
      values.base,
    )
    report.info(`opened pull request #${pr.number}: ${pr.url}`)
    report.result(
      summary(toUpload, { branch: pr.branch, pull_request: { number: pr.number, url: pr.url } }),
    )
    return EXIT_OK
  },
}

export default command

async function readHub(root: string): Promise<HubConfig> {
  const file = join(root, 'registry', 'agora.yaml')
  const { value, issues } = validateDocument('hub', await readFile(file), 'registry/agora.yaml')
  if (!value || hasErrors(issues)) {
    throw new AgoraError('publish/bad-hub', 'registry/agora.yaml is not valid', {
      file: 'registry/agora.yaml',
      hint: 'run "agora validate" and fix agora.yaml first',
    })
  }
  return value
}

function describePlan(plan: PublishPlan): string {
  const lines = [`${formatRef(plan.ref)}@${plan.version}${plan.itemIsNew ? ' (new item)' : ''}:`]
  for (const f of plan.files) {
    lines.push(
      `  ${f.present ? 'stored ' : 'upload '} ${f.path}  ${formatBytes(f.size)}  ${f.sha256}`,
    )
  }
  lines.push(`  ${formatBytes(plan.uploadBytes)} to upload`)
  for (const w of plan.writes)
    lines.push(`  ${w.previous === undefined ? 'create' : 'update'} ${w.path}`)
  return lines.join('\n')
}

/** Where --pr pushes and opens the pull request, and the token it does that with. */
interface PullRequestTarget {
  token: string
  remote: string
  repository: { owner: string; name: string; default_branch: string }
}

/** The token, remote and repository --pr needs; refused before anything is hashed or uploaded. */
async function pullRequestTarget(
  ctx: Parameters<Command['run']>[0],
  root: string,
  hub: HubConfig,
  remoteOption: string | undefined,
): Promise<PullRequestTarget> {
  const token = ctx.env.GITHUB_TOKEN
  if (!token) {
    throw new AgoraError('publish/no-token', 'agora publish --pr needs GITHUB_TOKEN', {
      hint: 'export GITHUB_TOKEN with a token that may push and open pull requests, or use --local; nothing was uploaded',
    })
  }
  const remote =
    remoteOption ??
    (await git.getConfig({ fs, dir: root, path: 'remote.origin.url' }).catch(() => undefined))
  if (typeof remote !== 'string' || !/^https?:\/\//.test(remote)) {
    throw new AgoraError('publish/no-remote', 'no HTTP(S) remote to push the branch to', {
      hint: 'pass --remote https://github.com/<owner>/<repo>.git (isomorphic-git pushes over smart HTTP)',
    })
  }
  const repository = hub.repository ?? repositoryOf(remote)
  if (!repository) {
    throw new AgoraError(
      'publish/no-repository',
      'cannot tell which GitHub repository to open the pull request on',
      {
        hint: 'set repository: { owner, name, default_branch } in registry/agora.yaml',
      },
    )
  }
  return { token, remote, repository }
}

/** Commits the manifests on a new branch, pushes it and opens the pull request; undoes the branch on failure. */
async function openPublishPullRequest(
  ctx: Parameters<Command['run']>[0],
  root: string,
  { token, remote, repository }: PullRequestTarget,
  plan: PublishPlan,
  uploaded: Set<string>,
  baseOption: string | undefined,
): Promise<{ number: number; url: string; branch: string }> {
  const branch = `publish/${kindPlural(plan.ref.kind)}-${plan.ref.ns}-${plan.ref.name}-${plan.version}`
  const author = {
    name:
      ctx.env.GIT_AUTHOR_NAME ??
      String((await git.getConfig({ fs, dir: root, path: 'user.name' })) ?? 'Agora publish'),
    email:
      ctx.env.GIT_AUTHOR_EMAIL ??
      String(
        (await git.getConfig({ fs, dir: root, path: 'user.email' })) ?? 'publish@agora.invalid',
      ),
  }
  const title = `Publish ${formatRef(plan.ref)} ${plan.version}`
  await commitToBranch({
    fs,
    dir: root,
    base: 'HEAD',
    branch,
    files: plan.writes.map((w) => ({ path: w.path, content: w.content })),
    message: title,
    author,
  })
  try {
    await pushBranch({ fs, http, dir: root, url: remote, branch, token })
    const octokit = new Octokit({
      auth: token,
      baseUrl: ctx.env.GITHUB_API_URL ?? 'https://api.github.com',
      request: { fetch: ctx.fetch },
    })
    const pr = await openPullRequest(octokit, {
      owner: repository.owner,
      repo: repository.name,
      head: branch,
      base: baseOption ?? repository.default_branch,
      title,
      body: publishPullRequestBody({
        item: formatRef(plan.ref),
        version: plan.version,
        itemIsNew: plan.itemIsNew,
        files: plan.files.map((f) => ({
          path: f.path,
          size: f.size,
          sha256: f.sha256,
          uploaded: uploaded.has(f.sha256),
        })),
        manifests: plan.writes.map((w) => w.path),
      }),
    })
    return { ...pr, branch }
  } catch (error) {
    // The pushed branch (if any) stays on the remote so the PR can be opened by hand; the local one is undone.
    if ((error as { code?: string }).code === 'github/push-failed') {
      await git.deleteRef({ fs, dir: root, ref: `refs/heads/${branch}` }).catch(() => undefined)
    }
    throw error
  }
}

/** `owner/repo` from a GitHub remote URL. */
function repositoryOf(
  url: string,
): { owner: string; name: string; default_branch: string } | undefined {
  const match = /github\.com[/:]([^/]+)\/([^/]+?)(\.git)?\/?$/.exec(url)
  return match
    ? { owner: match[1] as string, name: match[2] as string, default_branch: 'main' }
    : undefined
}
