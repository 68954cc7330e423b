import { chmod, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sha256, startTestHub, type TestHub } from '../../core/client/__fixtures__/test-hub.ts'
import { main } from '../agora.ts'
import { captureStream } from '../cli/capture.ts'
import type { CacheListReport } from './cache.ts'

async function run(argv: string[], cwd: string) {
  const stdout = captureStream()
  const stderr = captureStream()
  const code = await main(argv, { cwd, env: {}, stdout, stderr, fetch: globalThis.fetch })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

const w1 = 'weights one'
const w2 = 'weights two'
const DAY = 86_400_000

describe('scripts/commands/cache', () => {
  let hub: TestHub
  let work: string
  beforeAll(async () => {
    hub = await startTestHub({
      'acme/tox': { '1.0.0': { 'model.bin': w1 }, '2.0.0': { 'model.bin': w2 } },
    })
  })
  afterAll(async () => {
    await hub?.close()
    await rm(work, { recursive: true, force: true })
  })
  const pullArgs = (spec: string, ...extra: string[]) => [
    'pull',
    spec,
    '--index',
    hub.url,
    '--key',
    hub.publicKey,
    '--cache',
    'cache',
    ...extra,
  ]
  beforeEach(async () => {
    if (work) await rm(work, { recursive: true, force: true })
    work = await mkdtemp(join(tmpdir(), 'agora-cache-cmd-'))
    expect((await run(pullArgs('acme/tox@1.0.0'), work)).code).toBe(0)
    expect((await run(pullArgs('acme/tox@2.0.0'), work)).code).toBe(0)
  })
  const blob = (text: string) => join(work, 'cache/models--acme--tox/blobs', sha256(text))

  it('ls shows items, versions, sizes and last use, as text and as JSON', async () => {
    const old = new Date(Date.now() - 3 * DAY)
    await utimes(join(work, 'cache/models--acme--tox/snapshots/1.0.0'), old, old)
    const text = await run(['cache', 'ls', '--cache', 'cache'], work)
    expect(text.code).toBe(0)
    expect(text.stdout).toBe(
      `ITEM      VERSIONS      SIZE  LAST USED\nacme/tox  1.0.0, 2.0.0  22 B  just now\n\n1 item, 22 B in ${join(work, 'cache')}\n`,
    )
    const json = await run(['cache', 'ls', '--cache', 'cache', '--json'], work)
    const report = JSON.parse(json.stdout) as CacheListReport
    expect(report).toMatchObject({
      ok: true,
      size: 22,
      items: [
        {
          item: 'acme/tox',
          size: 22,
          versions: [
            { version: '1.0.0', files: 1, size: 11 },
            { version: '2.0.0', files: 1, size: 11 },
          ],
        },
      ],
    })
    expect(Date.now() - Date.parse(report.items[0]?.versions[0]?.last_used ?? '')).toBeGreaterThan(
      2 * DAY,
    )
  })

  it('verify reports a corrupt blob with exit 1 and a hint; --repair removes it', async () => {
    const clean = await run(['cache', 'verify', '--cache', 'cache'], work)
    expect(clean).toMatchObject({ code: 0, stdout: 'checked 2 blobs, 22 B: all intact\n' })
    await chmod(blob(w1), 0o644)
    await writeFile(blob(w1), 'weights ONE')
    const bad = await run(['cache', 'verify', '--cache', 'cache'], work)
    expect(bad.code).toBe(1)
    expect(bad.stdout).toBe(
      `client/cache-corrupt  ${blob(w1)}: acme/tox: expected sha256 ${sha256(w1)}, got ${sha256('weights ONE')}\n` +
        '  hint: run "agora cache verify --repair" to delete them; the next pull fetches them again\n' +
        'checked 2 blobs, 22 B: 1 corrupt\n',
    )
    const fixed = await run(['cache', 'verify', '--cache', 'cache', '--repair', '--json'], work)
    expect(fixed.code).toBe(0)
    expect(JSON.parse(fixed.stdout)).toMatchObject({
      ok: true,
      checked: 2,
      corrupt: [{ item: 'acme/tox', sha256: sha256(w1), removed: true }],
    })
    hub.requests.length = 0
    expect((await run(pullArgs('acme/tox@1.0.0'), work)).code).toBe(0)
    expect(hub.requests.filter((r) => r.path.startsWith('/blobs/'))).toHaveLength(1)
  })

  it('rm removes a version and its blob; --dry-run removes nothing', async () => {
    const dry = await run(['cache', 'rm', 'acme/tox@1.0.0', '--cache', 'cache', '--dry-run'], work)
    expect(dry).toMatchObject({
      code: 0,
      stdout: 'would remove acme/tox@1.0.0\nwould remove 1 version and 1 blob, 11 B\n',
    })
    expect(await readFile(blob(w1), 'utf8')).toBe(w1)
    const done = await run(['cache', 'rm', 'acme/tox@1.0.0', '--cache', 'cache', '--json'], work)
    expect(JSON.parse(done.stdout)).toMatchObject({
      ok: true,
      dry_run: false,
      removed: [{ item: 'acme/tox', version: '1.0.0' }],
      blobs: [{ sha256: sha256(w1), size: 11 }],
      freed_bytes: 11,
    })
    await expect(readFile(blob(w1))).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await readFile(blob(w2), 'utf8')).toBe(w2)
  })

  it('rm --older-than prunes versions by last use', async () => {
    const old = new Date(Date.now() - 40 * DAY)
    await utimes(join(work, 'cache/models--acme--tox/snapshots/1.0.0'), old, old)
    const result = await run(['cache', 'rm', '--older-than', '30', '--cache', 'cache'], work)
    expect(result.stdout).toBe('removed acme/tox@1.0.0\nremoved 1 version and 1 blob, 11 B\n')
    const all = await run(['cache', 'rm', 'acme/tox', '--cache', 'cache', '--json'], work)
    expect(JSON.parse(all.stdout)).toMatchObject({ items_removed: ['acme/tox'] })
    expect((await run(['cache', 'ls', '--cache', 'cache', '--json'], work)).stdout).toContain(
      '"items": []',
    )
  })

  it('says what is wrong with its arguments, with hints', async () => {
    const missing = await run(['cache', 'rm', 'acme/nope', '--cache', 'cache'], work)
    expect(missing).toMatchObject({
      code: 2,
      stderr:
        'client/not-cached  acme/nope is not in the cache\n  hint: run "agora cache ls" to see what the cache holds\n',
    })
    expect((await run(['cache', 'rm', '--cache', 'cache'], work)).stderr).toContain(
      'agora cache rm: say what to remove',
    )
    expect((await run(['cache', 'rm', '--older-than', 'soon'], work)).stderr).toContain(
      '--older-than takes a number of days',
    )
    expect((await run(['cache', 'ls', '--repair'], work)).stderr).toContain(
      'agora cache ls: --repair is for verify',
    )
    expect((await run(['cache', 'prune'], work)).stderr).toContain(
      'agora cache: unknown subcommand "prune"',
    )
    expect((await run(['--help'], work)).stdout).toMatch(/^ {2}cache +list, verify and prune/m)
  })

  describe('pull --to', () => {
    it('refuses other files of the same name, naming them, unless --force', async () => {
      await mkdir(join(work, 'out'), { recursive: true })
      await writeFile(join(work, 'out/model.bin'), 'my own file')
      const refused = await run(pullArgs('acme/tox@1.0.0', '--to', 'out'), work)
      expect(refused).toMatchObject({
        code: 2,
        stderr: `${join(work, 'out')}  client/target-exists  1 file already there with other content: model.bin\n  hint: move or rename them, pull into another folder with --to, or pass --force to overwrite them\n`,
      })
      expect(await readFile(join(work, 'out/model.bin'), 'utf8')).toBe('my own file')
      const forced = await run(pullArgs('acme/tox@1.0.0', '--to', 'out', '--force'), work)
      expect(forced.code).toBe(0)
      expect(await readFile(join(work, 'out/model.bin'), 'utf8')).toBe(w1)
    })

    it('offline, a corrupted blob is refused with client/cache-corrupt and a hint', async () => {
      await chmod(blob(w2), 0o644)
      await writeFile(blob(w2), 'weights TWO')
      const result = await run(
        ['pull', 'acme/tox@2.0.0', '--offline', '--cache', 'cache', '--lock', 'none.lock'],
        work,
      )
      expect(result).toMatchObject({
        code: 2,
        stderr:
          'client/cache-corrupt  acme/tox@2.0.0: the cached model.bin no longer matches its SHA-256\n  hint: a cached file was altered (an edit through a hard link?); pull again online to fetch it afresh, or run "agora cache verify --repair"\n',
      })
    })
  })
})
