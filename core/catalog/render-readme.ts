import { Marked, type Tokens } from 'marked'
import sanitizeHtml from 'sanitize-html'
import { contactHref, linkHref } from './links.ts'

/**
 * Ids and names from user content get this prefix, as GitHub does, so a
 * README cannot shadow `document.foo` or a form field the site relies on
 * (DOM clobbering).
 */
export const USER_CONTENT_PREFIX = 'user-content-'

/** The rel every link in user content carries: no SEO credit, no opener. */
export const USER_LINK_REL = 'nofollow ugc noopener'

/** Collapses a heading's text into an anchor slug. */
function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/<[^>]*>/g, '')
    .replace(/&[a-z0-9#]+;/g, '')
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .trim()
    .replace(/\s+/g, '-')
    .slice(0, 80)
}

function prefixed(value: string): string {
  return value.startsWith(USER_CONTENT_PREFIX) ? value : `${USER_CONTENT_PREFIX}${value}`
}

/**
 * One Marked instance per call keeps heading-slug counters from leaking
 * between READMEs; the page title is the only h1, so card headings shift
 * down one level.
 */
function createMarked(): Marked {
  const seen = new Map<string, number>()
  const marked = new Marked({ gfm: true, breaks: false })
  marked.use({
    renderer: {
      heading(
        this: { parser: { parseInline(tokens: Tokens.Generic[]): string } },
        token: Tokens.Heading,
      ): string {
        const html = this.parser.parseInline(token.tokens)
        const base = slugify(html) || 'section'
        const n = seen.get(base) ?? 0
        seen.set(base, n + 1)
        const slug = n === 0 ? base : `${base}-${n}`
        const level = Math.min(token.depth + 1, 6)
        return `<h${level} id="${slug}">${html}</h${level}>\n`
      },
    },
  })
  return marked
}

const SANITIZE_OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    'h2',
    'h3',
    'h4',
    'h5',
    'h6',
    'p',
    'br',
    'hr',
    'blockquote',
    'pre',
    'code',
    'kbd',
    'samp',
    'em',
    'strong',
    'b',
    'i',
    'del',
    's',
    'sub',
    'sup',
    'mark',
    'small',
    'abbr',
    'ul',
    'ol',
    'li',
    'dl',
    'dt',
    'dd',
    'a',
    'img',
    'table',
    'thead',
    'tbody',
    'tfoot',
    'tr',
    'th',
    'td',
    'caption',
    'details',
    'summary',
    'input',
    'span',
    'div',
  ],
  allowedAttributes: {
    a: ['href', 'title', 'id', 'name', 'rel'],
    img: ['src', 'alt', 'title', 'width', 'height', 'loading', 'decoding'],
    input: ['type', 'checked', 'disabled'],
    th: ['align', 'colspan', 'rowspan'],
    td: ['align', 'colspan', 'rowspan'],
    ol: ['start'],
    code: ['class'],
    abbr: ['title'],
    '*': ['id'],
  },
  allowedClasses: { code: [/^language-[\w-]+$/] },
  // Only web links; `javascript:`, `vbscript:` and `data:` are refused in any
  // casing, with entities or control characters inside (sanitize-html decodes
  // and strips those before it compares).
  allowedSchemes: ['https', 'http', 'mailto'],
  allowedSchemesByTag: { img: ['https'] },
  allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  // Raw text of dropped elements must go too, or a <style> body would leak as text.
  nonTextTags: [
    'script',
    'style',
    'textarea',
    'option',
    'noscript',
    'title',
    'xmp',
    'iframe',
    'noembed',
    'noframes',
    'template',
  ],
  transformTags: {
    // A link stays a link only when its href is an in-page anchor or passes
    // the same checks as every manifest URL (https, or mailto); anything else
    // (javascript:, data:, http:, relative paths) becomes its text.
    a: (tagName, attribs) => {
      const { href, ...rest } = attribs
      // A named anchor (`<a name>`) is a target, not a link.
      if (href === undefined) return { tagName, attribs: { ...rest, rel: USER_LINK_REL } }
      if (href.startsWith('#')) {
        return {
          tagName,
          attribs: { ...rest, href: `#${prefixed(href.slice(1))}`, rel: USER_LINK_REL },
        }
      }
      const safe = href.toLowerCase().startsWith('mailto:') ? contactHref(href) : linkHref(href)
      if (safe === undefined) return { tagName: 'span', attribs: {} }
      return { tagName, attribs: { ...rest, href: safe, rel: USER_LINK_REL } }
    },
    // An image from anywhere but an https URL is dropped for its alt text.
    img: (tagName, attribs) => {
      if (linkHref(attribs['src']) === undefined) {
        return { tagName: 'span', attribs: {}, text: attribs['alt'] ?? '' }
      }
      return { tagName, attribs: { ...attribs, loading: 'lazy', decoding: 'async' } }
    },
    input: (tagName, attribs) => {
      // Task-list checkboxes only, never editable.
      const out: Record<string, string> = { type: 'checkbox', disabled: '' }
      if (attribs['checked'] !== undefined) out['checked'] = ''
      return { tagName, attribs: out }
    },
    '*': (tagName, attribs) => {
      const out = { ...attribs }
      if (out['id']) out['id'] = prefixed(out['id'])
      if (out['name']) out['name'] = prefixed(out['name'])
      return { tagName, attribs: out }
    },
  },
}

/**
 * Renders a README body (Markdown, hostile) to HTML safe to inline in a page:
 * no scripts, frames, forms, styles, event handlers or script URLs; ids and
 * names prefixed against DOM clobbering; links `rel="nofollow ugc noopener"`.
 *
 * @example
 * renderReadme('# Hi <script>alert(1)</script>')
 * // '<h2 id="user-content-hi">Hi </h2>'
 */
export function renderReadme(markdown: string): string {
  const raw = createMarked().parse(markdown, { async: false })
  return sanitizeHtml(raw, SANITIZE_OPTIONS).trim()
}

/**
 * Plain text of a README for search and similarity: Markdown syntax and any
 * HTML dropped, whitespace collapsed.
 *
 * @example readmeText('# Title\n\nSome *bold* text') // 'Title Some bold text'
 */
export function readmeText(markdown: string): string {
  return htmlText(renderReadme(markdown))
}

/**
 * Text of HTML that `renderReadme` produced. Only for term extraction, never
 * for display: the input is already sanitised, so dropping tags is enough.
 *
 * @example htmlText('<p>a <em>b</em> &amp; c</p>') // 'a b & c'
 */
export function htmlText(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(
      /&(amp|lt|gt|quot|#39);/g,
      (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] ?? ' ',
    )
    .replace(/&[a-z0-9#]+;/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}
