import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  EVIL_PICKLE_P4,
  safetensors,
  TORCH_STATE_PICKLE,
  torchZip,
} from '../../core/scan/__fixtures__/build.ts'
import { main } from '../agora.ts'
import { captureStream } from '../cli/capture.ts'
import type { ScanReport } from './scan.ts'

let dir: string

async function run(...argv: string[]) {
  const stdout = captureStream()
  const stderr = captureStream()
  const code = await main(['scan', ...argv], {
    cwd: dir,
    env: {},
    stdout,
    stderr,
    fetch: globalThis.fetch,
  })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agora-scan-cmd-'))
  await mkdir(join(dir, 'weights'))
  const tensor = { dtype: 'F16', shape: [1000, 1000], data_offsets: [0, 2_000_000] }
  await writeFile(
    join(dir, 'weights', 'model.safetensors'),
    safetensors({ 'w.weight': tensor }, 2_000_000),
  )
  await writeFile(join(dir, 'weights', 'state.pt'), torchZip(TORCH_STATE_PICKLE))
  await writeFile(join(dir, 'pytorch_model.bin'), EVIL_PICKLE_P4)
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('scripts/commands/scan', () => {
  it('exits 0 when every file is safe, listing format and verdict', async () => {
    const { code, stdout } = await run('weights/model.safetensors')
    expect(code).toBe(0)
    expect(stdout).toBe(
      '✔ weights/model.safetensors  safetensors  safe (verified format; 1 tensor, 1.00 M parameters)\n✔ 1 file safe\n',
    )
  })

  it('exits 1 and prints findings with hints when a file is unsafe', async () => {
    const { code, stdout } = await run('pytorch_model.bin', 'weights')
    expect(code).toBe(1)
    expect(stdout).toContain('✖ pytorch_model.bin  pickle  unsafe (1 import)\n')
    expect(stdout).toContain(
      'pytorch_model.bin  scan/pickle-dangerous-import  pickle imports posix.system, which can run code when loaded\n' +
        '  hint: this import runs code or touches the system when the file is loaded; do not load it, convert the weights to safetensors from a trusted copy\n',
    )
    expect(stdout).toContain(
      'pytorch_model.bin  scan/unsafe-format  warning: this is a pickle, and loading pickles can run code\n',
    )
    expect(stdout).toContain('✔ weights/state.pt  pytorch-zip  safe (3 imports)\n')
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('✖ 1 unsafe of 3 files')
  })

  it('fails closed on files it cannot read', async () => {
    const { code, stdout } = await run('missing.gguf')
    expect(code).toBe(1)
    expect(stdout).toContain('missing.gguf  scan/read-failed  could not open the file: ENOENT')
    expect(stdout).toContain('✖ 1 could not be scanned of 1 file')
  })

  it('prints the results as JSON with --json', async () => {
    const { code, stdout } = await run('pytorch_model.bin', 'weights/model.safetensors', '--json')
    expect(code).toBe(1)
    const report = JSON.parse(stdout) as ScanReport
    expect(report.ok).toBe(false)
    expect(report.summary).toEqual({ files: 2, safe: 1, unsafe: 1, error: 0 })
    expect(report.results[0]).toMatchObject({
      path: 'pytorch_model.bin',
      format: 'pickle',
      verdict: 'unsafe',
    })
    expect(report.results[1]?.tensors?.[0]).toMatchObject({
      name: 'w.weight',
      dtype: 'F16',
      params: 1_000_000,
    })
  })

  it('honours --allow-global', async () => {
    await writeFile(join(dir, 'sk.pkl'), 'csklearn.tree\nDecisionTreeClassifier\n)R.')
    expect((await run('sk.pkl')).code).toBe(1)
    expect(
      (await run('sk.pkl', '--allow-global', 'sklearn.tree.DecisionTreeClassifier')).code,
    ).toBe(0)
  })

  it('fails when a folder holds no files to scan', async () => {
    await mkdir(join(dir, 'empty'))
    const { code, stdout } = await run('empty')
    expect(code).toBe(1)
    expect(stdout).toBe('✖ no files to scan\n')
  })

  it('exits 2 on bad arguments', async () => {
    const none = await run()
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('cli/bad-argument')
    expect((await run('x', '--frobnicate')).code).toBe(2)
  })
})
