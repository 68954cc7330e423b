const KEY = 'agora-theme'

function effectiveTheme(): 'dark' | 'light' {
  const set = document.documentElement.dataset['theme']
  if (set === 'dark' || set === 'light') return set
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'
}

/**
 * Shows the theme toggle (hidden without JavaScript, where the system
 * preference applies) and remembers the visitor's choice.
 *
 * @example initThemeToggle()
 */
export function initThemeToggle(): void {
  const button = document.getElementById('theme-toggle')
  if (!(button instanceof HTMLButtonElement)) return
  const sync = (): void => {
    const dark = effectiveTheme() === 'dark'
    button.setAttribute('aria-pressed', String(dark))
    button.title = dark ? 'Switch to light mode' : 'Switch to dark mode'
  }
  button.hidden = false
  sync()
  button.addEventListener('click', () => {
    const next = effectiveTheme() === 'dark' ? 'light' : 'dark'
    document.documentElement.dataset['theme'] = next
    try {
      localStorage.setItem(KEY, next)
    } catch {
      // Storage can be disabled; the choice then lasts for this page only.
    }
    sync()
  })
}
