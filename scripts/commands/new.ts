import { randomBytes } from 'node:crypto'
import { link, mkdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { AgoraError, type Issue } from '#core/errors'
import type { HubConfig } from '#core/manifest'
import {
  checkName,
  formatRef,
  type ItemRef,
  itemDir,
  KINDS,
  type Kind,
  kindPlural,
  parseKind,
} from '#core/names'
import { validateDocument } from '#core/schema'
import { parseCommandArgs } from '../cli/args.ts'
import { createReporter } from '../cli/reporter.ts'
import { findRepoRoot } from '../cli/root.ts'
import { type Command, EXIT_OK } from './context.ts'

const help = `Usage: agora new <kind> <namespace>/<name> [options]
       agora new owner <namespace> [--org] [--github LOGIN] [--name NAME]

Creates a new item folder with item.yaml, a README.md card and, for every
kind but collections, versions/0.1.0.yaml with an empty files list. Fill in
the empty fields (each has a comment saying what goes there), then run
"agora validate" on the folder and "agora publish" to add files.

Kinds: ${KINDS.join(', ')} (singular or plural).

"agora new owner" writes registry/owners/<namespace>.yaml, which every item
needs for its namespace: a user (github: your login, the namespace by
default) or, with --org, an organisation whose members are the logins given.

Options:
  --owner NS    namespace listed in owners (default: the item's namespace)
  --org         (owner) an organisation rather than a user
  --github L    (owner) your GitHub login: a user's github, an org's member
  --name TEXT   (owner) display name (default: from the namespace)
  --root DIR    hub repository root (default: nearest folder holding
                registry/agora.yaml)
  --json        print { ok, ref, dir, files } and nothing else
  -h, --help    show this help

Exit status: 0 created, 2 could not create (bad kind or name, item or owner exists).

Examples:
  agora new model acme/tox-gnn
  agora new dataset acme/tox21 --owner acme-labs
  agora new lora acme/legal-7b --json
  agora new owner jdoe
  agora new owner acme --org --github octocat --name "Acme Research"
`

/** The version a new item starts at, as `npm init` does. */
const FIRST_VERSION = '0.1.0'

const command: Command = {
  summary: 'scaffold a new item: item.yaml, README.md and a first version',
  help,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      'new',
      ctx.argv,
      {
        owner: { type: 'string' },
        org: { type: 'boolean' },
        github: { type: 'string' },
        name: { type: 'string' },
        root: { type: 'string' },
        json: { type: 'boolean' },
      },
      { positionals: { min: 2, max: 2 } },
    )
    const report = createReporter(ctx, values.json === true)
    const [kindArg, idArg] = positionals as [string, string]
    if (kindArg === 'owner') {
      const root = await findRepoRoot(ctx.cwd, values.root)
      const file = await createOwner(root, idArg, {
        org: values.org === true,
        github: values.github,
        name: values.name,
        reserved: (await readHub(root)).reserved_names ?? [],
      })
      report.info(`✔ created ${file}`)
      report.info(`next: add a bio and links if you like, then run: agora validate`)
      report.result({ ok: true, owner: idArg, file })
      return EXIT_OK
    }
    const kind = parseKind(kindArg)
    if (!kind || (kindArg !== kind && kindArg !== kindPlural(kind))) {
      throw new AgoraError('cli/unknown-kind', `agora new: "${kindArg}" is not a kind`, {
        hint: `use one of ${KINDS.join(', ')}`,
      })
    }
    const root = await findRepoRoot(ctx.cwd, values.root)
    const hub = await readHub(root)
    if (!hub.kinds.includes(kind)) {
      throw new AgoraError('cli/kind-not-enabled', `this hub does not take ${kindPlural(kind)}`, {
        hint: `registry/agora.yaml enables: ${hub.kinds.join(', ')}`,
        file: 'registry/agora.yaml',
      })
    }
    const parts = idArg.split('/')
    if (parts.length !== 2) {
      throw new AgoraError('cli/bad-argument', `agora new: "${idArg}" is not <namespace>/<name>`, {
        hint: 'write the id as namespace/name, such as acme/tox-gnn',
      })
    }
    const [ns, name] = parts as [string, string]
    const owner = values.owner ?? ns
    const reserved = hub.reserved_names ?? []
    refuseBadName([
      ...checkName(ns, 'namespace', reserved),
      ...checkName(name, 'name', reserved),
      ...(owner === ns ? [] : checkName(owner, 'namespace', reserved)),
    ])
    const ref: ItemRef = { kind, ns, name }
    const dir = `registry/${itemDir(ref)}`
    const files = scaffoldItem(ref, owner)
    await writeItemAtomically(root, dir, files)

    const ownerExists = await exists(join(root, 'registry', 'owners', `${owner}.yaml`))
    if (!ownerExists) {
      report.warn(
        `note: registry/owners/${owner}.yaml does not exist yet; create it with "agora new owner ${owner} --github <your login>" (add --org for an organisation) in the same pull request; new namespaces are reviewed by a maintainer`,
      )
    }
    report.info(`✔ created ${dir} (${formatRef(ref)})`)
    for (const file of Object.keys(files)) report.info(`  ${dir}/${file}`)
    report.info(`next: fill in the empty fields, then run: agora validate ${dir}`)
    report.result({
      ok: true,
      ref: formatRef(ref),
      dir,
      files: Object.keys(files).map((f) => `${dir}/${f}`),
    })
    return EXIT_OK
  },
}

