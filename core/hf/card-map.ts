import { isSpdxId, suggestSpdxId } from '#core/manifest'

/** The Hub repository types an item can come from or go to. */
export type HfRepoKind = 'model' | 'dataset'

/** Agora fields read from a Hub card's front matter. */
export interface CardFields {
  license: string
  license_name?: string
  license_link?: string
  tags?: string[]
  base_model?: string | string[]
  base_model_relation?: 'adapter' | 'finetune' | 'merge' | 'quantized'
  datasets?: string[]
  language?: string[]
  /** Models only. */
  library_name?: string
  pipeline_tag?: string
  /** Datasets only. */
  task_categories?: string[]
  size_categories?: string
}

/** What a card maps to: the fields, and every front-matter path Agora does not keep. */
export interface CardImport {
  fields: CardFields
  /** The title the card gives (`pretty_name`, `model_name`), if any. */
  title?: string
  /**
   * Front-matter keys (or `key[i]` for one list entry) that have no Agora
   * field and are left out, each with why.
   */
  dropped: { path: string; reason: string }[]
}

/** Agora's tag and split alphabet: what may become part of a site URL. */
const ID_WORD = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/
const RELATIONS = new Set(['adapter', 'finetune', 'merge', 'quantized'])
const HF_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*(?:\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/

/**
 * Maps a Hub card's front matter onto Agora's item fields. Values Agora
 * cannot hold (a tag outside the id alphabet, a second licence) and keys it
 * does not model are listed in `dropped`, never silently lost.
 *
 * @example
 * mapCardToFields({ license: 'apache-2.0', tags: ['exbert'] }, 'model', 'google-bert/bert-base-uncased').fields
 * // { license: 'Apache-2.0', tags: ['exbert'] }
 */
export function mapCardToFields(
  front: Record<string, unknown>,
  kind: HfRepoKind,
  repoId: string,
  repoUrl = `https://huggingface.co/${kind === 'dataset' ? 'datasets/' : ''}${repoId}`,
): CardImport {
  const dropped: CardImport['dropped'] = []
  const fields: CardFields = { license: 'other' }
  const handled = new Set<string>()
  const take = (key: string): unknown => {
    handled.add(key)
    return front[key]
  }

  let license = take('license')
  if (Array.isArray(license)) {
    license.slice(1).forEach((_, i) => {
      dropped.push({ path: `license[${i + 1}]`, reason: 'an Agora item has one licence' })
    })
    license = license[0]
  }
  const name = take('license_name')
  const link = take('license_link')
  const spdx = typeof license === 'string' ? spdxOf(license) : undefined
  if (spdx) {
    fields.license = spdx
    if (typeof name === 'string') dropped.push({ path: 'license_name', reason: 'SPDX licence' })
    if (typeof link === 'string') dropped.push({ path: 'license_link', reason: 'SPDX licence' })
  } else {
    // A Hub licence id that is not SPDX (llama3, openrail, other, unknown):
    // Agora says `other` and keeps the Hub's id as the licence name.
    fields.license = 'other'
    fields.license_name =
      typeof name === 'string'
        ? name
        : typeof license === 'string' && license !== 'other'
          ? license
          : `${repoId} licence`
    fields.license_link =
      typeof link === 'string' && /^https:\/\//.test(link) ? link : `${repoUrl}/blob/main/README.md`
  }

  const tags = stringList(take('tags'))
  const keptTags: string[] = []
  tags.forEach((tag, i) => {
    const lower = tag.trim().toLowerCase()
    if (ID_WORD.test(lower)) keptTags.push(lower)
    else dropped.push({ path: `tags[${i}]`, reason: `"${tag}" is not a lower-case tag word` })
  })
  if (keptTags.length > 0) fields.tags = [...new Set(keptTags)]

  const base = take('base_model')
  const bases = stringList(base)
  if (bases.length > 0 && bases.every((b) => HF_ID.test(b))) {
    const refs = bases.map((b) => `hf:${b}`)
    fields.base_model = Array.isArray(base) ? refs : (refs[0] as string)
  } else if (base !== undefined) dropped.push({ path: 'base_model', reason: 'not a Hub repo id' })
  const relation = take('base_model_relation')
  if (typeof relation === 'string' && RELATIONS.has(relation)) {
    fields.base_model_relation = relation as NonNullable<CardFields['base_model_relation']>
  } else if (relation !== undefined) {
    dropped.push({
      path: 'base_model_relation',
      reason: 'not adapter, finetune, merge or quantized',
    })
  }

  const datasets = stringList(take('datasets'))
  const keptDatasets: string[] = []
  datasets.forEach((d, i) => {
    if (HF_ID.test(d)) keptDatasets.push(`hf:${d}`)
    else dropped.push({ path: `datasets[${i}]`, reason: 'not a Hub repo id' })
  })
  if (keptDatasets.length > 0) fields.datasets = keptDatasets

  if (kind === 'model') {
    const library = take('library_name')
    if (typeof library === 'string') fields.library_name = library
    const pipeline = take('pipeline_tag')
    if (typeof pipeline === 'string') fields.pipeline_tag = pipeline
  } else {
    const tasks = stringList(take('task_categories'))
    const keptTasks: string[] = []
    tasks.forEach((task, i) => {
      if (ID_WORD.test(task)) keptTasks.push(task)
      else
        dropped.push({
          path: `task_categories[${i}]`,
          reason: `"${task}" is not a lower-case task word`,
        })
    })
    if (keptTasks.length > 0) fields.task_categories = [...new Set(keptTasks)]
    const size = take('size_categories')
    const sizes = stringList(size)
    if (sizes.length > 0) {
      fields.size_categories = sizes[0] as string
      sizes.slice(1).forEach((_, i) => {
        dropped.push({ path: `size_categories[${i + 1}]`, reason: 'an Agora item has one size' })
      })
    }
  }

  const language = stringList(take('language'))
  if (language.length > 0) fields.language = [...new Set(language)]

  let title: string | undefined
  for (const key of ['pretty_name', 'model_name']) {
    const value = take(key)
    if (typeof value === 'string' && value.trim() !== '' && title === undefined) title = value
    else if (value !== undefined) dropped.push({ path: key, reason: 'the title is already set' })
  }

  for (const key of Object.keys(front)) {
    if (!handled.has(key)) {
      dropped.push({
        path: key,
        reason:
          key === 'model-index'
            ? 'results are filed only under benchmark items of this hub (agora import hf does that)'
            : 'Agora has no such field',
      })
    }
  }
  return { fields, ...(title === undefined ? {} : { title }), dropped }
}

/**
 * The Hub front matter for an item's fields: the inverse of
 * {@link mapCardToFields} for everything it keeps. `hf:` references lose
 * their prefix; registry references have no Hub id and are left out.
 *
 * @example mapFieldsToCard({ license: 'MIT', base_model: 'hf:org/base' }, 'model')
 * // { license: 'mit', base_model: 'org/base' }
 */
export function mapFieldsToCard(
  fields: CardFields & { title?: string },
  kind: HfRepoKind,
): Record<string, unknown> {
  const card: Record<string, unknown> = {}
  if (fields.license === 'other') {
    // A Hub licence id kept as the name goes back as the id.
    if (fields.license_name && HUB_LICENSE_IDS.has(fields.license_name)) {
      card.license = fields.license_name
    } else {
      card.license = 'other'
      if (fields.license_name) card.license_name = fields.license_name
      if (fields.license_link) card.license_link = fields.license_link
    }
  } else {
    card.license = fields.license.toLowerCase()
  }
  if (kind === 'dataset' && fields.title) card.pretty_name = fields.title
  if (fields.tags?.length) card.tags = [...fields.tags]
  const hub = (refs: string[]): string[] =>
    refs.filter((r) => r.startsWith('hf:')).map((r) => r.slice(3))
  if (fields.base_model !== undefined) {
    const bases = hub(Array.isArray(fields.base_model) ? fields.base_model : [fields.base_model])
    if (bases.length > 0) card.base_model = Array.isArray(fields.base_model) ? bases : bases[0]
  }
  if (fields.base_model_relation) card.base_model_relation = fields.base_model_relation
  if (fields.datasets) {
    const datasets = hub(fields.datasets)
    if (datasets.length > 0) card.datasets = datasets
  }
  if (kind === 'model') {
    if (fields.library_name) card.library_name = fields.library_name
    if (fields.pipeline_tag) card.pipeline_tag = fields.pipeline_tag
  } else {
    if (fields.task_categories?.length) card.task_categories = [...fields.task_categories]
    if (fields.size_categories) card.size_categories = fields.size_categories
  }
  if (fields.language?.length) card.language = [...fields.language]
  return card
}

/**
 * Hub licence ids that are not SPDX ids, from the Hub's licence list
 * (huggingface/hub-docs docs/hub/repositories-licenses.md).
 */
const HUB_LICENSE_IDS: ReadonlySet<string> = new Set([
  'openrail',
  'bigscience-openrail-m',
  'creativeml-openrail-m',
  'bigscience-bloom-rail-1.0',
  'bigcode-openrail-m',
  'openrail++',
  'llama2',
  'llama3',
  'llama3.1',
  'llama3.2',
  'llama3.3',
  'llama4',
  'gemma',
  'cc-by-nc-sa-3.0',
  'deepfloyd-if-license',
  'c-uda',
  'apple-amlr',
  'apple-ascl',
  'unknown',
])

/** The SPDX id the Hub's lower-case licence id names, if it names one. */
function spdxOf(hubId: string): string | undefined {
  if (isSpdxId(hubId)) return hubId
  const suggestion = suggestSpdxId(hubId)
  return suggestion !== undefined && suggestion.toLowerCase() === hubId.toLowerCase()
    ? suggestion
    : undefined
}

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string')
  return []
}
