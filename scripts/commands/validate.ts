import * as fs from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { relative, resolve, sep } from 'node:path'
import git from 'isomorphic-git'
import { AgoraError, hasErrors, hintFor, type Issue, sortIssues } from '#core/errors'
import {
  type BlobInput,
  checkStoredFiles,
  openValidationStore,
  type ReportBlob,
  type ReportScan,
  type ScanInput,
  type StoredFile,
  storedFileIssues,
  type ValidationReport,
  validatePullRequest,
} from '#core/github'
import { checkName, type ItemRef, parseKind, refKey } from '#core/names'
import {
  type ChangeSet,
  checkChanges,
  type LoadedItem,
  parseRefRange,
  type Registry,
  resolveRange,
  symlinkOnPath,
  validateRegistry,
  withLazyPacks,
} from '#core/registry'
import { SCAN_CODES, type ScanCode } from '#core/scan'
import { validateDocument } from '#core/schema'
import { parseCommandArgs } from '../cli/args.ts'
import { formatSummary, plural, summarizeIssues } from '../cli/format.ts'
import { createReporter } from '../cli/reporter.ts'
import { findRepoRoot } from '../cli/root.ts'
import { type Command, type CommandContext, EXIT_OK, EXIT_PROBLEMS } from './context.ts'

const help = `Usage: agora validate [paths…] [options]

Checks registry manifests: structure, schema, naming, licences, references,
dist-tags and, with --changed, the change rules (released versions
immutable, nothing deleted, author owns what they change, new namespaces and
ownership changes flagged for review).

By default only the manifests are read: the blobs they name are NOT looked
up, re-hashed or scanned, so a wrong sha256 or size, a missing upload or an
unsafe file passes here and fails the pull-request check. Add --blobs and
--scan, or --like-ci, to read the blobs from the hub's store (the fs folder,
or S3 with AWS_* credentials, else storage.public_url).

With no paths the whole registry is validated. Paths select the items that
contain them (or an owner file, or everything under a folder).

Options:
  --changed BASE..HEAD  validate only the items touched between two Git refs and
                        apply the change rules; BASE...HEAD compares with the
                        merge base, as GitHub shows a pull request
  --author LOGIN        GitHub login of the change's author (with --changed);
                        ownership is judged against BASE
  --blobs               also check every file of every version of the validated
                        items against the store: it exists, its size matches
                        and its bytes re-hash to the manifest's sha256
                        (blob/missing, blob/size-mismatch, blob/hash-mismatch);
                        files given by url are skipped
  --scan                also scan files with the pull-request check's scanner
                        (pickle imports, safetensors, GGUF, ONNX, archives …),
                        read from the store after their blob checks out; a file
                        that cannot be read or scanned fails (fail closed).
                        With --changed: the files of the versions the change
                        adds, as the pull-request check; otherwise every file
                        of the validated items
  --like-ci             run exactly what the Validate action runs on a pull
                        request (its own code): change rules, registry rules of
                        the touched items, blobs and scans of added versions;
                        needs --changed and --author, and the work tree at HEAD.
                        --json adds the action's report as "ci"
  --root DIR            hub repository root (default: nearest folder holding
                        registry/agora.yaml)
  --json                print { ok, issues, summary, changes, blobs, scans, ci }
                        and nothing else
  -h, --help            show this help

Exit status: 0 clean (warnings allowed), 1 problems found, 2 could not run.

Examples:
  agora validate
  agora validate registry/models/ac/acme/tox-gnn --blobs
  agora validate --changed origin/main...HEAD --author octocat
  agora validate --changed origin/main...HEAD --author octocat --like-ci
  agora validate --changed main..HEAD --json > report.json
`

/** What `--json` prints. */
export interface ValidateReport {
  ok: boolean
  issues: Issue[]
  summary: { items: number; errors: number; warnings: number; notes: number; files: number }
  changes: ChangeSet | null
  /** With --blobs, --scan or --like-ci: each file's blob check; otherwise null. */
  blobs: ReportBlob[] | null
  /** With --scan or --like-ci: each scanned file's verdict and findings; otherwise null. */
  scans: ReportScan[] | null
  /** With --like-ci: the report the Validate action writes for this range; otherwise null. */
  ci: ValidationReport | null
}