export default command

/**
 * Writes `registry/owners/<ns>.yaml` for a new namespace: a user whose
 * GitHub login is `github` (the namespace by default), or an org whose one
 * member is `github`. Refuses a bad or reserved name, an owner file that
 * exists, and a document the owner schema would refuse; the file appears
 * whole or not at all. Returns its repository-relative path.
 *
 * @example await createOwner(root, 'jdoe', { org: false, reserved: [] }) // 'registry/owners/jdoe.yaml'
 */
export async function createOwner(
  root: string,
  ns: string,
  options: {
    org: boolean
    github?: string | undefined
    name?: string | undefined
    reserved: string[]
  },
): Promise<string> {
  refuseBadName(checkName(ns, 'namespace', options.reserved))
  if (options.org && options.github === undefined) {
    throw new AgoraError('cli/bad-argument', 'agora new owner --org needs --github LOGIN', {
      hint: 'an organisation lists the GitHub logins of its members; give yours, e.g. --github octocat',
    })
  }
  const file = `registry/owners/${ns}.yaml`
  const name = options.name ?? titleOf(ns)
  const login = options.github ?? ns
  const text = [
    '# yaml-language-server: $schema=../schemas/owner.schema.json',
    `type: ${options.org ? 'org' : 'user'}`,
    `name: ${yamlString(name)}`,
    options.org ? `members: [${JSON.stringify(login)}]` : `github: ${JSON.stringify(login)}`,
    '',
  ].join('\n')
  const { issues } = validateDocument('owner', Buffer.from(text), file)
  const problem = issues.find((i) => i.severity === 'error')
  if (problem) {
    throw new AgoraError(problem.code, `agora new owner: ${problem.message}`, {
      hint: problem.hint ?? 'check --github and --name',
    })
  }
  const path = join(root, file)
  await mkdir(dirname(path), { recursive: true })
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await writeFile(temp, text, { flag: 'wx' })
    // link() fails when the name exists, so an owner file is never replaced.
    await link(temp, path)
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EEXIST') {
      throw new AgoraError('cli/owner-exists', `${file} already exists`, {
        file,
        hint: 'the namespace is taken; to be added to an organisation, ask one of its members',
      })
    }
    throw error
  } finally {
    await rm(temp, { force: true })
  }
  return file
}

function refuseBadName(issues: Issue[]): void {
  const first = issues[0]
  if (!first) return
  throw new AgoraError(first.code, `agora new: ${first.message}`, {
    hint: first.hint ?? 'use lower-case letters, digits and - _ . between them',
  })
}

export async function readHub(root: string): Promise<HubConfig> {
  const file = 'registry/agora.yaml'
  const { value, issues } = validateDocument('hub', await readFile(join(root, file)), file)
  if (!value) {
    const first = issues[0]
    throw new AgoraError(
      'cli/bad-hub',
      `${file} is not valid, so the kinds and names it allows are unknown`,
      {
        hint: first ? `fix it first: ${first.message}` : 'run "agora validate" to see why',
        file,
        ...(first?.line === undefined ? {} : { line: first.line, col: first.col ?? 1 }),
      },
    )
  }
  return value
}

