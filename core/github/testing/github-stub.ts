/**
 * A stand-in for the GitHub REST API in tests. GitHub cannot run here, so
 * octokit gets an injected fetch that answers only the calls a test expects,
 * and checks every request against GitHub's published OpenAPI description:
 * the operation must exist for the method and path, path and query parameters
 * must fit their schemas, and the JSON body must fit the request-body schema
 * with no field the operation does not declare. Unexpected calls and expected
 * calls never made both fail the test in `assertDone()`.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Octokit } from '@octokit/rest'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'

type Json = Record<string, unknown>

interface OpenApi {
  paths: Record<string, Record<string, Operation>>
  components: { parameters: Record<string, Parameter>; schemas: Record<string, Json> }
}
interface Operation {
  operationId: string
  parameters?: (Parameter | { $ref: string })[]
  requestBody?: { content: Record<string, { schema: Json }> }
}
interface Parameter {
  name: string
  in: 'path' | 'query' | 'header'
  required?: boolean
  schema: Json
}

export interface ExpectedCall {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
  /** The concrete path, such as `/repos/acme/hub/pulls/7`. */
  path: string
  /** Query parameters the call must carry (others are allowed if the operation declares them). */
  query?: Record<string, string>
  status?: number
  /** The JSON answer, or a function of the request body that makes it. */
  response?: unknown | ((body: unknown) => unknown)
}

export interface RecordedCall {
  method: string
  path: string
  query: Record<string, string>
  operationId: string
  body: unknown
}

let spec: OpenApi | undefined
let ajv: Ajv | undefined
const validators = new Map<string, ValidateFunction>()

function loadSpec(): { spec: OpenApi; ajv: Ajv } {
  if (!spec || !ajv) {
    const require = createRequire(import.meta.url)
    const file = require.resolve('@octokit/openapi/generated/api.github.com.json')
    spec = nullableToJsonSchema(JSON.parse(readFileSync(file, 'utf8'))) as OpenApi
    // OpenAPI 3.0 adds keywords (nullable, example, x-*) that JSON Schema lacks.
    ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, validateFormats: true })
    addFormats.default(ajv)
    ajv.addSchema(spec as unknown as Json, 'gh')
  }
  return { spec, ajv }
}

/**
 * OpenAPI 3.0's `nullable: true` beside `oneOf` with no `type` (as issue
 * `milestone` has) is refused by ajv; the JSON Schema meaning is "that, or
 * null", which is what this rewrites it to.
 */
function nullableToJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullableToJsonSchema)
  if (typeof node !== 'object' || node === null) return node
  const out: Json = {}
  for (const [k, v] of Object.entries(node)) out[k] = nullableToJsonSchema(v)
  if (out.nullable === true && out.type === undefined) {
    const { nullable: _, ...rest } = out
    return { anyOf: [rest, { type: 'null' }] }
  }
  return out
}

function pointer(...segments: string[]): string {
  return `gh#/${segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/')}`
}

function validatorFor(ref: string): ValidateFunction {
  let fn = validators.get(ref)
  if (!fn) {
    fn = loadSpec().ajv.compile({ $ref: ref })
    validators.set(ref, fn)
  }
  return fn
}

/** Finds the operation of a method and concrete path, with the path parameters it binds. */
export function findOperation(
  method: string,
  path: string,
): { template: string; operation: Operation; params: Record<string, string> } | undefined {
  const { spec } = loadSpec()
  const lower = method.toLowerCase()
  for (const [template, item] of Object.entries(spec.paths)) {
    const operation = item[lower]
    if (!operation) continue
    const names: string[] = []
    const source = template
      .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
      .replace(/\{([^}]+)\}/g, (_m, name: string) => {
        names.push(name)
        return '([^/]+)'
      })
    const match = new RegExp(`^${source}$`).exec(path)
    if (!match) continue
    const params: Record<string, string> = {}
    names.forEach((name, i) => {
      params[name] = decodeURIComponent(match[i + 1] ?? '')
    })
    return { template, operation, params }
  }
  return undefined
}

function resolveParameter(p: Parameter | { $ref: string }): { param: Parameter; ref: string[] } {
  if ('$ref' in p) {
    const name = p.$ref.replace('#/components/parameters/', '')
    const param = loadSpec().spec.components.parameters[name]
    if (!param) throw new Error(`unknown parameter ref ${p.$ref}`)
    return { param, ref: ['components', 'parameters', name, 'schema'] }
  }
  return { param: p, ref: [] }
}

function coerce(value: string, schema: Json): unknown {
  const target = '$ref' in schema ? undefined : schema.type
  if (target === 'integer' || target === 'number') return Number(value)
  if (target === 'boolean') return value === 'true' ? true : value === 'false' ? false : value
  return value
}

/** Top-level property names a body schema declares, across oneOf/anyOf/allOf branches. */
function declaredProperties(schema: Json): Set<string> | undefined {
  const names = new Set<string>()
  let open = schema.additionalProperties !== undefined && schema.additionalProperties !== false
  for (const key of Object.keys((schema.properties as Json | undefined) ?? {})) names.add(key)
  for (const combinator of ['oneOf', 'anyOf', 'allOf']) {
    for (const branch of (schema[combinator] as Json[] | undefined) ?? []) {
      const inner = declaredProperties(branch)
      if (inner === undefined) open = true
      else for (const key of inner) names.add(key)
    }
  }
  if ('$ref' in schema) open = true
  return open || names.size === 0 ? undefined : names
}

