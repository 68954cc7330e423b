import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from 'yaml'
import type { Issue } from '#core/errors'

/**
 * Checks a GitHub workflow (or a composite action's action.yml) for the
 * patterns behind most Actions compromises: the "pwn request", template
 * injection, unpinned actions, leaked checkout credentials, broad tokens,
 * fork code on self-hosted runners. actionlint checks syntax and types; this
 * checks Agora's safety rules on top (zizmor's and Scorecard's checks, in
 * small). Pure; returns issues with file:line:col.
 */

/** Triggers whose runs execute pull-request code, or run privileged because of it. */
const PR_TRIGGERS = [
  'pull_request',
  'pull_request_target',
  'workflow_run',
  'issue_comment',
  'pull_request_review',
  'pull_request_review_comment',
]
/** Triggers that run with secrets and a write token in the base repository's context. */
const PRIVILEGED_TRIGGERS = ['pull_request_target', 'workflow_run']

/**
 * Expressions an outsider controls. Anything under github.event is text from
 * the triggering user or an artifact of it (titles, bodies, branch names,
 * commit messages, logins); head_ref is a branch name; inputs of a composite
 * action are whatever its caller passed.
 */
const UNTRUSTED_EXPRESSION = /\$\{\{[^}]*\b(github\.event\b|github\.head_ref\b|inputs\.)[^}]*\}\}/

/** A ref that points a checkout at pull-request code. */
const PR_REF =
  /(github\.event\.pull_request\.head|github\.head_ref|refs\/pull\/|github\.event\.workflow_run\.head_(sha|branch)|github\.event\.issue\.pull_request|github\.event\.number)/

const PINNED = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+(\/[^@\s]+)?@[0-9a-f]{40}$/
const VERSION_COMMENT = /^\s*v\d+(\.\d+){0,2}\b/

export interface AuditOptions {
  /** `workflow` for .github/workflows/*.yml, `action` for an action.yml. */
  kind?: 'workflow' | 'action'
}

/**
 * Audits one workflow or action file and returns every problem found.
 *
 * @example
 * auditWorkflow(await readFile('.github/workflows/ci.yml', 'utf8'), '.github/workflows/ci.yml')
 * // [] when clean; else issues such as { code: 'workflow/unpinned-uses', line: 12, … }
 */
export function auditWorkflow(source: string, file: string, options: AuditOptions = {}): Issue[] {
  const kind = options.kind ?? (/(^|\/)action\.ya?ml$/.test(file) ? 'action' : 'workflow')
  const lines = new LineCounter()
  const doc = parseDocument(source, { lineCounter: lines })
  const issues: Issue[] = []
  const at = (node: Node | null | undefined) => {
    const offset = node?.range?.[0]
    if (offset === undefined) return { line: 1, col: 1 }
    const pos = lines.linePos(offset)
    return { line: pos.line, col: pos.col }
  }
  const push = (code: string, node: Node | null | undefined, message: string, hint: string) => {
    issues.push({ code, severity: 'error', message, hint, file, ...at(node) })
  }
  if (doc.errors.length > 0 || !isMap(doc.contents)) {
    push(
      'workflow/unreadable',
      doc.contents,
      'the file is not a YAML mapping',
      'fix the YAML; actionlint shows where',
    )
    return issues
  }
  const root = doc.contents as YAMLMap

  if (kind === 'action') {
    const steps = root.getIn(['runs', 'steps'], true)
    if (isSeq(steps)) for (const step of steps.items) if (isMap(step)) checkStep(step, push)
    return issues
  }

  const triggers = triggerNames(root.get('on', true) as Node | undefined)
  const prTriggered = triggers.some((t) => PR_TRIGGERS.includes(t))
  const privileged = triggers.some((t) => PRIVILEGED_TRIGGERS.includes(t))

  const permissions = root.get('permissions', true) as Node | undefined
  if (permissions === undefined) {
    push(
      'workflow/missing-permissions',
      root,
      'the workflow sets no top-level permissions, so every job gets the repository’s default token',
      'add `permissions: contents: read` at the top and grant more per job',
    )
  } else if (isScalar(permissions) && permissions.value === 'write-all') {
    push(
      'workflow/broad-permissions',
      permissions,
      'top-level permissions are write-all',
      'use `permissions: contents: read` and elevate per job',
    )
  } else if (isMap(permissions)) {
    for (const pair of permissions.items) {
      if (isScalar(pair.value) && pair.value.value === 'write') {
        push(
          'workflow/broad-permissions',
          pair.value,
          `top-level permission ${String(isScalar(pair.key) ? pair.key.value : pair.key)}: write applies to every job`,
          'keep the top level at `contents: read` and grant write to the one job that needs it',
        )
      }
    }
  }

  const concurrency = root.get('concurrency', true) as Node | undefined
  const cancels =
    isMap(concurrency) &&
    isScalar(concurrency.get('cancel-in-progress', true)) &&
    (concurrency.get('cancel-in-progress', true) as { value: unknown }).value === true
  if (!cancels) {
    push(
      'workflow/missing-concurrency',
      concurrency ?? root,
      'the workflow has no concurrency group that cancels superseded runs',
      'add a top-level `concurrency:` with a `group:` per workflow and ref and `cancel-in-progress: true`',
    )
  }

  const jobs = root.get('jobs', true)
  if (!isMap(jobs)) return issues
  for (const pair of jobs.items) {
    const job = pair.value
    if (!isMap(job)) continue
    const runsOn = job.get('runs-on', true) as Node | undefined
    if (prTriggered && mentionsSelfHosted(runsOn)) {
      push(
        'workflow/self-hosted-pr',
        runsOn,
        'a job triggered by pull requests runs on a self-hosted runner, where fork code could persist',
        'run pull-request jobs on GitHub-hosted runners; keep self-hosted pools for trusted triggers',
      )
    }
    const uses = job.get('uses', true) as Node | undefined
    if (uses) checkUses(uses, push)
    const steps = job.get('steps', true)
    if (!isSeq(steps)) continue
    for (const step of steps.items) {
      if (!isMap(step)) continue
      checkStep(step, push)
      if (privileged && isCheckout(step)) {
        const ref = step.getIn(['with', 'ref'], true) as Node | undefined
        const repository = step.getIn(['with', 'repository'], true) as Node | undefined
        const text = `${scalarText(ref)} ${scalarText(repository)}`
        if (PR_REF.test(text) || /head_repository/.test(text)) {
          push(
            'workflow/privileged-checkout',
            ref ?? repository,
            `a ${triggers.filter((t) => PRIVILEGED_TRIGGERS.includes(t)).join('/')} workflow checks out pull-request code, which then runs with secrets and a write token`,
            'validate on `pull_request` with a read-only token and pass results as an artifact; check out only the base branch here',
          )
        }
      }
    }
  }
  return issues
}

