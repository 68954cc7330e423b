import type { APIRoute, GetStaticPaths } from 'astro'
import { apiItem, type CatalogEntry } from '#core/catalog'
import { kindPlural } from '#core/names'
import { getCatalog } from '../../../../lib/catalog.ts'

export const getStaticPaths = (async () => {
  const catalog = await getCatalog()
  return catalog.entries.map((entry) => ({
    params: { kinds: kindPlural(entry.ref.kind), ns: entry.ref.ns, name: entry.ref.name },
    props: { key: entry.key },
    cacheKey: catalog.cacheKeyOf(entry.key),
  }))
}) satisfies GetStaticPaths

/** `/api/<kind>s/<ns>/<name>.json`: everything the item page shows, as data. */
export const GET: APIRoute<{ key: string }> = async ({ props }) => {
  const catalog = await getCatalog()
  const entry = catalog.byKey.get(props.key) as CatalogEntry
  return Response.json(apiItem(entry, await catalog.detailOf(entry.key), catalog))
}
