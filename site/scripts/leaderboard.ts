/**
 * Makes a leaderboard table sortable by any column with a sort button and
 * filterable by status (verified or community), item type and date. Rows
 * carry `data-status`, `data-type` and `data-date`; sortable cells carry
 * `data-value`. Without JavaScript the table stays ranked by the page's
 * metric and the filter form stays hidden.
 *
 * @example initLeaderboard()
 */
export function initLeaderboard(root: ParentNode = document): void {
  const table = root.querySelector<HTMLTableElement>('table[data-leaderboard]')
  const form = root.querySelector<HTMLFormElement>('form[data-lb-filters]')
  const count = root.querySelector<HTMLElement>('[data-lb-count]')
  const body = table?.tBodies[0]
  if (!table || !body) return
  const rows = [...body.rows]

  const filter = (): void => {
    if (!form) return
    const data = new FormData(form)
    const status = String(data.get('status') ?? '')
    const type = String(data.get('type') ?? '')
    const since = String(data.get('since') ?? '')
    let shown = 0
    for (const row of rows) {
      const ok =
        (!status || row.dataset.status === status) &&
        (!type || row.dataset.type === type) &&
        (!since || (row.dataset.date ?? '') >= since)
      row.hidden = !ok
      if (ok) shown++
    }
    if (count) count.textContent = `${shown} of ${rows.length} results shown`
  }
  if (form) {
    form.hidden = false
    form.addEventListener('input', filter)
    form.addEventListener('change', filter)
    form.addEventListener('submit', (e) => e.preventDefault())
    filter()
  }

  const headers = [...(table.tHead?.rows[0]?.cells ?? [])]
  for (const button of table.querySelectorAll<HTMLButtonElement>('button[data-sort]')) {
    const th = button.closest('th')
    if (!th) continue
    const col = headers.indexOf(th)
    button.addEventListener('click', () => {
      const current = th.getAttribute('aria-sort')
      const first = button.dataset.sort === 'ascending' ? 'ascending' : 'descending'
      const dir = current === first ? (first === 'ascending' ? 'descending' : 'ascending') : first
      const sign = dir === 'ascending' ? 1 : -1
      const value = (row: HTMLTableRowElement) => row.cells[col]?.dataset.value ?? ''
      const sorted = [...body.rows].sort((a, b) => {
        const [va, vb] = [value(a), value(b)]
        // Empty cells (no score, no grade) go last whichever way the column sorts.
        if (va === '' || vb === '') return va === vb ? 0 : va === '' ? 1 : -1
        const [na, nb] = [Number(va), Number(vb)]
        const cmp = Number.isNaN(na) || Number.isNaN(nb) ? va.localeCompare(vb) : na - nb
        return sign * cmp
      })
      body.append(...sorted)
      for (const h of headers) h.removeAttribute('aria-sort')
      th.setAttribute('aria-sort', dir)
    })
  }
}
