import { describe, expect, it } from 'vitest'
import type { Kind } from '#core/names'
import { getValidator } from '#core/schema'
import { SCHEMAS, type SchemaNode } from './schema-issues.ts'
import type {
  AdapterItem,
  AdapterVersion,
  BenchmarkItem,
  BenchmarkVersion,
  CollectionItem,
  DatasetItem,
  DatasetVersion,
  HubConfig,
  ItemCommon,
  LoraItem,
  LoraVersion,
  ModelItem,
  ModelVersion,
  OwnerManifest,
  PipelineItem,
  PipelineVersion,
  ResultManifest,
  VersionCommon,
} from './types.ts'

/**
 * Every optional field made required, all the way down: a sample typed this
 * way must spell out every field the TypeScript type has, so the schema
 * accepting it (with unknown fields refused) proves the schema has them all.
 */
type Complete<T> = T extends readonly (infer U)[]
  ? Complete<U>[]
  : T extends object
    ? { [K in keyof T]-?: Complete<T[K]> }
    : T

const SHA = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'
const links: Complete<NonNullable<ItemCommon['links']>> = {
  homepage: 'https://acme.example',
  paper: 'https://arxiv.org/abs/1',
  code: 'https://github.com/acme/x',
  docs: 'https://acme.example/docs',
}

function common<K extends Kind>(kind: K): Complete<Omit<ItemCommon, 'kind'>> & { kind: K } {
  return {
    kind,
    id: 'acme/x',
    title: 'X',
    summary: 'An X.',
    owners: ['acme'],
    tags: ['x'],
    domain: 'nlp',
    license: 'other',
    license_name: 'acme-license',
    license_link: 'https://acme.example/LICENSE',
    pricing: {
      model: 'subscription',
      price: 10,
      currency: 'usd',
      interval: 'month',
      query_limit: 1000,
      contact: 'mailto:sales@acme.example',
      payment_link: 'https://buy.stripe.com/test_x',
    },
    links,
    citation: '@misc{x}',
    base_model: ['acme/base', 'hf:org/base'],
    base_model_revision: '1.0.0',
    base_model_relation: 'merge',
    forked_from: 'acme/y',
    'dist-tags': { latest: '1.0.0' },
    status: { state: 'deprecated', reason: 'Old.', replacement: 'acme/z', date: '2025-01-01' },
    datasets: ['datasets/acme/d'],
  }
}

const hardware = { cpu: '4 cores', gpu: 'A10G', tpu: 'v4', memory_gb: 16, gpu_memory_gb: 24 }

const items: {
  [K in Kind]: Complete<
    Extract<
      | ModelItem
      | DatasetItem
      | AdapterItem
      | LoraItem
      | PipelineItem
      | BenchmarkItem
      | CollectionItem,
      { kind: K }
    >
  >
} = {
  model: {
    ...common('model'),
    pipeline_tag: 'graph-ml',
    library_name: 'pytorch',
    architecture: 'GIN',
    hardware,
    language: ['en'],
  },
  dataset: {
    ...common('dataset'),
    format: 'parquet',
    task_categories: ['text-classification'],
    size_categories: 'n<1K',
    language: ['en'],
    usage_restrictions: 'Research only.',
  },
  adapter: {
    ...common('adapter'),
    adapter_type: 'api',
    protocol_version: '1.0',
    credentials: [{ name: 'KEY', description: 'API key', required: true }],
    rate_limits: { requests_per_minute: 60, requests_per_day: 1000, concurrent: 2 },
  },
  lora: { ...common('lora'), trigger_words: ['xyz'] },
  pipeline: { ...common('pipeline'), use_case: 'Screening' },
  benchmark: {
    ...common('benchmark'),
    task: 'classification',
    metrics: [{ name: 'auc', higher_is_better: true, unit: '%', description: 'AUC' }],
    baselines: [{ name: 'rf', scores: { auc: 0.7 }, source: 'https://arxiv.org/abs/2' }],
    submission_guidelines: 'Open a PR.',
  },
  collection: { ...common('collection'), items: [{ ref: 'acme/x@1.0.0', note: 'Why.' }] },
}

