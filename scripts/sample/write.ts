import { randomBytes } from 'node:crypto'
import { mkdir, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { Readable } from 'node:stream'
import { KINDS, kindPlural } from '#core/names'
import { createFsStore } from '#core/storage'
import type { SampleArtifact, SampleHub } from './build.ts'

/**
 * Writes a file by temp file + rename in the same folder, so a reader never
 * sees half a file and an interrupted run leaves the old file in place.
 *
 * @example await writeAtomic('/tmp/x/a.yaml', 'kind: model\n')
 */
export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    await writeFile(temp, data)
    await rename(temp, path)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  const out: string[] = []
  for (const e of entries) {
    const full = join(dir, e.name)
    if (e.isDirectory()) out.push(...(await listFiles(full)))
    else out.push(full)
  }
  return out
}

async function pruneEmptyDirs(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  for (const e of entries) if (e.isDirectory()) await pruneEmptyDirs(join(dir, e.name))
  if ((await readdir(dir).catch(() => ['keep'])).length === 0)
    await rmdir(dir).catch(() => undefined)
}

/**
 * Writes the hub's documents under `registryDir` (agora.yaml, owners/ and the
 * kind folders) and removes `.yaml`/`.md` files in owners/ and the kind
 * folders that the generator no longer produces, so renamed items leave no
 * orphans. schemas/ and registry/README.md are not touched.
 *
 * @example await writeSampleRegistry(buildSampleHub(), 'registry')
 */
export async function writeSampleRegistry(
  hub: SampleHub,
  registryDir: string,
): Promise<{ written: number; removed: number }> {
  const wanted = new Set(hub.documents.map((d) => d.path))
  for (const doc of hub.documents) await writeAtomic(join(registryDir, doc.path), doc.text)
  let removed = 0
  for (const top of ['owners', ...KINDS.map(kindPlural)]) {
    const dir = join(registryDir, top)
    for (const file of await listFiles(dir)) {
      const rel = relative(registryDir, file).split(sep).join('/')
      if (!wanted.has(rel) && /\.(ya?ml|md)$/.test(rel)) {
        await rm(file)
        removed++
      }
    }
    await pruneEmptyDirs(dir)
  }
  return { written: hub.documents.length, removed }
}

/**
 * Writes every artifact file to `dir/<kind>s/<ns>/<name>/<version>/<path>`,
 * the folders a contributor would run `agora publish` on.
 *
 * @example await writeArtifactFiles(buildSampleHub().artifacts, '/tmp/sample-files')
 */
export async function writeArtifactFiles(
  artifacts: readonly SampleArtifact[],
  dir: string,
): Promise<{ files: number; bytes: number }> {
  let files = 0
  let bytes = 0
  for (const a of artifacts) {
    for (const f of a.files) {
      await writeAtomic(
        join(dir, kindPlural(a.ref.kind), a.ref.ns, a.ref.name, a.version, ...f.path.split('/')),
        f.bytes,
      )
      files++
      bytes += f.bytes.length
    }
  }
  return { files, bytes }
}

/**
 * Stores every artifact file content-addressed in an fs blob store at
 * `storeDir` (`blobs/sha256/<aa>/<hash>`; files of paid items under the
 * store's `private/` prefix), through the same store `agora` uses, so
 * writes are verified, atomic and skipped when the blob exists. Returns
 * the number and total size of the distinct blobs the sample hub needs.
 *
 * @example await writeArtifactBlobs(buildSampleHub().artifacts, '.agora/store')
 */
export async function writeArtifactBlobs(
  artifacts: readonly SampleArtifact[],
  storeDir: string,
): Promise<{ files: number; bytes: number }> {
  const store = createFsStore({ dir: storeDir })
  const seen = new Set<string>()
  let bytes = 0
  for (const a of artifacts) {
    for (const f of a.files) {
      const key = `${f.private ? 'private:' : ''}${f.sha256}`
      if (seen.has(key)) continue
      seen.add(key)
      bytes += f.bytes.length
      await store.put(
        () => Readable.from([f.bytes]),
        { sha256: f.sha256, size: f.bytes.length },
        { private: f.private },
      )
    }
  }
  return { files: seen.size, bytes }
}
