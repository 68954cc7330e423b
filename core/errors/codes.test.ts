import { existsSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { MANIFEST_CODES } from './codes.ts'

const core = fileURLToPath(new URL('../', import.meta.url))
const documentFixtures = join(core, 'manifest/__fixtures__/invalid')
const registryFixtures = join(core, 'registry/__fixtures__/invalid')

/** `<area>/<name>` of every fixture: document files (extension dropped) and registry trees. */
function fixtureCodes(): string[] {
  const documents = readdirSync(documentFixtures, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(documentFixtures, join(e.parentPath, e.name)).replace(/\.(yaml|md)$/, ''))
  const trees = readdirSync(registryFixtures).flatMap((area) =>
    readdirSync(join(registryFixtures, area)).map((name) => `${area}/${name}`),
  )
  return [...documents, ...trees]
}

describe('core/errors/codes', () => {
  const codes = Object.keys(MANIFEST_CODES)

  // Change rules judge a diff between two commits, not a document; their
  // tests build real Git histories (core/registry/changes.test.ts).
  it.each(codes.filter((c) => !c.startsWith('change/')))('%s has an invalid fixture', (code) => {
    const found =
      existsSync(join(documentFixtures, `${code}.yaml`)) ||
      existsSync(join(documentFixtures, `${code}.md`)) ||
      existsSync(join(registryFixtures, code))
    expect(found).toBe(true)
  })

  it('has no fixture for a code the catalogue lacks', () => {
    expect(fixtureCodes().filter((c) => !codes.includes(c))).toEqual([])
  })

  it.each(codes)('%s is area/kebab-case with a summary and hint', (code) => {
    expect(code).toMatch(/^[a-z]+\/[a-z0-9]+(-[a-z0-9]+)*$/)
    const info = MANIFEST_CODES[code as keyof typeof MANIFEST_CODES]
    expect(info.summary.length).toBeGreaterThan(10)
    expect(info.hint.length).toBeGreaterThan(10)
  })
})
