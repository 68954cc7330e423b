/**
 * SLOW (tens of seconds): builds the published package, packs it, installs the
 * tarball into an empty folder outside the repository as a consumer would, and
 * uses the installed `agora` and library against a hub on loopback.
 *
 * The install is `npm ci --prefer-offline` with a lock cut from the project's
 * own package-lock.json, so it takes the versions the project is tested with
 * from npm's cache (filled by the project's `npm install`) and needs no
 * network.
 */
import { execFile, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { satisfies } from 'semver'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blobKey } from '#core/blobs'
import { COMMANDS } from '../commands/index.ts'
import { type ServedHub, serveHub } from '../serve-hub.ts'
import { buildPackage, PACKAGE_NODE_RANGE, type PackageManifest } from './build.ts'

const projectRoot = resolve(import.meta.dirname, '../..')
const fixtures = join(projectRoot, 'scripts/commands/__fixtures__')
const publicKey = '+ZFuLGbGlq/WT+X5K2J12pXVKJWR7E+/VGgFmRXvFDM='
const sha = (text: string) => createHash('sha256').update(text).digest('hex')

interface LockEntry {
  version?: string
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  [field: string]: unknown
}

/**
 * The project's lock entries the package's dependencies need, at the same
 * paths (so the tree keeps its shape), found as Node resolves: the nearest
 * node_modules/<name> up from the requiring package.
 */
function lockSubset(
  packages: Record<string, LockEntry>,
  dependencies: Record<string, string>,
): Record<string, LockEntry> {
  const locate = (from: string, name: string): string | undefined => {
    for (
      let base = from;
      ;
      base = base.slice(0, base.lastIndexOf('node_modules/')).replace(/\/$/, '')
    ) {
      const candidate = `${base ? `${base}/` : ''}node_modules/${name}`
      if (packages[candidate]) return candidate
      if (!base) return undefined
    }
  }
  const picked: Record<string, LockEntry> = {}
  const visit = (from: string, names: string[], required: boolean) => {
    for (const name of names) {
      const path = locate(from, name)
      if (!path) {
        if (required)
          throw new Error(`package-lock.json has no ${name} for ${from || 'the package'}`)
        continue
      }
      if (picked[path]) continue
      const { dev, devOptional, peer, ...entry } = packages[path] as LockEntry
      picked[path] = entry
      visit(path, Object.keys(entry.dependencies ?? {}), true)
      visit(path, Object.keys(entry.optionalDependencies ?? {}), false)
      visit(path, Object.keys(entry.peerDependencies ?? {}), false)
    }
  }
  visit('', Object.keys(dependencies), true)
  return picked
}

