import { describe, expect, it } from 'vitest'
import { codeSpan, escapeMarkdown, truncate } from './escape-markdown.ts'

describe('core/github/escape-markdown', () => {
  it('keeps @mentions and e-mail addresses from pinging', () => {
    expect(escapeMarkdown('@everyone and @acme/team, mail me@x.org')).toBe(
      '@&#8203;everyone and @&#8203;acme/team, mail me@&#8203;x\\.org',
    )
  })

  it('turns HTML into text', () => {
    expect(escapeMarkdown('<img src=x onerror=alert(1)>')).toBe(
      '&lt;img src\\=x onerror\\=alert\\(1\\)&gt;',
    )
    expect(escapeMarkdown('<!-- agora-report -->')).toBe('&lt;\\!\\-\\- agora\\-report \\-\\-&gt;')
  })

  it('breaks link syntax and autolinks', () => {
    expect(escapeMarkdown('[click](javascript:alert(1))')).toBe(
      '\\[click\\]\\(javascript:alert\\(1\\)\\)',
    )
    expect(escapeMarkdown('see https://evil.example/x')).toBe('see https:&#8203;//evil\\.example/x')
    expect(escapeMarkdown('WWW.evil.example')).toBe('WWW&#8203;\\.evil\\.example')
    expect(escapeMarkdown('![x](https://t.example/p.png)')).not.toMatch(/!\[|\]\(|:\/\//)
  })

  it('escapes backticks, emphasis, tables, math and headings', () => {
    expect(escapeMarkdown('`rm -rf` *b* _i_ |cell| $x$ # h ~~s~~')).toBe(
      '\\`rm \\-rf\\` \\*b\\* \\_i\\_ \\|cell\\| \\$x\\$ \\# h \\~\\~s\\~\\~',
    )
  })

  it('keeps hostile text on one line and within its cap', () => {
    expect(escapeMarkdown('a\n## b\r\n\u2028c', 100)).toBe('a \\#\\# b c')
    expect(escapeMarkdown('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`)
    expect(truncate('😀😀😀', 2)).toBe('😀…')
  })

  it('fences code spans longer than any backtick run inside and escapes pipes', () => {
    expect(codeSpan('model.safetensors')).toBe('`model.safetensors`')
    expect(codeSpan('a`b|c')).toBe('`` a`b\\|c ``')
    expect(codeSpan('``x```')).toBe('```` ``x``` ````')
    expect(codeSpan('@everyone\n<b>')).toBe('`@everyone <b>`')
  })
})
