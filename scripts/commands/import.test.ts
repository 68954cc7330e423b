import { createHash } from 'node:crypto'
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { type FakeRepo, fakeHubFetch } from '../../core/hf/__fixtures__/fake-hub-fetch.ts'
import { latin1, safetensors } from '../../core/scan/__fixtures__/build.ts'
import { main } from '../agora.ts'
import { captureStream } from '../cli/capture.ts'

const fixture = fileURLToPath(
  new URL('../../core/registry/__fixtures__/changes/base', import.meta.url),
)
const SHA = 'a'.repeat(40)
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex')

const card = `---
language: en
tags:
- exbert
license: apache-2.0
datasets:
- bookcorpus
- wikipedia
widget:
- text: Paris is the [MASK] of France.
---

# BERT base model (uncased)

Pretrained model on English language using a masked language modeling (MLM) objective.
`
const weights = safetensors({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 8)
const bert: FakeRepo = {
  kind: 'model',
  id: 'google-bert/bert-base-uncased',
  sha: SHA,
  files: {
    'README.md': { bytes: card },
    'config.json': { bytes: '{"hidden_size": 768}' },
    'model.safetensors': { bytes: weights, lfs: true },
  },
}
/** A pickle whose load calls os.system. */
const evilPickle = latin1('\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03.')

async function run(cwd: string, repos: FakeRepo[], ...argv: string[]) {
  const stdout = captureStream()
  const stderr = captureStream()
  const hub = fakeHubFetch(repos)
  const code = await main(argv, { cwd, env: {}, stdout, stderr, fetch: hub.fetch })
  return { code, stdout: stdout.text(), stderr: stderr.text(), calls: hub.calls }
}

describe('scripts/commands/import (agora import hf)', () => {
  let root: string
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'agora-import-'))
    await cp(fixture, root, { recursive: true })
  })
  afterEach(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('writes an item whose files are the Hub URLs at the commit with their SHA-256, and it validates', async () => {
    const result = await run(
      root,
      [bert],
      'import',
      'hf',
      'google-bert/bert-base-uncased',
      '--as',
      'acme/bert-base-uncased',
      '--json',
    )
    expect(result.stderr).toContain('1 LFS file(s) were not downloaded and not scanned')
    expect(result.code).toBe(0)
    const out = JSON.parse(result.stdout)
    expect(out).toMatchObject({
      ok: true,
      ref: 'acme/bert-base-uncased',
      commit: SHA,
      unscanned: ['model.safetensors'],
    })
    expect(out.dropped).toEqual([{ path: 'widget', reason: 'Agora has no such field' }])
    // Only the Git-stored files are downloaded, to hash them; the LFS pointer gives the weights' hash.
    expect(result.calls).toEqual([
      'https://huggingface.co/api/models/google-bert/bert-base-uncased/revision/main?blobs=true',
      `https://huggingface.co/google-bert/bert-base-uncased/resolve/${SHA}/README.md`,
      `https://huggingface.co/google-bert/bert-base-uncased/resolve/${SHA}/config.json`,
    ])
    const dir = join(root, 'registry/models/ac/acme/bert-base-uncased')
    const item = parse(await readFile(join(dir, 'item.yaml'), 'utf8'))
    expect(item).toMatchObject({
      kind: 'model',
      id: 'acme/bert-base-uncased',
      title: 'bert-base-uncased',
      summary:
        'Pretrained model on English language using a masked language modeling (MLM) objective.',
      owners: ['acme'],
      license: 'Apache-2.0',
      tags: ['exbert'],
      datasets: ['hf:bookcorpus', 'hf:wikipedia'],
      language: ['en'],
      links: { homepage: 'https://huggingface.co/google-bert/bert-base-uncased' },
      'dist-tags': { latest: '1.0.0' },
    })
    const version = parse(await readFile(join(dir, 'versions/1.0.0.yaml'), 'utf8'))
    expect(version.files).toEqual([
      {
        path: 'README.md',
        size: card.length,
        sha256: sha256(card),
        url: `https://huggingface.co/google-bert/bert-base-uncased/resolve/${SHA}/README.md`,
      },
      {
        path: 'config.json',
        size: 20,
        sha256: sha256('{"hidden_size": 768}'),
        url: `https://huggingface.co/google-bert/bert-base-uncased/resolve/${SHA}/config.json`,
      },
      {
        path: 'model.safetensors',
        size: weights.byteLength,
        sha256: sha256(weights),
        url: `https://huggingface.co/google-bert/bert-base-uncased/resolve/${SHA}/model.safetensors`,
      },
    ])
    expect(await readFile(join(dir, 'README.md'), 'utf8')).toMatch(/^\n?# BERT base model/)
    const validated = await run(root, [], 'validate', 'registry/models/ac/acme/bert-base-uncased')
    expect(validated.stdout).toBe('✔ 1 item, 0 problems\n')
  })

  it('--mirror copies every blob into the store, verified, and lists the files without URLs', async () => {
    const result = await run(
      root,
      [bert],
      'import',
      'hf',
      'google-bert/bert-base-uncased',
      '--as',
      'acme/bert',
      '--mirror',
      '--json',
    )
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ mirrored: true, unscanned: [] })
    const stored = await readFile(
      join(root, '.agora/blobs/blobs/sha256', sha256(weights).slice(0, 2), sha256(weights)),
    )
    expect(sha256(stored)).toBe(sha256(weights))
    const version = parse(
      await readFile(join(root, 'registry/models/ac/acme/bert/versions/1.0.0.yaml'), 'utf8'),
    )
    expect(version.files.map((f: { url?: string }) => f.url)).toEqual([
      undefined,
      undefined,
      undefined,
    ])
  })

  it("--mirror refuses a blob whose bytes do not match the Hub's SHA-256 and writes nothing", async () => {
    const tampered: FakeRepo = {
      ...bert,
      files: {
        ...bert.files,
        'model.safetensors': { bytes: weights, lfs: true, served: safetensors({}, 0) },
      },
    }
    const result = await run(
      root,
      [tampered],
      'import',
      'hf',
      'google-bert/bert-base-uncased',
      '--as',
      'acme/bert',
      '--mirror',
    )
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('hf/hash-mismatch')
    expect(await readdir(join(root, 'registry/models/ac/acme'))).not.toContain('bert')
  })

  it('refuses a Git-stored pickle that runs code, as publish does, and writes nothing', async () => {
    const evil: FakeRepo = {
      ...bert,
      files: { ...bert.files, 'pytorch_model.bin': { bytes: evilPickle } },
    }
    const result = await run(
      root,
      [evil],
      'import',
      'hf',
      'google-bert/bert-base-uncased',
      '--as',
      'acme/bert',
    )
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('import/unsafe-file')
    expect(result.stderr).toContain('pytorch_model.bin is unsafe')
    expect(await readdir(join(root, 'registry/models/ac/acme'))).not.toContain('bert')
  })

  it('imports a dataset card: title, tasks, size, format from the files and rows from dataset_info', async () => {
    const imdb: FakeRepo = {
      kind: 'dataset',
      id: 'stanfordnlp/imdb',
      sha: 'b'.repeat(40),
      files: {
        'README.md': {
          bytes: await readFile(
            new URL('../../core/hf/__fixtures__/cards/imdb.md', import.meta.url),
          ),
        },
        'plain_text/train-00000-of-00001.parquet': { bytes: 'PAR1 train', lfs: true },
        'plain_text/test-00000-of-00001.parquet': { bytes: 'PAR1 test', lfs: true },
      },
    }
    const result = await run(
      root,
      [imdb],
      'import',
      'hf',
      'stanfordnlp/imdb',
      '--kind',
      'dataset',
      '--json',
    )
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('note: registry/owners/stanfordnlp.yaml does not exist yet')
    const dir = join(root, 'registry/datasets/st/stanfordnlp/imdb')
    expect(parse(await readFile(join(dir, 'item.yaml'), 'utf8'))).toMatchObject({
      kind: 'dataset',
      title: 'IMDB',
      format: 'parquet',
      license: 'other',
      task_categories: ['text-classification'],
      size_categories: '10K<n<100K',
    })
    expect(parse(await readFile(join(dir, 'versions/1.0.0.yaml'), 'utf8'))).toMatchObject({
      num_datapoints: 100000,
      splits: [
        { name: 'test', num_rows: 25000 },
        { name: 'train', num_rows: 25000 },
        { name: 'unsupervised', num_rows: 50000 },
      ],
    })
  })

  it("pins --revision to the commit it names and escapes the card's text on the terminal", async () => {
    const hostile: FakeRepo = {
      ...bert,
      files: {
        ...bert.files,
        'README.md': { bytes: '---\nlicense: mit\ntags:\n- "evil\\e[2Jtag"\n---\n# X\n' },
      },
    }
    const result = await run(
      root,
      [hostile],
      'import',
      'hf',
      bert.id,
      '--as',
      'acme/bert',
      '--revision',
      SHA,
    )
    expect(result.code).toBe(0)
    expect(result.calls[0]).toBe(
      `https://huggingface.co/api/models/google-bert/bert-base-uncased/revision/${SHA}?blobs=true`,
    )
    expect(result.stdout).toContain('dropped tags[0]: "evil')
    expect(result.stdout).not.toContain('\u001b')
  })

  it('says the repository is not on the Hub, with a hint, and writes nothing', async () => {
    const result = await run(root, [], 'import', 'hf', 'nobody/nothing', '--as', 'acme/nothing')
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('the Hub has no model nobody/nothing@main (RepoNotFound)')
    expect(result.stderr).toContain(
      'hint: check the repository id, --kind (model or dataset) and --revision',
    )
  })
})
