import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { commitToBranch, openPullRequest, publishPullRequestBody } from './open-pull-request.ts'
import { createGitHubStub } from './testing/github-stub.ts'

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8' }).trim()

describe('core/github/open-pull-request', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-open-pr-'))
    git(dir, 'init', '-q', '-b', 'main')
    await fs.promises.mkdir(join(dir, 'registry/models/ac/acme/x/versions'), { recursive: true })
    await writeFile(join(dir, 'registry/agora.yaml'), 'name: hub\n')
    await writeFile(join(dir, 'registry/models/ac/acme/x/item.yaml'), 'old\n')
    await writeFile(join(dir, 'README.md'), 'hub\n')
    git(dir, 'add', '.')
    git(dir, '-c', 'user.name=T', '-c', 'user.email=t@example.org', 'commit', '-qm', 'base')
    await writeFile(join(dir, 'README.md'), 'uncommitted work\n')
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('commits files on a new branch without touching the working tree', async () => {
    const oid = await commitToBranch({
      fs,
      dir,
      base: 'HEAD',
      branch: 'publish/x-1.1.0',
      files: [
        { path: 'registry/models/ac/acme/x/item.yaml', content: 'new\n' },
        { path: 'registry/models/ac/acme/x/versions/1.1.0.yaml', content: 'version: 1.1.0\n' },
        { path: 'registry/models/ac/acme/x/README.md', content: '# X\n' },
      ],
      message: 'Publish acme/x 1.1.0',
      author: { name: 'Ada', email: 'ada@example.org' },
      now: new Date('2026-01-02T03:04:05Z'),
    })
    expect(git(dir, 'rev-parse', 'publish/x-1.1.0')).toBe(oid)
    expect(git(dir, 'show', 'publish/x-1.1.0:registry/models/ac/acme/x/item.yaml')).toBe('new')
    expect(git(dir, 'show', 'publish/x-1.1.0:registry/agora.yaml')).toBe('name: hub')
    expect(git(dir, 'ls-tree', '-r', '--name-only', 'publish/x-1.1.0').split('\n')).toEqual([
      'README.md',
      'registry/agora.yaml',
      'registry/models/ac/acme/x/README.md',
      'registry/models/ac/acme/x/item.yaml',
      'registry/models/ac/acme/x/versions/1.1.0.yaml',
    ])
    // git fsck accepts the trees (entry order and modes as Git writes them).
    git(dir, 'fsck', '--strict', '--no-dangling')
    expect(git(dir, 'log', '-1', '--format=%an <%ae> %at %s', 'publish/x-1.1.0')).toBe(
      'Ada <ada@example.org> 1767323045 Publish acme/x 1.1.0',
    )
    expect(git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main')
    expect(await readFile(join(dir, 'README.md'), 'utf8')).toBe('uncommitted work\n')
    expect(await readFile(join(dir, 'registry/models/ac/acme/x/item.yaml'), 'utf8')).toBe('old\n')
    await expect(
      commitToBranch({
        fs,
        dir,
        base: 'HEAD',
        branch: 'publish/x-1.1.0',
        files: [],
        message: 'm',
        author: { name: 'a', email: 'b' },
      }),
    ).rejects.toMatchObject({ code: 'github/branch-exists' })
  })

  it('opens the pull request with a body GitHub accepts', async () => {
    const gh = createGitHubStub()
    gh.expect({
      method: 'POST',
      path: '/repos/agora-hub/registry/pulls',
      response: { number: 7, html_url: 'https://github.com/agora-hub/registry/pull/7' },
    })
    const pr = await openPullRequest(gh.octokit, {
      owner: 'agora-hub',
      repo: 'registry',
      head: 'publish/x-1.1.0',
      base: 'main',
      title: 'Publish acme/x 1.1.0',
      body: 'b',
    })
    expect(pr).toEqual({ number: 7, url: 'https://github.com/agora-hub/registry/pull/7' })
    gh.assertDone()
    expect(gh.calls[0]?.body).toEqual({
      head: 'publish/x-1.1.0',
      base: 'main',
      title: 'Publish acme/x 1.1.0',
      body: 'b',
      maintainer_can_modify: true,
    })
  })

  it('explains a refused pull request', async () => {
    const gh = createGitHubStub()
    gh.expect({
      method: 'POST',
      path: '/repos/agora-hub/registry/pulls',
      status: 422,
      response: {
        message: 'Validation Failed',
        errors: [{ message: 'A pull request already exists' }],
      },
    })
    await expect(
      openPullRequest(gh.octokit, {
        owner: 'agora-hub',
        repo: 'registry',
        head: 'h',
        base: 'main',
        title: 't',
        body: 'b',
      }),
    ).rejects.toMatchObject({
      code: 'github/pull-request-failed',
      hint: expect.stringContaining('already exist'),
    })
    gh.assertDone()
  })

  it('escapes file names in the body', () => {
    const body = publishPullRequestBody({
      item: 'acme/x',
      version: '1.1.0',
      itemIsNew: false,
      files: [
        {
          path: 'a|b`@everyone<img src=x>.bin',
          size: 1234567,
          sha256: 'a'.repeat(64),
          uploaded: true,
        },
        { path: 'config.json', size: 10, sha256: 'b'.repeat(64), uploaded: false },
      ],
      manifests: ['registry/models/ac/acme/x/versions/1.1.0.yaml'],
    })
    expect(body).toContain('| `` a\\|b`@everyone<img src=x>.bin `` | 1,234,567 |')
    expect(body).toContain(`| \`config.json\` | 10 | \`${'b'.repeat(64)}\` | already stored |`)
    expect(body).not.toMatch(/^[^`]*<img/m)
    expect(body).toContain('2 files, 1,234,577 bytes in all')
  })
})
