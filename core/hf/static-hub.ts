import { AgoraError } from '#core/errors'
import { fillTemplate, type IndexFile } from '#core/index-format'
import { type HfRepo, type HfRevision, resolveRevision, versionCommit } from './hub-index.ts'
import { pathsInfo, repoInfo, treeEntries } from './repo-info.ts'

/** Where the static answers live in the built site, beside `index/` and `blobs/`. */
export const STATIC_HF_DIR = 'hf'

/** Headers a browser client must be allowed to read (as the server sends them). */
const EXPOSED =
  'X-Repo-Commit, X-Linked-Etag, X-Linked-Size, ETag, Content-Range, Content-Length, X-Error-Code, X-Error-Message, Location'

/** A repository of the static hub and the index document it came from (for error messages). */
export interface StaticHubRepo extends HfRepo {
  /** The index document, relative to the served root. */
  file: string
}

export interface StaticHubOptions {
  /** config.json's blob URL template. */
  blobTemplate: string
  /**
   * Fills the template's `{base}`: the blob store's origin. Empty (the
   * default) leaves `/blobs/sha256/…` on the site's own host.
   */
  blobBase?: string | undefined
}

/** One version as the static host serves it: its files and every revision name that picks it. */
export interface StaticRevision {
  revision: HfRevision
  /** Names that resolve to it besides its commit: the version, its dist-tags, `main` and `HEAD` for `latest`. */
  aliases: string[]
}

