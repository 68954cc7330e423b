#!/usr/bin/env node
import { createReadStream } from 'node:fs'
import { readFile, realpath, stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, resolve, sep } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import { parseHeadersFile, securityHeaders } from '#core/catalog'
import { createHfHandler, type HfHandlerOptions, parseByteRange, sendFileBytes } from '#core/hf'
import { THEME_SCRIPT } from '../site/lib/theme.ts'

export interface ServeHubOptions {
  /** Folder served: the built site, `index/` and `blobs/sha256/…`. */
  root: string
  /** 0 picks a free port. */
  port?: number
  /** Default 127.0.0.1: loopback only unless asked otherwise. */
  host?: string
  /** Told of every request, for request counting in tests and benchmarks. */
  onRequest?: (request: { method: string; path: string; range: string | undefined }) => void
  /**
   * The Hugging Face download protocol (`/{id}/resolve/…`, `/api/models/…`)
   * from the root's signed index: on by default; false turns it off.
   */
  hf?: Omit<HfHandlerOptions, 'root' | 'fs'> | false
}

export interface ServedHub {
  /** `http://host:port`, no trailing slash. */
  url: string
  port: number
  server: Server
  close(): Promise<void>
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.sig': 'text/plain; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
  '.yaml': 'text/yaml; charset=utf-8',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.pf_meta': 'application/octet-stream',
}

/**
 * A small static file server for a built hub: byte ranges (resumable
 * downloads), strong ETags with If-None-Match → 304 (so clients revalidate
 * the index cheaply), immutable caching for content-addressed blobs, and
 * nothing outside `root` (no traversal, no dot-files).
 *
 * @example
 * const hub = await serveHub({ root: 'dist', port: 4321 })
 * // agora pull acme/tox-gnn --index http://127.0.0.1:4321
 * await hub.close()
 */
export async function serveHub(options: ServeHubOptions): Promise<ServedHub> {
  // The real path, so a symlink inside the root cannot lead outside it (checked per request).
  const root = await realpath(resolve(options.root))
  const security = securityHeadersOf(root)
  const hf = options.hf === false ? undefined : createHfHandler({ ...options.hf, root })
  const server = createServer((request, response) => {
    // Nothing a request or a broken _headers file does may reject unhandled and end the process.
    const answer = async () => {
      for (const [name, value] of Object.entries(await security())) response.setHeader(name, value)
      if (hf && (await hf(request, response))) {
        options.onRequest?.({
          method: request.method ?? 'GET',
          path: request.url ?? '/',
          range: request.headers.range,
        })
        return
      }
      await handle(root, request, response, options.onRequest)
    }
    answer().catch(() => {
      if (!response.headersSent) response.writeHead(500).end()
      else response.destroy()
    })
  })
  server.keepAliveTimeout = 5_000
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => done())
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    server,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done())
        server.closeAllConnections()
      }),
  }
}

/**
 * The security headers every response carries: those the build wrote to
 * `_headers` (the same policy as the pages' meta CSP, with the hub's blob
 * origins), else the policy's defaults for a folder built without it. The
 * file is read again when it changes, so a server started before a build
 * serves what that build wrote.
 */
function securityHeadersOf(root: string): () => Promise<Record<string, string>> {
  const defaults = securityHeaders({ inlineScripts: [THEME_SCRIPT] })
  const file = join(root, '_headers')
  let seen: { mtimeMs: number; headers: Record<string, string> } | undefined
  return async () => {
    const info = await stat(file).catch(() => undefined)
    if (!info?.isFile()) return defaults
    if (seen?.mtimeMs !== info.mtimeMs) {
      const text = await readFile(file, 'utf8').catch(() => undefined)
      if (text === undefined) return defaults
      seen = { mtimeMs: info.mtimeMs, headers: { ...defaults, ...parseHeadersFile(text) } }
    }
    return seen.headers
  }
}