type Push = (code: string, node: Node | null | undefined, message: string, hint: string) => void

function checkStep(step: YAMLMap, push: Push): void {
  const uses = step.get('uses', true) as Node | undefined
  if (uses) checkUses(uses, push)
  const run = step.get('run', true) as Node | undefined
  const runText = scalarText(run)
  const injected = UNTRUSTED_EXPRESSION.exec(runText)
  if (injected) {
    push(
      'workflow/template-injection',
      run,
      `run: interpolates ${injected[0]} into the script, so its text becomes shell code`,
      'pass the value through the step’s `env:` and use the variable ("$TITLE") in the script',
    )
  }
  const script = step.getIn(['with', 'script'], true) as Node | undefined
  const scriptInjected = UNTRUSTED_EXPRESSION.exec(scalarText(script))
  if (scriptInjected) {
    push(
      'workflow/template-injection',
      script,
      `script: interpolates ${scriptInjected[0]} into code`,
      'read the value from process.env or context.payload inside the script instead',
    )
  }
  if (isCheckout(step)) {
    const persist = step.getIn(['with', 'persist-credentials'], true) as Node | undefined
    if (!(isScalar(persist) && persist.value === false)) {
      push(
        'workflow/persist-credentials',
        persist ?? uses,
        'actions/checkout leaves the token in .git/config for every later step to read',
        'set `with: { persist-credentials: false }`',
      )
    }
  }
}

function checkUses(uses: Node, push: Push): void {
  const value = scalarText(uses).trim()
  if (value.startsWith('./') || /^docker:\/\/[^@]+@sha256:[0-9a-f]{64}$/.test(value)) return
  if (!PINNED.test(value)) {
    push(
      'workflow/unpinned-uses',
      uses,
      `uses: ${value.slice(0, 120)} is not pinned to a full commit SHA, so a moved tag changes what runs`,
      'pin it as owner/repo@<40-hex commit> # vX.Y.Z',
    )
    return
  }
  const comment = isScalar(uses) ? uses.comment : undefined
  if (!comment || !VERSION_COMMENT.test(comment)) {
    push(
      'workflow/unpinned-uses',
      uses,
      `uses: ${value.slice(0, 120)} has no # vX.Y.Z comment naming the pinned release`,
      'add the release tag the SHA belongs to as a comment, so reviewers and Dependabot can read it',
    )
  }
}

function isCheckout(step: YAMLMap): boolean {
  return /^actions\/checkout@/.test(scalarText(step.get('uses', true) as Node | undefined).trim())
}

function mentionsSelfHosted(node: Node | undefined): boolean {
  if (node === undefined) return false
  if (isScalar(node)) return String(node.value).includes('self-hosted')
  if (isSeq(node)) return node.items.some((item) => mentionsSelfHosted(item as Node))
  if (isMap(node)) return node.items.some((pair) => mentionsSelfHosted(pair.value as Node))
  return false
}

function triggerNames(on: Node | undefined): string[] {
  if (on === undefined) return []
  if (isScalar(on)) return [String(on.value)]
  if (isSeq(on)) return on.items.map((item) => (isScalar(item) ? String(item.value) : ''))
  if (isMap(on)) return on.items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : ''))
  return []
}

function scalarText(node: Node | null | undefined): string {
  return node && isScalar(node) ? String(node.value ?? '') : ''
}