async function run(
  file: string,
  args: string[],
  cwd: string,
  path?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  // The installed bin starts with `#!/usr/bin/env node`: this Node comes first.
  // Under `npm test` the environment carries the project's npm settings
  // (npm_config_local_prefix=<repository>, lifecycle variables): the consumer's
  // npm must act on its own folder, keeping only the user's cache and registry.
  const inherited = Object.entries(process.env).filter(
    ([name]) =>
      !/^npm_/i.test(name) || /^npm_config_(cache|registry|offline|userconfig)$/i.test(name),
  )
  const env = {
    ...Object.fromEntries(inherited),
    PATH: path ?? `${dirname(process.execPath)}${delimiter}${process.env['PATH'] ?? ''}`,
    AGORA_CACHE: join(cwd, 'cache'),
    npm_config_update_notifier: 'false',
  }
  try {
    const { stdout, stderr } = await promisify(execFile)(file, args, {
      cwd,
      env,
      maxBuffer: 16 << 20,
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string; message: string }
    if (typeof failed.code !== 'number') throw error
    return {
      code: failed.code,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? failed.message,
    }
  }
}

describe('scripts/package (the installed client; slow: build, pack, npm ci)', () => {
  let work: string
  let consumer: string
  let hub: ServedHub
  let manifest: PackageManifest
  let agora: string

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'agora-package-'))
    const built = await buildPackage({ outDir: join(work, 'package') })
    manifest = built.manifest
    consumer = join(work, 'consumer')
    await mkdir(consumer)
    const packed = await run(
      'npm',
      ['pack', built.dir, '--pack-destination', consumer, '--json'],
      work,
    )
    expect(packed.code, packed.stderr).toBe(0)
    const [{ filename, integrity }] = JSON.parse(packed.stdout) as [
      { filename: string; integrity: string },
    ]
    const tarball = `file:${filename}`
    const projectLock = JSON.parse(await readFile(join(projectRoot, 'package-lock.json'), 'utf8'))
    await writeFile(
      join(consumer, 'package.json'),
      JSON.stringify({
        name: 'consumer',
        private: true,
        type: 'module',
        dependencies: { [manifest.name]: tarball },
      }),
    )
    await writeFile(
      join(consumer, 'package-lock.json'),
      JSON.stringify({
        name: 'consumer',
        lockfileVersion: 3,
        requires: true,
        packages: {
          '': { name: 'consumer', dependencies: { [manifest.name]: tarball } },
          [`node_modules/${manifest.name}`]: {
            version: manifest.version,
            resolved: tarball,
            integrity,
            license: manifest['license'],
            dependencies: manifest.dependencies,
            bin: manifest['bin'],
            engines: manifest['engines'],
          },
          ...lockSubset(projectLock.packages, manifest.dependencies),
        },
      }),
    )
    const installed = await run(
      'npm',
      ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'],
      consumer,
    )
    expect(installed.code, installed.stderr).toBe(0)
    agora = join(consumer, 'node_modules/.bin/agora')

    // The hub: the pull tests' registry, its one blob, and an index the
    // installed agora signs.
    const root = join(work, 'hub')
    const site = join(work, 'site')
    await cp(join(fixtures, 'hub'), root, { recursive: true })
    const blob = join(site, blobKey(sha('hello world')))
    await mkdir(dirname(blob), { recursive: true })
    await writeFile(blob, 'hello world')
    hub = await serveHub({ root: site })
  }, 300_000)

  afterAll(async () => {
    await hub?.close()
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('ships JavaScript and only the dependencies the client imports', async () => {
    expect(manifest).toMatchObject({
      name: 'agora-hub',
      bin: { agora: 'bin/agora.js' },
      engines: { node: PACKAGE_NODE_RANGE },
    })
    const project = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8'))
    for (const name of Object.keys(manifest.dependencies))
      expect(manifest.dependencies[name]).toBe(project.dependencies[name])
    expect(Object.keys(manifest.dependencies)).toEqual(
      expect.arrayContaining(['isomorphic-git', 'semver', 'yaml', 'picomatch']),
    )
    for (const siteOnly of ['astro', '@astrojs/sitemap', 'pagefind'])
      expect(manifest.dependencies).not.toHaveProperty(siteOnly)
    // Sellers run `agora sales` and hub operators `agora stripe sync` from the package too.
    expect(manifest.dependencies).toHaveProperty('stripe')
  })

  // The system's Node, when it is older than the package needs (Node 20 on these machines).
  const systemPath = (process.env['PATH'] ?? '')
    .split(delimiter)
    .filter((dir) => !dir.includes('node_modules'))
    .join(delimiter)
  const systemNode = spawnSync('node', ['--version'], {
    env: { PATH: systemPath },
    encoding: 'utf8',
  })
  const olderNode =
    systemNode.status === 0 && !satisfies(systemNode.stdout.trim(), PACKAGE_NODE_RANGE)

  it.skipIf(!olderNode)('says which Node it needs when started by an older one', async () => {
    const { code, stdout, stderr } = await run(agora, ['--version'], consumer, systemPath)
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toBe(
      `agora: needs Node 22.15 or later; this is Node ${systemNode.stdout.trim().slice(1)}\n  hint: install Node 22.15 or later (nodejs.org, or your package manager)\n`,
    )
  })

  it('says its own version', async () => {
    const { code, stdout } = await run(agora, ['--version'], consumer)
    expect(code).toBe(0)
    expect(stdout).toBe(`agora ${manifest.version}\n`)
  })

  it('loads every command from the installed JavaScript', async () => {
    // `agora --help` imports every command and leaves out any that fails to load.
    const { code, stdout, stderr } = await run(agora, ['--help'], consumer)
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const listed = stdout.split('\n').flatMap((line) => /^ {2}(\S+)/.exec(line)?.[1] ?? [])
    expect(listed).toEqual(expect.arrayContaining(Object.keys(COMMANDS)))
  })

  it('builds a signed index, pulls from it and verifies the cache with the installed agora', async () => {
    const built = await run(
      agora,
      [
        'index',
        'build',
        '--out',
        join(work, 'site'),
        '--root',
        join(work, 'hub'),
        '--key-file',
        join(fixtures, 'index-test-key.pem'),
        '--commit',
        'a'.repeat(40),
        '--sequence',
        '1767225600',
        '--blob-url',
        '{base}/blobs/sha256/{prefix}/{sha256}',
      ],
      consumer,
    )
    expect(built.stderr).toBe('')
    expect(built.code).toBe(0)
    const pulled = await run(
      agora,
      [
        'pull',
        'acme/tox-gnn',
        '--index',
        hub.url,
        '--key',
        publicKey,
        '--to',
        'models/tox',
        '--json',
      ],
      consumer,
    )
    expect(pulled.stderr).toBe('')
    expect(pulled.code).toBe(0)
    expect(JSON.parse(pulled.stdout)).toMatchObject({
      ok: true,
      version: '1.0.0',
      downloaded_bytes: 11,
    })
    expect(await readFile(join(consumer, 'models/tox/model.onnx'), 'utf8')).toBe('hello world')
    const verified = await run(agora, ['cache', 'verify'], consumer)
    expect(verified.code).toBe(0)
    expect(verified.stdout).toContain('1 blob')
  })

  it('resolves, pulls and verifies through the library, and its types check', async () => {
    const script = `
import { pull, resolve, verifyCache, type PullResult, type Resolution } from 'agora-hub'
import { isAgoraError } from 'agora-hub/errors'

const options = { fetch, indexUrl: process.argv[2] as string, publicKey: process.argv[3] as string, cacheDir: 'lib-cache' }
const resolution: Resolution = await resolve('acme/tox-gnn@^1.0.0', options)
const pulled: PullResult = await pull('acme/tox-gnn', { ...options, to: 'lib-out', lockFile: 'lib.lock' })
const verified = await verifyCache('lib-cache')
const refused = await resolve('acme/nope', options).catch((error: unknown) => error)
console.log(JSON.stringify({
  version: resolution.version,
  files: pulled.files.map((f) => f.path),
  checked: verified.checked,
  corrupt: verified.corrupt.length,
  refused: isAgoraError(refused) ? refused.code : String(refused),
}))
`
    await writeFile(join(consumer, 'use.ts'), script)
    await writeFile(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          target: 'esnext',
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(projectRoot, 'node_modules/@types')],
        },
        files: ['use.ts'],
      }),
    )
    const tsc = join(projectRoot, 'node_modules/typescript/bin/tsc')
    const checked = await run(process.execPath, [tsc, '-p', '.'], consumer)
    expect(checked.stdout).toBe('')
    expect(checked.code).toBe(0)
    // The consumer's own file is TypeScript; the package it imports is not.
    const used = await run(process.execPath, ['use.ts', hub.url, publicKey], consumer)
    expect(used.stderr).toBe('')
    expect(JSON.parse(used.stdout)).toEqual({
      version: '1.0.0',
      files: ['model.onnx'],
      checked: 1,
      corrupt: 0,
      refused: 'client/not-found',
    })
    expect(await readFile(join(consumer, 'lib-out/model.onnx'), 'utf8')).toBe('hello world')
  })
})
