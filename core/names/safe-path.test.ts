import { describe, expect, it } from 'vitest'
import { foldFilePath, isSafeFilePath, isWindowsReservedName } from './safe-path.ts'

describe('core/names/safe-path', () => {
  it.each([
    'model.safetensors',
    'weights/part-00001.bin',
    'data/train.parquet',
    '.gitattributes',
    'a..b/c',
    'console.log',
    'nullable.txt',
    'com10.bin',
    'lpt/readme.md',
    'auxiliary/x',
  ])('accepts %j', (path) => {
    expect(isSafeFilePath(path)).toBe(true)
  })

  it.each([
    '',
    '/etc/passwd',
    '../secret',
    'a/../../b',
    'a/./b',
    'a//b',
    'a/',
    'C:\\x',
    'a\\b',
    '.git/config',
    'x/.GIT/hooks/pre-commit',
    'nul\u0000byte',
    'line\nbreak',
    'C:/x',
    'trailing.',
    'what?',
    'x'.repeat(513),
    'nul.txt',
    'NUL',
    'COM1.bin',
    'com9',
    'LpT3.tar.gz',
    'dir/con',
    'Aux.json',
    'prn/x.bin',
    'com¹.txt',
  ])('refuses %j', (path) => {
    expect(isSafeFilePath(path)).toBe(false)
  })

  it('names Windows device segments, with any extension and in any case', () => {
    expect(['CON', 'con.txt', 'Nul.tar.gz', 'COM1', 'lpt9.bin'].map(isWindowsReservedName)).toEqual(
      [true, true, true, true, true],
    )
    expect(['cons', 'nullx', 'com', 'lpt', 'aux_', 'econ'].map(isWindowsReservedName)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ])
  })

  it('folds paths by NFKC and full case folding', () => {
    expect(foldFilePath('Straße.bin')).toBe(foldFilePath('STRASSE.bin'))
    expect(foldFilePath('ﬁle.txt')).toBe(foldFilePath('FILE.txt'))
    expect(foldFilePath('\u212Aelvin')).toBe(foldFilePath('kelvin'))
    expect(foldFilePath('e\u0301.txt')).toBe(foldFilePath('\u00e9.txt'))
    expect(foldFilePath('Ω/x')).toBe(foldFilePath('ω/X'))
    expect(foldFilePath('a.bin')).not.toBe(foldFilePath('b.bin'))
  })
})
