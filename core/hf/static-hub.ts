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
  counts: { headerRules: number; redirectRules: number; nginxLocations: number }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
const CONTROL = /[\x00-\x1f\x7f]/
const ID_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

function unsafe(what: string, value: string, file: string): AgoraError {
  return new AgoraError(
    'hf/static-unsafe-name',
    `${what} ${JSON.stringify(value)} cannot be written into static host rules`,
    {
      file,
      hint: 'ids are ASCII letters, digits, ".", "_" and "-"; file paths and dist-tags hold no control characters, no "\\" and no "." or ".." segments: rename it and rebuild the index',
    },
  )
}

/** A repository path must be plain segments: it becomes a file path on disk and a location. */
function checkPath(path: string, what: string, file: string): void {
  const ok = path
    .split('/')
    .every((s) => s !== '' && s !== '.' && s !== '..' && !s.includes('\\') && !CONTROL.test(s))
  if (!ok) throw unsafe(what, path, file)
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
  if (!/^[\x21-\x7e]*$/.test(text) || /["\\$]/.test(text)) throw unsafe(what, text, file)
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

interface Lines {
  headers: string[]
  redirects: string[]
  nginx: string[]
  headerRules: number
  locations: number
}

function jsonLocation(lines: Lines, match: string, target: string, immutable: boolean): void {
  lines.locations++
  lines.nginx.push(
    `location ${match} {`,
    '  types { } default_type "application/json; charset=utf-8";',
    '  add_header Access-Control-Allow-Origin "*" always;',
    `  add_header Cache-Control ${immutable ? '"public, max-age=31536000, immutable"' : '"no-cache"'} always;`,
    `  rewrite ^ ${nginxString(`/${target}`)} break;`,
    '}',
  )
}

function errorLocation(
  lines: Lines,
  match: string,
  status: number,
  code: string,
  message: string,
): void {
  lines.locations++
  lines.nginx.push(
    `location ${match} {`,
    '  types { } default_type "application/json";',
    '  add_header Access-Control-Allow-Origin "*" always;',
    `  add_header Access-Control-Expose-Headers ${nginxString(EXPOSED)} always;`,
    `  add_header X-Error-Code ${code} always;`,
    `  add_header X-Error-Message ${nginxString(message)} always;`,
    '  add_header Cache-Control "no-cache" always;',
    `  return ${status} ${nginxString(JSON.stringify({ error: message }))};`,
    '}',
  )
}

/**
 * Plans the Hugging Face download protocol as static files and host rules,
 * from the signed index alone: per version the JSON answers of
 * `/api/{models|datasets}/{id}/revision|tree|paths-info/{rev}` as files
 * under `hf/`, and per file the `resolve`/`raw` redirect to its blob with
 * X-Repo-Commit, ETag and X-Linked-Etag (the SHA-256) and X-Linked-Size.
 * Written three ways: `_redirects` + `_headers` rules (Netlify, Cloudflare
 * Pages) and an nginx include that also answers 404s with X-Error-Code,
 * `?recursive=` and paths-info. Revisions served: each version, its commit,
 * its dist-tags, and `main`/`HEAD` for `latest`.
 *
 * @example const hub = planStaticHub(repos, { blobTemplate: config.blobs, blobBase: 'https://blobs.example.org' })
 */
export function planStaticHub(
  repos: readonly StaticHubRepo[],
  options: StaticHubOptions,
): StaticHub {
  const files = new Map<string, string>()
  const lines: Lines = { headers: [], redirects: [], nginx: [], headerRules: 0, locations: 0 }
  lines.nginx.push(
    '# The Hugging Face download protocol for this hub, generated by the build from the',
    "# signed index (do not edit). Include it inside the site's server block, after its",
    '# root. paths-info (a POST) reaches the answers through this server over plain HTTP',
    '# on loopback; behind TLS, add "listen 127.0.0.1:8080;" and set $agora_hf_self to',
    '# http://127.0.0.1:8080 after this include.',
    'set $agora_hf_self "http://127.0.0.1:$server_port";',
    '',
    'location ^~ /_agora_hf/ {',
    '  allow 127.0.0.1;',
    '  allow ::1;',
    '  deny all;',
    '  return 404;',
    '}',
  )
  lines.locations++
  errorLocation(
    lines,
    '~ "^/api/(models|datasets)/[^/]+/(?![^/]*\\.json$)[^/]+(/.*)?$"',
    404,
    'RepoNotFound',
    'Repository not found',
  )
  errorLocation(
    lines,
    '~ "^/(datasets/)?[^/]+/[^/]+/(resolve|raw)/"',
    404,
    'RepoNotFound',
    'Repository not found',
  )
  lines.headers.push(
    '/api/models/*',
    '  Access-Control-Allow-Origin: *',
    '/api/datasets/*',
    '  Access-Control-Allow-Origin: *',
  )
  lines.headerRules += 2
  for (const repo of repos) {
    const { item, type, file: source } = repo
    for (const segment of item.id.split('/')) {
      if (!ID_SEGMENT.test(segment)) throw unsafe('item id', item.id, source)
    }
    const kinds = `${type}s`
    const repoPath = `/${type === 'dataset' ? 'datasets/' : ''}${item.id}`
    const api = `/api/${kinds}/${item.id}`
    const describe = `${type === 'dataset' ? 'datasets/' : ''}${item.id}`
    lines.nginx.push('', `# ${item.kind} ${item.id}`)
    lines.redirects.push(`# ${item.kind} ${item.id}`)
    errorLocation(
      lines,
      `^~ ${nginxString(`${repoPath}/resolve/`)}`,
      404,
      'RevisionNotFound',
      `Revision not found in ${describe}`,
    )
    errorLocation(
      lines,
      `^~ ${nginxString(`${repoPath}/raw/`)}`,
      404,
      'RevisionNotFound',
      `Revision not found in ${describe}`,
    )
    errorLocation(
      lines,
      `^~ ${nginxString(`${api}/`)}`,
      404,
      'RevisionNotFound',
      `Revision not found in ${describe}`,
    )
    for (const { revision, aliases } of staticRevisions(item)) {
      for (const alias of aliases) {
        if (CONTROL.test(alias) || alias.includes('/')) throw unsafe('revision', alias, source)
      }
      const { commit } = revision
      const base = `${STATIC_HF_DIR}/${kinds}/${item.id}/${commit}`
      const names = [commit, ...aliases]
      // Files: the answers of this version, once, under its commit.
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
      // nginx: aliases rewrite to the commit, whose locations answer.
      if (aliases.length > 0) {
        const pattern = `^${regexLiteral(repoPath)}/(resolve|raw)/(?:${aliases.map(regexLiteral).join('|')})/(.*)$`
        lines.nginx.push(
          `rewrite ${nginxString(pattern)} ${nginxString(`${repoPath}/$1/${commit}/$2`)} last;`,
        )
      }
      errorLocation(
        lines,
        `^~ ${nginxString(`${repoPath}/resolve/${commit}/`)}`,
        404,
        'EntryNotFound',
        `Entry not found in ${describe}`,
      )
      errorLocation(
        lines,
        `^~ ${nginxString(`${repoPath}/raw/${commit}/`)}`,
        404,
        'EntryNotFound',
        `Entry not found in ${describe}`,
      )
      const fileHeaders = (f: IndexFile) => [
        ['X-Repo-Commit', commit],
        ['ETag', `"${plainValue(f.sha256, 'SHA-256', source)}"`],
        ['X-Linked-Etag', `"${f.sha256}"`],
        ['X-Linked-Size', String(f.size)],
        ['Access-Control-Allow-Origin', '*'],
        ['Access-Control-Expose-Headers', EXPOSED],
      ]
      for (const f of revision.files) {
        for (const op of ['resolve', 'raw']) {
          const location = `${repoPath}/${op}/${commit}/${f.path}`
          lines.locations++
          lines.nginx.push(`location = ${nginxString(location)} {`)
          for (const [name, value] of fileHeaders(f))
            lines.nginx.push(`  add_header ${name} ${nginxString(value as string)} always;`)
          if (f.private) {
            const message = `${f.path} of ${describe} is paid: buy a licence on its item page, then download it with agora pull`
            lines.nginx.push(
              '  types { } default_type "application/json";',
              '  add_header X-Error-Code GatedRepo always;',
              `  add_header X-Error-Message ${nginxString(message.replace(/[^\x20-\x7e]/g, '?').replace(/\$/g, '?'))} always;`,
              `  return 401 ${nginxString(JSON.stringify({ error: message }).replace(/\$/g, '?'))};`,
              '}',
            )
            continue
          }
          lines.nginx.push(
            // An alias rewritten here may move to another version: never cached as immutable.
            '  add_header Cache-Control "no-cache" always;',
            `  return 302 ${nginxString(blobUrl(f, options, source))};`,
            '}',
          )
          // Static hosts: one rule per revision name; paid files are left out (a 404).
          for (const name of names) {
            const path = hostPath(`${repoPath}/${op}/${name}/${f.path}`)
            lines.redirects.push(`${path} ${blobUrl(f, options, source)} 302`)
            lines.headers.push(path, ...fileHeaders(f).map(([n, v]) => `  ${n}: ${v}`))
            lines.headerRules++
          }
        }
      }
      // The API: every revision name answers from the commit's files.
      for (const name of names) {
        const immutable = name === commit
        if (name === 'main') {
          jsonLocation(lines, `= ${nginxString(api)}`, `${base}/info.json`, false)
          lines.redirects.push(`${hostPath(api)} /${hostPath(`${base}/info.json`)} 200`)
        }
        jsonLocation(
          lines,
          `= ${nginxString(`${api}/revision/${name}`)}`,
          `${base}/info.json`,
          immutable,
        )
        lines.redirects.push(
          `${hostPath(`${api}/revision/${name}`)} /${hostPath(`${base}/info.json`)} 200`,
        )
        for (const dir of ['', ...dirs]) {
          const match = `${api}/tree/${name}${dir === '' ? '' : `/${dir}`}`
          const plain = `/${base}/tree${dir === '' ? '' : `/${dir}`}.json`
          const deep = `/${base}/tree-r${dir === '' ? '' : `/${dir}`}.json`
          lines.locations++
          lines.nginx.push(
            `location = ${nginxString(match)} {`,
            '  types { } default_type "application/json; charset=utf-8";',
            '  add_header Access-Control-Allow-Origin "*" always;',
            `  add_header Cache-Control ${immutable ? '"public, max-age=31536000, immutable"' : '"no-cache"'} always;`,
            `  set $agora_hf_tree ${nginxString(plain)};`,
            `  if ($arg_recursive = true) { set $agora_hf_tree ${nginxString(deep)}; }`,
            '  rewrite ^ $agora_hf_tree break;',
            '}',
          )
          // Static hosts cannot look at the query: they always answer recursively.
          lines.redirects.push(`${hostPath(match)} ${hostPath(deep)} 200`)
        }
        errorLocation(
          lines,
          `^~ ${nginxString(`${api}/tree/${name}/`)}`,
          404,
          'EntryNotFound',
          `Entry not found in ${describe}`,
        )
        lines.locations++
        lines.nginx.push(
          `location = ${nginxString(`${api}/paths-info/${name}`)} {`,
          '  if ($request_method != POST) { return 405; }',
          '  client_max_body_size 64k;',
          '  add_header Access-Control-Allow-Origin "*" always;',
          '  proxy_method GET;',
          '  proxy_pass_request_body off;',
          '  proxy_set_header Content-Length "";',
          '  proxy_set_header X-Agora-Paths-Info $request_body;',
          `  proxy_pass $agora_hf_self/_agora_hf/paths-info/${kinds}/${item.id}/${commit};`,
          '}',
        )
      }
      // The body names the paths; only a request the proxy module made can read it.
      lines.locations++
      lines.nginx.push(
        `location = ${nginxString(`/_agora_hf/paths-info/${kinds}/${item.id}/${commit}`)} {`,
        '  allow 127.0.0.1;',
        '  allow ::1;',
        '  deny all;',
        '  types { } default_type "application/json; charset=utf-8";',
        `  if ($http_x_agora_paths_info ~ ${nginxString(PATHS_BODY)}) {`,
        `    rewrite ^ ${nginxString(`/${base}/paths-info/$agora_hf_path.json`)} break;`,
        '  }',
        "  return 200 '[]';",
        '}',
      )
    }
  }
  return {
    files,
    headers: `${lines.headers.join('\n')}\n`,
    redirects: `${lines.redirects.join('\n')}\n`,
    nginx: `${lines.nginx.join('\n')}\n`,
    counts: {
      headerRules: lines.headerRules,
      redirectRules: lines.redirects.filter((l) => !l.startsWith('#')).length,
      nginxLocations: lines.locations,
    },
  }
}
