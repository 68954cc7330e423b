import { describe, expect, it } from 'vitest'
import { upsertStickyComment } from './sticky-comment.ts'
import { syncLabels } from './sync-labels.ts'
import { createGitHubStub } from './testing/github-stub.ts'

const REPO = '/repos/acme/hub'

describe('core/github/sync-labels', () => {
  it('reads the labels when not given, removes stale taxonomy labels, tolerates one already gone', async () => {
    const gh = createGitHubStub()
      .expect({
        method: 'GET',
        path: `${REPO}/issues/4/labels`,
        response: [{ name: 'scan-failed' }, { name: 'blob-missing' }, { name: 'question' }],
      })
      .expect({
        method: 'DELETE',
        path: `${REPO}/issues/4/labels/scan-failed`,
        status: 200,
        response: [],
      })
      .expect({
        method: 'DELETE',
        path: `${REPO}/issues/4/labels/blob-missing`,
        status: 404,
        response: { message: 'Label does not exist' },
      })
      .expect({
        method: 'GET',
        path: `${REPO}/labels`,
        response: [{ name: 'validation-passed' }, { name: 'question' }],
      })
      .expect({ method: 'POST', path: `${REPO}/labels`, response: (body: unknown) => body })
      .expect({ method: 'POST', path: `${REPO}/issues/4/labels`, status: 200, response: [] })
    const result = await syncLabels(gh.octokit, {
      owner: 'acme',
      repo: 'hub',
      issueNumber: 4,
      labels: ['validation-passed', 'needs-review'],
    })
    gh.assertDone()
    // Only the label the repository lacked is created, with its colour and description.
    expect(
      gh.calls.filter((c) => c.operationId === 'issues/create-label').map((c) => c.body),
    ).toEqual([{ name: 'needs-review', color: 'fbca04', description: 'Waits for a maintainer' }])
    expect(result).toEqual({
      added: ['validation-passed', 'needs-review'],
      removed: ['scan-failed', 'blob-missing'],
    })
  })

  it('makes no call when the labels are already right', async () => {
    const gh = createGitHubStub()
    const result = await syncLabels(gh.octokit, {
      owner: 'acme',
      repo: 'hub',
      issueNumber: 4,
      labels: ['validation-passed'],
      current: ['validation-passed', 'question'],
    })
    expect(result).toEqual({ added: [], removed: [] })
    expect(gh.calls).toEqual([])
  })
})

describe('core/github/sticky-comment', () => {
  it('leaves an identical comment alone and pages through long threads', async () => {
    const body = '<!-- agora-report -->\nsame'
    const filler = Array.from({ length: 100 }, (_, i) => ({
      id: i + 1,
      user: { login: 'someone' },
      body: 'hi',
    }))
    const gh = createGitHubStub()
      .expect({
        method: 'GET',
        path: `${REPO}/issues/4/comments`,
        query: { page: '1' },
        response: filler,
      })
      .expect({
        method: 'GET',
        path: `${REPO}/issues/4/comments`,
        query: { page: '2' },
        response: [{ id: 500, user: { login: 'github-actions[bot]' }, body }],
      })
    const result = await upsertStickyComment(gh.octokit, {
      owner: 'acme',
      repo: 'hub',
      issueNumber: 4,
      body,
    })
    gh.assertDone()
    expect(result).toEqual({ id: 500, action: 'unchanged' })
  })

  it('refuses a body without its marker', async () => {
    const gh = createGitHubStub()
    await expect(
      upsertStickyComment(gh.octokit, { owner: 'acme', repo: 'hub', issueNumber: 4, body: 'x' }),
    ).rejects.toThrow(/lacks its marker/)
  })
})
