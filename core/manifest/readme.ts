import type { Issue } from '#core/errors'
import { hintFor } from '#core/errors'
import { decodeUtf8, loadYaml } from './load.ts'
import type { ReadmeDoc } from './types.ts'

/** Cards are prose; a few hundred kilobytes is generous, megabytes are abuse. */
export const MAX_README_BYTES = 512 * 1024
/** Front matter is metadata like a manifest and gets the manifest cap. */
const MAX_FRONT_MATTER_BYTES = 64 * 1024

const FENCE = /^---[ \t]*$/

/**
 * Splits README.md into its YAML front matter (loaded with the same safe
 * loader as manifests, positions relative to the README) and its Markdown body.
 *
 * @example
 * loadReadme('---\nlicense: mit\n---\n# Tox GNN\n', 'registry/models/ac/acme/tox/README.md')
 * // { value: { frontMatter: { license: 'mit' }, body: '# Tox GNN\n' }, issues: [] }
 */
export function loadReadme(
  source: string | Uint8Array,
  file: string,
): { value: ReadmeDoc | undefined; issues: Issue[] } {
  const size = typeof source === 'string' ? source.length : source.byteLength
  if (size > MAX_README_BYTES) {
    return {
      value: undefined,
      issues: [
        {
          code: 'yaml/too-large',
          severity: 'error',
          message: `README is ${size} bytes, over the limit of ${MAX_README_BYTES}`,
          hint: 'keep the card short and link to longer documentation',
          file,
          line: 1,
          col: 1,
        },
      ],
    }
  }
  const decoded = decodeUtf8(source)
  if (decoded === undefined) {
    return {
      value: undefined,
      issues: [
        {
          code: 'yaml/not-utf8',
          severity: 'error',
          message: 'README is not valid UTF-8',
          hint: hintFor('yaml/not-utf8'),
          file,
          line: 1,
          col: 1,
        },
      ],
    }
  }
  const text = decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded
  const lines = text.split('\n')
  if (!FENCE.test((lines[0] ?? '').replace(/\r$/, ''))) {
    return { value: { frontMatter: {}, body: text }, issues: emptyBody(text, file, 1, false) }
  }
  const close = lines.findIndex((l, i) => i > 0 && FENCE.test(l.replace(/\r$/, '')))
  if (close === -1) {
    return {
      value: undefined,
      issues: [
        {
          code: 'readme/front-matter',
          severity: 'error',
          message: 'front matter opened with `---` on line 1 is never closed',
          hint: hintFor('readme/front-matter'),
          file,
          line: 1,
          col: 1,
        },
      ],
    }
  }
  // Blank lines keep YAML line numbers equal to README line numbers.
  const yamlText = `\n${lines.slice(1, close).join('\n')}\n`
  const body = lines.slice(close + 1).join('\n')
  const loaded = loadYaml(yamlText, file, { maxBytes: MAX_FRONT_MATTER_BYTES })
  if (loaded.issues.length > 0) return { value: undefined, issues: loaded.issues }
  const fm = loaded.value
  const blank = emptyBody(body, file, close + 2, true)
  if (fm === null || fm === undefined) return { value: { frontMatter: {}, body }, issues: blank }
  if (typeof fm !== 'object' || Array.isArray(fm)) {
    return {
      value: undefined,
      issues: [
        {
          code: 'readme/front-matter',
          severity: 'error',
          message: 'front matter must be a YAML mapping',
          hint: hintFor('readme/front-matter'),
          file,
          line: 2,
          col: 1,
        },
      ],
    }
  }
  return { value: { frontMatter: fm as Record<string, unknown>, body }, issues: blank }
}

/** Whitespace, and the invisible characters that read as nothing. */
const BLANK = /^[\s\u200b-\u200d\u2060\ufeff]*$/

/** A card with nothing to read is no card: `manifest/empty-readme`, at the line the body starts. */
function emptyBody(body: string, file: string, line: number, afterFrontMatter: boolean): Issue[] {
  if (!BLANK.test(body)) return []
  return [
    {
      code: 'manifest/empty-readme',
      severity: 'error',
      message: afterFrontMatter ? 'README has no text after its front matter' : 'README is empty',
      hint: hintFor('manifest/empty-readme'),
      file,
      line,
      col: 1,
    },
  ]
}
