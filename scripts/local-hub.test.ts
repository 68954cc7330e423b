import { execFileSync } from 'node:child_process'
import {
  appendFile,
  cp,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { generateSigningKey } from '#core/index-format'
import { buildLocalHub } from './local-hub.ts'
import { serveHub } from './serve-hub.ts'

const FIXTURE = new URL('../core/registry/__fixtures__/valid/', import.meta.url).pathname
const ITEM = 'registry/models/ac/acme/tox-gnn'

describe('scripts/local-hub', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-local-hub-'))
    await cp(FIXTURE, join(dir, 'repo'), { recursive: true })
    await writeFile(join(dir, 'secret.env'), 'SECRET=never-indexed')
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it.each([
    ['a README', 'README.md'],
    ['an item file', 'item.yaml'],
  ])('refuses to build the index when %s is a symbolic link', async (_name, file) => {
    const repo = join(dir, 'repo')
    await rm(join(repo, ITEM, file))
    await symlink(join(dir, 'secret.env'), join(repo, ITEM, file))
    const built = buildLocalHub({ repoRoot: repo, outDir: join(dir, 'out'), sampleBlobs: false })
    await expect(built).rejects.toMatchObject({ code: 'local-hub/invalid-registry' })
    await expect(built).rejects.toSatisfy((e: { hint?: string }) =>
      (e.hint ?? '').includes(`${ITEM}/${file}`),
    )
  })

  it('refuses to sign a deploy with a key agora.yaml does not list', async () => {
    const out = join(dir, 'out')
    const built = buildLocalHub({
      repoRoot: join(dir, 'repo'),
      outDir: out,
      sampleBlobs: false,
      signingKey: generateSigningKey().privateKeyPem,
      requireHubKey: true,
    })
    await expect(built).rejects.toMatchObject({
      code: 'local-hub/key-not-in-hub',
      hint: expect.stringContaining('AGORA_INDEX_KEY_FILE'),
    })
    await expect(readFile(join(out, 'index/config.json'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('builds on the deployed index, so a build from an empty folder keeps item bytes', async () => {
    const repo = join(dir, 'repo')
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: repo,
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 'a',
          GIT_AUTHOR_EMAIL: 'a@example.org',
          GIT_COMMITTER_NAME: 'a',
          GIT_COMMITTER_EMAIL: 'a@example.org',
          GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
        },
      })
    git('init', '-q')
    git('add', '-A')
    git('commit', '-q', '-m', 'one')
    const key = generateSigningKey().privateKeyPem
    const first = join(dir, 'first')
    await buildLocalHub({ repoRoot: repo, outDir: first, sampleBlobs: false, signingKey: key })
    const deployed = await serveHub({ root: first, port: 0 })
    try {
      git('commit', '-q', '--allow-empty', '-m', 'two')
      const lines: string[] = []
      const second = join(dir, 'second')
      const built = await buildLocalHub({
        repoRoot: repo,
        outDir: second,
        sampleBlobs: false,
        signingKey: key,
        previous: deployed.url,
        log: (line) => lines.push(line),
      })
      const item = 'index/models/ac/acme/tox-gnn.json'
      expect(await readFile(join(second, item), 'utf8')).toBe(
        await readFile(join(first, item), 'utf8'),
      )
      expect(built.index.written).toContain('index/config.json')
      expect(lines.join('\n')).toMatch(/item documents? to build on/)

      // Two commits on, the index deployed may be a stale copy: a build of "two" may
      // have been published since, so nothing is built upon.
      git('commit', '-q', '--allow-empty', '-m', 'three')
      lines.length = 0
      await buildLocalHub({
        repoRoot: repo,
        outDir: join(dir, 'third'),
        sampleBlobs: false,
        signingKey: key,
        previous: deployed.url,
        log: (line) => lines.push(line),
      })
      expect(lines.join('\n')).toMatch(
        /not building on it \(it was built from commit [0-9a-f]{12}, not this build's commit or its parent/,
      )

      // Unless it is the tip the branch had before a push of both commits.
      const tip = execFileSync('git', ['rev-parse', 'HEAD~2'], {
        cwd: repo,
        encoding: 'utf8',
      }).trim()
      lines.length = 0
      const pushed = join(dir, 'pushed')
      await buildLocalHub({
        repoRoot: repo,
        outDir: pushed,
        sampleBlobs: false,
        signingKey: key,
        previous: deployed.url,
        previousCommit: tip,
        log: (line) => lines.push(line),
      })
      expect(lines.join('\n')).toMatch(/item documents? to build on/)
      expect(await readFile(join(pushed, item), 'utf8')).toBe(
        await readFile(join(first, item), 'utf8'),
      )
    } finally {
      await deployed.close()
    }
  })

  it('writes the Hugging Face protocol for static hosts beside the signed index', async () => {
    const out = join(dir, 'out')
    const built = await buildLocalHub({
      repoRoot: join(dir, 'repo'),
      outDir: out,
      sampleBlobs: false,
    })
    expect(built.hf?.repos).toBeGreaterThan(0)
    expect(await readFile(join(out, 'nginx-hf.conf'), 'utf8')).toContain(
      'location = "/api/models/acme/tox-gnn" {',
    )
    expect(await readFile(join(out, '_redirects'), 'utf8')).toContain('/acme/tox-gnn/resolve/main/')
    expect(await readFile(join(out, '_headers'), 'utf8')).toContain('X-Repo-Commit: ')
  })

  it('writes none of it with agora.yaml hf.static false, keeps the security headers and still serves the protocol', async () => {
    const repo = join(dir, 'repo')
    const out = join(dir, 'out')
    const security = '/*\n  X-Frame-Options: DENY\n'
    await mkdir(out)
    await writeFile(join(out, '_headers'), security)
    // A build with the default first: turning the setting off takes its files away.
    const before = await buildLocalHub({ repoRoot: repo, outDir: out, sampleBlobs: false })
    expect(before.hf?.repos).toBeGreaterThan(0)
    await appendFile(join(repo, 'registry/agora.yaml'), 'hf:\n  static: false\n')
    const built = await buildLocalHub({ repoRoot: repo, outDir: out, sampleBlobs: false })
    expect(built.hf).toBeUndefined()
    for (const gone of ['hf', '_redirects', 'nginx-hf.conf'])
      await expect(stat(join(out, gone))).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await readFile(join(out, '_headers'), 'utf8')).toBe(security)
    expect(await readFile(join(out, 'index/config.json'), 'utf8')).toContain('"blobs"')
    const hub = await serveHub({ root: out })
    try {
      const answer = await fetch(`${hub.url}/api/models/acme/tox-gnn`)
      expect(answer.status).toBe(200)
      expect(await answer.json()).toMatchObject({ id: 'acme/tox-gnn' })
      expect(answer.headers.get('x-frame-options')).toBe('DENY')
    } finally {
      await hub.close()
    }
  })
})