/** The static form of the Hub protocol, ready to write. */
export interface StaticHub {
  /** JSON answers, by path under the served root (`hf/…`). */
  files: Map<string, string>
  /** Rules to append to `_headers` (Netlify, Cloudflare Pages). */
  headers: string
  /** The `_redirects` file (Netlify, Cloudflare Pages). */
  redirects: string
  /** `nginx-hf.conf`: an include for an nginx `server` block. */
  nginx: string
  /** Rule counts, to compare with the hosts' limits. */
  counts: {
    headerRules: number
    redirectRules: number
    /** Of those, the ones with a splat (`*`), which Cloudflare Pages limits apart. */
    dynamicRedirects: number
    nginxLocations: number
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
const CONTROL = /[\x00-\x1f\x7f]/
const ID_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/

/**
 * Longest name (file path, revision, blob URL) written into a rule, in UTF-8
 * bytes. nginx refuses a config with a token over 4 KiB; with these bounds
 * every quoted string of the include stays well under it.
 */
const MAX_NAME_BYTES = 1024
const utf8 = new TextEncoder()
/** Over the bound, or with a lone surrogate (no UTF-8 form to write or percent-encode). */
const unwritable = (text: string) =>
  !text.isWellFormed() || utf8.encode(text).length > MAX_NAME_BYTES

function unsafe(what: string, value: string, file: string): AgoraError {
  return new AgoraError(
    'hf/static-unsafe-name',
    `${what} ${JSON.stringify(value)} cannot be written into static host rules`,
    {
      file,
      hint: `ids are ASCII letters, digits, ".", "_" and "-" (200 at most a segment); file paths and dist-tags hold no control characters, no "\\" and no "." or ".." segments, and names are ${MAX_NAME_BYTES} bytes at most: rename it and rebuild the index`,
    },
  )
}

/** A repository path must be plain segments: it becomes a file path on disk and a location. */
function checkPath(path: string, what: string, file: string): void {
  const ok = path
    .split('/')
    .every((s) => s !== '' && s !== '.' && s !== '..' && !s.includes('\\') && !CONTROL.test(s))
  if (!ok || unwritable(path)) throw unsafe(what, path, file)
}

/**
 * The versions a static host can serve and the revision names of each:
 * commit, version, dist-tags, and `main`/`HEAD` for `latest`, with the same
 * precedence as resolveRevision (a dist-tag over a version of the same name).
 *
 * @example staticRevisions(item).map((r) => r.aliases) // [['1.0.0', 'stable'], ['1.1.0', 'latest', 'main', 'HEAD']]
 */
export function staticRevisions(item: HfRepo['item']): StaticRevision[] {
  const names = new Map<string, string>()
  const versions = Object.keys(item.versions)
  for (const version of versions) names.set(version, version)
  const tags = item['dist-tags']
  for (const [tag, version] of Object.entries(tags)) {
    if (Object.hasOwn(item.versions, version)) names.set(tag, version)
  }
  const latest = Object.hasOwn(tags, 'latest') ? tags.latest : undefined
  if (latest !== undefined && Object.hasOwn(item.versions, latest)) {
    names.set('main', latest)
    names.set('HEAD', latest)
  }
  const out: StaticRevision[] = []
  for (const version of versions) {
    const revision = resolveRevision(item, versionCommit(item, version))
    if (!revision) continue
    const aliases = [...names].filter(([, v]) => v === version).map(([name]) => name)
    out.push({ revision, aliases })
  }
  return out
}

/**
 * A path for `_headers` and `_redirects`: percent-encoded (those files must
 * be, and `:name` and `*` would otherwise be placeholders and splats).
 *
 * @example hostPath('/acme/m/resolve/main/a b*.bin') // '/acme/m/resolve/main/a%20b%2A.bin'
 */
export function hostPath(path: string): string {
  return path
    .split('/')
    .map((s) =>
      encodeURIComponent(s).replace(
        /[!'()*]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      ),
    )
    .join('/')
}

/**
 * An nginx quoted string. Where nginx expands variables (values, rewrite
 * targets) a `$` is refused by the caller; in `location` names it is literal.
 *
 * @example nginxString('a "b"') // '"a \\"b\\""'
 */
export function nginxString(text: string): string {
  if (CONTROL.test(text)) throw new TypeError('control character in an nginx string')
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

/** A literal inside an nginx (PCRE) regular expression. */
function regexLiteral(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')
}

/** A value nginx will expand: no `$`, no quotes or backslashes, no controls. */
function plainValue(text: string, what: string, file: string): string {
  if (!/^[\x21-\x7e]*$/.test(text) || /["\\$]/.test(text) || unwritable(text)) {
    throw unsafe(what, text, file)
  }
  return text
}

function blobUrl(file: IndexFile, options: StaticHubOptions, source: string): string {
  const url =
    file.url ??
    fillTemplate(options.blobTemplate, {
      base: (options.blobBase ?? '').replace(/\/+$/, ''),
      sha256: file.sha256,
    })
  return plainValue(url, 'blob URL', source)
}

/** A path segment as JSON writes it in a body, with no way out of the folder. */
const SEGMENT = '(?:[^"\\\\/%?#$.\\x00-\\x1f]|\\.(?!\\.))+'

/**
 * The body @huggingface/hub sends to paths-info, one path (`{"paths":["a/b.json"],…}`),
 * captured as $agora_hf_path; anything else gets an empty list.
 */
const PATHS_BODY = `^\\{"paths":\\["(?<agora_hf_path>${SEGMENT}(?:/${SEGMENT})*)"\\]`

const json = (value: unknown) => `${JSON.stringify(value)}\n`

/** What every JSON answer of the nginx include carries. */
const JSON_ANSWER =
  'types { } default_type "application/json; charset=utf-8"; add_header Access-Control-Allow-Origin "*" always; add_header Cache-Control "no-cache" always;'

/** nginx named locations the rules jump to (`error_page … = @name`), written once. */
function nginxShared(): string[] {
  const cors = `add_header Access-Control-Allow-Origin "*" always; add_header Access-Control-Expose-Headers ${nginxString(EXPOSED)} always;`
  const error = (name: string, status: number, code: string, message: string) =>
    `location @agora_hf_${name} { types { } default_type "application/json"; ${cors} add_header X-Error-Code ${code} always; add_header X-Error-Message ${nginxString(message)} always; add_header Cache-Control "no-cache" always; return ${status} ${nginxString(JSON.stringify({ error: message }))}; }`
  return [
    '# The Hugging Face download protocol for this hub, generated by the build from the',
    "# signed index (do not edit). Include it inside the site's server block, after its",
    '# root. paths-info (a POST) reaches the answers through this server over plain HTTP',
    '# on loopback; behind TLS, add "listen 127.0.0.1:8080;" and set $agora_hf_self to',
    '# http://127.0.0.1:8080 after this include.',
    'set $agora_hf_self "http://127.0.0.1:$server_port";',
    '',
    // A file: the Hub's headers on a redirect to its blob, set by the file's own location.
    'location @agora_hf_file {',
    `  ${cors}`,
    '  add_header X-Repo-Commit $agora_hf_commit always;',
    '  add_header ETag "\\"$agora_hf_sha\\"" always;',
    '  add_header X-Linked-Etag "\\"$agora_hf_sha\\"" always;',
    '  add_header X-Linked-Size $agora_hf_size always;',
    // A revision name may move to another version: the redirect is never cached as immutable.
    '  add_header Cache-Control "no-cache" always;',
    '  return 302 $agora_hf_url;',
    '}',
    error('repo', 404, 'RepoNotFound', 'Repository not found'),
    error('revision', 404, 'RevisionNotFound', 'Revision not found'),
    error('entry', 404, 'EntryNotFound', 'Entry not found'),
    error(
      'gated',
      401,
      'GatedRepo',
      'This file is paid: buy a licence on its item page, then download it with agora pull',
    ),
    // The body names the paths; only a request the proxy module makes can read it, so
    // paths-info proxies here with the body in a header. Loopback only. nginx copies the
    // body into that header as it is, CR/LF included, so the body can end the request and
    // start another on the same connection: this connection never serves a second one.
    'location ^~ /_agora_hf/paths-info/ {',
    '  allow 127.0.0.1;',
    '  allow ::1;',
    '  deny all;',
    '  keepalive_timeout 0;',
    `  ${JSON_ANSWER}`,
    `  if ($http_x_agora_paths_info ~ ${nginxString(PATHS_BODY)}) {`,
    `    rewrite "^/_agora_hf/paths-info/(.*)$" "/${STATIC_HF_DIR}/$1/paths-info/$agora_hf_path.json" break;`,
    '  }',
    "  return 200 '[]';",
    '}',
    // Repositories the index does not hold (the static catalog's own `….json` is left alone).
    'location ~ "^/api/(models|datasets)/[^/]+/(?![^/]*\\.json$)[^/]+(/.*)?$" { error_page 404 = @agora_hf_repo; return 404; }',
    'location ~ "^/(datasets/)?[^/]+/[^/]+/(resolve|raw)/" { error_page 404 = @agora_hf_repo; return 404; }',
  ]
}

/** A location that answers with one of the shared errors. */
const fail = (match: string, name: string) =>
  `location ${match} { error_page 404 = @agora_hf_${name}; return 404; }`

/**
 * Plans the Hugging Face download protocol as static files and host rules,
 * from the signed index alone: per version the JSON answers of
 * `/api/{models|datasets}/{id}/revision|tree|paths-info/{rev}` as files
 * under `hf/`, and per file the `resolve`/`raw` redirect to its blob with
 * X-Repo-Commit, ETag and X-Linked-Etag (the SHA-256) and X-Linked-Size.
 * Written three ways: `_redirects` + `_headers` rules (Netlify, Cloudflare
 * Pages: one per file and revision name) and an nginx include (one location
 * per file version: revision names are rewritten to the commit) that also
 * answers 404s with X-Error-Code, `?recursive=` and paths-info. Revisions
 * served: each version, its commit, its dist-tags, and `main`/`HEAD` for `latest`.
 *
 * @example const hub = planStaticHub(repos, { blobTemplate: config.blobs, blobBase: 'https://blobs.example.org' })
 */
export function planStaticHub(
  repos: readonly StaticHubRepo[],
  options: StaticHubOptions,
): StaticHub {
  const files = new Map<string, string>()
  const headers = [
    '/api/models/*',
    '  Access-Control-Allow-Origin: *',
    '/api/datasets/*',
    '  Access-Control-Allow-Origin: *',
  ]
  let headerRules = 2
  const redirects: string[] = []
  const nginx = nginxShared()
  let locations = nginx.filter((l) => l.startsWith('location ')).length
  const locate = (line: string) => {
    locations++
    nginx.push(line)
  }
  for (const { item, type, file: source } of repos) {
    for (const segment of item.id.split('/')) {
      if (!ID_SEGMENT.test(segment)) throw unsafe('item id', item.id, source)
    }
    const kinds = `${type}s`
    const repoPath = `/${type === 'dataset' ? 'datasets/' : ''}${item.id}`
    const api = `/api/${kinds}/${item.id}`
    redirects.push(`# ${item.kind} ${item.id}`)
    // nginx: revision names are rewritten to the commit inside the repository's own
    // locations, so a request elsewhere on the site never runs these expressions.
    const rewrites = { resolve: [] as string[], raw: [] as string[], api: [] as string[] }
    let main: string | undefined
    const versionLines: string[] = []
    const locateVersion = (line: string) => {
      locations++
      versionLines.push(line)
    }
    for (const { revision, aliases } of staticRevisions(item)) {
      for (const alias of aliases) {
        if (CONTROL.test(alias) || alias.includes('/') || unwritable(alias)) {
          throw unsafe('revision', alias, source)
        }
      }
      const { commit } = revision
      const base = `${STATIC_HF_DIR}/${kinds}/${item.id}/${commit}`
      const names = [commit, ...aliases]
      // The answers of this version, once, under its commit.
      files.set(`${base}/info.json`, json(repoInfo(type, item, revision, { blobs: true })))
      files.set(`${base}/tree.json`, json(treeEntries(revision, '')))
      files.set(`${base}/tree-r.json`, json(treeEntries(revision, '', { recursive: true })))
      const dirs = (treeEntries(revision, '', { recursive: true }) ?? [])
        .filter((e) => e.type === 'directory')
        .map((e) => e.path)
      for (const dir of dirs) {
        checkPath(dir, 'folder', source)
        files.set(`${base}/tree/${dir}.json`, json(treeEntries(revision, dir)))
        files.set(
          `${base}/tree-r/${dir}.json`,
          json(treeEntries(revision, dir, { recursive: true })),
        )
        files.set(
          `${base}/paths-info/${dir}.json`,
          json(pathsInfo(revision, [dir], { expand: true })),
        )
      }
      for (const f of revision.files) {
        checkPath(f.path, 'file path', source)
        files.set(
          `${base}/paths-info/${f.path}.json`,
          json(pathsInfo(revision, [f.path], { expand: true })),
        )
      }

      // One rewrite per name: an alternation of them all could outgrow nginx's 4 KiB token.
      for (const alias of aliases) {
        const name = regexLiteral(alias)
        rewrites.resolve.push(
          `rewrite ${nginxString(`^${regexLiteral(repoPath)}/resolve/${name}/(.*)$`)} ${nginxString(`${repoPath}/resolve/${commit}/$1`)} last;`,
        )
        rewrites.api.push(
          `rewrite ${nginxString(`^${regexLiteral(api)}/(revision|tree|paths-info)/${name}(/.*)?$`)} ${nginxString(`${api}/$1/${commit}$2`)} last;`,
        )
      }
      for (const name of names) {
        rewrites.raw.push(
          `rewrite ${nginxString(`^${regexLiteral(repoPath)}/raw/${regexLiteral(name)}/(.*)$`)} ${nginxString(`${repoPath}/resolve/${commit}/$1`)} last;`,
        )
      }
      if (aliases.includes('main')) main = commit
      locateVersion(fail(`^~ ${nginxString(`${repoPath}/resolve/${commit}/`)}`, 'entry'))
      locateVersion(
        `location = ${nginxString(`${api}/revision/${commit}`)} { ${JSON_ANSWER} rewrite ^ ${nginxString(`/${base}/info.json`)} break; }`,
      )
      locateVersion(
        `location ^~ ${nginxString(`${api}/tree/${commit}`)} { ${JSON_ANSWER} error_page 404 = @agora_hf_entry; set $agora_hf_tree tree; if ($arg_recursive = true) { set $agora_hf_tree tree-r; } rewrite ${nginxString(`^${regexLiteral(`${api}/tree/${commit}`)}(/.*)?$`)} ${nginxString(`/${base}/$agora_hf_tree$1.json`)} break; return 404; }`,
      )
      locateVersion(
        `location = ${nginxString(`${api}/paths-info/${commit}`)} { if ($request_method != POST) { return 405; } client_max_body_size 64k; add_header Access-Control-Allow-Origin "*" always; proxy_method GET; proxy_pass_request_body off; proxy_set_header Content-Length ""; proxy_set_header X-Agora-Paths-Info $request_body; proxy_pass $agora_hf_self/_agora_hf/paths-info/${kinds}/${item.id}/${commit}; }`,
      )
      for (const f of revision.files) {
        const at = nginxString(`${repoPath}/resolve/${commit}/${f.path}`)
        if (f.private) {
          locateVersion(`location = ${at} { error_page 404 = @agora_hf_gated; return 404; }`)
          continue
        }
        const sha = plainValue(f.sha256, 'SHA-256', source)
        // Written bare into nginx and _headers: a number, whatever the index says.
        if (!Number.isSafeInteger(f.size) || f.size < 0)
          throw unsafe('size', String(f.size), source)
        const url = blobUrl(f, options, source)
        locateVersion(
          `location = ${at} { set $agora_hf_commit ${commit}; set $agora_hf_sha ${sha}; set $agora_hf_size ${f.size}; set $agora_hf_url ${nginxString(url)}; error_page 404 = @agora_hf_file; return 404; }`,
        )
        // Static hosts: a rule per revision name; paid files are left out (a 404).
        for (const name of names) {
          const path = hostPath(`${repoPath}/resolve/${name}/${f.path}`)
          redirects.push(`${path} ${url} 302`)
          headers.push(
            path,
            `  X-Repo-Commit: ${commit}`,
            `  ETag: "${sha}"`,
            `  X-Linked-Etag: "${sha}"`,
            `  X-Linked-Size: ${f.size}`,
            '  Access-Control-Allow-Origin: *',
            `  Access-Control-Expose-Headers: ${EXPOSED}`,
          )
          headerRules++
        }
      }
      // Static hosts: raw answers as resolve does, by a redirect there.
      for (const name of names) {
        redirects.push(
          `${hostPath(`${repoPath}/raw/${name}`)}/* ${hostPath(`${repoPath}/resolve/${name}`)}/:splat 302`,
        )
      }
      // Static hosts: the API answers from the commit's files, for every revision name.
      for (const name of names) {
        if (name === 'main')
          redirects.push(`${hostPath(api)} /${hostPath(`${base}/info.json`)} 200`)
        redirects.push(
          `${hostPath(`${api}/revision/${name}`)} /${hostPath(`${base}/info.json`)} 200`,
        )
        for (const dir of ['', ...dirs]) {
          const suffix = dir === '' ? '' : `/${dir}`
          // They cannot read the query: a tree is always answered recursively.
          redirects.push(
            `${hostPath(`${api}/tree/${name}${suffix}`)} ${hostPath(`/${base}/tree-r${suffix}.json`)} 200`,
          )
        }
      }
    }
    const entry = (match: string, lines: string[]) => {
      locate(`location ^~ ${nginxString(match)} {`)
      nginx.push(
        ...lines.map((l) => `  ${l}`),
        '  error_page 404 = @agora_hf_revision;',
        '  return 404;',
        '}',
      )
    }
    nginx.push('', `# ${item.kind} ${item.id}`)
    entry(`${repoPath}/resolve/`, rewrites.resolve)
    entry(`${repoPath}/raw/`, rewrites.raw)
    entry(`${api}/`, rewrites.api)
    locate(
      main === undefined
        ? fail(`= ${nginxString(api)}`, 'revision')
        : `location = ${nginxString(api)} { rewrite ^ ${nginxString(`${api}/revision/${main}`)} last; }`,
    )
    nginx.push(...versionLines)
  }
  return {
    files,
    headers: `${headers.join('\n')}\n`,
    redirects: `${redirects.join('\n')}\n`,
    nginx: `${nginx.join('\n')}\n`,
    counts: {
      headerRules,
      redirectRules: redirects.filter((l) => !l.startsWith('#')).length,
      dynamicRedirects: redirects.filter((l) => !l.startsWith('#') && l.includes('*')).length,
      nginxLocations: locations,
    },
  }
}
