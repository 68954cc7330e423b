import { createHash } from 'node:crypto'
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
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
function fakeCommitHub(
  token: string,
  options: {
    /** Ask for multipart LFS uploads in parts of this many bytes, as the Hub does for large files. */
    chunkSize?: number
    /** Runs before a PUT's body is read. */
    beforePut?: () => Promise<void>
  } = {},
) {
  const seen: { method: string; url: string; body?: string | Uint8Array }[] = []
  const unexpected: string[] = []
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input)
    const method = init?.method ?? 'GET'
    const auth = new Headers(init?.headers).get('authorization')
    if (method === 'PUT') await options.beforePut?.()
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
      const { chunkSize } = options
      return Response.json({
        transfer: 'basic',
        objects: objects.map((o) => {
          if (chunkSize === undefined)
            return { ...o, actions: { upload: { href: `https://lfs.example/${o.oid}` } } }
          const parts = Object.fromEntries(
            Array.from({ length: Math.ceil(o.size / chunkSize) }, (_, i) => [
              String(i + 1).padStart(5, '0'),
              `https://lfs.example/${o.oid}/part/${i + 1}`,
            ]),
          )
          const href = `https://lfs.example/${o.oid}/complete`
          return {
            ...o,
            actions: { upload: { href, header: { chunk_size: String(chunkSize), ...parts } } },
          }
        }),
      })
    }
    if (method === 'PUT' && url.startsWith('https://lfs.example/'))
      return new Response(null, {
        status: 200,
        headers: { etag: `"${sha256(body as Uint8Array)}"` },
      })
    if (method === 'POST' && /^https:\/\/lfs\.example\/[0-9a-f]{64}\/complete$/.test(url))
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
    // No benchmark on this hub stands for the card's datasets, so every result is dropped.
    expect(JSON.parse(imported.stdout).dropped.map((d: { path: string }) => d.path)).toEqual([
      'widget',
      'model-index[0].name',
      ...Array.from({ length: 9 }, (_, r) => `model-index[0].results[${r}]`),
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

  it("files model-index results under this hub's benchmarks as community results, and export gives them back", async () => {
    const LEADERBOARD =
      'https://huggingface.co/spaces/HuggingFaceH4/open_llm_leaderboard?query=HuggingFaceH4/zephyr-7b-beta'
    for (const [name, dataset, metric] of [
      ['arc', 'ai2_arc', 'acc_norm'],
      ['gsm8k', 'gsm8k', 'acc'],
    ] as const) {
      const dir = join(root, 'registry/benchmarks/hf/hf', name)
      await mkdir(dir, { recursive: true })
      await writeFile(join(dir, 'README.md'), `# ${name}\n\nA benchmark.\n`)
      await writeFile(
        join(dir, 'item.yaml'),
        `kind: benchmark\nid: hf/${name}\ntitle: ${name}\nsummary: A benchmark.\nowners: [labs]\nlicense: MIT\nlinks:\n  homepage: https://huggingface.co/datasets/${dataset}\ntask: reasoning\nmetrics:\n  - name: ${metric}\n    higher_is_better: true\n`,
      )
    }
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
    const described = (r: number) => [
      `model-index[0].results[${r}].task.name`,
      `model-index[0].results[${r}].dataset.name`,
      `model-index[0].results[${r}].dataset.config`,
      `model-index[0].results[${r}].dataset.split`,
      `model-index[0].results[${r}].dataset.args`,
      `model-index[0].results[${r}].metrics[0].name`,
    ]
    expect(JSON.parse(imported.stdout).dropped.map((d: { path: string }) => d.path)).toEqual([
      'widget',
      'model-index[0].name',
      ...described(0),
      'model-index[0].results[1]',
      'model-index[0].results[2]',
      'model-index[0].results[3]',
      ...described(4),
      'model-index[0].results[5]',
      'model-index[0].results[6]',
      'model-index[0].results[7]',
      'model-index[0].results[8]',
    ])
    const item = join(root, 'registry/models/ac/acme/zephyr')
    expect(parse(await readFile(join(item, 'results/hf/arc.yaml'), 'utf8'))).toEqual({
      benchmark: 'benchmarks/hf/arc',
      version: '1.0.0',
      scores: { acc_norm: 62.03071672354948 },
      date: new Date().toISOString().slice(0, 10),
      source: { name: 'Open LLM Leaderboard', url: LEADERBOARD },
      verified: false,
    })
    const validated = await run(root, hub.fetch, {}, 'validate', 'registry/models/ac/acme/zephyr')
    expect(validated.stdout).toBe('✔ 1 item, 0 problems\n')

    const exported = await run(root, hub.fetch, {}, 'export', 'hf', 'acme/zephyr', '--out', 'out')
    expect(exported.code).toBe(0)
    // An absolute --out is that folder, not one of that name under the current folder.
    const absolute = join(root, 'absolute-out')
    const again = await run(root, hub.fetch, {}, 'export', 'hf', 'acme/zephyr', '--out', absolute)
    expect(again.code).toBe(0)
    expect(await readFile(join(absolute, 'README.md'), 'utf8')).toContain('model-index')
    const card = loadReadme(await readFile(join(root, 'out/README.md')), 'README.md')
    const source = { name: 'Open LLM Leaderboard', url: LEADERBOARD }
    expect(card.value?.frontMatter['model-index']).toEqual([
      {
        name: 'zephyr',
        results: [
          {
            task: { type: 'text-generation' },
            dataset: { type: 'ai2_arc', name: 'ai2_arc' },
            metrics: [{ type: 'acc_norm', value: 62.03071672354948, verified: false }],
            source,
          },
          {
            task: { type: 'text-generation' },
            dataset: { type: 'gsm8k', name: 'gsm8k' },
            metrics: [{ type: 'acc', value: 12.736921910538287, verified: false }],
            source,
          },
        ],
      },
    ])
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

  async function importZephyr(): Promise<void> {
    const repo = await zephyrRepo()
    const args = ['import', 'hf', repo.id, '--as', 'acme/zephyr', '--mirror']
    expect((await run(root, fakeHubFetch([repo]).fetch, {}, ...args)).code).toBe(0)
  }

  const push = (fetch: typeof globalThis.fetch) =>
    run(
      root,
      fetch,
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

  it('--push sends a file larger than the LFS part size in parts, each cut from the file', async () => {
    await importZephyr()
    const hub = fakeCommitHub('hf_test', { chunkSize: 16 })
    const result = await push(hub.fetch)
    expect(hub.unexpected).toEqual([])
    expect(result.code).toBe(0)
    const parts = hub.seen.filter((r) => r.method === 'PUT')
    expect(parts.length).toBe(Math.ceil(weights.byteLength / 16))
    expect(parts.length).toBeGreaterThan(1)
    const ordered = parts.sort(
      (a, b) => Number(a.url.split('/').at(-1)) - Number(b.url.split('/').at(-1)),
    )
    expect(Buffer.concat(ordered.map((p) => p.body as Uint8Array)).equals(weights)).toBe(true)
    const complete = hub.seen.find((r) => r.url.endsWith('/complete'))
    const { parts: done } = JSON.parse(String(complete?.body)) as {
      parts: { partNumber: number; etag: string }[]
    }
    expect(done.map((p) => p.etag)).toEqual(ordered.map((p) => `"${sha256(p.body as Uint8Array)}"`))
  })

  it('--push reads each file from disk while sending it instead of holding a copy in memory', async () => {
    await importZephyr()
    // A file-backed Blob refuses to read a file changed after it was opened;
    // a copy held in memory would still send the old bytes.
    const hub = fakeCommitHub('hf_test', {
      beforePut: () =>
        writeFile(join(root, 'out', 'model.safetensors'), Buffer.alloc(weights.byteLength, 1)),
    })
    const result = await push(hub.fetch)
    expect(result.code).toBe(2)
    expect(JSON.parse(result.stdout).error).toMatchObject({
      code: 'export/push-failed',
      message: 'pushing to acme/zephyr failed: The blob could not be read',
    })
    expect(hub.seen.some((r) => r.method === 'PUT')).toBe(false)
  })

  it('refuses to export a paid item, whose files the Hub would give away', async () => {
    const repo = await zephyrRepo()
    await run(root, fakeHubFetch([repo]).fetch, {}, 'import', 'hf', repo.id, '--as', 'acme/zephyr')
    const itemFile = join(root, 'registry/models/ac/acme/zephyr/item.yaml')
    await writeFile(
      itemFile,
      `${await readFile(itemFile, 'utf8')}pricing:\n  model: per-download\n  price: 10\n  currency: usd\n`,
    )
    const result = await run(
      root,
      fakeHubFetch([repo]).fetch,
      {},
      'export',
      'hf',
      'acme/zephyr',
      '--out',
      'out',
    )
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('export/paid-item')
    expect(await readdir(root)).not.toContain('out')
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
