import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { isAgoraError } from '#core/errors'
import { LABELS } from './labels.ts'
import { COMMENT_MARKER } from './render-comment.ts'
import { isRegistryDataPath, reportPullRequest } from './report-pull-request.ts'
import { parseReport, type ValidationReport } from './report-schema.ts'
import { createGitHubStub } from './testing/github-stub.ts'

const REPO = '/repos/acme/hub'
const ALL_LABELS = LABELS.map((name, id) => ({ id, name }))

function fixture(name: string): ValidationReport {
  const { value, issues } = parseReport(
    readFileSync(new URL(`__fixtures__/${name}`, import.meta.url)),
  )
  if (!value) throw new Error(issues.map((i) => i.message).join('\n'))
  return value
}

function pull(report: ValidationReport, labels: string[] = []) {
  return {
    number: report.pullRequest.number,
    state: 'open',
    changed_files: report.changes.filesChanged,
    user: { login: report.pullRequest.author, type: 'User' },
    head: { sha: report.pullRequest.headSha, ref: 'feature' },
    base: { sha: report.pullRequest.baseSha, ref: 'main' },
    labels: labels.map((name, id) => ({ id, name })),
  }
}

function files(report: ValidationReport, extra: string[] = []) {
  return [
    ...report.changes.items.flatMap((i) => [...i.addedFiles, ...i.modifiedFiles]),
    ...extra,
  ].map((filename) => ({ filename, status: 'added' }))
}

