import type { HubConfig, ItemManifest } from './types.ts'

/**
 * Normalises an item after schema validation. Only spellings that mean the
 * same thing are folded: tags are case-insensitive labels (lower-cased,
 * trimmed, first occurrence kept) and currency codes are case-insensitive
 * (lower case, as Stripe writes them). Nothing else is rewritten, so what a
 * contributor wrote is what the site shows.
 *
 * @example normalizeItem({ …, tags: ['GNN', 'gnn ', 'Tox'] }).tags // ['gnn', 'tox']
 */
export function normalizeItem(item: ItemManifest): ItemManifest {
  if (item.tags) item.tags = [...new Set(item.tags.map((t) => t.trim().toLowerCase()))]
  if (item.pricing?.currency) item.pricing.currency = item.pricing.currency.toLowerCase()
  return item
}

/**
 * Normalises agora.yaml: the default currency in lower case.
 *
 * @example normalizeHub(hub).payments.currency // 'usd'
 */
export function normalizeHub(hub: HubConfig): HubConfig {
  hub.payments.currency = hub.payments.currency.toLowerCase()
  return hub
}
