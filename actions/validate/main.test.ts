import { execFileSync } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openValidationStore, parseReport, type ValidationReport } from '#core/github'
import { createFsStore } from '#core/storage'
import { EXIT_FAILED, EXIT_OK, EXIT_PROBLEMS, runValidate } from './main.ts'

const FIXTURES = fileURLToPath(new URL('__fixtures__/', import.meta.url))
const BLOBS: Record<string, string> = {
  'model.safetensors': 'b37b101d22dbf79e8b888ef82fb196760e42fe144f5f488c105443ae0aa8b9be',
  'model-v2.safetensors': '36cad557b2161d2c89f5a6fb16dfd52563b3732dc7d32029ed11ccd12db4cd1d',
  'model.pkl': '67758889c98fae34bf2d54ea7f73c624ce8643796db96ad3be86de9bc95cb567',
}

let work: string
let repo: string
let storeDir: string
let baseSha: string

function git(...args: string[]): string {
  return execFileSync('git', args, {
    cwd: repo,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.org',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.org',
      GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
      GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
    },
  }).trim()
}

/** Makes the pull request `name`: a branch from base with the overlay committed, checked out. */
async function openPullRequest(name: string): Promise<string> {
  git('checkout', '--quiet', '--force', '-B', name, baseSha)
  await cp(join(FIXTURES, 'prs', name), repo, { recursive: true })
  git('add', '--all')
  git('commit', '--quiet', '-m', name)
  return git('rev-parse', 'HEAD')
}

async function validate(
  name: string,
  author: string,
): Promise<{
  code: number
  report: ValidationReport
  stdout: string
  summary: string
  outputs: string
}> {
  const head = await openPullRequest(name)
  const summaryFile = join(work, `${name}-summary.md`)
  const outputFile = join(work, `${name}-output.txt`)
  await writeFile(summaryFile, '')
  await writeFile(outputFile, '')
  const chunks: string[] = []
  const stdout = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk))
      done()
    },
  })
  const code = await runValidate({
    cwd: work,
    stdout,
    now: () => new Date('2026-03-01T12:00:00.000Z'),
    env: {
      INPUT_BASE: baseSha,
      INPUT_HEAD: head,
      INPUT_AUTHOR: author,
      INPUT_PR_NUMBER: '12',
      INPUT_ROOT: repo,
      INPUT_REPORT_PATH: `reports/${name}.json`,
      AGORA_STORE_DIR: storeDir,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_OUTPUT: outputFile,
    },
  })
  const parsed = parseReport(await readFile(join(work, 'reports', `${name}.json`)))
  if (!parsed.value) throw new Error(parsed.issues.map((i) => i.message).join('\n'))
  return {
    code,
    report: parsed.value,
    stdout: chunks.join(''),
    summary: await readFile(summaryFile, 'utf8'),
    outputs: await readFile(outputFile, 'utf8'),
  }
}

const codes = (report: ValidationReport) =>
  report.issues.filter((i) => i.severity === 'error').map((i) => i.code)

