import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isAgoraError } from '#core/errors'
import { parseCommandArgs } from './args.ts'
import { captureStream } from './capture.ts'
import {
  formatBytes,
  formatDuration,
  formatIssues,
  formatSummary,
  summarizeIssues,
} from './format.ts'
import { createProgress, renderProgressLine } from './progress.ts'
import { createReporter } from './reporter.ts'
import { findRepoRoot } from './root.ts'

const caught = (fn: () => unknown): unknown => {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

describe('scripts/cli/args', () => {
  const options = { json: { type: 'boolean' }, root: { type: 'string' } } as const

  it('parses options and positionals', () => {
    expect(parseCommandArgs('x', ['a', '--json', '--root', 'r'], options)).toEqual({
      values: { json: true, root: 'r' },
      positionals: ['a'],
    })
  })

  it('turns an unknown option into cli/bad-argument with a hint at the help', () => {
    const error = caught(() => parseCommandArgs('validate', ['--jsno'], options))
    expect(isAgoraError(error)).toBe(true)
    expect(error).toMatchObject({
      code: 'cli/bad-argument',
      hint: 'did you mean --json? run "agora validate --help" for the options',
    })
    expect((error as Error).message).toContain("'--jsno'")
  })

  it('names the option an unknown one was most likely meant to be', () => {
    const hint = (argv: string[]) =>
      (
        caught(() => parseCommandArgs('pull', argv, { to: { type: 'string' }, ...options })) as {
          hint: string
        }
      ).hint
    expect(hint(['--tot', 'x'])).toBe('did you mean --to? run "agora pull --help" for the options')
    expect(hint(['--hepl'])).toBe('did you mean --help? run "agora pull --help" for the options')
    expect(hint(['--roo=x'])).toBe('did you mean --root? run "agora pull --help" for the options')
    expect(hint(['--nothing-like-it'])).toBe('run "agora pull --help" for the options')
  })

  it('counts positionals', () => {
    expect(
      caught(() => parseCommandArgs('new', ['model'], {}, { positionals: { min: 2, max: 2 } })),
    ).toMatchObject({
      message: 'agora new: expected 2 arguments, got 1',
    })
    expect(
      caught(() =>
        parseCommandArgs('new', ['a', 'b', 'c'], {}, { positionals: { min: 2, max: 2 } }),
      ),
    ).toMatchObject({
      message: 'agora new: unexpected argument "c"',
    })
  })
})

describe('scripts/cli/format', () => {
  const issues = [
    {
      code: 'b/two',
      severity: 'warning',
      message: 'second',
      file: 'b.yaml',
      line: 2,
      col: 1,
      hint: 'fix b',
    },
    {
      code: 'a/one',
      severity: 'error',
      message: 'first',
      file: 'a.yaml',
      line: 1,
      col: 3,
      hint: 'fix a',
    },
    { code: 'c/three', severity: 'note', message: 'third' },
  ] as const

  it('prints issues sorted, with hints and the severity of non-errors', () => {
    expect(formatIssues([...issues])).toBe(
      [
        'c/three  note: third',
        'a.yaml:1:3  a/one  first',
        '  hint: fix a',
        'b.yaml:2:1  b/two  warning: second',
        '  hint: fix b',
      ].join('\n'),
    )
  })

  it('summarises clean, warning-only and failing runs', () => {
    expect(formatSummary(summarizeIssues([]), { items: 64 })).toBe('✔ 64 items, 0 problems')
    expect(formatSummary(summarizeIssues([issues[0]]), { items: 1 })).toBe(
      '✔ 1 item, 1 warning in 1 file',
    )
    expect(formatSummary(summarizeIssues([...issues, issues[1]]), { items: 3 })).toBe(
      '✖ 2 errors, 1 warning, 1 note in 2 files',
    )
  })

  it('formats bytes and durations', () => {
    expect([
      formatBytes(0),
      formatBytes(1536),
      formatBytes(5 * 1024 ** 3),
      formatBytes(-1),
    ]).toEqual(['0 B', '1.50 KiB', '5.00 GiB', '?'])
    expect([formatDuration(42), formatDuration(185), formatDuration(7620)]).toEqual([
      '42s',
      '3m05s',
      '2h07m',
    ])
  })
})

describe('scripts/cli/progress', () => {
  it('shows percent, bytes, rate and ETA within the terminal width', () => {
    const line = renderProgressLine({
      label: 'model.safetensors',
      done: 512 * 1024,
      total: 1024 * 1024,
      elapsedMs: 1000,
      columns: 100,
    })
    expect(line).toBe(
      'model.safetenso… [###############...............]   50%   512 KiB/1.00 MiB   512 KiB/s  ETA 1s     ',
    )
    const narrow = renderProgressLine({
      label: 'a-very-long-file-name.bin',
      done: 10,
      total: 100,
      elapsedMs: 0,
      columns: 50,
    })
    expect(narrow.length).toBeLessThanOrEqual(49)
    expect(narrow).toContain('ETA ?')
  })

  it('keeps the bar in place from frame to frame while the figures change', () => {
    const frames = [
      { done: 900, elapsedMs: 1_000 },
      { done: 5 * 1024 * 1024, elapsedMs: 2_000 },
      { done: 150 * 1024 * 1024, elapsedMs: 3_000 },
      { done: 999 * 1024 * 1024, elapsedMs: 4_100_000 },
    ].map((frame) =>
      renderProgressLine({ label: 'model.bin', total: 1024 * 1024 * 1024, columns: 120, ...frame }),
    )
    expect(new Set(frames.map((line) => line.length)).size).toBe(1)
    expect(new Set(frames.map((line) => line.indexOf(']'))).size).toBe(1)
  })

  it('draws on a TTY, throttled by the clock, and ends the line', () => {
    const stream = captureStream({ isTTY: true, columns: 80 })
    let now = 0
    const bar = createProgress({ stream, label: 'f', total: 100, now: () => now })
    bar.tick(10)
    bar.tick(10)
    now = 500
    bar.tick(30)
    bar.done()
    bar.done()
    const frames = stream.text().split('\r').filter(Boolean)
    expect(frames).toHaveLength(3)
    expect(frames[2]).toMatch(/ 50% .*\n$/)
  })

  it.each([0, undefined, Number.NaN])(
    'draws a full line at 80 columns when the terminal reports %s columns',
    (columns) => {
      const stream = captureStream({ isTTY: true })
      stream.columns = columns as number
      const bar = createProgress({ stream, label: 'model.bin', total: 100, now: () => 0 })
      bar.update(50)
      bar.done()
      const frames = stream.text().split('\r').filter(Boolean)
      expect(frames.length).toBeGreaterThan(0)
      for (const frame of frames) expect(frame).toMatch(/^model\.bin \[#+\.+\] +50%/)
      expect(renderProgressLine({ label: 'x', done: 1, total: 2, elapsedMs: 0, columns: 0 })).toBe(
        renderProgressLine({ label: 'x', done: 1, total: 2, elapsedMs: 0, columns: 80 }),
      )
    },
  )

  it('draws nothing when the stream is not a TTY', () => {
    const stream = captureStream()
    const bar = createProgress({ stream, label: 'f', total: 100 })
    bar.update(100)
    bar.done()
    expect(stream.text()).toBe('')
  })
})

describe('scripts/cli/reporter', () => {
  it('prints text and issues, and no JSON, in text mode', () => {
    const stdout = captureStream()
    const stderr = captureStream({ isTTY: true })
    const report = createReporter({ stdout, stderr }, false)
    report.issues([{ code: 'x/y', severity: 'error', message: 'bad', file: 'f', line: 1, col: 1 }])
    report.info('done')
    report.result({ ok: true })
    report.warn('careful')
    expect(stdout.text()).toBe('f:1:1  x/y  bad\n\ndone\n')
    expect(stderr.text()).toBe('careful\n')
  })

  it('prints exactly one JSON document on stdout and no progress under --json', () => {
    const stdout = captureStream()
    const stderr = captureStream({ isTTY: true })
    const report = createReporter({ stdout, stderr }, true)
    report.info('hidden')
    report.issues([{ code: 'x/y', severity: 'error', message: 'bad' }])
    const bar = report.progress({ label: 'f', total: 10 })
    bar.tick(10)
    bar.done()
    report.result({ ok: false })
    expect(JSON.parse(stdout.text())).toEqual({ ok: false })
    expect(stderr.text()).toBe('')
  })
})

describe('scripts/cli/root', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-root-'))
    await mkdir(join(dir, 'registry', 'models'), { recursive: true })
    await writeFile(join(dir, 'registry', 'agora.yaml'), 'name: x\n')
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('finds the repository root from inside it, or takes --root', async () => {
    expect(await findRepoRoot(join(dir, 'registry', 'models'))).toBe(dir)
    expect(await findRepoRoot('/', dir)).toBe(dir)
  })

  it('says how to fix a missing registry', async () => {
    await expect(findRepoRoot(dir, 'registry')).rejects.toMatchObject({
      code: 'cli/no-registry',
      hint: 'pass --root the folder that holds registry/ (the hub repository root)',
    })
  })
})
