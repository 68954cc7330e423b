import type * as NodeFs from 'node:fs'
import { join } from 'node:path'
import { deflateSync, inflateSync } from 'node:zlib'

type NodeFsModule = typeof NodeFs

const OBJECT_TYPES: Record<number, string> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' }
const OFS_DELTA = 6
const REF_DELTA = 7
const LOOSE_OBJECT = /[/\\]objects[/\\]([0-9a-f]{2})[/\\]([0-9a-f]{38})$/
/** Deltas chain; git caps depth at 50 by default, so anything far deeper is a broken or hostile pack. */
const MAX_DELTA_DEPTH = 1000

/** A file read by position; opened per read so nothing is left open when the client is dropped. */
interface RangeFile {
  read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesRead: number }>
}

interface PackIndex {
  idx: RangeFile
  pack: RangeFile
  count: number
  fanout: Uint32Array
}

function rangeFile(fs: NodeFsModule, path: string): RangeFile {
  return {
    async read(buffer, offset, length, position) {
      const handle = await fs.promises.open(path, 'r')
      try {
        return await handle.read(buffer, offset, length, position)
      } finally {
        await handle.close()
      }
    },
  }
}

interface PackedObject {
  type: string
  content: Buffer
}

/**
 * An fs client for isomorphic-git that finds packed objects by binary search
 * in the pack index, reading only the bytes of the objects asked for.
 * isomorphic-git, on its first packed read, parses the whole index into a map
 * and hashes the whole pack: seconds on a registry of 100k items, whatever
 * the size of the change. Here a packed object is served as if it were a
 * loose one; isomorphic-git then checks its SHA-1 as it does for any loose
 * object, so integrity is kept per object read. Anything this reader does not
 * find (alternates, index v1) falls through to isomorphic-git's own reading.
 *
 * @example
 * import * as fs from 'node:fs'
 * const { issues } = await checkChanges({ fs: withLazyPacks(fs), dir, base, head })
 */
export function withLazyPacks(fs: NodeFsModule): NodeFsModule {
  const readers = new Map<string, Promise<PackReader | undefined>>()
  const readerFor = (objectsDir: string) => {
    let reader = readers.get(objectsDir)
    if (!reader) {
      reader = PackReader.open(fs, objectsDir).catch(() => undefined)
      readers.set(objectsDir, reader)
    }
    return reader
  }
  const readFile = async (...args: Parameters<typeof fs.promises.readFile>) => {
    try {
      return await fs.promises.readFile(...args)
    } catch (error) {
      const path = String(args[0])
      const match = LOOSE_OBJECT.exec(path)
      if (!match || (error as { code?: string }).code !== 'ENOENT') throw error
      const objectsDir = path.slice(0, path.length - 42)
      const object = await (await readerFor(objectsDir))?.read(`${match[1]}${match[2]}`)
      if (!object) throw error
      // The loose-object encoding: zlib("<type> <size>\0<content>"); level 1 since it is inflated at once.
      const header = Buffer.from(`${object.type} ${object.content.length}\0`)
      return deflateSync(Buffer.concat([header, object.content]), { level: 1 })
    }
  }
  return { ...fs, promises: { ...fs.promises, readFile: readFile as typeof fs.promises.readFile } }
}

/** Reads objects from the version-2 pack indexes of one objects folder, lazily. */
class PackReader {
  readonly packs: PackIndex[]
  readonly cache = new Map<string, Promise<PackedObject | undefined>>()

  private constructor(packs: PackIndex[]) {
    this.packs = packs
  }

  static async open(fs: NodeFsModule, objectsDir: string): Promise<PackReader> {
    const dir = join(objectsDir, 'pack')
    const names = (await fs.promises.readdir(dir)).filter((n) => n.endsWith('.idx')).sort()
    const packs: PackIndex[] = []
    for (const name of names) {
      const idx = rangeFile(fs, join(dir, name))
      const head = Buffer.alloc(8 + 256 * 4)
      await idx.read(head, 0, head.length, 0)
      // Version 1 indexes (no magic) are left to isomorphic-git.
      if (head.readUInt32BE(0) !== 0xff744f63 || head.readUInt32BE(4) !== 2) continue
      const fanout = new Uint32Array(256)
      for (let i = 0; i < 256; i++) fanout[i] = head.readUInt32BE(8 + i * 4)
      const pack = rangeFile(fs, join(dir, `${name.slice(0, -4)}.pack`))
      packs.push({ idx, pack, count: fanout[255] as number, fanout })
    }
    return new PackReader(packs)
  }

  read(oid: string, depth = 0): Promise<PackedObject | undefined> {
    let object = this.cache.get(oid)
    if (!object) {
      object = this.find(oid, depth)
      this.cache.set(oid, object)
    }
    return object
  }

  private async find(oid: string, depth: number): Promise<PackedObject | undefined> {
    const key = Buffer.from(oid, 'hex')
    for (const pack of this.packs) {
      const offset = await locate(pack, key)
      if (offset !== undefined) return readAt(this, pack, offset, depth)
    }
    return undefined
  }
}