/**
 * The files of a new item, by path inside its folder. Required fields that
 * only the author can fill are left empty with a comment, so validation
 * fails on them until they are filled rather than accepting a placeholder.
 *
 * @example Object.keys(scaffoldItem({ kind: 'model', ns: 'acme', name: 'x' }, 'acme'))
 * // ['item.yaml', 'README.md', 'versions/0.1.0.yaml']
 */
export function scaffoldItem(ref: ItemRef, owner: string): Record<string, string> {
  const files: Record<string, string> = {
    'item.yaml': itemYaml(ref, owner),
    'README.md': readme(ref),
  }
  if (ref.kind !== 'collection') files[`versions/${FIRST_VERSION}.yaml`] = versionYaml(ref.kind)
  return files
}

/** `tox-gnn` -> `Tox Gnn`: a starting title the author will usually refine. */
function titleOf(name: string): string {
  return name
    .split(/[-_.]+/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join(' ')
}

/** Plain when YAML reads it back as the same string, quoted otherwise. */
function yamlString(text: string): string {
  return /^[A-Za-z][A-Za-z0-9 ]*$/.test(text) && !/^(yes|no|on|off|true|false|null)$/i.test(text)
    ? text
    : JSON.stringify(text)
}

const KIND_FIELDS: Record<Kind, string> = {
  model: [
    '# Task as on the Hugging Face Hub, e.g. text-generation, graph-ml (optional).',
    '# pipeline_tag: graph-ml',
    '# Library or format it loads with: pytorch, onnx, gguf, safetensors … (optional).',
    '# library_name: pytorch',
  ].join('\n'),
  dataset: ['# File format of the data: parquet, smiles_csv, jsonl, sdf …', 'format: ""'].join(
    '\n',
  ),
  adapter: [
    '# api (calls a remote API), local (runs locally) or ml (wraps a model).',
    'adapter_type: api',
    '# Version of the protocol the adapter speaks.',
    'protocol_version: "1.0"',
  ].join('\n'),
  lora: [
    '# The model this LoRA adapts: a registry ref (ns/name) or hf:org/name;',
    "# agora publish fills it from adapter_config.json's base_model_name_or_path.",
    'base_model: ""',
    'base_model_relation: adapter',
    '# Words that trigger the style or concept (optional).',
    'trigger_words: []',
  ].join('\n'),
  pipeline: ['# What the pipeline is for, in one line.', 'use_case: ""'].join('\n'),
  benchmark: [
    '# The task measured, e.g. toxicity-classification.',
    'task: ""',
    '# Metrics reported, e.g. - { name: roc_auc, higher_is_better: true }',
    'metrics: []',
  ].join('\n'),
  collection: [
    '# Items in the collection, e.g. - { ref: datasets/acme/tox21, note: … }',
    'items: []',
  ].join('\n'),
}

function itemYaml(ref: ItemRef, owner: string): string {
  const lines = [
    '# yaml-language-server: $schema=../../../../schemas/item.schema.json',
    `kind: ${ref.kind}`,
    `id: ${ref.ns}/${ref.name}`,
    `title: ${yamlString(titleOf(ref.name) || ref.name)}`,
    '# One sentence shown in lists and search results.',
    'summary: ""',
    '# Namespaces (owners/<ns>.yaml) allowed to change this item.',
    'owners:',
    `  - ${owner}`,
    '# An SPDX identifier such as MIT or Apache-2.0, or other with license_name and license_link.',
    'license: ""',
    'tags: []',
    KIND_FIELDS[ref.kind],
  ]
  if (ref.kind !== 'collection') lines.push('dist-tags:', `  latest: ${FIRST_VERSION}`)
  return `${lines.join('\n')}\n`
}

const VERSION_FIELDS: Record<Exclude<Kind, 'collection'>, string> = {
  model: '',
  dataset: ['# Number of rows, molecules or examples.', 'num_datapoints: 0'].join('\n'),
  adapter: '',
  lora: [
    '# Rank, scaling and adapted modules: agora publish reads them from the',
    '# adapter_config.json it publishes. Without one, write them here, e.g.:',
    '# r: 8',
    '# lora_alpha: 16',
    '# target_modules: [q_proj, v_proj]',
  ].join('\n'),
  pipeline: [
    '# Steps run in order, e.g. - { id: featurize, uses: acme/featurizer, version: ^1.0.0 }',
    'steps: []',
  ].join('\n'),
  benchmark: '',
}

function versionYaml(kind: Exclude<Kind, 'collection'>): string {
  const lines = [
    '# yaml-language-server: $schema=../../../../../schemas/version.schema.json',
    `version: ${FIRST_VERSION}`,
    '# What changed in this version.',
    'changelog: First release.',
    '# Filled in by agora publish: path, size and sha256 of each file.',
    'files: []',
  ]
  if (VERSION_FIELDS[kind]) lines.push(VERSION_FIELDS[kind])
  return `${lines.join('\n')}\n`
}

const CARD_SECTIONS: Record<Kind, string[]> = {
  model: ['Intended use', 'Training data', 'Evaluation', 'Limitations and risks', 'How to use'],
  dataset: ['Contents', 'Collection and processing', 'Intended use', 'Limitations and biases'],
  adapter: ['What it connects to', 'Configuration and credentials', 'Inputs and outputs', 'Limits'],
  lora: ['Base model and trigger words', 'Training', 'Examples', 'Limitations and risks'],
  pipeline: ['Steps', 'Inputs and outputs', 'Runtime and cost', 'Limitations'],
  benchmark: ['Task', 'Metrics', 'Data and splits', 'How to submit'],
  collection: ['Why these items', 'How to use them together'],
}

function readme(ref: ItemRef): string {
  const sections = CARD_SECTIONS[ref.kind].map(
    (title) => `## ${title}\n\n<!-- Write this section, or remove it if it does not apply. -->\n`,
  )
  return [
    `# ${titleOf(ref.name) || ref.name}`,
    '',
    `<!-- One paragraph: what this ${ref.kind} is, who made it and for whom. -->`,
    '',
    ...sections,
    '## License',
    '',
    'See `license` in item.yaml.',
    '',
    '## Citation',
    '',
    '<!-- A BibTeX entry, if there is a paper. -->',
    '',
  ].join('\n')
}

/**
 * Writes every file into a temp folder under `.agora/tmp` (ignored by Git,
 * on the same disk) and renames it into place, so an interrupted run leaves
 * either the whole item or nothing, and never replaces an existing item.
 */
export async function writeItemAtomically(
  root: string,
  dir: string,
  files: Record<string, string>,
): Promise<void> {
  const target = join(root, dir)
  if (await exists(target)) {
    throw new AgoraError('cli/item-exists', `${dir} already exists`, {
      hint: 'edit the files there, or pick another name; agora new never overwrites an item',
      file: dir,
    })
  }
  const tmpRoot = join(root, '.agora', 'tmp')
  await mkdir(tmpRoot, { recursive: true })
  const tmp = join(tmpRoot, `new-${randomBytes(6).toString('hex')}`)
  let createdParent: string | undefined
  try {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(tmp, path)), { recursive: true })
      await writeFile(join(tmp, path), content, { flag: 'wx' })
    }
    createdParent = await mkdir(dirname(target), { recursive: true })
    // rename() onto an existing non-empty folder fails, which keeps a racing run from clobbering it.
    await rename(tmp, target)
  } catch (error) {
    await rm(tmp, { recursive: true, force: true })
    if (createdParent) await removeEmptyDirs(dirname(target), createdParent)
    if (error instanceof AgoraError) throw error
    const code = (error as { code?: string }).code
    if (code === 'ENOTEMPTY' || code === 'EEXIST') {
      throw new AgoraError('cli/item-exists', `${dir} already exists`, {
        hint: 'edit the files there, or pick another name; agora new never overwrites an item',
        file: dir,
        cause: error,
      })
    }
    throw new AgoraError(
      'cli/write-failed',
      `could not create ${dir}: ${(error as Error).message}`,
      {
        hint: 'check that the registry folder is writable',
        cause: error,
      },
    )
  }
}

/** Removes the folders this run created, innermost first, stopping at one that is not empty. */
async function removeEmptyDirs(from: string, upTo: string): Promise<void> {
  for (let dir = from; dir.startsWith(upTo); dir = dirname(dir)) {
    const removed = await rmdir(dir).then(
      () => true,
      () => false,
    )
    if (!removed || dir === upTo) return
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}
