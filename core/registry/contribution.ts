import type { ValidateFunction } from 'ajv/dist/2020.js'
import { hasErrors, hintFor, type Issue, sortIssues } from '#core/errors'
// #core/manifest, not #core/schema: this check runs in the Contribute form's
// browser bundle with validators compiled at build time, without ajv.
import {
  type HubConfig,
  type ItemManifest,
  loadReadme,
  loadYaml,
  validateWith,
} from '#core/manifest'
import type { Kind } from '#core/names'
import { itemDir, nameSkeleton } from '#core/names'
import {
  confusableNewNameIssue,
  confusableNewNamespaceIssue,
  missingReadmeIssue,
  unknownOwners,
} from './item-issues.ts'

/** What a new item is checked against: the hub's settings and what the registry already holds. */
export interface ContributionFacts {
  hub: HubConfig
  /** Namespaces that have registry/owners/<ns>.yaml. */
  owners: readonly string[]
  /** Every item, as `<kind>/<ns>/<name>`. */
  items: readonly string[]
}

/** A new item as the Contribute form (or anything else) proposes it. */
export interface Contribution {
  kind: Kind
  ns: string
  name: string
  /** The text of item.yaml. */
  item: string
  /** The text of README.md; undefined or '' when there is none. */
  readme?: string
}

/**
 * Checks a proposed new item the way `agora validate` and the pull-request
 * check would once its files were in the registry: item.yaml through the
 * document pipeline (schema, normalisation, rules, with the hub's settings),
 * README.md, its owners exist, its id is free and looks like no sibling's,
 * and a new namespace looks like no existing one. `validator` is the item
 * schema's compiled validator (getValidator('item') in Node, a standalone
 * one in the browser). Issues are sorted as the CLI prints them.
 *
 * @example
 * const { ok, issues } = validateContribution(
 *   { kind: 'model', ns: 'acme', name: 'new-gnn', item: yaml, readme: '# New GNN' },
 *   { hub, owners: ['acme'], items: ['model/acme/tox-gnn'] },
 *   getValidator('item'),
 * )
 */
export function validateContribution(
  contribution: Contribution,
  facts: ContributionFacts,
  validator: ValidateFunction,
): { ok: boolean; issues: Issue[]; file: string } {
  const { kind, ns, name } = contribution
  const ref = { kind, ns, name }
  const dir = `registry/${itemDir(ref)}`
  const file = `${dir}/item.yaml`
  const loaded = loadYaml(contribution.item, file)
  const { value, issues } = validateWith(validator, 'item', loaded, file, { hub: facts.hub })
  if (contribution.readme === undefined || contribution.readme === '') {
    issues.push(missingReadmeIssue(dir))
  } else {
    issues.push(...loadReadme(contribution.readme, `${dir}/README.md`).issues)
  }
  if (value) issues.push(...registryIssues(value, ref, facts, loaded.locate, file))
  const sorted = sortIssues(issues)
  return { ok: !hasErrors(sorted), issues: sorted, file }
}

function registryIssues(
  item: ItemManifest,
  ref: { kind: Kind; ns: string; name: string },
  facts: ContributionFacts,
  locate: (path: readonly (string | number)[]) => { line: number; col: number },
  file: string,
): Issue[] {
  const issues: Issue[] = []
  const owners = new Set(facts.owners)
  for (const { path, message, hint } of unknownOwners(ref, item.owners, (ns) => owners.has(ns))) {
    issues.push({
      code: 'ref/unknown-owner',
      severity: 'error',
      message,
      hint,
      file,
      ...locate(path),
    })
  }
  const id = `${ref.kind}/${ref.ns}/${ref.name}`
  if (facts.items.includes(id)) {
    issues.push({
      code: 'change/item-exists',
      severity: 'error',
      message: `${id} already exists (registry/${itemDir(ref)})`,
      hint: hintFor('change/item-exists'),
      file,
      ...locate(['id']),
    })
    return issues
  }
  const skeleton = nameSkeleton(ref.name)
  const prefix = `${ref.kind}/${ref.ns}/`
  const rival = facts.items
    .filter((i) => i.startsWith(prefix))
    .map((i) => i.slice(prefix.length))
    .sort()
    .find((n) => n !== ref.name && nameSkeleton(n) === skeleton)
  if (rival !== undefined) issues.push(confusableNewNameIssue(ref, rival, file))
  if (!owners.has(ref.ns)) {
    const nsSkeleton = nameSkeleton(ref.ns)
    const nsRival = [...owners].sort().find((o) => nameSkeleton(o) === nsSkeleton)
    if (nsRival !== undefined) {
      issues.push(confusableNewNamespaceIssue(ref.ns, nsRival, file))
    }
  }
  return issues
}
