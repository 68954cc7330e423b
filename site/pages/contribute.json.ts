import type { APIRoute } from 'astro'
import type { ContributionFacts } from '#core/registry'
import { getCatalog } from '../lib/catalog.ts'

/**
 * `/contribute.json`: what the Contribute form checks a new item against, as
 * `agora validate` would: the hub's settings, the namespaces that have an
 * owner file, and the ids (`<kind>/<ns>/<name>`) already taken.
 */
export const GET: APIRoute = async () => {
  const catalog = await getCatalog()
  const facts: ContributionFacts = {
    hub: catalog.hub,
    owners: [...catalog.owners.keys()].sort(),
    items: catalog.entries.map((e) => e.key).sort(),
  }
  return Response.json(facts)
}
