import * as nodeFs from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { join } from 'node:path'
import { hashFile } from '#core/blobs'
import { isAgoraError } from '#core/errors'
import { fillTemplate, type IndexFile } from '#core/index-format'
import { parseByteRange } from './byte-range.ts'
import {
  type HfRepo,
  type HfRepoType,
  type HfRevision,
  type HubIndex,
  openHubIndex,
  resolveRevision,
} from './hub-index.ts'
import {
  lfsPointer,
  pathsInfo,
  repoInfo,
  TREE_PAGE_SIZE,
  treeEntries,
  treePage,
} from './repo-info.ts'
import { sendFileBytes } from './send-file-bytes.ts'

export interface HfHandlerOptions {
  /** The built hub: `index/` (signed) and `blobs/sha256/…`. */
  root: string
  /** The hub's public key; see openHubIndex. */
  publicKey?: string | undefined
  /**
   * Where large files are redirected to (a CDN or bucket origin), filling
   * config.json's blob template's `{base}`. Without it, and with a template
   * under `{base}`, every file is streamed from `root/blobs/`.
   */
  blobBase?: string | undefined
  /** Files at least this large are redirected when there is a blob origin; default 10 MiB. */
  redirectThreshold?: number
  fs?: typeof nodeFs
}

/** Answers a request when it is one of the Hub's; false when it is not (serve it as a file). */
export type HfHandler = (request: IncomingMessage, response: ServerResponse) => Promise<boolean>

type ErrorCode = 'RepoNotFound' | 'RevisionNotFound' | 'EntryNotFound' | 'GatedRepo'

/** Headers a browser client (@huggingface/hub in a page) must be allowed to read. */
const EXPOSED =
  'X-Repo-Commit, X-Linked-Etag, X-Linked-Size, ETag, Content-Range, Content-Length, X-Error-Code, X-Error-Message, Location, Link'

const DEFAULT_REDIRECT_THRESHOLD = 10 * 1024 * 1024

class BadRequest extends Error {}

/**
 * The Hugging Face Hub's download protocol over a built hub, so
 * `HF_ENDPOINT=<hub>` makes huggingface_hub, transformers and
 * @huggingface/hub download Agora items unmodified:
 * `/{id}/resolve|raw/{rev}/{path}`, `/api/{models|datasets}/{id}[/revision/{rev}]`,
 * `…/tree/{rev}[/{path}]` (paged as the Hub pages it) and `…/paths-info/{rev}` (datasets under `/datasets/`).
 * Every answer comes from the signed index (verified with the hub's key)
 * and every byte from a blob whose SHA-256 is checked before its last byte
 * leaves. Request paths never reach the file system: files are looked up
 * in the index and read by their hash.
 *
 * @example
 * const hf = createHfHandler({ root: 'dist' })
 * createServer(async (req, res) => { if (!(await hf(req, res))) serveStatic(req, res) })
 */
export function createHfHandler(options: HfHandlerOptions): HfHandler {
  const fs = options.fs ?? nodeFs
  const index = openHubIndex({ root: options.root, publicKey: options.publicKey, fs })
  const hashes = new Map<string, BlobHash>()
  const context: Context = { options, fs, index, hashes }
  return async (request, response) => {
    const route = matchRoute(request.url ?? '/')
    if (route === undefined) return false
    response.setHeader('access-control-allow-origin', '*')
    response.setHeader('access-control-expose-headers', EXPOSED)
    if (route === 'bad') {
      sendError(response, 400, undefined, 'bad request path')
      return true
    }
    try {
      await answer(context, route, request, response)
    } catch (error) {
      if (error instanceof BadRequest) sendError(response, 400, undefined, error.message)
      else if (response.headersSent) response.destroy()
      else
        sendError(
          response,
          500,
          undefined,
          isAgoraError(error) ? `${error.message} (${error.code})` : 'internal error',
        )
    }
    return true
  }
}

interface Context {
  options: HfHandlerOptions
  fs: typeof nodeFs
  index: HubIndex
  /** Each blob's SHA-256 as read from disk, by path, for the file state (`stamp`) it was read at. */
  hashes: Map<string, BlobHash>
}

interface BlobHash {
  stamp: string
  sha256: Promise<string>
}

interface Route {
  type: HfRepoType
  ns: string
  name: string
  op: 'info' | 'tree' | 'paths-info' | 'resolve' | 'raw'
  revision: string
  path: string
  query: URLSearchParams
}

/** A segment a Hub path may hold: no separators, no NUL, no dot segments. */
function isSafeSegment(segment: string): boolean {
  return (
    segment !== '' &&
    segment !== '.' &&
    segment !== '..' &&
    !segment.includes('/') &&
    !segment.includes('\\') &&
    !segment.includes('\0')
  )
}

