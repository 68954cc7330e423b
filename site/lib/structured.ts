import { type CatalogEntry, fileUrl } from '#core/catalog'
import type { DatasetVersion, VersionManifest } from '#core/manifest'
import type { SiteCatalog } from './catalog.ts'

/**
 * schema.org JSON-LD for an item page: a Dataset with Croissant's
 * FileObjects (name, content URL, size, sha256) for datasets, a
 * SoftwareApplication for everything else.
 *
 * @example structuredData(entry, latest, catalog)['@type'] // 'Dataset'
 */
export function structuredData(
  entry: CatalogEntry,
  latest: VersionManifest | undefined,
  catalog: SiteCatalog,
): Record<string, unknown> {
  const { item } = entry
  const url = new URL(entry.path, catalog.hub.base_url).href
  const license =
    item.license === 'other' ? item.license_link : `https://spdx.org/licenses/${item.license}.html`
  const creator = item.owners.map((ns) => {
    const owner = catalog.owners.get(ns)
    return {
      '@type': owner?.type === 'org' ? 'Organization' : 'Person',
      name: owner?.name ?? ns,
      url: new URL(`/owners/${ns}/`, catalog.hub.base_url).href,
    }
  })
  const common = {
    name: item.title,
    description: item.summary,
    url,
    identifier: entry.refText,
    keywords: item.tags ?? [],
    ...(license ? { license } : {}),
    ...(entry.latest ? { version: entry.latest } : {}),
    ...(entry.updated ? { dateModified: entry.updated } : {}),
    ...(entry.created ? { datePublished: entry.created } : {}),
    creator,
  }
  if (entry.ref.kind === 'dataset') {
    return {
      '@context': {
        '@vocab': 'https://schema.org/',
        cr: 'http://mlcommons.org/croissant/',
        sc: 'https://schema.org/',
      },
      '@type': 'sc:Dataset',
      conformsTo: 'http://mlcommons.org/croissant/1.0',
      ...common,
      distribution: (latest?.files ?? []).map((f) => ({
        '@type': 'cr:FileObject',
        '@id': f.path,
        name: f.path,
        contentSize: `${f.size} B`,
        sha256: f.sha256,
        ...(fileUrl(catalog.hub, f) ? { contentUrl: fileUrl(catalog.hub, f) } : {}),
      })),
      ...((latest as DatasetVersion | undefined)?.num_datapoints
        ? { size: `${(latest as DatasetVersion).num_datapoints} rows` }
        : {}),
    }
  }
  const price = item.pricing?.price
  return {
    '@context': 'https://schema.org',
    '@type': 'SoftwareApplication',
    applicationCategory: 'Machine learning',
    ...common,
    ...(price !== undefined
      ? {
          offers: {
            '@type': 'Offer',
            price,
            priceCurrency: (item.pricing?.currency ?? 'usd').toUpperCase(),
          },
        }
      : { offers: { '@type': 'Offer', price: 0, priceCurrency: 'USD' } }),
  }
}
