import { execFileSync } from 'node:child_process'
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/**
 * A real Git repository in a temp folder for tests of code that reads Git:
 * made with the git CLI so isomorphic-git is checked against what git writes.
 */
export interface TestRepo {
  dir: string
  /** Writes (string) or deletes (null) files, commits, and returns the new commit id. */
  commit(files: Record<string, string | null>, message?: string): Promise<string>
  /** Runs git in the repository and returns its trimmed output. */
  git(...args: string[]): string
  remove(): Promise<void>
}

/**
 * Copies a fixture folder into a new repository and commits it as the first commit.
 *
 * @example
 * const repo = await createTestRepo(fixture)
 * const head = await repo.commit({ 'registry/owners/new.yaml': 'type: user\n' })
 */
export async function createTestRepo(fixture?: string): Promise<TestRepo & { base: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'agora-repo-'))
  if (fixture) await cp(fixture, dir, { recursive: true })
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_AUTHOR_NAME: 'Test',
        GIT_AUTHOR_EMAIL: 'test@example.org',
        GIT_COMMITTER_NAME: 'Test',
        GIT_COMMITTER_EMAIL: 'test@example.org',
        GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
        GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
      },
    }).trim()
  git('init', '--quiet', '--initial-branch=main')
  git('add', '--all')
  git('commit', '--quiet', '--allow-empty', '-m', 'base')
  const repo: TestRepo = {
    dir,
    git,
    async commit(files, message = 'change') {
      for (const [path, content] of Object.entries(files)) {
        const target = join(dir, path)
        if (content === null) {
          await rm(target, { recursive: true, force: true })
        } else {
          await mkdir(dirname(target), { recursive: true })
          await writeFile(target, content)
        }
      }
      git('add', '--all')
      git('commit', '--quiet', '--allow-empty', '-m', message)
      return git('rev-parse', 'HEAD')
    },
    async remove() {
      await rm(dir, { recursive: true, force: true })
    },
  }
  return { ...repo, base: git('rev-parse', 'HEAD') }
}
