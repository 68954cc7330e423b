import * as fs from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { relative, resolve, sep } from 'node:path'
import git from 'isomorphic-git'
import { AgoraError, hasErrors, hintFor, type Issue, sortIssues } from '#core/errors'
import { validateDocument } from '#core/manifest'
import {
  type ChangeSet,
  checkChanges,
  checkName,
  type ItemRef,
  parseKind,
  parseRefRange,
  resolveRange,
  symlinkOnPath,
  validateRegistry,
  withLazyPacks,
} from '#core/registry'
import { parseCommandArgs } from '../cli/args.ts'
import { formatSummary, summarizeIssues } from '../cli/format.ts'
import { createReporter } from '../cli/reporter.ts'
import { findRepoRoot } from '../cli/root.ts'
import { type Command, EXIT_OK, EXIT_PROBLEMS } from './context.ts'

const help = `Usage: agora validate [paths…] [options]

Checks registry manifests exactly as the pull-request check does: structure,
schema, naming, references and, with --changed, the change rules (released
versions immutable, nothing deleted, author owns what they change, new
namespaces and ownership changes flagged for review).

With no paths the whole registry is validated. Paths select the items that
contain them (or an owner file, or everything under a folder).

Options:
  --changed BASE..HEAD  validate only the items touched between two Git refs and
                        apply the change rules; BASE...HEAD compares with the
                        merge base, as GitHub shows a pull request
  --author LOGIN        GitHub login of the change's author (with --changed);
                        ownership is judged against BASE
  --root DIR            hub repository root (default: nearest folder holding
                        registry/agora.yaml)
  --json                print { ok, issues, summary, changes } and nothing else
  -h, --help            show this help

Exit status: 0 clean (warnings allowed), 1 problems found, 2 could not run.

Examples:
  agora validate
  agora validate registry/models/ac/acme/tox-gnn
  agora validate --changed origin/main...HEAD --author octocat
  agora validate --changed main..HEAD --json > report.json
`

/** What `--json` prints. */
export interface ValidateReport {
  ok: boolean
  issues: Issue[]
  summary: { items: number; errors: number; warnings: number; notes: number; files: number }
  changes: ChangeSet | null
}

/** What the positional paths select. */
interface Selection {
  items: ItemRef[]
  owners: string[]
  /** Folders above item level: validate everything, keep issues under them. */
  prefixes: string[]
}

const command: Command = {
  summary: 'check manifests and, with --changed, the change rules of a pull request',
  help,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs('validate', ctx.argv, {
      changed: { type: 'string' },
      author: { type: 'string' },
      root: { type: 'string' },
      json: { type: 'boolean' },
    })
    if (values.author !== undefined && values.changed === undefined) {
      throw new AgoraError('cli/bad-argument', 'agora validate: --author needs --changed', {
        hint: 'add --changed BASE..HEAD, the commits whose author is given',
      })
    }
    if (values.changed !== undefined && positionals.length > 0) {
      throw new AgoraError(
        'cli/bad-argument',
        'agora validate: give paths or --changed, not both',
        {
          hint: '--changed already selects the items the change touches',
        },
      )
    }
    const report = createReporter({
      stdout: ctx.stdout,
      stderr: ctx.stderr,
      json: values.json === true,
    })
    const root = await findRepoRoot(ctx.cwd, values.root)

    let result: { issues: Issue[]; items: number; changes: ChangeSet | null }
    if (values.changed !== undefined) {
      result = await validateChanged(root, values.changed, values.author)
    } else if (positionals.length > 0) {
      result = await validatePaths(root, await selectPaths(root, ctx.cwd, positionals))
    } else {
      const { registry, issues } = await validateRegistry(root)
      result = { issues, items: registry.items.size, changes: null }
    }

    const issues = sortIssues(result.issues)
    const counts = summarizeIssues(issues)
    report.issues(issues)
    report.info(formatSummary(counts, { items: result.items }))
    const ok = !hasErrors(issues)
    const json: ValidateReport = {
      ok,
      issues,
      summary: { items: result.items, ...counts },
      changes: result.changes,
    }
    report.result(json)
    return ok ? EXIT_OK : EXIT_PROBLEMS
  },
}

export default command

/**
 * The pull-request path: diff the two commits, apply the change rules, and
 * validate only the items the change touches. A change to hub-wide files
 * (agora.yaml, schemas) can break any item, so it validates everything.
 */
