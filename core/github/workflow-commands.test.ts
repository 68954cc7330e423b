import { describe, expect, it } from 'vitest'
import { escapeCommandData, escapeCommandProperty, formatAnnotation } from './workflow-commands.ts'

describe('core/github/workflow-commands', () => {
  it('escapes data so a message cannot start a command of its own', () => {
    expect(escapeCommandData('50% done\n::add-mask::secret\r\n')).toBe(
      '50%25 done%0A::add-mask::secret%0D%0A',
    )
    expect(escapeCommandData('%0A::error::forged')).toBe('%250A::error::forged')
  })

  it('escapes : and , in properties', () => {
    expect(escapeCommandProperty('a,b:c%\n')).toBe('a%2Cb%3Ac%25%0A')
  })

  it('formats annotations with file, line, col and title', () => {
    expect(
      formatAnnotation({
        severity: 'error',
        file: 'registry/models/ac/acme/x/item.yaml',
        line: 7,
        col: 10,
        title: 'manifest/unknown-license',
        message: 'license "MITT" is not an SPDX id',
      }),
    ).toBe(
      '::error file=registry/models/ac/acme/x/item.yaml,line=7,col=10,title=manifest/unknown-license::license "MITT" is not an SPDX id',
    )
    expect(formatAnnotation({ severity: 'note', message: 'fyi' })).toBe('::notice::fyi')
    expect(formatAnnotation({ severity: 'warning', message: 'w', line: 3 })).toBe('::warning::w')
  })

  it('keeps a hostile file name and message inside their own annotation', () => {
    const line = formatAnnotation({
      severity: 'error',
      file: 'registry/x,line=1::oops\n::error file=evil',
      title: 'a:b,c',
      message: 'bad\n::stop-commands::token\n%0A',
      line: 2,
    })
    expect(line).toBe(
      '::error file=registry/x%2Cline=1%3A%3Aoops%0A%3A%3Aerror file=evil,line=2,title=a%3Ab%2Cc::bad%0A::stop-commands::token%0A%250A',
    )
    expect(line.split('\n')).toHaveLength(1)
  })
})
