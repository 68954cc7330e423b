import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { serveHub } from '../../scripts/serve-hub.ts'
import { SHARED_SITE } from './harness.ts'

/**
 * One folder and one loopback server for the whole e2e run: the first test
 * file that opens the default site builds it there (harness.ts), the others
 * reuse that build, and the server outlives every file so the URLs the build
 * wrote into the pages stay valid. Nothing is built here, so a run of files
 * that never open the site pays nothing.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'agora-site-e2e-shared-'))
  const out = join(dir, 'dist')
  await mkdir(out, { recursive: true })
  const hub = await serveHub({ root: out, port: 0, host: '127.0.0.1' })
  project.provide(SHARED_SITE, { dir, out, url: hub.url })
  return async () => {
    await hub.close()
    await rm(dir, { recursive: true, force: true })
  }
}