/**
 * Matches the raw request target (before any URL normalisation, so `..`
 * and `%2F` are seen as sent) against the Hub's routes: a Route, 'bad'
 * for a Hub route with a hostile path, undefined for anything else.
 */
export function matchRoute(target: string): Route | 'bad' | undefined {
  const q = target.indexOf('?')
  const rawPath = q === -1 ? target : target.slice(0, q)
  const query = new URLSearchParams(q === -1 ? '' : target.slice(q + 1))
  const raw = rawPath.split('/').slice(1)
  let parts: string[]
  try {
    parts = raw.map((s) => decodeURIComponent(s))
  } catch {
    return raw[0] === 'api' || raw.includes('resolve') || raw.includes('raw') ? 'bad' : undefined
  }
  const repo = (type: HfRepoType, ns: string | undefined, name: string | undefined) =>
    ns !== undefined && name !== undefined && isSafeSegment(ns) && isSafeSegment(name)
      ? { type, ns, name }
      : undefined
  if (parts[0] === 'api' && (parts[1] === 'models' || parts[1] === 'datasets')) {
    // `/api/<kinds>/<ns>/<name>.json` and `/api/<kinds>/page/<n>.json` are the static catalog API.
    if (parts[3]?.endsWith('.json') && parts.length === 4) return undefined
    const type: HfRepoType = parts[1] === 'models' ? 'model' : 'dataset'
    const base = repo(type, parts[2], parts[3])
    if (!base) return parts.length >= 4 ? 'bad' : undefined
    const [op, revision, ...rest] = parts.slice(4)
    if (op === undefined) return { ...base, op: 'info', revision: 'main', path: '', query }
    if (revision === undefined || revision === '') return 'bad'
    if (op === 'revision' && rest.length === 0)
      return { ...base, op: 'info', revision, path: '', query }
    if (op === 'paths-info' && rest.length === 0)
      return { ...base, op: 'paths-info', revision, path: '', query }
    if (op === 'tree') {
      const trimmed = rest.at(-1) === '' ? rest.slice(0, -1) : rest
      if (!trimmed.every(isSafeSegment)) return 'bad'
      return { ...base, op: 'tree', revision, path: trimmed.join('/'), query }
    }
    return undefined
  }
  const offset = parts[0] === 'datasets' ? 1 : 0
  const op = parts[offset + 2]
  if (op !== 'resolve' && op !== 'raw') return undefined
  const base = repo(offset === 1 ? 'dataset' : 'model', parts[offset], parts[offset + 1])
  const revision = parts[offset + 3]
  const path = parts.slice(offset + 4)
  if (!base || revision === undefined || revision === '' || path.length === 0) return 'bad'
  if (!path.every(isSafeSegment)) return 'bad'
  return { ...base, op, revision, path: path.join('/'), query }
}

function sendError(
  response: ServerResponse,
  status: number,
  code: ErrorCode | undefined,
  message: string,
  method = 'GET',
): void {
  const body = JSON.stringify({ error: message })
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-cache',
    // Header values must be Latin-1 without controls: hub text is not trusted to be.
    'x-error-message': message.replace(/[^\x20-\x7e]/g, '?'),
    ...(code === undefined ? {} : { 'x-error-code': code }),
  })
  response.end(method === 'HEAD' ? undefined : body)
}

function sendJson(
  response: ServerResponse,
  value: unknown,
  method: string,
  extra: Record<string, string> = {},
): void {
  const body = JSON.stringify(value)
  response.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-cache',
    ...extra,
  })
  response.end(method === 'HEAD' ? undefined : body)
}

function describe(route: Route): string {
  return `${route.type === 'dataset' ? 'datasets/' : ''}${route.ns}/${route.name}`
}

