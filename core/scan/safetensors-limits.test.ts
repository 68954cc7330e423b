import { describe, expect, it } from 'vitest'
import { concat, safetensors, u64 } from './__fixtures__/build.ts'
import { bytesSource, type ScanResult, scanFile } from './index.ts'

const codes = (result: ScanResult): string[] => result.findings.map((f) => f.code)

describe('core/scan/safetensors (limits)', () => {
  it('refuses a header over 16 MiB before reading it', async () => {
    const length = 17 * 1024 * 1024
    const bytes = concat(u64(length), '{"a":', new Uint8Array(length))
    let read = 0
    const source = bytesSource('big.safetensors', bytes)
    const counting = {
      ...source,
      read: (start: number, end: number) => {
        read += end - start
        return source.read(start, end)
      },
    }
    const result = await scanFile(counting)
    expect(codes(result)).toEqual(['scan/safetensors-header-too-large'])
    expect(read).toBeLessThan(1024 * 1024)
  })

  it('keeps a header just under the cap, and a caller may raise it', async () => {
    const pad = ' '.repeat(1024)
    const header = `{"__metadata__": {"note": "x"}${pad}}`
    const ok = await scanFile(bytesSource('m.safetensors', safetensors(header, 0)))
    expect(ok.verdict).toBe('safe')
    const length = 20 * 1024 * 1024
    const big = safetensors(`{${' '.repeat(length - 2)}}`, 0)
    const raised = await scanFile(bytesSource('m.safetensors', big), {
      maxSafetensorsHeader: 100_000_000,
    })
    expect(raised.verdict).toBe('safe')
  })

  it('refuses more than 200 000 tensors as scan/safetensors-too-many-tensors, quickly', async () => {
    const n = 200_001
    const parts: string[] = []
    for (let i = 0; i < n; i++)
      parts.push(`"t${i}":{"dtype":"U8","shape":[1],"data_offsets":[${i},${i + 1}]}`)
    const started = performance.now()
    const result = await scanFile(
      bytesSource('many.safetensors', safetensors(`{${parts.join(',')}}`, n)),
    )
    expect(codes(result)).toEqual(['scan/safetensors-too-many-tensors'])
    expect(performance.now() - started).toBeLessThan(30_000)
  }, 60_000)
})
