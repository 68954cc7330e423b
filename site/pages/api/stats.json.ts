import type { APIRoute } from 'astro'
import { API_VERSION } from '#core/catalog'
import { getCatalog } from '../../lib/catalog.ts'

/** `/api/stats.json`: the stats page's figures. */
export const GET: APIRoute = async () => {
  const catalog = await getCatalog()
  return Response.json({
    api_version: API_VERSION,
    as_of: catalog.asOf,
    downloads: null,
    ...catalog.stats,
  })
}
