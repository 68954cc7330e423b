import { createHash } from 'node:crypto'
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadReadme } from '#core/manifest'
import { type FakeRepo, fakeHubFetch } from '../../core/hf/__fixtures__/fake-hub-fetch.ts'
import { safetensors } from '../../core/scan/__fixtures__/build.ts'
import { main } from '../agora.ts'
import { captureStream } from '../cli/capture.ts'

const fixture = fileURLToPath(
  new URL('../../core/registry/__fixtures__/changes/base', import.meta.url),
)
const SHA = 'c'.repeat(40)
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex')
const weights = safetensors({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 8)

async function zephyrRepo(): Promise<FakeRepo> {
  return {
    kind: 'model',
    id: 'HuggingFaceH4/zephyr-7b-beta',
    sha: SHA,
    files: {
      'README.md': {
        bytes: await readFile(
          new URL('../../core/hf/__fixtures__/cards/zephyr-7b-beta.md', import.meta.url),
        ),
      },
      'config.json': { bytes: '{"model_type": "mistral"}' },
      'model.safetensors': { bytes: weights, lfs: true },
    },
  }
}

async function run(
  cwd: string,
  fetch: typeof globalThis.fetch,
  env: Record<string, string>,
  ...argv: string[]
) {
  const stdout = captureStream()
  const stderr = captureStream()
  const code = await main(argv, { cwd, env, stdout, stderr, fetch })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

/**
 * The Hub's commit API as @huggingface/hub (without Xet) calls it: preupload,
 * LFS batch, the LFS PUT and the ndjson commit. Anything else fails the test.
 */
function fakeCommitHub(token: string) {
  const seen: { method: string; url: string; body?: string | Uint8Array }[] = []
  const unexpected: string[] = []
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input)
    const method = init?.method ?? 'GET'
    const auth = new Headers(init?.headers).get('authorization')
    const body =
      init?.body === undefined || init.body === null
        ? undefined
        : typeof init.body === 'string'
          ? init.body
          : new Uint8Array(await new Response(init.body).arrayBuffer())
    seen.push({ method, url, ...(body === undefined ? {} : { body }) })
    if (
      method === 'POST' &&
      url === 'https://huggingface.co/api/models/acme/zephyr/preupload/main' &&
      auth === `Bearer ${token}`
    ) {
      const { files } = JSON.parse(body as string) as { files: { path: string }[] }
      return Response.json({
        files: files.map((f) => ({
          path: f.path,
          uploadMode: f.path.endsWith('.safetensors') ? 'lfs' : 'regular',
        })),
      })
    }
    if (
      method === 'POST' &&
      url === 'https://huggingface.co/acme/zephyr.git/info/lfs/objects/batch' &&
      auth === `Bearer ${token}`
    ) {
      const { objects } = JSON.parse(body as string) as { objects: { oid: string; size: number }[] }
      return Response.json({
        transfer: 'basic',
        objects: objects.map((o) => ({
          ...o,
          actions: { upload: { href: `https://lfs.example/${o.oid}` } },
        })),
      })
    }
    if (method === 'PUT' && url.startsWith('https://lfs.example/'))
      return new Response(null, { status: 200 })
    if (
      method === 'POST' &&
      url === 'https://huggingface.co/api/models/acme/zephyr/commit/main' &&
      auth === `Bearer ${token}`
    ) {
      return Response.json({
        commitOid: 'd'.repeat(40),
        commitUrl: 'https://huggingface.co/acme/zephyr/commit/dddd',
      })
    }
    unexpected.push(`${method} ${url}`)
    return new Response('{}', { status: 404 })
  }) as typeof globalThis.fetch
  return { fetch, seen, unexpected }
}

