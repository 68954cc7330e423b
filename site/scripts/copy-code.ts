/** How long a button says "Copied" before it offers to copy again. */
const COPIED_MS = 2000

/**
 * Puts a Copy button on every code block of an item page (README code and
 * the command snippets). The button is a real `<button>`, so it takes focus
 * and answers Enter and Space; a status region tells screen readers the copy
 * happened. Without the Clipboard API (an insecure origin) no button is
 * added: the code stays selectable as before.
 *
 * @example initCopyButtons()
 */
export function initCopyButtons(root: ParentNode = document): void {
  if (typeof navigator.clipboard?.writeText !== 'function') return
  for (const pre of root.querySelectorAll<HTMLPreElement>('article pre')) {
    if (pre.parentElement?.classList.contains('code-block')) continue
    const code = pre.querySelector('code') ?? pre
    const wrap = document.createElement('div')
    wrap.className = 'code-block'
    pre.replaceWith(wrap)
    const button = document.createElement('button')
    button.type = 'button'
    button.className = 'copy-code secondary'
    button.textContent = 'Copy'
    const status = document.createElement('span')
    status.className = 'visually-hidden'
    status.setAttribute('role', 'status')
    wrap.append(pre, button, status)
    let timer: ReturnType<typeof setTimeout> | undefined
    button.addEventListener('click', () => {
      const done = (label: string, message: string): void => {
        button.textContent = label
        status.textContent = message
        clearTimeout(timer)
        timer = setTimeout(() => {
          button.textContent = 'Copy'
          status.textContent = ''
        }, COPIED_MS)
      }
      navigator.clipboard.writeText(code.textContent ?? '').then(
        () => done('Copied', 'Copied to the clipboard'),
        () => done('Copy failed', 'The browser did not allow copying; select the text instead'),
      )
    })
  }
}
