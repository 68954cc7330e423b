import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fakeHubFetch } from '../../core/hf/__fixtures__/fake-hub-fetch.ts'
import { main } from '../agora.ts'
import { captureStream } from '../cli/capture.ts'

const fixture = fileURLToPath(
  new URL('../../core/registry/__fixtures__/changes/base', import.meta.url),
)

/** The Hub's search API for one query, answering the repositories given; anything else is recorded. */
function fakeSearch(kind: 'models' | 'datasets', query: string, limit: number, body: unknown[]) {
  const calls: string[] = []
  const fetch = (async (input: string | URL | Request) => {
    const url = String(input)
    calls.push(url)
    if (
      url ===
      `https://huggingface.co/api/${kind}?search=${encodeURIComponent(query)}&limit=${limit}`
    )
      return Response.json(body)
    return new Response('{}', { status: 404 })
  }) as typeof globalThis.fetch
  return { fetch, calls }
}

async function run(cwd: string, fetch: typeof globalThis.fetch, ...argv: string[]) {
  const stdout = captureStream()
  const stderr = captureStream()
  const code = await main(argv, { cwd, env: {}, stdout, stderr, fetch })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

describe('scripts/commands/search --hf', () => {
  let root: string
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'agora-search-hf-'))
    await cp(fixture, root, { recursive: true })
  })
  afterEach(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('lists Hub models and marks the one imported here, by the Hub page import recorded', async () => {
    const repo = {
      kind: 'model' as const,
      id: 'google-bert/bert-base-uncased',
      sha: 'e'.repeat(40),
      files: { 'README.md': { bytes: '---\nlicense: apache-2.0\n---\n# BERT\n' } },
    }
    expect(
      (await run(root, fakeHubFetch([repo]).fetch, 'import', 'hf', repo.id, '--as', 'acme/bert'))
        .code,
    ).toBe(0)
    const hub = fakeSearch('models', 'bert base', 3, [
      { id: 'google-bert/bert-base-uncased', downloads: 100, likes: 5, pipeline_tag: 'fill-mask' },
      { id: 'google-bert/bert-base-cased', downloads: 50 },
    ])
    const result = await run(
      root,
      hub.fetch,
      'search',
      '--hf',
      'bert',
      'base',
      '--limit',
      '3',
      '--json',
    )
    expect(result.code).toBe(0)
    expect(hub.calls).toEqual(['https://huggingface.co/api/models?search=bert%20base&limit=3'])
    expect(JSON.parse(result.stdout)).toEqual({
      ok: true,
      query: 'bert base',
      kind: 'model',
      results: [
        {
          id: 'google-bert/bert-base-uncased',
          kind: 'model',
          downloads: 100,
          likes: 5,
          pipeline_tag: 'fill-mask',
          onHub: 'acme/bert',
        },
        { id: 'google-bert/bert-base-cased', kind: 'model', downloads: 50 },
      ],
    })
    const text = await run(root, hub.fetch, 'search', '--hf', 'bert', 'base', '--limit', '3')
    expect(text.stdout).toBe(
      'google-bert/bert-base-uncased  (fill-mask, 100 downloads, 5 likes)  ✔ on this hub as acme/bert\n' +
        'google-bert/bert-base-cased  (50 downloads)  agora import hf google-bert/bert-base-cased\n',
    )
  })

  it('searches datasets with --kind dataset and marks one whose id is an item of this hub', async () => {
    const hub = fakeSearch('datasets', 'tox', 20, [
      { id: 'Labs/Tox21' },
      { id: 'other/tox\u001b[31m' },
    ])
    const result = await run(root, hub.fetch, 'search', '--hf', 'tox', '--kind', 'dataset')
    expect(result.stdout).toContain('Labs/Tox21  ✔ on this hub as datasets/labs/tox21\n')
    // Hub text is hostile: escape sequences never reach the terminal.
    expect(result.stdout).not.toContain('\u001b')
  })

  it('says plainly when HF_ENDPOINT answers no search API, as agora serve does not', async () => {
    const hub = fakeSearch('models', 'other query', 20, [])
    const result = await run(root, hub.fetch, 'search', '--hf', 'dockscore')
    expect(hub.calls).toEqual(['https://huggingface.co/api/models?search=dockscore&limit=20'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('hf/no-search  huggingface.co answers no model search')
    expect(result.stderr).toContain('run agora search without --hf')
    expect(result.stderr).not.toContain('--revision')
  })
})
