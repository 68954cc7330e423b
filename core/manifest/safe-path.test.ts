import { describe, expect, it } from 'vitest'
import { isSafeFilePath } from './safe-path.ts'

describe('core/manifest/safe-path', () => {
  it.each([
    'model.safetensors',
    'weights/part-00001.bin',
    'data/train.parquet',
    '.gitattributes',
    'a..b/c',
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
  ])('refuses %j', (path) => {
    expect(isSafeFilePath(path)).toBe(false)
  })
})
