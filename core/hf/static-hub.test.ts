import { describe, expect, it } from 'vitest'
import { isAgoraError } from '#core/errors'
import type { IndexItem } from '#core/index-format'
import { versionCommit } from './hub-index.ts'
import {
  hostPath,
  nginxString,
  planStaticHub,
  type StaticHubRepo,
  staticRevisions,
} from './static-hub.ts'
import { mergeHeaders } from './write-static-hub.ts'

const A = 'a'.repeat(64)
const B = 'b'.repeat(64)

function repo(
  files: { path: string; size?: number; sha256?: string; private?: boolean; url?: string }[],
  extra: Partial<IndexItem> = {},
): StaticHubRepo {
  const item: IndexItem = {
    v: 1,
    kind: 'model',
    id: 'acme/m',
    'dist-tags': { latest: '1.0.0' },
    versions: {
      '1.0.0': { files: files.map((f) => ({ size: 1, sha256: A, ...f })) },
    },
    ...extra,
  }
  return { type: 'model', item, file: 'index/models/ac/acme/m.json' }
}

const plan = (repos: StaticHubRepo[], blobBase = 'https://blobs.example.org') =>
  planStaticHub(repos, { blobTemplate: '{base}/blobs/sha256/{prefix}/{sha256}', blobBase })

/** `_headers` as rules: a path line, then indented `Name: value` lines. */
function parseRules(text: string): Map<string, Record<string, string>> {
  const rules = new Map<string, Record<string, string>>()
  let current: Record<string, string> | undefined
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    if (!line.startsWith(' ')) {
      expect(line).toMatch(/^\/\S*$/)
      current = {}
      rules.set(line, current)
      continue
    }
    const match = /^ {2}([A-Za-z-]+): (\S.*)$/.exec(line)
    expect(match, line).not.toBeNull()
    if (current && match) current[match[1] as string] = match[2] as string
  }
  return rules
}

const refusal = (run: () => unknown) => {
  try {
    run()
  } catch (error) {
    return isAgoraError(error) ? [error.code, error.file] : error
  }
  return undefined
}

