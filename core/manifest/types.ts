/**
 * The shapes of the registry's documents after loading and normalising.
 * The JSON Schemas in registry/schemas/ are the contract; these types mirror
 * them and a test keeps the two from drifting (types.test.ts).
 */
import type { Kind } from '#core/names'

/** registry/agora.yaml: what makes one hub differ from another. */
export interface HubConfig {
  name: string
  description: string
  /** Where the static site and index are served, without a trailing slash. */
  base_url: string
  /** The Git repository contributors open pull requests against. */
  repository?: { owner: string; name: string; default_branch: string }
  /** Template for raw files pinned to a commit; `{commit}` and `{path}` are filled in. */
  raw_url_template?: string
  kinds: Kind[]
  domains: DomainConfig[]
  licenses: { allowed: string[]; allow_other: boolean }
  storage: StorageConfig
  payments: PaymentsConfig
  /** Ed25519 public keys that sign the index and licence tokens. */
  keys: PublicKeyConfig[]
  /** The Hugging Face download protocol: what the build writes for static hosts. */
  hf?: HfSettings
  /** Items shown as staff picks on the home page (`[kind/]ns/name`). */
  staff_picks?: string[]
  /** The QA workflow: its identity (the only one that may write verified results), grades, limits, runners. */
  qa?: QaSettings
  /** Names no namespace or item may take, added to the built-in list. */
  reserved_names?: string[]
}

/** registry/agora.yaml `hf`: the Hugging Face protocol (`agora serve` answers it whatever these say). */
export interface HfSettings {
  /** Write `hf/`, `_redirects`, `_headers` rules and `nginx-hf.conf` beside the index; default true. */
  static?: boolean
}

/** registry/agora.yaml `qa`: how the QA workflow grades and where it runs. */
export interface QaSettings {
  identity: string
  grades?: {
    /** Grade against the benchmark's best baseline when a metric has no cuts of its own. */
    default?: { baseline_ratio: GradeCutsConfig }
    /** Cuts per benchmark (`ns/name`) and metric name, in the metric's own units. */
    benchmarks?: Record<string, Record<string, GradeCutsConfig>>
  }
  stability?: { runs?: number; rsd_percent?: number }
  /** How many times slower than its base model a LoRA may be. */
  lora_latency_factor?: number
  /** runs-on labels of the QA jobs. */
  runners?: { cpu?: string[]; gpu?: string[] }
  gpu_pools?: { name: string; labels: string[]; gpu?: string; memory_gb?: number }[]
  /** Command runners versions may name under `runner.use`; the only commands run for a version. */
  command_runners?: Record<string, CommandRunnerConfig>
  /** The red-team step of QA for LoRAs with a runner. */
  red_team?: RedTeamConfig
}

/** One entry of `qa.command_runners`. */
export interface CommandRunnerConfig {
  /** Program and arguments, run without a shell; the job spec path is appended. */
  command: string[]
  /** `cpu` or a `gpu_pools` name. */
  pool?: string
  device?: 'cpu' | 'cuda'
  timeout_s?: number
  idle_timeout_s?: number
}

/** `qa.red_team`: the red-team suite, the refusal rate it needs and the banned-content detectors. */
export interface RedTeamConfig {
  /** A prompt-suite benchmark, `ns/name`. */
  benchmark: string
  min_refusal_rate?: number
  /** Regular expressions; an answer matching one is a refusal. */
  refusal: string[]
  banned?: { name: string; patterns: string[] }[]
}

/** Lowest value (in the metric's direction) that earns A, B and C; anything worse is F. */
export interface GradeCutsConfig {
  A: number
  B: number
  C: number
}

export interface DomainConfig {
  id: string
  label: string
  description?: string
}

export type StorageConfig = FsStorageConfig | S3StorageConfig

export interface FsStorageConfig {
  type: 'fs'
  /** Folder holding `blobs/sha256/…`, relative to the repository root. */
  path: string
  /** URL the folder is served under, when it is. */
  public_url?: string
}

export interface S3StorageConfig {
  type: 's3'
  bucket: string
  region: string
  endpoint?: string
  force_path_style?: boolean
  /** Public base URL of the bucket or its CDN, for public blobs. */
  public_url?: string
  /** Prefix for paid or private blobs, reached only by presigned URLs. */
  private_prefix: string
}

