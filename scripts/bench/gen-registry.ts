/**
 * Writes a synthetic registry that validates clean: agora.yaml, owners and
 * N items across every kind, with versions, READMEs and benchmark results,
 * with realistic names, tags, licences, prices and file sizes.
 *
 *   ./node_modules/.bin/node scripts/bench/gen-registry.ts --items 100000 --out /tmp/reg [--seed 1]
 *
 * Names are built so that no two share a confusable skeleton: a readable
 * word plus a unique code drawn from characters the skeleton never folds.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

type Kind = 'model' | 'dataset' | 'adapter' | 'lora' | 'pipeline' | 'benchmark' | 'collection'

/** Letters and digits that nameSkeleton leaves alone and that form no look-alike pair (no i l o m r v w 0 1). */
const SAFE = 'abcdefghjknpqstuxyz23456789'

const ORG_WORDS = [
  'acme',
  'helix',
  'quanta',
  'deepchem',
  'pharma',
  'nlp',
  'vision',
  'bio',
  'open',
  'edge',
  'atlas',
  'nova',
  'zen',
  'lab',
  'data',
  'tensor',
  'pixel',
  'audio',
  'legal',
  'geo',
]
const ITEM_WORDS: Record<Kind, string[]> = {
  model: [
    'tox-gnn',
    'bert-base',
    'llama-7b',
    'vit-small',
    'whisper-tiny',
    'resnet50',
    'gpt2-med',
    'sol-pred',
    'dock-score',
    't5-small',
  ],
  dataset: [
    'tox21',
    'qm9',
    'squad',
    'imagenet-mini',
    'pdbbind',
    'common-voice',
    'zinc250k',
    'wiki-qa',
    'coco-sub',
    'esol',
  ],
  adapter: [
    'vina',
    'openai-chat',
    'rdkit-desc',
    'pubchem',
    'uniprot',
    's3-loader',
    'slack-bot',
    'sql-query',
    'pdf-parse',
    'ocr',
  ],
  lora: [
    'legal-style',
    'anime-line',
    'med-qa',
    'code-fix',
    'sql-gen',
    'poetry',
    'chem-name',
    'summarise',
    'photo-real',
    'pixel-art',
  ],
  pipeline: [
    'screen',
    'rag-qa',
    'transcribe',
    'caption',
    'triage',
    'etl',
    'retrosynth',
    'moderation',
    'translate',
    'ocr-index',
  ],
  benchmark: [
    'tox21-bench',
    'glue-mini',
    'mmlu-lite',
    'qm9-mae',
    'asr-wer',
    'vqa-acc',
    'esol-rmse',
    'docking',
    'ner-f1',
    'bleu-mt',
  ],
  collection: [
    'starter',
    'best-of',
    'toxicology',
    'speech',
    'vision-kit',
    'llm-tools',
    'chem-kit',
    'rag-kit',
    'legal-kit',
    'edu',
  ],
}
const TAGS = [
  'toxicology',
  'gnn',
  'nlp',
  'vision',
  'speech',
  'chemistry',
  'protein',
  'llm',
  'rag',
  'classification',
  'regression',
  'generation',
  'embedding',
  'quantized',
  'onnx',
  'safetensors',
  'gguf',
  'research',
  'production',
  'multilingual',
]
const DOMAINS = ['drug-discovery', 'nlp', 'vision', 'audio', 'tabular']
const FREE_LICENSES = ['MIT', 'Apache-2.0', 'CC-BY-4.0', 'BSD-3-Clause', 'CC0-1.0']
const RESTRICTED_LICENSES = ['CC-BY-NC-4.0', 'CC-BY-NC-SA-4.0']
const METRICS = ['roc_auc', 'accuracy', 'f1', 'rmse', 'mae', 'wer', 'bleu']
const LIBRARIES = ['pytorch', 'safetensors', 'onnx', 'gguf', 'sklearn', 'tensorflow']
const FORMATS = ['parquet', 'smiles_csv', 'jsonl', 'csv', 'sdf']

