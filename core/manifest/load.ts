import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type YAMLError,
} from 'yaml'
import type { Issue } from '#core/errors'
import { hintFor, type ManifestCode } from '#core/errors'
import { NOT_SIMPLE, parseSimpleYaml } from './fast-yaml.ts'

/** A loaded value with its issues and a way back from a value path to its source position. */
export interface Located<T> {
  value: T | undefined
  issues: Issue[]
  /** 1-based position of the value at `path` (or of the nearest enclosing value that exists). */
  locate(path: readonly (string | number)[]): { line: number; col: number }
  /** Like locate, but for a mapping key: points at the key itself rather than its value. */
  locateKey?(path: readonly (string | number)[]): { line: number; col: number }
  /** The source text of the scalar at `path` as written (`1.0`, not the number 1), if it is one. */
  written?(path: readonly (string | number)[]): string | undefined
}

export interface LoadYamlOptions {
  /** Refuse sources larger than this many bytes without parsing them. */
  maxBytes?: number
  /** Refuse values nested deeper than this. */
  maxDepth?: number
  /** Try the fast path for plain manifests first (default true); false always builds the full document. */
  fast?: boolean
}

/** Manifests hold metadata only; a megabyte is far beyond any honest one. */
export const MAX_MANIFEST_BYTES = 1024 * 1024
export const MAX_DEPTH = 32

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])
/** Explicit tags of the core schema that only restate what plain YAML would infer. */
const CORE_TAGS = new Set([
  'tag:yaml.org,2002:str',
  'tag:yaml.org,2002:int',
  'tag:yaml.org,2002:float',
  'tag:yaml.org,2002:bool',
  'tag:yaml.org,2002:null',
  'tag:yaml.org,2002:map',
  'tag:yaml.org,2002:seq',
])

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

function issueAt(
  code: ManifestCode,
  message: string,
  file: string,
  pos: { line: number; col: number },
  hint: string = hintFor(code),
): Issue {
  return { code, severity: 'error', message, hint, file, line: pos.line, col: pos.col }
}

/**
 * Decodes bytes as strict UTF-8; undefined when they are not.
 *
 * @example decodeUtf8(new Uint8Array([0x61])) // 'a'
 */
export function decodeUtf8(source: string | Uint8Array): string | undefined {
  if (typeof source === 'string') return source
  try {
    return decoder.decode(source)
  } catch {
    return undefined
  }
}

/**
 * Flow collections (`[[[[…`) nest without indentation, so a small file can
 * nest deeply enough to make the parser slow or overflow its stack. This scan
 * bounds flow nesting before parsing; quoted text and comments are skipped.
 */
function flowDepthExceeds(text: string, maxDepth: number): number {
  let depth = 0
  let quote = ''
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (quote) {
      if (quote === "'" && c === 39) quote = ''
      else if (quote === '"') {
        if (c === 92) i++
        else if (c === 34) quote = ''
      }
      continue
    }
    if (c === 91 || c === 123) {
      depth++
      if (depth > maxDepth) return i
    } else if (c === 93 || c === 125) {
      if (depth > 0) depth--
    } else if (c === 34 || c === 39) {
      const prev = text.charCodeAt(i - 1)
      // A quote opens a scalar only at its start; `it's` in plain text does not.
      if (
        i === 0 ||
        prev === 32 ||
        prev === 9 ||
        prev === 10 ||
        prev === 91 ||
        prev === 123 ||
        prev === 44 ||
        prev === 58
      ) {
        quote = c === 34 ? '"' : "'"
      }
    } else if (c === 35) {
      const prev = text.charCodeAt(i - 1)
      if (i === 0 || prev === 32 || prev === 9 || prev === 10) {
        const end = text.indexOf('\n', i)
        if (end === -1) break
        i = end
      }
    }
  }
  return -1
}

const YAML_ERROR_CODES: Record<string, ManifestCode> = {
  DUPLICATE_KEY: 'yaml/duplicate-key',
  MULTIPLE_DOCS: 'yaml/multiple-documents',
}

function firstLine(message: string): string {
  const text = message.split('\n')[0] ?? message
  return text.replace(/ at line \d+, column \d+:?$/, '')
}

interface Walk {
  file: string
  lines: LineCounter
  issues: Issue[]
  maxDepth: number
  /** The source, to point at an anchor itself rather than at the value after it. */
  text?: string
  aliasReported?: boolean
  anchorReported?: boolean
}

/** The offset of `&name` before a node's value, or the value's own offset. */
function anchorOffset(
  text: string | undefined,
  anchor: string,
  start: number | undefined,
): number | undefined {
  if (text === undefined || start === undefined) return start
  const at = text.lastIndexOf(`&${anchor}`, start)
  return at === -1 ? start : at
}

function posOf(walk: Walk, offset: number | undefined): { line: number; col: number } {
  return offset === undefined ? { line: 1, col: 1 } : walk.lines.linePos(offset)
}