describe('scripts/commands/export (agora export hf)', () => {
  let root: string
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'agora-export-'))
    await cp(fixture, root, { recursive: true })
  })
  afterEach(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('a real card imported and exported keeps its metadata, less exactly what import dropped, and the files verify', async () => {
    const repo = await zephyrRepo()
    const hub = fakeHubFetch([repo])
    const imported = await run(
      root,
      hub.fetch,
      {},
      'import',
      'hf',
      repo.id,
      '--as',
      'acme/zephyr',
      '--json',
    )
    expect(imported.code).toBe(0)
    expect(JSON.parse(imported.stdout).dropped.map((d: { path: string }) => d.path)).toEqual([
      'widget',
      'model-index',
    ])

    const exported = await run(
      root,
      hub.fetch,
      {},
      'export',
      'hf',
      'acme/zephyr',
      '--out',
      'out',
      '--json',
    )
    expect(exported.stderr).toBe('')
    expect(exported.code).toBe(0)
    expect((await readdir(join(root, 'out'))).sort()).toEqual([
      'README.md',
      'config.json',
      'model.safetensors',
    ])
    expect(sha256(await readFile(join(root, 'out/model.safetensors')))).toBe(sha256(weights))

    const original = loadReadme(repo.files['README.md']?.bytes as Uint8Array, 'original').value
      ?.frontMatter as Record<string, unknown>
    const { widget: _w, 'model-index': _m, ...kept } = original
    const card = loadReadme(await readFile(join(root, 'out/README.md')), 'README.md')
    expect(card.issues).toEqual([])
    expect(card.value?.frontMatter).toEqual(kept)
    expect(card.value?.body).toContain('# Model Card for Zephyr 7B β')
  })

  it('refuses a file whose bytes differ from the manifest and removes the folder', async () => {
    const repo = await zephyrRepo()
    await run(root, fakeHubFetch([repo]).fetch, {}, 'import', 'hf', repo.id, '--as', 'acme/zephyr')
    const tampered = fakeHubFetch([
      {
        ...repo,
        files: {
          ...repo.files,
          'model.safetensors': { bytes: weights, lfs: true, served: 'other bytes' },
        },
      },
    ])
    const result = await run(
      root,
      tampered.fetch,
      {},
      'export',
      'hf',
      'acme/zephyr',
      '--out',
      'out',
    )
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('export/hash-mismatch')
    expect(await readdir(root)).not.toContain('out')
  })

  it('--push commits the folder through @huggingface/hub: preupload, LFS batch and upload, then one commit', async () => {
    const repo = await zephyrRepo()
    await run(
      root,
      fakeHubFetch([repo]).fetch,
      {},
      'import',
      'hf',
      repo.id,
      '--as',
      'acme/zephyr',
      '--mirror',
    )
    const hub = fakeCommitHub('hf_test')
    const result = await run(
      root,
      hub.fetch,
      { HF_TOKEN: 'hf_test' },
      'export',
      'hf',
      'acme/zephyr',
      '--out',
      'out',
      '--push',
      '--repo',
      'acme/zephyr',
      '--json',
    )
    expect(hub.unexpected).toEqual([])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout).pushed).toBe('d'.repeat(40))
    const put = hub.seen.find((r) => r.method === 'PUT')
    expect(put?.url).toBe(`https://lfs.example/${sha256(weights)}`)
    expect(sha256(put?.body as Uint8Array)).toBe(sha256(weights))
    const commit = hub.seen.find((r) => r.url.endsWith('/commit/main'))
    const lines = String(commit?.body ?? '')
      .split('\n')
      .map((l) => JSON.parse(l) as { key: string; value: Record<string, unknown> })
    expect(lines[0]).toMatchObject({
      key: 'header',
      value: { summary: 'Export acme/zephyr@1.0.0 from Agora' },
    })
    expect(lines.filter((l) => l.key === 'lfsFile').map((l) => l.value)).toEqual([
      { path: 'model.safetensors', algo: 'sha256', size: weights.byteLength, oid: sha256(weights) },
    ])
    const readme = lines.find((l) => l.key === 'file' && l.value.path === 'README.md')
    expect(Buffer.from(readme?.value.content as string, 'base64').toString('utf8')).toMatch(
      /^---\nlicense: mit\n/,
    )
  })

  it('--push without HF_TOKEN says what is missing before writing anything', async () => {
    const result = await run(
      root,
      fakeCommitHub('x').fetch,
      {},
      'export',
      'hf',
      'acme/zephyr',
      '--out',
      'out',
      '--push',
      '--repo',
      'acme/zephyr',
    )
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--push needs --repo ID and HF_TOKEN')
    expect(await readdir(root)).not.toContain('out')
  })
})
