#!/usr/bin/env node
// The `agora` command of a checkout (package.json `bin`). Plain JavaScript, so
// that it runs before any TypeScript loads: it turns Node's compile cache on
// first, and Node then takes every module's type-stripped, compiled code from
// the cache and never loads its TypeScript stripper, about a tenth of a second
// of every start. It also names the Node it needs, where an older Node would
// fail on the first `.ts` import with an unknown file extension.
// Node strips types without a flag from 22.18 and, in the 23 line, from 23.6.
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 18) || (major === 23 && minor < 6)) {
  process.stderr.write(
    `agora: needs Node 22.18 or later, 23.6 in the 23 line (it runs TypeScript directly); this is Node ${process.versions.node}\n` +
      '  hint: run "npm install" in the checkout, then "npx agora …": npm puts the Node it installs first on the PATH\n',
  )
  process.exit(2)
}
const { enableCompileCache } = await import('node:module')
enableCompileCache()
const { runCli } = await import('../agora.ts')
await runCli()
