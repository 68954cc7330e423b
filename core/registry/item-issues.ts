import { hintFor, type Issue } from '#core/errors'
import { formatRef, type ItemRef, ownerPath } from '#core/names'

// The wording of the registry-level item checks, shared by `agora validate`
// (validate.ts, load.ts), the pull-request change rules and the Contribute
// form (contribution.ts), so every one of them says the same thing.

/** The registry folder, repeated here so this file stays free of the loader. */
const REGISTRY = 'registry'

/**
 * An item folder without README.md.
 *
 * @example missingReadmeIssue('registry/models/ac/acme/x') // { code: 'registry/missing-readme', … }
 */
export function missingReadmeIssue(dir: string): Issue {
  return {
    code: 'registry/missing-readme',
    severity: 'error',
    message: `${dir} has no README.md`,
    hint: hintFor('registry/missing-readme'),
    file: `${dir}/README.md`,
  }
}

/**
 * The owners an item names (its namespace first, then `owners`) that have no
 * owners/<ns>.yaml, each with the value path the issue points at and a hint
 * naming the command that creates that owner file.
 *
 * @example unknownOwners({ kind: 'model', ns: 'acme', name: 'x' }, ['acme', 'bob'], (ns) => ns === 'acme')
 * // [{ path: ['owners', 1], message: 'owner "bob" has no registry/owners/bob.yaml', hint: 'create it with "agora new owner bob --github <login>" …' }]
 */
export function unknownOwners(
  ref: ItemRef,
  owners: readonly string[],
  hasOwner: (ns: string) => boolean,
): { path: (string | number)[]; message: string; hint: string }[] {
  const out: { path: (string | number)[]; message: string; hint: string }[] = []
  if (!hasOwner(ref.ns)) {
    out.push({
      path: ['id'],
      message: `namespace "${ref.ns}" has no ${REGISTRY}/${ownerPath(ref.ns)}`,
      hint: newOwnerHint(ref.ns),
    })
  }
  for (const [i, o] of owners.entries()) {
    if (o !== ref.ns && !hasOwner(o)) {
      out.push({
        path: ['owners', i],
        message: `owner "${o}" has no ${REGISTRY}/${ownerPath(o)}`,
        hint: newOwnerHint(o),
      })
    }
  }
  return out
}

// Owner names are checked against the id pattern before they get here, so
// they are safe to repeat in a shell command.
const newOwnerHint = (ns: string) =>
  `create it with "agora new owner ${ns} --github <login>" (add --org for an organisation), or fix the namespace`

/**
 * A new item whose name looks like an existing sibling's (`naming/confusable`).
 *
 * @example confusableNewNameIssue({ kind: 'model', ns: 'acme', name: 'tox_gnn' }, 'tox-gnn', 'registry/…/item.yaml')
 */
export function confusableNewNameIssue(ref: ItemRef, rival: string, file: string): Issue {
  return {
    code: 'naming/confusable',
    severity: 'error',
    message: `new name "${ref.name}" looks like "${rival}" in ${formatRef({ ...ref, name: rival })}`,
    hint: hintFor('naming/confusable'),
    file,
    line: 1,
    col: 1,
  }
}

/**
 * A new namespace that looks like an existing one (`naming/confusable`).
 *
 * @example confusableNewNamespaceIssue('0penchem', 'openchem', 'registry/owners/0penchem.yaml')
 */
export function confusableNewNamespaceIssue(ns: string, rival: string, file: string): Issue {
  return {
    code: 'naming/confusable',
    severity: 'error',
    message: `new namespace "${ns}" looks like "${rival}"`,
    hint: hintFor('naming/confusable'),
    file,
    line: 1,
    col: 1,
  }
}
