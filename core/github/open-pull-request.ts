import type * as nodeFs from 'node:fs'
import type { Octokit } from '@octokit/rest'
import git, { type HttpClient, type TreeEntry } from 'isomorphic-git'
import { AgoraError, plural } from '#core/errors'
import { codeSpan, escapeMarkdown } from './escape-markdown.ts'

/** A file to commit: repository-relative POSIX path and its new content. */
export interface CommitFile {
  path: string
  content: string | Uint8Array
}

export interface CommitToBranchOptions {
  fs: typeof nodeFs
  /** Working directory of the repository (its .git is used; the working tree is not touched). */
  dir: string
  /** Ref or commit the branch starts from, e.g. `HEAD` or `main`. */
  base: string
  /** New branch name; refused when it exists. */
  branch: string
  files: readonly CommitFile[]
  message: string
  author: { name: string; email: string }
  /** Commit time, for reproducible tests; default now. */
  now?: Date
}

/**
 * Commits files on a new branch without touching the working tree or the
 * index: blobs and trees are written straight into the object store on top
 * of `base`, so the contributor's uncommitted work is never disturbed and a
 * failure later (push, PR) is undone by deleting one ref.
 *
 * @example
 * const oid = await commitToBranch({ fs, dir, base: 'HEAD', branch: 'publish/acme-tox-gnn-1.0.0',
 *   files: [{ path: 'registry/…/item.yaml', content }], message: 'Publish acme/tox-gnn 1.0.0',
 *   author: { name: 'Ada', email: 'ada@example.org' } })
 */
export async function commitToBranch(options: CommitToBranchOptions): Promise<string> {
  const { fs, dir } = options
  const branchRef = `refs/heads/${options.branch}`
  const exists = await git.resolveRef({ fs, dir, ref: branchRef }).then(
    () => true,
    () => false,
  )
  if (exists) {
    throw new AgoraError('github/branch-exists', `branch ${options.branch} already exists`, {
      hint: `delete it (git branch -D ${options.branch}) or publish another version`,
    })
  }
  const parent = await git.resolveRef({ fs, dir, ref: options.base })
  const { commit } = await git.readCommit({ fs, dir, oid: parent })
  const blobs = new Map<string, string>()
  for (const file of options.files) {
    const blob = typeof file.content === 'string' ? Buffer.from(file.content) : file.content
    blobs.set(file.path, await git.writeBlob({ fs, dir, blob }))
  }
  const tree = await writeTreeWith(fs, dir, commit.tree, blobs)
  const seconds = Math.floor((options.now ?? new Date()).getTime() / 1000)
  const person = { ...options.author, timestamp: seconds, timezoneOffset: 0 }
  const oid = await git.writeCommit({
    fs,
    dir,
    commit: {
      message: `${options.message.trimEnd()}\n`,
      tree,
      parent: [parent],
      author: person,
      committer: person,
    },
  })
  await git.writeRef({ fs, dir, ref: branchRef, value: oid })
  return oid
}

/** Writes a tree equal to `base` with `files` (path → blob oid) added or replaced. */
async function writeTreeWith(
  fs: typeof nodeFs,
  dir: string,
  base: string | undefined,
  files: Map<string, string>,
): Promise<string> {
  const entries: TreeEntry[] = base ? (await git.readTree({ fs, dir, oid: base })).tree : []
  const direct = new Map<string, string>()
  const nested = new Map<string, Map<string, string>>()
  for (const [path, oid] of files) {
    const slash = path.indexOf('/')
    if (slash === -1) direct.set(path, oid)
    else {
      const head = path.slice(0, slash)
      const group = nested.get(head) ?? new Map<string, string>()
      group.set(path.slice(slash + 1), oid)
      nested.set(head, group)
    }
  }
  const byName = new Map(entries.map((e) => [e.path, e]))
  for (const [name, oid] of direct)
    byName.set(name, { mode: '100644', path: name, oid, type: 'blob' })
  for (const [name, group] of nested) {
    const current = byName.get(name)
    const oid = await writeTreeWith(
      fs,
      dir,
      current?.type === 'tree' ? current.oid : undefined,
      group,
    )
    byName.set(name, { mode: '040000', path: name, oid, type: 'tree' })
  }
  // Git orders tree entries by name, comparing a subtree as if it ended in '/'.
  const sortKey = (e: TreeEntry) => (e.type === 'tree' ? `${e.path}/` : e.path)
  const tree = [...byName.values()].sort((a, b) =>
    sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0,
  )
  return git.writeTree({ fs, dir, tree })
}

export interface PushBranchOptions {
  fs: typeof nodeFs
  http: HttpClient
  dir: string
  /** Remote URL (smart HTTP). */
  url: string
  branch: string
  /** A token with contents:write; sent as HTTP basic auth the way GitHub expects. */
  token?: string | undefined
}

