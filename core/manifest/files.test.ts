import { describe, expect, it } from 'vitest'
import { validateDocument } from '#core/schema'

const sha = 'a'.repeat(64)
const version = (...paths: string[]) =>
  `version: 1.0.0\nfiles:\n${paths.map((p) => `  - { path: ${JSON.stringify(p)}, size: 1, sha256: ${sha} }`).join('\n')}\n`
const found = (source: string) =>
  validateDocument('version', source, 'v.yaml', { kind: 'model' })
    .issues.filter((i) => i.code.startsWith('files/'))
    .map((i) => `${i.code}@${i.line} ${i.message}`)

describe('core/manifest/rules files', () => {
  it('refuses Windows device names with any extension and in any case', () => {
    expect(found(version('nul.txt', 'weights/COM1.bin', 'Aux', 'ok/console.log'))).toEqual([
      'files/unsafe-path@3 file path "nul.txt" uses "nul.txt", a device name on Windows',
      'files/unsafe-path@4 file path "weights/COM1.bin" uses "COM1.bin", a device name on Windows',
      'files/unsafe-path@5 file path "Aux" uses "Aux", a device name on Windows',
    ])
  })

  it('refuses paths that collide after case folding or Unicode normalisation', () => {
    expect(found(version('Straße.bin', 'strasse.bin'))).toEqual([
      'files/duplicate-path@4 file path "strasse.bin" repeats files[0] ("Straße.bin")',
    ])
    expect(
      found(version('ﬁle.txt', 'file.txt', 'e\u0301.txt', '\u00e9.txt', 'A.bin', 'a.BIN')),
    ).toEqual([
      'files/duplicate-path@4 file path "file.txt" repeats files[0] ("ﬁle.txt")',
      'files/duplicate-path@6 file path "\u00e9.txt" repeats files[2] ("e\u0301.txt")',
      'files/duplicate-path@8 file path "a.BIN" repeats files[4] ("A.bin")',
    ])
  })

  it('refuses a path that is a file and a folder, in either order and any case', () => {
    expect(found(version('a', 'a/b'))).toEqual([
      'files/path-conflict@4 file path "a/b" puts a file under files[0] ("a"), which is a file itself',
    ])
    expect(found(version('x/y/z.bin', 'X/Y'))).toEqual([
      'files/path-conflict@3 file path "x/y/z.bin" puts a file under files[1] ("X/Y"), which is a file itself',
    ])
    expect(found(version('a/b', 'a/c', 'ab', 'a.b'))).toEqual([])
  })
})