/** What one validation path found, and what the blob and scan steps work over. */
interface Validated {
  issues: Issue[]
  items: number
  changes: ChangeSet | null
  registry: Registry
  /** The items the path validated. */
  selected: LoadedItem[]
  /** With --changed: the manifests of the versions the change adds. */
  added?: Set<string>
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
      blobs: { type: 'boolean' },
      scan: { type: 'boolean' },
      'like-ci': { type: 'boolean' },
    })
    const likeCi = values['like-ci'] === true
    if (likeCi && values.changed === undefined) {
      throw new AgoraError('cli/bad-argument', 'agora validate: --like-ci needs --changed', {
        hint: 'the pull-request check judges a range: add --changed BASE...HEAD --author LOGIN',
      })
    }
    if (likeCi && values.author === undefined) {
      throw new AgoraError('cli/bad-argument', 'agora validate: --like-ci needs --author', {
        hint: 'the pull-request check judges ownership against the author: add --author LOGIN',
      })
    }
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
    const report = createReporter(ctx, values.json === true)
    const root = await findRepoRoot(ctx.cwd, values.root)

    if (likeCi) {
      const ci = await validateLikeCi(ctx, root, values.changed as string, values.author as string)
      const issues = sortIssues(ciIssues(ci))
      const counts = summarizeIssues(issues)
      report.issues(issues)
      report.info(describeFiles(ci.blobs, ci.scans))
      report.info(formatSummary(counts, { items: ci.changes.items.length }))
      report.result({
        ok: ci.ok,
        issues,
        summary: { items: ci.changes.items.length, ...counts },
        changes: null,
        blobs: ci.blobs,
        scans: ci.scans,
        ci,
      } satisfies ValidateReport)
      return ci.ok ? EXIT_OK : EXIT_PROBLEMS
    }

    let result: Validated
    if (values.changed !== undefined) {
      result = await validateChanged(root, values.changed, values.author)
    } else if (positionals.length > 0) {
      result = await validatePaths(root, await selectPaths(root, ctx.cwd, positionals))
    } else {
      const { registry, issues } = await validateRegistry(root)
      result = {
        issues,
        items: registry.items.size,
        changes: null,
        registry,
        selected: [...registry.items.values()],
      }
    }

    let stored: { blobs: BlobInput[]; scans: ScanInput[]; issues: Issue[] } | undefined
    if (values.blobs === true || values.scan === true) {
      stored = await checkFiles(ctx, root, result, {
        blobs: values.blobs === true,
        scan: values.scan === true,
      })
      result.issues.push(...stored.issues)
    }

    const issues = sortIssues(result.issues)
    const counts = summarizeIssues(issues)
    report.issues(issues)
    const blobs = stored ? stored.blobs.map(toReportBlob) : null
    const scans = stored && values.scan === true ? stored.scans.map(toReportScan) : null
    if (blobs) report.info(describeFiles(blobs, scans ?? []))
    report.info(formatSummary(counts, { items: result.items }))
    const ok = !hasErrors(issues)
    const json: ValidateReport = {
      ok,
      issues,
      summary: { items: result.items, ...counts },
      changes: result.changes,
      blobs,
      scans,
      ci: null,
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
): Promise<Validated> {
  const { range, base, head, cache, gitFs } = await resolveChanged(root, rangeText)
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
  const addedManifests = (registry: Registry) => {
    const added = new Set<string>()
    for (const item of changes.items) {
      const loaded = registry.items.get(refKey(item.ref))
      for (const version of item.addedVersions) {
        if (loaded) added.add(`${loaded.dir}/versions/${version}.yaml`)
      }
    }
    return added
  }
  if (changes.hubFiles.length > 0) {
    const { registry, issues: found } = await validateRegistry(root)
    return {
      issues: [...issues, ...found],
      items: registry.items.size,
      changes,
      registry,
      selected: [...registry.items.values()],
      added: addedManifests(registry),
    }
  }
  const items = changes.items.filter((i) => i.status !== 'deleted').map((i) => i.ref)
  const owners = changes.owners.filter((o) => o.status !== 'deleted').map((o) => o.ns)
  const validated = await validatePaths(root, { items, owners, prefixes: [] })
  return {
    ...validated,
    issues: [...issues, ...validated.issues],
    changes,
    added: addedManifests(validated.registry),
  }
}

/** Parses and resolves a --changed range in the hub repository, which must be a Git work tree's top. */
async function resolveChanged(root: string, rangeText: string) {
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
  return { range, base, head, cache, gitFs }
}

/**
 * `--like-ci`: the Validate action's own pipeline (validatePullRequest) over
 * the range, with the store the action would open from this environment.
 */