/**
 * Pushes a branch over smart HTTP with isomorphic-git.
 *
 * @example await pushBranch({ fs, http, dir, url: 'https://github.com/acme/hub.git', branch, token })
 */
export async function pushBranch(options: PushBranchOptions): Promise<void> {
  let refused = false
  try {
    const result = await git.push({
      fs: options.fs,
      http: options.http,
      dir: options.dir,
      url: options.url,
      ref: options.branch,
      remoteRef: options.branch,
      ...(options.token
        ? { onAuth: () => ({ username: 'x-access-token', password: options.token }) }
        : {}),
      // Asked again after a refusal means the token is wrong: stop instead of looping.
      onAuthFailure: () => {
        refused = true
        return { cancel: true }
      },
    })
    if (!result.ok) throw new Error(result.error ?? 'the remote refused the push')
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    const auth = refused || /\b(401|403)\b/.test(detail)
    throw new AgoraError(
      'github/push-failed',
      `cannot push ${options.branch} to ${options.url}: ${detail}`,
      {
        hint: auth
          ? 'set GITHUB_TOKEN to a token that may push to the repository (or push to your fork with --remote)'
          : 'check the remote URL and the network, then run the command again',
        cause: error,
      },
    )
  }
}

export interface OpenPullRequestOptions {
  owner: string
  repo: string
  /** Branch with the change (`user:branch` for a fork). */
  head: string
  /** Branch to merge into. */
  base: string
  title: string
  body: string
  draft?: boolean
}

/**
 * Opens a pull request and returns its number and URL; octokit is injected.
 *
 * @example
 * const pr = await openPullRequest(octokit, { owner: 'acme', repo: 'hub', head: branch, base: 'main', title, body })
 */
export async function openPullRequest(
  octokit: Octokit,
  options: OpenPullRequestOptions,
): Promise<{ number: number; url: string }> {
  try {
    const { data } = await octokit.rest.pulls.create({
      owner: options.owner,
      repo: options.repo,
      head: options.head,
      base: options.base,
      title: options.title,
      body: options.body,
      ...(options.draft === undefined ? {} : { draft: options.draft }),
      maintainer_can_modify: true,
    })
    return { number: data.number, url: data.html_url }
  } catch (error) {
    const status = (error as { status?: number }).status
    const detail = error instanceof Error ? error.message : String(error)
    const hint =
      status === 422
        ? 'a pull request for this branch may already exist, or the branch has no commits over the base'
        : status === 401 || status === 403
          ? 'GITHUB_TOKEN must allow pull requests (pull_requests: write) on the repository'
          : status === 404
            ? 'check hub repository owner and name in registry/agora.yaml and that the token can see it'
            : 'the branch was pushed: open the pull request on GitHub by hand, or run the command again'
    throw new AgoraError(
      'github/pull-request-failed',
      `cannot open a pull request on ${options.owner}/${options.repo}: ${status ?? ''} ${detail}`.replace(
        /: {2}/,
        ': ',
      ),
      { hint, cause: error },
    )
  }
}

/** A file of a published version, for the pull-request body. */
export interface PublishedFileSummary {
  path: string
  size: number
  sha256: string
  /** True when this publish uploaded it, false when the store had it. */
  uploaded: boolean
}

/**
 * The pull-request body of a publish: item, version and a table of files
 * with sizes and hashes. Every value from the contributor is escaped, so a
 * file name cannot inject Markdown, mentions or HTML into the page.
 *
 * @example publishPullRequestBody({ item: 'acme/tox-gnn', version: '1.0.0', files, itemIsNew: true })
 */
export function publishPullRequestBody(input: {
  item: string
  version: string
  itemIsNew: boolean
  files: readonly PublishedFileSummary[]
  manifests: readonly string[]
}): string {
  const total = input.files.reduce((n, f) => n + f.size, 0)
  const rows = input.files.map(
    (f) =>
      `| ${codeSpan(f.path)} | ${f.size.toLocaleString('en-US')} | ${codeSpan(f.sha256)} | ${f.uploaded ? 'uploaded' : 'already stored'} |`,
  )
  return [
    `Publishes ${codeSpan(input.item)} version ${codeSpan(input.version)}${input.itemIsNew ? ' (a new item)' : ''}.`,
    '',
    `${plural(input.files.length, 'file')}, ${total.toLocaleString('en-US')} bytes in all:`,
    '',
    '| file | bytes | sha256 | blob |',
    '| --- | ---: | --- | --- |',
    ...rows,
    '',
    'Manifests changed:',
    '',
    ...input.manifests.map((m) => `- ${codeSpan(m)}`),
    '',
    `<sub>Opened by ${escapeMarkdown('agora publish')}; the validate check re-hashes every blob.</sub>`,
    '',
  ].join('\n')
}
