import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Debian's nginx (the `nginx` package); NGINX_BIN points elsewhere. */
export const NGINX_BIN = process.env.NGINX_BIN ?? '/usr/sbin/nginx'

/** True when nginx is installed. */
export function hasNginx(): boolean {
  return existsSync(NGINX_BIN)
}

export interface TempNginx {
  url: string
  close(): Promise<void>
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/**
 * Runs a real nginx as the current user on a loopback port, one process
 * (no master, no daemon), everything it writes in a temp folder, serving
 * `root` with `include` inside its server block, as a site would.
 *
 * @example const nginx = await startNginx('dist', 'dist/nginx-hf.conf')
 */
export async function startNginx(root: string, include: string): Promise<TempNginx> {
  const prefix = await mkdtemp(join(tmpdir(), 'agora-nginx-'))
  const port = await freePort()
  const temp = (name: string) => `${name}_temp_path ${join(prefix, name)};`
  await writeFile(
    join(prefix, 'nginx.conf'),
    [
      'daemon off;',
      'master_process off;',
      `pid ${join(prefix, 'nginx.pid')};`,
      `error_log ${join(prefix, 'error.log')} warn;`,
      'events { worker_connections 256; }',
      'http {',
      '  include /etc/nginx/mime.types;',
      '  access_log off;',
      `  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join(' ')}`,
      '  server {',
      `    listen 127.0.0.1:${port};`,
      `    root ${root};`,
      `    include ${include};`,
      '  }',
      '}',
      '',
    ].join('\n'),
  )
  const child: ChildProcess = spawn(
    NGINX_BIN,
    ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = `http://127.0.0.1:${port}`
  const close = async () => {
    if (child.exitCode === null) child.kill('SIGTERM')
    await exited
    await rm(prefix, { recursive: true, force: true })
  }
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null || attempt > 200) {
      const log = await readFile(join(prefix, 'error.log'), 'utf8').catch(() => '')
      await close()
      throw new Error(`nginx did not start: ${stderr}${log}`)
    }
    const up = await fetch(`${url}/`, { method: 'HEAD' }).then(
      () => true,
      () => false,
    )
    if (up) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { url, close }
}
