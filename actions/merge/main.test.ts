import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createGitHubStub } from '../../core/github/testing/github-stub.ts'
import { EXIT_FAILED, EXIT_OK, runMerge } from './main.ts'

const REPO = '/repos/acme/hub'
const sha = 'a'.repeat(40)

function capture() {
  const out: string[] = []
  const stdout = new Writable({
    write(chunk, _encoding, done) {
      out.push(String(chunk))
      done()
    },
  })
  return { out, stdout }
}

const env = {
  GITHUB_REPOSITORY: 'acme/hub',
  INPUT_MERGE_METHOD: 'squash',
  INPUT_DEPLOY_WORKFLOW: 'deploy.yml',
  INPUT_QA_WORKFLOW: 'qa.yml',
  INPUT_REF: 'main',
}
const before = 'b'.repeat(40)
const merged = 'c'.repeat(40)

describe('actions/merge/main', () => {
  it('merges a ready pull request, starts QA of exactly its commits, and starts the deploy', async () => {
    const gh = createGitHubStub()
      .expect({
        method: 'GET',
        path: `${REPO}/issues`,
        response: [{ number: 9, pull_request: {} }],
      })
      .expect({
        method: 'GET',
        path: `${REPO}/pulls/9`,
        response: {
          number: 9,
          draft: false,
          head: { sha },
          labels: [{ name: 'validation-passed' }, { name: 'auto-merge' }],
        },
      })
      .expect({
        method: 'GET',
        path: `${REPO}/commits/${sha}/check-runs`,
        response: {
          total_count: 1,
          check_runs: [
            {
              head_sha: sha,
              status: 'completed',
              conclusion: 'success',
              app: { slug: 'github-actions' },
            },
          ],
        },
      })
      .expect({
        method: 'PUT',
        path: `${REPO}/pulls/9/merge`,
        status: 200,
        response: { merged: true, sha: merged },
      })
      .expect({
        method: 'GET',
        path: `${REPO}/git/commits/${merged}`,
        response: { sha: merged, parents: [{ sha: before }] },
      })
      .expect({
        method: 'POST',
        path: `${REPO}/actions/workflows/qa.yml/dispatches`,
        status: 204,
      })
      .expect({
        method: 'POST',
        path: `${REPO}/actions/workflows/deploy.yml/dispatches`,
        status: 204,
      })
    const { out, stdout } = capture()
    expect(await runMerge({ env, stdout, octokit: gh.octokit })).toBe(EXIT_OK)
    gh.assertDone()
    expect(out.join('')).toBe(
      `merged #9\nstarted qa.yml for #9 (${merged.slice(0, 12)})\nstarted deploy.yml on main\n`,
    )
    // qa.yml's workflow_dispatch inputs: the branch before the merge and the merge commit.
    const dispatches = gh.calls.filter((c) => c.operationId === 'actions/create-workflow-dispatch')
    expect(dispatches.map((c) => [c.path, c.body])).toEqual([
      [
        `${REPO}/actions/workflows/qa.yml/dispatches`,
        { ref: 'main', inputs: { base: before, head: merged } },
      ],
      [`${REPO}/actions/workflows/deploy.yml/dispatches`, { ref: 'main' }],
    ])
  })

  it('starts no QA when qa-workflow is empty', async () => {
    const gh = createGitHubStub()
      .expect({
        method: 'GET',
        path: `${REPO}/issues`,
        response: [{ number: 9, pull_request: {} }],
      })
      .expect({
        method: 'GET',
        path: `${REPO}/pulls/9`,
        response: { number: 9, draft: false, head: { sha }, labels: [{ name: 'auto-merge' }] },
      })
      .expect({
        method: 'GET',
        path: `${REPO}/commits/${sha}/check-runs`,
        response: {
          total_count: 1,
          check_runs: [
            {
              head_sha: sha,
              status: 'completed',
              conclusion: 'success',
              app: { slug: 'github-actions' },
            },
          ],
        },
      })
      .expect({
        method: 'PUT',
        path: `${REPO}/pulls/9/merge`,
        response: { merged: true, sha: merged },
      })
      .expect({
        method: 'GET',
        path: `${REPO}/git/commits/${merged}`,
        response: { sha: merged, parents: [{ sha: before }] },
      })
    const { out, stdout } = capture()
    const quiet = { ...env, INPUT_QA_WORKFLOW: '', INPUT_DEPLOY_WORKFLOW: '' }
    expect(await runMerge({ env: quiet, stdout, octokit: gh.octokit })).toBe(EXIT_OK)
    gh.assertDone()
    expect(out.join('')).toBe('merged #9\n')
  })

  it('starts nothing when nothing merged', async () => {
    const gh = createGitHubStub().expect({ method: 'GET', path: `${REPO}/issues`, response: [] })
    const { out, stdout } = capture()
    expect(await runMerge({ env, stdout, octokit: gh.octokit })).toBe(EXIT_OK)
    gh.assertDone()
    expect(out).toEqual([])
  })

  it('refuses inputs it cannot use, and reports API failures with a hint', async () => {
    const { out, stdout } = capture()
    const gh = createGitHubStub()
    expect(
      await runMerge({ env: { ...env, INPUT_MERGE_METHOD: 'force' }, stdout, octokit: gh.octokit }),
    ).toBe(EXIT_FAILED)
    expect(
      await runMerge({
        env: { ...env, INPUT_DEPLOY_WORKFLOW: '../x' },
        stdout,
        octokit: gh.octokit,
      }),
    ).toBe(EXIT_FAILED)
    expect(
      await runMerge({
        env: { ...env, INPUT_QA_WORKFLOW: 'qa.yml; rm -rf' },
        stdout,
        octokit: gh.octokit,
      }),
    ).toBe(EXIT_FAILED)
    expect(gh.calls).toEqual([])
    expect(out[0]).toBe(
      '::error title=agora/merge::input merge-method must be one of merge, squash, rebase\n',
    )

    const denied = createGitHubStub().expect({
      method: 'GET',
      path: `${REPO}/issues`,
      status: 403,
      response: { message: 'Resource not accessible by integration' },
    })
    const second = capture()
    expect(await runMerge({ env, stdout: second.stdout, octokit: denied.octokit })).toBe(
      EXIT_FAILED,
    )
    expect(second.out.join('')).toMatch(
      /^::error title=agora\/merge::github\/merge-failed {2}could not merge labelled pull requests of acme\/hub%0A {2}hint: /,
    )
  })
})
