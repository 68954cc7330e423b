import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createTestRepo, type TestRepo } from '../../core/registry/git-test-repo.ts'
import { EVIL_PICKLE_P0, safetensors } from '../../core/scan/__fixtures__/build.ts'
import { main } from '../agora.ts'
import { captureStream } from '../cli/capture.ts'
import type { ValidateReport } from './validate.ts'

const fixture = fileURLToPath(
  new URL('../../core/registry/__fixtures__/changes/base', import.meta.url),
)
const TOX = 'registry/models/ac/acme/tox-gnn'

async function run(cwd: string, ...argv: string[]) {
  return runWith({}, cwd, ...argv)
}

async function runWith(env: Record<string, string>, cwd: string, ...argv: string[]) {
  const stdout = captureStream()
  const stderr = captureStream()
  const code = await main(['validate', ...argv], {
    cwd,
    env,
    stdout,
    stderr,
    fetch: globalThis.fetch,
  })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

describe('scripts/commands/validate', () => {
  let repo: TestRepo & { base: string }
  beforeEach(async () => {
    repo = await createTestRepo(fixture)
  })
  afterEach(async () => {
    await repo.remove()
  })

  it('validates the whole registry and prints a clean summary', async () => {
    const result = await run(join(repo.dir, 'registry', 'owners'))
    expect(result).toEqual({ code: 0, stdout: '✔ 2 items, 0 problems\n', stderr: '' })
  })

  it('prints each problem with its position and hint, then a summary, and exits 1', async () => {
    const file = join(repo.dir, TOX, 'item.yaml')
    await writeFile(file, (await readFile(file, 'utf8')).replace('license: MIT', 'license: ""'))
    const result = await run(repo.dir, TOX)
    expect(result.code).toBe(1)
    // The schema message is the manifest validator's; what this command owns is the layout around it.
    expect(result.stdout).toMatch(
      /^registry\/models\/ac\/acme\/tox-gnn\/item\.yaml:7:10 {2}schema\/[a-z-]+ {2}license [^\n]+\n {2}hint: [^\n]+\n\n✖ 1 error in 1 file\n$/,
    )
  })

  it('prints only JSON under --json', async () => {
    const file = join(repo.dir, 'registry/owners/acme.yaml')
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace('github: alice', 'github: not a login'),
    )
    const result = await run(repo.dir, '--json')
    expect(result.code).toBe(1)
    expect(result.stderr).toBe('')
    const report = JSON.parse(result.stdout) as ValidateReport
    expect(report.ok).toBe(false)
    expect(report.changes).toBeNull()
    const errors = report.issues.filter((i) => i.severity === 'error')
    expect(report.summary).toEqual({
      items: 2,
      errors: errors.length,
      warnings: 0,
      notes: 0,
      files: new Set(report.issues.map((i) => i.file)).size,
    })
    expect(report.issues).toContainEqual(
      expect.objectContaining({
        file: 'registry/owners/acme.yaml',
        line: 3,
        col: 9,
        severity: 'error',
      }),
    )
  })

  it('validates only the items a change touches and applies the change rules', async () => {
    await repo.commit({
      [`${TOX}/versions/1.1.0.yaml`]:
        'version: 1.1.0\nfiles:\n  - path: model.safetensors\n    size: 10\n    sha256: ' +
        'b'.repeat(64) +
        '\n',
      [`${TOX}/item.yaml`]: (await readFile(join(repo.dir, TOX, 'item.yaml'), 'utf8')).replace(
        '1.0.0',
        '1.1.0',
      ),
    })
    const result = await run(repo.dir, '--changed', 'main~1..main', '--author', 'alice', '--json')
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout) as ValidateReport
    expect(report).toMatchObject({ ok: true, issues: [], summary: { items: 1, errors: 0 } })
    expect(report.changes?.onlyAddsVersions).toBe(true)
    expect(report.changes?.items.map((i) => i.addedVersions)).toEqual([['1.1.0']])
  })

  it('refuses a change by someone who does not own the item, with the hint', async () => {
    await repo.commit({
      [`${TOX}/item.yaml`]: (await readFile(join(repo.dir, TOX, 'item.yaml'), 'utf8')).replace(
        'Tox GNN',
        'Tox GNN v2',
      ),
    })
    const result = await run(repo.dir, '--changed', 'HEAD~1..HEAD', '--author', 'mallory')
    expect(result.code).toBe(1)
    expect(result.stdout).toMatchInlineSnapshot(`
      "registry/models/ac/acme/tox-gnn/item.yaml:6:3  change/author-not-authorized  mallory is not an owner of acme/tox-gnn (owners: acme)
        hint: ask an owner of the item to make this change, or to add you to the owning organisation in registry/owners/ in a separate pull request

      ✖ 1 error in 1 file
      "
    `)
  })

  it('passes warnings but shows them: a new namespace by its owner', async () => {
    await repo.commit({
      'registry/owners/newco.yaml': 'type: user\nname: New Co\ngithub: dana\n',
      'registry/models/ne/newco/first/item.yaml':
        'kind: model\nid: newco/first\ntitle: First\nsummary: The first.\nowners: [newco]\nlicense: MIT\n',
      'registry/models/ne/newco/first/README.md': '# First\n',
    })
    const result = await run(repo.dir, '--changed', 'HEAD~1..HEAD', '--author', 'dana')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(
      'registry/owners/newco.yaml:1:1  change/new-namespace  warning: new namespace newco',
    )
    expect(result.stdout).toMatch(/✔ 1 item, 1 warning in 1 file\n$/)
  })

  it('refuses a new namespace that looks like an existing one, before merge', async () => {
    await repo.commit({
      'registry/owners/acrne.yaml': 'type: user\nname: Acrne\ngithub: mallory\n',
      'registry/models/ac/acrne/tox-gnn/item.yaml':
        'kind: model\nid: acrne/tox-gnn\ntitle: Tox GNN\nsummary: The real one.\nowners: [acrne]\nlicense: MIT\n',
      'registry/models/ac/acrne/tox-gnn/README.md': '# Tox GNN\n',
    })
    const result = await run(repo.dir, '--changed', 'HEAD~1..HEAD', '--author', 'mallory')
    expect(result.code).toBe(1)
    expect(result.stdout).toContain(
      'registry/owners/acrne.yaml:1:1  naming/confusable  new namespace "acrne" looks like "acme"',
    )
  })

  it('refuses a verified result written by the item owner, and accepts it from QA', async () => {
    const result = (verified: boolean) =>
      `benchmark: benchmarks/labs/tox-bench\nversion: 1.0.0\nscores:\n  auc: 0.9\ndate: 2026-01-01\nverified: ${verified}\n`
    await repo.commit({ [`${TOX}/results/labs/tox-bench.yaml`]: result(true) })
    const byOwner = await run(repo.dir, '--changed', 'HEAD~1..HEAD', '--author', 'alice', '--json')
    const report = JSON.parse(byOwner.stdout) as ValidateReport
    expect(report.issues.map((i) => i.code)).toContain('change/verified-by-non-qa')
    const byQa = await run(
      repo.dir,
      '--changed',
      'HEAD~1..HEAD',
      '--author',
      'agora-qa-bot',
      '--json',
    )
    expect((JSON.parse(byQa.stdout) as ValidateReport).issues.map((i) => i.code)).not.toContain(
      'change/verified-by-non-qa',
    )
  })

  it('validates everything when the change touches hub settings', async () => {
    await repo.commit({
      'registry/agora.yaml': `${await readFile(join(repo.dir, 'registry/agora.yaml'), 'utf8')}reserved_names: [acme]\n`,
    })
    const result = await run(repo.dir, '--changed', 'HEAD~1..HEAD', '--author', 'alice', '--json')
    const report = JSON.parse(result.stdout) as ValidateReport
    expect(report.summary.items).toBe(2)
    expect(report.issues.map((i) => i.code)).toContain('change/hub-file')
  })

  it('exits 2 with a hint for an unknown ref', async () => {
    const result = await run(repo.dir, '--changed', 'main..nope', '--author', 'alice')
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatchInlineSnapshot(`
      "change/unknown-ref  unknown Git ref "nope"
        hint: check the spelling, or fetch it first (git fetch origin main); in CI check out with fetch-depth: 0
      "
    `)
  })

  it('exits 2 on bad arguments and outside a registry', async () => {
    expect((await run(repo.dir, '--author', 'alice')).code).toBe(2)
    expect((await run(repo.dir, '--changed', 'main')).stderr).toContain('is not a range')
    expect((await run(repo.dir, '--bogus')).stderr).toContain('cli/bad-argument')
    expect((await run(repo.dir, 'README.md', '--json')).stdout).toContain(
      '"code": "cli/bad-argument"',
    )
    const outside = await run(join(repo.dir, '..'))
    expect(outside.code).toBe(2)
    expect(outside.stderr).toContain('cli/no-registry')
  })

  it('prints help', async () => {
    const result = await run(repo.dir, '--help')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('agora validate --changed origin/main...HEAD --author octocat')
  })

  describe('--blobs, --scan and --like-ci', () => {
    let storeDir: string
    const env = () => ({ AGORA_STORE_DIR: storeDir })
    const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')
    /** Puts bytes in the fs store under `key` (their own hash unless a wrong one is wanted). */
    async function store(bytes: Uint8Array, key = sha(bytes)): Promise<string> {
      const dir = join(storeDir, 'blobs', 'sha256', key.slice(0, 2))
      await mkdir(dir, { recursive: true })
      await writeFile(join(dir, key), bytes)
      return key
    }
    const WEIGHTS = safetensors({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 8)
    /** Commits version 1.1.0 of acme/tox-gnn listing one file. */
    async function addVersion(path: string, size: number, sha256: string): Promise<void> {
      await repo.commit({
        [`${TOX}/versions/1.1.0.yaml`]: `version: 1.1.0\nfiles:\n  - path: ${path}\n    size: ${size}\n    sha256: ${sha256}\n`,
        [`${TOX}/item.yaml`]: (await readFile(join(repo.dir, TOX, 'item.yaml'), 'utf8')).replace(
          '1.0.0',
          '1.1.0',
        ),
      })
    }

    beforeEach(async () => {
      storeDir = await mkdtemp(join(tmpdir(), 'agora-validate-store-'))
      // Version 1.0.0 of the fixture names blobs that are in no store; make it name stored ones.
      const config = new TextEncoder().encode('{"hidden": 8}')
      await repo.commit({
        [`${TOX}/versions/1.0.0.yaml`]: `version: 1.0.0\nreleased: 2026-01-31\nfiles:\n  - path: model.safetensors\n    size: ${WEIGHTS.length}\n    sha256: ${await store(WEIGHTS)}\n  - path: config.json\n    size: ${config.length}\n    sha256: ${await store(config)}\n`,
      })
    })
    afterEach(async () => {
      await rm(storeDir, { recursive: true, force: true })
    })

    it('refuses with --blobs a stored blob whose bytes do not hash to the manifest’s sha256, naming it', async () => {
      const claimed = sha(new TextEncoder().encode('the bytes that were meant'))
      const stored = new Uint8Array(WEIGHTS.length).fill(7)
      await store(stored, claimed)
      await addVersion('model.safetensors', stored.length, claimed)

      // By default the blobs are not read: the wrong hash passes.
      expect((await runWith(env(), repo.dir, TOX)).code).toBe(0)

      const result = await runWith(env(), repo.dir, TOX, '--blobs', '--json')
      expect(result.code).toBe(1)
      const report = JSON.parse(result.stdout) as ValidateReport
      expect(report.ok).toBe(false)
      expect(report.issues).toEqual([
        expect.objectContaining({
          code: 'blob/hash-mismatch',
          severity: 'error',
          file: `${TOX}/versions/1.1.0.yaml`,
          message: `blob ${claimed} (model.safetensors): expected sha256 ${claimed}, the stored bytes hash to ${sha(stored)}`,
        }),
      ])
      expect(report.blobs).toContainEqual(
        expect.objectContaining({
          path: 'model.safetensors',
          status: 'hash-mismatch',
          sha256: claimed,
        }),
      )
      expect(report.blobs?.filter((b) => b.status === 'ok')).toHaveLength(2)
    })

    it('refuses with --blobs a stored blob whose size is not the manifest’s, naming it', async () => {
      const weights = await store(WEIGHTS)
      await addVersion('model.safetensors', WEIGHTS.length + 1, weights)
      const result = await runWith(env(), repo.dir, '--blobs')
      expect(result.code).toBe(1)
      expect(result.stdout).toContain(
        `registry/models/ac/acme/tox-gnn/versions/1.1.0.yaml  blob/size-mismatch  blob ${weights} (model.safetensors): the manifest says ${WEIGHTS.length + 1} bytes, the stored blob has ${WEIGHTS.length}\n  hint: the manifest and the stored blob disagree`,
      )
    })

    it('refuses with --scan and --like-ci a pickle calling os.system in a --changed range, with the action’s code', async () => {
      const pickle = await store(EVIL_PICKLE_P0)
      await addVersion('model.pkl', EVIL_PICKLE_P0.length, pickle)
      const range = ['--changed', 'HEAD~1..HEAD', '--author', 'alice']

      // By default files are not scanned: the pickle passes.
      expect((await runWith(env(), repo.dir, ...range)).code).toBe(0)

      const scanned = await runWith(env(), repo.dir, ...range, '--scan')
      expect(scanned.code).toBe(1)
      expect(scanned.stdout).toContain(
        `registry/models/ac/acme/tox-gnn/versions/1.1.0.yaml  scan/pickle-dangerous-import  model.pkl (unsafe): pickle imports os.system, which can run code when loaded\n  hint: `,
      )

      const likeCi = await runWith(env(), repo.dir, ...range, '--like-ci', '--json')
      expect(likeCi.code).toBe(1)
      const report = JSON.parse(likeCi.stdout) as ValidateReport
      expect(report.ok).toBe(false)
      expect(report.issues.map((i) => i.code)).toEqual(['scan/pickle-dangerous-import'])
      expect(report.ci?.ok).toBe(false)
      expect(report.ci?.labels).toContain('validation-failed')
      const scan = report.ci?.scans.find((s) => s.path === 'model.pkl')
      expect(scan).toMatchObject({ format: 'pickle', verdict: 'unsafe' })
      expect(scan?.findings.map((f) => f.code)).toContain('scan/pickle-dangerous-import')
      expect(report.scans).toEqual(report.ci?.scans)
    })

    it('passes a clean change under --like-ci, reading and scanning its blob', async () => {
      const clean = safetensors({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 16)
      await addVersion('model.safetensors', clean.length, await store(clean))
      const result = await runWith(
        env(),
        repo.dir,
        '--changed',
        'HEAD~1..HEAD',
        '--author',
        'alice',
        '--like-ci',
        '--json',
      )
      const report = JSON.parse(result.stdout) as ValidateReport
      expect(report.issues).toEqual([])
      expect(result.code).toBe(0)
      expect(report.ci).toMatchObject({
        ok: true,
        labels: ['validation-passed', 'auto-merge'],
        blobs: [expect.objectContaining({ path: 'model.safetensors', status: 'ok' })],
        scans: [expect.objectContaining({ path: 'model.safetensors', verdict: 'safe' })],
      })
    })

    it('refuses --like-ci without --changed and --author', async () => {
      const alone = await runWith(env(), repo.dir, '--like-ci')
      expect(alone.code).toBe(2)
      expect(alone.stderr).toContain('--like-ci needs --changed')
      const noAuthor = await runWith(env(), repo.dir, '--changed', 'HEAD~1..HEAD', '--like-ci')
      expect(noAuthor.code).toBe(2)
      expect(noAuthor.stderr).toContain('--like-ci needs --author')
    })
  })
})
