import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { AgoraError, hasErrors } from '#core/errors'
import type { CommandContext } from '../commands/context.ts'
import { findRepoRoot } from './root.ts'

/** Where a command that reads the hub's index looks: the index, the key to trust, the cache. */
export interface HubSource {
  indexUrl: string | undefined
  publicKey: string | undefined
  cacheDir: string
}

/**
 * The option specs every index-reading command shares (`pull`, `info`), so
 * they spell and document them the same way.
 */
export const HUB_SOURCE_OPTIONS = {
  offline: { type: 'boolean' },
  index: { type: 'string' },
  key: { type: 'string' },
  cache: { type: 'string' },
  'allow-rollback': { type: 'boolean' },
  json: { type: 'boolean' },
} as const

/**
 * Works out the index, key and cache from --index / --key / --cache, then
 * AGORA_INDEX_URL / AGORA_INDEX_KEY / AGORA_CACHE, then the hub checkout
 * around the current folder. Throws `client/no-source` when there is no
 * index to read and the command is neither offline nor on raw Git URLs.
 *
 * @example
 * const { indexUrl, publicKey, cacheDir } = await hubSource(ctx, values, { verb: 'pull from' })
 */
export async function hubSource(
  ctx: Pick<CommandContext, 'cwd' | 'env'>,
  values: {
    index?: string | undefined
    key?: string | undefined
    cache?: string | undefined
    offline?: boolean | undefined
  },
  options: { command: string; verb: string; raw?: boolean },
): Promise<HubSource> {
  const local = await localHub(ctx.cwd)
  const indexUrl = options.raw
    ? undefined
    : (values.index ?? ctx.env.AGORA_INDEX_URL ?? local?.baseUrl)
  if (indexUrl && !isHttpUrl(indexUrl)) {
    const from = values.index !== undefined ? '--index' : 'AGORA_INDEX_URL'
    throw new AgoraError('cli/bad-argument', `${from} "${indexUrl}" is not an http(s) URL`, {
      hint: 'give the hub’s address, e.g. --index https://hub.example, the one its site is served from',
    })
  }
  const publicKey =
    values.key ??
    ctx.env.AGORA_INDEX_KEY ??
    (indexUrl && indexUrl === local?.baseUrl ? local.publicKey : undefined)
  if (!indexUrl && !options.raw && !values.offline) {
    throw new AgoraError(
      'client/no-source',
      `agora ${options.command}: no index to ${options.verb}`,
      {
        hint: 'pass --index <url> (e.g. http://127.0.0.1:4321), set AGORA_INDEX_URL, or run inside a hub checkout',
      },
    )
  }
  const cacheDir = resolve(ctx.cwd, values.cache ?? ctx.env.AGORA_CACHE ?? defaultCache(ctx.env))
  return { indexUrl, publicKey, cacheDir }
}

function isHttpUrl(text: string): boolean {
  const protocol = URL.parse(text)?.protocol
  return protocol === 'http:' || protocol === 'https:'
}

/**
 * The cache folder when neither --cache nor AGORA_CACHE names one.
 *
 * @example defaultCache({ HOME: '/home/ada' }) // '/home/ada/.cache/agora'
 */
export function defaultCache(env: Record<string, string | undefined>): string {
  return join(env.XDG_CACHE_HOME ?? join(env.HOME ?? homedir(), '.cache'), 'agora')
}

/** The hub around the current folder, if any: its index URL and signing key. */
async function localHub(
  cwd: string,
): Promise<{ baseUrl: string; publicKey: string | undefined } | undefined> {
  const root = await findRepoRoot(cwd).catch(() => undefined)
  if (!root) return undefined
  const { readFile } = await import('node:fs/promises')
  const file = join(root, 'registry', 'agora.yaml')
  const text = await readFile(file).catch(() => undefined)
  if (!text) return undefined
  const { validateDocument } = await import('#core/schema')
  const { value, issues } = validateDocument('hub', text, file)
  if (!value || hasErrors(issues)) return undefined
  return { baseUrl: value.base_url, publicKey: value.keys[0]?.public_key }
}
