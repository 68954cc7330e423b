import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blobKey } from '#core/blobs'
import { main } from '../agora.ts'
import { captureStream } from '../cli/capture.ts'
import { type ServedHub, serveHub } from '../serve-hub.ts'
import { commitTime, headCommit, previousCommitOf } from './index-build.ts'
import type { PullReport } from './pull.ts'

const fixtures = fileURLToPath(new URL('./__fixtures__/', import.meta.url))
const sha = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex')

async function run(argv: string[], cwd: string, env: Record<string, string> = {}) {
  const stdout = captureStream()
  const stderr = captureStream()
  const code = await main(argv, { cwd, env, stdout, stderr, fetch: globalThis.fetch })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

describe('scripts/commands/index-build and pull', () => {
  let work: string
  let root: string
  let site: string
  let hub: ServedHub
  const requests: { method: string; path: string; range: string | undefined }[] = []
  const publicKey = '+ZFuLGbGlq/WT+X5K2J12pXVKJWR7E+/VGgFmRXvFDM='

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'agora-pull-cmd-'))
    root = join(work, 'hub')
    site = join(work, 'dist')
    await cp(join(fixtures, 'hub'), root, { recursive: true })
    const blob = join(site, blobKey(sha('hello world')))
    await mkdir(join(blob, '..'), { recursive: true })
    await writeFile(blob, 'hello world')
    hub = await serveHub({ root: site, onRequest: (r) => requests.push(r) })
  })
  afterAll(async () => {
    await hub.close()
    await rm(work, { recursive: true, force: true })
  })

  it('builds a signed index, and rebuilding leaves unchanged files alone', async () => {
    const args = [
      'index',
      'build',
      '--out',
      site,
      '--root',
      root,
      '--key-file',
      join(fixtures, 'index-test-key.pem'),
      '--commit',
      'a'.repeat(40),
      '--sequence',
      '1767225600',
      '--blob-url',
      '{base}/blobs/sha256/{prefix}/{sha256}',
      '--json',
    ]
    const unsequenced = await run(
      args.filter((a, i) => a !== '--sequence' && args[i - 1] !== '--sequence'),
      work,
    )
    expect(unsequenced.stderr).toContain('warning: no sequence')
    const first = await run(args, work)
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(JSON.parse(first.stdout)).toMatchObject({
      ok: true,
      written: ['index/config.json', 'index/models/ac/acme/tox-gnn.json', 'index/search.json'],
      removed: [],
      hf: { repos: 1 },
    })
    // A signed index gets the Hugging Face protocol for static hosts beside it.
    expect(await readFile(join(site, 'nginx-hf.conf'), 'utf8')).toContain(
      'location = "/api/models/acme/tox-gnn" {',
    )
    expect(await readFile(join(site, '_redirects'), 'utf8')).toContain(
      '/acme/tox-gnn/resolve/main/',
    )
    const config = JSON.parse(await readFile(join(site, 'index/config.json'), 'utf8'))
    expect(config.signed).toMatchObject({
      key_id: 'test-2026',
      public_key: publicKey,
      commit: 'a'.repeat(40),
    })
    const again = await run(args, work)
    expect(JSON.parse(again.stdout)).toMatchObject({
      written: [],
      unchanged: ['index/config.json', 'index/models/ac/acme/tox-gnn.json', 'index/search.json'],
    })
    const unsigned = await run(
      ['index', 'build', '--out', join(work, 'unsigned'), '--root', root],
      work,
    )
    expect(unsigned.code).toBe(0)
    expect(unsigned.stderr).toContain('the index is unsigned')
    await expect(readFile(join(work, 'unsigned', 'nginx-hf.conf'))).rejects.toThrow()
    const wrong = await run(['index', 'rebuild', '--root', root], work)
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toContain('agora index: unknown subcommand "rebuild"')
  })

  it('index build writes no Hugging Face files for static hosts with agora.yaml hf.static false', async () => {
    const off = join(work, 'hf-off')
    const out = join(off, 'dist')
    await cp(join(fixtures, 'hub'), off, { recursive: true })
    const args = ['index', 'build', '--out', out, '--root', off, '--json']
    const key = ['--key-file', join(fixtures, 'index-test-key.pem'), '--sequence', '1767225600']
    expect((await run([...args, ...key], work)).code).toBe(0)
    await writeFile(
      join(out, '_headers'),
      `/*\n  X-Frame-Options: DENY\n\n${await readFile(join(out, '_headers'), 'utf8')}`,
    )
    await writeFile(
      join(off, 'registry/agora.yaml'),
      `${await readFile(join(off, 'registry/agora.yaml'), 'utf8')}hf:\n  static: false\n`,
    )
    const built = await run([...args, ...key], work)
    expect(built.code).toBe(0)
    expect(JSON.parse(built.stdout)).not.toHaveProperty('hf')
    for (const gone of ['hf', '_redirects', 'nginx-hf.conf'])
      await expect(stat(join(out, gone))).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await readFile(join(out, '_headers'), 'utf8')).toBe('/*\n  X-Frame-Options: DENY\n')
    const text = await run([...args.filter((a) => a !== '--json'), ...key], work)
    expect(text.stdout + text.stderr).not.toContain('Hugging Face protocol')
  })

  it('serves ETags (304 on a match) and byte ranges', async () => {
    const first = await fetch(`${hub.url}/index/config.json`)
    const etag = first.headers.get('etag') as string
    expect(first.status).toBe(200)
    await first.arrayBuffer()
    const second = await fetch(`${hub.url}/index/config.json`, {
      headers: { 'if-none-match': etag },
    })
    expect(second.status).toBe(304)
    const part = await fetch(`${hub.url}/${blobKey(sha('hello world'))}`, {
      headers: { range: 'bytes=6-' },
    })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe('bytes 6-10/11')
    expect(await part.text()).toBe('world')
    const beyond = await fetch(`${hub.url}/${blobKey(sha('hello world'))}`, {
      headers: { range: 'bytes=20-' },
    })
    expect(beyond.status).toBe(416)
    await beyond.arrayBuffer()
    await symlink('/etc/hostname', join(site, 'leak.txt'))
    for (const path of [
      '/../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/.git/config',
      '/nope.json',
      '/leak.txt',
    ]) {
      const answer = await fetch(`${hub.url}${path}`)
      expect(answer.status).toBe(404)
      await answer.arrayBuffer()
    }
  })

  it('pulls with two index requests, verifies, places files and locks them', async () => {
    requests.length = 0
    const cwd = join(work, 'consumer')
    await mkdir(cwd, { recursive: true })
    const { code, stdout, stderr } = await run(
      [
        'pull',
        'acme/tox-gnn',
        '--index',
        hub.url,
        '--key',
        publicKey,
        '--cache',
        'cache',
        '--to',
        'models/tox',
        '--json',
      ],
      cwd,
    )
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const report = JSON.parse(stdout) as PullReport
    expect(report).toMatchObject({
      ok: true,
      item: 'acme/tox-gnn',
      version: '1.0.0',
      commit: 'a'.repeat(40),
      downloaded_bytes: 11,
      lock_changed: true,
    })
    expect(requests.map((r) => r.path)).toEqual([
      '/index/config.json',
      '/index/models/ac/acme/tox-gnn.json',
      `/${blobKey(sha('hello world'))}`,
    ])
    expect(await readFile(join(cwd, 'models/tox/model.onnx'), 'utf8')).toBe('hello world')
    const lock = JSON.parse(await readFile(join(cwd, 'agora.lock'), 'utf8'))
    expect(lock.items['model/acme/tox-gnn'].files).toEqual([
      { path: 'model.onnx', sha256: sha('hello world'), size: 11 },
    ])

    const text = await run(
      ['pull', 'acme/tox-gnn', '--offline', '--locked', '--cache', 'cache'],
      cwd,
    )
    expect(text.code).toBe(0)
    expect(text.stdout).toBe(
      `pulled acme/tox-gnn@1.0.0: 1 file, 11 B (0 B downloaded)\n  ${join(cwd, 'cache/models--acme--tox-gnn/snapshots/1.0.0')}\n`,
    )
  })

  it('refuses an index signed by another key, with a hint', async () => {
    const { code, stderr } = await run(
      [
        'pull',
        'acme/tox-gnn',
        '--index',
        hub.url,
        '--key',
        'ebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ=',
        '--cache',
        join(work, 'c2'),
        '--lock',
        join(work, 'c2.lock'),
      ],
      work,
    )
    expect(code).toBe(2)
    expect(stderr).toBe(
      `index/bad-signature  ${hub.url}/index/config.json: signature by key "test-2026" does not verify\n  hint: the index was altered after signing or signed by another key; refusing it. Check --index and the public key\n`,
    )
  })

  it('says what to do without an index, and checks its options', async () => {
    const none = await run(['pull', 'acme/tox-gnn', '--cache', join(work, 'c3')], work)
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('client/no-source')
    const bad = await run(['pull', 'acme/tox-gnn', '--link', 'teleport'], work)
    expect(bad.stderr).toContain('--link must be one of copy, hardlink, symlink')
    for (const [argv, env] of [
      [['--stall-timeout', 'soon'], {}],
      [['--stall-timeout', '0'], {}],
      [[], { AGORA_STALL_TIMEOUT: '-3' }],
    ] as const) {
      const stall = await run(['pull', 'acme/tox-gnn', ...argv], work, env)
      expect(stall.code).toBe(2)
      expect(stall.stderr).toContain('--stall-timeout (AGORA_STALL_TIMEOUT) must be a number')
    }
  })

  it('keeps the bytes of unchanged item files across commits, and agora.lock when its pins stay', async () => {
    const hubRoot = join(work, 'etag-hub')
    const out = join(work, 'etag-site')
    await cp(join(fixtures, 'hub'), hubRoot, { recursive: true })
    const blob = join(out, blobKey(sha('hello world')))
    await mkdir(join(blob, '..'), { recursive: true })
    await writeFile(blob, 'hello world')
    const served = await serveHub({ root: out })
    try {
      const itemFile = join(out, 'index/models/ac/acme/tox-gnn.json')
      const build = async (commit: string, sequence: number) => {
        const built = await run(
          [
            'index',
            'build',
            '--out',
            out,
            '--root',
            hubRoot,
            '--json',
            '--key-file',
            join(fixtures, 'index-test-key.pem'),
            '--commit',
            commit.repeat(40),
            '--sequence',
            String(sequence),
          ],
          work,
        )
        expect(built.code).toBe(0)
        const config = JSON.parse(await readFile(join(out, 'index/config.json'), 'utf8')).signed
        const item = JSON.parse(await readFile(itemFile, 'utf8')).signed
        return { written: JSON.parse(built.stdout).written as string[], config, item }
      }
      const consumer = join(work, 'etag-consumer')
      await mkdir(consumer)
      const lockFile = join(consumer, 'agora.lock')
      const pull = async (cache: string) => {
        const pulled = await run(
          [
            'pull',
            'acme/tox-gnn',
            '--index',
            served.url,
            '--key',
            publicKey,
            '--cache',
            cache,
            '--json',
          ],
          consumer,
        )
        expect(pulled.stderr).toBe('')
        expect(pulled.code).toBe(0)
        return JSON.parse(pulled.stdout) as PullReport
      }

      const first = await build('b', 100)
      // config.json and the search document carry the build's commit and sequence: both change every build.
      expect(first.written).toEqual([
        'index/config.json',
        'index/models/ac/acme/tox-gnn.json',
        'index/search.json',
      ])
      expect(first.config).toMatchObject({ sequence: 100, item_floor: 100 })
      const itemBytes = await readFile(itemFile)
      const itemTime = (await stat(itemFile)).mtimeMs
      expect((await pull('cache-1')).lock_changed).toBe(true)
      const lockBytes = await readFile(lockFile)
      const lockTime = (await stat(lockFile)).mtimeMs

      // An empty commit: only config.json carries the new commit and sequence.
      const empty = await build('c', 200)
      expect(empty.written).toEqual(['index/config.json', 'index/search.json'])
      expect(empty.config).toMatchObject({ commit: 'c'.repeat(40), sequence: 200, item_floor: 100 })
      expect(await readFile(itemFile)).toEqual(itemBytes)
      expect((await stat(itemFile)).mtimeMs).toBe(itemTime)

      // A new title rewrites the item file at the new commit, but takes nothing away: the floor stays.
      const itemYaml = join(hubRoot, 'registry/models/ac/acme/tox-gnn/item.yaml')
      await writeFile(
        itemYaml,
        (await readFile(itemYaml, 'utf8')).replace('title: Tox GNN', 'title: Tox GNN 2'),
      )
      const retitled = await build('d', 300)
      expect(retitled.written).toEqual([
        'index/config.json',
        'index/models/ac/acme/tox-gnn.json',
        'index/search.json',
      ])
      expect(retitled.item).toMatchObject({ commit: 'd'.repeat(40), sequence: 300 })
      expect(retitled.config.item_floor).toBe(100)

      // Pulling the same version again, resolved at another commit, leaves agora.lock alone.
      const again = await pull('cache-2')
      expect(again).toMatchObject({ version: '1.0.0', commit: 'd'.repeat(40), lock_changed: false })
      expect(await readFile(lockFile)).toEqual(lockBytes)
      expect((await stat(lockFile)).mtimeMs).toBe(lockTime)

      // A change that takes something away (the licence) raises the floor: old copies are refused.
      await writeFile(
        itemYaml,
        (await readFile(itemYaml, 'utf8')).replace('license: MIT', 'license: Apache-2.0'),
      )
      const relicensed = await build('e', 400)
      expect(relicensed.config.item_floor).toBe(400)
      expect(relicensed.item.sequence).toBe(400)

      // A deploy builds into an empty folder on top of the index it deployed last.
      const fresh = join(work, 'etag-deploy')
      const deployed = await run(
        [
          'index',
          'build',
          '--out',
          fresh,
          '--root',
          hubRoot,
          '--json',
          '--key-file',
          join(fixtures, 'index-test-key.pem'),
          '--commit',
          'f'.repeat(40),
          '--sequence',
          '500',
          '--previous',
          served.url,
        ],
        work,
      )
      expect(deployed.code).toBe(0)
      expect(await readFile(join(fresh, 'index/models/ac/acme/tox-gnn.json'))).toEqual(
        await readFile(itemFile),
      )
      const unsigned = await run(
        ['index', 'build', '--out', fresh, '--root', hubRoot, '--previous', served.url],
        work,
      )
      expect(unsigned.code).toBe(2)
      expect(unsigned.stderr).toContain('--previous needs --key-file')
    } finally {
      await served.close()
    }
  })

  it("takes --previous-commit as a full commit id, and none for Git's all-zero id", () => {
    expect(previousCommitOf(undefined)).toBeUndefined()
    expect(previousCommitOf('')).toBeUndefined()
    expect(previousCommitOf('0'.repeat(40))).toBeUndefined()
    expect(previousCommitOf('a1'.repeat(20))).toBe('a1'.repeat(20))
    for (const bad of ['a1b2c3', 'HEAD~1', `${'a'.repeat(40)}\n`, 'G'.repeat(40)]) {
      expect(() => previousCommitOf(bad)).toThrow(
        expect.objectContaining({ code: 'cli/bad-argument' }),
      )
    }
  })

  it('takes the default sequence from the commit time, which grows commit by commit', async () => {
    const repo = join(work, 'git')
    await mkdir(repo)
    const git = (args: string[], date: string) =>
      execFileSync('git', args, {
        cwd: repo,
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 'a',
          GIT_AUTHOR_EMAIL: 'a@example.org',
          GIT_COMMITTER_NAME: 'a',
          GIT_COMMITTER_EMAIL: 'a@example.org',
          GIT_AUTHOR_DATE: date,
          GIT_COMMITTER_DATE: date,
        },
      })
    git(['init', '-q'], '')
    git(['commit', '-q', '--allow-empty', '-m', 'one'], '2026-01-01T00:00:00Z')
    expect(await commitTime(repo, 'HEAD')).toBe(1767225600)
    git(['commit', '-q', '--allow-empty', '-m', 'two'], '2026-01-02T00:00:00Z')
    expect(await commitTime(repo, 'HEAD')).toBe(1767312000)
    // A linked worktree, which isomorphic-git cannot read: the git binary can.
    git(['worktree', 'add', '-q', join(work, 'linked')], '')
    expect(await commitTime(join(work, 'linked'), 'HEAD')).toBe(1767312000)
    expect(await headCommit(join(work, 'linked'))).toBe(
      execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim(),
    )
    expect(await commitTime(join(work, 'nowhere'), 'HEAD')).toBeUndefined()
    expect(await headCommit(join(work, 'nowhere'))).toBeUndefined()
  })

  it('writes a sequence and an expiry that a daily rebuild moves on, and checks them', async () => {
    const out = join(work, 'fresh')
    const build = (...extra: string[]) =>
      run(['index', 'build', '--out', out, '--root', root, '--json', ...extra], work, {
        AGORA_INDEX_EXPIRES_DAYS: '3',
      })
    const first = await build('--sequence', '1767225600')
    expect(first.code).toBe(0)
    const config = JSON.parse(await readFile(join(out, 'index/config.json'), 'utf8')).signed
    const day = 24 * 60 * 60 * 1000
    expect(config.sequence).toBe(1767225600)
    expect(Date.parse(config.expires)).toBe((Math.floor(Date.now() / day) + 3) * day)
    const item = JSON.parse(await readFile(join(out, 'index/models/ac/acme/tox-gnn.json'), 'utf8'))
    expect(item.signed.sequence).toBe(1767225600)
    expect(JSON.parse((await build('--sequence', '1767225600')).stdout).written).toEqual([])
    const longer = JSON.parse(
      (await build('--sequence', '1767225600', '--expires-days', '9')).stdout,
    )
    expect(longer.expires).toBe(new Date((Math.floor(Date.now() / day) + 9) * day).toISOString())
    for (const bad of [
      ['--sequence', '-1'],
      ['--sequence', 'x'],
      ['--expires-days', '0'],
    ]) {
      const refused = await build(...bad)
      expect(refused.code).toBe(2)
      expect(refused.stdout).toContain('cli/bad-argument')
    }
  })
})
