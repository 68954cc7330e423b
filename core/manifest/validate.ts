import type { Issue } from '#core/errors'
import type { Kind } from '#core/registry'
import { type Located, loadYaml } from './load.ts'
import { normalizeHub, normalizeItem } from './normalize.ts'
import {
  HUB_RULES,
  ITEM_RULES,
  OWNER_RULES,
  RESULT_RULES,
  type Rule,
  type RuleContext,
  ruleText,
  ruleUrls,
  VERSION_RULES,
} from './rules.ts'
import { type DocumentType, getValidator, schemaIssues } from './schema.ts'
import type {
  HubConfig,
  ItemManifest,
  OwnerManifest,
  ResultManifest,
  VersionManifest,
} from './types.ts'

/** The manifest type each document type loads into. */
export interface DocumentTypes {
  hub: HubConfig
  owner: OwnerManifest
  item: ItemManifest
  version: VersionManifest
  result: ResultManifest
}
export type DocumentOf<T extends DocumentType> = DocumentTypes[T]

export interface ValidateContext {
  /** The item's kind; required for 'version' documents, whose fields depend on it. */
  kind?: Kind
  /** The hub's settings, for rules that depend on them (licences, domains, kinds, reserved names). */
  hub?: HubConfig
}

const RULES: { [T in DocumentType]: readonly Rule<DocumentOf<T>>[] } = {
  hub: HUB_RULES,
  owner: OWNER_RULES,
  item: ITEM_RULES,
  version: VERSION_RULES,
  result: RESULT_RULES,
}

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
  if (loaded.value === undefined) return { value: undefined, issues: loaded.issues }
  const ctx: RuleContext = {
    file,
    located: loaded,
    hub: context.hub,
    kind: type === 'item' ? kindOf(loaded.value) : context.kind,
    issues: [...loaded.issues],
  }
  // First, on the value as written: a hidden character is worth reporting even
  // when the schema fails, and trimming tags would drop a trailing U+FEFF unseen.
  ruleText(loaded.value, ctx)
  const validator = getValidator(type, context.kind)
  if (!validator(loaded.value)) {
    return {
      value: undefined,
      issues: [
        ...ctx.issues,
        ...schemaIssues(validator.errors ?? [], type, loaded.value, loaded, file),
      ],
    }
  }
  let value = loaded.value as DocumentOf<T>
  if (type === 'item') value = normalizeItem(value as ItemManifest) as DocumentOf<T>
  if (type === 'hub') value = normalizeHub(value as HubConfig) as DocumentOf<T>
  ruleUrls(type, value, ctx)
  for (const rule of RULES[type] as readonly Rule<DocumentOf<T>>[]) rule(value, ctx)
  return { value, issues: ctx.issues }
}

function kindOf(value: unknown): Kind | undefined {
  const kind = (value as { kind?: unknown } | null)?.kind
  return typeof kind === 'string' ? (kind as Kind) : undefined
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
