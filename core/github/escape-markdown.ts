/**
 * Escaping for text from a pull request (messages, paths, codes) that goes
 * into Markdown GitHub renders: comments, check-run output and step summaries.
 * The text is hostile, so it must not ping people (`@everyone`), open links
 * (`[x](javascript:…)`, bare URLs), inject HTML (`<img onerror>`), break out of
 * a table cell or code span, or grow without bound.
 */

const ZWSP = '&#8203;'

// One pass, so the entities this writes are never escaped again.
const MARKDOWN_SPECIAL = /(www)(\.)|(:)(?=\/\/)|([&<>@"'])|([\\`*_{}[\]()#+\-.!|~=^$])/gi

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  // A zero-width space after @ keeps GitHub from reading a mention or an e-mail address.
  '@': `@${ZWSP}`,
}

/**
 * Cuts `text` to `max` characters (code points), adding `…` when it did, and
 * flattens line breaks and control characters to spaces.
 *
 * @example truncate('abcdef', 4) // 'abc…'
 */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
  const chars = Array.from(flat)
  return chars.length <= max ? flat : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`
}

/**
 * Escapes untrusted text for inline Markdown: no HTML, no links, no mentions,
 * no emphasis, no table breaks, one line, at most `max` characters of input.
 *
 * @example
 * escapeMarkdown('@everyone <img src=x onerror=alert(1)> [x](javascript:alert(1))')
 * // '@&#8203;everyone &lt;img src\=x onerror\=alert\(1\)&gt; \[x\]\(javascript:alert\(1\)\)'
 */
export function escapeMarkdown(text: string, max = 1000): string {
  return truncate(text, max).replace(
    MARKDOWN_SPECIAL,
    (match, www: string, dot: string, colon: string, entity: string, punct: string) => {
      // Bare `www.` and `scheme://` are autolinked by GitHub even as plain text.
      if (www) return `${www}${ZWSP}\\${dot}`
      if (colon) return `:${ZWSP}`
      if (entity) return ENTITIES[entity] ?? match
      return `\\${punct}`
    },
  )
}

/**
 * Untrusted text as a Markdown code span, safe inside a table cell: the fence
 * is longer than any backtick run in the text, pipes are escaped (GFM splits
 * cells before it reads code spans), and the text is one capped line.
 *
 * @example codeSpan('a`b|c') // '`` a`b\\|c ``'
 */
export function codeSpan(text: string, max = 300): string {
  const body = truncate(text, max).replace(/\|/g, '\\|')
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length))
  const fence = '`'.repeat(longest + 1)
  const pad = longest > 0 || body.startsWith(' ') || body.endsWith(' ') || body === '' ? ' ' : ''
  return `${fence}${pad}${body}${pad}${fence}`
}
