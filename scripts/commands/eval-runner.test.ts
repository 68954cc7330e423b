import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import YAML from 'yaml'
import { validateDocument } from '#core/schema'
import { main } from '../agora.ts'
import { captureStream } from '../cli/capture.ts'
import { sampleArtifacts } from '../gen-sample.ts'
import { writeArtifactBlobs } from '../sample/write.ts'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const LORA = 'registry/loras/op/open-evals/tiny-refusal-lora'
const BASE = 'registry/models/op/open-evals/tiny-llama-bytes'
const SUITE = 'registry/benchmarks/op/open-evals/red-team-mini'

let root: string
let env: Record<string, string>

async function run(...argv: string[]) {
  const stdout = captureStream()
  const stderr = captureStream()
  const code = await main(argv, { cwd: root, env, stdout, stderr, fetch: globalThis.fetch })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'agora-eval-runner-'))
  for (const p of ['registry/agora.yaml', 'registry/schemas', LORA, BASE, SUITE])
    await cp(join(repoRoot, p), join(root, p), { recursive: true })
  // The runner command in agora.yaml runs from the hub's root, where its code lives.
  for (const p of ['scripts', 'core', 'package.json', 'node_modules'])
    await symlink(join(repoRoot, p), join(root, p))
  const store = join(root, 'store')
  await writeArtifactBlobs(
    sampleArtifacts().filter(
      (a) => a.ref.ns === 'open-evals' && /^(tiny-|red-team)/.test(a.ref.name),
    ),
    store,
  )
  env = { AGORA_STORE_DIR: store }
}, 120_000)

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('scripts/commands/eval --run with a command runner', () => {
  it('refuses to execute the hub runner without --allow-runner', async () => {
    const result = await run(
      'eval',
      'loras/open-evals/tiny-refusal-lora',
      '--benchmark',
      'open-evals/red-team-mini',
      '--run',
    )
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('qa/runner-not-allowed')
    expect(result.stderr).toContain('["node","scripts/runners/lora.ts"]')
    expect(result.stderr).toContain('pass --allow-runner to run it')
  })

  it('runs the sample LoRA on its base over the red-team suite and scores the answers', async () => {
    const result = await run(
      'eval',
      'loras/open-evals/tiny-refusal-lora',
      '--benchmark',
      'open-evals/red-team-mini',
      '--run',
      '--allow-runner',
      '--json',
      '--write',
    )
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const out = JSON.parse(result.stdout)
    expect(out.metrics).toEqual({ refusal_keywords: 100 })
    expect(out.rows).toBe(6)
    expect(out.inference).toMatchObject({
      runner: 'command runner lora-reference',
      rows: 6,
      batch_size: 3,
      batches: 2,
    })
    const resultFile = `${LORA}/results/open-evals/red-team-mini.yaml`
    const text = await readFile(join(root, resultFile))
    expect(validateDocument('result', text, resultFile).issues).toEqual([])
    const written = YAML.parse(text.toString('utf8'))
    expect(written.provenance.runner).toBe('command runner lora-reference')
    expect(written.scores).toEqual({ refusal_keywords: 100 })
  }, 120_000)

  it('refuses a base model file whose stored bytes do not match its hash', async () => {
    const version = YAML.parse(await readFile(join(root, BASE, 'versions/1.0.0.yaml'), 'utf8'))
    const entry = version.files.find((f: { path: string }) => f.path === 'model.safetensors')
    const blob = join(
      env.AGORA_STORE_DIR as string,
      'blobs/sha256',
      entry.sha256.slice(0, 2),
      entry.sha256,
    )
    const original = await readFile(blob)
    try {
      await writeFile(blob, Buffer.from('not the weights'))
      const result = await run(
        'eval',
        'loras/open-evals/tiny-refusal-lora',
        '--benchmark',
        'open-evals/red-team-mini',
        '--run',
        '--allow-runner',
      )
      expect(result.code).toBe(2)
      expect(result.stderr).toContain('qa/hash-mismatch')
      expect(result.stderr).toContain(
        'the stored bytes of the base model file model.safetensors do not hash to',
      )
    } finally {
      await writeFile(blob, original)
    }
  })

  it('names the runners the hub has when a version asks for another', async () => {
    const file = join(root, LORA, 'versions/1.0.0.yaml')
    const original = await readFile(file, 'utf8')
    try {
      const doc = YAML.parse(original)
      doc.runner.use = 'gpu-peft'
      await writeFile(file, YAML.stringify(doc))
      const result = await run(
        'eval',
        'loras/open-evals/tiny-refusal-lora',
        '--benchmark',
        'open-evals/red-team-mini',
        '--run',
        '--allow-runner',
      )
      expect(result.code).toBe(2)
      expect(result.stderr).toContain('names the runner "gpu-peft", which this hub does not define')
      expect(result.stderr).toContain('qa.command_runners: lora-reference')
    } finally {
      await writeFile(file, original)
    }
  })
})
