import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import S3rver from 's3rver'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { blobKey } from '#core/blobs'
import { validateRegistry } from '#core/registry'
import { checkRequest } from '../../core/github/testing/github-stub.ts'
import { EVIL_PICKLE_P0, safetensors } from '../../core/scan/__fixtures__/build.ts'
import { main } from '../agora.ts'
import type { PublishReport } from './publish.ts'

const fixtures = fileURLToPath(new URL('./__fixtures__/', import.meta.url))
const sha = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex')

function sink() {
  let text = ''
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      text += chunk
      callback()
    },
  })
  return { stream, text: () => text }
}

async function run(
  argv: string[],
  cwd: string,
  env: Record<string, string> = {},
  fetch = globalThis.fetch,
) {
  const out = sink()
  const err = sink()
  const code = await main(argv, { cwd, env, stdout: out.stream, stderr: err.stream, fetch })
  return { code, stdout: out.text(), stderr: err.text() }
}

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort()
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' },
  }).trim()

describe('scripts/commands/publish', () => {
  let work: string
  let root: string
  let input: string

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'agora-publish-cmd-'))
    root = join(work, 'hub')
    input = join(work, 'sol-net')
    await cp(join(fixtures, 'hub'), root, { recursive: true })
    await cp(join(fixtures, 'new-model'), input, { recursive: true })
  })
  afterEach(async () => {
    await rm(work, { recursive: true, force: true })
  })

  const publishArgs = (...extra: string[]) => [
    'publish',
    input,
    '--id',
    'acme/sol-net',
    '--version',
    '0.1.0',
    '--root',
    root,
    '--json',
    ...extra,
  ]

  it('publishes a new item locally: blobs in the store, valid manifests in the tree', async () => {
    const { code, stdout } = await run(publishArgs('--changelog', 'First release.'), work)
    expect(code).toBe(0)
    const report = JSON.parse(stdout) as PublishReport
    const weights = await readFile(join(input, 'weights/model.onnx'))
    expect(report).toMatchObject({
      ok: true,
      item: 'acme/sol-net',
      version: '0.1.0',
      mode: 'local',
      upload_bytes: weights.length + 23,
      manifests: [
        'registry/models/ac/acme/sol-net/versions/0.1.0.yaml',
        'registry/models/ac/acme/sol-net/item.yaml',
        'registry/models/ac/acme/sol-net/README.md',
      ],
    })
    expect(report.files).toEqual([
      { path: 'config.json', size: 23, sha256: sha('{"inputs": ["smiles"]}\n'), uploaded: true },
      { path: 'weights/model.onnx', size: weights.length, sha256: sha(weights), uploaded: true },
    ])
    expect(await files(join(root, '.agora/blobs'))).toEqual(
      [blobKey(sha('{"inputs": ["smiles"]}\n')), blobKey(sha(weights))].sort(),
    )
    const item = await readFile(join(root, 'registry/models/ac/acme/sol-net/item.yaml'), 'utf8')
    expect(item).toContain('license: Apache-2.0\n')
    expect(item).toContain(
      "summary: Predicts aqueous solubility (logS) from a molecule's SMILES string.\n",
    )
    const { issues } = await validateRegistry(root)
    expect(issues.filter((i) => i.severity === 'error')).toEqual([])

    const again = await run(publishArgs(), work)
    expect(again.code).toBe(0)
    const second = JSON.parse(again.stdout) as PublishReport
    expect(second).toMatchObject({ unchanged: true, upload_bytes: 0, manifests: [] })
    expect(second.files.every((f) => !f.uploaded)).toBe(true)
  })

  it('draws hashing and upload progress with totals on a terminal only', async () => {
    const out = sink()
    const err = Object.assign(sink().stream, { isTTY: true, columns: 160 })
    let drawn = ''
    const write = err.write.bind(err)
    err.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      drawn += String(chunk)
      return write(chunk, ...rest)
    }) as typeof err.write
    const code = await main(
      publishArgs().filter((a) => a !== '--json'),
      {
        cwd: work,
        env: {},
        stdout: out.stream,
        stderr: err,
        fetch: globalThis.fetch,
      },
    )
    expect(code).toBe(0)
    expect(drawn).toMatch(/hashing \[#+\] {2}100% {2}68\.4 KiB\/68\.4 KiB/)
    expect(drawn).toMatch(/uploading acme\/sol-net@0\.1\.0 \[#+\] {2}100% {2}68\.4 KiB\/68\.4 KiB/)
    expect(out.text()).not.toContain('\r')
    expect(out.text()).toContain(
      'acme/sol-net@0.1.0: 2 files, 2 uploaded (68.4 KiB), 0 already stored',
    )
  })

  it('bumps dist-tags.latest of an existing item and keeps its comments', async () => {
    const { code } = await run(
      [
        'publish',
        join(fixtures, 'blobs'),
        '--id',
        'acme/tox-gnn',
        '--version',
        '1.1.0',
        '--root',
        root,
      ],
      work,
    )
    expect(code).toBe(0)
    const item = await readFile(join(root, 'registry/models/ac/acme/tox-gnn/item.yaml'), 'utf8')
    expect(item).toContain(
      '# Kept by agora publish: comments and key order survive a version bump.',
    )
    expect(item).toContain('  latest: 1.1.0')
    expect(item).toContain('owners: [acme]')
    const older = await run(
      [
        'publish',
        join(fixtures, 'blobs'),
        '--id',
        'acme/tox-gnn',
        '--version',
        '1.0.1',
        '--root',
        root,
      ],
      work,
    )
    expect(older.code).toBe(0)
    expect(
      await readFile(join(root, 'registry/models/ac/acme/tox-gnn/item.yaml'), 'utf8'),
    ).toContain('  latest: 1.1.0')
  })

  it('refuses to change a released version', async () => {
    await writeFile(join(input, 'config.json'), 'changed')
    await cp(join(input, 'config.json'), join(work, 'one/model.onnx'), { recursive: true })
    const { code, stdout } = await run(
      ['publish', join(work, 'one'), '--id', 'acme/tox-gnn', '--version', '1.0.0', '--root', root],
      work,
    )
    expect(code).toBe(1)
    expect(stdout).toContain('publish/version-exists')
    expect(stdout).toContain('hint: released versions are immutable')
    expect(await files(join(root, '.agora'))).toEqual([])
  })

  it('fills the empty version agora new scaffolded, keeping what the author wrote in it', async () => {
    expect((await run(['new', 'model', 'acme/fresh', '--root', root], work)).code).toBe(0)
    const dir = join(root, 'registry/models/ac/acme/fresh')
    const item = join(dir, 'item.yaml')
    await writeFile(
      item,
      (await readFile(item, 'utf8'))
        .replace('summary: ""', 'summary: Something useful.')
        .replace('license: ""', 'license: MIT'),
    )
    const draft = join(dir, 'versions/0.1.0.yaml')
    await writeFile(
      draft,
      (await readFile(draft, 'utf8')).replace('changelog: First release.', 'changelog: Hello.'),
    )
    const { code, stdout } = await run(
      ['publish', input, '--id', 'acme/fresh', '--version', '0.1.0', '--root', root, '--json'],
      work,
    )
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({
      ok: true,
      manifests: [
        'registry/models/ac/acme/fresh/versions/0.1.0.yaml',
        'registry/models/ac/acme/fresh/README.md',
      ],
    })
    const filled = await readFile(draft, 'utf8')
    expect(filled).toContain('# What changed in this version.\nchangelog: Hello.\n')
    expect(filled).toContain(`sha256: ${sha('{"inputs": ["smiles"]}\n')}`)
    expect(filled).toMatch(/^released: \d{4}-\d\d-\d\d$/m)
    const { issues } = await validateRegistry(root)
    expect(issues.filter((i) => i.severity === 'error')).toEqual([])

    // Once it has files the version is released: other files are refused.
    await writeFile(join(input, 'config.json'), 'changed')
    const again = await run(
      ['publish', input, '--id', 'acme/fresh', '--version', '0.1.0', '--root', root],
      work,
    )
    expect(again.code).toBe(1)
    expect(again.stdout).toContain('publish/version-exists')
  })

  describe('a LoRA', () => {
    let lora: string
    beforeEach(async () => {
      lora = join(work, 'legal-lora')
      await mkdir(lora, { recursive: true })
      const tensors = ['q_proj', 'v_proj'].flatMap((m, i) => [
        [`base_model.model.layers.0.self_attn.${m}.lora_A.weight`, [8, 16], i * 2],
        [`base_model.model.layers.0.self_attn.${m}.lora_B.weight`, [16, 8], i * 2 + 1],
      ]) as [string, number[], number][]
      const header = Object.fromEntries(
        tensors.map(([name, shape, n]) => [
          name,
          { dtype: 'F32', shape, data_offsets: [n * 512, (n + 1) * 512] },
        ]),
      )
      await writeFile(join(lora, 'adapter_model.safetensors'), safetensors(header, 4 * 512))
      await writeFile(
        join(lora, 'adapter_config.json'),
        JSON.stringify({
          peft_type: 'LORA',
          base_model_name_or_path: 'meta-llama/Llama-3.1-8B',
          r: 8,
          lora_alpha: 16,
          target_modules: ['v_proj', 'q_proj'],
        }),
      )
    })
    const loraArgs = (...extra: string[]) => [
      'publish',
      lora,
      '--kind',
      'lora',
      '--id',
      'acme/legal-lora',
      '--version',
      '1.0.0',
      '--license',
      'MIT',
      '--summary',
      'Legal style.',
      '--root',
      root,
      ...extra,
    ]

    it('takes r, lora_alpha, target_modules and base_model from adapter_config.json', async () => {
      const { code, stdout } = await run(loraArgs(), work)
      expect(stdout).not.toContain('error')
      expect(code).toBe(0)
      const dir = join(root, 'registry/loras/ac/acme/legal-lora')
      const version = await readFile(join(dir, 'versions/1.0.0.yaml'), 'utf8')
      expect(version).toContain('r: 8\nlora_alpha: 16\ntarget_modules:\n  - v_proj\n  - q_proj\n')
      const item = await readFile(join(dir, 'item.yaml'), 'utf8')
      expect(item).toContain('base_model: hf:meta-llama/Llama-3.1-8B\n')
      expect(item).toContain('base_model_relation: adapter\n')
      const { issues } = await validateRegistry(root)
      expect(issues.filter((i) => i.severity === 'error')).toEqual([])
    })

    it('refuses a manifest that disagrees with adapter_config.json, naming both values', async () => {
      await writeFile(
        join(lora, 'README.md'),
        '---\nr: 4\nbase_model: hf:mistralai/Mistral-7B-v0.1\n---\n# Legal\n',
      )
      const { code, stdout } = await run(loraArgs(), work)
      expect(code).toBe(1)
      const file = 'registry/loras/ac/acme/legal-lora/versions/1.0.0.yaml'
      expect(stdout).toContain(
        `${file}  scan/peft-manifest-mismatch  adapter_config.json: the manifest says r: 4, adapter_config.json says 8\n  hint: make r, lora_alpha and target_modules in the version manifest agree with adapter_config.json`,
      )
      expect(stdout).toContain(
        `${file}  scan/peft-base-model-mismatch  adapter_config.json: base_model_name_or_path is "meta-llama/Llama-3.1-8B" but the item's base_model is "hf:mistralai/Mistral-7B-v0.1"`,
      )
      expect(await files(join(root, '.agora'))).toEqual([])
    })
  })

  it('with --pr checks for GITHUB_TOKEN before hashing or uploading anything', async () => {
    const before = await files(root)
    const { code, stdout } = await run(publishArgs('--pr'), work, {})
    expect(code).toBe(2)
    expect(JSON.parse(stdout).error).toMatchObject({
      code: 'publish/no-token',
      hint: 'export GITHUB_TOKEN with a token that may push and open pull requests, or use --local; nothing was uploaded',
    })
    expect(await files(root)).toEqual(before)
    expect(await files(join(root, '.agora'))).toEqual([])
  })

  it('with --dry-run shows the plan and touches nothing', async () => {
    const before = await files(root)
    const { code, stdout } = await run(publishArgs('--dry-run'), work)
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, dry_run: true, upload_bytes: 70023 })
    expect(await files(root)).toEqual(before)
    const text = await run(
      publishArgs('--dry-run').filter((a) => a !== '--json'),
      work,
    )
    expect(text.stdout).toContain('upload  weights/model.onnx')
    expect(text.stdout).toContain('create registry/models/ac/acme/sol-net/item.yaml')
  })

  it('validates before uploading: a bad manifest uploads nothing', async () => {
    await writeFile(
      join(input, 'README.md'),
      '---\nlicense: MITT\n---\n# Sol\n\nSolubility from SMILES.\n',
    )
    const { code, stdout } = await run(
      publishArgs().filter((a) => a !== '--json'),
      work,
    )
    expect(code).toBe(1)
    expect(stdout).toContain('registry/models/ac/acme/sol-net/item.yaml:')
    expect(stdout).toContain('manifest/unknown-license  license "MITT" is not an SPDX id')
    expect(await files(join(root, '.agora'))).toEqual([])
    await expect(stat(join(root, 'registry/models/ac/acme/sol-net'))).rejects.toThrow()
  })

  it('tells the author of a new item without licence or summary which flags give them', async () => {
    await rm(join(input, 'README.md'))
    const { code, stdout } = await run(
      publishArgs().filter((a) => a !== '--json'),
      work,
    )
    expect(code).toBe(1)
    expect(stdout).toContain(
      'missing required field "license"\n  hint: pass --license with an SPDX id',
    )
    expect(stdout).toContain(
      'summary must have at least 1 character\n  hint: pass --summary "one sentence"',
    )
    expect(await files(join(root, '.agora'))).toEqual([])
  })

  it('scans every file first and refuses a pickle calling os.system: nothing uploaded or written', async () => {
    await writeFile(join(input, 'weights/extra.pkl'), EVIL_PICKLE_P0)
    const before = await files(root)
    const text = await run(
      publishArgs().filter((a) => a !== '--json'),
      work,
    )
    expect(text.code).toBe(1)
    expect(text.stdout).toContain(
      'registry/models/ac/acme/sol-net/versions/0.1.0.yaml  publish/unsafe-file  weights/extra.pkl is unsafe (scan/pickle-dangerous-import): pickle imports os.system, which can run code when loaded\n  hint: ',
    )
    expect(text.stdout).toContain('--allow-unsafe')
    expect(await files(root)).toEqual(before)

    const { code, stdout } = await run(publishArgs(), work)
    expect(code).toBe(1)
    const report = JSON.parse(stdout) as PublishReport
    expect(report.ok).toBe(false)
    expect(report.issues).toEqual([
      expect.objectContaining({ code: 'publish/unsafe-file', severity: 'error' }),
    ])
    expect(report.scans).toContainEqual({
      path: 'weights/extra.pkl',
      format: 'pickle',
      verdict: 'unsafe',
      findings: expect.arrayContaining([
        expect.objectContaining({ code: 'scan/pickle-dangerous-import' }),
      ]),
    })
    expect(await files(root)).toEqual(before)
  })

  it('publishes an unsafe file with --allow-unsafe, warning about it', async () => {
    await writeFile(join(input, 'weights/extra.pkl'), EVIL_PICKLE_P0)
    const { code, stdout } = await run(publishArgs('--allow-unsafe'), work)
    expect(code).toBe(0)
    const report = JSON.parse(stdout) as PublishReport
    expect(report.ok).toBe(true)
    expect(report.issues).toEqual([
      expect.objectContaining({
        code: 'publish/unsafe-file',
        severity: 'warning',
        message: expect.stringContaining('weights/extra.pkl is unsafe'),
        hint: expect.stringContaining('the pull-request check will still refuse it'),
      }),
    ])
    expect(await files(join(root, '.agora/blobs'))).toContain(
      blobKey(sha(Buffer.from(EVIL_PICKLE_P0))),
    )
  })

  it('leaves the registry as it was when the store cannot be written', async () => {
    await mkdir(join(root, '.agora'), { recursive: true })
    await writeFile(join(root, '.agora/blobs'), 'not a folder')
    const before = await files(join(root, 'registry'))
    const { code, stdout } = await run(publishArgs(), work)
    expect(code).toBe(2)
    expect(JSON.parse(stdout)).toMatchObject({
      ok: false,
      error: {
        code: 'storage/write-failed',
        hint: 'check that the store folder exists and is writable',
      },
    })
    expect(await files(join(root, 'registry'))).toEqual(before)
  })

  describe('to S3', () => {
    let s3: S3rver
    let s3dir: string
    let endpoint: string
    beforeAll(async () => {
      s3dir = await mkdtemp(join(tmpdir(), 'agora-publish-s3-'))
      s3 = new S3rver({
        port: 0,
        address: '127.0.0.1',
        silent: true,
        directory: s3dir,
        configureBuckets: [{ name: 'hub', configs: [] }],
      })
      const { port } = (await s3.run()) as AddressInfo
      endpoint = `http://127.0.0.1:${port}`
    })
    afterAll(async () => {
      await s3.close()
      await rm(s3dir, { recursive: true, force: true })
    })

    it('uploads the blobs once and skips them on a re-publish', async () => {
      const hubFile = join(root, 'registry/agora.yaml')
      const text = await readFile(hubFile, 'utf8')
      await writeFile(
        hubFile,
        text.replace(
          'storage: { type: fs, path: .agora/blobs }',
          `storage: { type: s3, bucket: hub, region: us-east-1, endpoint: "${endpoint}", force_path_style: true, private_prefix: private/ }`,
        ),
      )
      const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' }
      const first = await run(publishArgs(), work, env)
      expect(first.code).toBe(0)
      expect(JSON.parse(first.stdout).files.every((f: { uploaded: boolean }) => f.uploaded)).toBe(
        true,
      )
      const weights = await readFile(join(input, 'weights/model.onnx'))
      const head = await fetch(`${endpoint}/hub/${blobKey(sha(weights))}`, { method: 'HEAD' })
      expect(head.headers.get('content-length')).toBe(String(weights.length))
      await rm(join(root, 'registry/models/ac/acme/sol-net'), { recursive: true })
      const second = await run(publishArgs(), work, env)
      expect(second.code).toBe(0)
      expect(JSON.parse(second.stdout)).toMatchObject({ upload_bytes: 0 })
    })
  })

  describe('--pr', () => {
    let remoteRoot: string
    let server: Server
    let remoteUrl: string
    const seenAuth: string[] = []

    beforeAll(async () => {
      remoteRoot = await mkdtemp(join(tmpdir(), 'agora-remote-'))
      // A real smart-HTTP remote: git http-backend behind a loopback server that demands a token.
      server = createServer((request, response) => {
        const auth = request.headers.authorization
        const url = new URL(request.url ?? '/', 'http://x')
        if (
          url.searchParams.get('service') === 'git-receive-pack' ||
          url.pathname.endsWith('/git-receive-pack')
        ) {
          seenAuth.push(auth ?? '')
          if (auth !== `Basic ${Buffer.from('x-access-token:t0ken').toString('base64')}`) {
            response.writeHead(401, { 'www-authenticate': 'Basic realm="hub"' }).end()
            return
          }
        }
        const cgi = spawn('git', ['http-backend'], {
          env: {
            PATH: process.env.PATH ?? '',
            GIT_PROJECT_ROOT: remoteRoot,
            GIT_HTTP_EXPORT_ALL: '1',
            REMOTE_USER: 'x-access-token',
            REQUEST_METHOD: request.method ?? 'GET',
            PATH_INFO: url.pathname,
            QUERY_STRING: url.search.slice(1),
            CONTENT_TYPE: request.headers['content-type'] ?? '',
            ...(request.headers['content-length']
              ? { CONTENT_LENGTH: request.headers['content-length'] }
              : {}),
          },
        })
        request.pipe(cgi.stdin)
        let head = Buffer.alloc(0)
        let started = false
        cgi.stdout.on('data', (chunk: Buffer) => {
          if (started) {
            response.write(chunk)
            return
          }
          head = Buffer.concat([head, chunk])
          const end = head.indexOf('\r\n\r\n')
          if (end === -1) return
          started = true
          let status = 200
          for (const line of head.subarray(0, end).toString().split('\r\n')) {
            const [name, ...rest] = line.split(':')
            const value = rest.join(':').trim()
            if (name?.toLowerCase() === 'status') status = Number.parseInt(value, 10)
            else if (name) response.setHeader(name, value)
          }
          response.writeHead(status)
          response.write(head.subarray(end + 4))
        })
        cgi.stdout.on('end', () => response.end())
      })
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
      remoteUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hub.git`
    })
    afterAll(async () => {
      server.closeAllConnections()
      await new Promise((done) => server.close(done))
      await rm(remoteRoot, { recursive: true, force: true })
    })

    it('commits on a new branch, pushes it over smart HTTP and opens a pull request', async () => {
      execFileSync('git', ['init', '-q', '--bare', join(remoteRoot, 'hub.git')])
      git(join(remoteRoot, 'hub.git'), 'config', 'http.receivepack', 'true')
      git(root, 'init', '-q', '-b', 'main')
      git(root, '-c', 'user.name=T', '-c', 'user.email=t@example.org', 'add', '.')
      git(root, '-c', 'user.name=T', '-c', 'user.email=t@example.org', 'commit', '-qm', 'hub')
      git(root, 'remote', 'add', 'origin', remoteUrl)
      const statusBefore = git(root, 'status', '--porcelain')

      const calls: { method: string; path: string; body: Record<string, unknown> }[] = []
      const problems: string[] = []
      const githubFetch = (async (input: string | URL | Request, init?: RequestInit) => {
        const url = new URL(
          typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
        )
        const method = (init?.method ?? 'GET').toUpperCase()
        const body = JSON.parse(String(init?.body ?? '{}')) as Record<string, unknown>
        const checked = checkRequest(
          method,
          url.pathname,
          Object.fromEntries(url.searchParams),
          body,
        )
        problems.push(...checked.problems)
        calls.push({ method, path: url.pathname, body })
        if (method === 'POST' && url.pathname === '/repos/agora-hub/registry/pulls') {
          return Response.json(
            { number: 42, html_url: 'https://github.com/agora-hub/registry/pull/42' },
            { status: 201 },
          )
        }
        return Response.json({ message: 'unexpected call' }, { status: 404 })
      }) as typeof fetch

      const env = {
        GITHUB_TOKEN: 't0ken',
        GIT_AUTHOR_NAME: 'Ada',
        GIT_AUTHOR_EMAIL: 'ada@example.org',
      }
      const { code, stdout, stderr } = await run(publishArgs('--pr'), work, env, githubFetch)
      expect(stderr).toBe('')
      expect(code).toBe(0)
      const report = JSON.parse(stdout) as PublishReport
      expect(report).toMatchObject({
        mode: 'pr',
        branch: 'publish/models-acme-sol-net-0.1.0',
        pull_request: { number: 42, url: 'https://github.com/agora-hub/registry/pull/42' },
      })
      expect(problems).toEqual([])
      expect(calls).toHaveLength(1)
      const body = calls[0]?.body ?? {}
      expect(body).toMatchObject({
        head: 'publish/models-acme-sol-net-0.1.0',
        base: 'main',
        title: 'Publish acme/sol-net 0.1.0',
      })
      expect(String(body.body)).toContain(
        `| \`weights/model.onnx\` | 70,000 | \`${report.files[1]?.sha256}\` | uploaded |`,
      )
      expect(seenAuth.some((a) => a.startsWith('Basic '))).toBe(true)

      // The branch reached the remote with the manifests; the working tree is untouched.
      const bare = join(remoteRoot, 'hub.git')
      const listed = git(bare, 'ls-tree', '-r', '--name-only', 'publish/models-acme-sol-net-0.1.0')
      expect(listed).toContain('registry/models/ac/acme/sol-net/versions/0.1.0.yaml')
      expect(git(bare, 'log', '-1', '--format=%an %s', 'publish/models-acme-sol-net-0.1.0')).toBe(
        'Ada Publish acme/sol-net 0.1.0',
      )
      expect(git(root, 'status', '--porcelain')).toBe(statusBefore)
      await expect(stat(join(root, 'registry/models/ac/acme/sol-net'))).rejects.toThrow()
    })

    it('says how to fix a refused push and leaves no branch behind', async () => {
      execFileSync('git', ['init', '-q', '--bare', join(remoteRoot, 'hub.git')])
      git(root, 'init', '-q', '-b', 'main')
      git(root, '-c', 'user.name=T', '-c', 'user.email=t@example.org', 'add', '.')
      git(root, '-c', 'user.name=T', '-c', 'user.email=t@example.org', 'commit', '-qm', 'hub')
      const { code, stdout } = await run(
        publishArgs('--pr', '--remote', remoteUrl),
        work,
        { GITHUB_TOKEN: 'wrong' },
        (() => {
          throw new Error('no GitHub call expected')
        }) as unknown as typeof fetch,
      )
      expect(code).toBe(2)
      expect(JSON.parse(stdout).error).toMatchObject({
        code: 'github/push-failed',
        hint: expect.stringContaining('GITHUB_TOKEN'),
      })
      expect(git(root, 'branch', '--list', 'publish/*')).toBe('')
    })
  })
})
