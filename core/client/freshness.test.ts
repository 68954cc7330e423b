import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { checkFreshness, hubCacheDir } from './freshness.ts'

describe('core/client/freshness with pulls running at once', () => {
  let cacheDir: string
  beforeEach(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'agora-freshness-'))
  })
  afterEach(async () => {
    await rm(cacheDir, { recursive: true, force: true })
  })

  const check = (sequence: number) =>
    checkFreshness({
      cacheDir,
      base: 'https://hub.example',
      keyName: 'key-1',
      config: { sequence, expires: new Date(Date.now() + 86_400_000).toISOString() },
      url: 'https://hub.example/index/config.json',
    })

  it('records the highest sequence whatever order the writers finish in', async () => {
    const sequences = Array.from({ length: 24 }, (_, i) => 100 + ((i * 7) % 24))
    await Promise.all(sequences.map(check))
    const stored = JSON.parse(
      await readFile(join(hubCacheDir(cacheDir, 'https://hub.example'), 'freshness.json'), 'utf8'),
    )
    expect(stored['key-1'].sequence).toBe(123)
    await expect(check(122)).rejects.toMatchObject({ code: 'client/index-rollback' })
  })

  it('takes a damaged freshness.json for none, and writes it anew', async () => {
    const file = join(hubCacheDir(cacheDir, 'https://hub.example'), 'freshness.json')
    for (const damaged of ['null', '[]', '"x"', '{']) {
      await mkdir(dirname(file), { recursive: true })
      await writeFile(file, damaged)
      expect(await check(7)).toBe(7)
      expect(JSON.parse(await readFile(file, 'utf8'))['key-1'].sequence).toBe(7)
      await rm(file)
    }
  })

  it('never fails when many pulls record the same sequence at the same moment', async () => {
    const floors = await Promise.all(Array.from({ length: 16 }, () => check(500)))
    expect(floors).toEqual(Array(16).fill(500))
  })
})
