import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../agora.ts'
import { captureStream } from '../cli/capture.ts'

const fixture = fileURLToPath(new URL('../../core/client/__fixtures__/raw/', import.meta.url))
/** A commit whose agora.yaml names a public blob URL, and one whose agora.yaml names none. */
const WITH_URL = '0123456789abcdef0123456789abcdef01234567'
const WITHOUT_URL = 'fedcba9876543210fedcba9876543210fedcba98'
const HELLO = 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9'

describe('scripts/commands/pull --raw', () => {
  let server: Server
  let base: string
  let work: string
  const requests: string[] = []

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'agora-pull-raw-'))
    // A raw-file host serving the fixture under each commit, and a blob mirror under /mirror.
    server = createServer(async (request, response) => {
      const path = new URL(request.url ?? '/', 'http://x').pathname
      requests.push(path)
      if (path === `/mirror/b9/${HELLO}`) {
        response.end('hello world')
        return
      }
      const [, commit, ...rest] = path.split('/')
      if ((commit !== WITH_URL && commit !== WITHOUT_URL) || rest.includes('..')) {
        response.writeHead(404).end()
        return
      }
      let text = await readFile(join(fixture, rest.join('/')), 'utf8').catch(() => undefined)
      if (text === undefined) {
        response.writeHead(404).end()
        return
      }
      text = text.replaceAll('PORT', String((server.address() as AddressInfo).port))
      if (commit === WITHOUT_URL) text = text.replace(/, public_url: "[^"]*"/, '')
      response.end(text)
    })
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((done) => server.close(done))
    await rm(work, { recursive: true, force: true })
  })

  async function pull(commit: string, ...extra: string[]) {
    const stdout = captureStream()
    const stderr = captureStream()
    const code = await main(
      [
        'pull',
        'acme/tox-gnn@1.0.0',
        '--raw',
        `${base}/{commit}/{path}`,
        '--commit',
        commit,
        '--cache',
        join(work, `cache-${commit.slice(0, 4)}`),
        '--lock',
        join(work, `agora-${commit.slice(0, 4)}.lock`),
        '--json',
        ...extra,
      ],
      { cwd: work, env: {}, stdout, stderr, fetch: globalThis.fetch },
    )
    return { code, stdout: stdout.text(), stderr: stderr.text() }
  }

  it('names --blob-url when agora.yaml at the commit says nothing of where blobs are', async () => {
    const { code, stdout } = await pull(WITHOUT_URL)
    expect(code).toBe(2)
    expect(JSON.parse(stdout).error).toMatchObject({
      code: 'client/no-blob-url',
      hint: "say where the blobs are with --blob-url TEMPLATE (e.g. https://cdn.example.org/blobs/sha256/{prefix}/{sha256}), or pull through the hub's index (--index)",
    })
  })

  it('pulls through raw Git URLs with the blobs at --blob-url, {base} being base_url', async () => {
    requests.length = 0
    const { code, stdout, stderr } = await pull(
      WITHOUT_URL,
      '--blob-url',
      '{base}/mirror/{prefix}/{sha256}',
    )
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({
      item: 'acme/tox-gnn',
      version: '1.0.0',
      commit: WITHOUT_URL,
      downloaded_bytes: 11,
    })
    expect(requests).toContain(`/mirror/b9/${HELLO}`)

    requests.length = 0
    const direct = await pull(WITH_URL, '--blob-url', `${base}/mirror/{prefix}/{sha256}`)
    expect(direct.code).toBe(0)
    // A template without {base} needs nothing from agora.yaml.
    expect(requests.some((r) => r.endsWith('/registry/agora.yaml'))).toBe(false)
  })

  it('refuses --blob-url without --raw, or without {sha256}', async () => {
    const stdout = captureStream()
    const code = await main(
      ['pull', 'acme/tox-gnn', '--index', base, '--blob-url', `${base}/{sha256}`, '--json'],
      { cwd: work, env: {}, stdout, stderr: captureStream(), fetch: globalThis.fetch },
    )
    expect(code).toBe(2)
    expect(JSON.parse(stdout.text()).error.message).toBe('agora pull: --blob-url applies to --raw')
    const bad = await pull(WITH_URL, '--blob-url', `${base}/mirror/{prefix}`)
    expect(bad.code).toBe(2)
    expect(JSON.parse(bad.stdout).error.code).toBe('cli/bad-argument')
  })
})
