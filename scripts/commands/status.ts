import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import semver from 'semver'
import YAML from 'yaml'
import { writeFileAtomic } from '#core/blobs'
import { AgoraError } from '#core/errors'
import { formatRef, isValidName, itemDir, parseRef } from '#core/names'
import { validateDocument } from '#core/schema'
import { parseCommandArgs } from '../cli/args.ts'
import { createReporter } from '../cli/reporter.ts'
import { findRepoRoot } from '../cli/root.ts'
import { type Command, EXIT_OK } from './context.ts'

type Action = 'yank' | 'deprecate' | 'undeprecate'

const HELP: Record<Action, string> = {
  yank: `Usage: agora yank <[kind/]ns/name@version> --reason TEXT [options]

Marks a released version yanked: pulls of ranges and tags skip it, an exact
pull still works and shows the reason. Writes the status block of
versions/<version>.yaml, the one change a released version allows. A version
a dist-tag points at cannot be yanked: point the tag elsewhere first.`,
  deprecate: `Usage: agora deprecate <[kind/]ns/name[@version]> --reason TEXT [options]

Marks an item (or one of its versions) deprecated: it stays pullable, with
the reason shown. Writes the status block of item.yaml (or of
versions/<version>.yaml).`,
  undeprecate: `Usage: agora undeprecate <[kind/]ns/name[@version]> [options]

Removes a deprecated status from an item or one of its versions.`,
}

const REASON = `
  --reason TEXT       why (required; users always see it)`
const REPLACEMENT = `
  --replacement REF   (an item, not a version) what to use instead, [kind/]ns/name`

/** Only the options an action takes, so its help and completion offer no others. */
const ACTION_OPTIONS: Record<Action, string> = {
  yank: REASON,
  deprecate: `${REASON}${REPLACEMENT}`,
  undeprecate: '',
}

const OPTIONS = `
  --root DIR          hub repository root (default: nearest folder holding
                      registry/agora.yaml)
  --json              print { ok, ref, file, status } and nothing else
  -h, --help          show this help

Exit status: 0 written (or already so), 2 could not (bad reference, no such
item or version, a refused status).

Then commit the change and open a pull request; the change rules allow it to
an item's owners.
`

/**
 * The `agora yank`, `agora deprecate` or `agora undeprecate` command.
 *
 * @example COMMANDS.yank = async () => statusCommand('yank')
 */
export function statusCommand(action: Action): Command {
  return {
    summary:
      action === 'yank'
        ? 'mark a released version yanked, with a reason'
        : action === 'deprecate'
          ? 'mark an item or version deprecated, with a reason'
          : 'remove a deprecated status',
    help: `${HELP[action]}\n\nOptions:${ACTION_OPTIONS[action]}${OPTIONS}`,
    async run(ctx) {
      const { values, positionals } = parseCommandArgs(
        action,
        ctx.argv,
        {
          reason: { type: 'string' },
          replacement: { type: 'string' },
          root: { type: 'string' },
          json: { type: 'boolean' },
        },
        { positionals: { min: 1, max: 1 } },
      )
      const report = createReporter(ctx, values.json === true)
      const spec = parseRef(positionals[0] as string)
      if (!spec || !isValidName(spec.ns) || !isValidName(spec.name)) {
        throw new AgoraError(
          'cli/bad-argument',
          `agora ${action}: "${positionals[0]}" is not a reference`,
          {
            hint: 'write [kind/]ns/name, with @version for a version, e.g. acme/tox-gnn@1.0.0',
          },
        )
      }
      if (spec.version !== undefined && semver.clean(spec.version) !== spec.version) {
        throw new AgoraError(
          'cli/bad-argument',
          `agora ${action}: "${spec.version}" is not an exact version`,
          {
            hint: 'name the version exactly, such as @1.2.0',
          },
        )
      }
      if (action === 'yank' && spec.version === undefined) {
        throw new AgoraError('cli/bad-argument', 'agora yank needs a version: <ref>@<version>', {
          hint: 'to retire the whole item, use "agora deprecate" instead',
        })
      }
      if (action === 'undeprecate' && values.reason !== undefined) {
        throw new AgoraError('cli/bad-argument', 'agora undeprecate takes no --reason', {
          hint: 'drop --reason: the deprecated status and its reason are removed together',
        })
      }
      const reason = values.reason?.trim()
      if (action !== 'undeprecate' && !reason) {
        throw new AgoraError('cli/bad-argument', `agora ${action} needs --reason TEXT`, {
          hint: 'say why, e.g. --reason "wrong tokenizer; use 1.2.1"',
        })
      }
      if (
        values.replacement !== undefined &&
        (action !== 'deprecate' || spec.version !== undefined)
      ) {
        throw new AgoraError('cli/bad-argument', '--replacement goes with deprecating an item', {
          hint: 'drop @version, or drop --replacement',
        })
      }
      const root = await findRepoRoot(ctx.cwd, values.root)
      const dir = `registry/${itemDir(spec)}`
      const itemFile = `${dir}/item.yaml`
      const itemText = await readFile(join(root, itemFile), 'utf8').catch(() => {
        throw new AgoraError('cli/unknown-item', `${formatRef(spec)} is not in this registry`, {
          hint: 'check the reference, and the kind (models are the default kind)',
          file: itemFile,
        })
      })
      const file = spec.version === undefined ? itemFile : `${dir}/versions/${spec.version}.yaml`
      const text =
        spec.version === undefined
          ? itemText
          : await readFile(join(root, file), 'utf8').catch(() => {
              throw new AgoraError(
                'cli/unknown-version',
                `${formatRef(spec)} has no version ${spec.version}`,
                {
                  hint: `see ${dir}/versions/`,
                  file,
                },
              )
            })
      if (action === 'yank') refuseTaggedVersion(itemText, spec.version as string, itemFile)
      if (values.replacement !== undefined) await refuseUnknownItem(root, values.replacement)
      const status =
        action === 'undeprecate'
          ? undefined
          : {
              state: action === 'yank' ? 'yanked' : 'deprecated',
              reason: reason as string,
              ...(values.replacement === undefined ? {} : { replacement: values.replacement }),
              date: new Date().toISOString().slice(0, 10),
            }
      const edited = setStatus(text, status, action, file)
      const type = spec.version === undefined ? 'item' : 'version'
      const { issues } = validateDocument(type, Buffer.from(edited), file, { kind: spec.kind })
      const problem = issues.find((i) => i.severity === 'error')
      if (problem) {
        throw new AgoraError(problem.code, `agora ${action}: ${problem.message}`, {
          hint: problem.hint ?? 'check --reason and --replacement',
          file,
        })
      }
      if (edited !== text) await writeFileAtomic(join(root, file), edited)
      const ref = `${formatRef(spec)}${spec.version === undefined ? '' : `@${spec.version}`}`
      report.info(
        edited === text
          ? `${ref} is already so; nothing written`
          : `✔ ${ref}: ${status ? status.state : 'active again'} (${file})`,
      )
      report.result({ ok: true, ref, file, status: status ?? null, changed: edited !== text })
      return EXIT_OK
    },
  }
}

