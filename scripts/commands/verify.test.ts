import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { snapshotDownload } from '@huggingface/hub'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestHub } from '../../core/client/__fixtures__/test-hub.ts'
import { startHfHub } from '../../core/hf/__fixtures__/hf-hub.ts'
import { main } from '../agora.ts'
import { captureStream } from '../cli/capture.ts'

describe('scripts/commands/verify --hf-cache', () => {
  let hub: TestHub
  let cache: string
  let folder: string
  const run = async (...argv: string[]) => {
    const stdout = captureStream()
    const stderr = captureStream()
    const code = await main(argv, { cwd: cache, env: {}, stdout, stderr, fetch })
    return { code, out: stdout.text(), err: stderr.text() }
  }

  beforeAll(async () => {
    hub = await startHfHub()
    cache = await mkdtemp(join(tmpdir(), 'agora-hf-verify-'))
    folder = await snapshotDownload({
      repo: { type: 'dataset', name: 'acme/tox21' },
      hubUrl: hub.url,
      cacheDir: cache,
    })
  })
  afterAll(async () => {
    await hub.close()
    await rm(cache, { recursive: true, force: true })
  })

  it('passes a cache the Hub client filled, then names a tampered snapshot file (exit 1)', async () => {
    const clean = await run('verify', '--hf-cache', cache, '--root', hub.root, '--json')
    expect(clean.code).toBe(0)
    expect(JSON.parse(clean.out)).toMatchObject({ ok: true, checked: 2, problems: [] })

    // Writing through the snapshot link alters the blob it points at, as an edit in place would.
    await writeFile(join(folder, 'data/train.csv'), 'smiles,label\nCCO,0\n')
    const tampered = await run('verify', '--hf-cache', cache, '--root', hub.root, '--json')
    expect(tampered.code).toBe(1)
    const report = JSON.parse(tampered.out) as { problems: { file: string; problem: string }[] }
    expect(report.problems).toEqual([
      expect.objectContaining({
        file: expect.stringMatching(
          /^datasets--acme--tox21\/snapshots\/[0-9a-f]{40}\/data\/train\.csv$/,
        ),
        problem: 'mismatch',
      }),
    ])
    const text = await run('verify', '--hf-cache', cache, '--root', hub.root)
    expect(text.code).toBe(1)
    expect(text.out).toContain('data/train.csv: mismatch (expected sha256 ')
  })

  it('refuses to run without --hf-cache', async () => {
    const result = await run('verify')
    expect(result.code).toBe(2)
    expect(result.err).toContain('agora verify --hf-cache [DIR]')
  })

  it('says so when the cache folder is missing, rather than that 0 files match', async () => {
    const missing = join(cache, 'no-such-cache')
    const result = await run('verify', '--hf-cache', missing, '--root', hub.root)
    expect(result.code).toBe(2)
    expect(result.out).toBe('')
    expect(result.err).toBe(
      `cli/bad-argument  no Hugging Face cache at ${missing}\n  hint: download with a Hub client first (HF_ENDPOINT=<hub> …), or name the cache: --hf-cache DIR, HF_HUB_CACHE or HF_HOME\n`,
    )
  })
})