async function validateChanged(
  root: string,
  rangeText: string,
  author: string | undefined,
): Promise<{ issues: Issue[]; items: number; changes: ChangeSet }> {
  const range = parseRefRange(rangeText)
  if (!range) {
    throw new AgoraError(
      'cli/bad-argument',
      `agora validate: --changed "${rangeText}" is not a range`,
      {
        hint: 'write BASE..HEAD, e.g. --changed origin/main..HEAD',
      },
    )
  }
  const gitRoot = await git.findRoot({ fs, filepath: root }).catch(() => undefined)
  if (gitRoot === undefined) {
    throw new AgoraError('change/not-a-git-repo', `${root} is not inside a Git repository`, {
      hint: '--changed compares Git commits; run it in a clone of the hub repository',
    })
  }
  if (resolve(gitRoot) !== resolve(root)) {
    throw new AgoraError(
      'change/not-repo-root',
      `${root} is not the top of its Git repository (${gitRoot})`,
      {
        hint: 'keep registry/ at the top of the hub repository and pass --root that folder',
      },
    )
  }
  const cache = {}
  // Packed objects are read one by one; isomorphic-git alone would parse the whole pack index first.
  const gitFs = withLazyPacks(fs)
  const { base, head } = await resolveRange({ fs: gitFs, dir: root, cache }, range)
  const checked = await checkChanges({
    fs: gitFs,
    dir: root,
    base,
    head,
    cache,
    ...(author === undefined ? {} : { author }),
  })
  const issues = [...checked.issues]
  const checkedOut = await git.resolveRef({ fs, dir: root, ref: 'HEAD' }).catch(() => undefined)
  if (checkedOut !== head) {
    issues.push({
      code: 'change/head-not-checked-out',
      severity: 'warning',
      message: `manifests were read from the work tree, which is not at ${range.head} (${head.slice(0, 12)})`,
      hint: `check out ${range.head} first (git checkout ${range.head}) so the files validated are the ones compared`,
    })
  }
  const { changes } = checked
  if (changes.hubFiles.length > 0) {
    const { registry, issues: found } = await validateRegistry(root)
    return { issues: [...issues, ...found], items: registry.items.size, changes }
  }
  const items = changes.items.filter((i) => i.status !== 'deleted').map((i) => i.ref)
  const owners = changes.owners.filter((o) => o.status !== 'deleted').map((o) => o.ns)
  const validated = await validatePaths(root, { items, owners, prefixes: [] })
  return { issues: [...issues, ...validated.issues], items: validated.items, changes }
}

async function validatePaths(
  root: string,
  selection: Selection,
): Promise<{ issues: Issue[]; items: number; changes: null }> {
  if (selection.prefixes.length > 0) {
    const { registry, issues } = await validateRegistry(root)
    const under = (file: string | undefined) =>
      file !== undefined && selection.prefixes.some((p) => file === p || file.startsWith(`${p}/`))
    const items = [...registry.items.values()].filter((i) => under(i.dir)).length
    return { issues: issues.filter((i) => under(i.file)), items, changes: null }
  }
  const { registry, issues } = await validateRegistry(root, { items: selection.items })
  // Owners named by the items were validated with them; the rest are checked here on their own.
  for (const ns of selection.owners) {
    if (registry.owners.has(ns)) continue
    const file = `registry/owners/${ns}.yaml`
    const link = await symlinkOnPath(fs.promises, root, file)
    if (link !== undefined) {
      issues.push({
        code: 'registry/symlink',
        severity: 'error',
        message: `${link} is a symbolic link`,
        hint: hintFor('registry/symlink'),
        file: link,
      })
      continue
    }
    const bytes = await readFile(resolve(root, file)).catch(() => undefined)
    if (!bytes) continue
    for (const issue of checkName(ns, 'namespace', registry.hub.reserved_names ?? [])) {
      issues.push({ ...issue, file })
    }
    issues.push(...validateDocument('owner', bytes, file, { hub: registry.hub }).issues)
  }
  return { issues, items: registry.items.size, changes: null }
}

/** Maps each command-line path to the item, owner or folder it names. */
async function selectPaths(root: string, cwd: string, paths: string[]): Promise<Selection> {
  const selection: Selection = { items: [], owners: [], prefixes: [] }
  const seen = new Set<string>()
  const exists = (p: string) =>
    stat(p).then(
      () => true,
      () => false,
    )
  for (const path of paths) {
    // Relative paths are taken from the working folder, then from the root (for --root runs).
    let absolute = resolve(cwd, path)
    if (!(await exists(absolute)) && (await exists(resolve(root, path))))
      absolute = resolve(root, path)
    if (!(await exists(absolute))) {
      throw new AgoraError('cli/bad-argument', `agora validate: ${path} does not exist`, {
        hint: 'give a path inside registry/, such as registry/models/ac/acme/tox-gnn',
      })
    }
    const rel = relative(root, absolute).split(sep).join('/')
    const parts = rel === '' ? [] : rel.split('/')
    if (parts.length > 0 && parts[0] !== 'registry') {
      throw new AgoraError(
        'cli/bad-argument',
        `agora validate: ${path} is not inside ${root}/registry`,
        {
          hint: 'give a path inside registry/, or no path to validate the whole registry',
        },
      )
    }
    const kind = parts[1] === undefined ? undefined : parseKind(parts[1])
    if (kind && parts[1] === `${kind}s` && parts.length >= 5) {
      const ref: ItemRef = { kind, ns: parts[3] as string, name: parts[4] as string }
      const key = `${kind}/${ref.ns}/${ref.name}`
      if (!seen.has(key)) selection.items.push(ref)
      seen.add(key)
    } else if (parts[1] === 'owners' && parts.length === 3 && parts[2]?.endsWith('.yaml')) {
      selection.owners.push(parts[2].slice(0, -'.yaml'.length))
    } else {
      selection.prefixes.push(parts.length === 0 ? 'registry' : rel)
    }
  }
  return selection
}
