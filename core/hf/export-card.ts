import { stringify } from 'yaml'
import type { ItemManifest as Item, ResultManifest } from '#core/manifest'
import { type CardFields, type HfRepoKind, mapFieldsToCard } from './card-map.ts'

/**
 * The Hub repository type an Agora kind goes to: datasets to datasets,
 * everything with weights (models, LoRAs) to models.
 *
 * @example hubKindOf('lora') // 'model'
 */
export function hubKindOf(kind: string): HfRepoKind {
  return kind === 'dataset' ? 'dataset' : 'model'
}

/**
 * The Hub card for an item: front matter from its fields (licence mapped back
 * to the Hub's ids, `hf:` references unprefixed), `model-index` from its
 * results (every one `verified: false`: the Hub's verification is its own),
 * keys of the item's own README front matter kept where Agora sets none,
 * then the card's body.
 *
 * @example buildHubCard(item, [], { license: 'mit' }, '# Tox GNN\n')
 */
export function buildHubCard(
  item: Item,
  results: ResultManifest[],
  ownFront: Record<string, unknown>,
  body: string,
  /** The Hub dataset id a result's benchmark reference stands for. */
  datasetOf: (benchmark: string) => string = (b) => b,
): { front: Record<string, unknown>; text: string } {
  const kind = hubKindOf(item.kind)
  const fields = { ...(item as unknown as CardFields), title: item.title }
  const mapped = mapFieldsToCard(fields, kind)
  const front: Record<string, unknown> = { ...ownFront, ...mapped }
  if (item.kind === 'lora' && front.base_model_relation === undefined && front.base_model) {
    front.base_model_relation = 'adapter'
  }
  if (kind === 'model' && results.length > 0) {
    const task = (item as { pipeline_tag?: string }).pipeline_tag ?? 'other'
    front['model-index'] = [
      {
        name: item.id.split('/')[1],
        results: results.map((r) => ({
          task: { type: task },
          dataset: { type: datasetOf(r.benchmark), name: datasetOf(r.benchmark) },
          metrics: Object.entries(r.scores).map(([type, value]) => ({
            type,
            value,
            verified: false,
          })),
          ...(r.source?.url
            ? { source: { url: r.source.url, ...(r.source.name ? { name: r.source.name } : {}) } }
            : {}),
        })),
      },
    ]
  }
  const text = `---\n${stringify(front)}---\n\n${body.replace(/^\n+/, '')}`
  return { front, text }
}