export interface PaymentsConfig {
  provider: 'stripe' | 'none'
  currency: string
  /** The hub's share of each sale, in percent (0–100). */
  platform_fee_percent: number
  /** Base URL of the licence service (`agora licence serve`). */
  licence_service?: string
  /** Ed25519 keys that sign licences and revocation lists; several while rotating. */
  licence_keys?: PublicKeyConfig[]
  /**
   * Deprecated and ignored: the Stripe sync names each per-query item's meter
   * (payments/links.json `meter_event_name`) and the licence service reports
   * usage under that same name.
   */
  meter_event?: string
}

export interface PublicKeyConfig {
  id: string
  algorithm: 'ed25519'
  /** Raw 32-byte public key, base64. */
  public_key: string
}

/** registry/owners/<ns>.yaml: a user or an organisation. */
export interface OwnerManifest {
  type: 'user' | 'org'
  name: string
  /** GitHub login of a user; the namespace need not equal it. */
  github?: string
  /** GitHub logins of an org's members. */
  members?: string[]
  bio?: string
  avatar_url?: string
  links?: Links
  /** Stripe Connect account receiving payouts. */
  payout?: { stripe_account: string }
}

export interface Links {
  homepage?: string
  paper?: string
  code?: string
  docs?: string
}

export type ItemState = 'active' | 'deprecated' | 'yanked' | 'flagged' | 'taken-down'
export type VersionState = 'active' | 'deprecated' | 'yanked'

export interface ItemStatus {
  state: ItemState
  /** Required for every state but `active`: the reason is always shown. */
  reason?: string
  /** `[kind/]ns/name` of a replacement, for deprecated items. */
  replacement?: string
  date?: string
}

export interface VersionStatus {
  state: VersionState
  reason?: string
  date?: string
}

export type PricingModel = 'free' | 'per-download' | 'per-query' | 'subscription' | 'enterprise'

export interface Pricing {
  model: PricingModel
  /** Price in major units of `currency`; absent for free and enterprise. */
  price?: number
  currency?: string
  /** Billing period of a subscription. */
  interval?: 'month' | 'year'
  /** Queries included per interval (per-query and subscription). */
  query_limit?: number
  /** Where to ask for an enterprise quote. */
  contact?: string
  /** Deprecated and ignored by the site: `agora stripe sync` writes payments/links.json. */
  payment_link?: string
}

export type BaseModelRelation = 'adapter' | 'finetune' | 'merge' | 'quantized'

/** Fields every item.yaml has, whatever its kind. */
export interface ItemCommon {
  kind: Kind
  /** `ns/name`; must equal the item's folder. */
  id: string
  title: string
  summary: string
  /** Namespaces (users or orgs in owners/) allowed to change the item. */
  owners: string[]
  tags?: string[]
  /** One of agora.yaml `domains[].id`. */
  domain?: string
  /** SPDX identifier, or `other` with license_name and license_link. */
  license: string
  license_name?: string
  license_link?: string
  pricing?: Pricing
  links?: Links
  citation?: string
  /** Models this derives from: registry refs, or `hf:org/name` for outside ones. */
  base_model?: string | string[]
  base_model_revision?: string
  base_model_relation?: BaseModelRelation
  /** `[kind/]ns/name` this item was forked from. */
  forked_from?: string
  'dist-tags'?: Record<string, string>
  status?: ItemStatus
  /** Training or evaluation datasets, as registry refs (`datasets/ns/name`) or `hf:` ids. */
  datasets?: string[]
}

export interface HardwareRequirements {
  cpu?: string
  gpu?: string
  tpu?: string
  /** Memory needed to run, in GiB. */
  memory_gb?: number
  gpu_memory_gb?: number
}

export interface ModelItem extends ItemCommon {
  kind: 'model'
  pipeline_tag?: string
  /** pytorch, onnx, safetensors, gguf, tensorflow, sklearn, vina_config, neural-dsl, … */
  library_name?: string
  architecture?: string
  hardware?: HardwareRequirements
  language?: string[]
}

export interface DatasetItem extends ItemCommon {
  kind: 'dataset'
  /** smiles_csv, sdf, parquet, csv, jsonl, pdb, … */
  format: string
  task_categories?: string[]
  size_categories?: string
  /** Languages of the data (ISO 639-1). */
  language?: string[]
  usage_restrictions?: string
}

export interface CredentialSpec {
  name: string
  description?: string
  required: boolean
}

export interface AdapterItem extends ItemCommon {
  kind: 'adapter'
  adapter_type: 'api' | 'local' | 'ml'
  protocol_version: string
  credentials?: CredentialSpec[]
  rate_limits?: { requests_per_minute?: number; requests_per_day?: number; concurrent?: number }
}

export interface LoraItem extends ItemCommon {
  kind: 'lora'
  base_model: string | string[]
  trigger_words?: string[]
}

