import { copyFile, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { COMMENT_MARKER, LABELS, type ValidationReport } from '#core/github'
import { createGitHubStub } from '../../core/github/testing/github-stub.ts'
import { EXIT_OK, EXIT_REFUSED, runReport } from './main.ts'

const FIXTURE = fileURLToPath(
  new URL('../../core/github/__fixtures__/report-hostile.json', import.meta.url),
)
const REPO = '/repos/acme/hub'

let dir: string
let report: ValidationReport
let out: string[]
const stdout = new Writable({
  write(chunk, _encoding, done) {
    out.push(String(chunk))
    done()
  },
})

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    GITHUB_REPOSITORY: 'acme/hub',
    INPUT_REPORT_PATH: join(dir, 'agora-report.json'),
    INPUT_HEAD_SHA: report.pullRequest.headSha,
    INPUT_RUN_URL: 'https://github.com/acme/hub/actions/runs/77',
    GITHUB_OUTPUT: join(dir, 'output.txt'),
    ...extra,
  }
}

describe('actions/report/main', () => {
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-report-'))
    await copyFile(FIXTURE, join(dir, 'agora-report.json'))
    await writeFile(join(dir, 'output.txt'), '')
    report = JSON.parse(await readFile(FIXTURE, 'utf8')) as ValidationReport
    out = []
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('posts a hostile report as inert text, with labels decided here rather than read from it', async () => {
    const gh = createGitHubStub()
      .expect({
        method: 'GET',
        path: `${REPO}/pulls/8`,
        response: {
          number: 8,
          changed_files: 2,
          user: { login: 'mallory' },
          head: { sha: report.pullRequest.headSha },
          labels: [{ name: 'auto-merge' }, { name: 'help wanted' }],
        },
      })
      .expect({
        method: 'GET',
        path: `${REPO}/pulls/8/files`,
        response: report.changes.items
          .flatMap((i) => [...i.addedFiles, ...i.modifiedFiles])
          .map((filename) => ({ filename })),
      })
      .expect({ method: 'POST', path: `${REPO}/check-runs`, response: { id: 5 } })
      .expect({ method: 'GET', path: `${REPO}/issues/8/comments`, response: [] })
      .expect({ method: 'POST', path: `${REPO}/issues/8/comments`, response: { id: 6 } })
      .expect({
        method: 'DELETE',
        path: `${REPO}/issues/8/labels/auto-merge`,
        status: 200,
        response: [],
      })
      .expect({ method: 'GET', path: `${REPO}/labels`, response: LABELS.map((name) => ({ name })) })
      .expect({ method: 'POST', path: `${REPO}/issues/8/labels`, status: 200, response: [] })
    expect(await runReport({ env: env(), stdout, octokit: gh.octokit })).toBe(EXIT_OK)
    gh.assertDone()
    const posted = gh.calls.find((c) => c.operationId === 'issues/create-comment')?.body as
      | { body: string }
      | undefined
    const comment = posted?.body ?? ''
    expect(comment.startsWith(COMMENT_MARKER)).toBe(true)
    expect(comment).not.toMatch(/<img|<script|\]\(javascript|(^|[^`])@everyone/)
    const check = gh.calls.find((c) => c.operationId === 'checks/create')?.body as {
      details_url: string
      conclusion: string
      output: {
        title: string
        annotations: { path: string; start_line: number; message: string }[]
      }
    }
    expect(check.conclusion).toBe('failure')
    expect(check.output.title).toBe('1 error, 1 unsafe file')
    expect(check.details_url).toBe('https://github.com/acme/hub/actions/runs/77')
    expect(check.output.annotations.map((a) => [a.path, a.start_line])).toEqual([
      ['registry/models/ac/acme/tox-gnn/item.yaml', 3],
      ['registry/models/ac/acme/tox-gnn/versions/2.0.0.yaml', 1],
    ])
    // The report claims validation-passed and auto-merge; the labels come from its findings instead.
    const labels = gh.calls.find((c) => c.operationId === 'issues/add-labels')?.body
    expect(labels).toEqual({
      labels: ['validation-failed', 'author-not-authorized', 'scan-failed'],
    })
    expect(await readFile(join(dir, 'output.txt'), 'utf8')).toBe(
      'labels=validation-failed,author-not-authorized,scan-failed\nconclusion=failure\n',
    )
  })

  it('refuses a report about another commit than the workflow run, posting nothing', async () => {
    const gh = createGitHubStub()
    const code = await runReport({
      env: env({ INPUT_HEAD_SHA: 'f'.repeat(40) }),
      stdout,
      octokit: gh.octokit,
    })
    expect(code).toBe(EXIT_REFUSED)
    expect(out.join('')).toMatch(
      /^::error title=agora\/report::github\/head-sha-mismatch {2}the report is about commit 333333333333/,
    )
    expect(gh.calls).toEqual([])
    gh.assertDone()
  })

  it('stands down with a warning when the pull request has moved on', async () => {
    const gh = createGitHubStub().expect({
      method: 'GET',
      path: `${REPO}/pulls/8`,
      response: {
        number: 8,
        user: { login: 'mallory' },
        head: { sha: 'a'.repeat(40) },
        labels: [],
      },
    })
    expect(await runReport({ env: env(), stdout, octokit: gh.octokit })).toBe(EXIT_OK)
    expect(out.join('')).toMatch(/^::warning title=agora\/report::github\/stale-report/)
    gh.assertDone()
  })

  it('refuses a report with fields it does not know, posting nothing', async () => {
    await writeFile(join(dir, 'agora-report.json'), JSON.stringify({ ...report, merge: true }))
    const gh = createGitHubStub()
    expect(await runReport({ env: env(), stdout, octokit: gh.octokit })).toBe(EXIT_REFUSED)
    expect(out.join('')).toContain('github/report-invalid')
    expect(gh.calls).toEqual([])
  })

  it('does not follow a link out of the artifact', async () => {
    await rm(join(dir, 'agora-report.json'))
    await symlink(FIXTURE, join(dir, 'agora-report.json'))
    const gh = createGitHubStub()
    expect(await runReport({ env: env(), stdout, octokit: gh.octokit })).toBe(EXIT_REFUSED)
    expect(out.join('')).toMatch(/could not read the report: ELOOP/)
    expect(gh.calls).toEqual([])
  })

  it('refuses inputs that do not come from a workflow_run event', async () => {
    const gh = createGitHubStub()
    expect(
      await runReport({ env: env({ INPUT_HEAD_SHA: 'main' }), stdout, octokit: gh.octokit }),
    ).toBe(EXIT_REFUSED)
    expect(
      await runReport({ env: env({ GITHUB_REPOSITORY: 'acme' }), stdout, octokit: gh.octokit }),
    ).toBe(EXIT_REFUSED)
    expect(gh.calls).toEqual([])
  })
})
