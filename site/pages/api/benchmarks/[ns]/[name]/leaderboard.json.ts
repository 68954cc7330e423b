import type { APIRoute, GetStaticPaths } from 'astro'
import { apiLeaderboard, type CatalogEntry } from '#core/catalog'
import { getCatalog } from '../../../../../lib/catalog.ts'

export const getStaticPaths = (async () => {
  const catalog = await getCatalog()
  return (catalog.byKind.get('benchmark') ?? []).map((entry) => ({
    params: { ns: entry.ref.ns, name: entry.ref.name },
    props: { key: entry.key },
  }))
}) satisfies GetStaticPaths

/** `/api/benchmarks/<ns>/<name>/leaderboard.json`: ranked results with verified flags. */
export const GET: APIRoute<{ key: string }> = async ({ props }) => {
  const catalog = await getCatalog()
  return Response.json(apiLeaderboard(catalog.byKey.get(props.key) as CatalogEntry, catalog))
}
