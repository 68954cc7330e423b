#!/usr/bin/env node
/**
 * `npm start`: a working local hub from the registry in this repository with
 * the embedded defaults: the sample files in the fs store, the catalog, the
 * signed index, all served on loopback.
 */
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { buildHub } from './build.ts'
import { serveHub } from './serve-hub.ts'

const projectRoot = resolve(fileURLToPath(import.meta.url), '../..')
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '4321' },
    host: { type: 'string', default: '127.0.0.1' },
    'no-build': { type: 'boolean', default: false },
  },
})
const outDir = resolve(projectRoot, 'dist')
if (!values['no-build']) await buildHub({ sampleBlobs: true, outDir })
const hub = await serveHub({ root: outDir, port: Number(values.port), host: values.host })
process.stdout.write(
  [
    '',
    `Agora is serving the hub at ${hub.url}/`,
    `  browse:  ${hub.url}/`,
    `  index:   ${hub.url}/index/config.json`,
    `  pull:    npx agora pull <ns/name> --index ${hub.url}`,
    'Press Ctrl+C to stop.',
    '',
  ].join('\n'),
)
const stop = () => void hub.close().then(() => process.exit(0))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