/** Kinds in proportion: models and datasets dominate, as on public hubs. */
const KIND_CYCLE: Kind[] = [
  ...Array<Kind>(7).fill('model'),
  ...Array<Kind>(4).fill('dataset'),
  ...Array<Kind>(3).fill('lora'),
  'adapter',
  'adapter',
  'pipeline',
  'benchmark',
  'collection',
  'collection',
  'model',
]

/** mulberry32: small, fast, and the same sequence for the same seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function code(n: number): string {
  let s = ''
  do {
    s = SAFE[n % SAFE.length] + s
    n = Math.floor(n / SAFE.length)
  } while (n > 0)
  return s
}

interface Planned {
  kind: Kind
  ns: string
  name: string
  versions: string[]
  metrics?: string[]
}

const plural = (k: Kind) => `${k}s`
const refOf = (p: Planned) =>
  p.kind === 'model' ? `${p.ns}/${p.name}` : `${plural(p.kind)}/${p.ns}/${p.name}`
const dirOf = (p: Planned) => `${plural(p.kind)}/${p.ns.slice(0, 2)}/${p.ns}/${p.name}`

export interface GenerateOptions {
  items: number
  out: string
  seed?: number
  /** Files written at once. */
  concurrency?: number
}

export interface GenerateResult {
  items: number
  owners: number
  files: number
}

/**
 * Generates the registry under `out/registry`, replacing any previous one.
 *
 * @example await generateRegistry({ items: 1000, out: '/tmp/reg', seed: 1 })
 */
