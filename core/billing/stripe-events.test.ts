import { describe, expect, it } from 'vitest'
import { parseItemMetadata } from './stripe-events.ts'

describe('core/billing/stripe-events', () => {
  it('reads agora_item with a singular or plural kind, or none for a model', () => {
    expect(parseItemMetadata('lora/acme/x')).toEqual({ kind: 'lora', ns: 'acme', name: 'x' })
    expect(parseItemMetadata('datasets/acme/tox21')).toEqual({
      kind: 'dataset',
      ns: 'acme',
      name: 'tox21',
    })
    expect(parseItemMetadata('acme/tox')).toEqual({ kind: 'model', ns: 'acme', name: 'tox' })
  })

  it('refuses unknown kinds, odd names and extra parts', () => {
    for (const text of [
      'widget/acme/x',
      'constructor/acme/x',
      'model/../x',
      'model/acme/X',
      'a/b/c/d',
      'acme',
      '',
    ])
      expect(parseItemMetadata(text)).toBeUndefined()
  })
})
