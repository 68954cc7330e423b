// Reads the first rows of a Parquet file off the page's thread: a file that
// makes the decoder loop (a page that states billions of values) then costs
// this worker, which the page ends at its deadline, not the visitor's tab.
// Direct file imports, not #core/*: the area indexes pull in Node-only modules.

import type { PreviewTable } from '../../core/preview/head.ts'
import {
  PARQUET_READ_MAX,
  PARQUET_WHOLE_FILE_MAX,
  readParquetHead,
} from '../../core/preview/parquet.ts'
import { rangeReader } from '../../core/preview/range.ts'

/** What the page asks: an absolute URL (a worker resolves paths against its own) and the size. */
export interface ParquetPreviewRequest {
  url: string
  size: number
}

/** What the worker answers: the table, or the message of why it could not be read. */
export type ParquetPreviewReply = { table: PreviewTable } | { error: string }

/** The worker's global scope, as much of it as is used (the site's types are the page's). */
const scope = globalThis as unknown as {
  addEventListener(
    type: 'message',
    listener: (event: MessageEvent<ParquetPreviewRequest>) => void,
  ): void
  postMessage(reply: ParquetPreviewReply): void
}

scope.addEventListener('message', (event) => {
  const { url, size } = event.data
  const file = rangeReader(url, size, {
    fetch: (input, init) => fetch(input, init),
    wholeFileMax: PARQUET_WHOLE_FILE_MAX,
    budget: PARQUET_READ_MAX,
  })
  readParquetHead(file).then(
    (table) => scope.postMessage({ table }),
    (error: unknown) =>
      scope.postMessage({ error: error instanceof Error ? error.message : String(error) }),
  )
})
