import standaloneCode from 'ajv/dist/standalone/index.js'
import type { AstroIntegration } from 'astro'
import { createAjv } from '../../core/schema/schema.ts'

const VIRTUAL_ID = 'virtual:agora-validators'
const RESOLVED_ID = `\0${VIRTUAL_ID}`
const DOCUMENTS = ['hub', 'owner', 'item', 'version', 'result'] as const

/**
 * Compiles the registry's JSON Schemas to standalone validator code at build
 * time and serves it as `virtual:agora-validators`, so the Contribute form
 * validates with the very same schemas in the browser without `new Function`
 * (which a strict Content-Security-Policy forbids). The ajv instance is the
 * CLI's own (createAjv: same options and formats), so its errors carry what
 * schemaIssues needs to word them as `agora validate` does.
 *
 * @example import { item } from 'virtual:agora-validators'; validateWith(item, 'item', loaded, file)
 */
export function agoraValidators(): AstroIntegration {
  return {
    name: 'agora-validators',
    hooks: {
      'astro:config:setup': ({ updateConfig }) => {
        updateConfig({
          vite: {
            plugins: [
              {
                name: 'agora-validators',
                resolveId: (id: string) => (id === VIRTUAL_ID ? RESOLVED_ID : undefined),
                load: (id: string) => {
                  if (id !== RESOLVED_ID) return undefined
                  const refs = Object.fromEntries(
                    DOCUMENTS.map((doc) => [doc, `${doc}.schema.json`]),
                  )
                  return standaloneCode(createAjv({ source: true, esm: true }), refs)
                },
              },
            ],
          },
        })
      },
    },
  }
}
