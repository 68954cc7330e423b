import { Writable } from 'node:stream'

/** A writable stream that keeps what is written, for driving commands from tests or other tools. */
export interface CapturedStream extends Writable {
  isTTY?: boolean
  columns?: number
  /** Everything written so far, as text. */
  text(): string
}

/**
 * Creates a stream that records its output, optionally posing as a TTY so
 * progress bars draw.
 *
 * @example
 * const stdout = captureStream()
 * await main(['validate', '--json'], { cwd, env: {}, stdout, stderr: captureStream(), fetch })
 * JSON.parse(stdout.text())
 */
export function captureStream(options: { isTTY?: boolean; columns?: number } = {}): CapturedStream {
  const chunks: Buffer[] = []
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
      callback()
    },
  }) as CapturedStream
  if (options.isTTY !== undefined) stream.isTTY = options.isTTY
  if (options.columns !== undefined) stream.columns = options.columns
  stream.text = () => Buffer.concat(chunks).toString('utf8')
  return stream
}
