import type { Issue } from '#core/errors'
import type { DocumentType } from '#core/manifest'
import {
  type DocumentOf,
  type Located,
  loadYaml,
  type ValidateContext,
  validateWith,
} from '#core/manifest'
import { getValidator } from './schema.ts'

/**
 * Schema, normalisation and per-document rules on an already loaded value.
 * The registry loader uses it directly; validateDocument adds loading.
 *
 * @example validateLoaded('owner', loadYaml(text, file), file)
 */
export function validateLoaded<T extends DocumentType>(
  type: T,
  loaded: Located<unknown>,
  file: string,
  context: ValidateContext = {},
): { value: DocumentOf<T> | undefined; issues: Issue[] } {
  return validateWith(getValidator(type, context.kind), type, loaded, file, context)
}

/**
 * Validates one document: load (safe YAML) -> schema -> normalise ->
 * per-document rules. Cross-item rules (references resolve, dist-tags point
 * at versions, names not confusable) belong to validateRegistry. The value
 * is returned when the document passed the schema, even if rules found
 * problems, so callers can go on checking; use hasErrors(issues) to decide.
 *
 * @example
 * const { value, issues } = validateDocument('version', text, 'registry/loras/ac/acme/legal-7b/versions/1.0.0.yaml', { kind: 'lora' })
 */
export function validateDocument<T extends DocumentType>(
  type: T,
  source: string | Uint8Array,
  file: string,
  context: ValidateContext = {},
): { value: DocumentOf<T> | undefined; issues: Issue[] } {
  return validateLoaded(type, loadYaml(source, file), file, context)
}