/**
 * The document with its status block set (or, for undeprecate, removed),
 * edited in place so comments and key order stay. Undeprecating something
 * that is not deprecated is refused: a yank is undone by a maintainer.
 */
function setStatus(
  text: string,
  status: Record<string, string> | undefined,
  action: Action,
  file: string,
): string {
  const doc = YAML.parseDocument(text)
  const current = doc.getIn(['status', 'state'])
  if (current === 'taken-down' || current === 'flagged') {
    throw new AgoraError('cli/bad-status', `${file} is ${current} by the hub's maintainers`, {
      hint: 'only a maintainer changes that state; ask one in the item’s pull request or an issue',
      file,
    })
  }
  if (action === 'undeprecate') {
    if (current === undefined || current === 'active') return text
    if (current !== 'deprecated') {
      throw new AgoraError('cli/bad-status', `${file} is ${String(current)}, not deprecated`, {
        hint: 'only a deprecation is undone here; ask a maintainer about other states',
        file,
      })
    }
    doc.delete('status')
  } else {
    if (current === 'yanked' && action === 'deprecate') {
      throw new AgoraError('cli/bad-status', `${file} is yanked; deprecating it would hide that`, {
        hint: 'a yanked version stays yanked',
        file,
      })
    }
    const same =
      current === status?.state &&
      doc.getIn(['status', 'reason']) === status?.reason &&
      doc.getIn(['status', 'replacement']) === status?.replacement
    if (same) return text
    doc.set('status', doc.createNode(status))
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false })
}

async function refuseUnknownItem(root: string, text: string): Promise<void> {
  const ref = parseRef(text)
  const known =
    ref !== undefined &&
    ref.version === undefined &&
    isValidName(ref.ns) &&
    isValidName(ref.name) &&
    (await readFile(join(root, 'registry', itemDir(ref), 'item.yaml')).then(
      () => true,
      () => false,
    ))
  if (known) return
  throw new AgoraError(
    'cli/unknown-item',
    `--replacement ${text} is not an item of this registry`,
    {
      hint: 'name an existing item as [kind/]ns/name (models are the default kind), without a version',
    },
  )
}

function refuseTaggedVersion(itemText: string, version: string, itemFile: string): void {
  const tags = YAML.parse(itemText)?.['dist-tags'] as Record<string, unknown> | undefined
  const pointing = Object.entries(tags ?? {})
    .filter(([, v]) => v === version)
    .map(([tag]) => tag)
  if (pointing.length === 0) return
  throw new AgoraError(
    'cli/tagged-version',
    `dist-tag${pointing.length === 1 ? '' : 's'} ${pointing.join(', ')} point${pointing.length === 1 ? 's' : ''} at ${version}`,
    {
      hint: `point ${pointing.join(', ')} at another version in ${itemFile} first (a tag never names a yanked version)`,
      file: itemFile,
    },
  )
}
