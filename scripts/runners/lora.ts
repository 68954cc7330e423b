/**
 * The reference command runner for LoRAs (docs/runners.md): reads a job
 * spec (path as the argument, or `-` / none for stdin), loads the base
 * model's `config.json` + `model.safetensors` and, in `item` mode, the
 * PEFT adapter, then greedily generates an answer for every prompt of the
 * suite with the byte-level tokenizer. Predictions go to the job's output
 * file as JSON Lines ({id, response}); stdout carries only contract lines.
 */
import { readFile, writeFile } from 'node:fs/promises'
import {
  attachLora,
  generate,
  type LlamaModel,
  type RunnerFile,
  type RunnerJob,
  readSafetensors,
  validateRunnerJob,
} from '#core/qa'

function say(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`)
}

async function readJob(arg: string | undefined): Promise<RunnerJob> {
  let text: string
  if (arg && arg !== '-') text = await readFile(arg, 'utf8')
  else {
    const chunks: Buffer[] = []
    for await (const c of process.stdin) chunks.push(c as Buffer)
    text = Buffer.concat(chunks).toString('utf8')
  }
  const job = JSON.parse(text) as unknown
  const problems = validateRunnerJob(job)
  if (problems.length > 0) throw new Error(`invalid job spec: ${problems.join('; ')}`)
  return job as RunnerJob
}

function find(files: readonly RunnerFile[], path: string, where: string): RunnerFile {
  const f = files.find((x) => x.path === path)
  if (!f) throw new Error(`${where} has no ${path}`)
  return f
}

async function main(): Promise<void> {
  const job = await readJob(process.argv[2])
  if (job.device !== 'cpu')
    throw new Error(`device ${job.device}: this runner runs on the CPU only`)
  if (job.benchmark.format !== 'prompt-suite')
    throw new Error('this runner answers prompt suites only')
  const baseFiles = job.base?.files ?? job.files
  const config = JSON.parse(
    await readFile(find(baseFiles, 'config.json', 'the base model').local_path, 'utf8'),
  )
  const weights = find(baseFiles, 'model.safetensors', 'the base model')
  let model: LlamaModel = {
    config,
    weights: readSafetensors(await readFile(weights.local_path), weights.path),
    lora: new Map(),
  }
  if (job.mode === 'item' && job.base) {
    const cfg = find(job.files, 'adapter_config.json', 'the LoRA')
    const ad = find(job.files, 'adapter_model.safetensors', 'the LoRA')
    model = attachLora(
      model,
      JSON.parse(await readFile(cfg.local_path, 'utf8')),
      readSafetensors(await readFile(ad.local_path), ad.path),
      ad.path,
    )
  }
  const key = job.benchmark.prompt_key ?? 'prompt'
  const rows = (await readFile(job.benchmark.test_set.local_path, 'utf8'))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
  const out: string[] = []
  say({ type: 'progress', done: 0, total: rows.length })
  for (let start = 0; start < rows.length; start += job.batch_size) {
    const batch = rows.slice(start, start + job.batch_size)
    const began = performance.now()
    for (const row of batch) {
      const response = generate(model, `${String(row[key])}\n`, job.max_new_tokens ?? 32)
      out.push(
        JSON.stringify({ [job.benchmark.id_column]: row[job.benchmark.id_column], response }),
      )
    }
    say({ type: 'latency', ms: performance.now() - began, items: batch.length })
    say({ type: 'progress', done: start + batch.length, total: rows.length })
  }
  await writeFile(job.output.path, out.length > 0 ? `${out.join('\n')}\n` : '')
}

main().catch((error: unknown) => {
  say({ type: 'error', message: error instanceof Error ? error.message : String(error) })
  process.exitCode = 1
})
