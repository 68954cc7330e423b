import { fileURLToPath } from 'node:url'
import type { AstroIntegration } from 'astro'
import * as pagefind from 'pagefind'

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
          const added = await index.addDirectory({ path: outDir })
          if (added.errors.length > 0)
            throw new Error(`Pagefind could not index ${outDir}: ${added.errors.join('; ')}`)
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
