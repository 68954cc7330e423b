import { describe, expect, it } from 'vitest'
import {
  contentSecurityPolicy,
  cspDirectives,
  headersFile,
  parseHeadersFile,
  scriptHashes,
  securityHeaders,
} from './security-policy.ts'

describe('core/catalog/security-policy', () => {
  const options = { blobOrigins: ['https://blobs.example.org'], inlineScripts: ['alert(1)'] }

  it('puts every meta directive, the script hashes and frame-ancestors in the header', () => {
    const csp = contentSecurityPolicy(options)
    for (const directive of cspDirectives(options)) expect(csp).toContain(directive)
    expect(csp).toContain(`'${scriptHashes(['alert(1)'])[0]}'`)
    expect(csp).toContain("frame-ancestors 'none'")
    expect(cspDirectives(options).join(';')).not.toContain('frame-ancestors')
    expect(cspDirectives(options)).toContain("worker-src 'self'")
  })

  it('hashes inline scripts as CSP does', () => {
    expect(scriptHashes(['alert(1)'])).toEqual([
      'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=',
    ])
  })

  it('writes a _headers file that reads back to the same headers', () => {
    const headers = securityHeaders(options)
    const text = headersFile(headers)
    expect(text.startsWith('/*\n')).toBe(true)
    expect(text).toContain('  X-Frame-Options: DENY\n')
    expect(text).toContain('  X-Content-Type-Options: nosniff\n')
    expect(parseHeadersFile(text)).toEqual(headers)
  })

  it('reads only the /* rule of a _headers file', () => {
    const text = '# comment\n/blobs/*\n  Cache-Control: immutable\n/*\n  X-Frame-Options: DENY\n'
    expect(parseHeadersFile(text)).toEqual({ 'x-frame-options': 'DENY' })
  })
})