async function answer(
  context: Context,
  route: Route,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const method = request.method ?? 'GET'
  const allowed = route.op === 'paths-info' ? ['POST'] : ['GET', 'HEAD']
  if (!allowed.includes(method)) {
    response.writeHead(405, { allow: allowed.join(', ') }).end()
    return
  }
  const config = await context.index.config()
  const repo = await context.index.findRepo(route.type, route.ns, route.name)
  if (!repo) {
    sendError(response, 404, 'RepoNotFound', `Repository ${describe(route)} not found`, method)
    return
  }
  const revision = resolveRevision(repo.item, route.revision, config.commit)
  if (!revision) {
    sendError(
      response,
      404,
      'RevisionNotFound',
      `Invalid rev id: ${route.revision} (versions and dist-tags of ${describe(route)}, main, or a commit)`,
      method,
    )
    return
  }
  if (route.op === 'info') {
    sendJson(
      response,
      repoInfo(route.type, repo.item, revision, { blobs: route.query.get('blobs') === 'true' }),
      method,
    )
    return
  }
  if (route.op === 'tree') {
    const entries = treeEntries(revision, route.path, {
      recursive: route.query.get('recursive') === 'true',
      expand: route.query.get('expand') === 'true',
    })
    if (!entries) {
      sendError(
        response,
        404,
        'EntryNotFound',
        `${route.path} is not a folder of ${describe(route)}`,
        method,
      )
      return
    }
    const page = treePage(entries, {
      cursor: route.query.get('cursor') ?? undefined,
      limit: pageLimit(route.query),
    })
    if (!page) throw new BadRequest('cursor is not one this server gave; start from the first page')
    // The Hub's clients follow `Link: <absolute URL>; rel="next"` until it is gone.
    const link =
      page.next === undefined ? {} : { link: `<${nextPageUrl(request, page.next)}>; rel="next"` }
    sendJson(response, page.entries, method, link)
    return
  }
  if (route.op === 'paths-info') {
    const { paths, expand } = await readPathsBody(request)
    sendJson(response, pathsInfo(revision, paths, { expand }), method)
    return
  }
  await sendFile(context, route, repo, revision, request, response)
}

/** `?limit=N` of a tree request: the Hub's default page size without it, at most 1000. */
function pageLimit(query: URLSearchParams): number {
  const text = query.get('limit')
  const expanded = query.get('expand') === 'true'
  if (text === null) return expanded ? TREE_PAGE_SIZE.expanded : TREE_PAGE_SIZE.plain
  if (!/^[0-9]{1,9}$/.test(text) || Number(text) === 0)
    throw new BadRequest(`limit must be a whole number from 1 to ${TREE_PAGE_SIZE.plain}`)
  return Math.min(Number(text), TREE_PAGE_SIZE.plain)
}

/**
 * The request's own URL with `cursor` set, absolute as the clients need
 * it: the host the client asked for, https when the connection or the proxy
 * in front says so.
 */
function nextPageUrl(request: IncomingMessage, cursor: string): string {
  const host = request.headers.host ?? ''
  if (!/^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$/.test(host))
    throw new BadRequest('a paginated tree needs a Host header naming this server')
  const forwarded = String(request.headers['x-forwarded-proto'] ?? '')
    .split(',')[0]
    ?.trim()
  const secure = (request.socket as { encrypted?: boolean }).encrypted === true
  const scheme = secure || forwarded === 'https' ? 'https' : 'http'
  const target = request.url ?? '/'
  const q = target.indexOf('?')
  const query = new URLSearchParams(q === -1 ? '' : target.slice(q + 1))
  query.set('cursor', cursor)
  // The path matched a route, but may still hold bytes a Link header cannot carry (`>`, quotes).
  const path = (q === -1 ? target : target.slice(0, q)).replace(
    /[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/g,
    (c) => encodeURIComponent(c),
  )
  return `${scheme}://${host}${path}?${query}`
}

/** The body of paths-info: JSON (`{paths, expand}`) or a form (`paths=a&paths=b&expand=true`). */
async function readPathsBody(
  request: IncomingMessage,
): Promise<{ paths: string[]; expand: boolean }> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > 1 << 20) throw new BadRequest('paths-info body over 1 MiB')
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if ((request.headers['content-type'] ?? '').includes('json')) {
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      throw new BadRequest('paths-info body is not JSON')
    }
    const { paths, expand } = (body ?? {}) as { paths?: unknown; expand?: unknown }
    const list = typeof paths === 'string' ? [paths] : paths
    if (!Array.isArray(list) || !list.every((p) => typeof p === 'string'))
      throw new BadRequest('paths-info needs "paths": a list of strings')
    return { paths: list, expand: expand === true || expand === 'true' }
  }
  const form = new URLSearchParams(text)
  return { paths: form.getAll('paths'), expand: form.get('expand') === 'true' }
}

