import * as nodeFs from 'node:fs/promises'
import semver from 'semver'
import type { Issue } from '#core/errors'
import { hintFor, type ManifestCode } from '#core/errors'
import {
  type BenchmarkItem,
  type ItemManifest,
  isExternalRef,
  type LoraVersion,
  loadYaml,
  type PipelineVersion,
  parseManifestRef,
} from '#core/manifest'
import type { Kind } from '#core/names'
import {
  formatRef,
  type ItemRef,
  type ItemSpec,
  itemDir,
  nameSkeleton,
  ownerPath,
  refKey,
  shardOf,
} from '#core/names'
import { validateLoaded } from '#core/schema'
import { unknownOwners } from './item-issues.ts'
import {
  type FsPromises,
  type LoadedItem,
  type LoadOptions,
  loadRegistry,
  REGISTRY_DIR,
  type Registry,
} from './load.ts'

/**
 * Answers "does this exist?" for references. Loaded items answer from
 * memory; anything else is checked on disk (stat, or one small read) and
 * cached, so validating a few items of a large registry stays cheap.
 *
 * @example
 * const resolver = new Resolver(registry, fs, false)
 * await resolver.hasItem({ kind: 'dataset', ns: 'acme', name: 'tox21' }) // true when its item.yaml exists
 */
export class Resolver {
  readonly #registry: Registry
  readonly #fs: FsPromises
  readonly #root: string
  readonly #complete: boolean
  readonly #exists = new Map<string, Promise<boolean>>()
  readonly #items = new Map<string, Promise<ItemManifest | undefined>>()
  readonly #versions = new Map<string, Promise<string[]>>()

  constructor(registry: Registry, fs: FsPromises, complete: boolean) {
    this.#registry = registry
    this.#fs = fs
    this.#root = registry.root.replace(/\/+$/, '')
    this.#complete = complete
  }

