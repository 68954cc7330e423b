/** The artifact kinds a hub may enable (agora.yaml `kinds`). */
export const KINDS = [
  'model',
  'dataset',
  'adapter',
  'lora',
  'pipeline',
  'benchmark',
  'collection',
] as const

export type Kind = (typeof KINDS)[number]

/** Kinds whose items carry versioned files; collections only list other items. */
export const VERSIONED_KINDS: readonly Kind[] = KINDS.filter((k) => k !== 'collection')

/** `model` -> `models`, the folder and URL segment of a kind. */
export function kindPlural(kind: Kind): string {
  return `${kind}s`
}

/** `models` or `model` -> `model`; undefined for anything else. */
export function parseKind(word: string): Kind | undefined {
  const singular = word.endsWith('s') ? word.slice(0, -1) : word
  return (KINDS as readonly string[]).includes(singular) ? (singular as Kind) : undefined
}