describe('core/hf/static-hub', () => {
  it('names every version by commit, version, dist-tags, and main/HEAD for latest', () => {
    const item = repo([{ path: 'x' }], {
      'dist-tags': { latest: '1.1.0', stable: '1.0.0' },
      versions: { '1.0.0': { files: [] }, '1.1.0': { files: [{ path: 'x', size: 1, sha256: A }] } },
    }).item
    expect(staticRevisions(item).map((r) => [r.revision.commit, r.aliases])).toEqual([
      [versionCommit(item, '1.0.0'), ['1.0.0', 'stable']],
      [versionCommit(item, '1.1.0'), ['1.1.0', 'latest', 'main', 'HEAD']],
    ])
  })

  it('writes _headers rules with the Hub headers for every revision name of a file', () => {
    const hub = plan([repo([{ path: 'model.safetensors', size: 42 }])])
    const rules = parseRules(hub.headers)
    const commit = versionCommit(repo([{ path: 'model.safetensors', size: 42 }]).item, '1.0.0')
    for (const name of ['main', 'HEAD', 'latest', '1.0.0', commit]) {
      expect(rules.get(`/acme/m/resolve/${name}/model.safetensors`)).toMatchObject({
        'X-Repo-Commit': commit,
        ETag: `"${A}"`,
        'X-Linked-Etag': `"${A}"`,
        'X-Linked-Size': '42',
      })
    }
    expect(hub.counts.headerRules).toBe(rules.size)
  })

  it('writes _redirects lines of three fields: 302 to the blob, 200 rewrites for the API', () => {
    const source = repo([{ path: 'data/x.csv' }, { path: 'paid.bin', sha256: B, private: true }])
    const hub = plan([source])
    const lines = hub.redirects.split('\n').filter((l) => l !== '' && !l.startsWith('#'))
    for (const line of lines) expect(line.split(' ')).toHaveLength(3)
    expect(lines).toContain(
      `/acme/m/resolve/main/data/x.csv https://blobs.example.org/blobs/sha256/aa/${A} 302`,
    )
    const commit = versionCommit(source.item, '1.0.0')
    expect(lines).toContain(`/api/models/acme/m /hf/models/acme/m/${commit}/info.json 200`)
    // Static hosts cannot read the query: a tree is always answered recursively.
    expect(lines).toContain(
      `/api/models/acme/m/tree/main/data /hf/models/acme/m/${commit}/tree-r/data.json 200`,
    )
    // A paid file has no rule: the host's 404.
    expect(hub.redirects).not.toContain('paid.bin')
    expect(hub.counts.redirectRules).toBe(lines.length)
    // raw: one splat rule per revision name, redirecting to resolve.
    expect(lines).toContain('/acme/m/raw/main/* /acme/m/resolve/main/:splat 302')
    expect(hub.counts.dynamicRedirects).toBe(lines.filter((l) => l.includes('*')).length)
    expect(hub.counts.dynamicRedirects).toBe(5)
  })

  it('writes the JSON answers once per version, under its commit', () => {
    const hub = plan([repo([{ path: 'data/x.csv' }])])
    const commit = versionCommit(repo([{ path: 'data/x.csv' }]).item, '1.0.0')
    const base = `hf/models/acme/m/${commit}`
    expect([...hub.files.keys()].sort()).toEqual(
      [
        'info.json',
        'paths-info/data.json',
        'paths-info/data/x.csv.json',
        'tree-r.json',
        'tree-r/data.json',
        'tree.json',
        'tree/data.json',
      ].map((p) => `${base}/${p}`),
    )
    expect(JSON.parse(hub.files.get(`${base}/paths-info/data/x.csv.json`) as string)).toMatchObject(
      [{ type: 'file', path: 'data/x.csv', oid: A }],
    )
  })

  it('encodes hostile file names for static hosts and quotes them for nginx', () => {
    const hub = plan([repo([{ path: 'we:ird/a b*"$x.bin' }])])
    expect(hub.redirects).toContain('/acme/m/resolve/main/we%3Aird/a%20b%2A%22%24x.bin ')
    expect([...parseRules(hub.headers).keys()]).toContain(
      '/acme/m/resolve/1.0.0/we%3Aird/a%20b%2A%22%24x.bin',
    )
    expect(hub.nginx).toContain('/we:ird/a b*\\"$x.bin" {')
    expect(hostPath('/a/:b/*')).toBe('/a/%3Ab/%2A')
    expect(nginxString('a\\"b')).toBe('"a\\\\\\"b"')
    expect(() => nginxString('a\nb')).toThrow(TypeError)
  })

  it('refuses names that would inject rules or headers, naming the index file', () => {
    const file = 'index/models/ac/acme/m.json'
    expect(refusal(() => plan([repo([{ path: 'a\nX-Evil: 1' }])]))).toEqual([
      'hf/static-unsafe-name',
      file,
    ])
    expect(refusal(() => plan([repo([{ path: '../escape' }])]))).toEqual([
      'hf/static-unsafe-name',
      file,
    ])
    expect(refusal(() => plan([repo([{ path: 'x' }], { id: 'acme/m$x' })]))).toEqual([
      'hf/static-unsafe-name',
      file,
    ])
    expect(
      refusal(() =>
        plan([repo([{ path: 'x' }], { 'dist-tags': { latest: '1.0.0', 'a\r\nb': '1.0.0' } })]),
      ),
    ).toEqual(['hf/static-unsafe-name', file])
    expect(refusal(() => plan([repo([{ path: 'x' }])], 'https://blobs.example.org/$host'))).toEqual(
      ['hf/static-unsafe-name', file],
    )
    expect(refusal(() => plan([repo([{ path: 'x', url: 'https://e.org/a b' }])]))).toEqual([
      'hf/static-unsafe-name',
      file,
    ])
  })

  it('refuses names an nginx config or a host rule cannot hold, naming the index file', () => {
    const refused = ['hf/static-unsafe-name', 'index/models/ac/acme/m.json']
    // nginx refuses to load a token over 4 KiB: the whole site would stop.
    expect(refusal(() => plan([repo([{ path: `d/${'x'.repeat(5000)}` }])]))).toEqual(refused)
    expect(refusal(() => plan([repo([{ path: 'x' }], { id: `acme/${'m'.repeat(300)}` })]))).toEqual(
      refused,
    )
    expect(
      refusal(() =>
        plan([
          repo([{ path: 'x' }], { 'dist-tags': { latest: '1.0.0', ['t'.repeat(2000)]: '1.0.0' } }),
        ]),
      ),
    ).toEqual(refused)
    // Sizes are written unquoted.
    const size = '1; return 200 "x"' as unknown as number
    expect(refusal(() => plan([repo([{ path: 'x', size }])]))).toEqual(refused)
    // A lone surrogate has no UTF-8 form to percent-encode.
    expect(refusal(() => plan([repo([{ path: 'a\ud800b' }])]))).toEqual(refused)
    expect(
      refusal(() =>
        plan([repo([{ path: 'x' }], { 'dist-tags': { latest: '1.0.0', '\udc00': '1.0.0' } })]),
      ),
    ).toEqual(refused)
  })

  it('keeps the security headers first in _headers and replaces its own section on a rebuild', () => {
    const security = '/*\n  X-Frame-Options: DENY\n'
    const once = mergeHeaders(security, '/a\n  X-Repo-Commit: 1\n')
    expect(once.startsWith(security)).toBe(true)
    const twice = mergeHeaders(once, '/b\n  X-Repo-Commit: 2\n')
    expect(twice).toBe(mergeHeaders(security, '/b\n  X-Repo-Commit: 2\n'))
    expect(twice).not.toContain('/a\n')
  })
})
