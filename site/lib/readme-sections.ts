/** Sections an item page can generate from the manifest, and a README may already have. */
export type GeneratedSection = 'metrics' | 'baselines' | 'submission' | 'splits' | 'steps'

const HEADINGS: readonly [GeneratedSection, RegExp][] = [
  ['metrics', /\bmetrics?\b/],
  ['baselines', /\bbaselines?\b/],
  ['submission', /\bsubmi(t|ts|tting|ssions?)\b/],
  ['splits', /\bsplits?\b/],
  ['steps', /\bsteps?\b/],
]

/**
 * The generated sections a rendered README already covers, judged by its
 * headings: the page then shows the README's and generates only the rest.
 *
 * @example readmeSections('<h3 id="user-content-metrics">Metrics</h3>') // Set { 'metrics' }
 */
export function readmeSections(html: string): Set<GeneratedSection> {
  const found = new Set<GeneratedSection>()
  for (const match of html.matchAll(/<h[1-6][^>]*>([\s\S]*?)<\/h[1-6]>/gi)) {
    const text = (match[1] ?? '').replace(/<[^>]*>/g, '').toLowerCase()
    for (const [section, pattern] of HEADINGS) if (pattern.test(text)) found.add(section)
  }
  return found
}
