import type { APIRoute, GetStaticPaths } from 'astro'
import { API_VERSION, apiSummary, baseUrlOf, type CatalogEntry, paginate } from '#core/catalog'
import { kindPlural } from '#core/names'
import { getCatalog } from '../../../../lib/catalog.ts'

export const getStaticPaths = (async () => {
  const catalog = await getCatalog()
  return catalog.hub.kinds.flatMap((kind) =>
    paginate(catalog.byKind.get(kind) ?? []).map((page) => ({
      params: { kinds: kindPlural(kind), n: String(page.page) },
      props: { kind, page },
      cacheKey: catalog.cacheKeyOfList(
        page.items.map((e) => e.key),
        [page.total, page.pages, page.items.map((e) => e.trending)],
      ),
    })),
  )
}) satisfies GetStaticPaths

/** `/api/<kind>s/page/<n>.json`: one page of item summaries, trending first. */
export const GET: APIRoute<{
  kind: string
  page: ReturnType<typeof paginate<CatalogEntry>>[number]
}> = async ({ props }) => {
  const catalog = await getCatalog()
  const base = baseUrlOf(catalog.hub)
  const plural = `${props.kind}s`
  const { page } = props
  return Response.json({
    api_version: API_VERSION,
    kind: props.kind,
    page: page.page,
    pages: page.pages,
    total: page.total,
    next: page.page < page.pages ? `${base}/api/${plural}/page/${page.page + 1}.json` : null,
    items: page.items.map((e) => apiSummary(e, base)),
  })
}