describe('core/github/report-pull-request', () => {
  it('posts a check run, creates the sticky comment and sets labels for a passing version bump', async () => {
    const report = fixture('report-pass.json')
    const gh = createGitHubStub()
      .expect({
        method: 'GET',
        path: `${REPO}/pulls/7`,
        response: pull(report, ['bug', 'validation-failed']),
      })
      .expect({
        method: 'GET',
        path: `${REPO}/pulls/7/files`,
        query: { page: '1' },
        response: files(report),
      })
      .expect({ method: 'POST', path: `${REPO}/check-runs`, response: { id: 41 } })
      .expect({
        method: 'GET',
        path: `${REPO}/issues/7/comments`,
        query: { page: '1' },
        response: [],
      })
      .expect({ method: 'POST', path: `${REPO}/issues/7/comments`, response: { id: 99 } })
      .expect({
        method: 'DELETE',
        path: `${REPO}/issues/7/labels/validation-failed`,
        status: 200,
        response: [],
      })
      .expect({ method: 'GET', path: `${REPO}/labels`, response: ALL_LABELS })
      .expect({ method: 'POST', path: `${REPO}/issues/7/labels`, status: 200, response: [] })

    const result = await reportPullRequest(gh.octokit, {
      owner: 'acme',
      repo: 'hub',
      report,
      headSha: report.pullRequest.headSha,
      runUrl: 'https://github.com/acme/hub/actions/runs/5',
    })
    gh.assertDone()
    expect(result).toMatchObject({
      trusted: true,
      labels: ['validation-passed', 'auto-merge'],
      checkRun: { id: 41, conclusion: 'success', annotations: 1 },
      comment: { id: 99, action: 'created' },
      added: ['validation-passed', 'auto-merge'],
      removed: ['validation-failed'],
    })
    const check = gh.calls.find((c) => c.operationId === 'checks/create')?.body as Record<
      string,
      unknown
    >
    expect(check).toMatchObject({
      head_sha: report.pullRequest.headSha,
      status: 'completed',
      conclusion: 'success',
    })
    const comment = gh.calls.find((c) => c.operationId === 'issues/create-comment')?.body as {
      body: string
    }
    expect(comment.body.startsWith(COMMENT_MARKER)).toBe(true)
    const labels = gh.calls.find((c) => c.operationId === 'issues/add-labels')?.body
    expect(labels).toEqual({ labels: ['validation-passed', 'auto-merge'] })
  })

  it('edits its own comment on the second run instead of adding one, ignoring markers planted by others', async () => {
    const report = fixture('report-pass.json')
    const comments = [
      { id: 5, user: { login: 'mallory' }, body: `${COMMENT_MARKER} planted` },
      { id: 6, user: { login: 'github-actions[bot]' }, body: `${COMMENT_MARKER}\nold result` },
    ]
    const gh = createGitHubStub()
      .expect({
        method: 'GET',
        path: `${REPO}/pulls/7`,
        response: pull(report, ['validation-passed', 'auto-merge', 'good first issue']),
      })
      .expect({ method: 'GET', path: `${REPO}/pulls/7/files`, response: files(report) })
      .expect({ method: 'POST', path: `${REPO}/check-runs`, response: { id: 42 } })
      .expect({ method: 'GET', path: `${REPO}/issues/7/comments`, response: comments })
      .expect({ method: 'PATCH', path: `${REPO}/issues/comments/6`, response: { id: 6 } })

    const result = await reportPullRequest(gh.octokit, {
      owner: 'acme',
      repo: 'hub',
      report,
      headSha: report.pullRequest.headSha,
    })
    gh.assertDone()
    expect(result.comment).toEqual({ id: 6, action: 'updated' })
    expect(result.added).toEqual([])
    expect(result.removed).toEqual([])
    expect(gh.calls.some((c) => c.operationId === 'issues/create-comment')).toBe(false)
  })

  it('refuses to post anything when the report is about another commit than the run', async () => {
    const report = fixture('report-pass.json')
    const gh = createGitHubStub()
    const error = await reportPullRequest(gh.octokit, {
      owner: 'acme',
      repo: 'hub',
      report,
      headSha: '9999999999999999999999999999999999999999',
    }).catch((e: unknown) => e)
    expect(isAgoraError(error) && error.code).toBe('github/head-sha-mismatch')
    expect(gh.calls).toEqual([])
    gh.assertDone()
  })

  it('refuses when the pull request has moved on or has another author', async () => {
    const report = fixture('report-pass.json')
    const moved = createGitHubStub().expect({
      method: 'GET',
      path: `${REPO}/pulls/7`,
      response: { ...pull(report), head: { sha: 'a'.repeat(40), ref: 'x' } },
    })
    const headSha = report.pullRequest.headSha
    const e1 = await reportPullRequest(moved.octokit, {
      owner: 'acme',
      repo: 'hub',
      report,
      headSha,
    }).catch((e: unknown) => e)
    expect(isAgoraError(e1) && e1.code).toBe('github/stale-report')
    moved.assertDone()

    const other = createGitHubStub().expect({
      method: 'GET',
      path: `${REPO}/pulls/7`,
      response: { ...pull(report), user: { login: 'mallory' } },
    })
    const e2 = await reportPullRequest(other.octokit, {
      owner: 'acme',
      repo: 'hub',
      report,
      headSha,
    }).catch((e: unknown) => e)
    expect(isAgoraError(e2) && e2.code).toBe('github/author-mismatch')
    other.assertDone()
  })

  it('does not trust a passing report from a pull request that changes validation code', async () => {
    const report = fixture('report-pass.json')
    const changed = files(report, ['actions/validate/main.ts'])
    const gh = createGitHubStub()
      .expect({
        method: 'GET',
        path: `${REPO}/pulls/7`,
        response: { ...pull(report), changed_files: 2 },
      })
      .expect({ method: 'GET', path: `${REPO}/pulls/7/files`, response: changed })
      .expect({ method: 'POST', path: `${REPO}/check-runs`, response: { id: 43 } })
      .expect({ method: 'GET', path: `${REPO}/issues/7/comments`, response: [] })
      .expect({ method: 'POST', path: `${REPO}/issues/7/comments`, response: { id: 100 } })
      .expect({ method: 'GET', path: `${REPO}/labels`, response: ALL_LABELS })
      .expect({ method: 'POST', path: `${REPO}/issues/7/labels`, status: 200, response: [] })
    const result = await reportPullRequest(gh.octokit, {
      owner: 'acme',
      repo: 'hub',
      report,
      headSha: report.pullRequest.headSha,
    })
    gh.assertDone()
    expect(result.trusted).toBe(false)
    expect(result.checkRun.conclusion).toBe('neutral')
    expect(result.labels).toEqual(['validation-passed', 'needs-review', 'outside-registry'])
    const comment = gh.calls.find((c) => c.operationId === 'issues/create-comment')?.body as
      | { body: string }
      | undefined
    expect(comment?.body).toContain('this result is not trusted. A maintainer must review it.')
    const check = gh.calls.find((c) => c.operationId === 'checks/create')?.body as
      | { output: { title: string } }
      | undefined
    expect(check?.output.title).toBe('Not trusted: the pull request changes validation code')
  })

  it('sends annotations 50 per call, the rest through check-run updates', async () => {
    const base = fixture('report-pass.json')
    const issues = Array.from({ length: 120 }, (_, i) => ({
      code: 'manifest/bad-field',
      severity: 'error' as const,
      message: `problem ${i}`,
      file: 'registry/models/ac/acme/tox-gnn/item.yaml',
      line: i + 1,
      col: 2,
    }))
    const report: ValidationReport = { ...base, ok: false, issues }
    const gh = createGitHubStub()
      .expect({ method: 'GET', path: `${REPO}/pulls/7`, response: pull(report) })
      .expect({ method: 'GET', path: `${REPO}/pulls/7/files`, response: files(report) })
      .expect({ method: 'POST', path: `${REPO}/check-runs`, response: { id: 44 } })
      .expect({ method: 'PATCH', path: `${REPO}/check-runs/44`, response: { id: 44 } })
      .expect({ method: 'PATCH', path: `${REPO}/check-runs/44`, response: { id: 44 } })
      .expect({ method: 'GET', path: `${REPO}/issues/7/comments`, response: [] })
      .expect({ method: 'POST', path: `${REPO}/issues/7/comments`, response: { id: 101 } })
      .expect({ method: 'GET', path: `${REPO}/labels`, response: ALL_LABELS })
      .expect({ method: 'POST', path: `${REPO}/issues/7/labels`, status: 200, response: [] })
    const result = await reportPullRequest(gh.octokit, {
      owner: 'acme',
      repo: 'hub',
      report,
      headSha: report.pullRequest.headSha,
    })
    gh.assertDone()
    expect(result.checkRun).toEqual({ id: 44, conclusion: 'failure', annotations: 120 })
    const sizes = gh.calls
      .filter((c) => c.operationId.startsWith('checks/'))
      .map((c) => (c.body as { output: { annotations: unknown[] } }).output.annotations.length)
    expect(sizes).toEqual([50, 50, 20])
  })

  it('tells registry data from the code validation runs on', () => {
    expect(isRegistryDataPath('registry/models/ac/acme/x/versions/1.0.0.yaml')).toBe(true)
    expect(isRegistryDataPath('registry/owners/acme.yaml')).toBe(true)
    expect(isRegistryDataPath('registry/schemas/item.schema.json')).toBe(false)
    expect(isRegistryDataPath('registry/agora.yaml')).toBe(false)
    expect(isRegistryDataPath('.github/workflows/validate.yml')).toBe(false)
    expect(isRegistryDataPath('registry/../package.json')).toBe(false)
  })
})
