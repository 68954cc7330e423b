import { stringify } from 'yaml'
import type { ItemManifest, LoraItem, ModelItem, ResultManifest } from '#core/manifest'
import { defineItem, type SampleItemDef, type SampleVersionDef } from './build.ts'
import { bibtex } from './card.ts'
import {
  ARCHS,
  type DecoderArch,
  ggufStandIn,
  jsonFile,
  loraAdapter,
  standInCheckpoint,
  textFile,
} from './llm.ts'
import {
  caseLawInstructions,
  codeInstructions,
  type InstructionRow,
  jsonl,
  legalInstructions,
  medicalInstructions,
  writingInstructions,
} from './text.ts'

const LLAMA_LICENSE = {
  license: 'other',
  license_name: 'llama3.1',
  license_link: 'https://github.com/meta-llama/llama-models/blob/main/models/llama3_1/LICENSE',
} as const

const STAND_IN_NOTE =
  'The files in this sample hub are **tiny stand-ins**: the real tensor names, config keys and file layout, but 2 layers with hidden size 128 and random weights, so the hub can be demonstrated without gigabytes. They produce no useful text.'

function mirror(o: {
  id: string
  title: string
  summary: string
  arch: DecoderArch
  license: Pick<ItemManifest, 'license' | 'license_name' | 'license_link'>
  upstream: string
  parameters: number
  language: string[]
  released: string
}): SampleItemDef {
  const item: ModelItem = {
    kind: 'model',
    id: o.id,
    title: o.title,
    summary: o.summary,
    owners: ['open-weights'],
    tags: ['base-model', 'llm', 'mirror', o.arch.modelType],
    domain: 'general',
    ...o.license,
    library_name: 'transformers',
    pipeline_tag: 'text-generation',
    architecture: o.arch.architectures,
    language: o.language,
    base_model: `hf:${o.upstream}`,
    links: { homepage: `https://huggingface.co/${o.upstream}` },
    hardware: { gpu: 'for the real weights: 16 GB+ GPU in bf16', gpu_memory_gb: 16 },
  }
  return defineItem(
    item,
    [
      {
        manifest: {
          version: '1.0.0',
          released: o.released,
          changelog: `Mirror of ${o.upstream} (sample stand-in files).`,
          parameters: o.parameters,
        },
        files: standInCheckpoint(o.arch, {
          seed: `mirror:${o.id}`,
          shards: 4,
          config: { _name_or_path: o.upstream },
        }),
      },
    ],
    {
      about: `A pinned mirror of [${o.upstream}](https://huggingface.co/${o.upstream}), so LoRAs on this hub can name an exact base and revision. ${STAND_IN_NOTE}`,
      usage: `\`\`\`python\nfrom transformers import AutoModelForCausalLM\nmodel = AutoModelForCausalLM.from_pretrained("./${o.id.split('/')[1]}")  # the folder agora pull wrote\n\`\`\``,
      limitations: `Stand-in weights. The upstream licence (${o.license.license_name ?? o.license.license}) applies to the real model.`,
    },
  )
}

interface LoraVersionSpec {
  version: string
  released: string
  changelog: string
  r: number
  alpha: number
  targets: string[]
  dropout?: number
  layers?: number[]
  training: { samples: number; epochs: number; learning_rate: number; hardware: string }
  metrics?: { name: string; value: number }[]
  status?: SampleVersionDef['manifest']['status']
}

function lora(o: {
  item: Omit<LoraItem, 'kind' | 'base_model_relation'>
  arch: DecoderArch
  dataset: string
  versions: LoraVersionSpec[]
  about: string
  limitations: string
  results?: ResultManifest[]
}): SampleItemDef {
  const base = String(o.item.base_model)
  const versions: SampleVersionDef[] = o.versions.map((v) => ({
    manifest: {
      version: v.version,
      released: v.released,
      changelog: v.changelog,
      r: v.r,
      lora_alpha: v.alpha,
      target_modules: [...v.targets].sort(),
      lora_dropout: v.dropout ?? 0.05,
      training: {
        samples: v.training.samples,
        epochs: v.training.epochs,
        steps: Math.ceil((v.training.samples * v.training.epochs) / 16),
        learning_rate: v.training.learning_rate,
        dataset: o.dataset,
        hardware: v.training.hardware,
      },
      ...(v.metrics ? { metrics: v.metrics } : {}),
      ...(v.status ? { status: v.status } : {}),
    },
    files: loraAdapter({
      arch: o.arch,
      baseModel: base,
      r: v.r,
      alpha: v.alpha,
      dropout: v.dropout ?? 0.05,
      targetModules: v.targets,
      ...(v.layers ? { layers: v.layers } : {}),
      dtype: 'F16',
      seed: `lora:${o.item.id}@${v.version}`,
    }),
  }))
  const external = base.startsWith('hf:')
  const trig = o.item.trigger_words?.length
    ? `Start prompts with ${o.item.trigger_words.map((t) => `\`${t}\``).join(' or ')}.`
    : ''
  return defineItem(
    { kind: 'lora', ...o.item, base_model_relation: 'adapter', datasets: [o.dataset] } as LoraItem,
    versions,
    {
      about: `${o.about}\n\n${trig}`.trim(),
      usage: `\`\`\`python\nfrom transformers import AutoModelForCausalLM\nfrom peft import PeftModel\n\nbase = AutoModelForCausalLM.from_pretrained("${external ? base.slice(3) : `./${base.split('/')[1]}`}")\nmodel = PeftModel.from_pretrained(base, "./${o.item.id.split('/')[1]}")\n\`\`\``,
      sections: [
        {
          heading: 'Training',
          body: versions
            .map((v) => {
              const m = v.manifest as unknown as {
                version: string
                r: number
                lora_alpha: number
                target_modules: string[]
                training: {
                  samples: number
                  epochs: number
                  learning_rate: number
                  hardware: string
                }
              }
              return `- **${m.version}**: r = ${m.r}, alpha = ${m.lora_alpha}, modules ${m.target_modules.join(', ')}; ${m.training.samples} samples × ${m.training.epochs} epochs at lr ${m.training.learning_rate} on ${m.training.hardware}.`
            })
            .join('\n'),
        },
        {
          heading: 'Sample files',
          body: external
            ? 'The adapter matches the published dimensions of the base model but, to keep the sample small, covers **layer 0 only** (`layers_to_transform: [0]` in adapter_config.json). Weights are random.'
            : "The adapter matches the tensor shapes of the hub's stand-in base model (2 layers, hidden 128). Weights are random.",
        },
      ],
      limitations: o.limitations,
    },
    o.results,
  )
}