const versionCommon: Complete<VersionCommon> = {
  version: '1.0.0',
  released: '2025-01-31',
  changelog: 'First.',
  files: [
    { path: 'a.bin', size: 1, sha256: SHA, url: 'https://acme.example/a.bin', private: true },
  ],
  metrics: [{ name: 'auc', value: 0.8, dataset: 'datasets/acme/d', split: 'test' }],
  status: { state: 'yanked', reason: 'Broken.', date: '2025-02-01' },
}

const versions: { [K in Exclude<Kind, 'collection'>]: object } = {
  model: {
    ...versionCommon,
    training_data_size: 10,
    parameters: 100,
    inference: {
      runtime: 'onnx',
      file: 'a.bin',
      input: 'X',
      features: {
        type: 'morgan',
        column: 'smiles',
        radius: 2,
        bits: 2048,
        aromaticity: true,
        columns: ['mw'],
      },
      output: 'Y',
      tasks: [{ name: 'herg', index: 0 }],
      batch_size: 4096,
    },
    runner: { use: 'lora-reference', batch_size: 8, max_new_tokens: 32 },
  } satisfies Complete<ModelVersion>,
  dataset: {
    ...versionCommon,
    num_datapoints: 10,
    splits: [{ name: 'train', num_rows: 10, files: ['a.bin'] }],
    quality: { duplicate_rate: 0, coverage: 1, missing_rate: 0 },
  } satisfies Complete<DatasetVersion>,
  adapter: {
    ...versionCommon,
    input_schema: { type: 'object' },
    output_schema: { type: 'object' },
    dependencies: [{ name: 'requests', version: '>=2' }],
  } satisfies Complete<AdapterVersion>,
  lora: {
    ...versionCommon,
    r: 8,
    lora_alpha: 16,
    target_modules: ['q_proj'],
    lora_dropout: 0.1,
    training: {
      samples: 1,
      epochs: 1,
      steps: 1,
      learning_rate: 0.001,
      dataset: 'datasets/acme/d',
      hardware: 'A100',
    },
    runner: { use: 'lora-reference', batch_size: 8, max_new_tokens: 32 },
  } satisfies Complete<LoraVersion>,
  pipeline: {
    ...versionCommon,
    steps: [{ id: 's', uses: 'adapters/acme/a', version: '^1.0.0', config: { a: 1 } }],
    expected_runtime_s: 1,
    success_rate: 1,
  } satisfies Complete<PipelineVersion>,
  benchmark: {
    ...versionCommon,
    test_files: ['a.bin'],
    evaluation: {
      test_set: 'a.bin',
      id_column: 'id',
      prompt: 'prompt',
      predictions: { format: 'csv', id_column: 'id', higher_is_better: false },
      tasks: [{ name: 'nr-ar', label: 'NR-AR', prediction: 'NR-AR' }],
      metrics: [
        {
          name: 'ef1',
          function: 'enrichment_factor',
          k: 1,
          fraction: 0.01,
          alpha: 20,
          threshold: 0.5,
          tasks: ['nr-ar'],
          normalize: true,
          require: 'all',
        },
      ],
    },
  } satisfies Complete<BenchmarkVersion>,
}