/** Checks one request against the OpenAPI description; returns what is wrong, if anything. */
export function checkRequest(
  method: string,
  path: string,
  query: Record<string, string>,
  body: unknown,
): { operationId?: string; problems: string[] } {
  const found = findOperation(method, path)
  if (!found)
    return { problems: [`no operation ${method} ${path} in GitHub's OpenAPI description`] }
  const { template, operation, params } = found
  const problems: string[] = []
  const declared = new Map<string, { param: Parameter; ref: string[]; index: number }>()
  ;(operation.parameters ?? []).forEach((p, index) => {
    const resolved = resolveParameter(p)
    declared.set(`${resolved.param.in}:${resolved.param.name}`, { ...resolved, index })
  })
  const check = (where: 'path' | 'query', name: string, value: string) => {
    const entry = declared.get(`${where}:${name}`)
    if (!entry) {
      problems.push(`${where} parameter ${name} is not declared by ${operation.operationId}`)
      return
    }
    const ref =
      entry.ref.length > 0
        ? pointer(...entry.ref)
        : pointer(
            'paths',
            template,
            method.toLowerCase(),
            'parameters',
            String(entry.index),
            'schema',
          )
    const validate = validatorFor(ref)
    if (!validate(coerce(value, entry.param.schema))) {
      problems.push(`${where} parameter ${name}=${value}: ${ajvText(validate)}`)
    }
  }
  for (const [name, value] of Object.entries(params)) check('path', name, value)
  for (const [name, value] of Object.entries(query)) check('query', name, value)
  for (const [key, entry] of declared) {
    if (entry.param.required && key.startsWith('query:') && !(entry.param.name in query)) {
      problems.push(`required query parameter ${entry.param.name} is missing`)
    }
  }
  const content = operation.requestBody?.content['application/json']
  if (body !== undefined) {
    if (!content) {
      problems.push(`${operation.operationId} takes no JSON body`)
    } else {
      const validate = validatorFor(
        pointer(
          'paths',
          template,
          method.toLowerCase(),
          'requestBody',
          'content',
          'application/json',
          'schema',
        ),
      )
      if (!validate(body)) problems.push(`body: ${ajvText(validate)}`)
      const names = declaredProperties(content.schema)
      if (names && typeof body === 'object' && body !== null && !Array.isArray(body)) {
        for (const key of Object.keys(body)) {
          if (!names.has(key))
            problems.push(`body field ${key} is not declared by ${operation.operationId}`)
        }
      }
    }
  }
  return { operationId: operation.operationId, problems }
}

function ajvText(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`)
    .join('; ')
}

/**
 * An octokit whose requests go to the stub.
 *
 * @example
 * const gh = createGitHubStub()
 * gh.expect({ method: 'GET', path: '/repos/acme/hub/pulls/7', response: pull })
 * await reportPullRequest(gh.octokit, …)
 * gh.assertDone()
 */
export function createGitHubStub() {
  const expected: (ExpectedCall & { used: boolean })[] = []
  const calls: RecordedCall[] = []
  const failures: string[] = []

  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(
      typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
    )
    const method = (init?.method ?? 'GET').toUpperCase()
    const query = Object.fromEntries(url.searchParams)
    const text = typeof init?.body === 'string' ? init.body : undefined
    const body = text === undefined || text === '' ? undefined : (JSON.parse(text) as unknown)
    const { operationId, problems } = checkRequest(method, url.pathname, query, body)
    for (const p of problems) failures.push(`${method} ${url.pathname}: ${p}`)
    calls.push({ method, path: url.pathname, query, operationId: operationId ?? '?', body })
    const call = expected.find(
      (e) =>
        !e.used &&
        e.method === method &&
        e.path === url.pathname &&
        Object.entries(e.query ?? {}).every(([k, v]) => query[k] === v),
    )
    if (!call) {
      failures.push(`unexpected call ${method} ${url.pathname}${url.search}`)
      return Response.json({ message: 'Not Found (unexpected in test)' }, { status: 404 })
    }
    call.used = true
    const status = call.status ?? (method === 'POST' ? 201 : method === 'DELETE' ? 204 : 200)
    const answer = typeof call.response === 'function' ? call.response(body) : call.response
    if (status === 204) return new Response(null, { status })
    return Response.json(answer ?? {}, { status })
  }

  const octokit = new Octokit({
    auth: 'test-token',
    baseUrl: 'https://api.github.com',
    request: { fetch, retries: 0 },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  })

  return {
    octokit,
    calls,
    /** Queues an answer; each expected call is used once, in order of registration. */
    expect(call: ExpectedCall) {
      expected.push({ ...call, used: false })
      return this
    },
    /** Throws when a call broke the OpenAPI description, was unexpected, or an expected one never came. */
    assertDone() {
      const unused = expected
        .filter((e) => !e.used)
        .map((e) => `expected call never made: ${e.method} ${e.path}`)
      const all = [...failures, ...unused]
      if (all.length > 0) throw new Error(`GitHub stub:\n${all.join('\n')}`)
    },
    /** Problems found so far, for tests that expect the stub to object. */
    failures,
  }
}
