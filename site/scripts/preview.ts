// Direct file imports, not #core/*: the area indexes may pull in Node-only
// modules that must not reach the browser bundle.
import { depictSmiles } from '../../core/chem/depict.ts'
import { parseDelimited } from '../../core/preview/delimited.ts'
import {
  headLines,
  isSmilesColumn,
  PREVIEW_BYTES,
  type PreviewFormat,
  type PreviewTable,
} from '../../core/preview/head.ts'
import { parseJsonLines } from '../../core/preview/jsonl.ts'
import type { ParquetPreviewReply, ParquetPreviewRequest } from './preview-worker.ts'

const SVG = 'http://www.w3.org/2000/svg'

/**
 * The first bytes of a file with one Range request. A server that ignores
 * the Range (200) is read only as far as needed, then the download is
 * cancelled. `complete` says the bytes are the whole file.
 */
async function fetchHead(
  url: string,
  size: number,
): Promise<{ bytes: Uint8Array; complete: boolean }> {
  const response = await fetch(url, { headers: { Range: `bytes=0-${PREVIEW_BYTES - 1}` } })
  if (!response.ok) throw new Error(`HTTP ${response.status}`)
  if (response.status === 206) {
    const bytes = new Uint8Array(await response.arrayBuffer()).subarray(0, PREVIEW_BYTES)
    return { bytes, complete: bytes.length >= size }
  }
  const reader = response.body?.getReader()
  if (!reader) throw new Error('no response body')
  const bytes = new Uint8Array(PREVIEW_BYTES)
  let length = 0
  while (length < PREVIEW_BYTES) {
    const { done, value } = await reader.read()
    if (done) break
    const part = value.subarray(0, PREVIEW_BYTES - length)
    bytes.set(part, length)
    length += part.length
  }
  await reader.cancel().catch(() => undefined)
  return { bytes: bytes.subarray(0, length), complete: length >= size }
}

/** How long a Parquet preview may take before its worker is ended. */
export const PARQUET_PREVIEW_DEADLINE_MS = 10_000

/** What the visitor reads when a Parquet preview is ended at its deadline. */
export const PREVIEW_TOO_LONG = 'the preview took too long; download the file instead'

/**
 * The first rows of a Parquet file: the footer and the first row group's
 * first pages, each by a Range request, read and decoded in a module worker
 * (its own bundled chunk, with hyparquet, loaded only when a Parquet preview
 * opens). The worker is ended after `deadline` ms whatever it is doing, so a
 * file that keeps the decoder busy never freezes the page.
 */
function readParquetPreview(url: string, size: number, deadline: number): Promise<PreviewTable> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./preview-worker.ts', import.meta.url), {
      type: 'module',
      name: 'parquet-preview',
    })
    const end = (): void => {
      clearTimeout(timer)
      worker.terminate()
    }
    const timer = setTimeout(() => {
      end()
      reject(new Error(PREVIEW_TOO_LONG))
    }, deadline)
    worker.addEventListener('message', (event: MessageEvent<ParquetPreviewReply>) => {
      end()
      if ('error' in event.data) reject(new Error(event.data.error))
      else resolve(event.data.table)
    })
    worker.addEventListener('error', (event) => {
      end()
      reject(new Error(event.message || 'the Parquet reader could not start'))
    })
    worker.postMessage({
      url: new URL(url, document.baseURI).href,
      size,
    } satisfies ParquetPreviewRequest)
  })
}

/**
 * Reads the first rows of a CSV, TSV or JSON Lines file over HTTP (one Range
 * request for the first 64 KiB, cut after its last whole line), or of a
 * Parquet file (its footer, then the first row group's first pages, in a
 * worker ended after `deadline` ms).
 *
 * @example const table = await readPreview('/blobs/sha256/ab/ab…', 'csv', 13986)
 */
export async function readPreview(
  url: string,
  format: PreviewFormat,
  size: number,
  deadline = PARQUET_PREVIEW_DEADLINE_MS,
): Promise<PreviewTable> {
  if (format === 'parquet') return readParquetPreview(url, size, deadline)
  const { bytes, complete } = await fetchHead(url, size)
  const text = headLines(bytes, complete)
  if (format === 'jsonl') return parseJsonLines(text, { complete })
  return parseDelimited(text, { delimiter: format === 'tsv' ? '\t' : ',', complete })
}