async function handle(
  root: string,
  request: IncomingMessage,
  response: ServerResponse,
  onRequest: ServeHubOptions['onRequest'],
): Promise<void> {
  const method = request.method ?? 'GET'
  let path: string
  try {
    path = decodeURIComponent(new URL(request.url ?? '/', 'http://hub').pathname)
  } catch {
    response.writeHead(400).end()
    return
  }
  onRequest?.({ method, path, range: request.headers.range })
  if (method !== 'GET' && method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end()
    return
  }
  const segments = path.split('/').filter(Boolean)
  if (segments.some((s) => s.startsWith('.') || s.includes('\0') || s.includes('\\'))) {
    response.writeHead(404).end()
    return
  }
  let file = join(root, ...segments)
  if (file !== root && !file.startsWith(root + sep)) {
    response.writeHead(404).end()
    return
  }
  let info = await stat(file).catch(() => undefined)
  if (info?.isDirectory()) {
    file = join(file, 'index.html')
    info = await stat(file).catch(() => undefined)
  }
  if (info?.isFile() && !isInside(root, await realpath(file).catch(() => ''))) info = undefined
  if (!info?.isFile()) {
    const notFound = join(root, '404.html')
    const page = await stat(notFound).catch(() => undefined)
    response.writeHead(404, {
      'content-type': 'text/html; charset=utf-8',
      ...(page ? { 'content-length': page.size } : {}),
    })
    if (page && method === 'GET') await pipeline(createReadStream(notFound), response)
    else response.end()
    return
  }
  const size = info.size
  const etag = `"${size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`
  const headers: Record<string, string | number> = {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    etag,
    'last-modified': info.mtime.toUTCString(),
    'accept-ranges': 'bytes',
    // Blobs are content-addressed and never change; everything else must revalidate.
    'cache-control': segments[0] === 'blobs' ? 'public, max-age=31536000, immutable' : 'no-cache',
  }
  const match = request.headers['if-none-match']
  if (match?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
    response.writeHead(304, headers).end()
    return
  }
  let start = 0
  let end = size - 1
  let status = 200
  const range = request.headers.range
  // Only GET has range semantics (RFC 9110 §14.2); If-Range must match exactly.
  if (range !== undefined && method === 'GET' && ifRangeMatches(request, etag, info.mtime)) {
    const parsed = parseByteRange(range, size)
    if (parsed === 'unsatisfiable') {
      response.writeHead(416, { ...headers, 'content-range': `bytes */${size}` }).end()
      return
    }
    if (parsed) {
      ;[start, end] = parsed
      status = 206
      headers['content-range'] = `bytes ${start}-${end}/${size}`
    }
  }
  headers['content-length'] = size === 0 ? 0 : end - start + 1
  response.writeHead(status, headers)
  if (method === 'HEAD' || size === 0) {
    response.end()
    return
  }
  await sendFileBytes(response, file, start, end)
}

function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root + sep)
}

/** If-Range (RFC 9110 §13.1.5): a strong ETag equal to ours, or our exact Last-Modified date. */
function ifRangeMatches(request: IncomingMessage, etag: string, mtime: Date): boolean {
  const raw: string | string[] | undefined = request.headers['if-range']
  const value = Array.isArray(raw) ? raw[0] : raw
  if (value === undefined) return true
  if (value.startsWith('"') || value.startsWith('W/')) return value === etag
  return value === mtime.toUTCString()
}

/** Kept under its old name for the importers of this module. */
export const parseRange = parseByteRange

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      root: { type: 'string', default: 'dist' },
      port: { type: 'string', default: '4321' },
      host: { type: 'string', default: '127.0.0.1' },
      key: { type: 'string' },
      'blob-base': { type: 'string' },
    },
  })
  const hub = await serveHub({
    root: values.root,
    port: Number(values.port),
    host: values.host,
    hf: { publicKey: values.key, blobBase: values['blob-base'] },
  })
  process.stdout.write(`serving ${resolve(values.root)} at ${hub.url}\n`)
}
