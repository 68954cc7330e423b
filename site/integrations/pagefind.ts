import { rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { AstroIntegration } from 'astro'
import * as pagefind from 'pagefind'
import { KINDS, kindPlural } from '../../core/registry/kinds.ts'

const ITEM_FOLDERS = KINDS.map(kindPlural).join(',')

/**
 * Indexes the built site with Pagefind's Node API after `astro build`, as
 * Starlight does: only pages marked `data-pagefind-body` (item pages) are
 * indexed, with their filters and sort keys, into `dist/pagefind/`.
 *
 * @example defineConfig({ integrations: [agoraPagefind()] })
 */
export function agoraPagefind(): AstroIntegration {
  return {
    name: 'agora-pagefind',
    hooks: {
      'astro:build:done': async ({ dir, logger }) => {
        const outDir = fileURLToPath(dir)
        const { index, errors } = await pagefind.createIndex({ forceLanguage: 'en' })
        if (!index) throw new Error(`Pagefind could not start: ${errors.join('; ')}`)
        try {
          // Only item pages carry data-pagefind-body; globbing to their folders
          // spares Pagefind from parsing API files and listings.
          const added = await index.addDirectory({
            path: outDir,
            glob: `{${ITEM_FOLDERS}}/*/*/index.html`,
          })
          if (added.errors.length > 0)
            throw new Error(`Pagefind could not index ${outDir}: ${added.errors.join('; ')}`)
          // The output is not emptied between builds: drop the old index first.
          await rm(`${outDir}/pagefind`, { recursive: true, force: true })
          const written = await index.writeFiles({ outputPath: `${outDir}/pagefind` })
          if (written.errors.length > 0)
            throw new Error(`Pagefind could not write its index: ${written.errors.join('; ')}`)
          logger.info(`Pagefind indexed ${added.page_count} pages`)
        } finally {
          await index.deleteIndex()
          await pagefind.close()
        }
      },
    },
  }
}
