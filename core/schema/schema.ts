import { Ajv2020, type CodeOptions, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { type DocumentType, SCHEMAS } from '#core/manifest'
import type { Kind } from '#core/names'

let ajv: Ajv2020 | undefined
const compiled = new Map<string, ValidateFunction>()

/**
 * An ajv instance holding every registry schema, with the options the
 * validators need: `schemaIssues` reads `parentSchema` and `data` from the
 * errors (verbose). The site compiles its standalone validators from one of
 * these (with `code`), so browser and CLI report the same errors.
 *
 * @example standaloneCode(createAjv({ source: true, esm: true }), { item: 'item.schema.json' })
 */
export function createAjv(code?: CodeOptions): Ajv2020 {
  // allErrors: a contributor should see every problem of a file in one run.
  // verbose: error objects carry their schema, used for hints and examples.
  const instance = new Ajv2020({
    allErrors: true,
    verbose: true,
    strict: true,
    strictRequired: false,
    ...(code ? { code } : {}),
  })
  addFormats(instance, ['uri', 'date', 'email'])
  for (const schema of Object.values(SCHEMAS)) instance.addSchema(schema as object)
  return instance
}

function getAjv(): Ajv2020 {
  ajv ??= createAjv()
  return ajv
}

/**
 * The compiled validator of a document type; versions compile one per kind
 * because their fields depend on the item's kind. Compiled once, then cached.
 *
 * @example getValidator('version', 'lora')(data) // true or false, errors on .errors
 */
export function getValidator(type: DocumentType, kind?: Kind): ValidateFunction {
  const key = type === 'version' ? `version#${kind ?? 'model'}` : type
  const cached = compiled.get(key)
  if (cached) return cached
  const instance = getAjv()
  const id = `${type}.schema.json`
  const fn =
    type === 'version'
      ? instance.compile({ $ref: `${id}#/$defs/${kind ?? 'model'}` })
      : (instance.getSchema(id) as ValidateFunction)
  compiled.set(key, fn)
  return fn
}