function instructionDataset(o: {
  id: string
  title: string
  summary: string
  owners: string[]
  domain: string
  tags: string[]
  license: Pick<ItemManifest, 'license' | 'license_name' | 'license_link'>
  pricing?: ItemManifest['pricing']
  rows: InstructionRow[]
  about: string
  usage_restrictions?: string
  released: string
}): SampleItemDef {
  const keys = o.rows.map((r) => JSON.stringify(r))
  const duplicates = keys.length - new Set(keys).size
  const cut = Math.floor(o.rows.length * 0.9)
  return defineItem(
    {
      kind: 'dataset',
      id: o.id,
      title: o.title,
      summary: o.summary,
      owners: o.owners,
      tags: ['instruction-tuning', 'jsonl', ...o.tags],
      domain: o.domain,
      ...o.license,
      ...(o.pricing ? { pricing: o.pricing } : {}),
      format: 'jsonl',
      task_categories: ['text-generation'],
      size_categories: 'n<1K',
      ...(o.usage_restrictions ? { usage_restrictions: o.usage_restrictions } : {}),
    },
    [
      {
        manifest: {
          version: '1.0.0',
          released: o.released,
          changelog: 'First release.',
          num_datapoints: o.rows.length,
          splits: [
            { name: 'train', num_rows: cut, files: ['train.jsonl'] },
            { name: 'test', num_rows: o.rows.length - cut, files: ['test.jsonl'] },
          ],
          quality: {
            duplicate_rate: Math.round((duplicates / o.rows.length) * 10000) / 10000,
            missing_rate: 0,
            coverage: 1,
          },
        },
        files: [
          textFile('train.jsonl', jsonl(o.rows.slice(0, cut))),
          textFile('test.jsonl', jsonl(o.rows.slice(cut))),
        ],
      },
    ],
    {
      about: `${o.about}\n\nRows follow the Alpaca layout: \`{"instruction", "input", "output"}\`.`,
      usage:
        '```python\nfrom datasets import load_dataset\nds = load_dataset("json", data_files={"train": "train.jsonl", "test": "test.jsonl"})\n```',
      limitations: `Synthetic and template-generated: ${duplicates ? `${duplicates} exact duplicate rows, ` : ''}limited variety. Good for smoke-testing a training run, not for a production model.`,
    },
  )
}

function evalBenchmark(o: {
  id: string
  title: string
  summary: string
  domain: string
  tags: string[]
  dataset: string
  task: string
  metrics: { name: string; higher_is_better: boolean; unit?: string; description?: string }[]
  baselines: { name: string; scores: Record<string, number>; source?: string }[]
  rows: InstructionRow[]
}): SampleItemDef {
  return defineItem(
    {
      kind: 'benchmark',
      id: o.id,
      title: o.title,
      summary: o.summary,
      owners: ['open-evals'],
      tags: ['evaluation', 'leaderboard', ...o.tags],
      domain: o.domain,
      license: 'CC-BY-4.0',
      datasets: [o.dataset],
      task: o.task,
      metrics: o.metrics,
      baselines: o.baselines,
      submission_guidelines:
        'Generate one answer per line of test.jsonl with greedy decoding, run the scorer named in eval.yaml, and add results/open-evals/<benchmark>.yaml to your item.',
    },
    [
      {
        manifest: {
          version: '1.0.0',
          released: '2025-01-20',
          changelog: 'First release.',
          test_files: ['test.jsonl'],
        },
        files: [
          textFile('test.jsonl', jsonl(o.rows)),
          textFile(
            'eval.yaml',
            stringify(
              {
                name: o.id.split('/')[1],
                description: o.summary,
                evaluation_framework: 'open-evals',
                tasks: [{ id: o.task, split: 'test' }],
                metrics: o.metrics.map((m) => m.name),
              },
              { lineWidth: 0 },
            ),
          ),
        ],
      },
    ],
    {
      about:
        'A small, fixed test set with a published scorer, so LoRA authors can report comparable numbers.',
      limitations: 'Small and template-generated; differences under 2 points are noise.',
    },
  )
}

function res(
  benchmark: string,
  version: string,
  scores: Record<string, number>,
  date: string,
  verified: boolean,
  user?: string,
): ResultManifest {
  return {
    benchmark,
    benchmark_version: '1.0.0',
    version,
    scores,
    date,
    source: verified ? { name: 'Agora QA' } : { name: 'self-reported', ...(user ? { user } : {}) },
    verified,
  }
}

const GPU = 'NVIDIA A100 80GB'

/**
 * Base-model mirrors, domain LoRAs, their datasets and evaluation benchmarks.
 *
 * @example llmItems().filter((d) => d.item.kind === 'lora').length
 */