/**
 * An SVG drawing of a SMILES, built with DOM calls (the text never becomes
 * markup), or undefined when the SMILES is outside the subset drawn.
 */
export function smilesSvg(smiles: string): SVGSVGElement | undefined {
  let depiction: ReturnType<typeof depictSmiles>
  try {
    depiction = depictSmiles(smiles)
  } catch {
    return undefined
  }
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', depiction.viewBox.map((n) => n.toFixed(2)).join(' '))
  svg.setAttribute('class', 'molecule')
  svg.setAttribute('role', 'img')
  svg.setAttribute('aria-label', `Structure of ${smiles}`)
  const [, , width, height] = depiction.viewBox
  // A bond (1.5 units) comes out about 18 px; CSS caps the width to the column.
  svg.setAttribute('width', String(Math.round(width * 12)))
  svg.setAttribute('height', String(Math.round(height * 12)))
  for (const l of depiction.lines) {
    const line = document.createElementNS(SVG, 'line')
    line.setAttribute('x1', l.x1.toFixed(3))
    line.setAttribute('y1', l.y1.toFixed(3))
    line.setAttribute('x2', l.x2.toFixed(3))
    line.setAttribute('y2', l.y2.toFixed(3))
    svg.append(line)
  }
  for (const l of depiction.labels) {
    const text = document.createElementNS(SVG, 'text')
    text.setAttribute('x', l.x.toFixed(3))
    text.setAttribute('y', l.y.toFixed(3))
    text.textContent = l.text
    svg.append(text)
  }
  return svg
}

function cell(tag: 'td' | 'th', text: string): HTMLTableCellElement {
  const el = document.createElement(tag)
  el.textContent = text
  if (tag === 'th') el.scope = 'col'
  return el
}

function renderTable(table: PreviewTable): HTMLElement {
  const smiles = table.columns.map(isSmilesColumn)
  const el = document.createElement('table')
  const caption = document.createElement('caption')
  const columns = table.moreColumns
    ? `, the first ${table.columns.length} of ${table.columns.length + table.moreColumns} columns`
    : ''
  caption.textContent = `First ${table.rows.length} rows${table.more ? '' : ' (the whole file)'}${columns}`
  const head = document.createElement('thead')
  const hr = document.createElement('tr')
  hr.append(...table.columns.map((c) => cell('th', c)))
  head.append(hr)
  const body = document.createElement('tbody')
  for (const row of table.rows) {
    const tr = document.createElement('tr')
    table.columns.forEach((_, k) => {
      const value = row[k] ?? ''
      const td = cell('td', value)
      if (smiles[k]) {
        const svg = value ? smilesSvg(value) : undefined
        td.className = 'smiles'
        if (svg) {
          const code = document.createElement('code')
          code.textContent = value
          td.replaceChildren(svg, code)
        }
      }
      tr.append(td)
    })
    body.append(tr)
  }
  el.append(caption, head, body)
  const wrap = document.createElement('div')
  wrap.className = 'table-wrap'
  wrap.append(el)
  return wrap
}

/**
 * Fills each `<details data-preview>` with the first rows of its file when
 * it is (or gets) opened; SMILES columns show a 2D drawing above the text.
 * Without JavaScript the details keep their explanatory text.
 *
 * @example initPreviews()
 */
export function initPreviews(): void {
  for (const details of document.querySelectorAll<HTMLDetailsElement>('details[data-preview]')) {
    const url = details.dataset['preview']
    const format = details.dataset['format'] as PreviewFormat | undefined
    const target = details.querySelector<HTMLElement>('[data-preview-table]')
    if (!url || !format || !target) continue
    let started = false
    const start = (): void => {
      if (!details.open || started) return
      started = true
      target.textContent = 'Reading the first rows…'
      // data-preview-deadline (ms) shortens the Parquet deadline, for tests.
      const deadline = Number(details.dataset['previewDeadline']) || PARQUET_PREVIEW_DEADLINE_MS
      readPreview(url, format, Number(details.dataset['size']), deadline)
        .then((table) => {
          if (table.columns.length === 0) {
            target.textContent = 'The start of this file holds no complete row.'
            return
          }
          target.replaceChildren(renderTable(table))
          target.setAttribute('data-rows', String(table.rows.length))
        })
        .catch((error: unknown) => {
          target.textContent = `Could not read the first rows: ${error instanceof Error ? error.message : String(error)}.`
        })
    }
    details.addEventListener('toggle', start)
    start()
  }
}