  #stat(rel: string): Promise<boolean> {
    let p = this.#exists.get(rel)
    if (!p) {
      p = this.#fs.stat(`${this.#root}/${rel}`).then(
        () => true,
        () => false,
      )
      this.#exists.set(rel, p)
    }
    return p
  }

  /** True when the item exists (loaded, or its item.yaml is on disk). */
  hasItem(ref: ItemRef): Promise<boolean> {
    if (this.#registry.items.has(refKey(ref))) return Promise.resolve(true)
    if (this.#complete) return Promise.resolve(false)
    return this.#stat(`${REGISTRY_DIR}/${itemDir(ref)}/item.yaml`)
  }

  /** True when owners/<ns>.yaml exists. */
  hasOwner(ns: string): Promise<boolean> {
    if (this.#registry.owners.has(ns)) return Promise.resolve(true)
    if (this.#complete) return Promise.resolve(false)
    return this.#stat(`${REGISTRY_DIR}/${ownerPath(ns)}`)
  }

  /** The item's manifest, loaded on demand when it was not part of the run. */
  item(ref: ItemRef): Promise<ItemManifest | undefined> {
    const loaded = this.#registry.items.get(refKey(ref))
    if (loaded) return Promise.resolve(loaded.item)
    if (this.#complete) return Promise.resolve(undefined)
    const key = refKey(ref)
    let p = this.#items.get(key)
    if (!p) {
      const file = `${REGISTRY_DIR}/${itemDir(ref)}/item.yaml`
      p = this.#fs.readFile(`${this.#root}/${file}`).then(
        (bytes) => validateLoaded('item', loadYaml(bytes, file), file).value,
        () => undefined,
      )
      this.#items.set(key, p)
    }
    return p
  }

  /** The item's non-yanked versions. */
  versions(ref: ItemRef): Promise<string[]> {
    const loaded = this.#registry.items.get(refKey(ref))
    if (loaded) {
      return Promise.resolve(
        [...loaded.versions].filter(([, v]) => v.status?.state !== 'yanked').map(([k]) => k),
      )
    }
    if (this.#complete) return Promise.resolve([])
    const key = refKey(ref)
    let p = this.#versions.get(key)
    if (!p) {
      p = this.#fs.readdir(`${this.#root}/${REGISTRY_DIR}/${itemDir(ref)}/versions`).then(
        (names) => names.filter((n) => n.endsWith('.yaml')).map((n) => n.slice(0, -'.yaml'.length)),
        () => [],
      )
      this.#versions.set(key, p)
    }
    return p
  }
}

/** What a cross-item rule sees. */
export interface RegistryRuleContext {
  registry: Registry
  resolver: Resolver
  issues: Issue[]
  /** Items this run checks (all loaded items, or the PR's). */
  checked: LoadedItem[]
  fs: FsPromises
  /** True when the whole registry was loaded. */
  complete: boolean
}

export type RegistryRule = (ctx: RegistryRuleContext) => Promise<void>

/** Position of a value path in a loaded file, found only when reporting. */
async function at(
  ctx: RegistryRuleContext,
  file: string,
  path: readonly (string | number)[],
): Promise<{ line?: number; col?: number }> {
  try {
    const bytes = await ctx.fs.readFile(`${ctx.registry.root.replace(/\/+$/, '')}/${file}`)
    return loadYaml(bytes, file).locate(path)
  } catch {
    return {}
  }
}

async function push(
  ctx: RegistryRuleContext,
  code: ManifestCode,
  file: string,
  path: readonly (string | number)[],
  message: string,
  hint: string = hintFor(code),
): Promise<void> {
  ctx.issues.push({ code, severity: 'error', message, hint, file, ...(await at(ctx, file, path)) })
}

async function checkTarget(
  ctx: RegistryRuleContext,
  file: string,
  path: readonly (string | number)[],
  text: string,
  defaultKind: Kind,
  options: { allowExternal?: boolean; allowVersion?: boolean; expectKind?: Kind } = {},
): Promise<ItemSpec | undefined> {
  const parsed = parseManifestRef(text, defaultKind, options)
  // Unparseable references were reported by the document rules.
  if (!parsed || isExternalRef(parsed)) return undefined
  if (options.expectKind && parsed.kind !== options.expectKind) {
    await push(
      ctx,
      'ref/dangling',
      file,
      path,
      `"${text}" names a ${parsed.kind}, not a ${options.expectKind}`,
      `point it at a ${options.expectKind}`,
    )
    return undefined
  }
  if (!(await ctx.resolver.hasItem(parsed))) {
    await push(
      ctx,
      'ref/dangling',
      file,
      path,
      `"${text}" does not exist (no ${REGISTRY_DIR}/${itemDir(parsed)}/item.yaml)`,
    )
    return undefined
  }
  if (parsed.version !== undefined) {
    const versions = await ctx.resolver.versions(parsed)
    const ok = semver.valid(parsed.version)
      ? versions.includes(parsed.version)
      : semver.validRange(parsed.version) !== null &&
        semver.maxSatisfying(versions, parsed.version) !== null
    if (!ok) {
      await push(
        ctx,
        'ref/unknown-version',
        file,
        path,
        `${formatRef(parsed)} has no version matching "${parsed.version}"`,
        `available: ${versions.join(', ') || '(none)'}`,
      )
    }
  }
  return parsed
}

const itemFile = (item: LoadedItem) => `${item.dir}/item.yaml`

/**
 * Owners named by items exist in owners/, and so does the item's namespace.
 *
 * @example await ruleOwnersExist(ctx) // ref/unknown-owner for an owner without registry/owners/<ns>.yaml
 */
export const ruleOwnersExist: RegistryRule = async (ctx) => {
  for (const it of ctx.checked) {
    const known = new Set<string>()
    for (const ns of new Set([it.ref.ns, ...it.item.owners])) {
      if (await ctx.resolver.hasOwner(ns)) known.add(ns)
    }
    for (const { path, message, hint } of unknownOwners(it.ref, it.item.owners, (ns) =>
      known.has(ns),
    )) {
      await push(ctx, 'ref/unknown-owner', itemFile(it), path, message, hint)
    }
  }
}

/**
 * dist-tags point at existing, non-yanked versions, and `latest` exists when versions do.
 *
 * @example await ruleDistTags(ctx) // version/dist-tag-missing when latest names no versions/<v>.yaml
 */
export const ruleDistTags: RegistryRule = async (ctx) => {
  for (const it of ctx.checked) {
    if (it.ref.kind === 'collection') continue
    const tags = it.item['dist-tags'] ?? {}
    if (it.versions.size > 0 && tags.latest === undefined) {
      const newest = semver.rsort([...it.versions.keys()].filter((v) => semver.valid(v)))[0]
      await push(
        ctx,
        'version/latest-required',
        itemFile(it),
        ['dist-tags'],
        `${formatRef(it.ref)} has versions but no latest dist-tag`,
        newest ? `add dist-tags: { latest: ${newest} }` : hintFor('version/latest-required'),
      )
    }
    for (const [tag, version] of Object.entries(tags)) {
      const v = it.versions.get(version)
      if (!v) {
        await push(
          ctx,
          'version/dist-tag-missing',
          itemFile(it),
          ['dist-tags', tag],
          `dist-tag ${tag} points at ${version}, which has no versions/${version}.yaml`,
        )
      } else if (v.status?.state === 'yanked') {
        await push(
          ctx,
          'version/dist-tag-yanked',
          itemFile(it),
          ['dist-tags', tag],
          `dist-tag ${tag} points at ${version}, which is yanked`,
        )
      }
    }
  }
}

/**
 * Lineage, datasets, forks, replacements and collection entries resolve.
 *
 * @example await ruleItemReferences(ctx) // ref/dangling for datasets: [datasets/acme/missing]
 */
export const ruleItemReferences: RegistryRule = async (ctx) => {
  for (const it of ctx.checked) {
    const file = itemFile(it)
    const m = it.item
    if (m.base_model !== undefined) {
      const list = [m.base_model].flat()
      for (const [i, b] of list.entries()) {
        await checkTarget(
          ctx,
          file,
          Array.isArray(m.base_model) ? ['base_model', i] : ['base_model'],
          b,
          'model',
          { allowExternal: true },
        )
      }
    }
    for (const [i, d] of (m.datasets ?? []).entries()) {
      await checkTarget(ctx, file, ['datasets', i], d, 'dataset', { allowExternal: true })
    }
    if (m.forked_from) await checkTarget(ctx, file, ['forked_from'], m.forked_from, m.kind)
    if (m.status?.replacement)
      await checkTarget(ctx, file, ['status', 'replacement'], m.status.replacement, m.kind)
    if (m.kind === 'collection') {
      for (const [i, e] of m.items.entries()) {
        await checkTarget(ctx, file, ['items', i, 'ref'], e.ref, 'model', { allowVersion: true })
      }
    }
  }
}

/**
 * Pipeline steps, LoRA training data and metric datasets of versions resolve.
 *
 * @example await ruleVersionReferences(ctx) // ref/dangling for a pipeline step that uses a missing adapter
 */
export const ruleVersionReferences: RegistryRule = async (ctx) => {
  for (const it of ctx.checked) {
    for (const [version, v] of it.versions) {
      const file = `${it.dir}/versions/${version}.yaml`
      if (it.ref.kind === 'pipeline') {
        for (const [i, s] of (v as PipelineVersion).steps.entries()) {
          const target = await checkTarget(ctx, file, ['steps', i, 'uses'], s.uses, 'model')
          if (target && s.version !== undefined && semver.validRange(s.version) !== null) {
            const versions = await ctx.resolver.versions(target)
            if (semver.maxSatisfying(versions, s.version) === null) {
              await push(
                ctx,
                'ref/unknown-version',
                file,
                ['steps', i, 'version'],
                `${s.uses} has no version matching "${s.version}"`,
                `available: ${versions.join(', ') || '(none)'}`,
              )
            }
          }
        }
      }
      if (it.ref.kind === 'lora') {
        const dataset = (v as LoraVersion).training?.dataset
        if (dataset)
          await checkTarget(ctx, file, ['training', 'dataset'], dataset, 'dataset', {
            allowExternal: true,
          })
      }
      for (const [i, metric] of (v.metrics ?? []).entries()) {
        if (metric.dataset)
          await checkTarget(ctx, file, ['metrics', i, 'dataset'], metric.dataset, 'dataset', {
            allowExternal: true,
          })
      }
    }
  }
}

/**
 * Results name an existing benchmark, score only its metrics, and evaluate an existing version.
 *
 * @example await ruleResults(ctx) // ref/unknown-metric for scores the benchmark does not define
 */
export const ruleResults: RegistryRule = async (ctx) => {
  for (const it of ctx.checked) {
    for (const { file, value } of it.results) {
      const target = await checkTarget(ctx, file, ['benchmark'], value.benchmark, 'benchmark', {
        expectKind: 'benchmark',
      })
      if (target) {
        const bench = (await ctx.resolver.item(target)) as BenchmarkItem | undefined
        if (bench?.kind === 'benchmark') {
          const names = new Set(bench.metrics.map((m) => m.name))
          for (const metric of Object.keys(value.scores)) {
            if (!names.has(metric)) {
              await push(
                ctx,
                'ref/unknown-metric',
                file,
                ['scores', metric],
                `benchmark ${formatRef(target)} has no metric "${metric}"`,
                `use one of: ${[...names].join(', ')}`,
              )
            }
          }
        }
      }
      if (
        it.ref.kind !== 'collection' &&
        semver.valid(value.version) &&
        !it.versions.has(value.version)
      ) {
        await push(
          ctx,
          'ref/unknown-version',
          file,
          ['version'],
          `${formatRef(it.ref)} has no version ${value.version}`,
          `available: ${[...it.versions.keys()].join(', ') || '(none)'}`,
        )
      }
    }
  }
}

/**
 * agora.yaml staff picks resolve.
 *
 * @example await ruleStaffPicks(ctx) // ref/dangling for a staff pick that does not exist
 */
export const ruleStaffPicks: RegistryRule = async (ctx) => {
  if (!ctx.complete) return
  for (const [i, pick] of (ctx.registry.hub.staff_picks ?? []).entries()) {
    await checkTarget(ctx, `${REGISTRY_DIR}/agora.yaml`, ['staff_picks', i], pick, 'model')
  }
}

/**
 * agora.yaml's command runners name QA pools it defines: `cpu`, `gpu` when
 * `qa.runners.gpu` is set, or a `qa.gpu_pools` name. Checked before merge,
 * since after it the QA plan would stop on the unknown pool.
 *
 * @example await ruleQaPools(ctx) // ref/unknown-pool for pool: h100 with no h100 in qa.gpu_pools
 */
export const ruleQaPools: RegistryRule = async (ctx) => {
  const qa = ctx.registry.hub.qa
  if (!qa) return
  const pools = new Set(['cpu', ...(qa.runners?.gpu ? ['gpu'] : [])])
  for (const p of qa.gpu_pools ?? []) pools.add(p.name)
  for (const [name, runner] of Object.entries(qa.command_runners ?? {})) {
    if (runner.pool === undefined || pools.has(runner.pool)) continue
    await push(
      ctx,
      'ref/unknown-pool',
      `${REGISTRY_DIR}/agora.yaml`,
      ['qa', 'command_runners', name, 'pool'],
      `command runner "${name}" runs in pool "${runner.pool}", which agora.yaml does not define`,
      `use one of: ${[...pools].join(', ')}, or add it to qa.gpu_pools`,
    )
  }
}

async function siblingNames(ctx: RegistryRuleContext, kind: Kind, ns: string): Promise<string[]> {
  const dir = `${ctx.registry.root.replace(/\/+$/, '')}/${REGISTRY_DIR}/${kind}s/${shardOf(ns)}/${ns}`
  return ctx.fs.readdir(dir).catch(() => [])
}

async function namespaces(ctx: RegistryRuleContext): Promise<string[]> {
  if (ctx.complete) return [...ctx.registry.owners.keys()]
  const names = await ctx.fs
    .readdir(`${ctx.registry.root.replace(/\/+$/, '')}/${REGISTRY_DIR}/owners`)
    .catch(() => [] as string[])
  return names.filter((n) => n.endsWith('.yaml')).map((n) => n.slice(0, -'.yaml'.length))
}

/**
 * No two item names of one kind and namespace, and no two namespaces, share
 * a skeleton: `acme/rn-x` next to `acme/m-x` invites impersonation. Of two
 * look-alikes the later in sort order is reported, in full and partial runs
 * alike, so both agree on which name has to change.
 *
 * @example await ruleConfusableNames(ctx) // naming/confusable for acme/tox_gnn beside acme/tox-gnn
 */
export const ruleConfusableNames: RegistryRule = async (ctx) => {
  const byParent = new Map<string, LoadedItem[]>()
  for (const it of ctx.checked) {
    const key = `${it.ref.kind}/${it.ref.ns}`
    const group = byParent.get(key)
    if (group) group.push(it)
    else byParent.set(key, [it])
  }
  for (const group of byParent.values()) {
    const first = group[0] as LoadedItem
    const siblings = ctx.complete
      ? group.map((o) => o.ref.name)
      : await siblingNames(ctx, first.ref.kind, first.ref.ns)
    const sorted = [...new Set(siblings)].sort()
    for (const it of group) {
      const skeleton = nameSkeleton(it.ref.name)
      const rival = sorted.find((n) => n < it.ref.name && nameSkeleton(n) === skeleton)
      if (rival) {
        await push(
          ctx,
          'naming/confusable',
          itemFile(it),
          ['id'],
          `name "${it.ref.name}" looks like "${rival}" in ${formatRef({ ...it.ref, name: rival })}`,
        )
      }
    }
  }
  const all = [...new Set(await namespaces(ctx))].sort()
  const seen = new Map<string, string>()
  const checkedNs = new Set(ctx.checked.map((c) => c.ref.ns))
  for (const ns of all) {
    const skeleton = nameSkeleton(ns)
    const rival = seen.get(skeleton)
    if (rival === undefined) {
      seen.set(skeleton, ns)
      continue
    }
    if (ctx.complete || checkedNs.has(ns)) {
      ctx.issues.push({
        code: 'naming/confusable',
        severity: 'error',
        message: `namespace "${ns}" looks like "${rival}"`,
        hint: hintFor('naming/confusable'),
        file: `${REGISTRY_DIR}/${ownerPath(ns)}`,
        line: 1,
        col: 1,
      })
    }
  }
}

export const REGISTRY_RULES: readonly RegistryRule[] = [
  ruleOwnersExist,
  ruleDistTags,
  ruleItemReferences,
  ruleVersionReferences,
  ruleResults,
  ruleStaffPicks,
  ruleQaPools,
  ruleConfusableNames,
]

/**
 * loadRegistry plus every cross-item rule: owners exist, dist-tags point at
 * live versions, references resolve, results match their benchmark, names
 * are not confusable. With `items`, only those items are checked and
 * references outside the set are resolved by stat on their files, so the
 * cost does not grow with the registry.
 *
 * @example
 * const { issues } = await validateRegistry(repoRoot)
 * if (hasErrors(issues)) process.exitCode = 1
 */
export async function validateRegistry(
  repoRoot: string,
  options: LoadOptions = {},
): Promise<{ registry: Registry; issues: Issue[] }> {
  const fs = options.fs ?? nodeFs
  const { registry, issues } = await loadRegistry(repoRoot, { ...options, fs })
  const complete = options.items === undefined
  const ctx: RegistryRuleContext = {
    registry,
    resolver: new Resolver(registry, fs, complete),
    issues,
    checked: [...registry.items.values()],
    fs,
    complete,
  }
  for (const rule of REGISTRY_RULES) await rule(ctx)
  return { registry, issues }
}
