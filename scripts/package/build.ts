#!/usr/bin/env node
/**
 * `npm run build:package`: the `agora` CLI and core/ as JavaScript with type
 * declarations in package/, ready for `npm pack` or `npm publish`. Node runs
 * the repository's .ts files directly, but it does not strip types under
 * node_modules, so an installed client has to be JavaScript.
 */
import { execFile } from 'node:child_process'
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { join, relative, resolve } from 'node:path'
import { promisify } from 'node:util'
import { CLIENT_PACKAGE_NAME } from '#core/client'

const projectRoot = resolve(import.meta.dirname, '../..')

/**
 * The oldest Node the JavaScript runs on: `node:zlib`'s zstd streams (the
 * scanner imports them) came in 22.15.
 */
export const PACKAGE_NODE_RANGE = '>=22.15.0'

export interface PackageBuild {
  /** The package folder: run `npm pack` or `npm publish` in it. */
  dir: string
  /** The package.json written there. */
  manifest: PackageManifest
}

export interface PackageManifest {
  name: string
  version: string
  dependencies: Record<string, string>
  [field: string]: unknown
}

/**
 * Compiles scripts/agora.ts, every command and core/ into `outDir` (tsc
 * rewrites the relative `.ts` imports to `.js`; `#core/*` is mapped by the
 * package's own `imports`) and writes a package.json whose dependencies are
 * exactly the packages the emitted JavaScript imports, at the project's
 * ranges. An import of a package the project lists only as a dev dependency
 * (or not at all) fails the build: an installed client would not find it.
 *
 * @example const { dir } = await buildPackage() // then: npm pack ./package
 */
export async function buildPackage(
  options: { outDir?: string; root?: string } = {},
): Promise<PackageBuild> {
  const root = resolve(options.root ?? projectRoot)
  const dir = resolve(options.outDir ?? join(root, 'package'))
  await rm(dir, { recursive: true, force: true })
  const tsc = join(root, 'node_modules/typescript/bin/tsc')
  await promisify(execFile)(
    process.execPath,
    [tsc, '-p', join(root, 'scripts/package/tsconfig.json'), '--outDir', dir],
    { cwd: root },
  ).catch((error: { stdout?: string; message: string }) => {
    throw new Error(`tsc failed to emit the package:\n${error.stdout || error.message}`)
  })
  const project = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
    version: string
    license: string
    dependencies: Record<string, string>
  }
  const imported = await importedPackages(dir)
  const dependencies: Record<string, string> = {}
  for (const [name, files] of [...imported].sort(([a], [b]) => a.localeCompare(b))) {
    const range = project.dependencies[name]
    if (!range) {
      throw new Error(
        `${relative(dir, files[0] as string)} imports "${name}", which package.json does not list in dependencies; an installed agora would not find it. Move it to dependencies, or load it only where the package does not go`,
      )
    }
    dependencies[name] = range
  }
  const manifest: PackageManifest = {
    name: CLIENT_PACKAGE_NAME,
    version: project.version,
    description:
      'Agora client: the agora command line (pull, info, cache, scan, publish, validate) and the library to resolve, pull and verify artifacts from an Agora hub',
    keywords: ['agora', 'machine-learning', 'models', 'datasets', 'registry', 'download'],
    license: project.license,
    type: 'module',
    engines: { node: PACKAGE_NODE_RANGE },
    bin: { agora: 'bin/agora.js' },
    imports: { '#core/*': './core/*/index.js' },
    exports: {
      '.': { types: './core/client/index.d.ts', default: './core/client/index.js' },
      './errors': { types: './core/errors/index.d.ts', default: './core/errors/index.js' },
      './package.json': './package.json',
    },
    types: './core/client/index.d.ts',
    files: ['bin', 'core', 'scripts', 'registry', 'README.md'],
    dependencies,
  }
  await mkdir(join(dir, 'bin'), { recursive: true })
  await writeFile(join(dir, 'bin/agora.js'), launcher(PACKAGE_NODE_RANGE), { mode: 0o755 })
  await writeFile(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  await copyFile(join(root, 'scripts/package/README.md'), join(dir, 'README.md'))
  return { dir, manifest }
}

/**
 * The installed `agora` command: plain JavaScript any Node parses, which
 * checks the version before loading the CLI (whose imports an older Node
 * cannot link, failing with a SyntaxError instead of a reason) and turns
 * the compile cache on before the CLI's first module loads, as the
 * checkout's scripts/bin/agora.js does.
 */
function launcher(range: string): string {
  const [major, minor] = (/^>=(\d+)\.(\d+)\.\d+$/.exec(range) ?? []).slice(1).map(Number)
  if (major === undefined || minor === undefined) throw new Error(`unexpected Node range ${range}`)
  return `#!/usr/bin/env node
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < ${major} || (major === ${major} && minor < ${minor})) {
  process.stderr.write(
    'agora: needs Node ${major}.${minor} or later; this is Node ' + process.versions.node + '\\n' +
      '  hint: install Node ${major}.${minor} or later (nodejs.org, or your package manager)\\n',
  )
  process.exit(2)
}
// Before the CLI's modules load, so that they too come from the compile cache.
const { enableCompileCache } = await import('node:module')
enableCompileCache()
const { runCli } = await import('../scripts/agora.js')
await runCli()
`
}

const BUILTINS = new Set(builtinModules)

/** Every bare import in the emitted JavaScript, as a package name, with the files that import it. */
async function importedPackages(dir: string): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>()
  const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.js'))
  for (const file of files) {
    const path = join(dir, file)
    const code = await readFile(path, 'utf8')
    // tsc writes each import and export-from on its own lines, never inside a string.
    const specifiers = [
      ...code.matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm),
      ...code.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
      ...code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
    ].map((m) => m[1] as string)
    for (const specifier of specifiers) {
      if (specifier.startsWith('.') || specifier.startsWith('#') || specifier.startsWith('node:'))
        continue
      const parts = specifier.split('/')
      const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string)
      if (BUILTINS.has(name)) continue
      found.set(name, [...(found.get(name) ?? []), path])
    }
  }
  return found
}

if (import.meta.main) {
  const { dir, manifest } = await buildPackage()
  process.stdout.write(
    `${manifest.name}@${manifest.version} in ${relative(process.cwd(), dir) || '.'}: ${Object.keys(manifest.dependencies).length} dependencies (${Object.keys(manifest.dependencies).join(', ')})\nnext: npm pack ./${relative(process.cwd(), dir)}  (or npm publish ./${relative(process.cwd(), dir)})\n`,
  )
}