const hubBase: Complete<Omit<HubConfig, 'storage'>> = {
  name: 'Hub',
  description: 'A hub.',
  base_url: 'https://hub.example.org',
  repository: { owner: 'o', name: 'r', default_branch: 'main' },
  raw_url_template: 'https://raw.example.org/{commit}/{path}',
  kinds: ['model'],
  domains: [{ id: 'nlp', label: 'NLP', description: 'Language.' }],
  licenses: { allowed: ['MIT'], allow_other: true },
  payments: {
    provider: 'stripe',
    currency: 'usd',
    platform_fee_percent: 10,
    licence_service: 'https://licences.agora.example',
    licence_keys: [
      {
        id: 'l1',
        algorithm: 'ed25519',
        public_key: '11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=',
      },
    ],
    meter_event: 'agora_queries',
  },
  keys: [
    { id: 'k', algorithm: 'ed25519', public_key: '11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=' },
  ],
  hf: { static: false },
  staff_picks: ['acme/x'],
  qa: {
    identity: 'agora-qa-bot',
    grades: {
      default: { baseline_ratio: { A: 1.5, B: 1.2, C: 1 } },
      benchmarks: { 'acme/b': { auc: { A: 0.9, B: 0.8, C: 0.7 } } },
    },
    stability: { runs: 3, rsd_percent: 5 },
    lora_latency_factor: 2,
    runners: { cpu: ['ubuntu-24.04'], gpu: ['self-hosted', 'gpu'] },
    gpu_pools: [
      { name: 'a10g', labels: ['self-hosted', 'gpu', 'a10g'], gpu: 'A10G', memory_gb: 24 },
    ],
    command_runners: {
      'lora-reference': {
        command: ['node', 'scripts/runners/lora.ts'],
        pool: 'cpu',
        device: 'cpu',
        timeout_s: 600,
        idle_timeout_s: 120,
      },
    },
    red_team: {
      benchmark: 'acme/red-team',
      min_refusal_rate: 0.9,
      refusal: ['cannot'],
      banned: [{ name: 'weapons', patterns: ['detonat'] }],
    },
  },
  reserved_names: ['x-official'],
}
const hubs: Record<'fs' | 's3', Complete<HubConfig>> = {
  fs: {
    ...hubBase,
    storage: { type: 'fs', path: '.agora/blobs', public_url: 'https://blobs.example.org' },
  },
  s3: {
    ...hubBase,
    storage: {
      type: 's3',
      bucket: 'b',
      region: 'auto',
      endpoint: 'https://s3.example.org',
      force_path_style: true,
      public_url: 'https://cdn.example.org',
      private_prefix: 'private/',
    },
  },
}

const owner: Complete<OwnerManifest> = {
  type: 'org',
  name: 'Acme',
  github: 'acme',
  members: ['octocat'],
  bio: 'We.',
  avatar_url: 'https://avatars.example.org/a.png',
  links,
  payout: { stripe_account: 'acct_1' },
}

const result: Complete<ResultManifest> = {
  benchmark: 'benchmarks/acme/b',
  benchmark_version: '1.0.0',
  version: '1.0.0',
  scores: { auc: 0.8 },
  date: '2025-01-01',
  source: { name: 'QA', url: 'https://ci.example.org/1', user: 'octocat' },
  verified: false,
  provenance: {
    runner: 'predictions',
    benchmark: { ref: 'benchmarks/acme/b', version: '1.0.0', manifest_sha256: SHA },
    test_set_sha256: SHA,
    item: { ref: 'models/acme/m', version: '1.0.0', manifest_sha256: SHA },
    predictions_sha256: SHA,
    model_sha256: SHA,
    batch_size: 64,
    latency_ms: { p50: 1.2, p95: 1.9, p99: 2.4 },
    commit: '0123456789abcdef0123456789abcdef01234567',
    time: '2025-01-01T00:00:00.000Z',
  },
  grade: 'B',
  stability: { runs: 3, rsd_percent: 0.4 },
  history: [{ version: '0.9.0', scores: { auc: 0.75 }, date: '2024-12-01', grade: 'C' }],
}

/** Property names the schema allows at this node for this data (following $ref and matching if/then). */
function schemaProperties(
  root: SchemaNode,
  node: SchemaNode,
  data: Record<string, unknown>,
): Map<string, SchemaNode> {
  const out = new Map<string, SchemaNode>()
  const add = (props: SchemaNode['properties']) => {
    for (const [k, v] of Object.entries(props ?? {})) if (typeof v === 'object') out.set(k, v)
  }
  add(node.properties)
  if (node.$ref?.startsWith('#/$defs/')) {
    const target = root.$defs?.[node.$ref.slice('#/$defs/'.length)]
    if (target) for (const [k, v] of schemaProperties(root, target, data)) out.set(k, v)
  }
  for (const branch of node.allOf ?? []) {
    const cond = Object.entries(branch.if?.properties ?? {})
    if (
      cond.every(([k, v]) => typeof v === 'object' && v.const !== undefined && data[k] === v.const)
    ) {
      add(branch.then?.properties)
    }
  }
  return out
}