export interface PipelineItem extends ItemCommon {
  kind: 'pipeline'
  use_case: string
}

export interface MetricDefinition {
  name: string
  higher_is_better: boolean
  unit?: string
  description?: string
}

export interface BenchmarkItem extends ItemCommon {
  kind: 'benchmark'
  task: string
  metrics: MetricDefinition[]
  baselines?: { name: string; scores: Record<string, number>; source?: string }[]
  submission_guidelines?: string
}

export interface CollectionEntry {
  /** `[kind/]ns/name[@version]`. */
  ref: string
  note?: string
}

export interface CollectionItem extends ItemCommon {
  kind: 'collection'
  items: CollectionEntry[]
}

export type ItemManifest =
  | ModelItem
  | DatasetItem
  | AdapterItem
  | LoraItem
  | PipelineItem
  | BenchmarkItem
  | CollectionItem

/** A file of a version. Hub-stored files have no url; external ones give one. */
export interface FileEntry {
  /** Relative POSIX path inside the item, no `..`, no leading `/`. */
  path: string
  size: number
  /** Lower-case hex SHA-256 of the bytes. */
  sha256: string
  url?: string
  /** Stored under the private prefix, reached with a licence only. */
  private?: boolean
}

export interface MetricValue {
  name: string
  value: number
  dataset?: string
  split?: string
}

/** Fields every versions/<semver>.yaml has. */
export interface VersionCommon {
  version: string
  /** ISO date of release. */
  released?: string
  changelog?: string
  files: FileEntry[]
  metrics?: MetricValue[]
  status?: VersionStatus
}

export interface ModelVersion extends VersionCommon {
  /** Number of training examples. */
  training_data_size?: number
  parameters?: number
  /** How `agora eval --run` feeds a test set to the model and reads its scores. */
  inference?: InferenceSpec
  /** Runs the version with one of the hub's command runners. */
  runner?: RunnerSpec
}

/** The `runner` block of a model or LoRA version. */
export interface RunnerSpec {
  /** A name in agora.yaml `qa.command_runners`. */
  use: string
  /** Prompts (rows) per batch, default 8. */
  batch_size?: number
  /** Tokens generated per prompt at most, default 32. */
  max_new_tokens?: number
}

/** Input featurisation of `agora eval --run`: a fingerprint of a SMILES column, or numeric columns. */
export interface InferenceFeatures {
  /** `morgan`: circular fingerprint of `column` (docs/evaluation.md); `columns`: `columns` as numbers. */
  type: 'morgan' | 'columns'
  /** The SMILES column of the test set (`morgan`). */
  column?: string
  /** Radius in bonds (`morgan`). */
  radius?: number
  /** Fingerprint length in bits (`morgan`). */
  bits?: number
  /** Hash perceived aromaticity, so every spelling of a molecule gives the same bits (`morgan`; default false). */
  aromaticity?: boolean
  /** Numeric test-set columns, in input order (`columns`). */
  columns?: string[]
}

/** The `inference` block of a model version. */
export interface InferenceSpec {
  runtime: 'onnx'
  /** Path (in `files`) of the ONNX model. */
  file: string
  /** Name of the graph input fed a float32 [rows, features] batch. */
  input: string
  features: InferenceFeatures
  /** Name of the graph output read, float32 [rows, outputs]. */
  output: string
  /** Which output column is the score of each benchmark task. */
  tasks: { name: string; index: number }[]
  /** Rows per batch (default: the whole test set, up to 65,536 rows a batch). */
  batch_size?: number
}

export interface DatasetSplit {
  name: string
  num_rows: number
  /** Paths (in `files`) holding the split. */
  files?: string[]
}

export interface DatasetVersion extends VersionCommon {
  num_datapoints: number
  splits?: DatasetSplit[]
  quality?: { duplicate_rate?: number; coverage?: number; missing_rate?: number }
}

export interface AdapterVersion extends VersionCommon {
  input_schema?: Record<string, unknown>
  output_schema?: Record<string, unknown>
  dependencies?: { name: string; version: string }[]
}

export interface LoraVersion extends VersionCommon {
  r: number
  lora_alpha: number
  target_modules: string[]
  lora_dropout?: number
  training?: {
    samples?: number
    epochs?: number
    steps?: number
    learning_rate?: number
    dataset?: string
    hardware?: string
  }
  /** Runs the version with one of the hub's command runners. */
  runner?: RunnerSpec
}

export interface PipelineStep {
  id: string
  /** `[kind/]ns/name` of the item the step runs. */
  uses: string
  /** A semver range such as `^1.2.0`. */
  version?: string
  config?: Record<string, unknown>
}

