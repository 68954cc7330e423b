// The catalog's one collection, fed from the registry. This is an entry
// point: the registry root comes from AGORA_ROOT (benchmarks point it at
// synthetic hubs) and the commit from AGORA_COMMIT or the repository's HEAD.

import { defineCollection } from 'astro:content'
import * as fs from 'node:fs'
import { resolve } from 'node:path'
import git from 'isomorphic-git'
import { catalogLoader } from '#core/catalog'
import { loadRegistry } from '#core/registry'
import { noFollowFs } from '#core/storage'

const root = resolve(process.env.AGORA_ROOT ?? process.cwd())

async function headCommit(): Promise<string | undefined> {
  if (process.env.AGORA_COMMIT) return process.env.AGORA_COMMIT
  try {
    return await git.resolveRef({ fs, dir: root, ref: 'HEAD' })
  } catch {
    // Not a Git checkout (a generated hub): raw URLs show a placeholder commit.
    return undefined
  }
}

const commit = await headCommit()

export const collections = {
  catalog: defineCollection({
    // Registry files are read without following symbolic links: a linked README
    // must not publish a file from outside the registry on an item page.
    loader: catalogLoader({
      load: () => loadRegistry(root, { fs: noFollowFs({ root }) }),
      build: commit ? { commit } : {},
    }),
  }),
}
