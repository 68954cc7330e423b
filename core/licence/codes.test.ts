import { readdir, readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { LICENCE_CODES } from './index.ts'

const here = dirname(fileURLToPath(import.meta.url))
const repo = join(here, '..', '..')
/** Tests outside this folder that exercise licence codes: the service's and end to end. */
const ELSEWHERE = [
  'core/billing/service.test.ts',
  'core/billing/stripe-events.test.ts',
  'core/client/licensed.test.ts',
  'scripts/commands/licence.test.ts',
]

describe('core/licence/codes', () => {
  it('has a test asserting every licence code', async () => {
    const names = (await readdir(here)).filter(
      (n) => n.endsWith('.test.ts') && n !== 'codes.test.ts',
    )
    const files = [...names.map((n) => join(here, n)), ...ELSEWHERE.map((p) => join(repo, p))]
    const tests = (await Promise.all(files.map((f) => readFile(f, 'utf8')))).join('\n')
    // licence/internal is the answer to an unexpected failure: nothing can raise it on purpose.
    const untested = Object.keys(LICENCE_CODES).filter(
      (code) => code !== 'licence/internal' && !tests.includes(`'${code}'`),
    )
    expect(untested).toEqual([])
  })

  it('documents every code in docs/payments.md', async () => {
    const docs = await readFile(join(repo, 'docs', 'payments.md'), 'utf8')
    expect(Object.keys(LICENCE_CODES).filter((code) => !docs.includes(`| \`${code}\` |`))).toEqual(
      [],
    )
  })

  it('gives every code a summary and a hint', () => {
    for (const [code, info] of Object.entries(LICENCE_CODES)) {
      expect(code).toMatch(/^licence\/[a-z0-9]+(?:-[a-z0-9]+)*$/)
      expect(info.summary.length).toBeGreaterThan(10)
      expect(info.hint.length).toBeGreaterThan(10)
    }
  })
})
