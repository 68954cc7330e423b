import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { plural } from './plural.ts'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

describe('core/errors/plural', () => {
  it('says 1 file, 0 files, 2 files, and takes an irregular plural', () => {
    expect([0, 1, 2].map((n) => plural(n, 'file'))).toEqual(['0 files', '1 file', '2 files'])
    expect(plural(1, 'entry', 'entries')).toBe('1 entry')
    expect(plural(3, 'entry', 'entries')).toBe('3 entries')
  })

  it('is the only way messages count: no "file(s)" left in the sources', () => {
    const offenders: string[] = []
    for (const area of ['core', 'scripts', 'actions']) {
      const dir = join(repoRoot, area)
      for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts'))
          continue
        const path = join(entry.parentPath, entry.name)
        if (path.includes('node_modules')) continue
        const text = readFileSync(path, 'utf8')
        // A noun with "(s)" inside message text, not a call such as update(s).
        for (const match of text.matchAll(/(?<=[ `'"])[a-z]{3,}\(s\)/g)) {
          if (match[0] === 'http(s)' || path.endsWith('plural.ts')) continue
          offenders.push(`${relative(repoRoot, path)}: ${match[0]}`)
        }
      }
    }
    expect(offenders).toEqual([])
  })
})
