import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readLinksFile } from './links-file.ts'

const dirs: string[] = []
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

async function root(files: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'agora-links-'))
  dirs.push(dir)
  for (const [path, value] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true })
    await writeFile(join(dir, path), JSON.stringify(value))
  }
  return dir
}

describe('core/billing/links-file', () => {
  it('keeps test_mode only when the document says exactly true', async () => {
    const on = await root({ 'payments/links.json': { version: 1, items: {}, test_mode: true } })
    expect((await readLinksFile(on)).test_mode).toBe(true)
    const odd = await root({ 'payments/links.json': { version: 1, items: {}, test_mode: 'yes' } })
    expect(await readLinksFile(odd)).toEqual({ version: 1, items: {} })
  })

  it('reads another file when one is named (the local hub’s), ignoring payments/links.json', async () => {
    const dir = await root({
      'payments/links.json': { version: 1, items: { 'lora/a/b': { status: 'contact' } } },
      'local/links.json': { version: 1, items: {}, test_mode: true },
    })
    expect(await readLinksFile(dir, { file: join(dir, 'local/links.json') })).toEqual({
      version: 1,
      items: {},
      test_mode: true,
    })
  })
})