describe('actions/validate/main', () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'agora-validate-'))
    repo = join(work, 'hub')
    storeDir = join(work, 'store')
    await cp(join(FIXTURES, 'base'), repo, { recursive: true })
    execFileSync('git', ['init', '--quiet', '--initial-branch=main', repo])
    git('add', '--all')
    git('commit', '--quiet', '-m', 'base')
    baseSha = git('rev-parse', 'HEAD')
    const store = createFsStore({ dir: storeDir })
    for (const [file, sha256] of Object.entries(BLOBS)) {
      const path = join(FIXTURES, 'files', file)
      const size = (await readFile(path)).byteLength
      await store.put(() => createReadStream(path), { sha256, size })
    }
  })

  afterAll(async () => {
    await rm(work, { recursive: true, force: true })
  })

  it('passes an owner’s version bump and labels it for auto-merge', async () => {
    const { code, report, summary, outputs, stdout } = await validate('version-bump', 'alice')
    expect(codes(report)).toEqual([])
    expect(code).toBe(EXIT_OK)
    expect(report.labels).toEqual(['validation-passed', 'auto-merge'])
    expect(report.pullRequest).toMatchObject({ number: 12, author: 'alice', baseSha })
    expect(report.changes).toMatchObject({
      onlyAddsVersions: true,
      filesChanged: 2,
      newNamespaces: [],
    })
    expect(report.blobs).toEqual([
      expect.objectContaining({
        path: 'model.safetensors',
        status: 'ok',
        sha256: BLOBS['model-v2.safetensors'],
      }),
    ])
    expect(report.scans).toEqual([
      expect.objectContaining({
        path: 'model.safetensors',
        format: 'safetensors',
        verdict: 'safe',
        verifiedFormat: true,
      }),
    ])
    expect(summary).toContain('## Agora validation: passed')
    expect(outputs).toContain('ok=true\nerrors=0\nlabels=validation-passed,auto-merge\n')
    expect(stdout).not.toMatch(/^::error/m)
  })

  it('passes a clean new item and sends it to review', async () => {
    const { code, report } = await validate('new-item', 'alice')
    expect(codes(report)).toEqual([])
    expect(code).toBe(EXIT_OK)
    expect(report.changes.items).toEqual([
      expect.objectContaining({ ref: 'acme/solubility', added: true, addedVersions: ['1.0.0'] }),
    ])
    expect(report.labels).toEqual(['validation-passed', 'needs-review'])
  })

  it('fails an edit by someone who does not own the item', async () => {
    const { code, report, stdout } = await validate('non-owner-edit', 'mallory')
    expect(code).toBe(EXIT_PROBLEMS)
    expect(codes(report)).toContain('change/author-not-authorized')
    expect(report.labels).toContain('author-not-authorized')
    expect(report.labels).toContain('validation-failed')
    expect(report.labels).not.toContain('auto-merge')
    expect(stdout).toMatch(
      /^::error file=registry\/models\/ac\/acme\/tox-gnn\/item\.yaml,line=\d+,col=\d+,title=change\/author-not-authorized::/m,
    )
  })

  it('fails a change to a released version', async () => {
    const { code, report } = await validate('immutability-breach', 'alice')
    expect(code).toBe(EXIT_PROBLEMS)
    expect(codes(report)).toContain('change/released-version-modified')
    expect(report.labels).toContain('immutability-breach')
  })

  it('flags a new namespace for a maintainer and never auto-merges it', async () => {
    const { report } = await validate('new-namespace', 'bob')
    expect(report.changes.newNamespaces).toEqual(['newco'])
    expect(report.labels).toContain('new-namespace')
    expect(report.labels).toContain('needs-review')
    expect(report.labels).not.toContain('auto-merge')
  })

  it('fails a version whose pickle runs code when loaded', async () => {
    const { code, report, stdout } = await validate('malicious-pickle', 'alice')
    expect(code).toBe(EXIT_PROBLEMS)
    expect(report.ok).toBe(false)
    const pickle = report.scans.find((s) => s.path === 'model.pkl')
    expect(pickle).toMatchObject({ format: 'pickle', verdict: 'unsafe' })
    expect(pickle?.findings.map((f) => f.code)).toContain('scan/pickle-dangerous-import')
    expect(report.labels).toEqual(['validation-failed', 'scan-failed'])
    expect(stdout).toMatch(
      /^::error file=registry\/models\/ac\/acme\/tox-gnn\/versions\/1\.1\.0\.yaml,line=1,title=scan\/pickle-dangerous-import::model\.pkl \(pickle\) is unsafe/m,
    )
  })

  it('fails a version whose files were never uploaded or differ from storage', async () => {
    const { code, report } = await validate('blob-missing', 'alice')
    expect(code).toBe(EXIT_PROBLEMS)
    expect(report.blobs).toEqual([
      expect.objectContaining({ path: 'extra.safetensors', status: 'size-mismatch' }),
      expect.objectContaining({ path: 'model.safetensors', status: 'missing' }),
    ])
    expect(report.scans).toEqual([])
    expect(report.labels).toEqual(['validation-failed', 'blob-missing'])
  })

  it('keeps a hostile file name inside its own annotation line', async () => {
    git('checkout', '--quiet', '--force', '-B', 'hostile-name', baseSha)
    const name = 'registry/models/ac/acme/x,line=1::y\n::warning title=forged::pwned%0A.yaml'
    await writeFile(join(repo, name), 'kind: model\n')
    git('add', '--all')
    git('commit', '--quiet', '-m', 'hostile name')
    const head = git('rev-parse', 'HEAD')
    const out: string[] = []
    const stdout = new Writable({
      write(chunk, _e, done) {
        out.push(String(chunk))
        done()
      },
    })
    const code = await runValidate({
      cwd: work,
      stdout,
      env: {
        INPUT_BASE: baseSha,
        INPUT_HEAD: head,
        INPUT_AUTHOR: 'alice',
        INPUT_PR_NUMBER: '13',
        INPUT_ROOT: repo,
        INPUT_REPORT_PATH: 'reports/hostile-name.json',
        AGORA_STORE_DIR: storeDir,
      },
    })
    expect(code).toBe(EXIT_PROBLEMS)
    const lines = out.join('').trimEnd().split('\n')
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) expect(line).toMatch(/^::(error|warning|notice) /)
    // The report flattens the line break to a space; the annotation escapes the rest.
    const escaped = 'x%2Cline=1%3A%3Ay %3A%3Awarning title=forged%3A%3Apwned%250A.yaml,'
    expect(lines.some((l) => l.includes(escaped))).toBe(true)
    expect(lines.some((l) => l.startsWith('::warning title=forged'))).toBe(false)
  })

  it('refuses inputs that are not what the workflow passes', async () => {
    const out: string[] = []
    const stdout = new Writable({
      write(chunk, _e, done) {
        out.push(String(chunk))
        done()
      },
    })
    const env = {
      INPUT_BASE: baseSha,
      INPUT_HEAD: baseSha,
      INPUT_AUTHOR: 'a b',
      INPUT_PR_NUMBER: '1',
    }
    expect(await runValidate({ cwd: work, stdout, env })).toBe(EXIT_FAILED)
    expect(out.join('')).toBe('::error title=agora/validate::input author must be a GitHub login\n')
    const unknown = {
      ...env,
      INPUT_AUTHOR: 'alice',
      INPUT_HEAD: 'no-such-branch',
      INPUT_ROOT: repo,
    }
    expect(await runValidate({ cwd: work, stdout, env: unknown })).toBe(EXIT_FAILED)
    out.length = 0
    const head = await openPullRequest('version-bump')
    git('checkout', '--quiet', '--force', baseSha)
    const notHead = { ...env, INPUT_AUTHOR: 'alice', INPUT_HEAD: head, INPUT_ROOT: repo }
    expect(await runValidate({ cwd: work, stdout, env: notHead })).toBe(EXIT_FAILED)
    expect(out.join('')).toMatch(/^::error title=agora\/validate::.*github\/worktree-not-head/)
  })

  it('reads blobs from the public URL when it has no credentials and no local store', async () => {
    const asked: string[] = []
    const fetchStub = (async (url: string | URL | Request) => {
      asked.push(String(url))
      return new Response(null, { status: 404 })
    }) as typeof fetch
    const s3 = {
      type: 's3',
      bucket: 'hub',
      region: 'auto',
      private_prefix: 'private/',
      public_url: 'https://blobs.example.org',
    } as const
    const store = openValidationStore(s3, { root: repo, env: {}, fetch: fetchStub })
    expect(await store.stat(BLOBS['model.pkl'] as string)).toBeUndefined()
    expect(asked).toEqual([`https://blobs.example.org/blobs/sha256/67/${BLOBS['model.pkl']}`])
    const fs = {
      type: 'fs',
      path: '.agora/blobs',
      public_url: 'https://blobs.example.org',
    } as const
    const local = openValidationStore(fs, {
      root: repo,
      env: { AGORA_STORE_DIR: storeDir },
      fetch: fetchStub,
    })
    expect(local.type).toBe('fs')
    expect(await local.stat(BLOBS['model.pkl'] as string)).toEqual({
      sha256: BLOBS['model.pkl'],
      size: 35,
    })
    expect(asked).toHaveLength(1)
  })
})