async function validateLikeCi(
  ctx: CommandContext,
  root: string,
  rangeText: string,
  author: string,
): Promise<ValidationReport> {
  const { base, head } = await resolveChanged(root, rangeText)
  return validatePullRequest({
    fs,
    dir: root,
    base,
    head,
    author,
    // Not a pull request: the report's number is 0.
    number: 0,
    openStore: (hub) => openValidationStore(hub.storage, { root, env: ctx.env, fetch: ctx.fetch }),
    now: new Date(),
  })
}

/** The action's report as issues: its own, then one per failed blob and per finding of an unsafe scan. */
function ciIssues(report: ValidationReport): Issue[] {
  const scans: ScanInput[] = report.scans.map((s) => ({
    manifest: s.manifest,
    sha256: s.sha256,
    result: {
      path: s.path,
      format: s.format,
      verdict: s.verdict,
      verifiedFormat: s.verifiedFormat,
      findings: s.findings.map((f) => {
        const hint = SCAN_CODES[f.code as ScanCode]?.hint
        return hint === undefined ? f : { ...f, hint }
      }),
    },
  }))
  return [...report.issues, ...storedFileIssues({ blobs: report.blobs, scans })]
}

/**
 * `--blobs` and `--scan` over what a validation path selected, through the
 * pull-request check's own blob and scan step (checkStoredFiles).
 */
async function checkFiles(
  ctx: CommandContext,
  root: string,
  validated: Validated,
  wanted: { blobs: boolean; scan: boolean },
): Promise<{ blobs: BlobInput[]; scans: ScanInput[]; issues: Issue[] }> {
  const inScanScope = (manifest: string) =>
    wanted.scan && (validated.added === undefined || validated.added.has(manifest))
  const files: StoredFile[] = []
  for (const item of validated.selected) {
    for (const [version, manifest] of item.versions) {
      const path = `${item.dir}/versions/${version}.yaml`
      if (!wanted.blobs && !inScanScope(path)) continue
      for (const file of manifest.files ?? []) files.push({ manifest: path, file })
    }
  }
  if (files.length === 0) return { blobs: [], scans: [], issues: [] }
  let store: ReturnType<typeof openValidationStore>
  try {
    store = openValidationStore(validated.registry.hub.storage, {
      root,
      env: ctx.env,
      fetch: ctx.fetch,
    })
  } catch (error) {
    const issue: Issue = {
      code: 'storage/unavailable',
      severity: 'error',
      message: `could not open the hub's blob storage: ${error instanceof Error ? error.message : String(error)}`,
      hint: 'check storage in registry/agora.yaml, and AWS_* credentials or storage.public_url for S3',
      file: 'registry/agora.yaml',
    }
    return { blobs: [], scans: [], issues: [issue] }
  }
  const checked = await checkStoredFiles(files, {
    store,
    scan: (f) => inScanScope(f.manifest),
  })
  return { ...checked, issues: storedFileIssues(checked) }
}

function toReportBlob(b: BlobInput): ReportBlob {
  return {
    path: b.path,
    manifest: b.manifest,
    sha256: b.sha256,
    size: b.size,
    status: b.status,
    ...(b.message === undefined ? {} : { message: b.message }),
  }
}

function toReportScan({ manifest, sha256, result }: ScanInput): ReportScan {
  return {
    path: result.path,
    manifest,
    sha256,
    format: result.format,
    verdict: result.verdict,
    verifiedFormat: result.verifiedFormat,
    findings: result.findings.map((f) => ({
      code: f.code,
      severity: f.severity,
      message: f.message,
    })),
  }
}

/** One line on what was read from the store. */
function describeFiles(blobs: readonly ReportBlob[], scans: readonly ReportScan[]): string {
  const bad = blobs.filter((b) => b.status !== 'ok').length
  const unsafe = scans.filter((s) => s.verdict !== 'safe').length
  return `blobs: ${blobs.length} checked, ${bad} failed; scans: ${plural(scans.length, 'file')}, ${unsafe} not safe`
}

async function validatePaths(root: string, selection: Selection): Promise<Validated> {
  if (selection.prefixes.length > 0) {
    const { registry, issues } = await validateRegistry(root)
    const under = (file: string | undefined) =>
      file !== undefined && selection.prefixes.some((p) => file === p || file.startsWith(`${p}/`))
    const selected = [...registry.items.values()].filter((i) => under(i.dir))
    return {
      issues: issues.filter((i) => under(i.file)),
      items: selected.length,
      changes: null,
      registry,
      selected,
    }
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
  return {
    issues,
    items: registry.items.size,
    changes: null,
    registry,
    selected: [...registry.items.values()],
  }
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
