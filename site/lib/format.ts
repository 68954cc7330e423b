import type { CatalogEntry } from '#core/catalog'
import type { Pricing } from '#core/manifest'

/**
 * Human byte size with binary units.
 *
 * @example formatBytes(1536) // '1.5 KiB'
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}

/**
 * Compact count: 1.2k, 3.4M, 7B.
 *
 * @example formatCount(7_241_000_000) // '7.2B'
 */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)}B`
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)}k`
  return String(n)
}

/**
 * A price as shown on cards and item pages.
 *
 * @example formatPrice({ model: 'subscription', price: 9, currency: 'eur', interval: 'month' }) // '9 EUR / month'
 */
export function formatPrice(pricing: Pricing | undefined): string {
  if (!pricing || pricing.model === 'free') return 'Free'
  if (pricing.model === 'enterprise') return 'Enterprise (contact)'
  const amount =
    pricing.price === undefined
      ? ''
      : `${pricing.price} ${(pricing.currency ?? '').toUpperCase()}`.trim()
  switch (pricing.model) {
    case 'per-download':
      return `${amount} per download`
    case 'per-query':
      return `${amount} per query`
    case 'subscription':
      return `${amount} / ${pricing.interval ?? 'month'}`
  }
}

/**
 * The kind's display name.
 *
 * @example kindLabel('lora') // 'LoRAs'
 * @example kindLabel('lora', false) // 'LoRA'
 */
export function kindLabel(kind: string, plural = true): string {
  const names: Record<string, [string, string]> = {
    model: ['Model', 'Models'],
    dataset: ['Dataset', 'Datasets'],
    adapter: ['Adapter', 'Adapters'],
    lora: ['LoRA', 'LoRAs'],
    pipeline: ['Pipeline', 'Pipelines'],
    benchmark: ['Benchmark', 'Benchmarks'],
    collection: ['Collection', 'Collections'],
  }
  const pair = names[kind] ?? [kind, `${kind}s`]
  return plural ? pair[1] : pair[0]
}

/**
 * Status badge of an item: state and tone, or undefined when active.
 *
 * @example statusBadge(yankedEntry) // { label: 'yanked', tone: 'bad' }
 */
export function statusBadge(
  entry: CatalogEntry,
): { label: string; tone: 'warn' | 'bad' } | undefined {
  const state = entry.item.status?.state ?? 'active'
  if (state === 'active') return undefined
  return { label: state, tone: state === 'deprecated' ? 'warn' : 'bad' }
}

/**
 * JSON for a `<script type="application/ld+json">` block: `<` escaped so a
 * hostile title cannot close the element.
 *
 * @example jsonLd({ name: '</script>' }) // '{"name":"\\u003c/script>"}'
 */
export function jsonLd(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}
