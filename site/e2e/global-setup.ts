import type { TestProject } from 'vitest/node'
import { buildSite, type SiteLocation } from './harness.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The site every e2e file shares (see openSite). */
    e2eSite: SiteLocation
  }
}

/**
 * Builds and serves the sample hub's site once for the whole e2e project:
 * each build takes one to two minutes on two cores, so files that need no
 * build settings of their own share it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const site = await buildSite()
  project.provide('e2eSite', { dir: site.dir, out: site.out, url: site.url })
  return () => site.close()
}
