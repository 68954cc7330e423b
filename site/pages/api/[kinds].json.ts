import type { APIRoute, GetStaticPaths } from 'astro'
import { API_VERSION, baseUrlOf, PAGE_SIZE } from '#core/catalog'
import { type Kind, kindPlural } from '#core/names'
import { getCatalog } from '../../lib/catalog.ts'

export const getStaticPaths = (async () => {
  const catalog = await getCatalog()
  return catalog.hub.kinds.map((kind) => ({ params: { kinds: kindPlural(kind) }, props: { kind } }))
}) satisfies GetStaticPaths

/** `/api/<kind>s.json`: how many items a kind has and where its pages are. */
export const GET: APIRoute<{ kind: Kind }> = async ({ props }) => {
  const catalog = await getCatalog()
  const total = catalog.byKind.get(props.kind)?.length ?? 0
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE))
  const base = baseUrlOf(catalog.hub)
  const plural = kindPlural(props.kind)
  return Response.json({
    api_version: API_VERSION,
    kind: props.kind,
    total,
    page_size: PAGE_SIZE,
    pages,
    order: 'trending',
    page_urls: Array.from({ length: pages }, (_, i) => `${base}/api/${plural}/page/${i + 1}.json`),
    item_url_template: `${base}/api/${plural}/{ns}/{name}.json`,
  })
}
