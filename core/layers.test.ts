import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { describe, expect, it } from 'vitest'

// The areas under core/ form layers: each is imported only through its barrel
// (`#core/<area>`), and no area reaches one that imports it back. The client
// barrel (what `agora pull` and the npm package load at start) stays free of
// the heavy dependencies the rest of core needs.

const root = resolve(import.meta.dirname, '..')
const coreDir = join(root, 'core')

/** Packages the client must not load at start: each costs `agora pull` time and memory. */
const HEAVY_FOR_CLIENT = ['ajv', 'isomorphic-git', 'marked', 'sanitize-html', 'astro', '@aws-sdk']

interface ImportRef {
  specifier: string
  line: number
  /** Erased at runtime: `import type` / `export type`. */
  typeOnly: boolean
  /** `import('…')`, loaded when called rather than at start. */
  dynamic: boolean
}

interface SourceFile {
  path: string
  area: string | undefined
  imports: ImportRef[]
}

function listSources(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    // Fixtures are test data, loaded by tests only.
    if (entry.isDirectory()) {
      if (entry.name !== '__fixtures__') out.push(...listSources(path))
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path)
  }
  return out
}

const STATIC = /^\s*(import|export)\s+(type\s+)?[\w\s{},*$]*?\bfrom\s*['"]([^'"]+)['"]/gm
const SIDE_EFFECT = /^\s*import\s*['"]([^'"]+)['"]/gm
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g

/** Import statements of one file; comment lines (JSDoc examples) are blanked first. */
function readImports(text: string): ImportRef[] {
  const code = text
    .split('\n')
    .map((line) => (/^\s*(\/\/|\/\*|\*)/.test(line) ? '' : line))
    .join('\n')
  const lineOf = (index: number) => code.slice(0, index).split('\n').length
  const refs: ImportRef[] = []
  for (const match of code.matchAll(STATIC)) {
    refs.push({
      specifier: match[3] as string,
      line: lineOf(match.index + match[0].length),
      typeOnly: match[2] !== undefined,
      dynamic: false,
    })
  }
  for (const match of code.matchAll(SIDE_EFFECT)) {
    refs.push({
      specifier: match[1] as string,
      line: lineOf(match.index),
      typeOnly: false,
      dynamic: false,
    })
  }
  for (const match of code.matchAll(DYNAMIC)) {
    // `typeof import('node:fs/promises')` names a type and loads nothing.
    const typeOnly = /typeof\s+$/.test(code.slice(Math.max(0, match.index - 10), match.index))
    refs.push({ specifier: match[1] as string, line: lineOf(match.index), typeOnly, dynamic: true })
  }
  return refs
}

function areaOf(path: string): string | undefined {
  const parts = relative(coreDir, path).split(sep)
  return parts.length > 1 && parts[0] !== '..' ? parts[0] : undefined
}

const files = new Map<string, SourceFile>()
for (const path of listSources(coreDir)) {
  files.set(path, { path, area: areaOf(path), imports: readImports(readFileSync(path, 'utf8')) })
}

const show = (path: string) => relative(root, path)

/** Where a specifier inside core/ leads: a file, or a package name. */
function target(from: string, specifier: string): { file: string } | { pkg: string } {
  if (specifier.startsWith('#core/'))
    return { file: join(coreDir, specifier.slice('#core/'.length), 'index.ts') }
  if (specifier.startsWith('.')) return { file: resolve(dirname(from), specifier) }
  const parts = specifier.split('/')
  return { pkg: specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string) }
}

function areaEdges(): Map<string, Map<string, string>> {
  const edges = new Map<string, Map<string, string>>()
  for (const file of files.values()) {
    if (file.area === undefined) continue
    for (const ref of file.imports) {
      const to = target(file.path, ref.specifier)
      if (!('file' in to)) continue
      const toArea = areaOf(to.file)
      if (toArea === undefined || toArea === file.area) continue
      const from = edges.get(file.area) ?? new Map<string, string>()
      if (!from.has(toArea)) from.set(toArea, `${show(file.path)}:${ref.line}`)
      edges.set(file.area, from)
    }
  }
  return edges
}

/** One cycle of the area graph as `a -> b -> a` with the import that makes each step, or undefined. */
function findCycle(edges: Map<string, Map<string, string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (area: string): string[] | undefined => {
    state.set(area, 'open')
    stack.push(area)
    for (const next of [...(edges.get(area)?.keys() ?? [])].sort()) {
      if (state.get(next) === 'open') {
        const loop = [...stack.slice(stack.indexOf(next)), next]
        return loop
          .slice(0, -1)
          .map(
            (from, i) =>
              `${from} -> ${loop[i + 1]} (${edges.get(from)?.get(loop[i + 1] as string)})`,
          )
      }
      if (state.get(next) === undefined) {
        const found = visit(next)
        if (found) return found
      }
    }
    stack.pop()
    state.set(area, 'done')
    return undefined
  }
  for (const area of [...edges.keys()].sort()) {
    if (state.get(area) === undefined) {
      const found = visit(area)
      if (found) return found
    }
  }
  return undefined
}

/** Packages loaded at start by importing `start`, each with the import chain that reaches it. */
function startupPackages(start: string): Map<string, string[]> {
  const packages = new Map<string, string[]>()
  const seen = new Set<string>([start])
  const queue: { file: string; chain: string[] }[] = [{ file: start, chain: [show(start)] }]
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
    const file = files.get(item.file)
    if (file === undefined) continue
    for (const ref of file.imports) {
      // Type imports are erased and `import()` loads on demand: neither costs start-up.
      if (ref.typeOnly || ref.dynamic) continue
      const to = target(file.path, ref.specifier)
      if ('pkg' in to) {
        if (!packages.has(to.pkg)) packages.set(to.pkg, [...item.chain, to.pkg])
      } else if (!seen.has(to.file)) {
        seen.add(to.file)
        queue.push({ file: to.file, chain: [...item.chain, `${show(to.file)}`] })
      }
    }
  }
  return packages
}

describe('core/layers', () => {
  it('reads every area and its imports', () => {
    // Guards the parsing below: an empty scan would pass every check.
    const areas = new Set([...files.values()].map((file) => file.area))
    expect(areas).toContain('client')
    expect(areas).toContain('manifest')
    expect(files.get(join(coreDir, 'client', 'index.ts'))?.imports.length).toBeGreaterThan(0)
  })

  it('reaches other areas only through their barrels', () => {
    const reaches: string[] = []
    for (const file of files.values()) {
      for (const ref of file.imports) {
        if (!ref.specifier.startsWith('.')) continue
        const toArea = areaOf(resolve(dirname(file.path), ref.specifier))
        if (toArea !== undefined && toArea !== file.area) {
          reaches.push(
            `${show(file.path)}:${ref.line} imports '${ref.specifier}'; use '#core/${toArea}'`,
          )
        }
      }
    }
    expect(reaches).toEqual([])
  })

  it('has no cycle between areas', () => {
    const cycle = findCycle(areaEdges())
    expect(cycle, cycle && `area cycle:\n  ${cycle.join('\n  ')}`).toBeUndefined()
  })

  it('keeps heavy packages out of the client barrel', () => {
    const loaded = startupPackages(join(coreDir, 'client', 'index.ts'))
    const heavy = [...loaded]
      .filter(([pkg]) =>
        HEAVY_FOR_CLIENT.some((name) => pkg === name || pkg.startsWith(`${name}/`)),
      )
      .map(([, chain]) => chain.join(' -> '))
    expect(heavy).toEqual([])
  })
})