/**
 * Converts the parsed tree to plain data in one pass, refusing what a
 * manifest must not contain. Aliases are refused here, before anything is
 * resolved, so an alias bomb costs no more than reading its text.
 */
function toPlain(walk: Walk, node: unknown, depth: number): unknown {
  if (node === null || node === undefined) return null
  const n = node as Node
  const start = n.range?.[0]
  if (depth > walk.maxDepth) {
    walk.issues.push(
      issueAt(
        'yaml/too-deep',
        `values nest deeper than ${walk.maxDepth} levels`,
        walk.file,
        posOf(walk, start),
      ),
    )
    return undefined
  }
  if (isAlias(n)) {
    // One report is enough; a bomb holds thousands of aliases.
    if (walk.aliasReported) return undefined
    walk.aliasReported = true
    walk.issues.push(
      issueAt('yaml/alias', `alias *${n.source} is not allowed`, walk.file, posOf(walk, start)),
    )
    return undefined
  }
  if ('anchor' in n && n.anchor && !walk.anchorReported) {
    walk.anchorReported = true
    walk.issues.push(
      issueAt(
        'yaml/alias',
        `anchor &${n.anchor} is not allowed`,
        walk.file,
        posOf(walk, anchorOffset(walk.text, n.anchor, start)),
      ),
    )
  }
  if (n.tag !== undefined && !CORE_TAGS.has(n.tag)) {
    walk.issues.push(
      issueAt('yaml/custom-tag', `tag ${n.tag} is not allowed`, walk.file, posOf(walk, start)),
    )
    return undefined
  }
  if (isScalar(n)) return n.value
  if (isSeq(n)) {
    const out: unknown[] = []
    for (const item of n.items) out.push(toPlain(walk, item, depth + 1))
    return out
  }
  if (isMap(n)) {
    const out: Record<string, unknown> = {}
    const seenKeys = new Map<string, string>()
    for (const pair of n.items) {
      if (!isPair(pair)) continue
      const key = pair.key as Node | null
      const keyPos = posOf(walk, key?.range?.[0])
      if (key !== null && !isScalar(key)) {
        const code: ManifestCode = isAlias(key) ? 'yaml/alias' : 'yaml/complex-key'
        walk.issues.push(issueAt(code, 'mapping key must be a plain scalar', walk.file, keyPos))
        continue
      }
      if (key?.tag !== undefined && !CORE_TAGS.has(key.tag)) {
        walk.issues.push(
          issueAt('yaml/custom-tag', `tag ${key.tag} is not allowed`, walk.file, keyPos),
        )
        continue
      }
      const name = String(key === null ? '' : key.value)
      if (FORBIDDEN_KEYS.has(name)) {
        walk.issues.push(
          issueAt('yaml/forbidden-key', `key "${name}" is not allowed`, walk.file, keyPos),
        )
        continue
      }
      // The parser compares keys by value, so `1` and `"1"` (or `true` and
      // `"true"`, `~` and `null`) pass it, yet become one property here.
      if (Object.hasOwn(out, name)) {
        walk.issues.push(
          issueAt(
            'yaml/duplicate-key',
            `key ${JSON.stringify(name)} appears more than once in this mapping (written ${seenKeys.get(name)} and ${keySource(walk, key)})`,
            walk.file,
            keyPos,
          ),
        )
        continue
      }
      seenKeys.set(name, keySource(walk, key))
      out[name] = toPlain(walk, pair.value, depth + 1)
    }
    return out
  }
  return undefined
}

/** A key as written in the source (`"1"`, `0x1`, `~`), for messages. */
function keySource(walk: Walk, key: Node | null): string {
  const range = key?.range
  if (!range || walk.text === undefined)
    return String((key as { value?: unknown } | null)?.value ?? '')
  return walk.text.slice(range[0], range[1])
}

function pathNode(
  doc: Document,
  path: readonly (string | number)[],
): { node: Node | undefined; key: Node | undefined } {
  let node = doc.contents as Node | null
  let key: Node | undefined
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg))
      if (!pair) return { node, key: undefined }
      key = pair.key as Node
      node = (pair.value as Node | null) ?? key
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      key = undefined
      node = node.items[seg] as Node
    } else {
      return { node: node ?? undefined, key: undefined }
    }
  }
  return { node: node ?? undefined, key }
}

/**
 * Positions for a document that took the fast path: the full parse that
 * finds them runs only when something asks, which is when an issue is
 * reported, so clean documents never pay for it.
 */
function lazyLocators(
  text: string,
  file: string,
): Pick<Located<unknown>, 'locate' | 'locateKey' | 'written'> {
  let cached: { doc: Document; walk: Walk } | undefined
  const parsed = () => {
    if (!cached) {
      const lines = new LineCounter()
      const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, schema: 'core' })
      cached = { doc, walk: { file, lines, issues: [], maxDepth: MAX_DEPTH } }
    }
    return cached
  }
  return {
    locate: (path) => {
      const { doc, walk } = parsed()
      return posOf(walk, pathNode(doc, path).node?.range?.[0])
    },
    locateKey: (path) => {
      const { doc, walk } = parsed()
      const { node, key } = pathNode(doc, path)
      return posOf(walk, (key ?? node)?.range?.[0])
    },
    written: (path) => scalarText(text, pathNode(parsed().doc, path).node),
  }
}

