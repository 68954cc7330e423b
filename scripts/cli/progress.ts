import type { Writable } from 'node:stream'
import { formatBytes, formatDuration } from './format.ts'

/** A stream a progress bar may draw on; only a TTY gets drawn on. */
export type ProgressStream = Writable & { isTTY?: boolean; columns?: number }

export interface ProgressOptions {
  /** Where to draw, normally stderr so stdout stays clean for results. */
  stream: ProgressStream
  /** What is being done, such as a file name. */
  label: string
  /** Total bytes when known; without it the bar shows bytes and rate only. */
  total?: number
  /** Milliseconds clock; injectable so tests do not depend on time passing. */
  now?: () => number
  /** Least milliseconds between redraws, so fast transfers do not flood the terminal. */
  interval?: number
  /** Whether to draw at all; defaults to whether the stream is a TTY. */
  enabled?: boolean
}

/** A running progress bar. */
export interface Progress {
  /** Adds bytes done. */
  tick(bytes: number): void
  /** Sets bytes done. */
  update(done: number): void
  /** Draws the final state and moves to a new line. Safe to call twice. */
  done(): void
}

const NOOP_PROGRESS: Progress = { tick() {}, update() {}, done() {} }

/**
 * A one-line progress bar with bytes, rate and ETA that draws only on a TTY,
 * so logs, pipes and `--json` runs stay free of control characters.
 *
 * @example
 * const bar = createProgress({ stream: process.stderr, label: 'model.safetensors', total: size })
 * for await (const chunk of body) bar.tick(chunk.length)
 * bar.done()
 */
export function createProgress(options: ProgressOptions): Progress {
  const { stream, label, total } = options
  if (!(options.enabled ?? stream.isTTY === true)) return NOOP_PROGRESS
  const now = options.now ?? (() => performance.now())
  const interval = options.interval ?? 100
  const started = now()
  let done = 0
  let lastDraw = Number.NEGATIVE_INFINITY
  let finished = false

  const draw = (force: boolean): void => {
    const t = now()
    if (!force && t - lastDraw < interval) return
    lastDraw = t
    const line = renderProgressLine({
      label,
      done,
      elapsedMs: t - started,
      columns: terminalWidth(stream.columns),
      ...(total === undefined ? {} : { total }),
    })
    stream.write(`\r${line}\x1b[K`)
  }

  return {
    tick(bytes) {
      if (finished) return
      done += bytes
      draw(false)
    },
    update(value) {
      if (finished) return
      done = value
      draw(false)
    },
    done() {
      if (finished) return
      finished = true
      draw(true)
      stream.write('\n')
    },
  }
}

/** Terminals that report no width (undefined, 0, as some CI pseudo-terminals do) get the classic 80. */
const FALLBACK_COLUMNS = 80

/**
 * The width to draw in: the terminal's, or 80 when it reports none, so a
 * bar never shrinks to an empty line.
 *
 * @example terminalWidth(0) // 80
 */
export function terminalWidth(columns: number | undefined): number {
  return columns !== undefined && Number.isFinite(columns) && columns >= 1
    ? Math.floor(columns)
    : FALLBACK_COLUMNS
}

/**
 * The text of one progress line, fitted to `columns` (80 when it is not a width):
 * `label [#####.....]  45%  12.3 MiB/27.0 MiB  4.50 MiB/s  ETA 3s`.
 *
 * @example
 * renderProgressLine({ label: 'x', done: 512, total: 1024, elapsedMs: 1000, columns: 80 })
 */
export function renderProgressLine(state: {
  label: string
  done: number
  total?: number
  elapsedMs: number
  columns: number
}): string {
  const columns = terminalWidth(state.columns)
  const seconds = state.elapsedMs / 1000
  const rate = seconds > 0 ? state.done / seconds : 0
  const parts: string[] = []
  if (state.total !== undefined && state.total > 0) {
    const ratio = Math.min(1, state.done / state.total)
    // Each figure keeps its width from frame to frame, so the bar and the label stay put.
    parts.push(`${Math.floor(ratio * 100)}%`.padStart(4))
    parts.push(`${formatBytes(state.done).padStart(8)}/${formatBytes(state.total)}`)
    parts.push(`${formatBytes(rate)}/s`.padStart(10))
    const remaining = state.total - state.done
    parts.push((rate > 0 ? `ETA ${formatDuration(remaining / rate)}` : 'ETA ?').padEnd(11))
  } else {
    parts.push(formatBytes(state.done), `${formatBytes(rate)}/s`)
  }
  const stats = parts.join('  ')
  // The label gives way first on narrow terminals, then the bar; the figures stay.
  const room = Math.max(0, columns - 1 - stats.length - 2)
  const barWidth =
    state.total !== undefined && state.total > 0 ? Math.min(30, Math.max(0, room - 12)) : 0
  const labelWidth = Math.max(0, room - (barWidth > 0 ? barWidth + 3 : 0))
  const label =
    state.label.length <= labelWidth
      ? state.label
      : labelWidth > 1
        ? `${state.label.slice(0, labelWidth - 1)}…`
        : ''
  let bar = ''
  if (barWidth > 0 && state.total !== undefined) {
    const filled = Math.round(Math.min(1, state.done / state.total) * barWidth)
    bar = ` [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]`
  }
  return `${label}${bar}  ${stats}`.trimStart().slice(0, Math.max(0, columns - 1))
}
