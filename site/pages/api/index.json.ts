import type { APIRoute } from 'astro'
import { API_VERSION, baseUrlOf } from '#core/catalog'
import { kindPlural } from '#core/names'
import { getCatalog } from '../../lib/catalog.ts'

/** `/api/index.json`: the API's entry point, listing every endpoint family. */
export const GET: APIRoute = async () => {
  const catalog = await getCatalog()
  const base = baseUrlOf(catalog.hub)
  return Response.json({
    api_version: API_VERSION,
    hub: {
      name: catalog.hub.name,
      description: catalog.hub.description,
      base_url: catalog.hub.base_url,
      kinds: catalog.hub.kinds,
    },
    commit: catalog.build.commit ?? null,
    kinds: Object.fromEntries(
      catalog.hub.kinds.map((k) => [k, `${base}/api/${kindPlural(k)}.json`]),
    ),
    stats: `${base}/api/stats.json`,
    leaderboard_template: `${base}/api/benchmarks/{ns}/{name}/leaderboard.json`,
    sparse_index: `${base}/index/config.json`,
    docs: `${base}/docs/api/`,
  })
}
