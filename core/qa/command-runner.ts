import { spawn } from 'node:child_process'
import { constants } from 'node:fs'
import { open, writeFile } from 'node:fs/promises'
import type { ValidateFunction } from 'ajv/dist/2020.js'
import { sanitizeForTerminal } from '#core/client'
import { AgoraError } from '#core/errors'
import { createAjv } from '#core/schema'
import jobSchema from '../../registry/schemas/runner-job.schema.json' with { type: 'json' }

/** A file handed to a runner, hash-checked by the caller. */
export interface RunnerFile {
  path: string
  local_path: string
  sha256: string
  size: number
}

/** The job spec a command runner receives (registry/schemas/runner-job.schema.json). */
export interface RunnerJob {
  schema: 'agora-runner-job/1'
  item: string
  version: string
  mode: 'item' | 'base'
  files: RunnerFile[]
  base?: { item: string; version: string; files: RunnerFile[] }
  benchmark: {
    item: string
    version: string
    format: 'prompt-suite' | 'table'
    test_set: RunnerFile
    id_column: string
    prompt_key?: string
  }
  output: { path: string; format: 'jsonl' | 'csv' }
  batch_size: number
  device: 'cpu' | 'cuda'
  max_new_tokens?: number
  timeouts: { total_s: number; idle_s: number }
}

/** One line a runner prints on stdout. */
export type RunnerLine =
  | { type: 'progress'; done: number; total: number }
  | { type: 'latency'; ms: number; items: number }
  | { type: 'error'; message: string; code?: string }

let validator: ValidateFunction | undefined

/**
 * Checks a job spec against its schema; a runner calls it on what it
 * receives, the caller on what it sends.
 *
 * @example validateRunnerJob(JSON.parse(text)) // [] when valid
 */
