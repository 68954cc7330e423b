import { stringify } from 'yaml'
import type { ItemManifest } from '#core/manifest'
import { formatRef, type ItemRef } from '#core/names'

/** The prose of a card; the rest is derived from the item. */
export interface CardText {
  /** Markdown paragraphs after the summary. */
  about: string
  /** Extra usage Markdown after the `agora pull` line. */
  usage?: string
  /** Further sections, in order. */
  sections?: { heading: string; body: string }[]
  limitations: string
  /** Extra front matter keys (e.g. `model-index`, `pretty_name`). */
  frontMatter?: Record<string, unknown>
}

/** Front matter keys shared with Hugging Face cards, copied from the item. */
function frontMatterOf(item: ItemManifest): Record<string, unknown> {
  const fm: Record<string, unknown> = { license: item.license }
  if (item.license_name) fm.license_name = item.license_name
  if (item.license_link) fm.license_link = item.license_link
  if (item.kind === 'model') {
    if (item.library_name) fm.library_name = item.library_name
    if (item.pipeline_tag) fm.pipeline_tag = item.pipeline_tag
    if (item.language) fm.language = item.language
  }
  if (item.kind === 'lora') fm.library_name = 'peft'
  if (item.kind === 'dataset') {
    fm.pretty_name = item.title
    if (item.task_categories) fm.task_categories = item.task_categories
    if (item.size_categories) fm.size_categories = item.size_categories
  }
  if (item.base_model) fm.base_model = item.base_model
  if (item.base_model_relation) fm.base_model_relation = item.base_model_relation
  if (item.datasets) fm.datasets = item.datasets
  if (item.tags) fm.tags = item.tags
  return fm
}

/**
 * An HF-style README card: YAML front matter, title, a plain note that this
 * is sample data, summary, description, usage with `agora pull`, extra
 * sections, limitations and citation.
 *
 * @example renderCard(item, '1.2.0', { about: '…', limitations: '…' }).startsWith('---\n') // true
 */
export function renderCard(
  item: ItemManifest,
  latest: string | undefined,
  text: CardText,
  latestManifest?: Record<string, unknown>,
): string {
  const [ns = '', name = ''] = item.id.split('/')
  const ref: ItemRef = { kind: item.kind, ns, name }
  const fm = { ...frontMatterOf(item), ...(text.frontMatter ?? {}) }
  const parts = [
    `---\n${stringify(fm, { lineWidth: 0 })}---`,
    `# ${item.title}`,
    '> **Sample data.** This card is part of the sample hub that ships with Agora. The people, organisations, scores and most files are made up for demonstration; see `registry/README.md`.',
    item.summary,
    text.about.trim(),
    '## Usage',
    // A collection has no files of its own: pulling it means pulling its entries.
    item.kind === 'collection'
      ? `\`\`\`bash\n${item.items.map((e) => `agora pull ${e.ref}`).join('\n')}\n\`\`\``
      : `\`\`\`bash\nagora pull ${formatRef(ref)}${latest ? `@${latest}` : ''}\n\`\`\``,
  ]
  if (text.usage) parts.push(text.usage.trim())
  for (const s of [...derivedSections(item, latestManifest), ...(text.sections ?? [])]) {
    parts.push(`## ${s.heading}`, s.body.trim())
  }
  parts.push('## Limitations', text.limitations.trim())
  if (item.citation) parts.push('## Citation', `\`\`\`bibtex\n${item.citation.trim()}\n\`\`\``)
  return `${parts.join('\n\n')}\n`
}

const cell = (v: unknown): string => String(v ?? '').replace(/\|/g, '\\|')

function table(header: string[], rows: unknown[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n')
}

/** Sections every card of a kind gets from its manifests: metrics, steps, splits. */
function derivedSections(
  item: ItemManifest,
  latest: Record<string, unknown> | undefined,
): { heading: string; body: string }[] {
  const out: { heading: string; body: string }[] = []
  if (item.kind === 'benchmark') {
    out.push({
      heading: 'Metrics',
      body: table(
        ['metric', 'better', 'unit', 'meaning'],
        item.metrics.map((m) => [
          `\`${m.name}\``,
          m.higher_is_better ? 'higher' : 'lower',
          m.unit ?? '',
          m.description ?? '',
        ]),
      ),
    })
    if (item.baselines?.length) {
      const names = item.metrics.map((m) => m.name)
      out.push({
        heading: 'Baselines',
        body: table(
          ['baseline', ...names],
          item.baselines.map((b) => [b.name, ...names.map((n) => b.scores[n] ?? '–')]),
        ),
      })
    }
    if (item.submission_guidelines)
      out.push({ heading: 'Submitting results', body: item.submission_guidelines })
  }
  const steps = latest?.steps as { id: string; uses: string; version?: string }[] | undefined
  if (item.kind === 'pipeline' && steps) {
    out.push({
      heading: 'Steps',
      body: `${table(
        ['step', 'runs', 'version'],
        steps.map((s) => [s.id, `\`${s.uses}\``, s.version ? `\`${s.version}\`` : 'latest']),
      )}\n\nEach step runs after the one before it and names its item with a semver range.`,
    })
  }
  const splits = latest?.splits as
    | { name: string; num_rows: number; files?: string[] }[]
    | undefined
  if (item.kind === 'dataset' && splits) {
    out.push({
      heading: 'Splits',
      body: table(
        ['split', 'rows', 'files'],
        splits.map((s) => [s.name, s.num_rows, (s.files ?? []).map((f) => `\`${f}\``).join(', ')]),
      ),
    })
  }
  return out
}

/**
 * A BibTeX entry for a sample item, clearly marked as such in its note.
 *
 * @example bibtex('tanaka2025dock', 'DockScore-GNN', 'Tanaka, Aiko and Beltran, M.', 2025, 'https://…')
 */
export function bibtex(
  key: string,
  title: string,
  author: string,
  year: number,
  url: string,
): string {
  return [
    `@misc{${key},`,
    `  title  = {${title}},`,
    `  author = {${author}},`,
    `  year   = {${year}},`,
    `  url    = {${url}},`,
    '  note   = {Sample entry of the Agora demo hub}',
    '}',
  ].join('\n')
}
