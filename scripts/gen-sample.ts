#!/usr/bin/env node
/**
 * Writes Agora's sample hub. Every manifest and README under registry/
 * (except schemas/ and registry/README.md) is generated here from the
 * tables in scripts/sample/, byte-identical on every run.
 *
 *   node scripts/gen-sample.ts                 rewrite registry/
 *   node scripts/gen-sample.ts --files DIR     also write the artifact files
 *   node scripts/gen-sample.ts --store DIR     also fill an fs blob store
 */
import { realpathSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildSampleHub, type SampleArtifact, type SampleHub } from './sample/index.ts'
import { writeArtifactBlobs, writeArtifactFiles, writeSampleRegistry } from './sample/write.ts'

export type { SampleArtifact } from './sample/index.ts'

let cached: SampleHub | undefined

/** Builds once per process: generation is pure, and takes a few seconds. */
function hub(): SampleHub {
  cached ??= buildSampleHub()
  return cached
}

/**
 * Every published version of the sample hub with its files' bytes.
 *
 * @example sampleArtifacts().find((a) => a.ref.name === 'dockscore-gnn')?.files.map((f) => f.path)
 */
export function sampleArtifacts(): SampleArtifact[] {
  return hub().artifacts.map((a) => ({ ...a, files: [...a.files] }))
}

/**
 * Writes every artifact file to `DIR/<kind>s/<ns>/<name>/<version>/<path>`.
 *
 * @example await writeSampleFiles('/tmp/agora-sample-files')
 */
export async function writeSampleFiles(dir: string): Promise<{ files: number; bytes: number }> {
  return writeArtifactFiles(hub().artifacts, dir)
}

/**
 * Fills an fs blob store with every sample file, content-addressed
 * (`blobs/sha256/<aa>/<sha256>`, paid items under `private/`); existing blobs
 * are skipped. Returns the count and total size of the distinct blobs.
 *
 * @example await writeSampleBlobs('.agora/store') // { files: 186, bytes: 8336546 }
 */
export async function writeSampleBlobs(
  storeDir: string,
): Promise<{ files: number; bytes: number }> {
  return writeArtifactBlobs(hub().artifacts, storeDir)
}

/**
 * Rewrites the sample manifests and READMEs under `registryDir`.
 *
 * @example await writeSampleRegistryTo('registry')
 */
export async function writeSampleRegistryTo(
  registryDir: string,
): Promise<{ written: number; removed: number }> {
  return writeSampleRegistry(hub(), registryDir)
}

function option(argv: string[], name: string): string | undefined {
  const at = argv.indexOf(name)
  if (at === -1) return undefined
  const value = argv[at + 1]
  if (!value || value.startsWith('--')) throw new Error(`${name} needs a folder`)
  return value
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('usage: node scripts/gen-sample.ts [--files DIR] [--store DIR]\n')
    return 0
  }
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
  const files = option(argv, '--files')
  const store = option(argv, '--store')
  const reg = await writeSampleRegistryTo(join(root, 'registry'))
  process.stdout.write(`registry: ${reg.written} documents written, ${reg.removed} stale removed\n`)
  if (files) {
    const r = await writeSampleFiles(resolve(files))
    process.stdout.write(`files: ${r.files} files, ${r.bytes} bytes in ${files}\n`)
  }
  if (store) {
    const r = await writeSampleBlobs(resolve(store))
    process.stdout.write(`store: ${r.files} blobs, ${r.bytes} bytes in ${store}\n`)
  }
  return 0
}

if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (error: unknown) => {
      process.stderr.write(
        `gen-sample: ${error instanceof Error ? error.message : String(error)}\n`,
      )
      process.exitCode = 2
    },
  )
}
