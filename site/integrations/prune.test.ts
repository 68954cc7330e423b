import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { AstroConfig } from 'astro'
import { afterAll, describe, expect, it } from 'vitest'
import { agoraPrune } from './prune.ts'

describe('site/integrations/prune', () => {
  const dirs: string[] = []
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })

  async function build(root: string, out: string, files: string[]): Promise<void> {
    for (const f of files) {
      await mkdir(join(out, f, '..'), { recursive: true })
      await writeFile(join(out, f), 'x')
    }
    const hooks = agoraPrune().hooks as Record<string, (options: unknown) => Promise<void> | void>
    await hooks['astro:config:done']?.({
      config: { cacheDir: pathToFileURL(`${join(root, 'cache')}/`) } as unknown as AstroConfig,
    })
    const assets = new Map([['route', files.map((f) => pathToFileURL(join(out, f)))]])
    await hooks['astro:build:done']?.({
      dir: pathToFileURL(`${out}/`),
      assets,
      pages: [],
      logger: { info: () => undefined },
    })
  }

  it('removes exactly the files the previous build wrote and this one did not', async () => {
    const root = await mkdtemp(join(tmpdir(), 'agora-prune-'))
    dirs.push(root)
    const out = join(root, 'dist')
    await build(root, out, ['index.html', 'models/a/b/index.html', 'api/models/a/b.json'])
    await mkdir(join(out, 'blobs'), { recursive: true })
    await writeFile(join(out, 'blobs/keep'), 'not from the site build')
    await build(root, out, ['index.html'])
    expect(existsSync(join(out, 'index.html'))).toBe(true)
    expect(existsSync(join(out, 'models/a/b/index.html'))).toBe(false)
    expect(existsSync(join(out, 'api/models/a/b.json'))).toBe(false)
    expect(existsSync(join(out, 'blobs/keep'))).toBe(true)
  })
})
