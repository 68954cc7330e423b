/** Headers larger than this are not worth a browser download; `agora scan` handles them. */
const MAX_HEADER = 16 * 1024 * 1024
const MAX_ROWS = 500

interface TensorInfo {
  name: string
  dtype: string
  shape: number[]
  params: number
}

async function rangeBytes(url: string, start: number, end: number): Promise<Uint8Array> {
  const response = await fetch(url, { headers: { Range: `bytes=${start}-${end}` } })
  if (!response.ok) throw new Error(`HTTP ${response.status}`)
  const bytes = new Uint8Array(await response.arrayBuffer())
  // A server that ignores Range sends the whole file; take just the slice.
  return response.status === 206 ? bytes : bytes.slice(start, end + 1)
}

/**
 * Reads a safetensors header with two HTTP Range requests (8-byte length,
 * then the JSON header) and lists its tensors; the file itself is never
 * downloaded.
 *
 * @example const tensors = await readSafetensorsHeader('https://blobs.example.org/blobs/sha256/ab/ab…')
 */
export async function readSafetensorsHeader(url: string, fileSize: number): Promise<TensorInfo[]> {
  const head = await rangeBytes(url, 0, 7)
  if (head.length < 8) throw new Error('file shorter than its header length')
  const length = Number(new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true))
  if (length <= 0 || length > MAX_HEADER || length + 8 > fileSize)
    throw new Error(`implausible header length ${length}`)
  const json = new TextDecoder('utf-8', { fatal: true }).decode(
    await rangeBytes(url, 8, 8 + length - 1),
  )
  const header = JSON.parse(json) as Record<string, { dtype?: unknown; shape?: unknown }>
  const out: TensorInfo[] = []
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__' || typeof value !== 'object' || value === null) continue
    const shape = Array.isArray(value.shape)
      ? value.shape.filter((n): n is number => Number.isSafeInteger(n) && n >= 0)
      : []
    out.push({
      name,
      dtype: String(value.dtype ?? '?'),
      shape,
      params: shape.reduce((a, b) => a * b, 1),
    })
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1))
}

function cell(tag: 'td' | 'th', text: string, className?: string): HTMLTableCellElement {
  const el = document.createElement(tag)
  el.textContent = text
  if (className) el.className = className
  if (tag === 'th') el.scope = 'col'
  return el
}

/**
 * Fills each `<details data-safetensors>` with its tensor table when the
 * visitor opens it (progressive enhancement: without JavaScript the details
 * keep their explanatory text).
 *
 * @example initTensorTables()
 */
export function initTensorTables(): void {
  for (const details of document.querySelectorAll<HTMLDetailsElement>(
    'details[data-safetensors]',
  )) {
    const url = details.dataset['safetensors']
    const target = details.querySelector<HTMLElement>('[data-tensor-table]')
    if (!url || !target) continue
    let started = false
    details.addEventListener('toggle', () => {
      if (!details.open || started) return
      started = true
      target.textContent = 'Reading the header…'
      readSafetensorsHeader(url, Number(details.dataset['size']))
        .then((tensors) => {
          const total = tensors.reduce((s, t) => s + t.params, 0)
          const table = document.createElement('table')
          const caption = document.createElement('caption')
          caption.textContent = `${tensors.length} tensors, ${total.toLocaleString('en')} parameters`
          const head = document.createElement('thead')
          const hr = document.createElement('tr')
          hr.append(
            cell('th', 'Tensor'),
            cell('th', 'Dtype'),
            cell('th', 'Shape'),
            cell('th', 'Parameters', 'num'),
          )
          head.append(hr)
          const body = document.createElement('tbody')
          for (const t of tensors.slice(0, MAX_ROWS)) {
            const tr = document.createElement('tr')
            tr.append(
              cell('td', t.name, 'hash'),
              cell('td', t.dtype),
              cell('td', `[${t.shape.join(', ')}]`),
              cell('td', t.params.toLocaleString('en'), 'num'),
            )
            body.append(tr)
          }
          table.append(caption, head, body)
          const wrap = document.createElement('div')
          wrap.className = 'table-wrap'
          wrap.append(table)
          target.replaceChildren(wrap)
        })
        .catch((error: unknown) => {
          target.textContent = `Could not read the header: ${error instanceof Error ? error.message : String(error)}.`
        })
    })
  }
}
