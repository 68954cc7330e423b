import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { readmeText, renderReadme, USER_LINK_REL } from './render-readme.ts'

const malicious = await readFile(
  new URL('./__fixtures__/malicious-readme.md', import.meta.url),
  'utf8',
)
const body = malicious.replace(/^---[\s\S]*?---\n/, '')

describe('core/catalog/render-readme', () => {
  const html = renderReadme(body)

  it.each([
    ['<script', /<script/i],
    ['<iframe', /<iframe/i],
    ['<form', /<form/i],
    ['<object', /<object/i],
    ['<embed', /<embed/i],
    ['<style', /<style/i],
    ['<meta', /<meta/i],
    ['<base', /<base/i],
    ['<svg', /<svg/i],
    ['<math', /<math/i],
    ['an on* attribute', /\son[a-z]+\s*=/i],
    ['a javascript: URL', /javascript:/i],
    ['a vbscript: URL', /vbscript:/i],
    ['a data: URL', /(href|src)\s*=\s*"\s*data:/i],
  ])('drops %s', (_name, pattern) => {
    expect(html).not.toMatch(pattern)
  })

  it('keeps no href that is not http(s), mailto or an in-page anchor', () => {
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1])
    expect(hrefs.length).toBeGreaterThan(0)
    for (const href of hrefs) expect(href).toMatch(/^(https?:|mailto:|#user-content-)/)
  })

  it('prefixes ids and names against DOM clobbering', () => {
    const ids = [...html.matchAll(/\s(id|name)="([^"]*)"/g)].map((m) => m[2])
    expect(ids).toContain('user-content-location')
    expect(ids).toContain('user-content-forms')
    expect(html).not.toContain('"cookie"')
    for (const id of ids) expect(id).toMatch(/^user-content-/)
  })

  it('marks every link nofollow ugc noopener and rewrites in-page anchors', () => {
    const links = [...html.matchAll(/<a\b[^>]*>/g)].map((m) => m[0])
    expect(links.length).toBeGreaterThan(0)
    for (const link of links) expect(link).toContain(`rel="${USER_LINK_REL}"`)
    expect(html).toContain('href="#user-content-usage"')
    expect(html).toContain('<h3 id="user-content-usage">Usage</h3>')
  })

  it('keeps ordinary Markdown and shifts headings below the page title', () => {
    const out = renderReadme(
      '# Title\n\n| a | b |\n| - | - |\n| 1 | 2 |\n\n- [x] done\n\n```python\nprint(1)\n```',
    )
    expect(out).toContain('<h2 id="user-content-title">Title</h2>')
    expect(out).toContain('<table>')
    expect(out).toContain('<input type="checkbox" disabled checked />')
    expect(out).toContain('<code class="language-python">print(1)\n</code>')
  })

  it('turns escaped text into text, never markup', () => {
    expect(renderReadme('a &lt;script&gt; b')).toBe('<p>a &lt;script&gt; b</p>')
  })

  it('gives plain text without markup or scripts for search', () => {
    expect(readmeText('# Title\n\nSome *bold* text<script>evil()</script>')).toBe(
      'Title Some bold text',
    )
  })
})
