import { describe, expect, it } from 'vitest'
import { EVIL_PICKLE_P4, safetensors, TORCH_STATE_PICKLE, torchZip } from './__fixtures__/build.ts'
import { bytesSource, scanFile, summarizeScan } from './index.ts'

const summarize = async (path: string, bytes: Uint8Array) =>
  summarizeScan(await scanFile(bytesSource(path, bytes)))

describe('core/scan/summary', () => {
  it('summarizes a safetensors file with its tensor counts', async () => {
    const header = {
      a: { dtype: 'BF16', shape: [4, 4], data_offsets: [0, 32] },
      b: { dtype: 'F32', shape: [2], data_offsets: [32, 40] },
    }
    expect(await summarize('m.safetensors', safetensors(header, 40))).toEqual({
      format: 'safetensors',
      verdict: 'safe',
      verifiedFormat: true,
      pickleScanResult: 'NotApplicable',
      codes: [],
      tensors: 2,
      parameters: 18,
      dtypes: ['BF16', 'F32'],
    })
  })

  it('marks pickles Success or Danger with their imports', async () => {
    expect(await summarize('m.pt', torchZip(TORCH_STATE_PICKLE))).toMatchObject({
      pickleScanResult: 'Success',
      imports: ['collections.OrderedDict', 'torch.FloatStorage', 'torch._utils._rebuild_tensor_v2'],
      codes: ['scan/unsafe-format'],
    })
    const evil = await summarize('m.bin', EVIL_PICKLE_P4)
    expect(evil).toMatchObject({ pickleScanResult: 'Danger', dangerousImports: ['posix.system'] })
    expect(await summarize('m.pkl', TORCH_STATE_PICKLE.subarray(0, 20))).toMatchObject({
      pickleScanResult: 'Error',
    })
  })
})
