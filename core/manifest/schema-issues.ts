import type { ErrorObject } from 'ajv/dist/2020.js'
import type { Issue } from '#core/errors'
import { hintFor, type ManifestCode } from '#core/errors'
import { closestName } from '#core/names'
import hubSchema from '../../registry/schemas/hub.schema.json' with { type: 'json' }
import itemSchema from '../../registry/schemas/item.schema.json' with { type: 'json' }
import ownerSchema from '../../registry/schemas/owner.schema.json' with { type: 'json' }
import resultSchema from '../../registry/schemas/result.schema.json' with { type: 'json' }
import versionSchema from '../../registry/schemas/version.schema.json' with { type: 'json' }
import type { Located } from './load.ts'
import { type UrlField, urlFieldAt, urlFieldProblem } from './url-fields.ts'

// The schemas and the formatter of their errors, without the ajv compiler:
// the Contribute form bundles this file with validators compiled at build
// time (a strict Content-Security-Policy forbids compiling in the browser).

/** The documents of a registry, each with its JSON Schema in registry/schemas/. */
export type DocumentType = 'hub' | 'owner' | 'item' | 'version' | 'result'

/** A JSON Schema node, as far as this module looks into one. */
export interface SchemaNode {
  type?: string | string[]
  description?: string
  examples?: unknown[]
  properties?: Record<string, SchemaNode | boolean>
  required?: string[]
  allOf?: { if?: SchemaNode; then?: SchemaNode }[]
  anyOf?: SchemaNode[]
  items?: SchemaNode
  additionalProperties?: SchemaNode | boolean
  $ref?: string
  $defs?: Record<string, SchemaNode>
  const?: unknown
  enum?: unknown[]
}

/** The schemas as shipped, keyed by document type. */
export const SCHEMAS: Readonly<Record<DocumentType, SchemaNode>> = {
  hub: hubSchema as SchemaNode,
  owner: ownerSchema as SchemaNode,
  item: itemSchema as SchemaNode,
  version: versionSchema as SchemaNode,
  result: resultSchema as SchemaNode,
}

function segments(instancePath: string): (string | number)[] {
  if (instancePath === '') return []
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s))
}

/**
 * `files[0].sha256` from path segments, the way users read field paths.
 *
 * @example fieldName(['files', 0, 'sha256']) // 'files[0].sha256'
 */
export function fieldName(path: readonly (string | number)[]): string {
  let out = ''
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg
  return out || 'document'
}

/**
 * The closest candidate within a distance proportional to the word's length.
 *
 * @example closest('licence', ['license', 'links']) // 'license'
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  return closestName(word, candidates, Math.max(2, Math.floor(word.length / 3)))
}

function resolveRef(root: SchemaNode, ref: string): SchemaNode | undefined {
  const hash = ref.indexOf('#')
  const doc =
    hash <= 0 ? root : SCHEMAS[ref.slice(0, hash).replace('.schema.json', '') as DocumentType]
  let node: unknown = doc
  for (const part of ref
    .slice(hash + 1)
    .split('/')
    .filter(Boolean)) {
    node = (node as Record<string, unknown> | undefined)?.[part]
  }
  return node as SchemaNode | undefined
}

/** Every property name a schema object allows for this data, following $ref and matching if/then branches. */
function knownProperties(root: SchemaNode, schema: SchemaNode, data: unknown): string[] {
  const names = new Set(Object.keys(schema.properties ?? {}))
  if (schema.$ref) {
    const target = resolveRef(root, schema.$ref)
    if (target) for (const n of knownProperties(root, target, data)) names.add(n)
  }
  for (const branch of schema.allOf ?? []) {
    const cond = branch.if?.properties
    const matches =
      cond !== undefined &&
      Object.entries(cond).every(
        ([k, v]) =>
          typeof v === 'object' &&
          typeof data === 'object' &&
          data !== null &&
          (data as Record<string, unknown>)[k] === v.const,
      )
    if (matches) for (const n of Object.keys(branch.then?.properties ?? {})) names.add(n)
  }
  return [...names]
}

/** `1` -> `1.0.0`, `1.2` -> `1.2.0`: the semantic version a number was meant to be. */
function semverOf(written: string): string {
  const parts = written.split('.').filter((p) => /^\d+$/.test(p))
  while (parts.length < 3) parts.push('0')
  return parts
    .slice(0, 3)
    .map((p) => String(Number(p)))
    .join('.')
}

