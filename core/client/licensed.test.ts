import { describe, expect, it } from 'vitest'
import { presignedUrls } from './licensed.ts'

const SHA = 'a'.repeat(64)

describe('core/client/licensed', () => {
  it('needs a licence service to fetch paid files', async () => {
    await expect(
      presignedUrls({ fetch: globalThis.fetch, service: undefined, licence: '{}', sha256s: [SHA] }),
    ).rejects.toMatchObject({ code: 'licence/no-service' })
  })

  it('names a service that is down or answers without the URLs asked for', async () => {
    const down = (async () => {
      throw new TypeError('fetch failed')
    }) as unknown as typeof fetch
    await expect(
      presignedUrls({ fetch: down, service: 'http://127.0.0.1:9', licence: '{}', sha256s: [SHA] }),
    ).rejects.toMatchObject({ code: 'licence/service-failed' })
    const empty = (async () => Response.json({ urls: [] })) as unknown as typeof fetch
    await expect(
      presignedUrls({ fetch: empty, service: 'http://s', licence: '{}', sha256s: [SHA] }),
    ).rejects.toMatchObject({ code: 'licence/service-failed' })
  })

  it("passes on the service's licence code and refuses URLs that are not http(s)", async () => {
    const refused = (async () =>
      Response.json(
        { error: { code: 'licence/expired', message: 'ended', hint: 'renew' } },
        { status: 403 },
      )) as unknown as typeof fetch
    await expect(
      presignedUrls({ fetch: refused, service: 'http://s', licence: '{}', sha256s: [SHA] }),
    ).rejects.toMatchObject({ code: 'licence/expired', hint: 'renew' })
    const odd = (async () =>
      Response.json({
        urls: [{ sha256: SHA, url: 'file:///etc/passwd' }],
      })) as unknown as typeof fetch
    await expect(
      presignedUrls({ fetch: odd, service: 'http://s', licence: '{}', sha256s: [SHA] }),
    ).rejects.toMatchObject({ code: 'licence/service-failed' })
  })
})