export async function generateRegistry(options: GenerateOptions): Promise<GenerateResult> {
  const rand = prng(options.seed ?? 1)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1))
  const hex = () => {
    let s = ''
    for (let i = 0; i < 8; i++)
      s += Math.floor(rand() * 0x100000000)
        .toString(16)
        .padStart(8, '0')
    return s
  }
  const date = () =>
    `"2025-${String(int(1, 12)).padStart(2, '0')}-${String(int(1, 28)).padStart(2, '0')}"`

  const root = join(options.out, 'registry')
  await rm(root, { recursive: true, force: true })
  const nsCount = Math.max(1, Math.ceil(options.items / 8))
  const namespaces = Array.from(
    { length: nsCount },
    (_, i) => `${ORG_WORDS[i % ORG_WORDS.length]}-${code(i)}`,
  )

  const byKind: Record<Kind, Planned[]> = {
    model: [],
    dataset: [],
    adapter: [],
    lora: [],
    pipeline: [],
    benchmark: [],
    collection: [],
  }
  const planned: Planned[] = []
  for (let i = 0; i < options.items; i++) {
    // The first items seed every kind, so later ones always have something to reference.
    const kind =
      i < 7
        ? ((
            ['benchmark', 'dataset', 'model', 'adapter', 'lora', 'pipeline', 'collection'] as Kind[]
          )[i] as Kind)
        : (KIND_CYCLE[i % KIND_CYCLE.length] as Kind)
    const ns = namespaces[i % nsCount] as string
    const name = `${pick(ITEM_WORDS[kind])}-${code(i)}`
    const versionCount = kind === 'collection' ? 0 : int(1, 3)
    const versions = Array.from({ length: versionCount }, (_, v) => `1.${v}.${int(0, 3)}`)
    const p: Planned = { kind, ns, name, versions }
    if (kind === 'benchmark') p.metrics = [pick(METRICS.slice(0, 3)), pick(METRICS.slice(3))]
    planned.push(p)
    byKind[kind].push(p)
  }
  const earlier = (kind: Kind, before: number) => {
    const list = byKind[kind]
    return list[Math.floor(rand() * Math.max(1, Math.min(list.length, before)))] as Planned
  }

  const writes: [string, string][] = []
  const put = (rel: string, text: string) => writes.push([rel, text])
  put(
    'agora.yaml',
    `# yaml-language-server: $schema=schemas/hub.schema.json
name: Bench Hub
description: A synthetic hub of ${options.items} items for benchmarks.
base_url: https://bench.example.org
kinds: [model, dataset, adapter, lora, pipeline, benchmark, collection]
domains:
${DOMAINS.map((d) => `  - { id: ${d}, label: ${d} }`).join('\n')}
licenses:
  allowed: [${[...FREE_LICENSES, ...RESTRICTED_LICENSES].join(', ')}]
  allow_other: true
storage: { type: fs, path: .agora/blobs }
payments: { provider: stripe, currency: usd, platform_fee_percent: 10 }
keys:
  - { id: "bench", algorithm: ed25519, public_key: 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo= }
staff_picks: [${refOf(byKind.model[0] as Planned)}]
`,
  )
  namespaces.forEach((ns, i) => {
    const org = i % 3 !== 0
    put(
      `owners/${ns}.yaml`,
      org
        ? `type: org\nname: ${ns.toUpperCase()} Research\nmembers: [member-${i}, maintainer-${i}]\nlinks: { homepage: "https://${ns}.example.org" }\n`
        : `type: user\nname: User ${i}\ngithub: user-${i}\nbio: Works on ${pick(TAGS)}.\n`,
    )
  })

  planned.forEach((p, index) => {
    const dir = dirOf(p)
    const tags = [...new Set([pick(TAGS), pick(TAGS), pick(TAGS)])]
    const paid = p.kind !== 'collection' && p.kind !== 'benchmark' && rand() < 0.08
    const license = paid ? pick(RESTRICTED_LICENSES) : pick(FREE_LICENSES)
    const lines = [
      `kind: ${p.kind}`,
      `id: ${p.ns}/${p.name}`,
      `title: ${p.name.replace(/-/g, ' ')}`,
      `summary: A ${p.kind} for ${tags.join(', ')} from ${p.ns}.`,
      `owners: [${p.ns}]`,
      `tags: [${tags.join(', ')}]`,
      `domain: ${pick(DOMAINS)}`,
      `license: ${license}`,
    ]
    if (paid) {
      lines.push(
        rand() < 0.5
          ? `pricing: { model: per-download, price: ${int(5, 500)}, currency: usd }`
          : `pricing: { model: subscription, price: ${int(5, 99)}, currency: usd, interval: month }`,
      )
    }
    if (p.versions.length > 0)
      lines.push(`dist-tags: { latest: ${p.versions[p.versions.length - 1]} }`)
    switch (p.kind) {
      case 'model':
        lines.push(
          `library_name: ${pick(LIBRARIES)}`,
          `pipeline_tag: ${pick(['text-generation', 'graph-ml', 'image-classification'])}`,
        )
        if (index > 20 && rand() < 0.3) {
          lines.push(
            `base_model: ${refOf(earlier('model', index))}`,
            'base_model_relation: finetune',
          )
        }
        if (rand() < 0.5) lines.push(`datasets: [${refOf(earlier('dataset', index))}]`)
        break
      case 'dataset':
        lines.push(
          `format: ${pick(FORMATS)}`,
          `size_categories: ${pick(['n<1K', '1K<n<10K', '10K<n<100K'])}`,
        )
        break
      case 'adapter':
        lines.push(`adapter_type: ${pick(['api', 'local', 'ml'])}`, 'protocol_version: "1.0"')
        break
      case 'lora':
        lines.push(
          `base_model: ${rand() < 0.5 ? 'hf:meta-llama/Llama-3.1-8B' : refOf(earlier('model', index))}`,
          'base_model_relation: adapter',
          `trigger_words: [${p.name.split('-')[0]}-style]`,
        )
        break
      case 'pipeline':
        lines.push(`use_case: Runs ${pick(TAGS)} end to end`)
        break
      case 'benchmark':
        lines.push(
          `task: ${pick(['classification', 'regression', 'generation'])}`,
          'metrics:',
          ...(p.metrics ?? []).map(
            (m) => `  - { name: ${m}, higher_is_better: ${!['rmse', 'mae', 'wer'].includes(m)} }`,
          ),
        )
        break
      case 'collection': {
        const picks = new Set([
          refOf(earlier('model', index)),
          refOf(earlier('dataset', index)),
          refOf(earlier('lora', index)),
        ])
        lines.push('items:', ...[...picks].map((r) => `  - { ref: ${r} }`))
        break
      }
    }
    put(`${dir}/item.yaml`, `${lines.join('\n')}\n`)
    put(
      `${dir}/README.md`,
      `---\nlicense: ${license.toLowerCase()}\ntags: [${tags.join(', ')}]\n---\n# ${p.name}\n\n${p.kind} by ${p.ns}. Intended for ${tags.join(', ')}.\n\n## Limitations\n\nSynthetic entry generated for benchmarks.\n`,
    )
    for (const version of p.versions) {
      const v = [
        `version: ${version}`,
        `released: ${date()}`,
        `changelog: Release ${version}.`,
        'files:',
      ]
      const nfiles = p.kind === 'pipeline' || p.kind === 'adapter' ? 1 : int(1, 4)
      const paths: string[] = []
      for (let f = 0; f < nfiles; f++) {
        const path =
          p.kind === 'dataset'
            ? `data/part-${f}.parquet`
            : f === 0
              ? 'model.safetensors'
              : `shard-${f}.bin`
        paths.push(path)
        v.push(`  - { path: ${path}, size: ${int(1_000, 2_000_000_000)}, sha256: "${hex()}" }`)
      }
      switch (p.kind) {
        case 'model':
          v.push(
            `parameters: ${int(1, 8000) * 1_000_000}`,
            `training_data_size: ${int(1000, 1_000_000)}`,
          )
          break
        case 'dataset':
          v.push(
            `num_datapoints: ${int(100, 10_000_000)}`,
            'splits:',
            `  - { name: train, num_rows: ${int(100, 1000)}, files: [${paths[0]}] }`,
          )
          break
        case 'lora':
          v.push(
            `r: ${pick([4, 8, 16, 32])}`,
            `lora_alpha: ${pick([8, 16, 32])}`,
            'target_modules: [q_proj, v_proj]',
            'lora_dropout: 0.05',
          )
          break
        case 'pipeline':
          v.push(
            'steps:',
            `  - { id: load, uses: ${refOf(earlier('adapter', index))} }`,
            `  - { id: predict, uses: ${refOf(earlier('model', index))} }`,
          )
          break
        case 'benchmark':
          v.push(`test_files: [${paths[0]}]`)
          break
        default:
          break
      }
      put(`${dir}/versions/${version}.yaml`, `${v.join('\n')}\n`)
    }
    if (p.kind === 'model' && p.versions.length > 0 && rand() < 0.3) {
      const bench = earlier('benchmark', index)
      const scores = (bench.metrics ?? []).map((m) => `${m}: ${rand().toFixed(3)}`).join(', ')
      put(
        `${dir}/results/${bench.ns}/${bench.name}.yaml`,
        `benchmark: ${refOf(bench)}\nversion: ${p.versions[0]}\nscores: { ${scores} }\ndate: ${date()}\nsource: { name: Agora QA }\nverified: ${rand() < 0.5}\n`,
      )
    }
  })

  const dirs = new Set<string>()
  for (const [rel] of writes) if (rel.includes('/')) dirs.add(rel.slice(0, rel.lastIndexOf('/')))
  // Creating each folder once, deepest first implies its parents, saves most mkdir calls.
  const leaves = [...dirs]
  await runLimited(leaves, options.concurrency ?? 64, (d) =>
    mkdir(join(root, d), { recursive: true }).then(() => undefined),
  )
  await runLimited(writes, options.concurrency ?? 64, ([rel, text]) =>
    writeFile(join(root, rel), text),
  )
  return { items: planned.length, owners: namespaces.length, files: writes.length }
}

async function runLimited<T>(
  inputs: readonly T[],
  limit: number,
  fn: (input: T) => Promise<void>,
): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, inputs.length) }, async () => {
      while (next < inputs.length) await fn(inputs[next++] as T)
    }),
  )
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { items: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' } },
  })
  if (!values.items || !values.out) {
    console.error('usage: gen-registry.ts --items N --out DIR [--seed S]')
    process.exit(2)
  }
  const started = performance.now()
  const result = await generateRegistry({
    items: Number(values.items),
    out: values.out,
    seed: values.seed === undefined ? 1 : Number(values.seed),
  })
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  console.log(
    `wrote ${result.items} items, ${result.owners} owners, ${result.files} files to ${join(values.out, 'registry')} in ${seconds} s`,
  )
}
