import { describe, expect, it } from 'vitest'
import { validateDocument } from '#core/schema'
import { textProblem } from './text.ts'

const item = (extra: string) =>
  `kind: model\nid: acme/tox-gnn\ntitle: Tox GNN\nsummary: A graph network.\nowners: [acme]\nlicense: MIT\n${extra}`
const found = (source: string, type: 'item' | 'owner' | 'version' = 'item') =>
  validateDocument(type, source, 'x.yaml', type === 'version' ? { kind: 'benchmark' } : {})
    .issues.filter((i) => i.code === 'manifest/invalid-text')
    .map((i) => `${i.line}:${i.col} ${i.message}`)

describe('core/manifest/text', () => {
  it('names the first hidden character and where it is', () => {
    expect(textProblem('Tox GNN, naïve ünïcode — 日本語 😀')).toBeUndefined()
    expect(textProblem('line one\n\tline two')).toBeUndefined()
    expect(textProblem('abc\u202Edef')).toBe('holds U+202E (right-to-left override) at character 4')
    expect(textProblem('a\u2066b')).toBe('holds U+2066 (left-to-right isolate) at character 2')
    expect(textProblem('\u200Bx')).toBe('holds U+200B (zero-width space) at character 1')
    expect(textProblem('x\uFEFF')).toBe('holds U+FEFF (zero-width no-break space) at character 2')
    expect(textProblem('x\u0007')).toBe('holds U+0007 (a control character) at character 2')
    expect(textProblem('x\u0085y')).toBe('holds U+0085 (a control character) at character 2')
    expect(textProblem('x\ry')).toBe('holds U+000D (a control character) at character 2')
    expect(textProblem('ab\u200fc')).toBe('holds U+200F (right-to-left mark) at character 3')
    expect(textProblem('a\u2028b')).toBe('holds U+2028 (line separator) at character 2')
    // Right-to-left scripts themselves are text, not hidden characters.
    expect(textProblem('نموذج סמל')).toBeUndefined()
  })

  it('refuses every bidi, zero-width and control character listed', () => {
    const codes = [
      0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200b, 0x200c,
      0x200d, 0xfeff, 0x2060, 0x00, 0x1b, 0x7f, 0x9b, 0x200e, 0x200f, 0x061c, 0x2028, 0x2029,
      0x2061, 0x2064,
    ]
    for (const c of codes)
      expect(textProblem(`a${String.fromCodePoint(c)}b`), c.toString(16)).toBeDefined()
  })

  it('refuses hidden characters in titles, summaries, descriptions, tags and names', () => {
    expect(found(item('').replace('Tox GNN', '"Tox \\u202Egpj.exe"'))).toEqual([
      '3:8 title holds U+202E (right-to-left override) at character 5',
    ])
    expect(found(item('').replace('A graph network.', '"A graph\\u200B network."'))).toEqual([
      '4:10 summary holds U+200B (zero-width space) at character 8',
    ])
    expect(found(item('tags: [gnn, "tox\\u2067"]\n'))).toEqual([
      '7:13 tags[1] holds U+2067 (right-to-left isolate) at character 4',
    ])
    // A trailing U+FEFF would vanish when tags are trimmed; it is refused before.
    expect(found(item('tags: ["gnn\\uFEFF"]\n'))).toHaveLength(1)
    expect(found('type: org\nname: "Acme\\u0000 Labs"\nmembers: [octocat]\n', 'owner')).toEqual([
      '2:7 name holds U+0000 (a control character) at character 5',
    ])
    expect(
      found(
        'version: 1.0.0\nfiles: []\nmetrics:\n  - { name: auc, description: "x\\u2069" }\n',
        'version',
      ),
    ).toEqual(['4:31 metrics[0].description holds U+2069 (pop directional isolate) at character 2'])
  })

  it('refuses hidden characters in keys, and accepts multi-line text', () => {
    expect(found(item('links:\n  "home\\u200Dpage": https://acme.example\n'))).toEqual([
      '8:3 key "home\u200Dpage" holds U+200D (zero-width joiner) at character 5',
    ])
    expect(
      found(item('').replace('A graph network.', '|\n  A graph network.\n  \tTabbed.')),
    ).toEqual([])
  })
})