export function llmItems(): SampleItemDef[] {
  const items: SampleItemDef[] = [
    mirror({
      id: 'open-weights/mistral-7b-v0.3',
      title: 'Mistral 7B v0.3 (mirror)',
      summary: 'Mirror of Mistral 7B v0.3, the base of most LoRAs on this hub; Apache-2.0.',
      arch: ARCHS.mistral,
      license: { license: 'Apache-2.0' },
      upstream: 'mistralai/Mistral-7B-v0.3',
      parameters: 7248023552,
      language: ['en'],
      released: '2025-01-10',
    }),
    mirror({
      id: 'open-weights/llama-3.1-8b-instruct',
      title: 'Llama 3.1 8B Instruct (mirror)',
      summary: 'Mirror of Meta Llama 3.1 8B Instruct under the Llama 3.1 Community License.',
      arch: ARCHS.llama31,
      license: LLAMA_LICENSE,
      upstream: 'meta-llama/Llama-3.1-8B-Instruct',
      parameters: 8030261248,
      language: ['en', 'de', 'fr', 'it', 'pt', 'hi', 'es', 'th'],
      released: '2025-01-10',
    }),
    mirror({
      id: 'open-weights/qwen2.5-coder-7b-instruct',
      title: 'Qwen2.5-Coder 7B Instruct (mirror)',
      summary: 'Mirror of Qwen2.5-Coder 7B Instruct, a code model; Apache-2.0.',
      arch: ARCHS.qwenCoder,
      license: { license: 'Apache-2.0' },
      upstream: 'Qwen/Qwen2.5-Coder-7B-Instruct',
      parameters: 7615616512,
      language: ['en', 'zh'],
      released: '2025-01-12',
    }),
    mirror({
      id: 'open-weights/phi-3-mini-4k-instruct',
      title: 'Phi-3 mini 4k Instruct (mirror)',
      summary: 'Mirror of Microsoft Phi-3 mini (3.8B) with 4k context; MIT.',
      arch: ARCHS.phi3,
      license: { license: 'MIT' },
      upstream: 'microsoft/Phi-3-mini-4k-instruct',
      parameters: 3821079552,
      language: ['en'],
      released: '2025-01-12',
    }),
  ]

  items.push(
    defineItem(
      {
        kind: 'model',
        id: 'open-weights/mistral-7b-v0.3-gguf',
        title: 'Mistral 7B v0.3 GGUF (Q4_0)',
        summary: 'Q4_0 GGUF of the Mistral 7B v0.3 mirror for llama.cpp and Ollama.',
        owners: ['open-weights'],
        tags: ['gguf', 'quantized', 'llama.cpp', 'mistral'],
        domain: 'general',
        license: 'Apache-2.0',
        library_name: 'gguf',
        pipeline_tag: 'text-generation',
        base_model: 'open-weights/mistral-7b-v0.3',
        base_model_relation: 'quantized',
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-01-15',
            changelog: 'Q4_0 conversion of open-weights/mistral-7b-v0.3@1.0.0.',
          },
          files: [
            ggufStandIn(
              ARCHS.mistral,
              'Mistral 7B v0.3 (sample stand-in)',
              'gguf:mistral',
              'mistral-7b-v0.3.Q4_0.gguf',
              'Q4_0',
            ),
          ],
        },
      ],
      {
        about: `A valid GGUF v3 file: llama-architecture metadata and Q4_0 blocks (an f16 scale and 32 packed 4-bit values each); norms stay F32. ${STAND_IN_NOTE}`,
        usage:
          '```bash\nllama-cli -m mistral-7b-v0.3.Q4_0.gguf  # the stand-in has no tokenizer and will not generate text\n```',
        limitations: 'Stand-in weights with no tokenizer metadata.',
      },
    ),
  )

  items.push(
    defineItem(
      {
        kind: 'model',
        id: 'medtune/clinical-mistral-7b',
        title: 'Clinical Mistral 7B',
        summary: 'Mistral 7B v0.3 fully fine-tuned on synthetic clinical notes and guideline text.',
        owners: ['medtune'],
        tags: ['clinical', 'medical', 'fine-tune', 'mistral'],
        domain: 'medical',
        license: 'Apache-2.0',
        library_name: 'transformers',
        pipeline_tag: 'text-generation',
        base_model: 'open-weights/mistral-7b-v0.3',
        base_model_relation: 'finetune',
        datasets: ['datasets/medtune/clinical-vignettes-synthetic'],
        language: ['en'],
      },
      [
        {
          manifest: {
            version: '0.1.0',
            released: '2025-05-28',
            changelog: 'Research preview.',
            parameters: 7248023552,
            training_data_size: 120000,
          },
          files: standInCheckpoint(ARCHS.mistral, {
            seed: 'clinical-mistral',
            shards: 4,
            config: { _name_or_path: 'open-weights/mistral-7b-v0.3' },
          }),
        },
      ],
      {
        about: `Full fine-tune, not an adapter. ${STAND_IN_NOTE}`,
        limitations: 'Research preview; not a medical device; never use for patient care.',
      },
    ),
  )

  const legalRows = legalInstructions(120)
  const caseRows = caseLawInstructions(60)
  const medRows = medicalInstructions(80)
  const codeRows = codeInstructions(80)
  const writeRows = writingInstructions(40)
  items.push(
    instructionDataset({
      id: 'lexica-ai/contract-clauses-instruct',
      title: 'Contract clauses (instruction set)',
      summary:
        'Summarise, classify and risk-flag common commercial contract clauses; fictional parties.',
      owners: ['lexica-ai'],
      domain: 'legal',
      tags: ['legal', 'contracts'],
      license: { license: 'CC-BY-4.0' },
      rows: legalRows,
      about:
        'Six clause families (liability caps, termination, confidentiality, governing law, IP indemnity, data protection) × three tasks.',
      released: '2025-03-01',
    }),
    instructionDataset({
      id: 'lexica-ai/case-law-summaries',
      title: 'Case-law summaries (fictional judgments)',
      summary:
        'Headnote-to-summary pairs of fictional commercial judgments for training summarisation adapters.',
      owners: ['lexica-ai'],
      domain: 'legal',
      tags: ['legal', 'case-law', 'summarisation', 'commercial'],
      license: { license: 'CC-BY-NC-4.0' },
      pricing: { model: 'per-download', price: 99, currency: 'usd' },
      rows: caseRows,
      about: 'Invented parties and courts; holdings paraphrase well-known contract-law positions.',
      usage_restrictions: 'Non-commercial use only without a commercial licence from Lexica AI.',
      released: '2025-04-10',
    }),
    instructionDataset({
      id: 'medtune/clinical-vignettes-synthetic',
      title: 'Synthetic clinical vignettes',
      summary:
        'Fictional emergency presentations with differential diagnoses and next steps, written by clinicians as templates.',
      owners: ['medtune'],
      domain: 'medical',
      tags: ['medical', 'clinical', 'synthetic'],
      license: { license: 'CC-BY-4.0' },
      rows: medRows,
      about:
        'No real patients: ages and sexes are drawn at random, presentations come from five templates.',
      released: '2025-02-20',
    }),
    instructionDataset({
      id: 'codewright/ts-refactor-pairs',
      title: 'TypeScript refactor pairs',
      summary:
        'Before/after TypeScript snippets for four common refactors: async/await, unknown + guards, array methods, exhaustive unions.',
      owners: ['codewright'],
      domain: 'code',
      tags: ['code', 'typescript', 'refactoring'],
      license: { license: 'MIT' },
      rows: codeRows,
      about: 'Each pair compiles under `strict` after the refactor.',
      released: '2025-03-12',
    }),
    instructionDataset({
      id: 'inkwell/style-transfer-pairs',
      title: 'Style transfer pairs (noir / editorial)',
      summary:
        'Plain sentences rewritten in a hard-boiled noir voice and as tight editorial prose.',
      owners: ['inkwell'],
      domain: 'writing',
      tags: ['writing', 'style-transfer', 'fiction'],
      license: { license: 'CC-BY-4.0' },
      rows: writeRows,
      about: 'Hand-written by the author; five scenes in two registers.',
      released: '2025-02-02',
    }),
  )

  items.push(
    evalBenchmark({
      id: 'open-evals/contract-clause-qa',
      title: 'Contract clause QA',
      summary:
        'Clause-type classification accuracy and summary ROUGE-L on held-out contract clauses.',
      domain: 'legal',
      tags: ['legal'],
      dataset: 'datasets/lexica-ai/contract-clauses-instruct',
      task: 'clause-understanding',
      metrics: [
        {
          name: 'accuracy',
          higher_is_better: true,
          unit: '%',
          description: 'Exact clause-type match.',
        },
        { name: 'rouge_l', higher_is_better: true, description: 'ROUGE-L F1 of summaries.' },
      ],
      baselines: [{ name: 'Mistral 7B v0.3 zero-shot', scores: { accuracy: 61.0, rouge_l: 0.28 } }],
      rows: legalInstructions(30),
    }),
    evalBenchmark({
      id: 'open-evals/clinical-vignettes-eval',
      title: 'Clinical vignettes eval',
      summary:
        'Top-3 differential accuracy and unsafe-advice rate on fictional emergency vignettes.',
      domain: 'medical',
      tags: ['medical', 'safety'],
      dataset: 'datasets/medtune/clinical-vignettes-synthetic',
      task: 'differential-diagnosis',
      metrics: [
        { name: 'top3_accuracy', higher_is_better: true, unit: '%' },
        {
          name: 'unsafe_rate',
          higher_is_better: false,
          unit: '%',
          description: 'Share of answers a clinician marked unsafe.',
        },
      ],
      baselines: [
        {
          name: 'Llama 3.1 8B Instruct zero-shot',
          scores: { top3_accuracy: 64.0, unsafe_rate: 6.0 },
        },
      ],
      rows: medicalInstructions(20),
    }),
    evalBenchmark({
      id: 'open-evals/ts-refactor-bench',
      title: 'TypeScript refactor bench',
      summary:
        'Does the refactored snippet compile under strict TypeScript and keep behaviour? pass@1 and compile rate.',
      domain: 'code',
      tags: ['code', 'typescript'],
      dataset: 'datasets/codewright/ts-refactor-pairs',
      task: 'code-refactoring',
      metrics: [
        { name: 'pass_at_1', higher_is_better: true, unit: '%' },
        { name: 'compile_rate', higher_is_better: true, unit: '%' },
      ],
      baselines: [
        {
          name: 'Qwen2.5-Coder 7B Instruct zero-shot',
          scores: { pass_at_1: 58.0, compile_rate: 81.0 },
        },
      ],
      rows: codeInstructions(20),
    }),
    evalBenchmark({
      id: 'open-evals/style-transfer-eval',
      title: 'Style transfer eval',
      summary:
        'Style classifier accuracy and meaning preservation (BERTScore) for register rewrites.',
      domain: 'writing',
      tags: ['writing'],
      dataset: 'datasets/inkwell/style-transfer-pairs',
      task: 'style-transfer',
      metrics: [
        { name: 'style_accuracy', higher_is_better: true, unit: '%' },
        { name: 'bertscore_f1', higher_is_better: true },
      ],
      baselines: [
        { name: 'prompted base model', scores: { style_accuracy: 55.0, bertscore_f1: 0.86 } },
      ],
      rows: writingInstructions(10),
    }),
  )

  const mistral = 'open-weights/mistral-7b-v0.3'
  const llama = 'open-weights/llama-3.1-8b-instruct'
  const qwenCoder = 'open-weights/qwen2.5-coder-7b-instruct'
  const phi3 = 'open-weights/phi-3-mini-4k-instruct'
  const attn = ['q_proj', 'k_proj', 'v_proj', 'o_proj']
  const lexicaLicense = {
    license: 'other',
    license_name: 'Lexica AI LoRA Licence 1.0',
    license_link: 'https://lexica-ai.example.com/licence',
  } as const

  items.push(
    lora({
      item: {
        id: 'lexica-ai/contract-review-mistral-7b',
        title: 'Contract Review LoRA (Mistral 7B)',
        summary:
          'Flags risky clauses, explains them in plain English and proposes fallback wording for commercial contracts.',
        owners: ['lexica-ai'],
        tags: ['legal', 'contracts', 'review', 'commercial'],
        domain: 'legal',
        ...lexicaLicense,
        pricing: { model: 'per-download', price: 29, currency: 'usd' },
        base_model: mistral,
        base_model_revision: '1.0.0',
        trigger_words: ['[CONTRACT-REVIEW]'],
        links: { homepage: 'https://lexica-ai.example.com/contract-review' },
        citation: bibtex(
          'lexica2025contract',
          'Contract Review LoRA',
          'Haddad, Nadia and Brandt, Oliver',
          2025,
          'http://127.0.0.1:4321/loras/lexica-ai/contract-review-mistral-7b',
        ),
      },
      arch: ARCHS.mistral,
      dataset: 'datasets/lexica-ai/contract-clauses-instruct',
      versions: [
        {
          version: '1.0.0',
          released: '2025-03-20',
          changelog: 'First release.',
          r: 16,
          alpha: 32,
          targets: attn,
          training: { samples: 108, epochs: 3, learning_rate: 0.0002, hardware: GPU },
          metrics: [{ name: 'accuracy', value: 78.5 }],
        },
        {
          version: '1.1.0',
          released: '2025-07-02',
          changelog: 'Adds data-protection clauses; MLP projections adapted too.',
          r: 16,
          alpha: 32,
          targets: [...attn, 'gate_proj', 'up_proj', 'down_proj'],
          training: { samples: 108, epochs: 4, learning_rate: 0.0002, hardware: GPU },
          metrics: [{ name: 'accuracy', value: 84.0 }],
        },
      ],
      about:
        'Trained on clause-level instructions written by practising lawyers (the sample set is synthetic). Answers cite the clause text it relies on.',
      limitations:
        'Not legal advice. English-law and US drafting conventions only. Paid item: files are private.',
      results: [
        res(
          'benchmarks/open-evals/contract-clause-qa',
          '1.1.0',
          { accuracy: 84.0, rouge_l: 0.41 },
          '2025-07-05',
          true,
        ),
      ],
    }),
    lora({
      item: {
        id: 'lexica-ai/case-law-summarizer-llama-3.1-8b',
        title: 'Case-law Summariser LoRA (Llama 3.1 8B)',
        summary: 'Two-sentence client-ready summaries of commercial judgments.',
        owners: ['lexica-ai'],
        tags: ['legal', 'case-law', 'summarisation', 'commercial'],
        domain: 'legal',
        ...lexicaLicense,
        pricing: { model: 'subscription', price: 19, currency: 'usd', interval: 'month' },
        base_model: llama,
        trigger_words: ['Summarise the holding'],
      },
      arch: ARCHS.llama31,
      dataset: 'datasets/lexica-ai/case-law-summaries',
      versions: [
        {
          version: '1.0.0',
          released: '2025-05-01',
          changelog: 'First release.',
          r: 32,
          alpha: 64,
          targets: ['q_proj', 'v_proj'],
          training: { samples: 54, epochs: 5, learning_rate: 0.0001, hardware: GPU },
          metrics: [{ name: 'rouge_l', value: 0.46 }],
        },
      ],
      about:
        'Subscription includes monthly refreshed adapters as new judgments are added. The Llama 3.1 Community License also applies.',
      limitations: 'Summaries can omit dissenting reasoning. Not legal advice.',
      results: [
        res(
          'benchmarks/open-evals/contract-clause-qa',
          '1.0.0',
          { rouge_l: 0.39 },
          '2025-05-04',
          false,
          'lexica-ai',
        ),
      ],
    }),
    lora({
      item: {
        id: 'lexica-ai/gdpr-compliance-qwen2.5-7b',
        title: 'GDPR Compliance LoRA (Qwen2.5 7B)',
        summary:
          'Checks data-processing terms against GDPR Article 28 and lists missing processor obligations.',
        owners: ['lexica-ai'],
        tags: ['legal', 'gdpr', 'privacy', 'compliance'],
        domain: 'legal',
        license: 'CC-BY-4.0',
        base_model: 'hf:Qwen/Qwen2.5-7B-Instruct',
        trigger_words: ['[GDPR-CHECK]'],
      },
      arch: ARCHS.qwen7b,
      dataset: 'datasets/lexica-ai/contract-clauses-instruct',
      versions: [
        {
          version: '1.0.0',
          released: '2025-06-11',
          changelog: 'First release.',
          r: 8,
          alpha: 16,
          targets: ['q_proj', 'v_proj'],
          layers: [0],
          training: { samples: 108, epochs: 3, learning_rate: 0.0002, hardware: GPU },
        },
      ],
      about:
        'Free companion to the paid contract-review adapter; base model is taken from outside the hub.',
      limitations: 'EU GDPR only; UK GDPR differences are not covered.',
    }),
    lora({
      item: {
        id: 'lexica-ai/legal-ner-phi-3-mini',
        title: 'Legal NER LoRA (Phi-3 mini)',
        summary: 'Extracts parties, dates, amounts and governing law from contracts as JSON.',
        owners: ['lexica-ai'],
        tags: ['legal', 'ner', 'extraction', 'json'],
        domain: 'legal',
        license: 'MIT',
        base_model: phi3,
      },
      arch: ARCHS.phi3,
      dataset: 'datasets/lexica-ai/contract-clauses-instruct',
      versions: [
        {
          version: '1.0.0',
          released: '2025-04-04',
          changelog: 'First release.',
          r: 8,
          alpha: 16,
          targets: ['qkv_proj', 'o_proj'],
          training: { samples: 108, epochs: 2, learning_rate: 0.0003, hardware: 'NVIDIA L4 24GB' },
        },
      ],
      about: 'Small enough to run on a laptop CPU with the real base model.',
      limitations: 'Misses parties defined by reference ("the Purchaser").',
    }),
    lora({
      item: {
        id: 'medtune/clinical-notes-mistral-7b',
        title: 'Clinical Notes LoRA (Mistral 7B)',
        summary: 'Turns free-text presentations into structured differentials and next steps.',
        owners: ['medtune'],
        tags: ['medical', 'clinical-notes', 'triage'],
        domain: 'medical',
        license: 'Apache-2.0',
        base_model: mistral,
        trigger_words: ['### Clinical note'],
      },
      arch: ARCHS.mistral,
      dataset: 'datasets/medtune/clinical-vignettes-synthetic',
      versions: [
        {
          version: '1.0.0',
          released: '2025-03-05',
          changelog: 'First release.',
          r: 16,
          alpha: 16,
          targets: attn,
          training: { samples: 72, epochs: 3, learning_rate: 0.0002, hardware: GPU },
          status: {
            state: 'yanked',
            reason:
              'Trained on a dataset build whose generator leaked template placeholders into outputs; answers contained "{{plan}}". Retrained in 1.0.1.',
            date: '2025-03-09',
          },
        },
        {
          version: '1.0.1',
          released: '2025-03-09',
          changelog: 'Retrained on the fixed dataset build.',
          r: 16,
          alpha: 16,
          targets: attn,
          training: { samples: 72, epochs: 3, learning_rate: 0.0002, hardware: GPU },
          metrics: [{ name: 'top3_accuracy', value: 81.0 }],
        },
      ],
      about: 'Trained only on synthetic vignettes; no patient data.',
      limitations: 'Not a medical device. Outputs must be reviewed by a clinician.',
      results: [
        res(
          'benchmarks/open-evals/clinical-vignettes-eval',
          '1.0.1',
          { top3_accuracy: 81.0, unsafe_rate: 2.5 },
          '2025-03-12',
          true,
        ),
      ],
    }),
    lora({
      item: {
        id: 'medtune/radiology-report-llama-3.1-8b',
        title: 'Radiology Report LoRA (Llama 3.1 8B)',
        summary: 'Drafts the impression section of a radiology report from the findings.',
        owners: ['medtune'],
        tags: ['medical', 'radiology', 'reports'],
        domain: 'medical',
        ...LLAMA_LICENSE,
        base_model: llama,
        trigger_words: ['FINDINGS:'],
      },
      arch: ARCHS.llama31,
      dataset: 'datasets/medtune/clinical-vignettes-synthetic',
      versions: [
        {
          version: '0.1.0',
          released: '2025-04-18',
          changelog: 'Preview.',
          r: 8,
          alpha: 16,
          targets: ['q_proj', 'v_proj'],
          training: { samples: 72, epochs: 2, learning_rate: 0.0002, hardware: GPU },
        },
        {
          version: '0.2.0',
          released: '2025-06-22',
          changelog: 'Higher rank, all attention projections.',
          r: 16,
          alpha: 32,
          targets: attn,
          training: { samples: 72, epochs: 3, learning_rate: 0.00015, hardware: GPU },
        },
      ],
      about: 'Impressions only; findings must be written by the radiologist.',
      limitations: 'Preview quality. Not a medical device.',
    }),
    lora({
      item: {
        id: 'medtune/pubmed-qa-phi-3-mini',
        title: 'Biomedical QA LoRA (Phi-3 mini)',
        summary:
          'Yes/no/maybe answers with one-sentence evidence for biomedical research questions.',
        owners: ['medtune'],
        tags: ['medical', 'biomedical', 'question-answering'],
        domain: 'medical',
        license: 'MIT',
        base_model: phi3,
      },
      arch: ARCHS.phi3,
      dataset: 'datasets/medtune/clinical-vignettes-synthetic',
      versions: [
        {
          version: '1.0.0',
          released: '2025-05-30',
          changelog: 'First release.',
          r: 16,
          alpha: 32,
          targets: ['qkv_proj', 'o_proj', 'gate_up_proj', 'down_proj'],
          training: { samples: 72, epochs: 3, learning_rate: 0.0002, hardware: 'NVIDIA L4 24GB' },
        },
      ],
      about: 'PubMedQA-style answer format.',
      limitations: 'Answers from parametric memory; it does not search the literature.',
    }),
    lora({
      item: {
        id: 'medtune/icd10-coder-llama-3.1-8b',
        title: 'ICD-10 Coder LoRA (Llama 3.1 8B)',
        summary: 'Suggests ICD-10-CM codes with rationale for a discharge summary.',
        owners: ['medtune'],
        tags: ['medical', 'icd-10', 'coding'],
        domain: 'medical',
        ...LLAMA_LICENSE,
        base_model: 'hf:meta-llama/Llama-3.1-8B-Instruct',
      },
      arch: ARCHS.llama8b,
      dataset: 'datasets/medtune/clinical-vignettes-synthetic',
      versions: [
        {
          version: '1.0.0',
          released: '2025-07-14',
          changelog: 'First release.',
          r: 8,
          alpha: 16,
          targets: ['q_proj', 'v_proj'],
          layers: [0],
          training: { samples: 72, epochs: 3, learning_rate: 0.0002, hardware: GPU },
        },
      ],
      about: "Base model taken directly from Meta's Hugging Face repository.",
      limitations: "Suggestions need a certified coder's review.",
    }),
    lora({
      item: {
        id: 'codewright/ts-refactor-qwen-coder-7b',
        title: 'TypeScript Refactor LoRA (Qwen2.5-Coder 7B)',
        summary:
          'Refactors TypeScript to strict, idiomatic code: async/await, unknown with guards, exhaustive unions.',
        owners: ['codewright'],
        tags: ['code', 'typescript', 'refactoring'],
        domain: 'code',
        license: 'MIT',
        base_model: qwenCoder,
        trigger_words: ['// refactor:'],
        links: { code: 'https://code.example.org/codewright/ts-refactor-lora' },
      },
      arch: ARCHS.qwenCoder,
      dataset: 'datasets/codewright/ts-refactor-pairs',
      versions: [
        {
          version: '1.0.0',
          released: '2025-03-25',
          changelog: 'First release.',
          r: 8,
          alpha: 16,
          targets: ['q_proj', 'v_proj'],
          training: { samples: 72, epochs: 3, learning_rate: 0.0003, hardware: 'NVIDIA RTX 4090' },
          metrics: [{ name: 'pass_at_1', value: 66.0 }],
        },
        {
          version: '1.1.0',
          released: '2025-05-08',
          changelog: 'More epochs; fixes over-eager `as` casts.',
          r: 8,
          alpha: 16,
          targets: ['q_proj', 'v_proj'],
          training: { samples: 72, epochs: 5, learning_rate: 0.0003, hardware: 'NVIDIA RTX 4090' },
          metrics: [{ name: 'pass_at_1', value: 70.0 }],
        },
        {
          version: '2.0.0',
          released: '2025-09-18',
          changelog: 'Breaking: rank 16 over all attention projections; trigger comment unchanged.',
          r: 16,
          alpha: 32,
          targets: attn,
          training: { samples: 72, epochs: 4, learning_rate: 0.0002, hardware: 'NVIDIA RTX 4090' },
          metrics: [{ name: 'pass_at_1', value: 74.0 }],
        },
      ],
      about: 'Trained on before/after pairs that compile under `strict`.',
      limitations: 'TypeScript only; may rename identifiers in ways that break public APIs.',
      results: [
        res(
          'benchmarks/open-evals/ts-refactor-bench',
          '2.0.0',
          { pass_at_1: 74.0, compile_rate: 93.0 },
          '2025-09-20',
          true,
        ),
      ],
    }),
    lora({
      item: {
        id: 'codewright/sql-explainer-mistral-7b',
        title: 'SQL Explainer LoRA (Mistral 7B)',
        summary: 'Explains what a SQL query does, step by step, and points out performance traps.',
        owners: ['codewright'],
        tags: ['code', 'sql', 'explanation'],
        domain: 'code',
        license: 'Apache-2.0',
        base_model: mistral,
      },
      arch: ARCHS.mistral,
      dataset: 'datasets/codewright/ts-refactor-pairs',
      versions: [
        {
          version: '1.0.0',
          released: '2025-04-30',
          changelog: 'First release.',
          r: 8,
          alpha: 16,
          targets: ['q_proj', 'v_proj'],
          training: { samples: 72, epochs: 3, learning_rate: 0.0002, hardware: 'NVIDIA RTX 4090' },
        },
      ],
      about: 'Reads PostgreSQL and SQLite dialects.',
      limitations: 'Does not see your schema or indexes; advice is generic.',
    }),
    lora({
      item: {
        id: 'aiko-tanaka/smiles-explainer-mistral-7b',
        title: 'SMILES Explainer LoRA (Mistral 7B)',
        summary:
          'Explains a SMILES string in words: ring systems, functional groups and likely liabilities.',
        owners: ['aiko-tanaka'],
        tags: ['chemistry', 'smiles', 'explanation'],
        domain: 'cheminformatics',
        license: 'Apache-2.0',
        base_model: mistral,
        forked_from: 'loras/codewright/sql-explainer-mistral-7b',
      },
      arch: ARCHS.mistral,
      dataset: 'datasets/moleval/tox21-mini',
      versions: [
        {
          version: '0.1.0',
          released: '2025-08-28',
          changelog: "Forked from the SQL explainer's recipe and retrained on SMILES descriptions.",
          r: 8,
          alpha: 16,
          targets: ['q_proj', 'v_proj'],
          training: { samples: 114, epochs: 4, learning_rate: 0.0002, hardware: 'NVIDIA RTX 4090' },
        },
      ],
      about:
        "Same training recipe as codewright/sql-explainer-mistral-7b, new data: explanations of the hub's sample molecules.",
      limitations: 'Hallucinates stereochemistry; verify with a toolkit such as RDKit.',
    }),
    lora({
      item: {
        id: 'inkwell/noir-voice-mistral-7b',
        title: 'Noir Voice LoRA (Mistral 7B)',
        summary: 'Rewrites prose in a first-person hard-boiled noir voice.',
        owners: ['inkwell'],
        tags: ['writing', 'fiction', 'style', 'noir'],
        domain: 'writing',
        license: 'CC-BY-NC-4.0',
        pricing: { model: 'per-download', price: 9, currency: 'usd' },
        base_model: mistral,
        trigger_words: ['in noir voice:'],
      },
      arch: ARCHS.mistral,
      dataset: 'datasets/inkwell/style-transfer-pairs',
      versions: [
        {
          version: '1.0.0',
          released: '2025-02-14',
          changelog: 'First release.',
          r: 16,
          alpha: 16,
          targets: attn,
          training: { samples: 36, epochs: 8, learning_rate: 0.0001, hardware: GPU },
        },
      ],
      about:
        'Buying a licence grants commercial use of the outputs; the adapter itself stays non-commercial.',
      limitations: 'Laying it on thick is the point; not for technical writing.',
      results: [
        res(
          'benchmarks/open-evals/style-transfer-eval',
          '1.0.0',
          { style_accuracy: 91.0, bertscore_f1: 0.83 },
          '2025-02-20',
          false,
          'inkwell',
        ),
      ],
    }),
    lora({
      item: {
        id: 'inkwell/technical-editor-llama-3.1-8b',
        title: 'Technical Editor LoRA (Llama 3.1 8B)',
        summary:
          'Tightens technical and scientific prose: shorter sentences, active voice, no hedging stacks.',
        owners: ['inkwell'],
        tags: ['writing', 'editing', 'technical-writing'],
        domain: 'writing',
        ...LLAMA_LICENSE,
        base_model: llama,
      },
      arch: ARCHS.llama31,
      dataset: 'datasets/inkwell/style-transfer-pairs',
      versions: [
        {
          version: '1.0.0',
          released: '2025-06-06',
          changelog: 'First release; replaces grant-writer.',
          r: 16,
          alpha: 32,
          targets: attn,
          training: { samples: 36, epochs: 6, learning_rate: 0.0001, hardware: GPU },
        },
      ],
      about: 'Keeps meaning; flags sentences it could not shorten without changing it.',
      limitations: 'English only.',
      results: [
        res(
          'benchmarks/open-evals/style-transfer-eval',
          '1.0.0',
          { style_accuracy: 86.0, bertscore_f1: 0.93 },
          '2025-06-09',
          true,
        ),
      ],
    }),
    lora({
      item: {
        id: 'inkwell/grant-writer-llama-3.1-8b',
        title: 'Grant Writer LoRA (Llama 3.1 8B)',
        summary: 'Drafted grant-proposal sections in funder style.',
        owners: ['inkwell'],
        tags: ['writing', 'grants'],
        domain: 'writing',
        ...LLAMA_LICENSE,
        base_model: llama,
        status: {
          state: 'deprecated',
          reason:
            'Folded into the technical editor, which does the same job with better meaning preservation.',
          replacement: 'loras/inkwell/technical-editor-llama-3.1-8b',
          date: '2025-06-06',
        },
      },
      arch: ARCHS.llama31,
      dataset: 'datasets/inkwell/style-transfer-pairs',
      versions: [
        {
          version: '0.3.0',
          released: '2024-12-01',
          changelog: 'Last release.',
          r: 8,
          alpha: 16,
          targets: ['q_proj', 'v_proj'],
          training: { samples: 36, epochs: 4, learning_rate: 0.0002, hardware: GPU },
        },
      ],
      about: 'Kept for reproducibility.',
      limitations: 'Deprecated: use inkwell/technical-editor-llama-3.1-8b.',
    }),
    lora({
      item: {
        id: 'inkwell/haiku-phi-3-mini',
        title: 'Haiku LoRA (Phi-3 mini)',
        summary: 'Turns a paragraph into a 5-7-5 haiku.',
        owners: ['inkwell'],
        tags: ['writing', 'poetry', 'haiku'],
        domain: 'writing',
        license: 'MIT',
        base_model: phi3,
        trigger_words: ['haiku:'],
      },
      arch: ARCHS.phi3,
      dataset: 'datasets/inkwell/style-transfer-pairs',
      versions: [
        {
          version: '1.0.0',
          released: '2025-01-30',
          changelog: 'First release.',
          r: 4,
          alpha: 8,
          targets: ['qkv_proj'],
          training: { samples: 36, epochs: 10, learning_rate: 0.0003, hardware: 'Apple M3 Max' },
        },
      ],
      about: 'A toy adapter; rank 4 on the fused attention projection only.',
      limitations: 'Syllable counts are right about 70% of the time.',
    }),
  )

  const triage = [
    { id: 'extract', uses: 'loras/lexica-ai/legal-ner-phi-3-mini', version: '^1.0.0' },
    { id: 'review', uses: 'loras/lexica-ai/contract-review-mistral-7b', version: '^1.1.0' },
    { id: 'gdpr', uses: 'loras/lexica-ai/gdpr-compliance-qwen2.5-7b', version: '^1.0.0' },
  ]
  items.push(
    defineItem(
      {
        kind: 'pipeline',
        id: 'lexica-ai/contract-triage',
        title: 'Contract triage',
        summary:
          'Extract key terms, flag risky clauses and check GDPR processor terms for an incoming contract.',
        owners: ['lexica-ai'],
        tags: ['legal', 'contracts', 'workflow'],
        domain: 'legal',
        license: 'Apache-2.0',
        use_case: 'First-pass review of inbound commercial contracts',
      },
      [
        {
          manifest: {
            version: '1.0.0',
            released: '2025-07-10',
            changelog: 'First release.',
            steps: triage,
            expected_runtime_s: 90,
            success_rate: 0.97,
          },
          files: [jsonFile('pipeline.json', { name: 'contract-triage', steps: triage })],
        },
      ],
      {
        about: 'Runs three LoRAs in sequence; the review step needs a licence.',
        limitations: 'Not legal advice; a lawyer reviews every flagged clause.',
      },
    ),
  )
  return items
}
