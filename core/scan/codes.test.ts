import { readdir, readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { BLOB_CODES, SCAN_CODES } from './index.ts'

const here = dirname(fileURLToPath(import.meta.url))

describe('core/scan/codes', () => {
  it('has a test asserting every scan and blob code', async () => {
    const names = (await readdir(here)).filter(
      (n) => n.endsWith('.test.ts') && n !== 'codes.test.ts',
    )
    const tests = (await Promise.all(names.map((n) => readFile(join(here, n), 'utf8')))).join('\n')
    const untested = [...Object.keys(SCAN_CODES), ...Object.keys(BLOB_CODES)].filter(
      (code) => !tests.includes(`'${code}'`),
    )
    expect(untested).toEqual([])
  })

  it('documents every code in docs/scanning.md', async () => {
    const docs = await readFile(join(here, '..', '..', 'docs', 'scanning.md'), 'utf8')
    const codes = [...Object.keys(SCAN_CODES), ...Object.keys(BLOB_CODES)]
    expect(codes.filter((code) => !docs.includes(`| \`${code}\` |`))).toEqual([])
  })

  it('gives every code a hint and marks only errors unsafe', () => {
    for (const [code, info] of Object.entries(SCAN_CODES)) {
      expect(code).toMatch(/^scan\/[a-z0-9]+(?:-[a-z0-9]+)*$/)
      expect(info.hint.length).toBeGreaterThan(10)
      if ('unsafe' in info) expect(info.severity).toBe('error')
    }
  })
})
