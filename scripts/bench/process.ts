import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'

/** The `agora` command of a checkout, as `npx agora` runs it: its package.json `bin`. */
export function agoraBin(checkout: string): string {
  const manifest = JSON.parse(readFileSync(join(checkout, 'package.json'), 'utf8')) as {
    bin: { agora: string }
  }
  return join(checkout, manifest.bin.agora)
}

/** Waits until the 1-minute load average is under 1, or `maxMs` runs out. */
export async function waitForIdle(maxMs: number): Promise<void> {
  const until = Date.now() + maxMs
  while ((loadavg()[0] ?? 0) >= 1 && Date.now() < until)
    await new Promise((done) => setTimeout(done, 5_000))
}

/**
 * Runs a command without blocking this process's event loop: the benches
 * keep their servers in this process, so a synchronous spawn would starve them.
 */
export function exec(
  command: string,
  args: string[],
  cwd?: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c
    })
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c
    })
    child.on('error', fail)
    child.on('close', (status) => done({ status, stdout, stderr }))
  })
}
