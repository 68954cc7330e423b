import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Ajv2020 from 'ajv/dist/2020.js'
import standaloneCode from 'ajv/dist/standalone/index.js'
import addFormats from 'ajv-formats'
import type { AstroIntegration } from 'astro'

const VIRTUAL_ID = 'virtual:agora-validators'
const RESOLVED_ID = `\0${VIRTUAL_ID}`
const DOCUMENTS = ['hub', 'owner', 'item', 'version', 'result'] as const

/**
 * Compiles the registry's JSON Schemas to standalone validator code at build
 * time and serves it as `virtual:agora-validators`, so the Contribute form
 * validates with the very same schemas in the browser without `new Function`
 * (which a strict Content-Security-Policy forbids).
 *
 * @example import { item } from 'virtual:agora-validators'; item(manifest) || item.errors
 */
export function agoraValidators(options: { schemasDir: string }): AstroIntegration {
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
                  const ajv = new Ajv2020({
                    allErrors: true,
                    strict: false,
                    code: { source: true, esm: true },
                  })
                  addFormats.default(ajv)
                  const refs: Record<string, string> = {}
                  for (const doc of DOCUMENTS) {
                    const schema = JSON.parse(
                      readFileSync(join(options.schemasDir, `${doc}.schema.json`), 'utf8'),
                    )
                    ajv.addSchema(schema)
                    refs[doc] = schema.$id
                  }
                  return standaloneCode(ajv, refs)
                },
              },
            ],
          },
        })
      },
    },
  }
}
