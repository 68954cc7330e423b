import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  DEFAULT_BLOB_URL_TEMPLATE,
  generateSigningKey,
  ITEM_URL_TEMPLATE,
  loadPrivateKey,
  sealDocument,
} from '#core/index-format'
import { main } from '../../scripts/agora.ts'
import { captureStream } from '../../scripts/cli/capture.ts'
import { checkIndexItem, isValidId, isValidTag, isValidVersion } from './documents.ts'
import { downloadBlob } from './download.ts'
import { getText } from './http.ts'
import { type PullOptions, pull } from './pull.ts'
import { pullCollection } from './pull-collection.ts'
import { checkFiles } from './resolve.ts'
import { sanitizeForTerminal } from './terminal-text.ts'

const sha = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex')
const blob = Buffer.from('hostile hub, honest bytes')
const file = { path: 'model.onnx', size: blob.length, sha256: sha(blob) }
const DAY = 24 * 60 * 60 * 1000

type Handler = (request: IncomingMessage, response: ServerResponse) => void

/**
 * A hub under the test's control on loopback: every document is validly
 * signed with the key the client trusts, so only the client's own checks
 * stand between a hostile index and the disk.
 */
describe('core/client against a hostile hub', () => {
  let server: Server
  let base: string
  let work: string
  const routes = new Map<string, Handler>()
  const key = generateSigningKey()
  const signing = { privateKey: loadPrivateKey(key.privateKeyPem), keyId: key.keyId }

  const serveSigned = (path: string, payload: unknown) =>
    routes.set(path, (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(sealDocument(payload, signing))
    })
  const config = (extra: Record<string, unknown> = {}) => ({
    v: 1,
    hub: 'Hostile',
    blobs: DEFAULT_BLOB_URL_TEMPLATE,
    items: ITEM_URL_TEMPLATE,
    key_id: key.keyId,
    public_key: key.publicKey,
    sequence: 1000,
    expires: new Date(Date.now() + 7 * DAY).toISOString(),
    ...extra,
  })
  const item = (extra: Record<string, unknown> = {}) => ({
    v: 1,
    kind: 'model',
    id: 'acme/tox-gnn',
    'dist-tags': { latest: '1.0.0' },
    sequence: 1000,
    versions: { '1.0.0': { files: [file] } },
    ...extra,
  })
  const ITEM = '/index/models/ac/acme/tox-gnn.json'
  const options = (extra: Partial<PullOptions> = {}): PullOptions => ({
    fetch: globalThis.fetch,
    indexUrl: base,
    publicKey: key.publicKey,
    cacheDir: join(work, 'cache'),
    lockFile: join(work, 'agora.lock'),
    configTtlMs: 0,
    retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 2 },
    stallTimeoutMs: 2000,
    ...extra,
  })
  /** Everything under the work folder but the cache, the lock and what the test put there. */
  const escaped = async () =>
    (await readdir(work, { recursive: true })).filter(
      (p) => !p.startsWith('cache') && p !== 'agora.lock' && !p.startsWith('to'),
    )

  beforeAll(async () => {
    server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://x').pathname
      const handler = routes.get(path)
      if (handler) handler(request, response)
      else response.writeHead(404).end()
    })
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((done) => server.close(done))
  })
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'agora-hostile-'))
    routes.clear()
    serveSigned('/index/config.json', config())
    serveSigned(ITEM, item())
    routes.set(`/blobs/sha256/${file.sha256.slice(0, 2)}/${file.sha256}`, (_q, response) => {
      response.writeHead(200, { 'content-length': blob.length }).end(blob)
    })
  })
  afterEach(async () => {
    server.closeAllConnections()
    await rm(work, { recursive: true, force: true })
  })

  describe('strings from the index, a manifest or agora.lock never become unsafe paths', () => {
    it('pulls from the honest version of the hub', async () => {
      const result = await pull('acme/tox-gnn', options({ to: join(work, 'to') }))
      expect(result.version).toBe('1.0.0')
      expect(await readFile(join(work, 'to', 'model.onnx'), 'utf8')).toBe(blob.toString())
    })

    it.each([
      [
        'a version that climbs out',
        { versions: { '../../../..': { files: [file] } }, 'dist-tags': { latest: '../../../..' } },
      ],
      [
        'a version with a slash',
        {
          versions: { '1.0.0/../../x': { files: [file] } },
          'dist-tags': { latest: '1.0.0/../../x' },
        },
      ],
      [
        'an unclean version',
        { versions: { 'v1.0.0': { files: [file] } }, 'dist-tags': { latest: 'v1.0.0' } },
      ],
      ['a dist-tag pointing out', { 'dist-tags': { latest: '../../..' } }],
      ['a dist-tag name with a slash', { 'dist-tags': { latest: '1.0.0', '../x': '1.0.0' } }],
      ['an id that climbs out', { id: '../../etc' }],
      ['an id with three parts', { id: 'acme/tox-gnn/x' }],
    ])('refuses %s with client/invalid-document and writes nothing', async (_name, extra) => {
      serveSigned(ITEM, item(extra))
      await expect(pull('acme/tox-gnn', options())).rejects.toMatchObject({
        code: 'client/invalid-document',
      })
      expect(await escaped()).toEqual([])
      expect(existsSync(join(work, 'cache', 'models--acme--tox-gnn', 'snapshots'))).toBe(false)
    })

    it.each([['widget'], ['../models'], [42]])('refuses the unknown kind %s', async (kind) => {
      serveSigned(ITEM, item({ kind }))
      await expect(pull('acme/tox-gnn', options())).rejects.toMatchObject({
        code: 'client/unknown-kind',
      })
    })

    it.each([
      ['../../../home/.bashrc'],
      ['/etc/passwd'],
      ['a/../../b'],
      ['weights\\..\\..\\x'],
      ['.git/config'],
    ])('refuses the file path %s', async (path) => {
      serveSigned(ITEM, item({ versions: { '1.0.0': { files: [{ ...file, path }] } } }))
      await expect(pull('acme/tox-gnn', options())).rejects.toMatchObject({
        code: 'client/unsafe-path',
      })
      expect(await escaped()).toEqual([])
    })

    it('refuses a hand-edited agora.lock whose version climbs out, with --offline', async () => {
      await pull('acme/tox-gnn', options())
      const lockPath = join(work, 'agora.lock')
      const lock = JSON.parse(await readFile(lockPath, 'utf8'))
      lock.items['model/acme/tox-gnn'].version = '../../../..'
      await writeFile(lockPath, JSON.stringify(lock))
      for (const extra of [{ offline: true }, { offline: true, locked: true }, { locked: true }]) {
        await expect(pull('acme/tox-gnn', options(extra))).rejects.toMatchObject({
          code: 'client/invalid-document',
          message: expect.stringContaining('"../../../.." is not a version'),
        })
      }
      expect(await escaped()).toEqual([])
    })

    it('refuses a hand-edited agora.lock with a bad file path or commit', async () => {
      await pull('acme/tox-gnn', options())
      const lockPath = join(work, 'agora.lock')
      const honest = await readFile(lockPath, 'utf8')
      const lock = JSON.parse(honest)
      lock.items['model/acme/tox-gnn'].files[0].path = '../../escaped'
      await writeFile(lockPath, JSON.stringify(lock))
      await expect(pull('acme/tox-gnn', options({ offline: true }))).rejects.toMatchObject({
        code: 'client/unsafe-path',
      })
      const commit = JSON.parse(honest)
      commit.items['model/acme/tox-gnn'].commit = '../x'
      await writeFile(lockPath, JSON.stringify(commit))
      await expect(pull('acme/tox-gnn', options({ offline: true }))).rejects.toMatchObject({
        code: 'client/invalid-document',
      })
      expect(await escaped()).toEqual([])
    })

    it('refuses a cached index entry edited to climb out, offline', async () => {
      await pull('acme/tox-gnn', options({ lockFile: undefined }))
      const cached = join(work, 'cache', 'models--acme--tox-gnn', 'index.json')
      const record = JSON.parse(await readFile(cached, 'utf8'))
      record.text = sealDocument(
        item({ versions: { '../../..': { files: [file] } }, 'dist-tags': { latest: '../../..' } }),
        signing,
      )
      await writeFile(cached, JSON.stringify(record))
      await expect(
        pull('acme/tox-gnn', options({ offline: true, lockFile: undefined })),
      ).rejects.toMatchObject({ code: 'client/invalid-document' })
    })

    it('checks versions, tags, ids and entries with the registry rules', () => {
      expect(['1.0.0', '2.0.0-rc.1', '10.20.30-alpha.1'].every(isValidVersion)).toBe(true)
      expect(
        ['..', '../1.0.0', '1.0', 'v1.0.0', ' 1.0.0', '1.0.0/x', '', 7, '1.0.0+build.5'].some(
          isValidVersion,
        ),
      ).toBe(false)
      expect(isValidTag('latest') && isValidTag('beta.2')).toBe(true)
      expect(['..', 'a/b', 'Latest', '', '-x'].some(isValidTag)).toBe(false)
      expect(isValidId('acme/tox-gnn')).toBe(true)
      expect(['../x', 'acme', 'acme/..', 'Acme/x', 'a/b/c', 'acme/x\u0000'].some(isValidId)).toBe(
        false,
      )
      expect(() => checkIndexItem({ ...item(), versions: null } as never, 'entry.json')).toThrow(
        expect.objectContaining({ code: 'client/invalid-document' }),
      )
    })
  })

  describe('a collection document is checked like every other', () => {
    const KIT = '/index/collections/cu/curators/kit.json'
    const collection = (members: unknown, extra: Record<string, unknown> = {}) => ({
      v: 1,
      kind: 'collection',
      id: 'curators/kit',
      'dist-tags': {},
      sequence: 1000,
      versions: {},
      members,
      ...extra,
    })

    it('pulls the honest collection into <to>/<kind>s/<ns>/<name>', async () => {
      serveSigned(KIT, collection([{ kind: 'model', id: 'acme/tox-gnn', version: '1.0.0' }]))
      const result = await pullCollection(
        'collections/curators/kit',
        options({ to: join(work, 'to') }),
      )
      expect(result.members.map((m) => m.version)).toEqual(['1.0.0'])
      expect(
        await readFile(join(work, 'to', 'models', 'acme', 'tox-gnn', 'model.onnx'), 'utf8'),
      ).toBe(blob.toString())
    })

    it.each([
      ['a member id that climbs out', [{ kind: 'model', id: '../../etc' }]],
      ['a member id with ..', [{ kind: 'model', id: 'acme/..' }]],
      ['a member id with three parts', [{ kind: 'model', id: 'acme/tox-gnn/x' }]],
      ['a pin that climbs out', [{ kind: 'model', id: 'acme/tox-gnn', version: '../../x' }]],
      ['a pin that is not a string', [{ kind: 'model', id: 'acme/tox-gnn', version: 1 }]],
      [
        'a member listed twice',
        [
          { kind: 'model', id: 'acme/tox-gnn' },
          { kind: 'model', id: 'acme/tox-gnn', version: '1.0.0' },
        ],
      ],
      ['no members', []],
      ['members that are not a list', { kind: 'model', id: 'acme/tox-gnn' }],
      ['a member that is not an object', ['acme/tox-gnn']],
    ])('refuses %s with client/invalid-document and writes nothing', async (_name, members) => {
      serveSigned(KIT, collection(members))
      await expect(
        pullCollection('collections/curators/kit', options({ to: join(work, 'to') })),
      ).rejects.toMatchObject({ code: 'client/invalid-document' })
      expect(await escaped()).toEqual([])
      expect(existsSync(join(work, 'agora.lock'))).toBe(false)
    })

    it.each([['widget'], ['../models'], [42]])('refuses the member kind %s', async (kind) => {
      serveSigned(KIT, collection([{ kind, id: 'acme/tox-gnn' }]))
      await expect(pullCollection('collections/curators/kit', options())).rejects.toMatchObject({
        code: 'client/unknown-kind',
      })
    })

    it('refuses members on an item that is not a collection', async () => {
      serveSigned(ITEM, item({ members: [{ kind: 'model', id: 'acme/other' }] }))
      await expect(pull('acme/tox-gnn', options())).rejects.toMatchObject({
        code: 'client/invalid-document',
        message: expect.stringContaining('a model has no members'),
      })
    })

    it('refuses a collection that includes itself', async () => {
      serveSigned(KIT, collection([{ kind: 'collection', id: 'curators/kit' }]))
      await expect(pullCollection('collections/curators/kit', options())).rejects.toMatchObject({
        code: 'client/collection-cycle',
        message:
          'collections include each other: collections/curators/kit -> collections/curators/kit',
      })
    })

    it('refuses collections nested past one level, without fetching past it', async () => {
      serveSigned(KIT, collection([{ kind: 'collection', id: 'curators/mid' }]))
      serveSigned(
        '/index/collections/cu/curators/mid.json',
        collection([{ kind: 'collection', id: 'curators/low' }], { id: 'curators/mid' }),
      )
      let lowFetched = false
      routes.set('/index/collections/cu/curators/low.json', (_q, response) => {
        lowFetched = true
        response.writeHead(404).end()
      })
      await expect(pullCollection('collections/curators/kit', options())).rejects.toMatchObject({
        code: 'client/collection-too-deep',
      })
      expect(lowFetched).toBe(false)
    })

    it('refuses a hand-edited lock entry for a collection', async () => {
      serveSigned(KIT, collection([{ kind: 'model', id: 'acme/tox-gnn' }]))
      await pullCollection('collections/curators/kit', options())
      const lockPath = join(work, 'agora.lock')
      const honest = JSON.parse(await readFile(lockPath, 'utf8'))
      for (const member of [
        { item: 'model/acme/../../x', version: '1.0.0' },
        { item: 'collection/curators/kit', version: '1.0.0' },
        { item: 'model/acme/tox-gnn', version: '../..' },
      ]) {
        const lock = structuredClone(honest)
        lock.collections['collection/curators/kit'].members = [member]
        await writeFile(lockPath, JSON.stringify(lock))
        await expect(
          pullCollection('collections/curators/kit', options({ locked: true })),
        ).rejects.toMatchObject({
          code: expect.stringMatching(/^client\/(invalid-document|lockfile-invalid)$/),
        })
      }
      expect(await escaped()).toEqual([])
    })
  })

  describe('paths one file system takes for the same file', () => {
    const entry = (path: string) => ({ ...file, path })
    it.each([
      ['NFC and NFD', 'caf\u00e9.onnx', 'cafe\u0301.onnx'],
      ['case', 'Model.onnx', 'model.onnx'],
      ['full case folding', 'stra\u00dfe.onnx', 'STRASSE.onnx'],
      ['a ligature', '\ufb01le.onnx', 'file.onnx'],
      ['the Kelvin sign', '\u212a.onnx', 'k.onnx'],
      ['case in a folder', 'Sub/a.onnx', 'sub/a.onnx'],
      ['a file and a folder', 'weights', 'Weights/a.onnx'],
      ['a folder and a file', 'weights/a.onnx', 'WEIGHTS'],
    ])('refuses two files that collide by %s', async (_what, first, second) => {
      const versions = { '1.0.0': { files: [entry(first), entry(second)] } }
      expect(() => checkIndexItem(item({ versions }) as never, 'entry.json')).toThrow(
        expect.objectContaining({ code: 'client/invalid-document' }),
      )
      expect(() =>
        checkFiles({ kind: 'model', ns: 'acme', name: 'tox-gnn' }, '1.0.0', [
          entry(first),
          entry(second),
        ]),
      ).toThrow(expect.objectContaining({ code: 'client/unsafe-path' }))
      serveSigned(ITEM, item({ versions }))
      await expect(pull('acme/tox-gnn', options())).rejects.toMatchObject({
        code: 'client/invalid-document',
      })
    })

    it('accepts distinct files side by side and in one folder', () => {
      const files = ['a.onnx', 'sub/a.onnx', 'sub/b.onnx', 'sub2/a.onnx', 'sub.onnx'].map(entry)
      expect(() =>
        checkIndexItem(item({ versions: { '1.0.0': { files } } }) as never, 'entry.json'),
      ).not.toThrow()
    })
  })

  describe('rollback and freeze', () => {
    it('refuses a validly signed older index once a newer one was seen', async () => {
      await pull('acme/tox-gnn', options())
      serveSigned('/index/config.json', config({ sequence: 999 }))
      const error = await pull('acme/tox-gnn', options()).catch((e) => e)
      expect(error).toMatchObject({
        code: 'client/index-rollback',
        message: `${base}/index/config.json has sequence 999, older than 1000 seen before`,
        hint: expect.stringContaining('--allow-rollback'),
      })
      const allowed = await pull('acme/tox-gnn', options({ allowRollback: true }))
      expect(allowed.version).toBe('1.0.0')
      // Allowing it once does not lower what the cache remembers.
      await expect(pull('acme/tox-gnn', options())).rejects.toMatchObject({
        code: 'client/index-rollback',
      })
    })

    it('refuses an index without a sequence once one with a sequence was seen', async () => {
      await pull('acme/tox-gnn', options())
      serveSigned('/index/config.json', config({ sequence: undefined }))
      await expect(pull('acme/tox-gnn', options())).rejects.toMatchObject({
        code: 'client/index-rollback',
      })
    })

    it('refuses an old item file where a yanked version was still live', async () => {
      serveSigned('/index/config.json', config({ sequence: 2000 }))
      serveSigned(
        ITEM,
        item({
          sequence: 1000,
          'dist-tags': { latest: '1.0.0' },
          versions: { '1.0.0': { files: [file] } },
        }),
      )
      await expect(pull('acme/tox-gnn', options())).rejects.toMatchObject({
        code: 'client/index-rollback',
        message: `${base}${ITEM} has sequence 1000, older than the index's floor 2000`,
      })
      serveSigned(ITEM, item({ sequence: undefined }))
      await expect(pull('acme/tox-gnn', options())).rejects.toMatchObject({
        code: 'client/index-rollback',
      })
    })

    it('takes item files down to item_floor, refuses older ones and a floor above the sequence', async () => {
      serveSigned('/index/config.json', config({ sequence: 2000, item_floor: 1500 }))
      // An item unchanged since build 1600 keeps that sequence (and its bytes).
      serveSigned(ITEM, item({ sequence: 1600 }))
      expect((await pull('acme/tox-gnn', options())).version).toBe('1.0.0')
      serveSigned(ITEM, item({ sequence: 1000 }))
      await expect(pull('acme/tox-gnn', options())).rejects.toMatchObject({
        code: 'client/index-rollback',
        message: `${base}${ITEM} has sequence 1000, older than the index's floor 1500`,
      })
      serveSigned('/index/config.json', config({ sequence: 3000, item_floor: 3001 }))
      await expect(pull('acme/tox-gnn', options())).rejects.toMatchObject({
        code: 'client/invalid-document',
        message: `${base}/index/config.json: "item_floor" is above "sequence"`,
      })
    })

    it('refuses an expired index, online and from the cache offline', async () => {
      serveSigned(
        '/index/config.json',
        config({ expires: new Date(Date.now() - 1000).toISOString() }),
      )
      const error = await pull('acme/tox-gnn', options()).catch((e) => e)
      expect(error).toMatchObject({
        code: 'client/index-expired',
        hint: expect.stringContaining('re-signed'),
      })
      // A cached config within its TTL is checked again, not trusted.
      await expect(pull('acme/tox-gnn', options({ configTtlMs: 60_000 }))).rejects.toMatchObject({
        code: 'client/index-expired',
      })
      serveSigned('/index/config.json', config())
      await pull('acme/tox-gnn', options({ lockFile: undefined }))
      const cached = join(work, 'cache', 'models--acme--tox-gnn', 'index.json')
      const record = JSON.parse(await readFile(cached, 'utf8'))
      record.expires = new Date(Date.now() - DAY).toISOString()
      await writeFile(cached, JSON.stringify(record))
      await expect(
        pull('acme/tox-gnn', options({ offline: true, lockFile: undefined })),
      ).rejects.toMatchObject({ code: 'client/index-expired' })
      const stale = await pull(
        'acme/tox-gnn',
        options({ offline: true, lockFile: undefined, allowRollback: true }),
      )
      expect(stale.version).toBe('1.0.0')
    })

    it('refuses a sequence or expiry that is not one', async () => {
      for (const extra of [
        { sequence: -1 },
        { sequence: '1000' },
        { sequence: 1.5 },
        { expires: 'soon' },
      ]) {
        serveSigned('/index/config.json', config(extra))
        await expect(pull('acme/tox-gnn', options())).rejects.toMatchObject({
          code: 'client/invalid-document',
        })
      }
    })

    it('remembers the newest sequence per hub and key in freshness.json', async () => {
      await pull('acme/tox-gnn', options())
      serveSigned('/index/config.json', config({ sequence: 1500 }))
      serveSigned(ITEM, item({ sequence: 1500 }))
      await pull('acme/tox-gnn', options())
      const [hub] = await readdir(join(work, 'cache', '.index'))
      const records = JSON.parse(
        await readFile(join(work, 'cache', '.index', hub as string, 'freshness.json'), 'utf8'),
      )
      expect(records).toEqual({ [key.publicKey]: { sequence: 1500, expires: expect.any(String) } })
    })
  })

  describe('unbounded inputs', () => {
    const endless: Handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      const chunk = Buffer.alloc(64 * 1024, 0x20)
      const pump = () => {
        while (!response.destroyed && response.write(chunk)) {}
        if (!response.destroyed) response.once('drain', pump)
      }
      pump()
    }
    const silent: Handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': 1000 })
      response.flushHeaders()
    }

    it('stops an endless config.json at the size cap while it streams', async () => {
      routes.set('/index/config.json', endless)
      const error = await pull('acme/tox-gnn', options({ maxDocumentBytes: 1024 * 1024 })).catch(
        (e) => e,
      )
      expect(error).toMatchObject({
        code: 'client/document-too-large',
        message: `the index configuration at ${base}/index/config.json is larger than 1048576 bytes`,
      })
    })

    it('stops an endless item file, and one whose Content-Length is too large', async () => {
      routes.set(ITEM, endless)
      await expect(
        pull('acme/tox-gnn', options({ maxDocumentBytes: 256 * 1024 })),
      ).rejects.toMatchObject({
        code: 'client/document-too-large',
      })
      routes.set(ITEM, (_request, response) => {
        response.writeHead(200, { 'content-length': 64 * 1024 * 1024 })
        response.flushHeaders()
      })
      await expect(pull('acme/tox-gnn', options())).rejects.toMatchObject({
        code: 'client/document-too-large',
      })
    })

    it('gives up on a document whose server sends headers then nothing', async () => {
      routes.set('/index/config.json', silent)
      const started = Date.now()
      const error = await pull('acme/tox-gnn', options({ stallTimeoutMs: 150 })).catch((e) => e)
      expect(error).toMatchObject({
        code: 'client/stalled',
        message: `${base}/index/config.json sent nothing for 0.150 s`,
        hint: expect.stringContaining('--stall-timeout'),
      })
      expect(Date.now() - started).toBeLessThan(1500)
    })

    it('gives up on a server that never answers, and on one that stops mid-document', async () => {
      routes.set('/index/config.json', () => undefined)
      await expect(
        getText(globalThis.fetch, `${base}/index/config.json`, { stallTimeoutMs: 100 }),
      ).rejects.toMatchObject({ code: 'client/stalled' })
      routes.set('/index/config.json', (_request, response) => {
        response.writeHead(200, { 'content-length': 100 })
        response.write('{"signed":')
      })
      await expect(
        getText(globalThis.fetch, `${base}/index/config.json`, { stallTimeoutMs: 100 }),
      ).rejects.toMatchObject({ code: 'client/stalled' })
    })

    it('gives up on a blob that stalls, before or after its first bytes', async () => {
      const url = `${base}/blobs/stall`
      routes.set('/blobs/stall', silent)
      const expected = { sha256: file.sha256, size: 1000 }
      await expect(
        downloadBlob({
          fetch: globalThis.fetch,
          url,
          target: join(work, 'b1'),
          expected,
          stallTimeoutMs: 100,
        }),
      ).rejects.toMatchObject({
        code: 'client/stalled',
        message: `${url} sent nothing for 0.100 s`,
      })
      routes.set('/blobs/stall', (_request, response) => {
        response.writeHead(200, { 'content-length': 1000 })
        response.write(Buffer.alloc(300))
      })
      await expect(
        downloadBlob({
          fetch: globalThis.fetch,
          url,
          target: join(work, 'b2'),
          expected,
          stallTimeoutMs: 100,
        }),
      ).rejects.toMatchObject({ code: 'client/stalled' })
      // The bytes that came are kept for a resume, the blob is not.
      expect(existsSync(join(work, 'b2'))).toBe(false)
    })

    it('a slow but steady blob is not a stall', async () => {
      const url = `${base}/blobs/slow`
      routes.set('/blobs/slow', (_request, response) => {
        response.writeHead(200, { 'content-length': blob.length })
        let sent = 0
        const tick = setInterval(() => {
          response.write(blob.subarray(sent, sent + 5))
          sent += 5
          if (sent >= blob.length) {
            clearInterval(tick)
            response.end()
          }
        }, 40)
      })
      const done = await downloadBlob({
        fetch: globalThis.fetch,
        url,
        target: join(work, 'slow'),
        expected: { sha256: file.sha256, size: blob.length },
        stallTimeoutMs: 150,
      })
      expect(done.transferred).toBe(blob.length)
    })
  })

  describe('links planted in the cache or in --to before the pull', () => {
    const nested = { ...file, path: 'sub/model.onnx' }
    const serveNested = () =>
      serveSigned(ITEM, item({ versions: { '1.0.0': { files: [nested] } } }))
    const outside = () => join(work, 'outside')
    const itemDir = () => join(work, 'cache', 'models--acme--tox-gnn')

    it.each([
      ['a folder in --to', () => join(work, 'to', 'sub')],
      ['a snapshot folder', () => join(itemDir(), 'snapshots', '1.0.0')],
      ['a folder inside a snapshot', () => join(itemDir(), 'snapshots', '1.0.0', 'sub')],
      ['the blobs folder', () => join(itemDir(), 'blobs')],
      ['the item folder', () => itemDir()],
      ['the blob locks folder', () => join(work, 'cache', '.locks', 'models--acme--tox-gnn')],
      ['the index folder', () => join(work, 'cache', '.index')],
    ])('refuses to write through a link at %s', async (_what, where) => {
      serveNested()
      await mkdir(outside())
      await mkdir(join(where(), '..'), { recursive: true })
      await symlink(outside(), where())
      await expect(pull('acme/tox-gnn', options({ to: join(work, 'to') }))).rejects.toMatchObject({
        code: 'client/unsafe-path',
      })
      expect(await readdir(outside(), { recursive: true })).toEqual([])
    })

    it('refuses a link in --to even with --force, before downloading', async () => {
      serveNested()
      let fetched = 0
      routes.set(`/blobs/sha256/${file.sha256.slice(0, 2)}/${file.sha256}`, (_q, response) => {
        fetched++
        response.writeHead(200, { 'content-length': blob.length }).end(blob)
      })
      await mkdir(outside())
      await mkdir(join(work, 'to'))
      await symlink(outside(), join(work, 'to', 'sub'))
      await expect(
        pull('acme/tox-gnn', options({ to: join(work, 'to'), force: true })),
      ).rejects.toMatchObject({ code: 'client/unsafe-path' })
      expect(fetched).toBe(0)
      expect(await readdir(outside())).toEqual([])
    })

    it('still replaces a file --link symlink placed before', async () => {
      await pull('acme/tox-gnn', options({ to: join(work, 'to'), link: 'symlink' }))
      expect((await lstat(join(work, 'to', 'model.onnx'))).isSymbolicLink()).toBe(true)
      await pull('acme/tox-gnn', options({ to: join(work, 'to'), link: 'copy' }))
      expect((await lstat(join(work, 'to', 'model.onnx'))).isFile()).toBe(true)
    })

    it.each([
      ['empty', ''],
      ['a partial prefix', blob.subarray(0, 5).toString()],
      ['longer than the blob', 'x'.repeat(blob.length + 10)],
    ])(
      'never writes through a link planted at blobs/<sha256>.partial (target %s)',
      async (_what, text) => {
        const victim = join(work, 'victim.txt')
        await writeFile(victim, text)
        await mkdir(join(itemDir(), 'blobs'), { recursive: true })
        await symlink(victim, join(itemDir(), 'blobs', `${file.sha256}.partial`))
        await pull('acme/tox-gnn', options())
        expect(await readFile(victim, 'utf8')).toBe(text)
        expect(await readFile(join(itemDir(), 'blobs', file.sha256), 'utf8')).toBe(blob.toString())
      },
    )
  })

  describe('terminal injection', () => {
    const nasty =
      'bad\u001b[2J\u001b[H\u001b]0;owned\u0007 verified OK\r\n\u009b31m\u202eKO\u2066\u200b'
    const C0 = '\\u0000-\\u0009\\u000b-\\u001f'
    /** Anything a terminal would act on: raw C0 but line feed, C1, bidi, zero-width. */
    const raw = new RegExp(`[${C0}\\u007f-\\u009f\\u200b-\\u200f\\u202a-\\u202e\\u2066-\\u2069]`)

    it('escapes C0, C1, ESC sequences, bidi overrides and zero-width characters', () => {
      expect(sanitizeForTerminal('ok\u001b[2J')).toBe('ok\\x1b[2J')
      expect(sanitizeForTerminal('a\u009b31mb')).toBe('a\\x9b31mb')
      expect(sanitizeForTerminal('x\u202ey\u2066z\u2069')).toBe('x\\u202ey\\u2066z\\u2069')
      expect(sanitizeForTerminal('zero\u200bwidth\ufeff')).toBe('zero\\u200bwidth\\ufeff')
      expect(sanitizeForTerminal('a\nb\rc')).toBe('a\\x0ab\\x0dc')
      expect(sanitizeForTerminal('a\nb\rc\td', { keepNewlines: true })).toBe('a\nb\\x0dc\td')
      expect(sanitizeForTerminal('café – naïve 模型')).toBe('café – naïve 模型')
      expect(sanitizeForTerminal(nasty)).not.toMatch(raw)
    })

    /** What the progress bar itself draws (ours, not the hub's). */
    const ESC = '\\u001b'
    const PROGRESS_BAR = new RegExp(`${ESC}\\[[0-9;]*[A-Za-z]|\\r`, 'g')

    async function cli(argv: string[]) {
      const stdout = captureStream()
      const stderr = captureStream({ isTTY: true })
      const code = await main(argv, { cwd: work, env: {}, stdout, stderr, fetch: globalThis.fetch })
      return { code, stdout: stdout.text(), stderr: stderr.text() }
    }
    const args = () => [
      'pull',
      'acme/tox-gnn',
      '--index',
      base,
      '--key',
      key.publicKey,
      '--cache',
      join(work, 'cache'),
    ]

    it('prints a yank reason with escape sequences harmlessly', async () => {
      serveSigned(
        ITEM,
        item({
          versions: { '1.0.0': { files: [file], status: { state: 'yanked', reason: nasty } } },
        }),
      )
      const result = await cli(
        [...args(), 'acme/tox-gnn@1.0.0'].filter((a) => a !== 'acme/tox-gnn'),
      )
      expect(result.code).toBe(0)
      expect(result.stderr).toContain(
        'is yanked: bad\\x1b[2J\\x1b[H\\x1b]0;owned\\x07 verified OK\\x0d\\x0a',
      )
      expect(result.stderr.replace(PROGRESS_BAR, '')).not.toMatch(raw)
      expect(result.stdout).not.toMatch(raw)
    })

    it('prints an error quoting hub text harmlessly, as text and as --json', async () => {
      serveSigned(
        ITEM,
        item({ status: { state: 'taken-down', reason: nasty, replacement: 'x\u202e' } }),
      )
      const text = await cli(args())
      expect(text.code).toBe(2)
      expect(text.stderr).toContain('was taken down: bad\\x1b[2J')
      expect(text.stderr).not.toMatch(raw)
      const json = await cli([...args(), '--json'])
      expect(json.stdout).not.toMatch(raw)
      expect(JSON.parse(json.stdout).error.message).toContain('bad\\x1b[2J')
    })

    it('never lets a line break in a hub path or id draw a line of its own', async () => {
      for (const bad of [
        item({
          versions: {
            '1.0.0': {
              files: [{ ...file, path: 'x\n✔ pulled acme/tox-gnn@1.0.0 (all files verified)' }],
            },
          },
        }),
        item({ id: 'acme/tox-gnn\n✔ verified OK' }),
      ]) {
        serveSigned(ITEM, bad)
        const text = await cli(args())
        expect(text.code).toBe(2)
        const lines = text.stderr.replace(PROGRESS_BAR, '').split('\n').filter(Boolean)
        expect(lines.filter((l) => l.includes('✔'))).toEqual([expect.stringMatching(/^\S.*\\x0a✔/)])
        expect(lines.filter((l) => !l.startsWith('  hint:')).length).toBe(1)
      }
    })

    it('escapes what --json prints of hub text: the same data, nothing raw', async () => {
      serveSigned(
        ITEM,
        item({
          versions: {
            '1.0.0': { files: [file], status: { state: 'deprecated', reason: 'x\u009b\u202ey' } },
          },
        }),
      )
      const json = await cli([...args(), '--json'])
      expect(json.code).toBe(0)
      expect(json.stdout).not.toMatch(raw)
      expect(JSON.parse(json.stdout).warnings).toEqual([
        'acme/tox-gnn@1.0.0 is deprecated: x\\x9b\\u202ey',
      ])
    })
  })
})
