import { createHash } from 'node:crypto'
import * as nodeFs from 'node:fs'
import { join, resolve } from 'node:path'
import { writeFileAtomic } from '#core/blobs'
import { AgoraError } from '#core/errors'
import { acquireLock, type ClientFs } from './cache.ts'
import { assertInside, assertNoLinkInside } from './inside.ts'

/** What a client holds about one hub and key: the newest sequence it accepted. */
export interface FreshnessRecord {
  sequence: number
  expires?: string | undefined
}

/**
 * The folder of one hub's cached index documents: `<cache>/.index/<hash of base>`.
 *
 * @example hubCacheDir('/home/me/.cache/agora', 'https://hub.example') // '…/.index/4b2c…'
 */
export function hubCacheDir(cacheDir: string, base: string): string {
  return assertInside(
    cacheDir,
    resolve(cacheDir, '.index', createHash('sha256').update(base).digest('hex').slice(0, 16)),
    'the index cache',
  )
}

/**
 * Checks a signed config.json's freshness: `sequence` must not be below the
 * highest this cache accepted for the hub and key (`client/index-rollback`),
 * and `expires` must lie ahead (`client/index-expired`). Records the new
 * sequence atomically in `<hub>/freshness.json`. Returns the floor item
 * documents must reach: the highest sequence now known. `allowRollback`
 * skips both checks and records nothing.
 *
 * @example const floor = await checkFreshness({ cacheDir, base, keyName, config, url })
 */
export async function checkFreshness(options: {
  cacheDir?: string | undefined
  base: string
  /** The key the config was verified with (base64), or 'unsigned'. */
  keyName: string
  config: { sequence?: unknown; expires?: unknown }
  url: string
  now?: Date
  allowRollback?: boolean | undefined
  fs?: ClientFs | undefined
}): Promise<number> {
  const sequence = readSequence(options.config.sequence, options.url)
  checkExpiry(options.config.expires, options.url, options.now, options.allowRollback)
  if (!options.cacheDir) return sequence
  const file = join(hubCacheDir(options.cacheDir, options.base), 'freshness.json')
  const fs = options.fs ?? nodeFs
  // A link planted at .index/<hub> would move the record (and its lock) out of the cache.
  await assertNoLinkInside(options.cacheDir, file, { fs, what: 'the freshness record', self: true })
  const records = await readRecords(fs, file)
  const known = Number(records[options.keyName]?.sequence ?? 0)
  if (options.allowRollback) return sequence
  if (sequence < known) {
    throw new AgoraError(
      'client/index-rollback',
      `${options.url} has sequence ${sequence}, older than ${known} seen before`,
      {
        hint: 'someone may be replaying an old index (bringing back yanked versions); if the hub really restored an older index, pull once with --allow-rollback',
      },
    )
  }
  if (sequence > known || records[options.keyName] === undefined) {
    const record: FreshnessRecord = {
      sequence,
      ...(typeof options.config.expires === 'string' ? { expires: options.config.expires } : {}),
    }
    return Math.max(sequence, await recordSequence(fs, file, options.keyName, record))
  }
  return Math.max(sequence, known)
}

/**
 * Refuses an item document older than the floor of the index it was
 * reached through (`client/index-rollback`; see itemFloor): a replayed item
 * file cannot bring back a version yanked since.
 *
 * @example checkItemSequence(entry.sequence, floor, url)
 */
export function checkItemSequence(
  sequence: unknown,
  floor: number,
  url: string,
  allowRollback?: boolean,
): void {
  const value = readSequence(sequence, url)
  if (value < floor && !allowRollback) {
    throw new AgoraError(
      'client/index-rollback',
      `${url} has sequence ${value}, older than the index's floor ${floor}`,
      {
        hint: 'an old copy of this item is being served (a replay, or a cache that has not caught up with a deploy); try again in a few minutes, or pull with --allow-rollback if you know why',
      },
    )
  }
}

/**
 * The least sequence an item document reached through this config may
 * carry: config.json's `item_floor` (item documents keep the sequence of the
 * build that last changed them), or, for an index without one, the config's
 * own sequence as before. A floor above the config's sequence is refused.
 *
 * @example itemFloor({ sequence: 20, item_floor: 10 }, 20, url) // 10
 */
export function itemFloor(
  config: { sequence?: unknown; item_floor?: unknown },
  floor: number,
  url: string,
): number {
  if (config.item_floor === undefined) return floor
  const value = readSequence(config.item_floor, url)
  if (value > readSequence(config.sequence, url)) {
    throw new AgoraError('client/invalid-document', `${url}: "item_floor" is above "sequence"`, {
      file: url,
      hint: 'the index is damaged or hostile; report it to the hub',
    })
  }
  return value
}

/**
 * Refuses a document whose `expires` has passed (`client/index-expired`).
 *
 * @example checkExpiry('2026-01-08T00:00:00.000Z', url)
 */
export function checkExpiry(
  expires: unknown,
  url: string,
  now: Date = new Date(),
  allowRollback?: boolean,
): void {
  if (expires === undefined) return
  const time = typeof expires === 'string' ? Date.parse(expires) : Number.NaN
  if (Number.isNaN(time)) {
    throw new AgoraError('client/invalid-document', `${url}: "expires" is not a time`, {
      file: url,
      hint: 'the index is damaged or hostile; report it to the hub',
    })
  }
  if (time <= now.getTime() && !allowRollback) {
    throw new AgoraError('client/index-expired', `${url} expired at ${expires}`, {
      hint: 'the hub has not re-signed its index in time, or an old copy is being served; tell the hub operator, or pull with --allow-rollback if you accept a stale index',
    })
  }
}

function readSequence(value: unknown, url: string): number {
  if (value === undefined) return 0
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new AgoraError('client/invalid-document', `${url}: "sequence" is not a whole number`, {
      file: url,
      hint: 'the index is damaged or hostile; report it to the hub',
    })
  }
  return value
}

/**
 * Raises the stored sequence of one key under `freshness.json.lock`, reading
 * the file again there: pulls running at once never lower what another just
 * recorded. Returns the sequence now stored.
 */
async function recordSequence(
  fs: ClientFs,
  file: string,
  keyName: string,
  record: FreshnessRecord,
): Promise<number> {
  try {
    const held = await acquireLock(`${file}.lock`, { fs })
    try {
      const records = await readRecords(fs, file)
      const stored = records[keyName]
      if (stored !== undefined && Number(stored.sequence) >= record.sequence)
        return Number(stored.sequence)
      records[keyName] = record
      await writeFileAtomic(file, `${JSON.stringify(records, null, 2)}\n`, fs)
      return record.sequence
    } finally {
      await held.release()
    }
  } catch (error) {
    if (error instanceof AgoraError) throw error
    throw new AgoraError('client/write-failed', `cannot write ${file}`, {
      file,
      hint: 'check that the cache folder is writable (--cache or AGORA_CACHE)',
      cause: error,
    })
  }
}

async function readRecords(fs: ClientFs, file: string): Promise<Record<string, FreshnessRecord>> {
  return fs.promises
    .readFile(file, 'utf8')
    .then((text) => {
      const parsed: unknown = JSON.parse(text)
      // A damaged file counts as none: the next accepted index writes it anew.
      return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, FreshnessRecord>)
        : {}
    })
    .catch(() => ({}) as Record<string, FreshnessRecord>)
}
