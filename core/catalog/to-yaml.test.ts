import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { newFileUrl } from './new-file-url.ts'
import { toYaml } from './to-yaml.ts'

describe('core/catalog/to-yaml', () => {
  it('round-trips tricky strings, numbers, lists and nested maps through a YAML parser', () => {
    const value = {
      kind: 'model',
      title: 'yes: no # not a comment',
      summary: 'it\'s "quoted"\nand multi-line',
      version: '1.0',
      tags: ['on', 'null', '@at'],
      pricing: { model: 'per-download', price: 9.5 },
      metrics: [
        { name: 'auc', higher_is_better: true },
        { name: 'rmse', higher_is_better: false },
      ],
      empty: [],
    }
    expect(parse(toYaml(value))).toEqual(value)
  })

  it('writes lists of maps in block style', () => {
    expect(toYaml({ items: [{ ref: 'a/b', note: 'x' }] })).toBe(
      'items:\n  - ref: "a/b"\n    note: "x"\n',
    )
  })
})

describe('core/catalog/new-file-url', () => {
  it('prefills filename and value for GitHub', () => {
    const url = new URL(
      newFileUrl(
        { owner: 'acme', name: 'hub', default_branch: 'main' },
        'registry/models/ac/acme/x/item.yaml',
        'title: "A & B"\n',
      ),
    )
    expect(url.origin + url.pathname).toBe('https://github.com/acme/hub/new/main')
    expect(url.searchParams.get('filename')).toBe('registry/models/ac/acme/x/item.yaml')
    expect(url.searchParams.get('value')).toBe('title: "A & B"\n')
  })
})