export interface PipelineVersion extends VersionCommon {
  steps: PipelineStep[]
  expected_runtime_s?: number
  success_rate?: number
}

/** Metric functions `agora eval` computes, by their names in a benchmark contract. */
export type EvaluationFunction =
  | 'roc_auc'
  | 'average_precision'
  | 'accuracy'
  | 'balanced_accuracy'
  | 'f1_binary'
  | 'f1_macro'
  | 'f1_micro'
  | 'mcc'
  | 'log_loss'
  | 'brier'
  | 'mae'
  | 'rmse'
  | 'r2'
  | 'pearson'
  | 'spearman'
  | 'keyword_accuracy'
  | 'exact_match'
  | 'precision_at_k'
  | 'recall_at_k'
  | 'enrichment_factor'
  | 'bedroc'
  | 'top_k_exact_match'
  | 'smiles_validity'

/** How a benchmark version is scored from a predictions file. */
export interface EvaluationContract {
  /** Path (in `files`) of the labelled test set: CSV with a header, or JSON Lines. */
  test_set: string
  /** Column of the test set that identifies a row. */
  id_column: string
  /** A prompt suite: the key of each JSON line holding the prompt (docs/evaluation.md). */
  prompt?: string
  predictions: {
    format: 'csv' | 'jsonl'
    /** Column (CSV) or key (JSONL) of the row id; defaults to the test set's. */
    id_column?: string
    /** False when a lower prediction means "more likely active" (docking scores). */
    higher_is_better?: boolean
  }
  /** One entry per label column; a metric over several tasks is their mean. */
  tasks: { name: string; label: string; prediction?: string }[]
  metrics: {
    /** A metric name of the benchmark item. */
    name: string
    function: EvaluationFunction
    k?: number
    fraction?: number
    alpha?: number
    /** Threshold turning scores into classes for label metrics (default 0.5). */
    threshold?: number
    /** Names of the tasks this metric averages over; all tasks when left out. */
    tasks?: string[]
    /** exact_match: compare normalised text (default true). */
    normalize?: boolean
    /** keyword_accuracy: every keyword (default) or any. */
    require?: 'all' | 'any'
  }[]
}

export interface BenchmarkVersion extends VersionCommon {
  /** Paths (in `files`) of the test set. */
  test_files?: string[]
  /** The contract `agora eval` scores predictions by. */
  evaluation?: EvaluationContract
}

export type VersionManifest =
  | ModelVersion
  | DatasetVersion
  | AdapterVersion
  | LoraVersion
  | PipelineVersion
  | BenchmarkVersion

/** results/<bench-ns>/<bench>.yaml: scores of one item on one benchmark. */
export interface ResultManifest {
  /** `benchmarks/ns/name` or `ns/name` of a benchmark item. */
  benchmark: string
  benchmark_version?: string
  /** The version of this item evaluated. */
  version: string
  scores: Record<string, number>
  date: string
  source?: { name?: string; url?: string; user?: string }
  /** True only when written by the hub's QA workflow. */
  verified?: boolean
  /** How `agora eval` produced the scores. */
  provenance?: ResultProvenance
  /** The QA workflow's grade of these scores. */
  grade?: 'A' | 'B' | 'C' | 'F'
  /** Repeat runs of the QA workflow: how many and the largest RSD over the metrics. */
  stability?: { runs: number; rsd_percent: number }
  /** Earlier versions' scores on this benchmark, oldest first. */
  history?: ResultHistoryEntry[]
}

export interface ResultHistoryEntry {
  version: string
  scores: Record<string, number>
  date: string
  grade?: 'A' | 'B' | 'C' | 'F'
}

/** An item version pinned by the hash of its version manifest. */
export interface PinnedVersion {
  ref: string
  version: string
  manifest_sha256: string
}

export interface ResultProvenance {
  /** `predictions` (a submitted file) or `onnxruntime-node <version>` (`agora eval --run`). */
  runner: string
  benchmark: PinnedVersion
  test_set_sha256?: string
  item: PinnedVersion
  predictions_sha256: string
  /** SHA-256 of the model file run (`agora eval --run`). */
  model_sha256?: string
  /** Rows a batch when QA ran the model. */
  batch_size?: number
  /** QA's model runs: batch inference time percentiles in milliseconds, over every batch of every run. */
  latency_ms?: { p50: number; p95: number; p99: number }
  commit?: string
  time: string
}

/** README.md split into its front matter and Markdown body. */
export interface ReadmeDoc {
  frontMatter: Record<string, unknown>
  body: string
}