/** Binary search of the SHA table between the fanout bounds; the pack offset or undefined. */
async function locate(pack: PackIndex, key: Buffer): Promise<number | undefined> {
  const first = key[0] as number
  const lo = first === 0 ? 0 : (pack.fanout[first - 1] as number)
  const hi = pack.fanout[first] as number
  if (hi <= lo) return undefined
  const shaTable = 8 + 256 * 4
  const slice = Buffer.alloc((hi - lo) * 20)
  await pack.idx.read(slice, 0, slice.length, shaTable + lo * 20)
  let a = 0
  let b = hi - lo - 1
  while (a <= b) {
    const mid = (a + b) >>> 1
    const cmp = slice.compare(key, 0, 20, mid * 20, mid * 20 + 20)
    if (cmp === 0) {
      const position = lo + mid
      const offsets = shaTable + pack.count * 24
      const word = Buffer.alloc(4)
      await pack.idx.read(word, 0, 4, offsets + position * 4)
      const small = word.readUInt32BE(0)
      if ((small & 0x80000000) === 0) return small
      const large = Buffer.alloc(8)
      await pack.idx.read(large, 0, 8, offsets + pack.count * 4 + (small & 0x7fffffff) * 8)
      return Number(large.readBigUInt64BE(0))
    }
    // Buffer#compare(target…) orders target against the slice: > 0 means the key sorts first.
    if (cmp > 0) b = mid - 1
    else a = mid + 1
  }
  return undefined
}

async function readAt(
  reader: PackReader,
  pack: PackIndex,
  offset: number,
  depth: number,
): Promise<PackedObject | undefined> {
  if (depth > MAX_DELTA_DEPTH) throw new Error(`delta chain deeper than ${MAX_DELTA_DEPTH} in pack`)
  const head = Buffer.alloc(32)
  const { bytesRead } = await pack.pack.read(head, 0, head.length, offset)
  let pos = 0
  let byte = head[pos++] as number
  const type = (byte >> 4) & 7
  let size = byte & 15
  let shift = 4
  while (byte & 0x80 && pos < bytesRead) {
    byte = head[pos++] as number
    size += (byte & 0x7f) * 2 ** shift
    shift += 7
  }
  let baseOffset: number | undefined
  let baseOid: string | undefined
  if (type === OFS_DELTA) {
    // git's offset encoding adds one at each continuation so no value has two spellings.
    byte = head[pos++] as number
    let distance = byte & 0x7f
    while (byte & 0x80) {
      byte = head[pos++] as number
      distance = (distance + 1) * 128 + (byte & 0x7f)
    }
    baseOffset = offset - distance
  } else if (type === REF_DELTA) {
    baseOid = head.subarray(pos, pos + 20).toString('hex')
    pos += 20
  } else if (!OBJECT_TYPES[type]) {
    return undefined
  }
  const data = await inflateAt(pack, offset + pos, size)
  if (baseOffset === undefined && baseOid === undefined) {
    return { type: OBJECT_TYPES[type] as string, content: data }
  }
  const base =
    baseOffset !== undefined
      ? await readAt(reader, pack, baseOffset, depth + 1)
      : await reader.read(baseOid as string, depth + 1)
  if (!base) return undefined
  return { type: base.type, content: applyDelta(base.content, data) }
}

/** Inflates one zlib stream at `position`; its compressed length is unknown, so read generously and retry. */
async function inflateAt(pack: PackIndex, position: number, size: number): Promise<Buffer> {
  let length = size + 256 + Math.ceil(size / 1000)
  for (;;) {
    const chunk = Buffer.alloc(length)
    const { bytesRead } = await pack.pack.read(chunk, 0, length, position)
    try {
      const out = inflateSync(chunk.subarray(0, bytesRead))
      if (out.length !== size)
        throw new Error(`packed object inflated to ${out.length} bytes, expected ${size}`)
      return out
    } catch (error) {
      if ((error as { code?: string }).code !== 'Z_BUF_ERROR' || bytesRead < length) throw error
      length *= 2
    }
  }
}

/** Applies a git delta (copy and insert instructions) to its base. */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  let pos = 0
  const varint = () => {
    let value = 0
    let shift = 0
    let byte: number
    do {
      byte = delta[pos++] as number
      value += (byte & 0x7f) * 2 ** shift
      shift += 7
    } while (byte & 0x80)
    return value
  }
  const baseSize = varint()
  if (baseSize !== base.length) throw new Error('delta base size does not match its base')
  const out = Buffer.alloc(varint())
  let at = 0
  while (pos < delta.length) {
    const op = delta[pos++] as number
    if (op & 0x80) {
      let copyOffset = 0
      let copySize = 0
      for (let i = 0; i < 4; i++)
        if (op & (1 << i)) copyOffset += (delta[pos++] as number) * 2 ** (8 * i)
      for (let i = 0; i < 3; i++)
        if (op & (1 << (4 + i))) copySize += (delta[pos++] as number) << (8 * i)
      if (copySize === 0) copySize = 0x10000
      if (copyOffset + copySize > base.length || at + copySize > out.length)
        throw new Error('delta copies out of range')
      base.copy(out, at, copyOffset, copyOffset + copySize)
      at += copySize
    } else if (op > 0) {
      if (pos + op > delta.length || at + op > out.length)
        throw new Error('delta inserts out of range')
      delta.copy(out, at, pos, pos + op)
      at += op
      pos += op
    } else {
      throw new Error('delta holds a reserved instruction')
    }
  }
  if (at !== out.length) throw new Error('delta result is shorter than announced')
  return out
}
