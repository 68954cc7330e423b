import { describe, expect, it } from 'vitest'
import type { HubConfig } from '#core/manifest'
import { fileUrl, sitePath } from './urls.ts'

const SHA = `ab${'0'.repeat(62)}`
const file = { path: 'data.csv', size: 10, sha256: SHA }

function hub(storage: HubConfig['storage']): HubConfig {
  return { base_url: 'https://hub.example.org', storage } as HubConfig
}

describe('core/catalog/urls', () => {
  it('gives a public blob URL, the site itself for a folder store, nothing for paid files', () => {
    const fs = hub({ type: 'fs', path: '.agora/store' })
    expect(fileUrl(fs, file)).toBe(`https://hub.example.org/blobs/sha256/ab/${SHA}`)
    const cdn = hub({ type: 'fs', path: '.agora/store', public_url: 'https://cdn.example.org/' })
    expect(fileUrl(cdn, file)).toBe(`https://cdn.example.org/blobs/sha256/ab/${SHA}`)
    const s3 = hub({ type: 's3', bucket: 'b' } as HubConfig['storage'])
    expect(fileUrl(s3, file)).toBeUndefined()
    expect(fileUrl(fs, { ...file, private: true })).toBeUndefined()
  })

  it('turns URLs of the site into root-relative paths and leaves others alone', () => {
    const base = 'https://hub.example.org'
    expect(sitePath(`${base}/blobs/sha256/ab/${SHA}`, base)).toBe(`/blobs/sha256/ab/${SHA}`)
    expect(sitePath('https://cdn.example.org/x', base)).toBe('https://cdn.example.org/x')
    expect(sitePath('not a url', base)).toBe('not a url')
  })
})
