import { describe, expect, it } from 'vitest'
import { isAgoraError } from '#core/errors'
import { dispatchWorkflow, mergeReadyPullRequests } from './merge-ready.ts'
import { checkRequest, createGitHubStub } from './testing/github-stub.ts'

const REPO = '/repos/acme/hub'
const head = (c: string) => c.repeat(40)

function pull(number: number, sha: string, labels: string[], extra: Record<string, unknown> = {}) {
  return { number, draft: false, head: { sha }, labels: labels.map((name) => ({ name })), ...extra }
}

function checks(sha: string, conclusion: string, slug = 'github-actions') {
  return {
    total_count: 1,
    check_runs: [{ id: 1, head_sha: sha, status: 'completed', conclusion, app: { slug } }],
  }
}

describe('core/github/merge-ready', () => {
  it('merges only labelled pull requests whose exact head passed the Agora check', async () => {
    const gh = createGitHubStub()
      .expect({
        method: 'GET',
        path: `${REPO}/issues`,
        query: { labels: 'auto-merge', state: 'open' },
        response: [
          { number: 1, pull_request: {} },
          { number: 2, pull_request: {} },
          { number: 3, pull_request: {} },
          { number: 4, pull_request: {} },
          { number: 5 },
        ],
      })
      .expect({
        method: 'GET',
        path: `${REPO}/pulls/1`,
        response: pull(1, head('a'), ['validation-passed', 'auto-merge']),
      })
      .expect({
        method: 'GET',
        path: `${REPO}/commits/${head('a')}/check-runs`,
        query: { check_name: 'Agora validation' },
        response: checks(head('a'), 'success'),
      })
      .expect({
        method: 'PUT',
        path: `${REPO}/pulls/1/merge`,
        status: 200,
        response: { merged: true, sha: head('f') },
      })
      .expect({
        method: 'GET',
        path: `${REPO}/git/commits/${head('f')}`,
        response: { sha: head('f'), parents: [{ sha: head('e') }] },
      })
      .expect({
        method: 'GET',
        path: `${REPO}/pulls/2`,
        response: pull(2, head('b'), ['auto-merge', 'needs-review']),
      })
      .expect({
        method: 'GET',
        path: `${REPO}/pulls/3`,
        response: pull(3, head('c'), ['auto-merge']),
      })
      .expect({
        method: 'GET',
        path: `${REPO}/commits/${head('c')}/check-runs`,
        response: checks(head('c'), 'success', 'someone-elses-app'),
      })
      .expect({
        method: 'GET',
        path: `${REPO}/pulls/4`,
        response: pull(4, head('d'), ['auto-merge']),
      })
      .expect({
        method: 'GET',
        path: `${REPO}/commits/${head('d')}/check-runs`,
        response: checks(head('d'), 'success'),
      })
      .expect({
        method: 'PUT',
        path: `${REPO}/pulls/4/merge`,
        status: 409,
        response: { message: 'Head branch was modified. Review and try the merge again.' },
      })

    const outcome = await mergeReadyPullRequests(gh.octokit, { owner: 'acme', repo: 'hub' })
    gh.assertDone()
    expect(outcome).toEqual({
      merged: [1],
      changes: [{ number: 1, base: head('e'), head: head('f') }],
      skipped: [
        { number: 2, reason: 'labelled needs-review' },
        { number: 3, reason: `no passing Agora validation check on ${head('c').slice(0, 12)}` },
        { number: 4, reason: 'GitHub refused the merge (409)' },
      ],
    })
    const merge = gh.calls.find((c) => c.operationId === 'pulls/merge')?.body
    expect(merge).toEqual({ sha: head('a'), merge_method: 'squash' })
  })

  it('finds the branch before a rebase merge by going back one commit per pull-request commit', async () => {
    const gh = createGitHubStub()
      .expect({
        method: 'GET',
        path: `${REPO}/issues`,
        response: [{ number: 7, pull_request: {} }],
      })
      .expect({
        method: 'GET',
        path: `${REPO}/pulls/7`,
        response: pull(7, head('a'), ['auto-merge'], { commits: 2 }),
      })
      .expect({
        method: 'GET',
        path: `${REPO}/commits/${head('a')}/check-runs`,
        response: checks(head('a'), 'success'),
      })
      .expect({
        method: 'PUT',
        path: `${REPO}/pulls/7/merge`,
        status: 200,
        response: { merged: true, sha: head('3') },
      })
      .expect({
        method: 'GET',
        path: `${REPO}/git/commits/${head('3')}`,
        response: { sha: head('3'), parents: [{ sha: head('2') }] },
      })
      .expect({
        method: 'GET',
        path: `${REPO}/git/commits/${head('2')}`,
        response: { sha: head('2'), parents: [{ sha: head('1') }] },
      })
    const outcome = await mergeReadyPullRequests(gh.octokit, {
      owner: 'acme',
      repo: 'hub',
      mergeMethod: 'rebase',
    })
    gh.assertDone()
    expect(outcome.changes).toEqual([{ number: 7, base: head('1'), head: head('3') }])
  })

  it('starts the deploy by workflow_dispatch, and says how to fix a refusal', async () => {
    const gh = createGitHubStub().expect({
      method: 'POST',
      path: `${REPO}/actions/workflows/deploy.yml/dispatches`,
      status: 204,
    })
    await dispatchWorkflow(gh.octokit, {
      owner: 'acme',
      repo: 'hub',
      workflow: 'deploy.yml',
      ref: 'main',
    })
    gh.assertDone()
    expect(gh.calls[0]?.body).toEqual({ ref: 'main' })

    // Inputs travel as strings, as the OpenAPI description requires.
    const qa = createGitHubStub().expect({
      method: 'POST',
      path: `${REPO}/actions/workflows/qa.yml/dispatches`,
      status: 204,
    })
    await dispatchWorkflow(qa.octokit, {
      owner: 'acme',
      repo: 'hub',
      workflow: 'qa.yml',
      ref: 'main',
      inputs: { base: head('1'), head: head('2') },
    })
    qa.assertDone()
    expect(qa.calls[0]?.body).toEqual({ ref: 'main', inputs: { base: head('1'), head: head('2') } })
    // The description refuses a misspelt field or a missing ref, so the check above has teeth.
    const path = `${REPO}/actions/workflows/qa.yml/dispatches`
    expect(checkRequest('POST', path, {}, { ref: 'main', input: {} }).problems).toEqual([
      'body field input is not declared by actions/create-workflow-dispatch',
    ])
    expect(checkRequest('POST', path, {}, { inputs: {} }).problems).toHaveLength(1)

    const denied = createGitHubStub().expect({
      method: 'POST',
      path: `${REPO}/actions/workflows/deploy.yml/dispatches`,
      status: 403,
      response: { message: 'Resource not accessible by integration' },
    })
    const error = await dispatchWorkflow(denied.octokit, {
      owner: 'acme',
      repo: 'hub',
      workflow: 'deploy.yml',
      ref: 'main',
    }).catch((e: unknown) => e)
    expect(isAgoraError(error) && [error.code, error.hint]).toEqual([
      'github/dispatch-failed',
      'the workflow needs `on: workflow_dispatch` and the job `permissions: actions: write`',
    ])
  })
})
