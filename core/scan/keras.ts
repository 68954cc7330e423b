import { makeFinding } from './finding.ts'
import { MiB } from './scan-context.ts'
import { isJsonObject, type JsonValue, parseStrictJson } from './strict-json.ts'
import type { Finding, ScanSource } from './types.ts'

/** Keras configs larger than this are not read (a config lists layers, not weights). */
export const KERAS_CONFIG_BYTES = 64 * MiB
export const latin1 = new TextDecoder('latin1')

/** Layers and objects whose config carries marshalled Python bytecode. */
const LAMBDA_CLASSES = new Set(['Lambda', 'TFOpLambda', '__lambda__'])
/** Keras functions a config can name that switch off its own safety or fetch code. */
const DANGEROUS_NAMES = new Set(['enable_unsafe_deserialization', 'get_file', 'load_model'])

/** Modules Keras itself ships; a config naming any other makes Keras import it. */
function isKerasModule(module: string): boolean {
  return /^(?:keras|tf_keras|tensorflow\.keras|tensorflow\.python\.keras)(?:\.[A-Za-z_][\w]*)*$/.test(
    module,
  )
}

/**
 * What one config object (decoded: JSON escapes such as `\u004c` already
 * applied) says about code: Lambda layers, modules outside Keras, custom
 * registered classes, and Keras functions that turn safety off.
 */
function checkObject(
  fields: { class_name?: unknown; module?: unknown; registered_name?: unknown },
  file: string,
  where: string,
  out: Finding[],
): void {
  const className = fields.class_name
  if (typeof className !== 'string') return
  if (LAMBDA_CLASSES.has(className)) {
    out.push(makeFinding(file, 'scan/keras-lambda', `${where} declares a Keras ${className} layer`))
  }
  const { module, registered_name: registered } = fields
  if (typeof module === 'string' && !isKerasModule(module)) {
    out.push(
      makeFinding(
        file,
        'scan/keras-custom-object',
        `${where} names ${className} from module "${module}", which Keras imports when loading`,
      ),
    )
  }
  if (typeof registered === 'string' && registered.includes('>')) {
    out.push(
      makeFinding(
        file,
        'scan/keras-custom-object',
        `${where} names the custom registered object "${registered}"`,
      ),
    )
  }
  if (DANGEROUS_NAMES.has(className)) {
    out.push(
      makeFinding(
        file,
        'scan/keras-custom-object',
        `${where} calls the Keras function ${className}`,
      ),
    )
  }
}

function walk(value: JsonValue, file: string, where: string, out: Finding[], depth: number): void {
  if (depth > 256) return
  if (Array.isArray(value)) {
    for (const item of value) walk(item, file, where, out, depth + 1)
    return
  }
  if (isJsonObject(value)) {
    checkObject(value, file, where, out)
    for (const key of Object.keys(value)) walk(value[key] as JsonValue, file, where, out, depth + 1)
    return
  }
  if (typeof value === 'string' && DANGEROUS_NAMES.has(value)) {
    out.push(
      makeFinding(file, 'scan/keras-custom-object', `${where} names the Keras function ${value}`),
    )
  }
}

/**
 * Findings for a Keras config (a `.keras` archive's config.json), parsed as
 * JSON so that names are compared after unescaping. A config that mentions
 * `class_name` but does not parse, or repeats a key, is `scan/keras-malformed`.
 *
 * @example kerasConfigFindings('{"class_name": "\\u004cambda"}', 'm.keras', 'config.json')[0]?.code // 'scan/keras-lambda'
 */
export function kerasConfigFindings(text: string, file: string, where: string): Finding[] {
  let parsed: ReturnType<typeof parseStrictJson>
  try {
    parsed = parseStrictJson(text)
  } catch (error) {
    if (!/class_name|class\\u005f|module/i.test(text)) return []
    return [
      makeFinding(
        file,
        'scan/keras-malformed',
        `${where} is not JSON: ${(error as Error).message}`,
      ),
    ]
  }
  const out: Finding[] = []
  if (parsed.duplicates.length > 0) {
    out.push(
      makeFinding(
        file,
        'scan/keras-malformed',
        `${where} repeats the key ${parsed.duplicates[0]}, which readers resolve differently`,
      ),
    )
  }
  walk(parsed.value, file, where, out, 0)
  return out
}

/** A JSON string member `"key": "value"` (or `null`), escapes included. */
const MEMBER = /"((?:[^"\\\n]|\\.){1,80})"\s*:\s*(?:"((?:[^"\\\n]|\\.){0,1000})"|null)/g

function decodeJsonString(raw: string): string | undefined {
  try {
    return JSON.parse(`"${raw}"`) as string
  } catch {
    return undefined
  }
}

/**
 * Keras .h5 models keep their config as an HDF5 attribute; rather than parse
 * HDF5, every JSON string member of the file is decoded and the objects'
 * `class_name`, `module` and `registered_name` are checked as in a config.
 * A little of each chunk is carried over so a member across chunks is seen.
 *
 * @example const findings = await scanStreamForLambdas(source)
 */
export async function scanStreamForLambdas(source: ScanSource): Promise<Finding[]> {
  const found = new Map<string, Finding>()
  let carry = ''
  for await (const chunk of source.stream()) {
    const text = carry + latin1.decode(chunk as Uint8Array)
    for (const m of text.matchAll(MEMBER)) {
      const key = decodeJsonString(m[1] as string)
      const value = m[2] === undefined ? null : decodeJsonString(m[2])
      if (typeof value !== 'string') continue
      const out: Finding[] = []
      walk(value, source.path, 'the HDF5 model config', out, 0)
      for (const finding of out) found.set(finding.message, finding)
      if (key !== 'class_name' && key !== 'module' && key !== 'registered_name') continue
      // One member at a time: a module is judged by itself, as Keras imports it whatever the class.
      checkObject(
        { class_name: key === 'class_name' ? value : '', [key]: value },
        source.path,
        'the HDF5 model config',
        out,
      )
      for (const finding of out) found.set(finding.message, finding)
    }
    carry = text.slice(-2048)
  }
  return [...found.values()]
}
