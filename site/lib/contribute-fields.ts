import type { Kind } from '#core/names'

export type FieldType = 'text' | 'textarea' | 'select' | 'list' | 'number' | 'metrics' | 'refs'

/** One input of the Contribute form and the manifest property it fills. */
export interface FormField {
  name: string
  label: string
  type: FieldType
  /** Kinds the field applies to; undefined means every kind. */
  kinds?: Kind[]
  required?: boolean
  help?: string
  options?: { value: string; label: string }[]
  placeholder?: string
}

/**
 * The Contribute form, field by field. The registry's rules stay the judge:
 * the form only gathers values, and every problem shown comes from
 * validateContribution, the checks `agora validate` runs.
 *
 * @example contributeFields(hub.domains, hub.licenses.allowed).map((f) => f.name) // ['ns', 'name', 'title', …]
 */
export function contributeFields(
  domains: { id: string; label: string }[],
  licenses: string[],
): FormField[] {
  return [
    {
      name: 'ns',
      label: 'Namespace',
      type: 'text',
      required: true,
      help: 'Your user or organisation namespace (registry/owners/<ns>.yaml).',
      placeholder: 'acme',
    },
    {
      name: 'name',
      label: 'Name',
      type: 'text',
      required: true,
      help: 'Lower-case letters and digits, with -, _ or . between them; 2 to 64 characters.',
      placeholder: 'tox-gnn',
    },
    { name: 'title', label: 'Title', type: 'text', required: true, placeholder: 'Tox GNN' },
    {
      name: 'summary',
      label: 'Summary',
      type: 'textarea',
      required: true,
      help: 'One sentence shown in lists and search results.',
    },
    {
      name: 'owners',
      label: 'Owners',
      type: 'list',
      required: true,
      help: 'Namespaces allowed to change the item, comma-separated.',
      placeholder: 'acme',
    },
    {
      name: 'license',
      label: 'Licence',
      type: 'select',
      required: true,
      options: [
        ...licenses.map((l) => ({ value: l, label: l })),
        { value: 'other', label: 'Other (give a name and a link)' },
      ],
    },
    {
      name: 'license_name',
      label: 'Licence name',
      type: 'text',
      help: 'Only for licence “other”.',
    },
    {
      name: 'license_link',
      label: 'Licence link',
      type: 'text',
      help: 'Only for licence “other”: an https URL.',
    },
    {
      name: 'domain',
      label: 'Domain',
      type: 'select',
      options: [
        { value: '', label: '(none)' },
        ...domains.map((d) => ({ value: d.id, label: d.label })),
      ],
    },
    {
      name: 'tags',
      label: 'Tags',
      type: 'list',
      help: 'Comma-separated.',
      placeholder: 'toxicology, gnn',
    },
    {
      name: 'pricing',
      label: 'Price model',
      type: 'select',
      options: ['free', 'per-download', 'per-query', 'subscription', 'enterprise'].map((v) => ({
        value: v,
        label: v,
      })),
    },
    {
      name: 'price',
      label: 'Price',
      type: 'number',
      help: 'In major units of the currency; not for free or enterprise.',
    },
    {
      name: 'pipeline_tag',
      label: 'Task (pipeline tag)',
      type: 'text',
      kinds: ['model'],
      placeholder: 'text-classification',
    },
    {
      name: 'library_name',
      label: 'Framework',
      type: 'text',
      kinds: ['model'],
      placeholder: 'pytorch',
    },
    { name: 'architecture', label: 'Architecture', type: 'text', kinds: ['model'] },
    {
      name: 'format',
      label: 'Format',
      type: 'text',
      kinds: ['dataset'],
      required: true,
      placeholder: 'smiles_csv',
    },
    { name: 'task_categories', label: 'Task categories', type: 'list', kinds: ['dataset'] },
    {
      name: 'adapter_type',
      label: 'Adapter type',
      type: 'select',
      kinds: ['adapter'],
      required: true,
      options: [
        { value: '', label: '(choose)' },
        ...['api', 'local', 'ml'].map((v) => ({ value: v, label: v })),
      ],
    },
    {
      name: 'protocol_version',
      label: 'Protocol version',
      type: 'text',
      kinds: ['adapter'],
      required: true,
      placeholder: '1.0',
    },
    {
      name: 'base_model',
      label: 'Base model',
      type: 'text',
      kinds: ['lora', 'model'],
      help: 'A registry reference (ns/name) or hf:org/name.',
      placeholder: 'hf:mistralai/Mistral-7B-v0.1',
    },
    { name: 'trigger_words', label: 'Trigger words', type: 'list', kinds: ['lora'] },
    { name: 'use_case', label: 'Use case', type: 'text', kinds: ['pipeline'], required: true },
    { name: 'task', label: 'Task', type: 'text', kinds: ['benchmark'], required: true },
    {
      name: 'metrics',
      label: 'Metrics',
      type: 'metrics',
      kinds: ['benchmark'],
      required: true,
      help: 'One per line: name, higher or lower (which is better).',
      placeholder: 'auc, higher',
    },
    {
      name: 'items',
      label: 'Items',
      type: 'refs',
      kinds: ['collection'],
      required: true,
      help: 'One reference per line ([kind/]ns/name), optionally followed by a note after “ - ”.',
      placeholder: 'datasets/acme/tox21 - training data',
    },
    {
      name: 'readme',
      label: 'README.md',
      type: 'textarea',
      required: true,
      help: 'The item’s card in Markdown: what it is, its intended use and limits. Every item needs one.',
      placeholder: '# Tox GNN',
    },
  ]
}
