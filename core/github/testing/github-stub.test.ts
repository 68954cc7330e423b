import { describe, expect, it } from 'vitest'
import { checkRequest, createGitHubStub } from './github-stub.ts'

describe('core/github/testing/github-stub', () => {
  it('accepts a request that fits the OpenAPI description', () => {
    const body = {
      name: 'Agora validation',
      head_sha: 'a'.repeat(40),
      status: 'completed',
      conclusion: 'success',
    }
    expect(checkRequest('POST', '/repos/acme/hub/check-runs', {}, body)).toEqual({
      operationId: 'checks/create',
      problems: [],
    })
  })

  it('reads nullable without a type as "that, or null" (an issue milestone)', () => {
    const issue = { title: 'QA failed', body: 'why', milestone: null }
    expect(checkRequest('POST', '/repos/acme/hub/issues', {}, issue).problems).toEqual([])
    expect(
      checkRequest('POST', '/repos/acme/hub/issues', {}, { ...issue, milestone: true }).problems,
    ).not.toEqual([])
  })

  it('rejects bodies, parameters and paths the description does not allow', () => {
    const bad = checkRequest(
      'POST',
      '/repos/acme/hub/check-runs',
      {},
      { name: 'x', head_sha: 'y', conclusion: 'bogus' },
    )
    expect(bad.problems.join('\n')).toMatch(/body:/)
    const unknownField = checkRequest(
      'POST',
      '/repos/acme/hub/issues/7/comments',
      {},
      { body: 'x', bogus: 1 },
    )
    expect(unknownField.problems).toContain(
      'body field bogus is not declared by issues/create-comment',
    )
    const wrongType = checkRequest(
      'PATCH',
      '/repos/acme/hub/issues/comments/abc',
      {},
      { body: 'x' },
    )
    expect(wrongType.problems.join('\n')).toMatch(/path parameter comment_id=abc/)
    const query = checkRequest(
      'GET',
      '/repos/acme/hub/issues/7/comments',
      { colour: 'red' },
      undefined,
    )
    expect(query.problems).toContain(
      'query parameter colour is not declared by issues/list-comments',
    )
    expect(checkRequest('GET', '/repos/acme/hub/nonsense', {}, undefined).problems[0]).toMatch(
      /no operation/,
    )
  })

  it('fails on unexpected calls and on expected calls never made', async () => {
    const gh = createGitHubStub().expect({
      method: 'GET',
      path: '/repos/acme/hub/pulls/1',
      response: {},
    })
    await gh.octokit.rest.issues
      .get({ owner: 'acme', repo: 'hub', issue_number: 2 })
      .catch(() => undefined)
    expect(() => gh.assertDone()).toThrow(
      /unexpected call GET \/repos\/acme\/hub\/issues\/2[\s\S]*never made: GET \/repos\/acme\/hub\/pulls\/1/,
    )
  })
})
