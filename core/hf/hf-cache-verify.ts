import * as nodeFs from 'node:fs'
import { join } from 'node:path'
import { hashFile } from '#core/blobs'
import { type HfRepoType, type HubIndex, resolveRevision } from './hub-index.ts'

/** One snapshot file that does not match the signed index, or that it cannot place. */
export interface HfCacheProblem {
  /** `models--ns--name/snapshots/<commit>/<path>`, relative to the cache folder. */
  file: string
  problem: 'mismatch' | 'unknown-file' | 'unknown-revision' | 'unknown-repo' | 'unreadable'
  expected?: string
  actual?: string
}

export interface HfCacheReport {
  /** Snapshot files re-hashed and found right. */
  ok: number
  problems: HfCacheProblem[]
}

/**
 * Re-hashes every snapshot file a Hub client placed in its cache
 * (`<dir>/models--ns--name/snapshots/<commit>/…`, links into `blobs/`)
 * against the hub's signed index: the Hub clients check only sizes while
 * downloading. Repositories the index does not know are reported, not skipped.
 *
 * @example
 * const report = await verifyHfCache('~/.cache/huggingface/hub', openHubIndex({ root: 'dist' }))
 */
export async function verifyHfCache(
  dir: string,
  index: Pick<HubIndex, 'config' | 'findRepo'>,
  options: { fs?: typeof nodeFs } = {},
): Promise<HfCacheReport> {
  const fs = options.fs ?? nodeFs
  const config = await index.config()
  const report: HfCacheReport = { ok: 0, problems: [] }
  const repos = await fs.promises.readdir(dir).catch(() => [] as string[])
  for (const repoFolder of repos.sort()) {
    const match = /^(models|datasets)--([^-].*?)--(.+)$/.exec(repoFolder)
    if (!match) continue
    const type: HfRepoType = match[1] === 'models' ? 'model' : 'dataset'
    const [ns, name] = [match[2] as string, match[3] as string]
    const snapshots = join(dir, repoFolder, 'snapshots')
    const commits = await fs.promises.readdir(snapshots).catch(() => [] as string[])
    const repo = await index.findRepo(type, ns, name)
    for (const commit of commits.sort()) {
      const base = `${repoFolder}/snapshots/${commit}`
      const revision = repo ? resolveRevision(repo.item, commit, config.commit) : undefined
      if (!revision) {
        report.problems.push({ file: base, problem: repo ? 'unknown-revision' : 'unknown-repo' })
        continue
      }
      const entries = await fs.promises.readdir(join(snapshots, commit), {
        recursive: true,
        withFileTypes: true,
      })
      for (const entry of entries) {
        if (entry.isDirectory()) continue
        const full = join(entry.parentPath, entry.name)
        const rel = full
          .slice(join(snapshots, commit).length + 1)
          .split('\\')
          .join('/')
        const file = `${base}/${rel}`
        const expected = revision.files.find((f) => f.path === rel)
        if (!expected) {
          report.problems.push({ file, problem: 'unknown-file' })
          continue
        }
        const actual = await hashFile(full, { fs }).catch(() => undefined)
        if (!actual)
          report.problems.push({ file, problem: 'unreadable', expected: expected.sha256 })
        else if (actual.sha256 !== expected.sha256)
          report.problems.push({
            file,
            problem: 'mismatch',
            expected: expected.sha256,
            actual: actual.sha256,
          })
        else report.ok++
      }
    }
  }
  return report
}