export function validateRunnerJob(value: unknown): string[] {
  validator ??= createAjv().compile(jobSchema)
  if (validator(value)) return []
  return (validator.errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`,
  )
}

/** Longest stdout line accepted: a progress line is tens of bytes. */
export const MAX_RUNNER_LINE_BYTES = 64 * 1024

const KEYS: Record<RunnerLine['type'], { required: string[]; optional: string[] }> = {
  progress: { required: ['done', 'total'], optional: [] },
  latency: { required: ['ms', 'items'], optional: [] },
  error: { required: ['message'], optional: ['code'] },
}

function shownLine(text: string): string {
  return sanitizeForTerminal(text.length > 120 ? `${text.slice(0, 120)}…` : text)
}

/**
 * Parses one stdout line of a runner strictly: a JSON object whose `type`
 * is progress, latency or error with exactly its keys (`done` ≤ `total`,
 * `total` the number of test rows; `ms` ≥ 0; counts whole numbers). Throws
 * `qa/runner-bad-line` with the line number otherwise.
 *
 * @example parseRunnerLine('{"type":"progress","done":1,"total":4}', 1, 4).type // 'progress'
 */
export function parseRunnerLine(text: string, line: number, total: number): RunnerLine {
  const refuse = (why: string) =>
    new AgoraError('qa/runner-bad-line', `runner stdout line ${line}: ${why}: ${shownLine(text)}`, {
      hint: 'a runner prints only JSON lines {"type":"progress"|"latency"|"error",…} on stdout (docs/runners.md); logs go to stderr',
      line,
    })
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw refuse('not JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw refuse('not an object')
  const v = value as Record<string, unknown>
  const type = v.type
  if (typeof type !== 'string' || !Object.hasOwn(KEYS, type)) throw refuse('unknown type')
  const keys = KEYS[type as RunnerLine['type']]
  for (const k of keys.required) if (!(k in v)) throw refuse(`no "${k}"`)
  for (const k of Object.keys(v))
    if (k !== 'type' && !keys.required.includes(k) && !keys.optional.includes(k))
      throw refuse(`unknown key "${k}"`)
  const count = (k: string) => {
    const n = v[k]
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
      throw refuse(`${k} is not a whole number ≥ 0`)
    return n
  }
  if (type === 'progress') {
    const done = count('done')
    if (count('total') !== total)
      throw refuse(`total is ${v.total}, but the test set has ${total} rows`)
    if (done > total) throw refuse(`done ${done} exceeds total ${total}`)
    return { type, done, total }
  }
  if (type === 'latency') {
    const ms = v.ms
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)
      throw refuse('ms is not a finite number ≥ 0')
    return { type, ms, items: count('items') }
  }
  if (typeof v.message !== 'string' || (v.code !== undefined && typeof v.code !== 'string'))
    throw refuse('message and code must be strings')
  return {
    type: 'error',
    message: v.message,
    ...(typeof v.code === 'string' ? { code: v.code } : {}),
  }
}

/**
 * Environment variables a runner receives, by name or prefix: what a
 * program, a Python environment or a GPU needs. Nothing else passes, so the
 * tokens and storage keys of a QA job never reach a program that loads a
 * contributor's files.
 */
const RUNNER_ENV_NAMES = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TERM',
  'TMPDIR',
  'TMP',
  'TEMP',
  'LD_LIBRARY_PATH',
  'VIRTUAL_ENV',
  'CONDA_PREFIX',
  'PYTHONPATH',
  'PYTHONHOME',
  'OMP_NUM_THREADS',
  'MKL_NUM_THREADS',
  'OPENBLAS_NUM_THREADS',
])
const RUNNER_ENV_PREFIXES = ['LC_', 'CUDA_', 'NVIDIA_', 'ROCR_', 'HIP_']

/**
 * The part of an environment a runner gets (see RUNNER_ENV_NAMES).
 *
 * @example runnerEnvironment({ PATH: '/usr/bin', GITHUB_TOKEN: 'x' }) // { PATH: '/usr/bin' }
 */
export function runnerEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue
    if (RUNNER_ENV_NAMES.has(name) || RUNNER_ENV_PREFIXES.some((p) => name.startsWith(p)))
      out[name] = value
  }
  return out
}

/**
 * Reads a runner's predictions file: a regular file of at most `maxBytes`,
 * opened without following a link (a runner cannot make the caller read
 * another file, block on a FIFO or fill its memory). Throws
 * `qa/runner-no-output` when it is missing, `qa/runner-bad-output` otherwise.
 *
 * @example const bytes = await readRunnerOutput(job.output.path, 512 * 1024 * 1024, 'lora-reference')
 */
export async function readRunnerOutput(
  path: string,
  maxBytes: number,
  runner: string,
): Promise<Uint8Array> {
  const name = sanitizeForTerminal(runner)
  const bad = (why: string) =>
    new AgoraError('qa/runner-bad-output', `the predictions file of the runner "${name}" ${why}`, {
      hint: "a runner writes its predictions as a plain file at the job spec's output.path",
    })
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(
      path,
      constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0),
    )
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code === 'ENOENT')
      throw new AgoraError(
        'qa/runner-no-output',
        `the runner "${name}" wrote no predictions file`,
        {
          hint: "a runner writes its predictions to the job spec's output.path before it exits",
          cause,
        },
      )
    throw code === 'ELOOP' ? bad('is a symbolic link') : bad(`cannot be opened (${code})`)
  }
  try {
    const stat = await handle.stat()
    if (!stat.isFile()) throw bad('is not a regular file')
    if (stat.size > maxBytes) throw bad(`is ${stat.size} bytes, over ${maxBytes}`)
    const bytes = new Uint8Array(stat.size)
    let at = 0
    while (at < bytes.length) {
      const { bytesRead } = await handle.read(bytes, at, bytes.length - at, at)
      if (bytesRead === 0) break
      at += bytesRead
    }
    return bytes.subarray(0, at)
  } finally {
    await handle.close()
  }
}

/** What a finished runner reported. */
export interface RunnerReport {
  /** Each latency line's milliseconds, divided by its items: one per batch. */
  latencies: { ms: number; items: number }[]
  /** The last progress line. */
  done: number
  lines: number
}

/**
 * Runs a command runner on a job: writes the job spec to `jobPath`, starts
 * `command` with that path as its last argument (no shell, own process
 * group; a program `node` is the Node running this process), and reads
 * its stdout strictly line by line. A line over
 * {@link MAX_RUNNER_LINE_BYTES}, a line that is not a contract line, an
 * `error` line, silence longer than `timeouts.idle_s`, a run longer than
 * `timeouts.total_s`, a non-zero exit or a run that ends before
 * `done == total` each kill the process group and throw an AgoraError
 * saying which, with the tail of stderr where it helps. The group is killed
 * when the run ends in any case, so nothing it started outlives it; the
 * runner gets only the environment runnerEnvironment keeps.
 *
 * @example const report = await runCommandRunner({ command: ['node', 'runner.ts'], job, jobPath })
 */
export async function runCommandRunner(o: {
  command: readonly string[]
  job: RunnerJob
  jobPath: string
  /** Test rows the runner must report. */
  total: number
  cwd?: string
  env?: NodeJS.ProcessEnv
}): Promise<RunnerReport> {
  const problems = validateRunnerJob(o.job)
  if (problems.length > 0) {
    throw new AgoraError(
      'qa/bad-runner-job',
      `the job spec is invalid: ${problems.slice(0, 3).join('; ')}`,
      {
        hint: 'this is a bug in the caller; see registry/schemas/runner-job.schema.json',
      },
    )
  }
  const [program, ...args] = o.command
  if (!program)
    throw new AgoraError('qa/bad-runner', 'the runner command is empty', {
      hint: 'set qa.command_runners.<name>.command in agora.yaml',
    })
  await writeFile(o.jobPath, `${JSON.stringify(o.job, null, 2)}\n`)
  // `node` is the Node running Agora (the project's own), not whatever PATH finds first.
  const child = spawn(program === 'node' ? process.execPath : program, [...args, o.jobPath], {
    cwd: o.cwd,
    env: runnerEnvironment(o.env ?? process.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  const shown = o.command.map((c) => sanitizeForTerminal(c)).join(' ')
  let stderr = ''
  const report: RunnerReport = { latencies: [], done: 0, lines: 0 }
  let timedRows = 0
  return await new Promise<RunnerReport>((resolve, reject) => {
    let settled = false
    let pending = Buffer.alloc(0)
    let idle: NodeJS.Timeout | undefined
    const stop = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    const finish = (error?: AgoraError) => {
      if (settled) return
      settled = true
      clearTimeout(total)
      clearTimeout(idle)
      // On success too: a process the runner left in its group must not outlive the run.
      stop()
      if (error) reject(error)
      else resolve(report)
    }
    const tail = () => {
      const t = sanitizeForTerminal(stderr.trim().split('\n').slice(-5).join('\n'))
      return t ? `; its stderr ends:\n${t}` : ''
    }
    const armIdle = () => {
      clearTimeout(idle)
      idle = setTimeout(
        () =>
          finish(
            new AgoraError(
              'qa/runner-idle',
              `the runner printed nothing for ${o.job.timeouts.idle_s} s and was killed${tail()}`,
              {
                hint: 'a runner prints a progress line at least every timeouts.idle_s seconds',
              },
            ),
          ),
        o.job.timeouts.idle_s * 1000,
      )
    }
    const total = setTimeout(
      () =>
        finish(
          new AgoraError(
            'qa/runner-timeout',
            `the runner ran past ${o.job.timeouts.total_s} s and was killed${tail()}`,
            {
              hint: 'use a smaller model or benchmark, or raise the runner timeout in agora.yaml',
            },
          ),
        ),
      o.job.timeouts.total_s * 1000,
    )
    armIdle()
    const onLine = (bytes: Buffer) => {
      report.lines++
      armIdle()
      const line = parseRunnerLine(bytes.toString('utf8').replace(/\r$/, ''), report.lines, o.total)
      if (line.type === 'error') {
        throw new AgoraError(
          'qa/runner-error',
          `the runner reported: ${shownLine(line.message)}${line.code ? ` (${sanitizeForTerminal(line.code)})` : ''}`,
          {
            hint: 'see the runner output; the item or its inputs may not fit the runner',
          },
        )
      }
      if (line.type === 'progress') {
        if (line.done < report.done)
          throw new AgoraError(
            'qa/runner-bad-line',
            `runner stdout line ${report.lines}: done went back from ${report.done} to ${line.done}`,
            {
              hint: 'progress only moves forward',
              line: report.lines,
            },
          )
        report.done = line.done
      } else {
        // Each row is timed once: this also bounds what a flood of latency lines can hold.
        timedRows += line.items
        if (timedRows > o.total)
          throw new AgoraError(
            'qa/runner-bad-line',
            `runner stdout line ${report.lines}: latency lines time ${timedRows} rows, but the test set has ${o.total}`,
            {
              hint: 'a latency line times one batch; each row is in one batch',
              line: report.lines,
            },
          )
        report.latencies.push({ ms: line.ms, items: line.items })
      }
    }
    child.stdout.on('data', (chunk: Buffer) => {
      if (settled) return
      pending = Buffer.concat([pending, chunk])
      try {
        for (let nl = pending.indexOf(10); nl >= 0; nl = pending.indexOf(10)) {
          if (nl > MAX_RUNNER_LINE_BYTES) break
          onLine(pending.subarray(0, nl))
          pending = pending.subarray(nl + 1)
        }
        if (pending.length > MAX_RUNNER_LINE_BYTES || pending.indexOf(10) > MAX_RUNNER_LINE_BYTES) {
          throw new AgoraError(
            'qa/runner-line-too-long',
            `runner stdout line ${report.lines + 1} is over ${MAX_RUNNER_LINE_BYTES} bytes`,
            {
              hint: 'progress lines are short JSON; predictions go to the output file',
              line: report.lines + 1,
            },
          )
        }
      } catch (error) {
        finish(
          error instanceof AgoraError
            ? error
            : new AgoraError('qa/runner-bad-line', String(error), { hint: 'docs/runners.md' }),
        )
      }
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-8192)
    })
    child.on('error', (cause) =>
      finish(
        new AgoraError('qa/runner-start', `the runner ${shown} did not start: ${cause.message}`, {
          hint: 'check qa.command_runners in agora.yaml and that the program is installed on this machine',
          cause,
        }),
      ),
    )
    child.on('close', (code, signal) => {
      if (settled) return
      if (pending.length > 0) {
        try {
          onLine(pending)
        } catch (error) {
          finish(error as AgoraError)
          return
        }
      }
      if (code !== 0) {
        finish(
          new AgoraError(
            'qa/runner-exit',
            `the runner ${shown} exited with ${signal ?? `status ${code}`}${tail()}`,
            {
              hint: 'run the same command on the job spec by hand to see why',
            },
          ),
        )
      } else if (report.done !== o.total) {
        finish(
          new AgoraError(
            'qa/runner-incomplete',
            `the runner finished after ${report.done} of ${o.total} rows`,
            {
              hint: 'a runner reports {"type":"progress","done":n,"total":n} when every row is written',
            },
          ),
        )
      } else finish()
    })
  })
}
