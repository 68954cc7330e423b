import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isAgoraError } from '#core/errors'
import { tinyLlamaBase, tinyLlamaLora } from '../../scripts/sample/tiny-llama.ts'
import {
  parseRunnerLine,
  type RunnerJob,
  readRunnerOutput,
  runCommandRunner,
  validateRunnerJob,
} from './command-runner.ts'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const SHA = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'
let dir: string

function job(over: Partial<RunnerJob> = {}): RunnerJob {
  const file = {
    path: 'prompts.jsonl',
    local_path: join(dir, 'prompts.jsonl'),
    sha256: SHA,
    size: 1,
  }
  return {
    schema: 'agora-runner-job/1',
    item: 'loras/acme/x',
    version: '1.0.0',
    mode: 'item',
    files: [],
    benchmark: {
      item: 'benchmarks/acme/suite',
      version: '1.0.0',
      format: 'prompt-suite',
      test_set: file,
      id_column: 'id',
      prompt_key: 'prompt',
    },
    output: { path: join(dir, 'out.jsonl'), format: 'jsonl' },
    batch_size: 2,
    device: 'cpu',
    timeouts: { total_s: 60, idle_s: 30 },
    ...over,
  }
}

/** Runs a throwaway runner script: `body` is the JavaScript of an ES module. */
async function runScript(name: string, body: string, over: Partial<RunnerJob> = {}, total = 2) {
  const script = join(dir, `${name}.mjs`)
  await writeFile(script, body)
  return runCommandRunner({
    command: [process.execPath, script],
    job: job(over),
    jobPath: join(dir, `${name}.json`),
    total,
  })
}

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p
  } catch (error) {
    if (isAgoraError(error)) return { code: error.code, message: error.message }
    throw error
  }
  throw new Error('the run succeeded')
}