function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  return `${typeof value} ${JSON.stringify(value)}`
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'null',
}

function exampleHint(schema: SchemaNode | undefined): string | undefined {
  const ex = schema?.examples?.[0]
  if (ex === undefined || typeof ex === 'object') return undefined
  return `for example ${JSON.stringify(ex)}`
}

const RANGE_KEYWORDS = new Set([
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
])
const LENGTH_KEYWORDS = new Set([
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
])

/**
 * Turns ajv errors into issues with file:line:col, friendly messages and
 * hints. Branch noise is dropped: `if` failures repeat their `then` errors,
 * and errors inside an `anyOf` are folded into the one anyOf issue.
 *
 * @example schemaIssues(validator.errors ?? [], 'item', data, located, 'registry/…/item.yaml')
 */
export function schemaIssues(
  errors: readonly ErrorObject[],
  type: DocumentType,
  data: unknown,
  located: Pick<Located<unknown>, 'locate' | 'locateKey' | 'written'>,
  file: string,
): Issue[] {
  const root = SCHEMAS[type]
  const anyOfPaths = errors
    .filter((e) => e.keyword === 'anyOf')
    .map((e) => ({ instance: e.instancePath, schema: e.schemaPath.slice(0, -'/anyOf'.length) }))
  const issues: Issue[] = []
  const seen = new Set<string>()
  for (const e of errors) {
    if (e.keyword === 'if') continue
    if (
      e.keyword !== 'anyOf' &&
      anyOfPaths.some(
        (a) =>
          e.instancePath.startsWith(a.instance) && e.schemaPath.startsWith(`${a.schema}/anyOf/`),
      )
    ) {
      continue
    }
    const path = segments(e.instancePath)
    const field = fieldName(path)
    const parentSchema = e.parentSchema as SchemaNode | undefined
    let code: ManifestCode = 'schema/invalid'
    let message: string
    let hint: string | undefined
    let pos = located.locate(path)
    if (e.keyword === 'required') {
      const missing = (e.params as { missingProperty: string }).missingProperty
      code = 'schema/required'
      message = `${path.length ? `${field}: ` : ''}missing required field "${missing}"`
      const prop = parentSchema?.properties?.[missing]
      const desc = typeof prop === 'object' ? prop.description : undefined
      hint = desc ? `add ${missing}: ${desc}` : undefined
    } else if (e.keyword === 'additionalProperties' || e.keyword === 'unevaluatedProperties') {
      const name =
        (e.params as { additionalProperty?: string; unevaluatedProperty?: string })
          .additionalProperty ??
        (e.params as { unevaluatedProperty?: string }).unevaluatedProperty ??
        ''
      code = 'schema/unknown-property'
      const parentData = path.reduce<unknown>(
        (d, s) => (d as Record<string | number, unknown> | undefined)?.[s],
        data,
      )
      const known = parentSchema ? knownProperties(root, parentSchema, parentData) : []
      // A field of a kind's branch counts as unevaluated when that branch failed; its own error says why.
      if (e.keyword === 'unevaluatedProperties' && known.includes(name)) continue
      const guess = closest(name, known)
      message = `unknown field "${path.length ? `${field}.` : ''}${name}"`
      hint = guess
        ? `did you mean "${guess}"?`
        : known.length
          ? `allowed fields: ${known.join(', ')}`
          : undefined
      pos = (located.locateKey ?? located.locate)([...path, name])
    } else if (e.keyword === 'type') {
      code = 'schema/type'
      const want = String((e.params as { type: string }).type)
        .split(',')
        .map((t) => TYPE_WORDS[t] ?? t)
        .join(' or ')
      // YAML reads `1.0` as the number 1: show what the author wrote, not what it became.
      const asWritten =
        typeof e.data === 'number' || typeof e.data === 'boolean'
          ? located.written?.(path)
          : undefined
      message = `${field} must be ${want}, found ${asWritten === undefined ? describeType(e.data) : `${typeof e.data} ${asWritten}`}`
      hint = exampleHint(parentSchema)
      if (asWritten !== undefined && want === 'a string') {
        hint =
          field === 'version' || field.endsWith('.version')
            ? `YAML reads ${asWritten} as a ${typeof e.data}; use a semantic version such as ${semverOf(asWritten)}, which YAML keeps as a string`
            : `YAML reads ${asWritten} as a ${typeof e.data}; quote it to keep it as written: "${asWritten}"`
      }
    } else if (e.keyword === 'enum' || e.keyword === 'const') {
      code = 'schema/enum'
      const allowed =
        e.keyword === 'enum'
          ? (e.params as { allowedValues: unknown[] }).allowedValues
          : [(e.params as { allowedValue: unknown }).allowedValue]
      message = `${field} is ${JSON.stringify(e.data)}, not one of the allowed values`
      hint = `use one of: ${allowed.map((v) => String(v)).join(', ')}`
      const guess = typeof e.data === 'string' ? closest(e.data, allowed.map(String)) : undefined
      if (guess) hint = `did you mean "${guess}"? (allowed: ${allowed.map(String).join(', ')})`
    } else if (e.keyword === 'propertyNames') {
      // The failing keyword inside propertyNames (a pattern) reports the key itself.
      continue
    } else if (e.keyword === 'pattern' && e.propertyName !== undefined) {
      code = 'schema/pattern'
      message = `key ${JSON.stringify(e.propertyName)} of ${field} does not have the expected form`
      hint = `write the keys of ${field} in lower-case a-z and 0-9, with -, _ or . only between them (they become part of site URLs)`
      pos = (located.locateKey ?? located.locate)([...path, e.propertyName])
    } else if (
      // A refused URL fails both pattern and format; both become the one message below.
      (e.keyword === 'pattern' || e.keyword === 'format') &&
      typeof e.data === 'string' &&
      urlFieldAt(type, path) !== undefined
    ) {
      const url = urlFieldAt(type, path) as UrlField
      code = url.path === 'files[].url' ? 'files/insecure-url' : 'manifest/unsafe-url'
      message = `${field} ${JSON.stringify(e.data)} ${urlFieldProblem(url, e.data) ?? 'is not a plain https URL'}`
      hint = hintFor(code)
    } else if (e.keyword === 'pattern') {
      code = 'schema/pattern'
      message = `${field} ${JSON.stringify(e.data)} does not have the expected form`
      hint =
        [parentSchema?.description?.replace(/\.$/, ''), exampleHint(parentSchema)]
          .filter(Boolean)
          .join('; ') || undefined
    } else if (e.keyword === 'format') {
      code = 'schema/format'
      message = `${field} ${JSON.stringify(e.data)} is not a valid ${(e.params as { format: string }).format}`
      hint = exampleHint(parentSchema)
    } else if (RANGE_KEYWORDS.has(e.keyword)) {
      code = 'schema/range'
      message = `${field} is ${JSON.stringify(e.data)}; it ${e.message ?? 'is out of range'}`
      hint = parentSchema?.description
    } else if (LENGTH_KEYWORDS.has(e.keyword)) {
      code = 'schema/length'
      const limit = (e.params as { limit: number }).limit
      const bound = e.keyword.startsWith('min') ? 'at least' : 'at most'
      const unit = e.keyword.endsWith('Length')
        ? 'character'
        : e.keyword.endsWith('Items')
          ? 'entry'
          : 'field'
      const units = limit === 1 ? unit : unit === 'entry' ? 'entries' : `${unit}s`
      message = `${field} must have ${bound} ${limit} ${units}`
      hint = parentSchema?.description
    } else if (e.keyword === 'uniqueItems') {
      const { i, j } = e.params as { i: number; j: number }
      message = `${field} lists the same value twice (entries ${j} and ${i})`
      hint = 'remove the duplicate entry'
      pos = located.locate([...path, i])
    } else if (e.keyword === 'anyOf') {
      message = `${field} must be ${parentSchema?.description ? `one of its allowed forms (${parentSchema.description})` : 'one of its allowed forms'}`
      hint = exampleHint(parentSchema)
    } else if (e.keyword === 'false schema') {
      code = 'schema/unknown-property'
      message = `field "${field}" is not allowed here`
      hint = 'remove the field; it does not apply to this setting'
      pos = (located.locateKey ?? located.locate)(path)
    } else {
      message = `${field} ${e.message ?? 'is invalid'}`
    }
    const key = `${code}|${message}|${pos.line}|${pos.col}`
    if (seen.has(key)) continue
    seen.add(key)
    issues.push({
      code,
      severity: 'error',
      message,
      hint: hint ?? hintFor(code),
      file,
      line: pos.line,
      col: pos.col,
    })
  }
  return issues
}