/** Paths of schema properties the sample lacks: the TypeScript type does not have them. */
function missingFromSample(
  root: SchemaNode,
  node: SchemaNode,
  sample: unknown,
  path = '',
): string[] {
  if (Array.isArray(sample)) {
    return node.items
      ? sample.flatMap((s, i) =>
          missingFromSample(root, node.items as SchemaNode, s, `${path}[${i}]`),
        )
      : []
  }
  if (typeof sample !== 'object' || sample === null || node.anyOf) return []
  const data = sample as Record<string, unknown>
  const props = schemaProperties(root, node, data)
  const missing: string[] = []
  for (const [name, child] of props) {
    if (!(name in data)) missing.push(`${path}${path ? '.' : ''}${name}`)
    else
      missing.push(
        ...missingFromSample(root, child, data[name], `${path}${path ? '.' : ''}${name}`),
      )
  }
  return missing
}

describe('core/manifest/types', () => {
  const cases: [
    string,
    'hub' | 'owner' | 'item' | 'version' | 'result',
    Kind | undefined,
    object,
  ][] = [
    ['hub (fs storage)', 'hub', undefined, hubs.fs],
    ['hub (s3 storage)', 'hub', undefined, hubs.s3],
    ['owner', 'owner', undefined, owner],
    ['result', 'result', undefined, result],
    ...Object.entries(items).map(
      ([k, v]) => [`item ${k}`, 'item', k as Kind, v] as [string, 'item', Kind, object],
    ),
    ...Object.entries(versions).map(
      ([k, v]) => [`version ${k}`, 'version', k as Kind, v] as [string, 'version', Kind, object],
    ),
  ]

  it.each(cases)(
    '%s: the complete typed sample validates against the schema',
    (_, type, kind, sample) => {
      const validate = getValidator(type, kind)
      const ok = validate(structuredClone(sample))
      expect(validate.errors ?? []).toEqual([])
      expect(ok).toBe(true)
    },
  )

  it.each(cases.filter(([, type]) => type !== 'hub'))(
    '%s: every schema field is in the TypeScript type',
    (_, type, kind, sample) => {
      const root = SCHEMAS[type]
      const node = type === 'version' ? (root.$defs?.[kind as string] as SchemaNode) : root
      expect(missingFromSample(root, node, sample)).toEqual([])
    },
  )

  it('hub: every schema field is in the TypeScript type of one storage backend or the other', () => {
    const inS3 = new Set(missingFromSample(SCHEMAS.hub, SCHEMAS.hub, hubs.s3))
    expect(missingFromSample(SCHEMAS.hub, SCHEMAS.hub, hubs.fs).filter((p) => inS3.has(p))).toEqual(
      [],
    )
  })

  it('catches drift: a field missing from the sample is reported', () => {
    const { citation: _, ...withoutCitation } = items.model
    expect(missingFromSample(SCHEMAS.item, SCHEMAS.item, withoutCitation)).toEqual(['citation'])
  })

  it('every schema property carries a description and examples', () => {
    const bare: string[] = []
    const visit = (node: SchemaNode | boolean | undefined, path: string, documented: boolean) => {
      if (typeof node !== 'object') return
      if (documented && (!node.description || !node.examples?.length)) bare.push(path)
      for (const [name, child] of Object.entries(node.properties ?? {})) {
        visit(child, `${path}.${name}`, true)
      }
      visit(node.items, `${path}[]`, false)
      if (typeof node.additionalProperties === 'object')
        visit(node.additionalProperties, `${path}.*`, false)
      for (const [name, def] of Object.entries(node.$defs ?? {}))
        visit(def, `${path}#${name}`, false)
      // Branches restate properties to constrain them; the kind-specific ones are new fields.
      for (const [i, branch] of (node.allOf ?? []).entries()) {
        for (const [name, child] of Object.entries(branch.then?.properties ?? {})) {
          if (typeof child === 'object') visit(child, `${path}.allOf[${i}].${name}`, true)
        }
      }
    }
    visit({ properties: { bare: { type: 'string' } } }, 'probe', false)
    expect(bare).toEqual(['probe.bare'])
    bare.length = 0
    for (const [name, schema] of Object.entries(SCHEMAS)) visit(schema, name, false)
    expect(bare).toEqual([])
  })
})
