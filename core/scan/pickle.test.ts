import { describe, expect, it } from 'vitest'
import { concat, u32, u64 } from './__fixtures__/build.ts'
import { isAllowedGlobal, isDangerousGlobal, walkPickle } from './index.ts'

describe('core/scan/pickle', () => {
  it('allows what a state dict needs and nothing near it', () => {
    const allowed = [
      ['torch._utils', '_rebuild_tensor_v2'],
      ['torch', 'BFloat16Storage'],
      ['torch', 'float16'],
      ['collections', 'OrderedDict'],
      ['numpy._core.multiarray', '_reconstruct'],
      ['_codecs', 'encode'],
    ]
    for (const [module, name] of allowed)
      expect(isAllowedGlobal(module as string, name as string), `${module}.${name}`).toBe(true)
    const refused = [
      ['torch', 'load'],
      ['torch._utils', '_rebuild_anything'],
      ['torch.storage', '_load_from_bytes'],
      ['collections', 'namedtuple'],
      ['builtins', 'eval'],
      ['torch', 'Storage.__class__'],
    ]
    for (const [module, name] of refused)
      expect(isAllowedGlobal(module as string, name as string), `${module}.${name}`).toBe(false)
    expect(
      isAllowedGlobal(
        'sklearn.tree',
        'DecisionTreeClassifier',
        new Set(['sklearn.tree.DecisionTreeClassifier']),
      ),
    ).toBe(true)
  })

  it('names the known ways to run code as dangerous', () => {
    expect(isDangerousGlobal('os', 'system')).toBe(true)
    expect(isDangerousGlobal('subprocess', 'Popen')).toBe(true)
    expect(isDangerousGlobal('__builtin__', 'getattr')).toBe(true)
    expect(isDangerousGlobal('torch', 'load')).toBe(true)
    expect(isDangerousGlobal('builtins', 'set')).toBe(false)
    expect(isDangerousGlobal('sklearn.tree', 'DecisionTreeClassifier')).toBe(false)
  })

  it('records INST imports and walks OBJ, NEWOBJ_EX, FRAME and 8-byte lengths', () => {
    const inst = walkPickle(new TextEncoder().encode("(S'id'\nios\nsystem\n."), 0)
    expect(inst).toMatchObject({ complete: true, imports: [{ module: 'os', name: 'system' }] })
    const long = walkPickle(
      concat(
        [0x80, 0x04, 0x95],
        u64(30),
        [0x8d],
        u64(3),
        'abc',
        [0x8e],
        u64(2),
        'xy',
        '(',
        [0x8c, 1],
        'a',
        'o',
        ')}',
        [0x92],
        '.',
      ),
      0,
    )
    expect(long).toMatchObject({ complete: true, imports: [] })
  })

  it('stops on lengths past the end and unknown opcodes, keeping the position', () => {
    expect(walkPickle(concat([0x80, 0x04, 0x58], u32(1000), 'abc'), 0)).toMatchObject({
      complete: false,
      atEnd: true,
    })
    const bad = walkPickle(Uint8Array.of(0x80, 0x02, 0xff), 0)
    expect(bad).toMatchObject({
      complete: false,
      atEnd: false,
      problem: 'unknown opcode 0xff at byte 2',
    })
    expect(walkPickle(Uint8Array.of(0x80, 0x09, 0x2e), 0).problem).toBe('unknown pickle protocol 9')
    expect(walkPickle(new TextEncoder().encode('h\x05.'), 0).problem).toMatch(
      /^memo key 5 read before it was written/,
    )
  })
})
