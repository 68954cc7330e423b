import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { MANIFEST_CODES } from '../errors/codes.ts'
import { SCHEMAS, type SchemaNode } from './schema-issues.ts'

const docs = readFileSync(fileURLToPath(new URL('../../docs/manifest.md', import.meta.url)), 'utf8')

/** Field paths as docs/manifest.md writes them: `a.b`, `list[].c`. */
function fieldPaths(props: SchemaNode['properties'], prefix = ''): string[] {
  const out: string[] = []
  for (const [name, node] of Object.entries(props ?? {})) {
    if (typeof node !== 'object') continue
    const path = `${prefix}${name}`
    out.push(path)
    if (node.type === 'object' && node.properties)
      out.push(...fieldPaths(node.properties, `${path}.`))
    if (node.type === 'array' && node.items?.properties)
      out.push(...fieldPaths(node.items.properties, `${path}[].`))
  }
  return out
}

function allPaths(): string[] {
  const { hub, owner, item, version, result } = SCHEMAS
  return [
    ...fieldPaths(hub.properties),
    ...fieldPaths(owner.properties),
    ...fieldPaths(item.properties),
    ...(item.allOf ?? []).flatMap((b) => fieldPaths(b.then?.properties)),
    ...Object.values(version.$defs ?? {}).flatMap((d) => fieldPaths(d.properties)),
    ...fieldPaths(result.properties),
  ]
}

describe('docs/manifest.md', () => {
  it('documents every schema field', () => {
    const paths = allPaths()
    expect(paths.length).toBeGreaterThan(150)
    expect(paths.filter((p) => !docs.includes(`| \`${p}\` |`))).toEqual([])
  })

  it('lists every issue code', () => {
    expect(Object.keys(MANIFEST_CODES).filter((c) => !docs.includes(`| \`${c}\` |`))).toEqual([])
  })
})
