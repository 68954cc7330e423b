import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createTestRepo, type TestRepo } from '../../core/registry/git-test-repo.ts'
import { main } from '../agora.ts'
import { captureStream } from '../cli/capture.ts'

const fixture = fileURLToPath(
  new URL('../../core/registry/__fixtures__/changes/base', import.meta.url),
)
const TOX = 'registry/models/ac/acme/tox-gnn'

async function run(cwd: string, ...argv: string[]) {
  const stdout = captureStream()
  const stderr = captureStream()
  const code = await main(argv, { cwd, env: {}, stdout, stderr, fetch: globalThis.fetch })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

describe('scripts/commands/status: yank, deprecate, undeprecate', () => {
  let repo: TestRepo & { base: string }
  beforeEach(async () => {
    repo = await createTestRepo(fixture)
    // A second release, so 1.0.0 is no longer what `latest` names.
    const v1 = await readFile(join(repo.dir, TOX, 'versions/1.0.0.yaml'), 'utf8')
    const item = await readFile(join(repo.dir, TOX, 'item.yaml'), 'utf8')
    await repo.commit({
      [`${TOX}/versions/1.1.0.yaml`]: v1.replace('version: 1.0.0', 'version: 1.1.0'),
      [`${TOX}/item.yaml`]: `# The flagship model.\n${item.replace('latest: 1.0.0', 'latest: 1.1.0')}`,
    })
  })
  afterEach(async () => {
    await repo.remove()
  })

  it('yanks a version with a reason, in a change the owner may make', async () => {
    const result = await run(repo.dir, 'yank', 'acme/tox-gnn@1.0.0', '--reason', 'wrong weights')
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const text = await readFile(join(repo.dir, TOX, 'versions/1.0.0.yaml'), 'utf8')
    expect(text).toMatch(
      /\nstatus:\n {2}state: yanked\n {2}reason: wrong weights\n {2}date: \d{4}-\d{2}-\d{2}\n$/,
    )
    expect(text.startsWith('version: 1.0.0\n')).toBe(true)
    await repo.commit({}, 'yank')
    const checked = await run(
      repo.dir,
      'validate',
      '--changed',
      'HEAD~1..HEAD',
      '--author',
      'alice',
    )
    expect(checked.code).toBe(0)
    const again = await run(
      repo.dir,
      'yank',
      'acme/tox-gnn@1.0.0',
      '--reason',
      'wrong weights',
      '--json',
    )
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, changed: false })
  })

  it('deprecates and undeprecates an item, keeping its comments and order', async () => {
    const before = await readFile(join(repo.dir, TOX, 'item.yaml'), 'utf8')
    const done = await run(
      repo.dir,
      'deprecate',
      'models/acme/tox-gnn',
      '--reason',
      'Superseded by v2',
      '--replacement',
      'datasets/labs/tox21',
      '--json',
    )
    expect(JSON.parse(done.stdout)).toMatchObject({
      ok: true,
      ref: 'acme/tox-gnn',
      file: `${TOX}/item.yaml`,
      status: {
        state: 'deprecated',
        reason: 'Superseded by v2',
        replacement: 'datasets/labs/tox21',
      },
    })
    const deprecated = await readFile(join(repo.dir, TOX, 'item.yaml'), 'utf8')
    expect(deprecated.startsWith(before)).toBe(true)
    expect((await run(repo.dir, 'validate', TOX)).code).toBe(0)
    expect((await run(repo.dir, 'undeprecate', 'acme/tox-gnn')).code).toBe(0)
    expect(await readFile(join(repo.dir, TOX, 'item.yaml'), 'utf8')).toBe(before)
  })

  it('refuses what would break the registry or hide a yank, and writes nothing', async () => {
    const files = async () =>
      Promise.all(
        ['item.yaml', 'versions/1.0.0.yaml', 'versions/1.1.0.yaml'].map((f) =>
          readFile(join(repo.dir, TOX, f), 'utf8'),
        ),
      )
    const start = await files()
    for (const [argv, code] of [
      [['yank', 'acme/tox-gnn@1.1.0', '--reason', 'x'], 'cli/tagged-version'],
      [['yank', 'acme/tox-gnn', '--reason', 'x'], 'cli/bad-argument'],
      [['yank', 'acme/tox-gnn@1.0.0'], 'cli/bad-argument'],
      [['yank', 'acme/tox-gnn@^1.0.0', '--reason', 'x'], 'cli/bad-argument'],
      [['yank', 'acme/tox-gnn@9.9.9', '--reason', 'x'], 'cli/unknown-version'],
      [['deprecate', 'acme/nope', '--reason', 'x'], 'cli/unknown-item'],
      [
        ['deprecate', 'acme/tox-gnn', '--reason', 'x', '--replacement', 'acme/tox-gnn-v2'],
        'cli/unknown-item',
      ],
      [['deprecate', '../../etc/passwd', '--reason', 'x'], 'cli/bad-argument'],
      [['undeprecate', 'acme/tox-gnn', '--reason', 'x'], 'cli/bad-argument'],
      [
        ['yank', 'acme/tox-gnn@1.0.0', '--reason', 'x', '--replacement', 'acme/y'],
        'cli/bad-argument',
      ],
      [['deprecate', 'acme/tox-gnn', '--reason', 'bad \u001b[2J'], 'manifest/invalid-text'],
      [
        ['deprecate', 'acme/tox-gnn@1.0.0', '--reason', 'x', '--replacement', 'acme/y'],
        'cli/bad-argument',
      ],
    ] as const) {
      const result = await run(repo.dir, ...argv)
      expect(result.code, argv.join(' ')).toBe(2)
      expect(result.stderr).toContain(code)
      expect(result.stderr).not.toContain('\u001b')
    }
    expect(await files()).toEqual(start)
    const itemFile = join(repo.dir, TOX, 'item.yaml')
    const item = await readFile(itemFile, 'utf8')
    for (const state of ['taken-down', 'flagged']) {
      await writeFile(itemFile, `${item}status:\n  state: ${state}\n  reason: legal request\n`)
      for (const argv of [
        ['deprecate', 'acme/tox-gnn', '--reason', 'old'],
        ['undeprecate', 'acme/tox-gnn'],
      ]) {
        const refused = await run(repo.dir, ...argv)
        expect(refused.code).toBe(2)
        expect(refused.stderr).toContain(`cli/bad-status`)
        expect(refused.stderr).toContain(`is ${state} by the hub's maintainers`)
      }
      expect(await readFile(itemFile, 'utf8')).toContain(`state: ${state}`)
    }
    await writeFile(itemFile, item)
    await run(repo.dir, 'yank', 'acme/tox-gnn@1.0.0', '--reason', 'wrong weights')
    for (const argv of [
      ['undeprecate', 'acme/tox-gnn@1.0.0'],
      ['deprecate', 'acme/tox-gnn@1.0.0', '--reason', 'old'],
    ]) {
      const refused = await run(repo.dir, ...argv)
      expect(refused.code).toBe(2)
      expect(refused.stderr).toContain('cli/bad-status')
    }
  })

  it('offers each action only the options it takes', async () => {
    const help = async (action: string) => (await run(repo.dir, action, '--help')).stdout
    expect(await help('yank')).toContain('--reason TEXT')
    expect(await help('yank')).not.toContain('--replacement')
    expect(await help('deprecate')).toContain('--replacement REF')
    expect(await help('undeprecate')).not.toMatch(/--reason|--replacement/)
  })
})
