import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { headersFile, securityHeaders } from '#core/catalog'
import { parseRange, type ServedHub, serveHub } from './serve-hub.ts'

const TEN = '0123456789'

describe('scripts/serve-hub', () => {
  let dir: string
  let hub: ServedHub
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    fetch(`${hub.url}${path}`, { method, headers })

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-serve-hub-'))
    await mkdir(join(dir, 'blobs'), { recursive: true })
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>hub</title>')
    await writeFile(join(dir, '404.html'), 'not here')
    await writeFile(join(dir, 'ten.bin'), TEN)
    await writeFile(join(dir, 'empty.bin'), '')
    hub = await serveHub({ root: dir })
  })
  afterAll(async () => {
    await hub.close()
    await rm(dir, { recursive: true, force: true })
  })

  describe('security headers', () => {
    it.each([
      ['a page', '/', 200],
      ['a file', '/ten.bin', 200],
      ['a missing page', '/nope/', 404],
    ])('sends them as HTTP headers on %s', async (_name, path, status) => {
      const response = await get(path)
      expect(response.status).toBe(status)
      const csp = response.headers.get('content-security-policy') ?? ''
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).toContain("default-src 'self'")
      expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/=]+'/)
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(response.headers.get('x-frame-options')).toBe('DENY')
      expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin')
    })

    it('sends them on 416 and 304 answers too', async () => {
      const unsatisfiable = await get('/ten.bin', { range: 'bytes=50-' })
      expect(unsatisfiable.status).toBe(416)
      expect(unsatisfiable.headers.get('x-frame-options')).toBe('DENY')
      const first = await get('/ten.bin')
      const etag = first.headers.get('etag') ?? ''
      const cached = await get('/ten.bin', { 'if-none-match': etag })
      expect(cached.status).toBe(304)
      expect(cached.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    })

    it('answers 500 and stays up when _headers holds a header Node cannot send', async () => {
      const built = await mkdtemp(join(tmpdir(), 'agora-serve-hub-bad-headers-'))
      await writeFile(join(built, '_headers'), '/*\n  Bad Name: x\n  X-Ok: caf\u00e9\u4e2d\n')
      await writeFile(join(built, 'index.html'), 'hub')
      const other = await serveHub({ root: built })
      try {
        expect((await fetch(`${other.url}/`)).status).toBe(500)
        expect((await fetch(`${other.url}/index.html`)).status).toBe(500)
      } finally {
        await other.close()
        await rm(built, { recursive: true, force: true })
      }
    })

    it('serves the headers the build wrote to _headers', async () => {
      const built = await mkdtemp(join(tmpdir(), 'agora-serve-hub-headers-'))
      const expected = securityHeaders({ blobOrigins: ['https://blobs.example.org'] })
      await writeFile(join(built, '_headers'), headersFile(expected))
      await writeFile(join(built, 'index.html'), 'hub')
      const other = await serveHub({ root: built })
      try {
        const response = await fetch(`${other.url}/`)
        for (const [name, value] of Object.entries(expected)) {
          expect(response.headers.get(name)).toBe(value)
        }
        expect(response.headers.get('content-security-policy')).toContain(
          'connect-src https://blobs.example.org'.replace('connect-src', "connect-src 'self'"),
        )
      } finally {
        await other.close()
        await rm(built, { recursive: true, force: true })
      }
    })
  })

  describe('ranges (RFC 9110) on loopback', () => {
    it.each([
      ['bytes=0-3', 206, 'bytes 0-3/10', '0123'],
      ['bytes=7-', 206, 'bytes 7-9/10', '789'],
      ['bytes=-3', 206, 'bytes 7-9/10', '789'],
      ['bytes=8-100', 206, 'bytes 8-9/10', '89'],
      ['bytes=-100', 206, 'bytes 0-9/10', TEN],
      ['BYTES = 2-2', 206, 'bytes 2-2/10', '2'],
    ])('%s on a 10-byte file gives %i %s', async (range, status, contentRange, body) => {
      const response = await get('/ten.bin', { range })
      expect(response.status).toBe(status)
      expect(response.headers.get('content-range')).toBe(contentRange)
      expect(await response.text()).toBe(body)
    })

    it.each([
      ['/empty.bin', 'bytes=-1', 'bytes */0'],
      ['/empty.bin', 'bytes=0-', 'bytes */0'],
      ['/empty.bin', 'bytes=0-0', 'bytes */0'],
      ['/empty.bin', 'bytes=-100,0-', 'bytes */0'],
      ['/ten.bin', 'bytes=10-', 'bytes */10'],
      ['/ten.bin', 'bytes=-0', 'bytes */10'],
      ['/ten.bin', 'bytes=20-30, 40-', 'bytes */10'],
    ])('%s with %s is 416 %s', async (path, range, contentRange) => {
      const response = await get(path, { range })
      expect(response.status).toBe(416)
      expect(response.headers.get('content-range')).toBe(contentRange)
      expect(response.headers.get('content-range')).not.toContain('--')
    })

    it.each([
      ['several ranges', 'bytes=0-1,4-5'],
      ['several ranges, one a suffix', 'bytes=0-0, -2'],
      ['invalid syntax', 'bytes=abc'],
      ['a last before its first', 'bytes=5-2'],
      ['another unit', 'items=0-1'],
      ['no range at all', 'bytes='],
      ['an empty spec', 'bytes=-'],
      ['a negative number', 'bytes=--1'],
    ])('%s: ignores Range and sends the whole file with 200', async (_name, range) => {
      const response = await get('/ten.bin', { range })
      expect(response.status).toBe(200)
      expect(response.headers.get('content-range')).toBeNull()
      expect(await response.text()).toBe(TEN)
    })

    it('an empty file without Range is 200 with no body', async () => {
      const response = await get('/empty.bin')
      expect(response.status).toBe(200)
      expect(response.headers.get('content-length')).toBe('0')
    })

    it('ignores Range on HEAD and on an If-Range that does not match', async () => {
      const head = await get('/ten.bin', { range: 'bytes=0-1' }, 'HEAD')
      expect(head.status).toBe(200)
      expect(head.headers.get('content-length')).toBe('10')
      const stale = await get('/ten.bin', { range: 'bytes=0-1', 'if-range': '"other"' })
      expect(stale.status).toBe(200)
      const etag = stale.headers.get('etag') ?? ''
      const fresh = await get('/ten.bin', { range: 'bytes=0-1', 'if-range': etag })
      expect(fresh.status).toBe(206)
      expect(await fresh.text()).toBe('01')
    })
  })

  describe('parseRange', () => {
    it.each([
      ['bytes=-5', 3, [0, 2]],
      ['bytes=-1', 0, 'unsatisfiable'],
      ['bytes=0-', 0, 'unsatisfiable'],
      ['bytes=3-', 3, 'unsatisfiable'],
      ['bytes=2-', 3, [2, 2]],
      ['bytes=0-1, 1-2', 3, undefined],
      ['bytes=0-1, 9-', 3, [0, 1]],
      ['bytes=0-1,', 3, [0, 1]],
      ['bytes=1-0', 3, undefined],
      ['bytes=x-1', 3, undefined],
      [`bytes=0-${'9'.repeat(30)}`, 3, undefined],
    ] as const)('%s of %i bytes is %j', (header, size, expected) => {
      expect(parseRange(header, size)).toEqual(expected)
    })
  })
})