/** The text of a scalar node as it stands in the source. */
function scalarText(text: string, node: unknown): string | undefined {
  if (!isScalar(node) || !node.range) return undefined
  return text.slice(node.range[0], node.range[1])
}

/**
 * Parses one YAML document safely: UTF-8 only, size-capped before parsing,
 * no anchors/aliases, no custom tags, no duplicate or prototype-polluting
 * keys, bounded depth, a single document. Every issue carries file:line:col.
 *
 * @example
 * const { value, issues, locate } = loadYaml('id: acme/x\n', 'registry/models/ac/acme/x/item.yaml')
 * // value: { id: 'acme/x' }, issues: [], locate(['id']): { line: 1, col: 5 }
 */
export function loadYaml(
  source: string | Uint8Array,
  file: string,
  options: LoadYamlOptions = {},
): Located<unknown> {
  const maxBytes = options.maxBytes ?? MAX_MANIFEST_BYTES
  const maxDepth = options.maxDepth ?? MAX_DEPTH
  const origin = () => ({ line: 1, col: 1 })
  const failed = (issue: Issue): Located<unknown> => ({
    value: undefined,
    issues: [issue],
    locate: origin,
  })
  const size = typeof source === 'string' ? source.length : source.byteLength
  if (size > maxBytes) {
    return failed(
      issueAt(
        'yaml/too-large',
        `file is ${size} bytes, over the limit of ${maxBytes}`,
        file,
        origin(),
      ),
    )
  }
  const decoded = decodeUtf8(source)
  if (decoded === undefined) {
    return failed(issueAt('yaml/not-utf8', 'file is not valid UTF-8', file, origin()))
  }
  const text = decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded
  if (
    typeof source === 'string' &&
    text.length * 3 > maxBytes &&
    Buffer.byteLength(text) > maxBytes
  ) {
    return failed(
      issueAt('yaml/too-large', `file is over the limit of ${maxBytes} bytes`, file, origin()),
    )
  }
  if (options.fast !== false) {
    const simple = parseSimpleYaml(text)
    if (simple !== NOT_SIMPLE) return { value: simple, issues: [], ...lazyLocators(text, file) }
  }
  const lines = new LineCounter()
  const deepAt = flowDepthExceeds(text, maxDepth)
  if (deepAt !== -1) {
    lines.addNewLine(0)
    for (let i = text.indexOf('\n'); i !== -1 && i < deepAt; i = text.indexOf('\n', i + 1)) {
      lines.addNewLine(i + 1)
    }
    return failed(
      issueAt(
        'yaml/too-deep',
        `values nest deeper than ${maxDepth} levels`,
        file,
        lines.linePos(deepAt),
      ),
    )
  }
  let doc: Document
  try {
    doc = parseDocument(text, {
      lineCounter: lines,
      uniqueKeys: true,
      schema: 'core',
      prettyErrors: false,
    })
  } catch (cause) {
    // The parser recurses on block nesting; a stack overflow means "too deep".
    const code: ManifestCode = cause instanceof RangeError ? 'yaml/too-deep' : 'yaml/syntax'
    return failed(issueAt(code, `YAML could not be parsed: ${String(cause)}`, file, origin()))
  }
  const issues: Issue[] = []
  const fromYamlError = (e: YAMLError) => {
    const code = YAML_ERROR_CODES[e.code] ?? 'yaml/syntax'
    let message = firstLine(e.message)
    if (code === 'yaml/duplicate-key') {
      const key = /^[^:\n]*/.exec(text.slice(e.pos[0], e.pos[0] + 200))?.[0].trim()
      message = `key ${JSON.stringify(key)} appears more than once in this mapping`
    } else if (code === 'yaml/multiple-documents') {
      message = 'a second YAML document starts here'
    }
    issues.push(issueAt(code, message, file, posOf({ file, lines, issues, maxDepth }, e.pos[0])))
  }
  for (const e of doc.errors) fromYamlError(e)
  const walk: Walk = { file, lines, issues, maxDepth, text }
  // With syntax errors the tree is partial; converting it would only add noise.
  const value = doc.errors.length === 0 ? toPlain(walk, doc.contents, 1) : undefined
  const locate = (path: readonly (string | number)[]) => {
    const { node } = pathNode(doc, path)
    return posOf(walk, node?.range?.[0])
  }
  const locateKey = (path: readonly (string | number)[]) => {
    const { node, key } = pathNode(doc, path)
    return posOf(walk, (key ?? node)?.range?.[0])
  }
  const written = (path: readonly (string | number)[]) => scalarText(text, pathNode(doc, path).node)
  return { value: issues.length === 0 ? value : undefined, issues, locate, locateKey, written }
}