async function sendFile(
  context: Context,
  route: Route,
  repo: HfRepo,
  revision: HfRevision,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const method = request.method ?? 'GET'
  const file = revision.files.find((f) => f.path === route.path)
  if (!file) {
    sendError(
      response,
      404,
      'EntryNotFound',
      `${route.path} is not a file of ${describe(route)}@${revision.version}`,
      method,
    )
    return
  }
  const headers: Record<string, string | number> = {
    'x-repo-commit': revision.commit,
    etag: `"${file.sha256}"`,
    'x-linked-etag': `"${file.sha256}"`,
    'x-linked-size': file.size,
    'accept-ranges': 'bytes',
    // A commit names fixed bytes; a tag or version name may move (a yank, a new latest).
    'cache-control': /^[0-9a-f]{40}$/.test(route.revision)
      ? 'public, max-age=31536000, immutable'
      : 'no-cache',
  }
  if (file.private) {
    const authorized = request.headers.authorization !== undefined
    const link = repo.item.pricing?.payment_link
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value)
    sendError(
      response,
      authorized ? 403 : 401,
      'GatedRepo',
      `${route.path} of ${describe(route)} is paid: buy a licence${link ? ` at ${link}` : ' on its item page'}, then download it with "agora pull ${repo.item.kind === 'model' ? '' : `${repo.item.kind}s/`}${repo.item.id}@${revision.version}" (the licence token gets a presigned URL)`,
      method,
    )
    return
  }
  if (
    route.op === 'raw' &&
    file.size >= (context.options.redirectThreshold ?? DEFAULT_REDIRECT_THRESHOLD)
  ) {
    // The Hub's raw URL of an LFS file is its pointer.
    const pointer = lfsPointer(file)
    response.writeHead(200, {
      ...headers,
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(pointer),
    })
    response.end(method === 'HEAD' ? undefined : pointer)
    return
  }
  const target = redirectTarget(context, file, await context.index.config())
  if (target !== undefined && route.op === 'resolve') {
    // X-Linked-Size on the 3xx: huggingface_hub 0.36 otherwise takes the redirect body's length.
    response.writeHead(302, { ...headers, location: target, 'content-length': 0 })
    response.end()
    return
  }
  await sendBlob(context, file, headers, request, response)
}

/** Where a file is redirected to, if anywhere: its own URL, or the blob origin for large files. */
function redirectTarget(
  context: Context,
  file: IndexFile,
  config: { blobs: string },
): string | undefined {
  if (file.url !== undefined) return file.url
  const threshold = context.options.redirectThreshold ?? DEFAULT_REDIRECT_THRESHOLD
  if (file.size < threshold) return undefined
  const base = context.options.blobBase?.replace(/\/+$/, '')
  if (config.blobs.includes('{base}') && base === undefined) return undefined
  return fillTemplate(config.blobs, { base: base ?? '', sha256: file.sha256 })
}

async function sendBlob(
  context: Context,
  file: IndexFile,
  headers: Record<string, string | number>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const method = request.method ?? 'GET'
  // The hash comes from the signed index (64 hex, checked by the index schema), never from the request.
  if (!/^[0-9a-f]{64}$/.test(file.sha256)) throw new Error('index holds a malformed hash')
  const path = join(context.options.root, 'blobs', 'sha256', file.sha256.slice(0, 2), file.sha256)
  const info = await context.fs.promises.lstat(path).catch(() => undefined)
  if (!info?.isFile() || info.size !== file.size) {
    sendError(
      response,
      502,
      undefined,
      `the blob of ${file.path} is missing or has the wrong size`,
      method,
    )
    return
  }
  const stamp = `${info.ino}-${info.size}-${info.mtimeMs}`
  const hashed = context.hashes.get(path)
  const known =
    hashed?.stamp === stamp && (await hashed.sha256.catch(() => undefined)) === file.sha256
  let start = 0
  let end = file.size - 1
  let status = 200
  const range = request.headers.range
  if (range !== undefined && method === 'GET') {
    const parsed = parseByteRange(range, file.size)
    if (parsed === 'unsatisfiable') {
      response.writeHead(416, { ...headers, 'content-range': `bytes */${file.size}` }).end()
      return
    }
    if (parsed) {
      ;[start, end] = parsed
      status = 206
      headers['content-range'] = `bytes ${start}-${end}/${file.size}`
    }
  }
  const whole = start === 0 && end === file.size - 1
  if (!known && !whole && method === 'GET') {
    // A part cannot be checked on its own: hash the whole blob first, once
    // however many ranges ask at the same time, and remember a mismatch too
    // so that asking again costs nothing until the file changes.
    let pending = hashed?.stamp === stamp ? hashed : undefined
    if (!pending) {
      pending = { stamp, sha256: hashFile(path, { fs: context.fs }).then((info) => info.sha256) }
      const entry = pending
      context.hashes.set(path, entry)
      entry.sha256.catch(() => {
        if (context.hashes.get(path) === entry) context.hashes.delete(path)
      })
    }
    if ((await pending.sha256) !== file.sha256) {
      sendError(response, 502, undefined, `the blob of ${file.path} does not match its SHA-256`)
      return
    }
  }
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/octet-stream',
    'content-length': file.size === 0 ? 0 : end - start + 1,
  })
  if (method === 'HEAD' || file.size === 0) {
    response.end()
    return
  }
  await sendFileBytes(response, path, start, end, {
    fs: context.fs,
    ...(known || !whole ? {} : { sha256: file.sha256 }),
  })
  if (!known && whole) context.hashes.set(path, { stamp, sha256: Promise.resolve(file.sha256) })
}
