import { describe, expect, it } from 'vitest'
import { contactHref, githubHref, licenseHref, linkHref, namedLinks } from './links.ts'
import { renderReadme } from './render-readme.ts'

const HOSTILE = [
  'javascript:alert(1)',
  'JavaScript:alert(1)',
  ' javascript:alert(1)',
  'java\tscript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox(1)',
  'http://example.org/plain-http',
  '//evil.example/protocol-relative',
  '/relative/path',
  'https://user:pass@example.org/',
  'file:///etc/passwd',
]

describe('core/catalog/links', () => {
  it.each(HOSTILE)('linkHref refuses %j', (value) => {
    expect(linkHref(value)).toBeUndefined()
  })

  it('linkHref keeps https URLs and refuses non-strings', () => {
    expect(linkHref('https://example.org/a?b=c')).toBe('https://example.org/a?b=c')
    expect(linkHref(42)).toBeUndefined()
    expect(linkHref(undefined)).toBeUndefined()
  })

  it.each(HOSTILE)('contactHref refuses %j', (value) => {
    expect(contactHref(value)).toBeUndefined()
  })

  it('contactHref turns a bare address into mailto and keeps https and mailto', () => {
    expect(contactHref('sales@acme.example')).toBe('mailto:sales@acme.example')
    expect(contactHref('mailto:sales@acme.example')).toBe('mailto:sales@acme.example')
    expect(contactHref('https://acme.example/contact')).toBe('https://acme.example/contact')
    expect(contactHref('javascript:alert(1)//@x.example')).toBeUndefined()
    expect(contactHref('mailto:not-an-address')).toBeUndefined()
  })

  it.each(['octocat', 'a', 'acme-labs'])('githubHref links the login %j', (login) => {
    expect(githubHref(login)).toBe(`https://github.com/${login}`)
  })

  it.each(['../evil', 'a/b', '-lead', 'trail-', 'x'.repeat(40), 'javascript:x', ''])(
    'githubHref refuses %j',
    (login) => {
      expect(githubHref(login)).toBeUndefined()
    },
  )

  it('licenseHref links SPDX ids and only safe license_link values', () => {
    expect(licenseHref({ license: 'MIT' })).toBe('https://spdx.org/licenses/MIT.html')
    expect(licenseHref({ license: 'other', license_link: 'https://acme.example/l' })).toBe(
      'https://acme.example/l',
    )
    expect(licenseHref({ license: 'other', license_link: 'javascript:alert(1)' })).toBeUndefined()
    expect(licenseHref({ license: 'other' })).toBeUndefined()
    expect(licenseHref({ license: '"><script>' })).toBeUndefined()
  })

  it('namedLinks keeps unsafe links as text without an href', () => {
    expect(
      namedLinks({ homepage: 'https://a.example', paper: 'javascript:alert(1)', code: 7 }),
    ).toEqual([
      { label: 'homepage', text: 'https://a.example', href: 'https://a.example' },
      { label: 'paper', text: 'javascript:alert(1)' },
    ])
    expect(namedLinks(undefined)).toEqual([])
  })
})

describe('core/catalog/render-readme links', () => {
  it.each([
    ['javascript:', '[x](javascript:alert(1))'],
    ['entity-encoded javascript:', '<a href="jav&#x61;script:alert(1)">x</a>'],
    ['data:', '<a href="data:text/html,hi">x</a>'],
    ['plain http', '[x](http://example.org)'],
    ['a relative path', '[x](../secret.md)'],
    ['protocol-relative', '<a href="//evil.example">x</a>'],
  ])('renders a %s link as text', (_name, markdown) => {
    const html = renderReadme(markdown)
    expect(html).not.toMatch(/<a\b/)
    expect(html).toContain('x')
  })

  it('keeps https, mailto and in-page links', () => {
    const html = renderReadme('[a](https://a.example) [b](mailto:b@c.example) [c](#usage)')
    expect(html).toContain('href="https://a.example"')
    expect(html).toContain('href="mailto:b@c.example"')
    expect(html).toContain('href="#user-content-usage"')
  })

  it.each([
    ['http', '![alt text](http://example.org/x.png)'],
    ['data', '<img src="data:image/png;base64,AAAA" alt="alt text">'],
    ['relative', '![alt text](./x.png)'],
  ])('renders an image from a %s source as its alt text', (_name, markdown) => {
    const html = renderReadme(markdown)
    expect(html).not.toMatch(/<img/)
    expect(html).toContain('alt text')
  })

  it('keeps https images', () => {
    expect(renderReadme('![a](https://img.example/x.png)')).toMatch(
      /<img src="https:\/\/img\.example\/x\.png"/,
    )
  })
})
