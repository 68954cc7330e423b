import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { validateDocument } from '#core/schema'
import { SCHEMAS, type SchemaNode } from './schema-issues.ts'
import { URL_FIELDS } from './url-fields.ts'

const hubText = readFileSync(
  fileURLToPath(new URL('./__fixtures__/hub.yaml', import.meta.url)),
  'utf8',
)
const item = (extra: string) =>
  `kind: model\nid: acme/x-model\ntitle: X\nsummary: X.\nowners: [acme]\nlicense: MIT\n${extra}`
const found = (type: 'item' | 'owner' | 'result' | 'version' | 'hub', source: string) =>
  validateDocument(type, source, 'x.yaml', type === 'version' ? { kind: 'model' } : {}).issues.map(
    (i) => `${i.code}@${i.line} ${i.message}`,
  )

/** Field paths of string nodes that look like URLs to the schema: `format: uri` or an https pattern. */
function schemaUrlPaths(node: SchemaNode | undefined, prefix: string, out: Set<string>): void {
  if (!node || typeof node !== 'object') return
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    if (typeof child !== 'object') continue
    const path = `${prefix}${name}`
    const pattern = (child as { pattern?: string }).pattern ?? ''
    const format = (child as { format?: string }).format
    if (child.type === 'string' && (format === 'uri' || /https/.test(pattern))) out.add(path)
    schemaUrlPaths(child, `${path}.`, out)
    if (child.items) schemaUrlPaths(child.items, `${path}[].`, out)
  }
  for (const branch of node.allOf ?? []) schemaUrlPaths(branch.then, prefix, out)
  for (const def of Object.values(node.$defs ?? {})) schemaUrlPaths(def, prefix, out)
}

describe('core/manifest URL fields', () => {
  it('lists exactly the URL fields of every schema', () => {
    for (const [type, fields] of Object.entries(URL_FIELDS)) {
      const out = new Set<string>()
      schemaUrlPaths(SCHEMAS[type as keyof typeof SCHEMAS], '', out)
      expect(fields.map((f) => f.path).sort(), type).toEqual([...out].sort())
    }
  })

  it.each([
    ['javascript:alert(1)', 'uses javascript:, not https'],
    ['data:text/html,<script>x</script>', 'uses data:, not https'],
    ['http://acme.example', 'uses http:, not https'],
    ['//acme.example/x', 'is not an absolute URL'],
    ['/relative', 'is not an absolute URL'],
    ['mailto:a@acme.example', 'uses mailto:, not https'],
    ['JAVASCRIPT:alert(1)', 'uses javascript:, not https'],
  ])('refuses links.homepage %j with a clear message', (url, why) => {
    expect(found('item', item(`links:\n  homepage: ${JSON.stringify(url)}\n`))).toEqual([
      `manifest/unsafe-url@8 links.homepage ${JSON.stringify(url)} ${why}`,
    ])
  })

  it('refuses what only a URL parser sees, past the schema pattern', () => {
    expect(found('item', item('license_link: "https://user:pw@acme.example/l"\n'))).toEqual([
      'manifest/unsafe-url@7 license_link "https://user:pw@acme.example/l" carries a user name or password',
    ])
  })

  it('accepts https or mailto for a contact, and nothing else', () => {
    const enterprise = (contact: string) =>
      item(`pricing: { model: enterprise, contact: ${JSON.stringify(contact)} }\n`)
    expect(found('item', enterprise('mailto:sales@acme.example'))).toEqual([])
    expect(found('item', enterprise('https://acme.example/sales'))).toEqual([])
    expect(found('item', enterprise('sales@acme.example'))).toEqual([
      'manifest/unsafe-url@7 pricing.contact "sales@acme.example" is not an absolute URL',
    ])
    expect(found('item', enterprise('javascript:alert(1)'))).toEqual([
      'manifest/unsafe-url@7 pricing.contact "javascript:alert(1)" uses javascript:, not https or mailto',
    ])
    expect(found('item', enterprise('mailto:nobody'))).toEqual([
      'manifest/unsafe-url@7 pricing.contact "mailto:nobody" is not an e-mail address',
    ])
  })

  it('checks owner links and avatars, result sources and external file URLs', () => {
    expect(
      found('owner', 'type: user\nname: A\ngithub: a\nlinks:\n  code: "http://git.example/a"\n'),
    ).toEqual(['manifest/unsafe-url@5 links.code "http://git.example/a" uses http:, not https'])
    expect(
      found('owner', 'type: user\nname: A\ngithub: a\navatar_url: "data:image/png,x"\n'),
    ).toEqual(['manifest/unsafe-url@4 avatar_url "data:image/png,x" uses data:, not https'])
    expect(
      found(
        'result',
        'benchmark: acme/b\nversion: 1.0.0\nscores: { auc: 1 }\ndate: 2026-01-01\nsource: { url: "javascript:x" }\n',
      ),
    ).toEqual(['manifest/unsafe-url@5 source.url "javascript:x" uses javascript:, not https'])
    expect(
      found(
        'version',
        `version: 1.0.0\nfiles:\n  - { path: a.bin, size: 1, sha256: ${'a'.repeat(64)}, url: "ftp://x.example/a" }\n`,
      ),
    ).toEqual(['files/insecure-url@3 files[0].url "ftp://x.example/a" uses ftp:, not https'])
  })

  it('lets hub settings use plain http to localhost only', () => {
    const hub = (url: string) => hubText.replace(/^base_url: .*$/m, `base_url: ${url}`)
    expect(found('hub', hub('http://localhost:4321'))).toEqual([])
    expect(found('hub', hub('https://hub.example.org'))).toEqual([])
    expect(found('hub', hub('http://hub.example.org'))).toEqual([
      expect.stringMatching(
        /^manifest\/unsafe-url@\d+ base_url "http:\/\/hub.example.org" uses http:, not https$/,
      ),
    ])
    expect(found('hub', hub('http://localhost.evil.example'))).toHaveLength(1)
  })
})
