import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AstroIntegration } from 'astro'

/**
 * Lets the build write over the previous output instead of emptying it
 * (removing tens of thousands of files costs more than rendering them) and
 * then deletes exactly the pages the previous build wrote and this one did
 * not, so a removed item leaves nothing behind. The list of written pages is
 * kept in the cache folder between builds.
 *
 * @example defineConfig({ vite: { build: { emptyOutDir: false } }, integrations: [agoraPrune()] })
 */
export function agoraPrune(): AstroIntegration {
  let manifest = ''
  return {
    name: 'agora-prune',
    hooks: {
      'astro:config:done': ({ config }) => {
        manifest = fileURLToPath(new URL('agora-pages.json', config.cacheDir))
      },
      'astro:build:done': async ({ dir, assets, logger }) => {
        // Every file each route wrote (pages and JSON endpoints alike), relative to the output.
        const root = fileURLToPath(dir)
        const current = [
          ...new Set(
            [...assets.values()]
              .flat()
              .map((u) => relative(root, fileURLToPath(u)).split(sep).join('/')),
          ),
        ].sort()
        const previous: string[] = existsSync(manifest)
          ? JSON.parse(await readFile(manifest, 'utf8'))
          : []
        const keep = new Set(current)
        const stale = previous.filter((f) => !keep.has(f) && !f.startsWith('..'))
        for (const file of stale) await rm(new URL(file, dir), { force: true })
        if (stale.length > 0) logger.info(`removed ${stale.length} page(s) no longer built`)
        await mkdir(new URL('./', `file://${manifest}`), { recursive: true })
        await writeFile(`${manifest}.tmp`, JSON.stringify(current))
        await rename(`${manifest}.tmp`, manifest)
      },
    },
  }
}
