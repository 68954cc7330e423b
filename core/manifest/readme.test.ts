import { describe, expect, it } from 'vitest'
import { loadReadme } from './readme.ts'

describe('core/manifest/readme', () => {
  it('splits front matter from the Markdown body', () => {
    const { value, issues } = loadReadme(
      '---\nlicense: mit\ntags: [a]\n---\n# Title\n\nText.\n',
      'R.md',
    )
    expect(issues).toEqual([])
    expect(value).toEqual({
      frontMatter: { license: 'mit', tags: ['a'] },
      body: '# Title\n\nText.\n',
    })
  })

  it('keeps a README without front matter whole', () => {
    expect(loadReadme('# Title\n---\nmore\n', 'R.md').value).toEqual({
      frontMatter: {},
      body: '# Title\n---\nmore\n',
    })
  })

  it('reports front matter problems at README line numbers', () => {
    const { value, issues } = loadReadme('---\nlicense: mit\nmodel: &m x\n---\nbody\n', 'R.md')
    expect(value).toBeUndefined()
    expect(issues).toMatchObject([{ code: 'yaml/alias', file: 'R.md', line: 3, col: 8 }])
  })

  it('refuses front matter that is not a mapping, and unclosed front matter', () => {
    expect(loadReadme('---\n- a\n- b\n---\n', 'R.md').issues.map((i) => i.code)).toEqual([
      'readme/front-matter',
    ])
    expect(loadReadme('---\na: 1\n', 'R.md').issues.map((i) => i.code)).toEqual([
      'readme/front-matter',
    ])
  })

  it('accepts Windows line endings', () => {
    expect(loadReadme('---\r\na: 1\r\n---\r\nbody', 'R.md').value?.frontMatter).toEqual({ a: 1 })
  })

  it('refuses README bytes that are not UTF-8', () => {
    expect(
      loadReadme(new Uint8Array([0x23, 0x20, 0xff]), 'R.md').issues.map((i) => i.code),
    ).toEqual(['yaml/not-utf8'])
  })
})

describe('core/manifest/readme empty cards', () => {
  it.each(['', '\n', '  \n\t\n', '\u200b\n', '\r\n\r\n'])('refuses the README %j', (text) => {
    expect(loadReadme(text, 'R.md').issues).toMatchObject([
      { code: 'manifest/empty-readme', message: 'README is empty', line: 1 },
    ])
  })

  it('refuses front matter with no card after it, at the line after the fence', () => {
    expect(loadReadme('---\nlicense: mit\n---\n\n  \n', 'R.md').issues).toMatchObject([
      {
        code: 'manifest/empty-readme',
        message: 'README has no text after its front matter',
        line: 4,
      },
    ])
    expect(loadReadme('---\n---\n', 'R.md').issues.map((i) => i.code)).toEqual([
      'manifest/empty-readme',
    ])
  })

  it('accepts a card of one line', () => {
    expect(loadReadme('# Tox GNN\n', 'R.md').issues).toEqual([])
    expect(loadReadme('---\nlicense: mit\n---\nA model.', 'R.md').issues).toEqual([])
  })
})
