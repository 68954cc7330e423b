import type { ValidateFunction } from 'ajv/dist/2020.js'
import type { Issue } from '#core/errors'
import type { Kind } from '#core/names'
import type { Located } from './load.ts'
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
import { type DocumentType, schemaIssues } from './schema-issues.ts'
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
 * Schema, normalisation and per-document rules on an already loaded value,
 * with the schema's compiled validator given: validateLoaded passes the one
 * ajv compiles at run time, the Contribute form one compiled at build time
 * (standalone code), so both run the same pipeline without the compiler in
 * the browser.
 *
 * @example validateWith(getValidator('owner'), 'owner', loadYaml(text, file), file)
 */
export function validateWith<T extends DocumentType>(
  validator: ValidateFunction,
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