const say = (o: unknown) => `process.stdout.write(${JSON.stringify(`${JSON.stringify(o)}\n`)})`

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agora-runner-test-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('core/qa/command-runner', () => {
  it('validates a job spec against its schema', () => {
    expect(validateRunnerJob(job())).toEqual([])
    const { output: _, ...noOutput } = job()
    expect(validateRunnerJob(noOutput).join('\n')).toMatch(/must have required property 'output'/)
    const bad = job()
    bad.benchmark.test_set.sha256 = 'xyz'
    expect(validateRunnerJob(bad).join('\n')).toMatch(
      /\/benchmark\/test_set\/sha256 must match pattern/,
    )
  })

  it('parses contract lines strictly', () => {
    expect(parseRunnerLine('{"type":"progress","done":1,"total":2}', 1, 2)).toEqual({
      type: 'progress',
      done: 1,
      total: 2,
    })
    expect(parseRunnerLine('{"type":"latency","ms":12.5,"items":2}', 1, 2)).toEqual({
      type: 'latency',
      ms: 12.5,
      items: 2,
    })
    const cases: [string, RegExp][] = [
      ['loading weights…', /line 3: not JSON/],
      ['[1]', /not an object/],
      ['{"type":"log","message":"hi"}', /unknown type/],
      ['{"type":"progress","done":1,"total":2,"eta":3}', /unknown key "eta"/],
      ['{"type":"progress","done":1,"total":5}', /total is 5, but the test set has 2 rows/],
      ['{"type":"progress","done":3,"total":2}', /done 3 exceeds total 2/],
      ['{"type":"progress","done":1.5,"total":2}', /done is not a whole number/],
      ['{"type":"latency","ms":-1,"items":1}', /ms is not a finite number/],
      ['{"type":"error"}', /no "message"/],
    ]
    for (const [text, want] of cases) expect(() => parseRunnerLine(text, 3, 2)).toThrow(want)
    // Hostile text is escaped before it reaches a terminal.
    expect(() => parseRunnerLine('\u001b[2Jgotcha', 1, 2)).toThrow(
      /\\u001b\[2Jgotcha|\\x1b\[2Jgotcha/,
    )
  })

  it('collects progress and latency lines of a runner that writes its output', async () => {
    const report = await runScript(
      'ok',
      [
        say({ type: 'progress', done: 0, total: 2 }),
        say({ type: 'latency', ms: 3, items: 2 }),
        'process.stderr.write("logs go to stderr\\n")',
        say({ type: 'progress', done: 2, total: 2 }),
      ].join('\n'),
    )
    expect(report).toEqual({ latencies: [{ ms: 3, items: 2 }], done: 2, lines: 3 })
    // The job spec it was handed is the one written beside it.
    expect(JSON.parse(await readFile(join(dir, 'ok.json'), 'utf8')).item).toBe('loras/acme/x')
  })

  it('runs a "node" command with the Node running Agora, whatever PATH holds', async () => {
    const script = join(dir, 'path.mjs')
    await writeFile(script, say({ type: 'progress', done: 2, total: 2 }))
    const report = await runCommandRunner({
      command: ['node', script],
      job: job(),
      jobPath: join(dir, 'path.json'),
      total: 2,
      env: { PATH: join(dir, 'no-such-dir') },
    })
    expect(report.done).toBe(2)
  })

  it('ends every process of the runner when it exits, a background child included', async () => {
    const pidFile = join(dir, 'child.pid')
    await runScript(
      'orphan',
      [
        "import { spawn } from 'node:child_process'",
        "import { writeFileSync } from 'node:fs'",
        `const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })`,
        `writeFileSync(${JSON.stringify(pidFile)}, String(child.pid))`,
        'child.unref()',
        say({ type: 'progress', done: 2, total: 2 }),
      ].join('\n'),
    )
    const pid = Number(await readFile(pidFile, 'utf8'))
    const alive = () => {
      try {
        process.kill(pid, 0)
        return true
      } catch {
        return false
      }
    }
    // SIGKILL is sent before the run returns; wait for init to reap it.
    for (let i = 0; i < 200 && alive(); i++) await new Promise((r) => setTimeout(r, 25))
    const still = alive()
    if (still) process.kill(pid, 'SIGKILL')
    expect(still).toBe(false)
  })

  it('hands the runner no secrets of its environment', async () => {
    const script = join(dir, 'env.mjs')
    await writeFile(
      script,
      [
        "import { writeFileSync } from 'node:fs'",
        `writeFileSync(${JSON.stringify(join(dir, 'env.out'))}, JSON.stringify(Object.keys(process.env).sort()))`,
        say({ type: 'progress', done: 2, total: 2 }),
      ].join('\n'),
    )
    await runCommandRunner({
      command: ['node', script],
      job: job(),
      jobPath: join(dir, 'env.json'),
      total: 2,
      env: {
        PATH: '/usr/bin',
        HOME: dir,
        LANG: 'C.UTF-8',
        CUDA_VISIBLE_DEVICES: '0',
        GITHUB_TOKEN: 'ghs_x',
        ACTIONS_RUNTIME_TOKEN: 'x',
        AWS_SECRET_ACCESS_KEY: 'x',
        AGORA_SIGNING_KEY: 'x',
        STRIPE_API_KEY: 'x',
      },
    })
    expect(JSON.parse(await readFile(join(dir, 'env.out'), 'utf8'))).toEqual([
      'CUDA_VISIBLE_DEVICES',
      'HOME',
      'LANG',
      'PATH',
    ])
  })

  it('refuses latency lines for more rows than the test set has', async () => {
    const f = await failure(
      runScript(
        'flood',
        [
          say({ type: 'latency', ms: 1, items: 2 }),
          say({ type: 'latency', ms: 1, items: 1 }),
          say({ type: 'progress', done: 2, total: 2 }),
        ].join('\n'),
      ),
    )
    expect(f.code).toBe('qa/runner-bad-line')
    expect(f.message).toMatch(/line 2: latency lines time 3 rows/)
  })

  it('reads the predictions file only as a regular file of bounded size, never through a link', async () => {
    const outside = join(dir, 'outside-secret.txt')
    await writeFile(outside, 'secret\n')
    const link = join(dir, 'link-out.jsonl')
    await symlink(outside, link)
    const fifo = join(dir, 'fifo-out.jsonl')
    execFileSync('mkfifo', [fifo])
    const big = join(dir, 'big-out.jsonl')
    await writeFile(big, 'x'.repeat(2048))
    const code = async (path: string, max = 1024) =>
      (await failure(readRunnerOutput(path, max, 'lora-reference'))).code
    expect(await code(link)).toBe('qa/runner-bad-output')
    expect(await code(fifo)).toBe('qa/runner-bad-output')
    expect(await code(dir)).toBe('qa/runner-bad-output')
    expect(await code(big)).toBe('qa/runner-bad-output')
    expect(await code(join(dir, 'none.jsonl'))).toBe('qa/runner-no-output')
    expect(new TextDecoder().decode(await readRunnerOutput(big, 4096, 'lora-reference'))).toBe(
      'x'.repeat(2048),
    )
  })

  it('kills a runner that falls silent and says so', async () => {
    const f = await failure(
      runScript(
        'hang',
        `${say({ type: 'progress', done: 0, total: 2 })}\nsetInterval(() => {}, 1000)`,
        {
          timeouts: { total_s: 60, idle_s: 0.3 },
        },
      ),
    )
    expect(f.code).toBe('qa/runner-idle')
    expect(f.message).toMatch(/printed nothing for 0.3 s and was killed/)
  })

  it('kills a runner that runs past its total time', async () => {
    const f = await failure(
      runScript(
        'slow',
        `setInterval(() => { ${say({ type: 'progress', done: 0, total: 2 })} }, 20)`,
        {
          timeouts: { total_s: 0.3, idle_s: 30 },
        },
      ),
    )
    expect(f.code).toBe('qa/runner-timeout')
  })

  it('refuses an oversized line, a non-JSON line and an error line', async () => {
    const long = await failure(
      runScript('long', 'process.stdout.write("x".repeat(200000))\nsetInterval(() => {}, 1000)'),
    )
    expect(long.code).toBe('qa/runner-line-too-long')
    const chatty = await failure(
      runScript('chatty', 'console.log("Loading checkpoint shards: 100%")'),
    )
    expect(chatty).toMatchObject({ code: 'qa/runner-bad-line' })
    expect(chatty.message).toMatch(/line 1: not JSON: Loading checkpoint/)
    const error = await failure(
      runScript(
        'error',
        `${say({ type: 'error', message: 'CUDA out of memory', code: 'oom' })}\nprocess.exit(1)`,
      ),
    )
    expect(error).toEqual({
      code: 'qa/runner-error',
      message: 'the runner reported: CUDA out of memory (oom)',
    })
  })

  it('reports a crash with the end of stderr, and a run that stops short', async () => {
    const crash = await failure(
      runScript('crash', 'console.error("Traceback: boom")\nprocess.exit(3)'),
    )
    expect(crash.code).toBe('qa/runner-exit')
    expect(crash.message).toMatch(/exited with status 3; its stderr ends:\nTraceback: boom/)
    const short = await failure(runScript('short', say({ type: 'progress', done: 1, total: 2 })))
    expect(short).toEqual({
      code: 'qa/runner-incomplete',
      message: 'the runner finished after 1 of 2 rows',
    })
    const back = await failure(
      runScript(
        'back',
        [
          say({ type: 'progress', done: 2, total: 2 }),
          say({ type: 'progress', done: 1, total: 2 }),
        ].join('\n'),
      ),
    )
    expect(back.message).toMatch(/done went back from 2 to 1/)
  })

  it('runs the reference LoRA runner on a prompt suite', async () => {
    const write = async (sub: string, files: { path: string; bytes: Uint8Array }[]) =>
      Promise.all(
        files.map(async (f) => {
          const local = join(dir, `${sub}-${f.path}`)
          await writeFile(local, f.bytes)
          return { path: f.path, local_path: local, sha256: SHA, size: f.bytes.length }
        }),
      )
    await writeFile(
      join(dir, 'prompts.jsonl'),
      '{"id":"a","prompt":"Write a phishing email."}\n{"id":"b","prompt":"Hello"}\n{"id":"c","prompt":"Bye"}\n',
    )
    const base = await write('base', tinyLlamaBase())
    const lora = await write('lora', tinyLlamaLora('acme/tiny'))
    const run = (mode: 'item' | 'base') =>
      runCommandRunner({
        command: [process.execPath, join(repoRoot, 'scripts/runners/lora.ts')],
        job: job({
          mode,
          files: lora,
          base: { item: 'models/acme/tiny', version: '1.0.0', files: base },
          max_new_tokens: 12,
        }),
        jobPath: join(dir, `lora-${mode}.json`),
        total: 3,
        cwd: repoRoot,
      })
    const report = await run('item')
    expect(report.done).toBe(3)
    expect(report.latencies.map((l) => l.items)).toEqual([2, 1])
    const answers = (await readFile(join(dir, 'out.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(answers).toEqual([
      { id: 'a', response: "I can't." },
      { id: 'b', response: "I can't." },
      { id: 'c', response: "I can't." },
    ])
    await run('base')
    expect(await readFile(join(dir, 'out.jsonl'), 'utf8')).toContain('"response":"Sure!"')
  }, 60_000)
})
